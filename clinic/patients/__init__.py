"""A patient's record as one page reads it, the patient list, and corrections with reasons."""
