"""Who sees what: a nurse works at one site; identity only for some roles."""

from __future__ import annotations

from typing import NoReturn

from flask import abort
from flask_login import current_user
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from clinic.auth.roles import role_can_see_identity
from clinic.exceptions import NotFound
from clinic.followup.service import note_measures_revision
from clinic.models import (
    Assessment,
    DataQuery,
    Patient,
    Procedure,
    Site,
    Study,
    StudyTimepoint,
)
from clinic.studies.setup import find_study

ENTERS_FOLLOW_UPS = ("nurse", "coordinator", "admin")
RECORDS_PROCEDURES = ("physician", "coordinator", "admin")
EDITS_CLINICAL_DATA = ("nurse", "physician", "coordinator", "admin")
REVIEWS_COHORT = ("physician", "coordinator", "admin")
MANAGES_STUDY = ("coordinator", "admin")


def own_site_id() -> int | None:
    """The site a nurse is limited to; None for roles that see every site."""
    return current_user.site_id if current_user.role == "nurse" else None


def sees_identity() -> bool:
    return role_can_see_identity(current_user.role)


def site_filter(requested: int | None) -> int | None:
    """A nurse always sees her own site; others may choose one (None: all)."""
    own = own_site_id()
    return own if own is not None or current_user.role == "nurse" else requested


def site_asked(session: Session, value: str | None) -> int | None:
    """The site a list's ``site=`` names, by id (the form's choice) or code ("NORTH",
    any case, as the report's filters take it); None when not given; a 404 naming a
    site that does not exist, instead of a list of every site as if none had been asked."""
    text = (value or "").strip()
    if not text:
        return None
    found = site_named(session, text)
    if found is None:
        abort(404, f"No site '{printable(text, 20)}': choose one from the list.")
    return found


def site_named(session: Session, text: str) -> int | None:
    """The id of the site ``text`` names, by its id or its code (any case), or None."""
    for site in all_sites(session):
        if str(site.id) == text or site.code.casefold() == text.casefold():
            return site.id
    return None


def printable(text: str, most: int) -> str:
    """Typed text shown back in a message: without invisible characters, and cut, with
    an ellipsis that says so."""
    shown = "".join(c for c in text[:most] if c.isprintable())
    return shown + "…" if len(text) > most else shown


def patient_or_404(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        not_found()
    return _at_own_site(patient)


def _at_own_site(patient: Patient) -> Patient:
    """404 for a nurse asking for a patient of another site."""
    if current_user.role == "nurse" and patient.site_id != own_site_id():
        not_found()
    return patient


def not_found() -> NoReturn:
    """A nurse is told where she may look, the same words whether the record is at
    another site or nowhere (they tell her nothing of other sites)."""
    abort(404, NOT_AT_YOUR_SITE if current_user.role == "nurse" else None)


NOT_AT_YOUR_SITE = ("Not found at your site: a nurse sees the patients and visits of their "
                    "own site. Find a patient with the search box above.")


def assessment_or_404(session: Session, assessment_id: int) -> tuple[Assessment, Patient]:
    """The assessment and its patient, in one query; 404 where the user's site may not
    see them. Its timepoint and index procedure come in the same query, kept in the
    session for the protocol and visit-date checks that ask for them next, and its
    study's measures revision, under which this process keeps the measure rules."""
    found = session.exec(_ASSESSMENT_WITH, params={"assessment_id": assessment_id}).first()
    if found is None:
        not_found()
    assessment, patient, timepoint, procedure, measures_revision = found
    note_measures_revision(session, patient.study_id, measures_revision)
    # the identity map holds unchanged rows weakly: keep these for the request
    session.info.setdefault("clinic.kept", []).extend((timepoint, procedure))
    return assessment, _at_own_site(patient)


# built once: building the statement and its cache key cost a quarter of a millisecond
# a request (every follow-up save and page)
_ASSESSMENT_WITH = (select(Assessment, Patient, StudyTimepoint, Procedure,
                           Study.measures_revision)
                    .join(Patient, col(Patient.id) == col(Assessment.patient_id))
                    .join(Study, col(Study.id) == col(Patient.study_id))
                    .join(StudyTimepoint, col(StudyTimepoint.id) == col(Assessment.timepoint_id))
                    .outerjoin(Procedure, col(Procedure.id) == col(Assessment.procedure_id))
                    .where(Assessment.id == bindparam("assessment_id")))


def query_or_404(session: Session, query_id: int) -> DataQuery:
    """A data query; 404 where the user's site may not see its patient."""
    query = session.get(DataQuery, query_id)
    if query is None:
        not_found()
    patient_or_404(session, query.patient_id)
    return query


def all_sites(session: Session) -> list[Site]:
    return list(session.exec(select(Site).order_by(Site.code)).all())


def unknown_study(code: str) -> str:
    """The 404's words for a study code that names no study (typed or mistyped in an
    address), the code shown as typed, without invisible characters."""
    return f"No study '{printable(code, 20)}': choose one from the list."


def study_or_404(session: Session, code: str) -> Study:
    """The study of an address's code (any case) or id; a 404 that names the code."""
    try:
        return find_study(session, code[:40])
    except NotFound:
        abort(404, unknown_study(code))
