"""An electronic signature of one patient's recorded data."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from clinic.catalog import SIGNATURE_MEANINGS
from clinic.models.base import Audited, UTCDateTime, check_in, utcnow


class Signature(Audited, SQLModel, table=True):
    __table_args__ = (check_in("meaning", SIGNATURE_MEANINGS, "meaning_known"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    signer_id: int = Field(foreign_key="app_user.id")
    printed_name: str = Field(max_length=200)  # the signer's name as it was when signing
    meaning: str = Field(max_length=20)
    signed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    content_hash: str = Field(max_length=64)  # SHA-256 of clinic.signatures.content
