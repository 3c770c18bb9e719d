"""Screening and enrollment: the eligibility checklist, baseline data, concealed allocation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic import catalog
from clinic.audit import set_actor
from clinic.auth.roles import allow
from clinic.db import get_session, retry_on_race
from clinic.enrollment.exceptions import SequenceExhausted
from clinic.enrollment.randomization import has_sequence
from clinic.enrollment.service import (
    NOT_ASKED,
    check_open,
    check_screening_inputs,
    fails_a_criterion,
    screen,
    screen_and_enroll,
)
from clinic.exceptions import ValidationError
from clinic.models import StudyArm
from clinic.protocol.definition import strata_from_json
from clinic.studies.setup import criteria, study_roots
from clinic.web.access import ENTERS_FOLLOW_UPS, all_sites, own_site_id, study_or_404
from clinic.web.drafts import with_draft
from clinic.web.enroll_form import (
    answers_from_form,
    consent_from_form,
    enrolled_on_from_form,
    factors_from_form,
    identity_from_form,
    patient_from_form,
)
from clinic.web.filters import clinic_today
from clinic.web.forms import form_int
from clinic.web.identity import warn_about_contact
from clinic.web.locks import ENROLMENT, study_lock_notice

bp = Blueprint("enroll", __name__)


@bp.route("/studies/<code>/enroll", methods=["GET", "POST"])
@allow(*ENTERS_FOLLOW_UPS)
def new(code: str) -> Any:
    session = get_session()
    study = study_or_404(session, code)
    try:
        check_open(study)  # a draft, or a study closed to enrollment: no form to fill in
        _check_sequence(session, study)
    except ValidationError as error:
        flash(error.errors["study"], "error")
        return redirect(url_for("web.home"))
    checklist = criteria(session, study.id)  # type: ignore[arg-type]
    rules = strata_from_json(study.strata_rules or [])
    factors = [f.name for f in rules]
    # A factor whose bins are single values (1 = cervical, 2 = lumbar) is a choice of
    # its bins; one with ranges (1–2 punctures) is a number.
    factor_choices = {f.name: [(str(b.low), b.code.replace("_", " ")) for b in f.bins]
                      for f in rules if all(b.low == b.high for b in f.bins)}
    factor_hints = {f.name: ", ".join(_bin_words(f.name, b) for b in f.bins) for f in rules}
    errors: dict[str, str] = {}
    if request.method == "POST":  # while the study is locked, refused by the guard (423)
        outcome = _submit(study, [c.code for c in checklist], factors, errors)
        if outcome is not None and not isinstance(outcome, list):
            return outcome
        if outcome:  # a screen failure, recorded: said on an empty form, which a reload
            flash(screen_failure_words(outcome), "error")  # or a second click does not
            return redirect(url_for("enroll.new", code=study.code), code=303)  # record again
    body = render_template("enroll/new.html", study=study, checklist=checklist,
                           roots=study_roots(study),
                           factors=factors, factor_choices=factor_choices,
                           factor_hints=factor_hints,
                           values=with_draft(request.form), errors=errors,
                           lock=study_lock_notice(session, study, ENROLMENT),
                           sites=all_sites(session), own_site=own_site_id(),
                           today=clinic_today(), catalog=catalog)
    return body, 422 if errors else 200


def screen_failure_words(problems: list[str]) -> str:
    """What the coordinator is told once a screen failure is recorded (pure): each
    criterion on a line of its own, the failing ones apart from those not asked."""
    failing = [p for p in problems if not p.endswith(NOT_ASKED)]
    not_asked = [p.removesuffix(NOT_ASKED) for p in problems if p.endswith(NOT_ASKED)]
    words = ["Not eligible: the candidate was not enrolled, and the screening is recorded "
             "as a screen failure.", "Failing criteria:", *(f"• {p}" for p in failing)]
    if not_asked:
        words += ["Not asked, once another had failed:", *(f"• {p}" for p in not_asked)]
    return "\n".join(words)


def _submit(study: Any, codes: list[str], factor_names: list[str],
            errors: dict[str, str]) -> Any:
    """Redirect on enrollment, the failing criteria on refusal, None on field errors."""
    form = request.form
    patient = patient_from_form(form, errors, study_roots(study))
    factors = {} if study.design_type == "registry" else factors_from_form(form, factor_names,
                                                                           errors)
    enrolled_on = enrolled_on_from_form(form, errors, clinic_today())
    site_id = own_site_id() or _int(form.get("site_id"))
    if site_id is None:
        errors["site_id"] = "Choose the site."
    consent = consent_from_form(form, errors, current_user.id, clinic_today())
    answers = answers_from_form(form, codes, errors)
    identity = identity_from_form(form)
    if errors and _fails_anyway(study, answers, errors):
        if site_id is not None:
            return _screen_failure(study, site_id, answers)
        errors.clear()  # the one thing a screen failure needs that the form lacks
        errors["site_id"] = ("Not eligible: a criterion is not met. Choose the site, and the "
                             "screen failure is recorded (no study code, consent or baseline "
                             "data needed).")
        return None
    if errors:  # the form's own problems, and those the services find in what did read
        _also_service_problems(study, site_id, answers, patient, identity,
                               factors, enrolled_on, consent, errors)
        return None
    def enroll_once() -> Any:
        session = get_session()
        set_actor(session, current_user.id, "Screening and enrollment")
        outcome = screen_and_enroll(
            session, study=study, site_id=site_id, answers=answers,
            patient=patient, identity=identity, factors=factors,
            enrolled_on=enrolled_on, actor_id=current_user.id, consent=consent)  # type: ignore[arg-type]
        session.commit()
        return outcome

    try:  # a concurrent enrollment may take the same slot or code: start again
        _screening, enrollment, problems = retry_on_race(enroll_once)
    except ValidationError as error:
        get_session().rollback()
        errors.update(error.errors)
        return None
    except SequenceExhausted as error:
        get_session().rollback()
        errors["stratum"] = str(error)
        return None
    if problems:
        return problems
    if enrollment.arm_id is None:  # type: ignore[union-attr]
        flash(f"{patient.study_code} registered; the group follows the index procedure.",
              "success")
    else:
        arm = get_session().get(StudyArm, enrollment.arm_id)  # type: ignore[union-attr]
        flash(f"{patient.study_code} enrolled and allocated to {arm.label}.", "success")  # type: ignore[union-attr]
    warn_about_contact(study, identity)
    return redirect(url_for("patients.show", patient_id=enrollment.patient_id))  # type: ignore[union-attr]


def _fails_anyway(study: Any, answers: dict[str, bool | None], errors: dict[str, str]) -> bool:
    """The checklist, read without a problem, fails a criterion: a screen failure needs
    the site only, no study code, consent or baseline data (a candidate not eligible is
    not enrolled, and often never consents), so the rest of the form's problems do not
    hold it up."""
    if any(name.startswith("criterion.") for name in errors):
        return False
    try:
        return fails_a_criterion(get_session(), study, answers)
    finally:
        get_session().rollback()  # read only; end its transaction


def _screen_failure(study: Any, site_id: int, answers: dict[str, bool | None]) -> list[str]:
    session = get_session()
    set_actor(session, current_user.id, "Screening")
    _screening, problems = screen(session, study=study, site_id=site_id, answers=answers,
                                  actor_id=current_user.id)
    session.commit()
    return problems


def _check_sequence(session: Any, study: Any) -> None:
    """A randomized study allocates from its concealed sequence: without one, the form
    would be filled in only to be refused at the end."""
    if study.design_type == "randomized" and not has_sequence(session, study.id):
        raise ValidationError({"study": f"{study.code} has no allocation sequence yet: an "
                                        "administrator generates it (study set-up) before "
                                        "the first enrollment."})


def _also_service_problems(study: Any, site_id: int | None, answers: dict[str, bool | None],
                           patient: Any, identity: Any, factors: dict[str, int],
                           enrolled_on: Any, consent: Any, errors: dict[str, str]) -> None:
    """Add the problems the screening services find (a used code, an age against an
    answer, a taken MRN) to the form's own, so that one round names them all; a field
    the form already refused keeps the form's message."""
    try:
        check_screening_inputs(get_session(), study, site_id or 0, answers, patient, identity,
                               factors, enrolled_on, consent)
    except ValidationError as error:
        found = dict(error.errors)
        if any(name.startswith("factor.") for name in errors):
            found.pop("stratum", None)  # the factor's own message says it
        for name, message in found.items():
            errors.setdefault(name, message)
    finally:
        get_session().rollback()  # the checks read only; end their transaction


def _int(value: str | None) -> int | None:
    return form_int(value)


def _bin_words(factor: str, b: Any) -> str:
    """A stratum bin as the enrollment form's hint reads: its range, and its name where
    the name says more than the numbers ("1 single", "2–4 multi", but "1–2")."""
    span = f"{b.low}" if b.low == b.high else f"{b.low}–{b.high}"
    name = b.code.replace(factor, "").replace("_", " ").strip()
    return f"{span} {name}" if any(c.isalpha() for c in name) else span
