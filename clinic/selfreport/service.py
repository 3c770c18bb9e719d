"""The patient's side of a link: open it, prove who you are (if the study asks), keep
answers, send them. One commit per request, by the caller.

A link is looked up by the SHA-256 of its token; what it may do follows from its visit
at that moment (:func:`resolve`), so completing the visit by any route, marking it not
done, withdrawing the patient, withdrawing consent or the closing of the window ends
the link at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from clinic.audit import set_actor
from clinic.exceptions import ValidationError
from clinic.followup.entry import missing_outcomes
from clinic.followup.service import measures_at, record_follow_up
from clinic.locks.service import lock_over_visit
from clinic.models import (
    Assessment,
    Enrollment,
    Patient,
    PatientIdentity,
    SelfReport,
    SelfReportEvent,
    SelfReportMessage,
    StudyTimepoint,
)
from clinic.queries.rules import run_rules_on_new_visit
from clinic.reminders.rows import insert_ignore
from clinic.scoring.instruments import INSTRUMENTS
from clinic.selfreport.ladder import LadderSpec
from clinic.selfreport.planning import ladder_specs
from clinic.selfreport.screens import Screen, entries, patient_measures, screens
from clinic.selfreport.tokens import looks_like_token, token_hash
from clinic.selfreport.visits import measures_for_patient
from clinic.selfreport.wording import Wording, wording

MODE = "self_report"
MISSING_REASON = "not answered by the patient (self-report by link)"
NOT_ASKED = "not asked by the self-report link"  # medication quantities: the nurse asks


@dataclass
class Link:
    """What a token opens: its state and, when it works, the visit behind it."""

    state: str  # ok | unknown | used | closed | not_yet
    message: SelfReportMessage | None = None
    assessment: Assessment | None = None
    identity: PatientIdentity | None = None
    timepoint: StudyTimepoint | None = None
    spec: LadderSpec | None = None

    @property
    def works(self) -> bool:
        return self.state == "ok"

    @property
    def language(self) -> Wording:
        return wording(self.identity.language if self.identity else None)


def resolve(session: Session, token: str, today: date) -> Link:
    if not looks_like_token(token):
        return Link("unknown")
    message = session.exec(select(SelfReportMessage).where(
        SelfReportMessage.token_hash == token_hash(token))).first()
    if message is None:
        return Link("unknown")
    assessment = session.get(Assessment, message.assessment_id)
    if assessment is None:
        return Link("unknown")
    identity = session.exec(select(PatientIdentity).where(
        PatientIdentity.patient_id == assessment.patient_id)).first()
    timepoint = session.get(StudyTimepoint, assessment.timepoint_id)
    assert timepoint is not None
    link = Link("ok", message, assessment, identity, timepoint,
                ladder_specs(session).get(timepoint.study_id))
    link.state = _state(session, link, today)
    return link


def _state(session: Session, link: Link, today: date) -> str:
    a = link.assessment
    assert a is not None
    if a.state == "completed":  # by the patient's answers, or else by the clinic
        return "used" if a.mode == MODE else "closed"
    withdrawn = session.exec(select(Enrollment.id).where(
        Enrollment.patient_id == a.patient_id, Enrollment.status == "withdrawn")).first()
    if (a.state != "pending" or withdrawn is not None or link.spec is None
            or link.identity is None or not link.identity.self_report_consent
            or today > a.window_close):
        return "closed"
    if today < a.window_open:
        return "not_yet"
    if _locked(session, a):  # said when the link opens, not after every answer is typed
        return "locked"
    return "ok"


def _locked(session: Session, visit: Assessment) -> bool:
    patient = session.get(Patient, visit.patient_id)
    return patient is not None and lock_over_visit(session, patient, visit.id) is not None  # type: ignore[arg-type]


def visit_screens(session: Session, link: Link) -> list[Screen]:
    assert link.assessment is not None
    return screens(measures_for_patient(session, link.assessment), link.language)


def report_of(session: Session, link: Link) -> SelfReport:
    """The visit's self-report row (created on first use; two tabs create one)."""
    assert link.assessment is not None
    query = select(SelfReport).where(SelfReport.assessment_id == link.assessment.id)
    report = session.exec(query).first()
    if report is None:
        insert_ignore(session, SelfReport, {"assessment_id": link.assessment.id, "answers": {},
                                            "failed_checks": 0, "version": 1},
                      ("assessment_id",))
        report = session.exec(query).one()
    session.refresh(report)
    return report


def note_opened(session: Session, link: Link, report: SelfReport, now: datetime,
                address: str | None) -> None:
    """First opening of the visit and of this message: kept for the staff."""
    assert link.message is not None and link.assessment is not None
    first_of_message = link.message.opened_at is None
    session.execute(update(SelfReport).where(col(SelfReport.id) == report.id).values(
        opened_at=report.opened_at or now, last_seen_at=now))
    if first_of_message:
        session.execute(update(SelfReportMessage).where(
            col(SelfReportMessage.id) == link.message.id,
            col(SelfReportMessage.opened_at).is_(None)).values(opened_at=now))
        _event(session, link, "opened", now, address)


def note_refused(session: Session, link: Link, now: datetime, address: str | None) -> None:
    if link.message is not None and link.assessment is not None:
        _event(session, link, "refused", now, address)


def _event(session: Session, link: Link, kind: str, now: datetime, address: str | None) -> None:
    assert link.assessment is not None
    session.add(SelfReportEvent(assessment_id=link.assessment.id,
                                message_id=link.message.id if link.message else None,
                                at=now, kind=kind, address=(address or "")[:45] or None))


# -- the optional check of the date of birth ------------------------------------------

def needs_check(link: Link) -> bool:
    return link.spec is not None and link.spec.second_factor != "none"


def locked_until(report: SelfReport, now: datetime) -> datetime | None:
    return report.locked_until if report.locked_until and report.locked_until > now else None


def check_birth(session: Session, link: Link, report: SelfReport, answer: date | int | None,
                now: datetime, *, max_checks: int, lock: timedelta,
                address: str | None) -> bool | int:
    """True when the answer matches; else the tries left (0: now locked)."""
    assert link.identity is not None and link.spec is not None
    born = link.identity.birth_date
    if born is not None and answer is not None and (
            answer == born if link.spec.second_factor == "birth_date" else answer == born.year):
        session.execute(update(SelfReport).where(col(SelfReport.id) == report.id)
                        .values(failed_checks=0))
        return True
    failed = report.failed_checks + 1
    _event(session, link, "check_failed", now, address)
    if failed >= max_checks:
        session.execute(update(SelfReport).where(col(SelfReport.id) == report.id).values(
            failed_checks=0, locked_until=now + lock))
        _event(session, link, "locked", now, address)
        return 0
    session.execute(update(SelfReport).where(col(SelfReport.id) == report.id)
                    .values(failed_checks=SelfReport.failed_checks + 1))
    return max_checks - failed


# -- answers ----------------------------------------------------------------------------

def save_answer(session: Session, link: Link, report: SelfReport, key: str, value: str,
                now: datetime) -> None:
    """Keep one answer (the whole set is rewritten at the version read; a second tab's
    change in between is read again and kept)."""
    for _ in range(3):
        answers = {**(report.answers or {}), key: value}
        changed = session.execute(
            update(SelfReport).where(col(SelfReport.id) == report.id,
                                     col(SelfReport.version) == report.version)
            .values(answers=answers, version=report.version + 1, last_seen_at=now,
                    started_at=report.started_at or now))
        if changed.rowcount == 1:  # type: ignore[attr-defined]
            if report.started_at is None:
                _event(session, link, "started", now, None)
            session.flush()
            session.refresh(report)
            return
        session.refresh(report)
    raise ValidationError({"answer": "The answer could not be kept; please try again."})


def submit(session: Session, link: Link, report: SelfReport, now: datetime,
           today: date) -> None:
    """Complete the visit with the patient's answers (mode self_report)."""
    assert link.assessment is not None
    found = entries(visit_screens(session, link), report.answers or {})
    if not found:
        raise ValidationError({"answers": link.language.ui("nothing_answered")})
    assessment = link.assessment
    set_actor(session, None, "patient self-report by link")
    scores = record_follow_up(session, assessment=assessment, entries=found, mode=MODE,
                              actor_id=None, visit_on=today)
    reasons = [MISSING_REASON] if missing_outcomes(session, assessment, scores) else []
    not_asked = [INSTRUMENTS[code].label for code in measures_at(session, assessment)
                 if code not in patient_measures([code])]
    if not_asked:
        reasons.append(f"{', '.join(not_asked)}: {NOT_ASKED}")
    if reasons:  # why the visit lacks what the protocol asks, in the visit's own words
        assessment.missing_reason = "; ".join(reasons)
        session.add(assessment)
    session.execute(update(SelfReport).where(col(SelfReport.id) == report.id)
                    .values(submitted_at=now, last_seen_at=now))
    _event(session, link, "submitted", now, None)
    session.flush()
    run_rules_on_new_visit(session, assessment, scores)


def progress(all_screens: list[Screen], answers: dict[str, Any]) -> tuple[int, int]:
    from clinic.selfreport.screens import answered

    return answered(all_screens, answers), len(all_screens)
