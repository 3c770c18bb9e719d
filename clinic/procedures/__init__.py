"""Image-guided procedures: validation, recording, and the schedule they anchor."""
