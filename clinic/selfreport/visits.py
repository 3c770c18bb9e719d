"""The visit behind a link: what it asks of the patient (reads only)."""

from __future__ import annotations

from sqlmodel import Session

from clinic.followup.service import measures_at
from clinic.models import Assessment
from clinic.selfreport.screens import patient_measures


def measures_for_patient(session: Session, assessment: Assessment) -> list[str]:
    """The measures of this visit that the patient answers (protocol order)."""
    return patient_measures(measures_at(session, assessment))
