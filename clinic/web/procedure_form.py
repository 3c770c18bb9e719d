"""Read the procedure form into a ProcedureInput (the service validates it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from clinic.exceptions import ValidationError
from clinic.procedures.inputs import (
    MAX_ROWS,
    InjectateInput,
    ProcedureInput,
    TargetInput,
    validate_procedure,
)
from clinic.web.forms import (
    blank_to_none,
    local_datetime,
    rows,
    strict_int,
    strict_number,
    tri_state,
)

TARGET_ROWS = 4
INJECTATE_ROWS = 4
NUMBERS = ("contrast_volume_ml", "rf_temperature_c", "rf_frequency_hz", "rf_pulse_width_ms",
           "rf_duration_s", "dap_mgy_cm2", "fluoroscopy_time_s", "ctdivol_mgy", "dlp_mgy_cm",
           "operative_time_min")


def procedure_from_form(form: MultiDict[str, str], timezone: str,
                        operator_id: int | None) -> ProcedureInput:
    """The form's procedure, checked (:func:`validate_procedure`), or a ValidationError
    naming every problem in one round: text that is no number or date, and the numbers
    out of their range (a field that did not parse is checked as empty)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {name: strict_number(form.get(name), name, errors)
                              for name in NUMBERS}
    values["needle_repositions"] = strict_int(form.get("needle_repositions"),
                                              "needle_repositions", errors)
    punctures = strict_int(form.get("punctures"), "punctures", errors)
    if punctures is None and "punctures" not in errors:
        errors["punctures"] = "Enter the number of punctures."
    performed_at = local_datetime(form.get("performed_at"), timezone, "performed_at", errors)
    check_row_indexes(form, "target", errors)
    check_row_indexes(form, "injectate", errors)
    injectates = _injectates(form, errors)
    answers = {name: tri_state(form.get(name), name, errors)
               for name in ("contrast_extravasation", "first_attempt_success")}
    data = ProcedureInput(
        performed_at=performed_at,  # type: ignore[arg-type]
        modality=form.get("modality", ""), procedure_type=form.get("procedure_type", ""),
        punctures=punctures or 0, targets=_targets(form), injectates=injectates,
        operator_id=operator_id,
        contrast_extravasation=answers["contrast_extravasation"],
        first_attempt_success=answers["first_attempt_success"],
        notes=blank_to_none(form.get("notes")),
        deviation_reason=" ".join((form.get("deviation_reason") or "").split())[:500] or None,
        **values)
    try:
        validate_procedure(data)
    except ValidationError as error:
        errors = {**error.errors, **errors}  # a field's own parse error first
    if errors:
        raise ValidationError(errors)
    return data


def row_count(form: Mapping[str, str], prefix: str, least: int) -> int:
    """Rows the form holds: at least ``least``, more if a correction needs them, never
    more than the form can offer (a row index of 20,000 is not looped over)."""
    indices = [_index(key) for key in form if key.startswith(f"{prefix}-")]
    return max([least, *(i + 1 for i in indices if i is not None and i < MAX_ROWS)])


def check_row_indexes(form: Mapping[str, str], prefix: str, errors: dict[str, str]) -> None:
    """A row the form never offered (``injectate-20000-drug``) is refused."""
    if any(_index(k) is None or _index(k) >= MAX_ROWS  # type: ignore[operator]
           for k in form if k.startswith(f"{prefix}-")):
        errors[f"{prefix}s"] = f"At most {MAX_ROWS} {prefix}s, numbered 0 to {MAX_ROWS - 1}."


def _index(key: str) -> int | None:
    part = key.split("-")[1] if key.count("-") >= 2 else ""
    return int(part) if part.isascii() and part.isdigit() and len(part) <= 3 else None


def _targets(form: MultiDict[str, str]) -> tuple[TargetInput, ...]:
    count = row_count(form, "target", TARGET_ROWS)
    return tuple(TargetInput(v["level"] or "", v["side"] or "")
                 for _, v in rows(form, "target", ("level", "side"), count))


def _injectates(form: MultiDict[str, str], errors: dict[str, str]) -> tuple[InjectateInput, ...]:
    found = []
    names = ("drug", "concentration_pct", "volume_ml", "dose_mg")
    for i, v in rows(form, "injectate", names, row_count(form, "injectate", INJECTATE_ROWS)):
        numbers = {n: strict_number(v[n], f"injectates.{i}.{n}", errors) for n in names[1:]}
        found.append(InjectateInput(v["drug"] or "", **numbers))
    return tuple(found)


def form_values(data: ProcedureInput, timezone: str) -> dict[str, str]:
    """The inverse of :func:`procedure_from_form`: a recorded procedure as form text."""
    values = {name: _text(getattr(data, name)) for name in (*NUMBERS, "needle_repositions")}
    values |= {
        "performed_at": data.performed_at.astimezone(ZoneInfo(timezone)).strftime(
            "%Y-%m-%dT%H:%M"),
        "modality": data.modality, "procedure_type": data.procedure_type,
        "punctures": str(data.punctures), "notes": data.notes or "",
        "deviation_reason": data.deviation_reason or "",
        "contrast_extravasation": _yes_no(data.contrast_extravasation),
        "first_attempt_success": _yes_no(data.first_attempt_success),
    }
    for i, t in enumerate(data.targets):
        values |= {f"target-{i}-level": t.level, f"target-{i}-side": t.side}
    for i, inj in enumerate(data.injectates):
        values |= {f"injectate-{i}-drug": inj.drug,
                   **{f"injectate-{i}-{n}": _text(getattr(inj, n))
                      for n in ("concentration_pct", "volume_ml", "dose_mg")}}
    return values


def _text(value: float | int | None) -> str:
    """Shortest text that reads back to the same number (no rounding, no exponent)."""
    if value is None:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no"}.get(value, "")  # type: ignore[arg-type]
