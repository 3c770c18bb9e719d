"""Follow-up entry: scores at a scheduled assessment, or the reason it was not done."""
