"""Read a DICOM Radiation Dose SR by concept code (coding scheme + code value), never by
display text, and convert its units to the app's (pydicom only; no database).

X-ray (TID 10001): Dose Area Product Total (DCM 113722), Fluoro Dose Area Product Total
(113726), Total Fluoro Time (113730), Dose (RP) Total (113725); each irradiation event
(container 113706) with its UID (113769) and Dose Area Product (122130).
CT (TID 10011): CT Dose Length Product Total (113813); each CT acquisition (container
113819) with its UID (113769), Mean CTDIvol (113830) and DLP (113838).
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clinic.catalog import NUMBER_BOUNDS

DCM = "DCM"
XRAY_EVENT, CT_EVENT, EVENT_UID = "113706", "113819", "113769"
# concept -> (the app's quantity, its unit)
TOTALS = {"113722": "dap_mgy_cm2", "113726": "fluoro_dap_mgy_cm2", "113730":
          "fluoroscopy_time_s", "113725": "dose_rp_mgy", "113813": "dlp_mgy_cm"}
EVENT_VALUES = {"122130": "dap_mgy_cm2", "113830": "ctdivol_mgy", "113838": "dlp_mgy_cm"}
# UCUM unit as found in the file -> factor to the app's unit, per quantity kind
FACTORS = {
    "dap": {"Gy.m2": 1e7, "dGy.cm2": 100.0, "cGy.cm2": 10.0, "mGy.cm2": 1.0,
            "uGy.m2": 10.0, "Gy.cm2": 1000.0, "uGy.cm2": 0.001},
    "time": {"s": 1.0, "min": 60.0, "ms": 0.001},
    "dlp": {"mGy.cm": 1.0, "Gy.cm": 1000.0, "mGy.mm": 0.1},
    "dose": {"mGy": 1.0, "Gy": 1000.0, "uGy": 0.001, "dGy": 100.0},
}
NAMES = {"dap_mgy_cm2": "dose-area product", "fluoro_dap_mgy_cm2": "fluoroscopy dose-area "
         "product", "fluoroscopy_time_s": "fluoroscopy time", "dose_rp_mgy": "dose at the "
         "reference point", "dlp_mgy_cm": "dose-length product", "ctdivol_mgy": "CTDIvol"}
UNITS = {"dap_mgy_cm2": "mGy·cm²", "fluoroscopy_time_s": "s", "dlp_mgy_cm": "mGy·cm",
         "ctdivol_mgy": "mGy"}
UID_MAX = 64  # DICOM PS3.5 §9.1
KIND_OF = {"dap_mgy_cm2": "dap", "fluoro_dap_mgy_cm2": "dap", "fluoroscopy_time_s": "time",
           "dose_rp_mgy": "dose", "dlp_mgy_cm": "dlp", "ctdivol_mgy": "dose"}


class DoseReportError(ValueError):
    """A file that is not a readable dose report, in words a person can act on."""


@dataclass(frozen=True)
class IrradiationEvent:
    uid: str
    values: dict[str, float]  # dap_mgy_cm2 | ctdivol_mgy, dlp_mgy_cm


@dataclass(frozen=True)
class DoseReport:
    sop_instance_uid: str
    study_instance_uid: str
    accession_number: str
    patient_id: str
    study_date: date | None
    kind: str  # "xray" or "ct"
    manufacturer: str
    totals: dict[str, float] = field(default_factory=dict)
    events: tuple[IrradiationEvent, ...] = ()


def read_rdsr(content: bytes) -> DoseReport:
    with warnings.catch_warnings():  # pydicom's notes on odd values: checked below instead
        warnings.simplefilter("ignore")
        return _read(content)


def _read(content: bytes) -> DoseReport:
    from pydicom import dcmread  # 0.13 s of import: only when a report is read
    from pydicom.errors import InvalidDicomError

    try:
        ds = dcmread(io.BytesIO(content))
    except (InvalidDicomError, EOFError, ValueError, TypeError, OSError) as error:
        raise DoseReportError(f"Not a readable DICOM file ({error.__class__.__name__}).") \
            from error
    except Exception as error:  # pydicom on arbitrary bytes: any failure means "unreadable"
        raise DoseReportError("Not a readable DICOM file.") from error
    try:
        return _report(ds)
    except DoseReportError:
        raise
    except Exception as error:  # a structure pydicom read but that is not a dose report
        raise DoseReportError(f"The dose report's content is malformed "
                              f"({error.__class__.__name__}): nothing was imported.") from error


def _report(ds: Any) -> DoseReport:
    if "ContentSequence" not in ds or "SOPInstanceUID" not in ds:
        raise DoseReportError("A DICOM file, but not a structured report with content.")
    totals: dict[str, float] = {}
    events: list[IrradiationEvent] = []
    kind = None
    for item in ds.ContentSequence:
        kind = _walk(item, totals, events, kind)
    if kind is None and not totals:
        raise DoseReportError("No dose values found: is this a Radiation Dose SR?")
    _check_uid(str(ds.SOPInstanceUID), "The report's SOP Instance UID")
    _check_uid(str(ds.get("StudyInstanceUID", "")), "The report's Study Instance UID")
    events = _distinct(events)
    _check_total(totals, events)
    return DoseReport(
        sop_instance_uid=str(ds.SOPInstanceUID), study_instance_uid=str(
            ds.get("StudyInstanceUID", "")), accession_number=str(ds.get("AccessionNumber", "")),
        patient_id=str(ds.get("PatientID", "")), study_date=_date(ds.get("StudyDate")),
        kind=kind or ("ct" if "dlp_mgy_cm" in totals else "xray"),
        manufacturer=str(ds.get("Manufacturer", "")), totals=totals, events=tuple(events))


def _walk(item: Any, totals: dict[str, float], events: list[IrradiationEvent],
          kind: str | None) -> str | None:
    concept = _concept(item)
    if item.get("ValueType") == "CONTAINER" and concept in (XRAY_EVENT, CT_EVENT):
        events.append(_event(item))
        return "ct" if concept == CT_EVENT else "xray"
    if item.get("ValueType") == "NUM" and concept in TOTALS:
        totals[TOTALS[concept]] = _number(item, TOTALS[concept])
    for child in item.get("ContentSequence", []):
        kind = _walk(child, totals, events, kind) or kind
    return kind


def _event(container: Any) -> IrradiationEvent:
    uid, values = None, {}
    for item in _flatten(container):
        concept = _concept(item)
        if concept == EVENT_UID and item.get("ValueType") == "UIDREF":
            uid = str(item.UID)
        elif item.get("ValueType") == "NUM" and concept in EVENT_VALUES:
            values[EVENT_VALUES[concept]] = _number(item, EVENT_VALUES[concept])
    if not uid:
        raise DoseReportError("An irradiation event without its UID (113769): cannot tell "
                              "it from an event imported before.")
    _check_uid(uid, "An irradiation event's UID")
    return IrradiationEvent(uid, values)


def _check_uid(uid: str, what: str) -> None:
    if len(uid) > UID_MAX:
        raise DoseReportError(f"{what} has {len(uid)} characters; a DICOM UID has at most "
                              f"{UID_MAX}: not a valid dose report.")


def _distinct(events: list[IrradiationEvent]) -> list[IrradiationEvent]:
    """An event listed twice in one file counts once; twice with other values is an error."""
    seen: dict[str, IrradiationEvent] = {}
    for event in events:
        if event.uid in seen and seen[event.uid].values != event.values:
            raise DoseReportError(f"The irradiation event {event.uid} appears twice with "
                                  "different values: not a valid dose report.")
        seen.setdefault(event.uid, event)
    return list(seen.values())


def _check_total(totals: dict[str, float], events: list[IrradiationEvent]) -> None:
    """The file's own total must be the sum of its own events (1 %, rounding in files)."""
    for name in ("dap_mgy_cm2", "dlp_mgy_cm"):
        parts = [e.values[name] for e in events if name in e.values]
        if name in totals and parts and abs(sum(parts) - totals[name]) > 0.01 * max(
                totals[name], 1e-9):
            raise DoseReportError(f"The report's total {_name(name)} ({totals[name]:g} "
                                  f"{UNITS[name]}) is not the sum of its irradiation events "
                                  f"({sum(parts):g}): not imported.")


def _flatten(item: Any) -> list[Any]:
    found = []
    for child in item.get("ContentSequence", []):
        found.append(child)
        found += _flatten(child)
    return found


def _concept(item: Any) -> str | None:
    names = item.get("ConceptNameCodeSequence")
    if not names:
        return None
    code = names[0]
    return str(code.CodeValue) if str(code.get("CodingSchemeDesignator", "")) == DCM else None


def _number(item: Any, quantity: str) -> float:
    measured = item.MeasuredValueSequence[0]
    unit = str(measured.MeasurementUnitsCodeSequence[0].CodeValue)
    factors = FACTORS[KIND_OF[quantity]]
    if unit not in factors:
        raise DoseReportError(f"Unknown unit {unit!r} for the {_name(quantity)}: expected one "
                              f"of {', '.join(factors)}.")
    value = float(f"{float(measured.NumericValue) * factors[unit]:.9g}")  # no binary noise
    bounds = NUMBER_BOUNDS.get(quantity)
    if not math.isfinite(value) or value < 0 or (bounds and value > bounds[1]):
        limit = f" (0 to {bounds[1]:,} {UNITS[quantity]})" if bounds else " (0 or more)"
        raise DoseReportError(f"{_name(quantity)}: {measured.NumericValue} {unit} is not a "
                              f"plausible value{limit}: nothing was imported.")
    return value


def _name(quantity: str) -> str:
    return NAMES.get(quantity, quantity)


def _date(value: Any) -> date | None:
    text = str(value or "")
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
