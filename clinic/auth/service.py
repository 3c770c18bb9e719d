"""Users: creation, password checks."""

from __future__ import annotations

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from clinic.catalog import ROLES
from clinic.exceptions import ValidationError
from clinic.models import Site, User

MIN_PASSWORD_LENGTH = 8


def create_user(session: Session, *, email: str, name: str, role: str, password: str,
                site_code: str | None = None) -> User:
    errors = {}
    email = email.strip().lower()
    if "@" not in email:
        errors["email"] = "Enter an e-mail address."
    if role not in ROLES:
        errors["role"] = f"Role must be one of: {', '.join(ROLES)}."
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if session.exec(select(User).where(User.email == email)).first():
        errors["email"] = "A user with this e-mail exists."
    site = _site(session, site_code, errors)
    if errors:
        raise ValidationError(errors)
    user = User(email=email, name=name.strip(), role=role,
                site_id=site.id if site else None,
                password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def _site(session: Session, code: str | None, errors: dict[str, str]) -> Site | None:
    if code is None:
        return None
    site = session.exec(select(Site).where(Site.code == code)).first()
    if site is None:
        errors["site"] = f"No site with code {code!r}."
    return site


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.is_active:
        return None
    return user if check_password_hash(user.password_hash, password) else None


def set_user_active(session: Session, *, user: User, is_active: bool, actor_id: int | None) -> User:
    """Deactivate (or reactivate) a login; users are never deleted (the audit names them)."""
    if not is_active and user.id == actor_id:
        raise ValidationError({"user": "You cannot deactivate your own login."})
    user.is_active = is_active
    session.add(user)
    session.flush()
    return user


def create_site(session: Session, *, code: str, name: str) -> Site:
    code = code.strip().upper()
    errors = {}
    if not code or len(code) > 20 or not code.replace("_", "").replace("-", "").isalnum():
        errors["code"] = "Use 1–20 letters, digits, - or _."
    elif session.exec(select(Site).where(Site.code == code)).first():
        errors["code"] = "A site with this code exists."
    if not name.strip():
        errors["name"] = "Enter the site's name."
    if errors:
        raise ValidationError(errors)
    site = Site(code=code, name=name.strip())
    session.add(site)
    session.flush()
    return site
