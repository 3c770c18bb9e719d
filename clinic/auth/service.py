"""Users: creation, changes of role, site, studies monitored and status, passwords, sites.

The role rule: an actor may give, change or take away only the roles listed for its
own role in ``catalog.ROLES_GRANTABLE_BY`` (a coordinator manages nurses, physicians and
coordinators; only an administrator manages administrators), and nobody can remove the
last active administrator.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from clinic.audit import set_actor
from clinic.auth.events import record_event
from clinic.auth.passwords import hash_password, password_problem
from clinic.auth.resets import cancel_resets
from clinic.auth.sessions import end_all_sessions
from clinic.auth.throttle import unlock
from clinic.auth.tokens import revoke_all_tokens
from clinic.catalog import ROLES, ROLES_GRANTABLE_BY
from clinic.contact.addresses import normalize_email
from clinic.edits import check_read_version, claim
from clinic.exceptions import ValidationError
from clinic.models import Site, Study, StudyMonitor, User
from clinic.models.base import utcnow

EMAIL_MAX, NAME_MAX = 254, 200


def can_manage(actor_role: str | None, role: str) -> bool:
    """May an actor with ``actor_role`` give (or change, or take away) ``role``?
    ``None`` is the command line, run by whoever administers the server."""
    return actor_role is None or role in ROLES_GRANTABLE_BY.get(actor_role, frozenset())


def create_user(session: Session, *, email: str, name: str, role: str, password: str,
                site_code: str | None = None, actor: User | None = None,
                must_change_password: bool = False, password_hash: str | None = None) -> User:
    """``password_hash``: the hash of ``password``, when the caller made it already (the
    demo's logins share one published password, hashed once: scrypt costs 0.1 s)."""
    errors: dict[str, str] = {}
    email = _email(email, errors)
    name = _name(name, errors)
    if role not in ROLES:
        errors["role"] = "Choose the role from the list."
    elif not can_manage(actor.role if actor else None, role):
        errors["role"] = f"A {ROLES[actor.role].lower()} cannot create a {role} login."  # type: ignore[union-attr]
    problem = password_problem(password, email=email, name=name)
    if problem:
        errors["password"] = problem
    if not errors.get("email") and session.exec(select(User).where(User.email == email)).first():
        errors["email"] = "A user with this e-mail exists."
    site = _site(session, site_code, errors)
    if role == "nurse" and site is None and "site" not in errors:
        errors["site"] = "A nurse works at one site: choose it."
    if errors:
        raise ValidationError(errors)
    set_actor(session, actor.id if actor else None, "Login created")
    user = User(email=email, name=name, role=role, site_id=site.id if site else None,
                password_hash=password_hash or hash_password(password),
                password_changed_at=utcnow(),
                must_change_password=must_change_password)
    session.add(user)
    session.flush()
    record_event(session, "user_created", user_id=user.id, actor_id=actor.id if actor else None,
                 email=email, detail=f"role {role}")
    return user


def edit_user(session: Session, *, actor: User, user: User, name: str, role: str,
              site_code: str | None, study_codes: list[str] | None = None,
              read_version: int | None = None) -> list[str]:
    """Change name, role, site and (monitors) the studies monitored; returns what changed.
    ``study_codes`` None leaves a monitor's studies as they are; a user who is no longer a
    monitor keeps none. ``read_version``: the version the form was read at; a
    ConflictError if the login changed since (two tabs: the second silently undid the
    first's role and site)."""
    errors: dict[str, str] = {}
    name = _name(name, errors)
    if role not in ROLES:
        errors["role"] = "Choose the role from the list."
    elif not (can_manage(actor.role, user.role) and can_manage(actor.role, role)):
        errors["role"] = "Only an administrator can change an administrator's login or make one."
    site = _site(session, site_code, errors)
    if role == "nurse" and site is None and "site" not in errors:
        errors["site"] = "A nurse works at one site: choose it."
    if user.role == "admin" and role != "admin" and _last_active_admin(session, user):
        errors["role"] = "This is the last active administrator: make another one first."
    monitored = monitored_studies(session, user.id)  # type: ignore[arg-type]
    if role != "monitor":
        wanted: dict[int, str] = {}
    else:
        wanted = monitored if study_codes is None else _studies(session, study_codes, errors)
    if errors:
        raise ValidationError(errors)
    if read_version is not None:
        check_read_version(user, read_version)
    changes = {"name": name, "role": role, "site_id": site.id if site else None}
    changed = [k for k, v in changes.items() if getattr(user, k) != v]
    if set(wanted) != set(monitored):
        changed.append("studies monitored")
    if not changed:
        raise ValidationError({"name": "Nothing was changed."})
    set_actor(session, actor.id, "Login changed by " + actor.email)
    if read_version is not None:
        claim(session, user, read_version)  # raises the version, or a ConflictError
    else:
        user.version += 1
    for key in changed:
        if key in changes:
            setattr(user, key, changes[key])
    session.add(user)
    _set_monitored(session, user.id, wanted, monitored)  # type: ignore[arg-type]
    cancel_resets(session, user.id)  # type: ignore[arg-type]
    changed = ["site" if key == "site_id" else key for key in changed]
    detail = ", ".join(changed)
    if "studies monitored" in changed:
        detail += ": " + (", ".join(sorted(wanted.values())) or "none")
    record_event(session, "user_changed", user_id=user.id, actor_id=actor.id, detail=detail)
    session.flush()
    return changed


def give_studies(session: Session, *, user: User, study_codes: list[str],
                 actor: User | None = None) -> list[str]:
    """Add studies to those a monitor monitors (the command line's ``--study``); returns
    the codes the monitor monitors now."""
    errors: dict[str, str] = {}
    if user.role != "monitor":
        errors["studies"] = "Only a monitor is given studies to monitor."
    wanted = _studies(session, study_codes, errors)
    if errors:
        raise ValidationError(errors)
    monitored = monitored_studies(session, user.id)  # type: ignore[arg-type]
    wanted = {**monitored, **wanted}
    set_actor(session, actor.id if actor else None, "Studies given to a monitor")
    _set_monitored(session, user.id, wanted, monitored)  # type: ignore[arg-type]
    record_event(session, "user_changed", user_id=user.id, actor_id=actor.id if actor else None,
                 detail="studies monitored: " + ", ".join(sorted(wanted.values())))
    session.flush()
    return sorted(wanted.values())


def monitored_studies(session: Session, user_id: int) -> dict[int, str]:
    """The studies a monitor monitors: id -> code."""
    rows = session.exec(select(Study.id, Study.code).join(  # type: ignore[call-overload]
        StudyMonitor, StudyMonitor.study_id == Study.id).where(StudyMonitor.user_id == user_id))
    return {sid: code for sid, code in rows}


def _studies(session: Session, codes: list[str] | None, errors: dict[str, str]
             ) -> dict[int, str]:
    wanted = sorted({c.strip() for c in codes or [] if c.strip()})
    found = {code: sid for sid, code in session.exec(select(Study.id, Study.code).where(  # type: ignore[call-overload]
        Study.code.in_(wanted)))}  # type: ignore[attr-defined]
    unknown = [c for c in wanted if c not in found]
    if unknown:
        errors["studies"] = f"No study with code {', '.join(unknown)}."
    return {sid: code for code, sid in found.items()}


def _set_monitored(session: Session, user_id: int, wanted: dict[int, str],
                   monitored: dict[int, str]) -> None:
    gone = set(monitored) - set(wanted)
    for row in session.exec(select(StudyMonitor).where(  # one by one: each is audited
            StudyMonitor.user_id == user_id, StudyMonitor.study_id.in_(gone))):  # type: ignore[attr-defined]
        session.delete(row)
    session.add_all(StudyMonitor(user_id=user_id, study_id=sid)
                    for sid in sorted(set(wanted) - set(monitored)))


def set_user_active(session: Session, *, user: User, is_active: bool, actor: User) -> User:
    """Deactivate (or reactivate) a login; users are never deleted (the audit names them).
    Deactivating ends every session of the user at once."""
    if not can_manage(actor.role, user.role):
        raise ValidationError({"user": "Only an administrator can change an administrator's "
                                       "login."})
    if not is_active and user.id == actor.id:
        raise ValidationError({"user": "You cannot deactivate your own login."})
    if not is_active and user.role == "admin" and _last_active_admin(session, user):
        raise ValidationError({"user": "This is the last active administrator."})
    if user.is_active == is_active:
        return user
    set_actor(session, actor.id, ("Reactivated" if is_active else "Deactivated") + " by "
              + actor.email)
    user.is_active = is_active
    user.version += 1
    session.add(user)
    if not is_active:
        end_all_sessions(session, user.id, "deactivated")  # type: ignore[arg-type]
        revoke_all_tokens(session, user_id=user.id, actor_id=actor.id,  # type: ignore[arg-type]
                          why="login deactivated")
        cancel_resets(session, user.id)  # type: ignore[arg-type]
    record_event(session, "user_reactivated" if is_active else "user_deactivated",
                 user_id=user.id, actor_id=actor.id)
    session.flush()
    return user


def unlock_user(session: Session, *, user: User, actor: User) -> None:
    if not can_manage(actor.role, user.role):
        raise ValidationError({"user": "Only an administrator can unlock an administrator."})
    unlock(user)
    session.add(user)
    record_event(session, "unlocked", user_id=user.id, actor_id=actor.id)


def set_password(session: Session, *, user: User, password: str, kind: str,
                 actor_id: int | None, keep_session_id: int | None = None,
                 address: str | None = None) -> None:
    """Store a new password (checked against the rule), end the user's other sessions,
    revoke their API tokens and any other reset link: whoever knew the old password
    (or held a token made with it) is out."""
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise ValidationError({"password": problem})
    set_actor(session, actor_id, "Password changed")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    unlock(user)
    session.add(user)
    end_all_sessions(session, user.id, "password changed", keep_id=keep_session_id)  # type: ignore[arg-type]
    revoke_all_tokens(session, user_id=user.id, actor_id=actor_id,  # type: ignore[arg-type]
                      why="password changed")
    cancel_resets(session, user.id)  # type: ignore[arg-type]
    record_event(session, kind, user_id=user.id, actor_id=actor_id, address=address)
    session.flush()


def _last_active_admin(session: Session, user: User) -> bool:
    others = session.exec(select(func.count()).select_from(User).where(
        User.role == "admin", User.is_active, User.id != user.id)).one()
    return user.is_active and others == 0


def _email(email: str, errors: dict[str, str]) -> str:
    """The same check as for patients' addresses (email-validator), lower-cased."""
    email = (email or "").strip().lower()
    try:
        email = normalize_email(email).lower()
    except ValidationError as error:
        errors["email"] = error.errors["email"]
        return email
    if len(email) > EMAIL_MAX:
        errors["email"] = f"Use at most {EMAIL_MAX} characters."
    return email


def _name(name: str, errors: dict[str, str]) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        errors["name"] = f"Enter the person's name (at most {NAME_MAX} characters)."
    return name


def _site(session: Session, code: str | None, errors: dict[str, str]) -> Site | None:
    if code is None:
        return None
    site = session.exec(select(Site).where(Site.code == code)).first()
    if site is None:
        errors["site"] = f"No site with code {code[:20]!r}."
    return site


def create_site(session: Session, *, code: str, name: str) -> Site:
    code = code.strip().upper()
    errors = {}
    if not code or len(code) > 20 or not code.replace("_", "").replace("-", "").isalnum() \
            or not code.isascii():
        errors["code"] = "Use 1–20 letters, digits, - or _."
    elif code.isdigit():  # lists and the API take a site's code or its id: "3" is an id
        errors["code"] = "Start the code with a letter (e.g. SITE3): a number alone reads as " \
                         "a site's id."
    elif session.exec(select(Site).where(Site.code == code)).first():
        errors["code"] = "A site with this code exists."
    if not name.strip() or len(name.strip()) > 200:
        errors["name"] = "Enter the site's name (at most 200 characters)."
    if errors:
        raise ValidationError(errors)
    site = Site(code=code, name=name.strip())
    session.add(site)
    session.flush()
    return site
