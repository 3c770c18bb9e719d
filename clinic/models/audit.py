"""The audit trail: one row per created, changed or deleted field of clinical data."""

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from clinic.catalog import AUDIT_ACTIONS
from clinic.models.base import UTCDateTime, check_in, utcnow

# a reason typed by a user is refused past 500 characters (clinic.edits.REASON_MAX); the
# column holds the warnings a save was confirmed over besides (migration 0030)
AUDIT_REASON_LENGTH = 4000


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        check_in("action", AUDIT_ACTIONS, "action_known"),
        Index("ix_audit_event_record", "entity", "entity_id"),
        Index("ix_audit_event_parent", "parent_entity", "parent_id"),
        Index("ix_audit_event_seq", "seq", unique=True),
        # the events the next seal takes, oldest first, without reading the sealed ones
        Index("ix_audit_event_unsealed", "id", postgresql_where=text("seq IS NULL"),
              sqlite_where=text("seq IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    entity: str = Field(max_length=40)
    entity_id: int
    action: str = Field(max_length=10)
    field: str | None = Field(default=None, max_length=60)
    old_value: str | None = None
    new_value: str | None = None
    reason: str | None = Field(default=None, max_length=AUDIT_REASON_LENGTH)
    # The record a child row belongs to (a procedure for its targets), see Audited.
    parent_entity: str | None = Field(default=None, max_length=40)
    parent_id: int | None = None
    # The hash chain (clinic.audit.chain): set once, when the event is sealed.
    seq: int | None = None
    prev_hash: str | None = Field(default=None, max_length=64)
    row_hash: str | None = Field(default=None, max_length=64)


class AuditChain(SQLModel, table=True):
    """The end of a hash chain, moved on by every seal: 1 the audit trail's, 2 the
    identity changes'."""

    __tablename__ = "audit_chain"

    id: int | None = Field(default=None, primary_key=True)
    last_seq: int = 0
    last_hash: str = Field(max_length=64)
    sealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IdentityAuditEvent(SQLModel, table=True):
    """The values behind an identity change (name, MRN, phone, e-mail, consent).

    ``audit_event`` records that identifying data changed, without the values; this
    table, read only by roles that may see identity, keeps the old and new value. Its
    events form a hash chain of their own (clinic.audit.chain, chain end 2).
    """

    __tablename__ = "identity_audit_event"
    __table_args__ = (
        Index("ix_identity_audit_event_seq", "seq", unique=True),
        Index("ix_identity_audit_event_unsealed", "id", postgresql_where=text("seq IS NULL"),
              sqlite_where=text("seq IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    entity: str = Field(max_length=40)
    entity_id: int
    patient_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=10)
    field: str | None = Field(default=None, max_length=60)
    old_value: str | None = None
    new_value: str | None = None
    reason: str | None = Field(default=None, max_length=AUDIT_REASON_LENGTH)
    seq: int | None = None
    prev_hash: str | None = Field(default=None, max_length=64)
    row_hash: str | None = Field(default=None, max_length=64)
