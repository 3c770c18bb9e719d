"""Study set-up (read-only), the concealed randomization sequence and the balance view."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import col, func, select
from werkzeug.wrappers import Response

from clinic.audit import set_actor
from clinic.auth.roles import allow
from clinic.catalog import UNLOCK_REASONS
from clinic.db import get_session
from clinic.enrollment.exceptions import SequenceError
from clinic.enrollment.randomization import allocation_balance, generate_allocation_sequence
from clinic.locks.service import find_lock
from clinic.models import AllocationSlot, Enrollment, Patient, Study, StudyArm
from clinic.studies.setup import arms, criteria, load_definition, measures, timepoints
from clinic.web.access import MANAGES_STUDY
from clinic.web.forms import form_int

bp = Blueprint("study_admin", __name__, url_prefix="/admin/studies")
MAX_SEED = 2**31 - 1


def _study(study_id: int) -> Study:
    return get_session().get(Study, study_id) or abort(404)


@bp.route("")
@allow(*MANAGES_STUDY)
def index() -> Response:
    return redirect(url_for("study_builder.studies"))


@bp.route("/<int:study_id>")
@allow(*MANAGES_STUDY)
def setup(study_id: int) -> str:
    return _setup_page(_study(study_id), errors={}, values={})


def _setup_page(study: Study, *, errors: dict[str, str], values: Any) -> str:
    session = get_session()
    study_id = study.id
    return render_template(
        "admin/study.html", study=study, definition=load_definition(session, study),
        arms=arms(session, study_id), timepoints=timepoints(session, study_id),  # type: ignore[arg-type]
        measures=measures(session, study_id), criteria=criteria(session, study_id),  # type: ignore[arg-type]
        balance=allocation_balance(session, study), errors=errors, values=values,
        slots=session.exec(select(func.count(AllocationSlot.id)).where(
            AllocationSlot.study_id == study_id)).one(),
        study_lock=find_lock(session, f"study:{study_id}"),
        enrolled=session.exec(select(func.count(col(Patient.id))).where(
            Patient.study_id == study_id)).one(),
        unlock_reasons=UNLOCK_REASONS)


@bp.route("/<int:study_id>/sequence", methods=["GET"])
@allow("admin")
def sequence(study_id: int) -> str:
    """The concealed allocation list itself: administrators only."""
    session = get_session()
    study = _study(study_id)
    arm_codes = {a.id: a.code for a in session.exec(select(StudyArm).where(
        StudyArm.study_id == study_id))}
    used = {row for row in session.exec(select(Enrollment.allocation_slot_id).where(
        Enrollment.study_id == study_id, Enrollment.allocation_slot_id.is_not(None)))}  # type: ignore[union-attr]
    slots = session.exec(select(AllocationSlot).where(AllocationSlot.study_id == study_id)
                         .order_by(AllocationSlot.stratum, AllocationSlot.position)).all()
    return render_template("admin/sequence.html", study=study, slots=slots,
                           arm_codes=arm_codes, used=used)


@bp.route("/<int:study_id>/sequence", methods=["POST"])
@allow("admin")
def generate(study_id: int) -> Any:
    session = get_session()
    study = _study(study_id)
    typed = (request.form.get("seed") or "").strip()
    seed = form_int(typed) if typed else secrets.randbelow(MAX_SEED + 1)  # unguessable
    slots = form_int(request.form.get("slots") or "300")
    errors = {}
    if seed is None or not 0 <= seed <= MAX_SEED:
        errors["seed"] = "Enter a whole number from 0 to 2147483647, or leave it empty for a " \
                         "random one (the same seed gives the same sequence)."
    if slots is None or not 10 <= slots <= 10_000:
        errors["slots"] = "Enter 10 to 10000 slots per stratum."
    if errors:
        return _setup_page(study, errors=errors, values=request.form), 422
    try:
        set_actor(session, current_user.id, "Concealed allocation sequence generated")
        count = generate_allocation_sequence(session, study, seed=seed,  # type: ignore[arg-type]
                                             slots_per_stratum=slots)  # type: ignore[arg-type]
        session.commit()
        flash(f"Generated {count} allocation slots from seed {seed}.", "success")
    except SequenceError as error:
        session.rollback()
        flash(str(error), "error")
    return redirect(url_for("study_admin.setup", study_id=study_id))
