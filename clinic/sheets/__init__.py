"""Paper a nurse works from: the day's call list and the follow-up sheets (PDF)."""
