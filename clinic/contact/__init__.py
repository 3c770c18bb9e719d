"""Contact data rules shared by entry forms and delivery (pure: no Flask, no database)."""
