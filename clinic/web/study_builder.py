"""The study builder: studies listed, created and edited as drafts, activated, amended
once active, closed to enrollment; protocol files uploaded and downloaded."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlmodel import col, func, select
from werkzeug.datastructures import MultiDict

from clinic import catalog
from clinic.audit.latest import last_change
from clinic.auth.roles import allow
from clinic.db import get_session
from clinic.exceptions import ValidationError
from clinic.json_provider import strict_loads
from clinic.models import Study, User
from clinic.models.base import utcnow
from clinic.protocol.definition import DESIGN_TYPES
from clinic.protocol.document import (
    BASE_COVARIATES,
    BASELINE_SCORE,
    MAX_ARMS,
    MAX_CRITERIA,
    MAX_TIMEPOINTS,
)
from clinic.protocol.labels import label_mismatches
from clinic.protocol.preview import schedule_preview
from clinic.protocol.protocol_file import (
    ProtocolFileError,
    fingerprint,
    read_toml,
    to_definition,
    validate_data,
    write_toml,
)
from clinic.scoring.instruments import INSTRUMENTS
from clinic.selfreport.ladder import CALL_LEAD_DAYS
from clinic.studies.amendments import amend, amendments_of, close_enrollment
from clinic.studies.protocols import (
    DRAFT,
    activate,
    create_from_document,
    document_of,
    replace_draft,
)
from clinic.studies.summary import status_words
from clinic.web.access import MANAGES_STUDY
from clinic.web.downloads import attachment
from clinic.web.filters import clinic_today, local_time
from clinic.web.forms import a_date
from clinic.web.locks import SET_UP, study_lock_notice
from clinic.web.study_form import (
    ARM_FIELDS,
    ARM_ROWS,
    BIN_ROWS,
    CRITERION_FIELDS,
    CRITERION_ROWS,
    FACTOR_ROWS,
    SECOND_FACTORS,
    TIMEPOINT_ROWS,
    TP_FIELDS,
    FormDocument,
    field_title,
    form_values,
    in_form_order,
    input_limit,
    rows_to_show,
)

bp = Blueprint("study_builder", __name__, url_prefix="/admin/studies")
MAX_UPLOAD = 200_000


@bp.route("/list")
@allow(*MANAGES_STUDY)
def studies() -> str:
    return render_template("admin/studies.html", **_study_list(get_session()), errors={})


def _study_list(session: Any) -> dict[str, Any]:
    rows = session.exec(select(Study).order_by(Study.code)).all()
    return {"studies": rows, "designs": DESIGN_TYPES,
            "statuses": {s.id: status_words(session, s) for s in rows}}


@bp.route("/upload", methods=["POST"])
@allow(*MANAGES_STUDY)
def upload() -> Any:
    session = get_session()
    doc, errors = _uploaded_protocol()
    if doc is not None:
        try:
            study = create_from_document(session, doc, draft=True, actor_id=current_user.id)
            session.commit()
            flash(f"{study.code} created as a draft from {request.files['protocol'].filename}: "
                  "check it, then activate it.", "success")
            return redirect(url_for("study_builder.edit", study_id=study.id))
        except ValidationError as error:
            session.rollback()
            errors = list(error.errors.values())
    return render_template("admin/studies.html", **_study_list(session),
                           upload_errors=errors), 422


@bp.route("/<int:study_id>/replace", methods=["POST"])
@allow(*MANAGES_STUDY)
def replace(study_id: int) -> Response:
    """A draft's protocol replaced as a whole by an uploaded file (an active study
    changes by amendment, in the builder)."""
    session = get_session()
    study = session.get(Study, study_id) or abort(404)
    doc, errors = _uploaded_protocol()
    if doc is not None:
        try:
            changed = replace_draft(session, study, doc, actor_id=current_user.id)
            session.commit()
            name = request.files["protocol"].filename
            flash(f"{study.code}: draft replaced from {name}." if changed else
                  f"{study.code}: {name} holds this draft already; nothing was changed.",
                  "success")
            return redirect(url_for("study_builder.edit", study_id=study.id))
        except ValidationError as error:
            session.rollback()
            errors = list(error.errors.values())
    flash("The file was not accepted: " + "; ".join(errors), "error")
    return redirect(url_for("study_builder.edit", study_id=study_id))


def _uploaded_protocol() -> tuple[Any, list[str]]:
    """The protocol document of the uploaded file, or None and what is wrong with it."""
    upload = request.files.get("protocol")
    if upload is None or not upload.filename:
        return None, ["Choose a protocol file (.toml, or .json as the API gives it)."]
    raw = upload.read(MAX_UPLOAD + 1)
    try:
        text = raw[:MAX_UPLOAD + 1].decode("utf-8-sig")  # a byte-order mark is no content
        if not text.strip():
            return None, [f"{upload.filename} is empty."]
        if upload.filename.lower().endswith(".json"):  # as the API gives it
            return validate_data(strict_loads(text)), []
        return read_toml(text), []
    except ProtocolFileError as error:
        return None, [str(p) for p in error.problems]
    except UnicodeDecodeError:
        return None, ["The file is not UTF-8 text."]
    except ValueError as error:  # JSON that does not read (NotJSON too)
        return None, [f"{upload.filename} is not valid JSON: {error}."]


@bp.route("/new", methods=["GET", "POST"])
@allow(*MANAGES_STUDY)
def new() -> Any:
    if request.method == "GET":
        # no nerve roots: a new study asks none at enrollment until it names them (it
        # started with the seed trial's L3-L5, which a facet study then asked)
        return _page(None, MultiDict({"design_type": request.args.get("design_type",
                                                                      "randomized"),
                                      "roots": ""}), {})
    read = FormDocument(request.form)
    session = get_session()
    try:
        doc = _validated(read)
        study = create_from_document(session, doc, draft=True, actor_id=current_user.id)
        session.commit()
    except ValidationError as error:
        session.rollback()
        return _page(None, request.form, error.errors), 422
    flash(f"{study.code} saved as a draft. Check the measures at each timepoint in the "
          "grid below, then activate it.", "success")  # ("Tick" read as if none were)
    _flash_label_mismatches(doc)
    return redirect(url_for("study_builder.edit", study_id=study.id))


@bp.route("/<int:study_id>/builder", methods=["GET", "POST"])
@allow(*MANAGES_STUDY)
def edit(study_id: int) -> Any:
    session = get_session()
    study = session.get(Study, study_id) or abort(404)
    stored = document_of(session, study)
    if request.method == "GET":
        values = form_values(stored)
        values["based_on"] = fingerprint(stored)  # the version this page shows
        return _page(study, values, {})
    based_on = request.form.get("based_on") or ""
    if not re.fullmatch(r"[0-9a-f]{20}", based_on):
        abort(422, "The form does not say which version of the protocol it was opened on "
                   "(a broken or hand-made form); nothing was saved. Reload the page and "
                   "make the change again.")
    if based_on != fingerprint(stored):  # the form as typed, now based on the saved version
        values = MultiDict(request.form)
        values.setlist("based_on", [fingerprint(stored)])
        saved = _as_shown(form_values(stored))  # as the page showed it (its grid ticked)
        differs = {name: ", ".join(saved.getlist(name)) for name in
                   differing_fields(saved, request.form)}
        return _page(study, values, {"study": _saved_since(session, study, differs)}), 409
    read = FormDocument(request.form)
    read.keep_what_the_form_cannot_show(stored)
    try:
        doc = _validated(read)
        if study.status == DRAFT:
            changed = replace_draft(session, study, doc, actor_id=current_user.id)
            message = f"{study.code}: " + ("draft saved." if changed else "nothing was changed.")
        else:
            done = amend(session, study=study, doc=doc, reason=request.form.get("reason"),
                         actor_id=current_user.id, timezone=current_app.config["TIMEZONE"],
                         now=utcnow())
            message = f"{study.code}: amendment {done.number} recorded ({done.summary})."
        session.commit()
    except ValidationError as error:
        session.rollback()
        return _page(study, request.form, error.errors), 422
    flash(message, "success")
    _flash_label_mismatches(doc)
    return redirect(url_for("study_builder.edit", study_id=study.id))


def _flash_label_mismatches(doc: Any) -> None:
    for text in label_mismatches(doc.timepoints):
        flash(text, "warning")


def _saved_since(session: Any, study: Study, differs: dict[str, str]) -> str:
    """The refusal of a save from a page opened before another save: what the form still
    holds, where it differs from the version saved now (and what is saved there), and
    the two ways on."""
    who = last_change(session, "study", study.id)  # type: ignore[arg-type]
    by = f" by {who[0]} ({local_time(who[1])})" if who else ""
    labels = {code: i.label for code, i in INSTRUMENTS.items()}
    where = "; ".join(f"{field_title(name, labels)} (saved: “{_short(saved)}”)" if saved else
                      f"{field_title(name, labels)} (saved empty)"
                      for name, saved in differs.items())
    return (f"Not saved: {study.code} was changed{by} after you opened this page. Your form "
            "is below as you left it" + (f"; it differs from the version saved now in: "
                                        f"{where}" if where else "") + ". Check those "
            "fields, then save again to make your changes over the saved version, or "
            "reload the page to start again from it.")


def _short(text: str, most: int = 60) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


IGNORED_IN_DIFF = frozenset({"based_on", "csrf_token", "reason", "confirm_activate",
                             "grid_timepoints"})  # (the grid's columns, a hidden field)
SHOWN_WHEN_ABSENT = {"sr-second_factor": "none"}  # what the page shows for a value not saved


def differing_fields(saved: MultiDict[str, str], typed: MultiDict[str, str]) -> list[str]:
    """The form's fields whose value differs from the saved version's, in the form's
    order; a blank field and one left out are the same (pure)."""
    def read(values: MultiDict[str, str], name: str) -> list[str]:
        found = [v.strip() for v in values.getlist(name) if v.strip()]
        return found or ([SHOWN_WHEN_ABSENT[name]] if name in SHOWN_WHEN_ABSENT else [])

    names = [n for n in dict.fromkeys([*typed.keys(), *saved.keys()])
             if n not in IGNORED_IN_DIFF]
    return list(in_form_order({n: "" for n in names if read(saved, n) != read(typed, n)}))


def _validated(read: FormDocument) -> Any:
    try:
        return validate_data(read.data)
    except ProtocolFileError as error:
        errors: dict[str, str] = {}  # in the form's order, each field's first problem
        for p in error.problems:
            errors.setdefault(read.field_of(p.path), _named(p.path, p.message))
        raise ValidationError(errors) from error


SECTIONS = {"arms": "Arms", "timepoints": "Timepoints", "measures": "Measures",
            "criteria": "Eligibility criteria"}


def _named(path: str, message: str) -> str:
    """A section's own problem names the section ("Arms: needs at least 1 (none given)"):
    the summary at the top of the page showed three times "needs at least 1", not which
    (found trying the screens as a new user would)."""
    return f"{SECTIONS[path]}: {message}" if path in SECTIONS else message


def _monitors_note(session: Any) -> str:
    """A monitor sees only the studies assigned to her: a new study is seen by none."""
    monitors = session.execute(select(func.count()).select_from(User).where(
        User.role == "monitor", col(User.is_active))).scalar_one()
    return (" Monitors see it once an administrator adds it to their studies monitored "
            "(Administration › Users)." if monitors else "")


@bp.route("/<int:study_id>/activate", methods=["POST"])
@allow(*MANAGES_STUDY)
def activate_study(study_id: int) -> Response:
    session = get_session()
    study = session.get(Study, study_id) or abort(404)
    if request.form.get("confirm") != "yes":
        flash(f"{study.code} is still a draft: tick the box beside 'Activate' to say that "
              "sites may enroll from now on (the protocol then changes only by a numbered "
              "amendment).", "error")
        return redirect(url_for("study_builder.edit", study_id=study_id))
    try:
        activate(session, study, actor_id=current_user.id)
        session.commit()
        if study.design_type == "randomized" and not study.sequence_generated_at:
            flash(f"{study.code} is active. Patients can be enrolled once an administrator "
                  "has generated the concealed allocation sequence (its study set-up)."
                  + _monitors_note(session), "success")
        else:
            flash(f"{study.code} is active: patients can be enrolled."
                  + _monitors_note(session), "success")
    except ValidationError as error:
        session.rollback()
        flash("; ".join(error.errors.values()), "error")
    return redirect(url_for("study_builder.edit", study_id=study_id))


@bp.route("/<int:study_id>/close", methods=["POST"])
@allow(*MANAGES_STUDY)
def close(study_id: int) -> Response:
    session = get_session()
    study = session.get(Study, study_id) or abort(404)
    try:
        close_enrollment(session, study=study, reason=request.form.get("reason"),
                         actor_id=current_user.id, now=utcnow())
        session.commit()
        flash(f"{study.code}: enrollment closed; follow-up goes on.", "success")
    except ValidationError as error:
        session.rollback()
        flash("; ".join(error.errors.values()), "error")
    return redirect(url_for("study_builder.edit", study_id=study_id))


@bp.route("/<int:study_id>/protocol.toml")
@allow(*MANAGES_STUDY)
def download(study_id: int) -> Response:
    session = get_session()
    study = session.get(Study, study_id) or abort(404)
    text = write_toml(document_of(session, study))
    return Response(text, mimetype="application/toml", headers={
        "Content-Disposition": attachment(f"{study.code.lower()}_protocol.toml")})


def _page(study: Study | None, values: Any, errors: dict[str, str]) -> str:
    session = get_session()
    preview_on, preview_error = _preview_day()
    preview, amendments = [], []
    if study is not None:
        preview = schedule_preview(to_definition(document_of(session, study)), preview_on)
        amendments = amendments_of(session, study.id)  # type: ignore[arg-type]
    timepoint_rows = rows_to_show(values, "tp", TP_FIELDS, TIMEPOINT_ROWS, MAX_TIMEPOINTS)
    timepoints = [(i, values.get(f"tp-{i}-code", "")) for i in timepoint_rows]
    values = _as_shown(values)
    return render_template(
        "admin/study_builder.html", study=study, values=values, errors=in_form_order(errors),
        designs=DESIGN_TYPES, catalog=catalog, preview=preview, preview_on=preview_on,
        input_limit=input_limit,
        preview_error=preview_error,
        amendments=amendments, status_text=status_words(session, study) if study else "",
        arm_rows=rows_to_show(values, "arm", ARM_FIELDS, ARM_ROWS, MAX_ARMS),
        criterion_rows=rows_to_show(values, "criterion", CRITERION_FIELDS, CRITERION_ROWS,
                                    MAX_CRITERIA),
        timepoint_rows=timepoint_rows, factor_rows=range(FACTOR_ROWS),
        bin_rows=range(BIN_ROWS), grid_timepoints=[(i, c) for i, c in timepoints if c],
        instruments=catalog.SCORE_RANGES, covariates=_covariates(values),
        instrument_labels={code: i.label for code, i in INSTRUMENTS.items()},
        second_factors=SECOND_FACTORS, field_title=field_title, call_lead_days=CALL_LEAD_DAYS,
        lock=study_lock_notice(session, study, SET_UP) if study else None)


def _as_shown(values: Any) -> Any:
    """The values as the page shows them: a measure asked at every timepoint ticked in
    each of the grid's columns."""
    rows = rows_to_show(values, "tp", TP_FIELDS, TIMEPOINT_ROWS, MAX_TIMEPOINTS)
    codes = [values.get(f"tp-{i}-code", "") for i in rows]
    return _with_every_tick(values, [c for c in codes if c])


def _with_every_tick(values: Any, codes: list[str]) -> Any:
    """A measure asked at every timepoint shows ticked in each column of the grid, so a
    refused save loses no tick: one ticked for every timepoint (before the grid existed),
    and one ticked in every column of the grid as posted, in the column of a timepoint
    added in that save (which the save would have given it, but which the posted grid
    had no column for: shown blank, the next save would have left it out)."""
    grid = [tp for tp in str(values.get("grid_timepoints") or "").split(",") if tp]
    added = [code for code in codes if code not in grid]
    shown = MultiDict(values)
    for instrument in catalog.SCORE_RANGES:
        if values.get(f"m-{instrument}-all") == "on":
            columns = codes
        elif grid and all(values.get(f"m-{instrument}-{tp}") == "on" for tp in grid):
            columns = added
        else:
            continue
        for code in columns:
            shown[f"m-{instrument}-{code}"] = "on"
    return shown


def _covariates(values: Any) -> list[tuple[str, str]]:
    scores = [(f"{BASELINE_SCORE}{i}", f"Baseline {i.upper()}") for i in ("vas", "nrs", "odi",
                                                                          "ndi")]
    return [*BASE_COVARIATES.items(), *scores]


def _preview_day() -> tuple[date, str | None]:
    """The preview's procedure day, and why the one asked for is not used."""
    found: dict[str, str] = {}
    day = a_date(request.args.get("procedure_on"), "procedure_on", found, required=False)
    return day or clinic_today(), found.get("procedure_on")
