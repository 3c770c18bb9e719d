"""Follow-up scheduling. ``windows`` holds the pure date arithmetic."""
