"""Printable follow-up sheets: blank per timepoint of a study, filled per visit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlmodel import select

from clinic import catalog
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.followup.editing import recorded_entries, scores_of
from clinic.followup.medications import medications_of
from clinic.followup.service import measures_at
from clinic.models import (
    AdverseEvent,
    PatientIdentity,
    Study,
    StudyMeasure,
    StudyTimepoint,
    User,
)
from clinic.protocol.measures import MeasureRule, instruments_at
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind
from clinic.selfreport.wording import DEFAULT_LANGUAGE, wording
from clinic.studies.setup import timepoints
from clinic.web.access import ENTERS_FOLLOW_UPS, assessment_or_404, sees_identity, study_or_404
from clinic.web.downloads import attachment

bp = Blueprint("sheets", __name__)
BUILDS_STUDIES = ("coordinator", "admin")


def _pdf(content: bytes, name: str) -> Response:
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": attachment(name), "Cache-Control": "no-store"})


def _study(code: str) -> Study:
    """The study; a draft's sheets only for those who build it (a preview, marked so:
    nobody collects data on a protocol that may still change)."""
    study = study_or_404(get_session(), code)
    if study.status == "planning" and current_user.role not in BUILDS_STUDIES:
        abort(404, f"{study.code} is a draft: its sheets are printed once it is activated.")
    return study


@bp.route("/studies/<code>/sheets")
@allow(*ENTERS_FOLLOW_UPS)
def index(code: str) -> str:
    study = _study(code)
    return render_template("sheets/index.html", study=study,
                           timepoints=timepoints(get_session(), study.id),  # type: ignore[arg-type]
                           languages=catalog.LANGUAGES)


def _words(language: str | None) -> Any:
    """The patient's part of a sheet in ``language`` (English when unknown or None)."""
    from clinic.sheets.followup_sheet import PatientWords  # ReportLab

    return PatientWords(wording(language))


@bp.route("/studies/<code>/sheets/<timepoint>.pdf")
@allow(*ENTERS_FOLLOW_UPS)
def blank(code: str, timepoint: str) -> Response:
    """Every measure the protocol asks at this timepoint (in any stratum)."""
    from clinic.sheets.followup_sheet import SheetHeader, followup_sheet_pdf  # ReportLab
    session = get_session()
    study = _study(code)
    tp = session.exec(select(StudyTimepoint).where(StudyTimepoint.study_id == study.id,
                                                   StudyTimepoint.code == timepoint)).first()
    if tp is None:
        abort(404)
    rules = [MeasureRule(m.instrument, m.timepoint_codes, None, None) for m in session.exec(
        select(StudyMeasure).where(StudyMeasure.study_id == study.id)
        .order_by(StudyMeasure.position))]
    codes = instruments_at(rules, tp.code, None, None)
    header = SheetHeader(study=f"{study.code} · {study.title}", timepoint=tp.label,
                         synthetic=study.is_synthetic, draft=study.status == "planning")
    language = request.args.get("language")
    if language is not None and language not in catalog.LANGUAGES:
        abort(404, f"No sheets in {language[:10]!r}: "
                   f"{', '.join(catalog.LANGUAGES.values())}.")
    suffix = f"_{language}" if language and language != DEFAULT_LANGUAGE else ""
    return _pdf(followup_sheet_pdf(header, [INSTRUMENTS[c] for c in codes],
                                   words=_words(language)),
                f"{study.code.lower()}_{tp.code}_sheet{suffix}.pdf")


@bp.route("/followup/<int:assessment_id>/sheet.pdf")
@allow(*ENTERS_FOLLOW_UPS)
def filled(assessment_id: int) -> Response:
    """The visit's sheet: what is recorded, or blank fields while it is pending."""
    from clinic.sheets.followup_sheet import SheetHeader, followup_sheet_pdf  # ReportLab
    session = get_session()
    assessment, patient = assessment_or_404(session, assessment_id)
    tp = session.get(StudyTimepoint, assessment.timepoint_id)
    study = session.get(Study, patient.study_id)
    assert tp is not None and study is not None
    name = ""
    if sees_identity():
        identity = session.exec(select(PatientIdentity).where(
            PatientIdentity.patient_id == patient.id)).first()
        name = identity.name if identity else ""
    done = assessment.state == "completed"
    recorded = recorded_entries(session, assessment) if done else {}
    collector = session.get(User, assessment.completed_by_id) if (
        done and assessment.completed_by_id) else None
    header = SheetHeader(
        study=f"{study.code} · {study.title}", timepoint=tp.label,
        window=f"{assessment.window_open.isoformat()} – {assessment.window_close.isoformat()}"
               f" (target {assessment.target_date.isoformat()})",
        study_code=patient.study_code, name=name,
        visit_on=assessment.visit_on.isoformat() if assessment.visit_on else "",
        mode=catalog.COLLECTION_MODES.get(assessment.mode or "", ""),
        synthetic=study.is_synthetic, collected_by=collector.name if collector else "",
        missing_reason=(assessment.missing_reason or "") if done else "")
    codes = measures_at(session, assessment)
    totals = _totals(session, assessment) if done else {}
    language = session.exec(select(PatientIdentity.language).where(  # not an identifier
        PatientIdentity.patient_id == patient.id)).first()
    medications = [f"{m.drug} {m.daily_dose_mg:g} mg/day "
                   f"({catalog.MEDICATION_CLASSES.get(m.med_class, m.med_class)})"
                   for m in medications_of(session, assessment)] if done else []
    events = _adverse_events(session, assessment) if done else None
    return _pdf(followup_sheet_pdf(header, [INSTRUMENTS[c] for c in codes], recorded, totals,
                                   words=_words(language), medications=medications,
                                   adverse_events=events),
                f"{patient.study_code}_{tp.code}_sheet.pdf")


def _adverse_events(session: Any, assessment: Any) -> list[str]:
    """The adverse events recorded at the visit, in words, oldest first."""
    rows = session.exec(select(AdverseEvent).where(AdverseEvent.assessment_id == assessment.id)
                        .order_by(AdverseEvent.id)).all()
    return [", ".join(filter(None, (
        catalog.ADVERSE_EVENT_TYPES.get(e.event_type, e.event_type)
        + (f" ({e.notes})" if e.notes else ""), f"onset {e.onset_on.isoformat()}",
        catalog.SEVERITIES.get(e.severity, e.severity),
        "related to the procedure" if e.is_related else "not related to the procedure")))
        for e in rows]


def _totals(session: Any, assessment: Any) -> dict[str, str]:
    """The ODI's or NDI's total as recorded, with the sections it is computed from
    where one was left unanswered, or why it could not be computed."""
    totals = {}
    for score in scores_of(session, assessment):
        instrument = INSTRUMENTS[score.instrument]
        if instrument.kind is not InstrumentKind.SECTIONS:
            continue
        if score.value is None:
            totals[score.instrument] = f"not computable ({score.not_computable_reason})"
            continue
        sections = len(instrument.sections)
        answered = score.answered if score.answered is not None else sections
        totals[score.instrument] = f"{score.value:g} %" + (
            f" (from {answered} of {sections} sections: {sections - answered} unanswered)"
            if answered < sections else "")
    return totals
