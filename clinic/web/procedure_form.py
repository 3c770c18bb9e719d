"""Read the procedure form into a ProcedureInput (the service validates it)."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from clinic.exceptions import ValidationError
from clinic.procedures.inputs import InjectateInput, ProcedureInput, TargetInput
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
    """ValidationError for values that are not numbers or dates; the rest is the service's."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {name: strict_number(form.get(name), name, errors)
                              for name in NUMBERS}
    values["needle_repositions"] = strict_int(form.get("needle_repositions"),
                                              "needle_repositions", errors)
    punctures = strict_int(form.get("punctures"), "punctures", errors)
    if punctures is None and "punctures" not in errors:
        errors["punctures"] = "Enter the number of punctures."
    performed_at = local_datetime(form.get("performed_at"), timezone, "performed_at", errors)
    injectates = _injectates(form, errors)
    if errors:
        raise ValidationError(errors)
    return ProcedureInput(
        performed_at=performed_at,  # type: ignore[arg-type]
        modality=form.get("modality", ""), procedure_type=form.get("procedure_type", ""),
        punctures=punctures or 0, targets=_targets(form), injectates=injectates,
        operator_id=operator_id,
        contrast_extravasation=tri_state(form.get("contrast_extravasation")),
        first_attempt_success=tri_state(form.get("first_attempt_success")),
        notes=blank_to_none(form.get("notes")), **values)


def _targets(form: MultiDict[str, str]) -> tuple[TargetInput, ...]:
    return tuple(TargetInput(v["level"] or "", v["side"] or "")
                 for _, v in rows(form, "target", ("level", "side"), TARGET_ROWS))


def _injectates(form: MultiDict[str, str], errors: dict[str, str]) -> tuple[InjectateInput, ...]:
    found = []
    names = ("drug", "concentration_pct", "volume_ml", "dose_mg")
    for i, v in rows(form, "injectate", names, INJECTATE_ROWS):
        numbers = {n: strict_number(v[n], f"injectates.{i}.{n}", errors) for n in names[1:]}
        found.append(InjectateInput(v["drug"] or "", **numbers))
    return tuple(found)
