"""Studies: set-up from protocol data and the summaries shown on the home page."""
