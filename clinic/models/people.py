"""Sites and users."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from clinic.catalog import ROLES
from clinic.models.base import Audited, UTCDateTime, check_in, utcnow


class Site(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, min_length=1, max_length=20)
    name: str = Field(max_length=200)


class User(Audited, SQLModel, table=True):
    """A login. Changes of role, site or status are audited; secrets never are."""

    __tablename__ = "app_user"
    __table_args__ = (check_in("role", ROLES, "role_known"),)
    __audit_secret_fields__ = frozenset({"password_hash", "totp_secret"})
    __audit_skip_fields__ = frozenset({"failed_logins", "locked_until", "lockouts",
                                       "totp_last_step"})

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    is_active: bool = Field(default=True)
    password_hash: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # accounts: a first password set by someone else must be changed at first log-in
    must_change_password: bool = Field(default=False)
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # throttling: consecutive failures, the lock they caused, and how often it happened
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lockouts: int = Field(default=0)
    # optional second factor (RFC 6238 TOTP); the last accepted time step stops replays
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = Field(default=None)
    version: int = Field(default=1)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def has_totp(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)


class StudyMonitor(Audited, SQLModel, table=True):
    """A study a monitor monitors. A monitor sees the patients, visits, queries and audit
    trail of these studies only (clinic.studies.scope); with none, no study at all. Given
    and taken on the user's admin page: the user's version and audit trail record it."""

    __tablename__ = "study_monitor"
    __table_args__ = (UniqueConstraint("user_id", "study_id", name="uq_study_monitor_pair"),)
    __audit_owner__ = ("app_user", "user_id")  # its changes are the user's (version)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    study_id: int = Field(foreign_key="study.id", index=True, ondelete="CASCADE")
