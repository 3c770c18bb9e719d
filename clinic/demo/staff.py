"""Demo sites and users, with the logins printed by seed-demo."""

from __future__ import annotations

from sqlmodel import Session, select

from clinic.auth.passwords import hash_password
from clinic.auth.service import create_user
from clinic.models import Site, User

DEMO_PASSWORD = "demo-clinic-2026"
SITES = (("NORTH", "North Spine Centre (synthetic)"), ("SOUTH", "South Pain Clinic (synthetic)"))
USERS = (
    ("admin@demo.invalid", "Demo Administrator", "admin", None),
    ("coordinator@demo.invalid", "Demo Coordinator", "coordinator", None),
    ("physician@demo.invalid", "Demo Physician", "physician", None),
    ("nurse.north@demo.invalid", "Demo Nurse (North)", "nurse", "NORTH"),
    ("nurse.south@demo.invalid", "Demo Nurse (South)", "nurse", "SOUTH"),
    ("monitor@demo.invalid", "Demo Monitor", "monitor", None),  # monitors the demo study
)


def ensure_staff(session: Session) -> tuple[list[Site], dict[str, User]]:
    sites = []
    for code, name in SITES:
        site = session.exec(select(Site).where(Site.code == code)).first()
        if site is None:
            site = Site(code=code, name=name)
            session.add(site)
            session.flush()
        sites.append(site)
    users = {}
    hashed = None  # one hash for the six logins: their password is the same, and public
    for email, name, role, site_code in USERS:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None:
            hashed = hashed or hash_password(DEMO_PASSWORD)
            user = create_user(session, email=email, name=name, role=role,
                               password=DEMO_PASSWORD, site_code=site_code,
                               password_hash=hashed)
        users[email] = user
    return sites, users


def logins() -> list[tuple[str, str, str]]:
    return [(role, email, DEMO_PASSWORD) for email, _name, role, _site in USERS]
