"""What the staff see of self-report: per visit (sent, opened, started, locked) and per
study (the completion dashboard). Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from clinic.models import (
    Assessment,
    Patient,
    PatientIdentity,
    SelfReport,
    SelfReportEvent,
    SelfReportMessage,
    Site,
    StudyTimepoint,
)
from clinic.models.base import utcnow
from clinic.selfreport.ladder import LadderSpec, call_on, ladder, step_label


@dataclass(frozen=True)
class SentMessage:
    step: int
    state: str
    send_on: date
    sent_at: datetime | None
    opened_at: datetime | None
    note: str | None
    last_error: str | None
    name: str | None = None  # as sent: "invitation", "reminder 1" (see _label)

    @property
    def label(self) -> str:
        return self.name or f"{step_label(self.step)} (not sent)"


@dataclass
class VisitLink:
    """One visit's self-report story, in the order it happened."""

    assessment_id: int
    messages: list[SentMessage] = field(default_factory=list)
    opened_at: datetime | None = None
    started_at: datetime | None = None
    submitted_at: datetime | None = None
    failed_checks: int = 0
    wrong_birth_dates: int = 0
    refused_opens: int = 0  # the link opened when it could not be answered (locked, closed)
    locked_until: datetime | None = None
    planned: list[tuple[int, date]] = field(default_factory=list)  # steps still to come
    call_from: date | None = None

    @property
    def locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > utcnow()

    @property
    def invited(self) -> bool:
        return any(m.state == "sent" for m in self.messages)

    @property
    def undelivered(self) -> list[SentMessage]:
        return [m for m in self.messages if m.state in ("failed", "unknown")]

    def needs_call(self, today: date) -> bool:
        return (self.submitted_at is None and self.call_from is not None
                and today >= self.call_from)


def visit_links(session: Session, assessments: Sequence[Assessment],
                specs: dict[int, LadderSpec], study_of: dict[int, int],
                today: date) -> dict[int, VisitLink]:
    """The self-report state of these visits: those of self-report studies, and any other
    visit a message was planned or sent for (a study that switched self-report off by
    amendment keeps showing what it sent; it plans nothing more)."""
    ids = [a.id for a in assessments if a.id is not None and study_of.get(a.id) in specs]
    out = {i: VisitLink(i) for i in ids}
    others = [a.id for a in assessments if a.id is not None and a.id not in out]
    if others:
        out |= {i: VisitLink(i) for i in session.exec(
            select(SelfReportMessage.assessment_id).where(
                col(SelfReportMessage.assessment_id).in_(others)).distinct())}
        ids = list(out)
    if not ids:
        return out
    consenting = set(session.exec(
        select(PatientIdentity.patient_id).where(
            col(PatientIdentity.patient_id).in_({a.patient_id for a in assessments}),
            col(PatientIdentity.self_report_consent).is_(True))).all())
    for m in session.exec(select(SelfReportMessage).where(
            col(SelfReportMessage.assessment_id).in_(ids)).order_by(SelfReportMessage.step)):
        out[m.assessment_id].messages.append(SentMessage(
            m.step, m.state, m.send_on, m.sent_at, m.opened_at, m.note, m.last_error))
    for r in session.exec(select(SelfReport).where(col(SelfReport.assessment_id).in_(ids))):
        link = out[r.assessment_id]
        link.opened_at, link.started_at, link.submitted_at = (r.opened_at, r.started_at,
                                                              r.submitted_at)
        link.failed_checks, link.locked_until = r.failed_checks, r.locked_until
    for assessment_id, kind, n in session.exec(
            select(SelfReportEvent.assessment_id, SelfReportEvent.kind,
                   func.count(col(SelfReportEvent.id)))
            .where(col(SelfReportEvent.assessment_id).in_(ids),
                   col(SelfReportEvent.kind).in_(("check_failed", "refused")))
            .group_by(SelfReportEvent.assessment_id, SelfReportEvent.kind)).all():
        if kind == "check_failed":
            out[assessment_id].wrong_birth_dates = int(n)
        else:
            out[assessment_id].refused_opens = int(n)
    for a in assessments:
        link = out.get(a.id)  # type: ignore[arg-type]
        if (link is None or a.state != "pending" or a.patient_id not in consenting
                or study_of.get(a.id) not in specs):  # type: ignore[arg-type]
            continue  # no ladder runs for a patient who did not consent, or in a study
            # that sends no more links
        spec = specs[study_of[a.id]]  # type: ignore[index]
        have = {m.step for m in link.messages}
        last = max(have, default=-1)
        waiting = sorted((m.step, max(m.send_on, today)) for m in link.messages
                         if m.state == "pending")  # planned already: it goes on its day
        link.planned = waiting + [(s, d) for s, d in ladder(a.window_open, a.window_close,
                                                            spec) if s > last and d >= today]
        link.call_from = call_on(a.window_open, a.window_close, spec)  # a link sent
        # late does not move it: the days left in the window are the nurse's
    _label(out)
    return out


def _label(links: dict[int, VisitLink]) -> None:
    """Name the e-mails as the patient got them: the first sent is the invitation."""
    for link in links.values():
        n = 0
        for i, m in enumerate(link.messages):
            if m.state == "sent":
                link.messages[i] = replace(m, name="invitation" if n == 0 else f"reminder {n}")
                n += 1


# -- the completion dashboard -----------------------------------------------------------

COLUMNS = ("visits", "invited", "opened", "started", "by_patient", "by_staff", "not_done",
           "missed", "open")
COLUMN_LABELS = {
    "visits": "Visits due so far", "invited": "Invited (link e-mailed)",
    "opened": "Opened the link", "started": "Started answering",
    "by_patient": "Completed by the patient", "by_staff": "Completed by staff",
    "not_done": "Not done", "missed": "Missed (window closed)", "open": "Still open",
}


@dataclass(frozen=True)
class DashboardRow:
    site: str
    timepoint: str
    position: int
    counts: dict[str, int]


def dashboard(session: Session, study_id: int, today: date,
              site_id: int | None = None) -> list[DashboardRow]:
    """Per site and timepoint: visits whose window has opened, and what became of them."""
    invited = (select(SelfReportMessage.assessment_id).where(SelfReportMessage.state == "sent")
               .group_by(SelfReportMessage.assessment_id).subquery())
    flag = {
        "invited": invited.c.assessment_id.is_not(None),
        "opened": col(SelfReport.opened_at).is_not(None),
        "started": col(SelfReport.started_at).is_not(None),
        "by_patient": (Assessment.state == "completed") & (Assessment.mode == "self_report"),
        "by_staff": (Assessment.state == "completed")
        & ((Assessment.mode != "self_report") | col(Assessment.mode).is_(None)),
        "not_done": Assessment.state == "not_done",
        "missed": (Assessment.state == "pending") & (Assessment.window_close < today),
        "open": (Assessment.state == "pending") & (Assessment.window_close >= today),
    }
    sums = [func.sum(case((condition, 1), else_=0)).label(name)
            for name, condition in flag.items()]
    query = (select(Site.code, StudyTimepoint.label, StudyTimepoint.position,
                    func.count(col(Assessment.id)).label("visits"), *sums)
             .join(Patient, col(Patient.id) == Assessment.patient_id)
             .join(Site, col(Site.id) == Patient.site_id)
             .join(StudyTimepoint, col(StudyTimepoint.id) == Assessment.timepoint_id)
             .outerjoin(invited, invited.c.assessment_id == Assessment.id)
             .outerjoin(SelfReport, col(SelfReport.assessment_id) == Assessment.id)
             .where(Patient.study_id == study_id, col(StudyTimepoint.is_baseline).is_(False),
                    Assessment.window_open <= today)
             .group_by(Site.code, StudyTimepoint.label, StudyTimepoint.position)
             .order_by(Site.code, StudyTimepoint.position))
    if site_id is not None:
        query = query.where(Patient.site_id == site_id)
    return [DashboardRow(r[0], r[1], int(r[2]),
                         {name: int(r[3 + i] or 0) for i, name in enumerate(COLUMNS)})
            for r in session.exec(query).all()]


def totals(rows: list[DashboardRow]) -> dict[str, int]:
    return {name: sum(r.counts[name] for r in rows) for name in COLUMNS}


MESSAGE_STATES = {"sent": "sent", "failed": "not delivered", "unknown": "delivery unknown",
                  "pending": "waiting to be sent", "sending": "being sent",
                  "cancelled": "not sent (visit recorded, stopped or re-planned)"}


def channel_counts(session: Session, study_id: int, site_id: int | None = None
                   ) -> dict[str, int]:
    """E-mails by what became of them (the channel is e-mail)."""
    query = (select(SelfReportMessage.state, func.count(col(SelfReportMessage.id)))
             .join(Assessment, col(Assessment.id) == SelfReportMessage.assessment_id)
             .join(Patient, col(Patient.id) == Assessment.patient_id)
             .where(Patient.study_id == study_id)
             .group_by(SelfReportMessage.state))
    if site_id is not None:
        query = query.where(Patient.site_id == site_id)
    return {MESSAGE_STATES.get(state, state): int(n)
            for state, n in session.exec(query).all()}


def worklist_notes(session: Session, assessment_ids: Sequence[int],
                   today: date) -> dict[int, tuple[str, bool]]:
    """Per worklist visit of a self-report study: a short note, and whether to call now."""
    from clinic.selfreport.planning import ladder_specs

    specs = ladder_specs(session)
    if not specs or not assessment_ids:
        return {}
    pairs = session.exec(select(Assessment, Patient.study_id)
                         .join(Patient, col(Patient.id) == Assessment.patient_id)
                         .where(col(Assessment.id).in_(list(assessment_ids)))).all()
    links = visit_links(session, [a for a, _ in pairs], specs,
                        {a.id: s for a, s in pairs}, today)  # type: ignore[misc]
    return {i: note for i, link in links.items() if (note := _note(link, today))}


def _note(link: VisitLink, today: date) -> tuple[str, bool] | None:
    if link.undelivered:
        return "Link e-mail not delivered: call the patient", True
    if link.needs_call(today) and link.invited:
        first = min(m.sent_at for m in link.messages if m.sent_at).date()
        if link.call_from is not None and first >= link.call_from:
            return (f"Link first sent {first.isoformat()} (the call day was "
                    f"{link.call_from.isoformat()}): call the patient"), True
        return "No answer to the link: call the patient", True
    if link.needs_call(today) and not link.planned:  # no address, no consent, not sent
        return "No link was e-mailed: call the patient", True
    if link.invited:
        sent = max(m.sent_at for m in link.messages if m.sent_at)
        seen = ("; started" if link.started_at else "; opened" if link.opened_at
                else "; not opened yet")
        until = f" (call from {link.call_from.isoformat()})" if link.call_from else ""
        return f"Link sent {sent.date().isoformat()}{seen}{until}", False
    if link.planned:
        return f"Link planned for {link.planned[0][1].isoformat()}", False
    return None
