"""Locks on recorded data: a visit, a patient, a whole study."""
