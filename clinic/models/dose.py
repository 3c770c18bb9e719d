"""Dose reports imported onto a procedure, and their irradiation events (each event at
most once, by its DICOM UID, whatever file it came in)."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from clinic.models.base import Audited, UTCDateTime, check_in, utcnow


class RadiationDoseReport(Audited, SQLModel, table=True):
    __tablename__ = "dose_report"
    __audit_parent__ = ("procedure", "procedure_id")
    __table_args__ = (check_in("kind", {"xray": "X-ray", "ct": "CT"}, "kind_known"),)

    id: int | None = Field(default=None, primary_key=True)
    procedure_id: int = Field(foreign_key="procedure.id", index=True, ondelete="CASCADE")
    sop_instance_uid: str = Field(max_length=64, unique=True)  # provenance
    study_instance_uid: str | None = Field(default=None, max_length=64, index=True)
    kind: str = Field(max_length=10)  # xray, ct
    manufacturer: str | None = Field(default=None, max_length=64)
    # the file's accumulated values, in the app's units (mGy·cm², s, mGy·cm)
    dap_mgy_cm2: float | None = None
    fluoroscopy_time_s: float | None = None
    dlp_mgy_cm: float | None = None
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    imported_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class DoseEvent(Audited, SQLModel, table=True):
    __tablename__ = "dose_event"
    __audit_parent__ = ("procedure", "procedure_id")

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="dose_report.id", index=True, ondelete="CASCADE")
    procedure_id: int = Field(foreign_key="procedure.id", index=True, ondelete="CASCADE")
    event_uid: str = Field(max_length=64, unique=True)
    dap_mgy_cm2: float | None = None
    ctdivol_mgy: float | None = None
    dlp_mgy_cm: float | None = None
