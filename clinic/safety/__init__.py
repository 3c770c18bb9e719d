"""Adverse events."""
