"""One follow-up entry as the forms and the API submit it: scores, mode, medication and
an adverse event, validated together and stored together (or not at all)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from clinic.audit import set_actor
from clinic.catalog import ADVERSE_EVENT_TYPES, SEVERITIES
from clinic.edits import (
    MIN_REASON_LENGTH,
    REASON_MAX,
    check_read_version,
    claim,
    require_reason,
)
from clinic.enrollment.service import withdrawal_of
from clinic.exceptions import ValidationError
from clinic.followup.medications import (
    DOSE_MAX,
    MedicationInput,
    add_medications,
    confirmed_words,
    dose_warnings,
    medication_errors,
    unconfirmed,
)
from clinic.followup.scores import StoredScore
from clinic.followup.service import measures_at, record_follow_up
from clinic.followup.visit_dates import CONFIRM_ON_FORM, onsets_after, same_day_visits
from clinic.models import Assessment, Patient, Score
from clinic.queries.rules import NEW_VISIT_TRIGGERS, run_rules_on_new_visit
from clinic.queries.service import answer_raised
from clinic.reminders import reconcile_reminders
from clinic.safety.service import FUTURE_DATE, record_adverse_event
from clinic.scheduling.windows import FAR_OUTSIDE_DAYS, days_outside
from clinic.scoring.instruments import INSTRUMENTS, InstrumentKind
from clinic.scoring.opioids import ome_of_visit_list

OUTCOME_KINDS = frozenset({InstrumentKind.SCALE, InstrumentKind.SECTIONS, InstrumentKind.LIKERT})
NOTES_MAX = 2000


@dataclass(frozen=True)
class AdverseEventInput:
    event_type: str
    onset_on: date | None
    severity: str | None
    is_related: bool | None = True  # None: not said (the form has no default)
    notes: str | None = None


@dataclass(frozen=True)
class FollowUpEntry:
    entries: dict[str, Any]
    mode: str
    read_version: int | None
    adverse_event: AdverseEventInput | None = None
    medications: tuple[MedicationInput, ...] = field(default_factory=tuple)
    visit_on: date | None = None  # None: today
    missing_reason: str | None = None  # why a required outcome was not collected
    require_complete: bool = False  # the screens: a missing outcome needs its reason
    # a date before the window or far outside it is confirmed first (screens and API)
    far_date_confirmed: bool = True
    # so is a dose above its drug's labelled maximum (clinic.scoring.analgesics): the
    # doses confirmed, as "drug:total" keys (None: every dose, as the API's flag says)
    doses_confirmed: frozenset[str] | None = None


@dataclass(frozen=True)
class VisitContext:
    """What the visit date is checked against (clinic time zone)."""

    today: date
    timezone: str
    procedure_on: date | None = None  # the index procedure's day (None: not yet)
    is_baseline: bool = False
    # the day of the consent (or, none recorded, the enrollment): no data before it
    consent_on: date | None = None


def check_extras(entry: FollowUpEntry) -> dict[str, str]:
    """Errors in the adverse event and medication parts (pure)."""
    errors: dict[str, str] = {}
    ae = entry.adverse_event
    if ae is not None:
        if ae.event_type not in ADVERSE_EVENT_TYPES:
            errors["ae.event_type"] = "Choose a complication type from the list."
        if ae.onset_on is None:
            errors["ae.onset_on"] = "Enter the date the event began."
        if ae.severity not in SEVERITIES:
            errors["ae.severity"] = "Choose the severity."
        if ae.is_related is None:
            errors["ae.is_related"] = "Say whether the procedure caused it: yes or no."
        if ae.event_type == "other" and not (ae.notes or "").strip():
            errors["ae.notes"] = "Say what happened: 'Other' is not in the list."
    errors |= medication_errors(entry.medications)
    if ae is not None and ae.notes is not None and len(ae.notes) > NOTES_MAX:
        errors["ae.notes"] = f"Keep the notes under {NOTES_MAX} characters."
    return errors


def entry_errors(entry: FollowUpEntry, measured: set[str]) -> dict[str, str]:
    """What a save of ``entry`` would refuse in its values alone (pure: the scores, the
    mode, the adverse event and medication parts), for a form shown again before it is
    sent (a draft kept when another field was refused)."""
    from clinic.followup.scores import parse_mode, score_entries
    from clinic.followup.service import filled_entries

    errors = check_extras(entry)
    for check in (lambda: parse_mode(entry.mode),
                  lambda: score_entries(filled_entries(entry.entries), measured)):
        try:
            check()
        except ValidationError as error:
            errors |= error.errors
    return errors


def save_follow_up(session: Session, *, assessment: Assessment, patient: Patient,
                   entry: FollowUpEntry, actor_id: int | None,
                   context: VisitContext | None = None) -> list[StoredScore]:
    """Everything is checked before anything is kept; the caller commits once."""
    errors = check_extras(entry)
    warnings = dose_warnings(entry.medications)
    errors |= unconfirmed(warnings, entry.doses_confirmed)
    visit_on, collected_at = visit_time(entry, context, errors)
    asked = _date_asked(session, assessment, entry, context, errors)
    if not entry.far_date_confirmed:
        errors |= asked
    ae = entry.adverse_event
    if (ae is not None and ae.onset_on is not None and context is not None
            and ae.onset_on > context.today):
        errors["ae.onset_on"] = FUTURE_DATE  # the adverse event's own form's words
    set_actor(session, actor_id, confirmed_words(warnings))  # the audit says what was
    check_read_version(assessment, entry.read_version)  # a stale form before its errors
    try:
        scores = record_follow_up(session, assessment=assessment, entries=entry.entries,
                                  mode=entry.mode, actor_id=actor_id,
                                  read_version=entry.read_version,
                                  visit_on=visit_on, collected_at=collected_at)
    except ValidationError as error:
        raise ValidationError({**error.errors, **errors}) from error
    errors |= _missing(session, assessment, scores, entry)
    errors |= ome_left_blank(session, assessment, scores, entry.medications)
    if errors:
        raise ValidationError(errors)
    _store_extras(session, assessment, patient, entry)
    run_rules_on_new_visit(session, assessment, scores)
    if asked and entry.far_date_confirmed:
        answer_with_confirmation(session, assessment, actor_id)
    _answer_with_reason(session, assessment, entry, actor_id)
    return scores


CONFIRMED_AT_ENTRY = ("Confirmed at entry: 'The date is right' was ticked for this date, "
                      "which the save had asked about.")
GIVEN_AT_ENTRY = "Given at entry, as why it was not collected: "


def answer_with_confirmation(session: Session, assessment: Assessment,
                             actor_id: int | None) -> None:
    """A visit date the nurse confirmed at entry after the save asked about it: the query
    the rules raised on it in this save (asking her to confirm the date) is answered at
    once with her confirmation, for the monitor to close; it asked again what she had
    just confirmed. The audit's actor and reason stay the save's."""
    answer_raised(session, assessment_id=assessment.id, rules=("out_of_window",),  # type: ignore[arg-type]
                  text=CONFIRMED_AT_ENTRY, actor_id=actor_id)


def _answer_with_reason(session: Session, assessment: Assessment, entry: FollowUpEntry,
                        actor_id: int | None) -> None:
    """The reason typed for what was not collected answers the query the rules raised in
    this save on a questionnaire's unanswered sections (it is why): a reason typed
    beside a computable ODI with a section left blank was dropped without a word, the
    query asking what the nurse had just written."""
    reason = _reason(entry)
    if reason:
        answer_raised(session, assessment_id=assessment.id, rules=("section_missing",),  # type: ignore[arg-type]
                      text=GIVEN_AT_ENTRY + reason, actor_id=actor_id)


def _date_asked(session: Session, assessment: Assessment, entry: FollowUpEntry,
                context: VisitContext | None, errors: dict[str, str]) -> dict[str, str]:
    """What the nurse confirms about the visit's day before it is kept (None: no clinic
    calendar, a script): with the checks of :func:`date_warnings`, the onset of the
    adverse event entered with the visit."""
    if context is None or "visit_on" in errors:
        return {}
    ae = entry.adverse_event
    entered = [(ae.event_type, ae.onset_on)] if (
        ae is not None and ae.onset_on is not None and ae.onset_on <= context.today) else []
    return date_warnings(session, assessment, entry.visit_on or context.today, context.today,
                         entered)


def date_warnings(session: Session, assessment: Assessment, visit_on: date,
                  today: date | None, reported: Sequence[tuple[str, date]] = ()
                  ) -> dict[str, str]:
    """A visit's day that asks "The date is right" first, at entry and at a correction:
    far outside its window or before it opens (:func:`far_outside`), the day of another
    visit of the patient, or before the onset of an adverse event ``reported`` at the
    visit (type and onset: the one entered with it, or those recorded with it). Another
    visit is looked for at a correction (``today`` None), on a day before ``today`` (a
    paper sheet typed in later) or outside the visit's window, not for a visit held
    today inside its window: the windows allow that day, and the patient is there to say
    which visit it is. So an ordinary save reads nothing more for it and stays at the
    statements of tests/followup/test_save_statements.py."""
    asked = (visit_on != today
             or days_outside(visit_on, assessment.window_open, assessment.window_close) != 0)
    said = [*far_outside(assessment, visit_on).values(),
            *(same_day_visits(session, assessment, visit_on) if asked else []),
            *onsets_after(visit_on, reported)]
    return {"date_confirmed": " ".join(said)} if said else {}


def far_outside(assessment: Assessment, visit_on: date) -> dict[str, str]:
    """A date a month or more outside the window is more often a slip (the form starts
    on today's date; a paper sheet typed in weeks later) than a visit that late, and a
    visit before its window opened is more often entered on the wrong visit (a 2-week
    visit the day after the procedure): the nurse confirms it. Confirmed, it is kept and
    counted as a deviation."""
    days = days_outside(visit_on, assessment.window_open, assessment.window_close)
    if -FAR_OUTSIDE_DAYS < days < 0:
        return {"date_confirmed": (
            f"{visit_on:%Y-%m-%d} is {-days} day{'s' if days < -1 else ''} before this "
            f"visit's window opens ({assessment.window_open:%Y-%m-%d} – "
            f"{assessment.window_close:%Y-%m-%d}). Check the date, and that this is the "
            f"right visit; if both are, {CONFIRM_ON_FORM}.")}
    if abs(days) < FAR_OUTSIDE_DAYS:
        return {}
    return {"date_confirmed": (
        f"{visit_on:%Y-%m-%d} is {abs(days)} days {'before' if days < 0 else 'after'} the "
        f"visit's window ({assessment.window_open:%Y-%m-%d} – "
        f"{assessment.window_close:%Y-%m-%d}). Check the date of the visit; if it is "
        f"right, {CONFIRM_ON_FORM}.")}


def visit_time(entry: FollowUpEntry, context: VisitContext | None,
                errors: dict[str, str]) -> tuple[date | None, datetime | None]:
    """The visit day (checked) and the moment stored as completed_at: now for a visit
    today, noon of that day for a paper form entered later."""
    if context is None:
        return entry.visit_on, None
    visit_on = entry.visit_on or context.today
    if visit_on > context.today:
        errors["visit_on"] = "The visit date cannot be in the future."
    elif context.consent_on is not None and visit_on < context.consent_on:
        errors["visit_on"] = (f"The visit date is before the patient's consent "
                              f"({context.consent_on:%Y-%m-%d}): no study data are collected "
                              "before it.")
    elif (not context.is_baseline and context.procedure_on is not None
          and visit_on < context.procedure_on):
        errors["visit_on"] = (f"The visit date is before the procedure "
                              f"({context.procedure_on:%Y-%m-%d}).")
    elif (context.is_baseline and context.procedure_on is not None
          and visit_on > context.procedure_on):
        errors["visit_on"] = (f"The baseline is taken before treatment: the procedure was "
                              f"on {context.procedure_on:%Y-%m-%d}.")
    if visit_on == context.today:
        return visit_on, None
    noon = datetime.combine(visit_on, time(12), tzinfo=ZoneInfo(context.timezone))
    return visit_on, noon.astimezone(UTC)


def missing_outcomes(session: Session, assessment: Assessment,
                     scores: Sequence[Score | StoredScore]) -> list[str]:
    """Outcomes the protocol asks for here that have no value: pain, disability and
    satisfaction not entered, or a questionnaire with too many unanswered sections to
    compute. (Medication quantities are optional: blank means none reported.)"""
    valued = {s.instrument for s in scores if s.value is not None}
    return [code for code in measures_at(session, assessment)
            if INSTRUMENTS[code].kind in OUTCOME_KINDS and code not in valued]


NOTHING_MISSING = ("Nothing above needs a reason: every outcome has its value. Clear this "
                   "box, or leave blank the outcome that was not collected.")


def _reason(entry: FollowUpEntry) -> str:
    return " ".join((entry.missing_reason or "").split())


def _missing(session: Session, assessment: Assessment, scores: Sequence[StoredScore],
             entry: FollowUpEntry) -> dict[str, str]:
    missing = missing_outcomes(session, assessment, scores)
    reason = _reason(entry)
    if missing and entry.require_complete and len(reason) < MIN_REASON_LENGTH:
        short = f" (the reason given is shorter than {MIN_REASON_LENGTH} characters)" \
            if reason else ""
        return {"missing_reason": f"{missing_words(missing, scores)}. Enter it, or say why "
                                  "it was not collected (e.g. 'patient declined the "
                                  f"questionnaire') and save again{short}."}
    if len(reason) > REASON_MAX:
        return {"missing_reason": f"Use at most {REASON_MAX} characters."}
    if missing and reason:
        assessment.missing_reason = reason
        session.add(assessment)
    elif reason:
        return _reason_unkept(assessment, scores, reason)
    return {}


def _reason_unkept(assessment: Assessment, scores: Sequence[StoredScore],
                   reason: str) -> dict[str, str]:
    """A reason typed where every outcome has its value: it answers the query on the
    sections a questionnaire left unanswered (:func:`_answer_with_reason`), or, with none
    to answer, the save is refused rather than drop it without a word."""
    if not NEW_VISIT_TRIGGERS["section_missing"](assessment, scores):
        return {"missing_reason": NOTHING_MISSING}
    if len(reason) < MIN_REASON_LENGTH:
        return {"missing_reason": f"Say why a section was not answered in at least "
                                  f"{MIN_REASON_LENGTH} characters, or clear this box."}
    return {}


def missing_words(missing: Sequence[str], scores: Sequence[Score | StoredScore]) -> str:
    """'Not collected: Pain (VAS)', or, for a questionnaire answered in part, what keeps
    it from a score ('Not complete: Oswestry Disability Index, 2 of 10 sections
    unanswered …'), so that a nurse who typed eight sections is not told it is missing."""
    partial = {s.instrument: s.not_computable_reason for s in scores
               if s.value is None and s.not_computable_reason}
    absent = [INSTRUMENTS[c].label for c in missing if c not in partial]
    parts = [f"Not collected: {', '.join(absent)}"] if absent else []
    parts += [f"Not complete: {INSTRUMENTS[c].label}, {partial[c]}"
              for c in missing if c in partial]
    return ". ".join(parts)


def ome_left_blank(session: Session, assessment: Assessment,
                   scores: Sequence[Score | StoredScore],
                   medications: Sequence[MedicationInput]) -> dict[str, str]:
    """A visit that asks for the OME, left blank (which reads as no opioid) beside the
    opioids it lists: the nurse is given their OME by the CDC 2022 factors to enter
    (nothing is said where the list has an opioid without an oral factor)."""
    if any(s.instrument == "ome" and s.value is not None for s in scores):
        return {}
    opioids = [((m.drug or "").strip(), m.daily_dose_mg) for m in medications
               if m.med_class == "opioid" and 0 < (m.daily_dose_mg or 0) <= DOSE_MAX]
    listed = ome_of_visit_list(opioids) if opioids else None  # type: ignore[arg-type]
    if not listed or "ome" not in measures_at(session, assessment):
        return {}
    named = ", ".join(f"{drug} {dose:g} mg/day" for drug, dose in opioids)
    return {"ome": f"Left blank, but the opioids listed ({named}) give {listed:g} mg/day "
                   "(CDC 2022 factors). Enter the OME, or correct the medications."}


def _store_extras(session: Session, assessment: Assessment, patient: Patient,
                  entry: FollowUpEntry) -> None:
    ae = entry.adverse_event
    if ae is not None and ae.onset_on is not None and ae.severity is not None:
        try:
            record_adverse_event(session, patient=patient, event_type=ae.event_type,
                                 onset_on=ae.onset_on, severity=ae.severity,
                                 is_related=bool(ae.is_related), assessment_id=assessment.id,
                                 procedure_id=assessment.procedure_id, notes=ae.notes)
        except ValidationError as error:  # named as the form names them, to be shown there
            raise ValidationError({f"ae.{field}": message
                                   for field, message in error.errors.items()}) from error
    add_medications(session, assessment, entry.medications)
    session.flush()


def reopen_follow_up(session: Session, *, assessment: Assessment, read_version: int | None,
                     reason: str | None, actor_id: int | None, today: date) -> Assessment:
    """A follow-up marked not done becomes pending again (the patient called back, or it
    was marked not done by mistake); the reason and the old state stay in the audit
    trail. After its window closed too: a visit that took place (a paper sheet found
    later) is entered with its own date, and one outside the window is confirmed and
    counted as a deviation (``far_outside``)."""
    if assessment.state != "not_done":
        raise ValidationError({"assessment": "This follow-up is open already (it was reopened "
                                             "since the page was loaded): enter it from the "
                                             "worklist." if assessment.state == "pending" else
                                             "This follow-up was recorded since the page was "
                                             "loaded: there is nothing to reopen."})
    withdrawn = withdrawal_of(session, assessment.patient_id)  # type: ignore[arg-type]
    if withdrawn is not None:
        raise ValidationError({"assessment": f"The patient withdrew from the study ({withdrawn})"
                                             ": a visit is not reopened after a withdrawal, so "
                                             "that nobody calls or writes to the patient."})
    text = require_reason(reason)
    set_actor(session, actor_id, text)
    claim(session, assessment, read_version)
    assessment.state = "pending"
    assessment.not_done_reason = None
    assessment.completed_by_id = None
    session.add(assessment)
    session.flush()
    reconcile_reminders(session, [assessment.id])
    return assessment


def skip_follow_up(session: Session, *, assessment: Assessment, read_version: int | None,
                   reason: str, actor_id: int | None,
                   today: date | None = None) -> Assessment:
    """Mark a follow-up not done, with its reason (kept in the audit trail too); given the
    clinic's ``today``, not before its window opens (a 6-month visit was marked not done
    five months early, found trying the screens as a new user would)."""
    from clinic.followup.service import mark_not_done

    set_actor(session, actor_id, reason.strip() or None)
    check_read_version(assessment, read_version)  # a stale form before a missing reason
    if today is not None and assessment.state == "pending" and today < assessment.window_open:
        raise ValidationError({"not_done_reason": (
            f"This visit's window opens on {assessment.window_open.isoformat()}: mark it not "
            "done once it is due. A patient who leaves the study is withdrawn on the "
            "patient's page.")})
    return mark_not_done(session, assessment=assessment, reason=reason, actor_id=actor_id,
                         read_version=read_version)
