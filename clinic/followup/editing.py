"""Correct the scores of a recorded follow-up: a reason, the version read, audited."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.edits import MIN_REASON_LENGTH, REASON_MAX, claim, require_reason
from clinic.exceptions import ValidationError
from clinic.followup.medications import (
    MedicationInput,
    confirmed_words,
    dose_warnings,
    medication_errors,
    medications_of,
    replace_medications,
    same_medications,
    unconfirmed,
)
from clinic.followup.scores import ScoredValue, parse_mode, score_entries
from clinic.followup.service import _blank, measures_at
from clinic.followup.visit_dates import recorded_onsets
from clinic.models import Assessment, DataQuery, Score, ScoreSection
from clinic.models.base import utcnow
from clinic.queries.rules import run_rules_on_save
from clinic.queries.service import answer_on_value, answer_raised
from clinic.scoring.instruments import INSTRUMENTS
from clinic.scoring.opioids import ome_disagrees, ome_of_visit_list

if TYPE_CHECKING:
    from clinic.followup.entry import VisitContext


def recorded_entries(session: Session, assessment: Assessment) -> dict[str, Any]:
    """The stored scores as form values: numbers, Likert codes, section dicts."""
    from clinic.scoring.instruments import InstrumentKind
    from clinic.scoring.likert import Satisfaction

    values: dict[str, Any] = {}
    for score in scores_of(session, assessment):
        instrument = INSTRUMENTS[score.instrument]
        if instrument.kind is InstrumentKind.SECTIONS:
            stored = {s.section: s.value for s in sections_of(session, score)}
            values[score.instrument] = {sec.code: stored.get(i + 1)
                                        for i, sec in enumerate(instrument.sections)}
        elif instrument.kind is InstrumentKind.LIKERT and score.value is not None:
            values[score.instrument] = Satisfaction.from_score(int(score.value)).value
        elif score.value is not None:
            value = score.value
            values[score.instrument] = int(value) if value == int(value) else value
    return values


def scores_of(session: Session, assessment: Assessment) -> list[Score]:
    return list(session.exec(select(Score).where(Score.assessment_id == assessment.id)
                             .order_by(Score.id)).all())


def sections_of(session: Session, score: Score) -> list[ScoreSection]:
    return list(session.exec(select(ScoreSection).where(ScoreSection.score_id == score.id)
                             .order_by(ScoreSection.section)).all())


def edit_follow_up(session: Session, *, assessment: Assessment, read_version: int | None,
                   entries: dict[str, Any], mode: str, reason: str | None,
                   actor_id: int | None, missing_reason: str | None = None,
                   visit_on: date | None = None,
                   context: VisitContext | None = None,
                   medications: Sequence[MedicationInput] | None = None,
                   doses_confirmed: Collection[str] | None = None,
                   date_confirmed: bool | None = None) -> list[DataQuery]:
    """Replace the recorded scores with ``entries``; blank instruments are removed.
    ``medications`` (None: as recorded) replace the analgesics recorded at the visit; a
    dose above its drug's labelled maximum, new or changed, is confirmed first
    (``doses_confirmed``: the "drug:total" keys confirmed; None: every one), as at entry.
    Medications changed so that the OME and the listed opioids agree answer the open
    query of the OME rule on the visit's OME.

    An outcome the correction removes needs the reason it was not collected, as at entry
    (``missing_reason``, or the one kept with the visit); a given reason is kept while an
    outcome is missing; once every outcome is there, the visit's reason is cleared.

    ``visit_on`` (None: as recorded) corrects the day of the visit, checked as at entry
    against ``context`` (not in the future, a follow-up not before the procedure, a
    baseline not after it); a day before the window opens, a month or more after it
    closes, the day of another visit of the patient or one before the onset of an
    adverse event reported at the visit is confirmed first (``date_confirmed``: False
    asks, True is the confirmation, None asks nothing: a script), as at entry, and the
    query the rules then raise on the day is answered with the confirmation. The visit's
    and its scores' moment move to that day. The open data queries on what the
    correction changed (the visit's date, a score's value) are answered by it
    (returned)."""
    if assessment.state != "completed":
        raise ValidationError({"assessment": "Only a completed follow-up can be corrected."})
    errors: dict[str, str] = {}  # the reason's and the values' problems named together
    try:
        text = require_reason(reason)
    except ValidationError as error:
        errors |= error.errors
    moment = _corrected_day(assessment, visit_on, context, errors)
    asked = _day_asked(session, assessment, visit_on, context, errors) if moment else {}
    if date_confirmed is False:
        errors |= asked
    try:
        mode = parse_mode(mode)
    except ValidationError as error:
        errors |= error.errors
    errors |= medication_errors(medications or ())
    meds_before = medications_of(session, assessment) if medications is not None else []
    warnings = dose_warnings(medications, meds_before) if medications is not None else []
    errors |= unconfirmed(warnings, doses_confirmed)
    entries = {k: v for k, v in entries.items() if not _blank(v)}
    scored: dict[str, ScoredValue] = {}
    if not entries:
        errors["entries"] = ("Keep at least one score: a recorded visit is not emptied; "
                             "correct the values that are wrong, with the reason.")
    else:
        try:
            scored = {s.instrument: s for s in score_entries(
                entries, set(measures_at(session, assessment)))}
        except ValidationError as error:
            errors |= error.errors
    if errors:
        raise ValidationError(errors)
    set_actor(session, actor_id, _with_confirmation(text, confirmed_words(warnings)))
    claim(session, assessment, read_version)
    if moment is not None:
        assessment.visit_on, assessment.completed_at = visit_on, moment
    existing = {s.instrument: s for s in scores_of(session, assessment)}
    values_before = {code: (score.value, score.answered) for code, score in existing.items()}
    missing_before = set(_missing_outcomes(session, assessment, list(existing.values())))
    for code, score in existing.items():
        if code not in scored:
            session.delete(score)
    for code, value in scored.items():
        _apply(session, assessment, existing.get(code), value, mode, actor_id)
        if moment is not None and code in existing:  # (a new one took the visit's moment)
            existing[code].collected_at = moment
    assessment.mode = mode
    meds_changed = medications is not None and not same_medications(meds_before, medications)
    if meds_changed or ("ome" in existing and "ome" not in scored):
        _check_ome_given(session, assessment, list(scored.values()), medications)
    if medications is not None:  # (it changes the rows of meds_before in place)
        replace_medications(session, assessment, medications)
    session.flush()
    _missing_reason(session, assessment, missing_reason, missing_before)
    session.add(assessment)
    session.flush()
    answered = [] if moment is None else answer_on_value(  # the queries asked before it:
        session, table="assessment", row_id=assessment.id,  # type: ignore[arg-type]
        field="visit_on", reason=text, actor_id=actor_id)  # then the rules ask the new day
    for code, score in existing.items():  # a score corrected answers the queries on it,
        # its sections too (a section added to an incomplete ODI, the same total: the
        # query on its missing sections was left open)
        if code in scored and (score.value, score.answered) != values_before[code]:
            answered += answer_on_value(session, table="score", row_id=score.id,  # type: ignore[arg-type]
                                        field="value", reason=text, actor_id=actor_id)
    if (meds_changed and "ome" in scored and "ome" in existing  # the OME rule's question,
            and _ome_agrees(existing["ome"].value, medications)):  # once they agree
        answered += answer_on_value(session, table="score", row_id=existing["ome"].id,  # type: ignore[arg-type]
                                    field="value", reason=text, actor_id=actor_id,
                                    rule="ome_mismatch")
    run_rules_on_save(session, assessment.patient_id, "visit")
    if asked and date_confirmed:  # the rules ask what the nurse has just confirmed
        answer_raised(session, assessment_id=assessment.id, rules=("out_of_window",),  # type: ignore[arg-type]
                      text=CONFIRMED_AT_CORRECTION, actor_id=actor_id)
    return answered


CONFIRMED_AT_CORRECTION = ("Confirmed at the correction: 'The date is right' was ticked "
                           "for this date, which the correction had asked about.")


def _check_ome_given(session: Session, assessment: Assessment, scored: list[ScoredValue],
                     medications: Sequence[MedicationInput] | None) -> None:
    """As at entry: an OME the visit asks for is not left blank beside the opioids it
    lists (checked when the correction changes the list or removes the OME; a visit
    recorded so before is not refused a correction of its other values)."""
    from clinic.followup.entry import ome_left_blank

    listed = medications if medications is not None else medications_of(session, assessment)
    blank = ome_left_blank(session, assessment, scored, listed)  # type: ignore[arg-type]
    if blank:
        raise ValidationError(blank)


def _ome_agrees(recorded: float | None, medications: Sequence[MedicationInput] | None) -> bool:
    """The OME now read as the listed opioids give it (a correction that leaves the two
    apart, or further apart, does not answer the query that asks about them)."""
    listed = ome_of_visit_list([(m.drug or "", m.daily_dose_mg or 0.0)
                                for m in medications or () if m.med_class == "opioid"])
    return recorded is not None and listed is not None and not ome_disagrees(recorded, listed)


def _with_confirmation(reason: str, confirmed: str | None) -> str:
    """The correction's reason, and what was confirmed with it, in the audit's column."""
    return reason if confirmed is None else f"{reason}. {confirmed}"


def _corrected_day(assessment: Assessment, visit_on: date | None,
                   context: VisitContext | None, errors: dict[str, str]) -> datetime | None:
    """The moment the visit moves to (as at entry: noon of an earlier day in the clinic's
    time zone, now for today), or None when its day stays as recorded. A day that would
    not do at entry is an error on ``visit_on``."""
    if visit_on is None or visit_on == assessment.visit_on:
        return None
    if context is None:  # no clinic calendar to check against (a script)
        return datetime.combine(visit_on, time(12), tzinfo=UTC)
    from clinic.followup.entry import FollowUpEntry, visit_time

    asked = FollowUpEntry(entries={}, mode="", read_version=None, visit_on=visit_on)
    _, moment = visit_time(asked, context, errors)
    return moment or utcnow()


def _day_asked(session: Session, assessment: Assessment, visit_on: date | None,
               context: VisitContext | None, errors: dict[str, str]) -> dict[str, str]:
    """What entry asks to confirm about the new day (far outside the window or before
    it opens, another visit's day, before an adverse event's onset), on
    ``date_confirmed``; nothing without a clinic calendar or for a day refused."""
    if visit_on is None or context is None or "visit_on" in errors:
        return {}
    from clinic.followup.entry import date_warnings

    reported = recorded_onsets(session, assessment, visit_on)
    return date_warnings(session, assessment, visit_on, None, reported)  # (None: looked for)


def _missing_outcomes(session: Session, assessment: Assessment, scores: list[Score]) -> list[str]:
    from clinic.followup.entry import missing_outcomes  # (entry imports this module's peers)

    return missing_outcomes(session, assessment, scores)


def _missing_reason(session: Session, assessment: Assessment, given: str | None,
                    missing_before: set[str]) -> None:
    from clinic.followup.entry import missing_words

    scores = scores_of(session, assessment)
    missing = _missing_outcomes(session, assessment, scores)
    text = " ".join((given or "").split()) or assessment.missing_reason
    removed = [code for code in missing if code not in missing_before]
    if not missing:
        assessment.missing_reason = None
    elif not text and not removed:
        return  # missing before this correction, with no reason then either
    elif len(text or "") < MIN_REASON_LENGTH:
        words = missing_words(removed or missing, scores)
        raise ValidationError({"missing_reason": f"{words}. Say why it was not collected, "
                                                 "or enter it."})
    elif len(text) > REASON_MAX:  # type: ignore[arg-type]
        raise ValidationError({"missing_reason": f"Use at most {REASON_MAX} characters."})
    else:
        assessment.missing_reason = text


def _apply(session: Session, assessment: Assessment, score: Score | None, s: ScoredValue,
           mode: str, actor_id: int | None) -> None:
    if score is None:
        score = Score(assessment_id=assessment.id, instrument=s.instrument, mode=mode,  # type: ignore[arg-type]
                      collected_by_id=actor_id, collected_at=assessment.completed_at)
    score.value, score.raw_sum, score.answered = s.value, s.raw_sum, s.answered
    score.not_computable_reason, score.mode = s.reason, mode
    session.add(score)
    session.flush()
    stored = {row.section: row for row in sections_of(session, score)}
    for section, row in stored.items():
        if section not in s.sections:
            session.delete(row)
    for section, value in s.sections.items():
        row = stored.get(section) or ScoreSection(score_id=score.id, section=section, value=value)  # type: ignore[arg-type]
        row.value = value
        session.add(row)
