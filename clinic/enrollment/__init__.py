"""Screening, the concealed randomization sequence, and enrollment (database services)."""
