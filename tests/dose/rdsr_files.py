"""DICOM Radiation Dose SR files built with pydicom for the tests (no binary from
elsewhere): X-ray (TID 10001) and CT (TID 10011), in two vendors' unit conventions."""

from __future__ import annotations

import io
import warnings
from datetime import date

from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

XRAY_SR = "1.2.840.10008.5.1.4.1.1.88.67"
# vendor -> unit convention of DAP and time
VENDORS = {"A": ("Gy.m2", "s", 1e-7, 1.0), "B": ("dGy.cm2", "min", 0.01, 1 / 60)}


def _code(value: str, meaning: str, scheme: str = "DCM") -> Dataset:
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, scheme, meaning
    return code


def _num(concept: str, meaning: str, value: float, unit: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "NUM"
    item.ConceptNameCodeSequence = [_code(concept, meaning)]
    measured = Dataset()
    with warnings.catch_warnings():  # an implausible value on purpose (NaN, inf)
        warnings.simplefilter("ignore")
        measured.NumericValue = f"{value:.10g}"
    measured.MeasurementUnitsCodeSequence = [_code(unit, unit, "UCUM")]
    item.MeasuredValueSequence = [measured]
    return item


def _uid(uid: str) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "UIDREF"
    item.ConceptNameCodeSequence = [_code("113769", "Irradiation Event UID")]
    item.UID = uid
    return item


def _container(concept: str, meaning: str, children: list[Dataset]) -> Dataset:
    item = Dataset()
    item.RelationshipType, item.ValueType = "CONTAINS", "CONTAINER"
    item.ConceptNameCodeSequence = [_code(concept, meaning)]
    item.ContinuityOfContent = "SEPARATE"
    item.ContentSequence = children
    return item


def xray_rdsr(*, events: list[tuple[str, float]], fluoro_time_s: float, patient_id: str,
              day: date, vendor: str = "A", study_uid: str | None = None,
              sop_uid: str | None = None, total_dap: float | None = None) -> bytes:
    """events: (UID, DAP in mGy·cm²); written in the vendor's units."""
    dap_unit, time_unit, dap_factor, time_factor = VENDORS[vendor]
    total = sum(v for _u, v in events) if total_dap is None else total_dap
    accumulated = _container("113702", "Accumulated X-Ray Dose Data", [
        _num("113722", "Dose Area Product Total", total * dap_factor, dap_unit),
        _num("113730", "Total Fluoro Time", fluoro_time_s * time_factor, time_unit),
        _num("113725", "Dose (RP) Total", 0.0123, "Gy")])
    irradiation = [_container("113706", "Irradiation Event X-Ray Data", [
        _uid(uid), _num("122130", "Dose Area Product", dap * dap_factor, dap_unit)])
        for uid, dap in events]
    return _file("113701", "X-Ray Radiation Dose Report", [accumulated, *irradiation],
                 patient_id, day, study_uid, sop_uid, f"Vendor {vendor}")


def ct_rdsr(*, events: list[tuple[str, float, float]], patient_id: str, day: date,
            study_uid: str | None = None, sop_uid: str | None = None) -> bytes:
    """events: (UID, CTDIvol mGy, DLP mGy·cm)."""
    accumulated = _container("113811", "CT Accumulated Dose Data", [
        _num("113813", "CT Dose Length Product Total", sum(e[2] for e in events), "mGy.cm")])
    acquisitions = [_container("113819", "CT Acquisition", [
        _uid(uid), _container("113829", "CT Dose", [
            _num("113830", "Mean CTDIvol", ctdi, "mGy"), _num("113838", "DLP", dlp, "mGy.cm")])])
        for uid, ctdi, dlp in events]
    return _file("113701", "X-Ray Radiation Dose Report", [accumulated, *acquisitions],
                 patient_id, day, study_uid, sop_uid, "Vendor CT")


def _file(*args: object) -> bytes:
    with warnings.catch_warnings():  # implausible values and over-long UIDs, on purpose
        warnings.simplefilter("ignore")
        return _build(*args)  # type: ignore[arg-type]


def _build(concept: str, meaning: str, children: list[Dataset], patient_id: str, day: date,
           study_uid: str | None, sop_uid: str | None, manufacturer: str) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = XRAY_SR
    meta.MediaStorageSOPInstanceUID = sop_uid or generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = XRAY_SR, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality, ds.Manufacturer = "SR", manufacturer
    ds.PatientID, ds.StudyDate, ds.AccessionNumber = patient_id, day.strftime("%Y%m%d"), "ACC1"
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = [_code(concept, meaning)]
    ds.ContinuityOfContent = "SEPARATE"
    ds.ContentSequence = children
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()
