"""Sites and users."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from clinic.catalog import ROLES
from clinic.models.base import UTCDateTime, check_in, utcnow


class Site(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, min_length=1, max_length=20)
    name: str = Field(max_length=200)


class User(SQLModel, table=True):
    __tablename__ = "app_user"
    __table_args__ = (check_in("role", ROLES, "role_known"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=254)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    is_active: bool = Field(default=True)
    password_hash: str = Field(max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)
