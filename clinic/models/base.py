"""Shared column types and helpers for the table models."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, TypeDecorator
from sqlmodel import SQLModel

from clinic.catalog import NUMBER_BOUNDS

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every engine (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_in(
    column: str, codes: Iterable[str], name: str, nullable: bool = False
) -> CheckConstraint:
    """CHECK that ``column`` holds one of the catalog's codes."""
    listed = ", ".join("'" + code.replace("'", "''") + "'" for code in sorted(codes))
    condition = f"{column} IN ({listed})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=name)


def non_negative(*columns: str) -> list[CheckConstraint]:
    return [CheckConstraint(f"{c} IS NULL OR {c} >= 0", name=f"{c}_non_negative") for c in columns]


def in_bounds(*columns: str) -> list[CheckConstraint]:
    """CHECK each column against its plausible range (catalog.NUMBER_BOUNDS); this also
    keeps infinity and NaN out on PostgreSQL (SQLite stores NaN as NULL)."""
    checks = []
    for c in columns:
        low, high = NUMBER_BOUNDS[c]
        checks.append(CheckConstraint(f"{c} IS NULL OR ({c} >= {low:g} AND {c} <= {high:g})",
                                      name=f"{c}_range"))
    return checks


class Audited:
    """Marker: every create, update and delete of this model writes audit events."""

    # True: the values are identifying data. The audit trail says that they changed; the
    # values themselves go to identity_audit_event, read only by roles seeing identity.
    __audit_redact__: bool = False
    # Fields whose values never enter any audit row (secrets such as a password hash).
    __audit_secret_fields__: frozenset[str] = frozenset()
    # Fields whose changes are not clinical events (e.g. a failed log-in counter).
    __audit_skip_fields__: frozenset[str] = frozenset()
    # (parent table, foreign-key attribute) for rows that belong to another record, such
    # as a procedure's targets: their audit events name the parent too, so the parent's
    # history shows them, also after the row itself was deleted.
    __audit_parent__: tuple[str, str] | None = None
    # (table, foreign-key attribute) of the record whose version covers this row, when
    # it is not the parent: a study monitor's row belongs to its user (clinic.audit.versions).
    __audit_owner__: tuple[str, str] | None = None
