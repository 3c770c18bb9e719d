"""The screening log: every screened candidate, eligible or not, with the criteria that
failed and the study code of those enrolled (no identity: a screen failure has none)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from clinic.models import (
    EligibilityCriterion,
    Patient,
    Screening,
    ScreeningAnswer,
    Site,
    User,
)

OUTCOMES = {"enrolled": "Enrolled", "eligible": "Eligible, not enrolled",
            "not_eligible": "Not eligible"}
PAGE = 500


@dataclass(frozen=True)
class ScreeningLine:
    id: int
    screened_at: datetime
    site: str
    screened_by: str
    outcome: str
    failing: tuple[str, ...]
    study_code: str | None


def screening_log(session: Session, *, study_id: int, site_id: int | None = None,
                  outcome: str | None = None, date_from: date | None = None,
                  date_to: date | None = None, limit: int = PAGE) -> list[ScreeningLine]:
    query = (select(Screening, Site.code, User.name, Patient.study_code)
             .join(Site, col(Site.id) == Screening.site_id)
             .outerjoin(User, col(User.id) == Screening.screened_by_id)
             .outerjoin(Patient, col(Patient.id) == Screening.patient_id)
             .where(Screening.study_id == study_id)
             .order_by(col(Screening.screened_at).desc(), col(Screening.id).desc()).limit(limit))
    if site_id is not None:
        query = query.where(Screening.site_id == site_id)
    if outcome == "enrolled":
        query = query.where(col(Screening.patient_id).is_not(None))
    elif outcome == "eligible":
        query = query.where(Screening.is_eligible, col(Screening.patient_id).is_(None))
    elif outcome == "not_eligible":
        query = query.where(~col(Screening.is_eligible))
    if date_from is not None:
        query = query.where(func.date(Screening.screened_at) >= date_from)
    if date_to is not None:
        query = query.where(func.date(Screening.screened_at) <= date_to)
    rows = session.exec(query).all()
    failing = _failing(session, [s.id for s, *_ in rows if not s.is_eligible])  # type: ignore[misc]
    return [ScreeningLine(s.id, s.screened_at, site, by or "", _outcome(s),  # type: ignore[arg-type]
                          tuple(failing.get(s.id, ())), code) for s, site, by, code in rows]


def _outcome(s: Screening) -> str:
    if s.patient_id is not None:
        return "enrolled"
    return "eligible" if s.is_eligible else "not_eligible"


CHECKLIST_NOT_COMPLETED = "checklist not completed"


def _failing(session: Session, ids: list[int]) -> dict[int, list[str]]:
    if not ids:
        return {}
    rows = session.exec(select(ScreeningAnswer.screening_id, EligibilityCriterion.text,
                               EligibilityCriterion.kind, ScreeningAnswer.answer)
                        .join(EligibilityCriterion,
                              col(EligibilityCriterion.id) == ScreeningAnswer.criterion_id)
                        .where(col(ScreeningAnswer.screening_id).in_(ids))
                        .order_by(col(EligibilityCriterion.position))).all()
    out: dict[int, list[str]] = {}
    for screening_id, text, kind, answer in rows:  # left unanswered: not asked once
        if answer is not None and answer != (kind == "inclusion"):  # another had failed
            out.setdefault(screening_id, []).append(text)
    unanswered = {screening_id for screening_id, _t, _k, answer in rows if answer is None}
    for screening_id in unanswered - out.keys():  # none failed, some left unanswered
        out[screening_id] = [CHECKLIST_NOT_COMPLETED]
    return out
