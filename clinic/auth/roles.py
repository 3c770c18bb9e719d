"""The role rule every route declares, and the one place it is enforced.

Each view is decorated with :func:`allow` (named roles), :func:`any_user` (logged in,
any role) or :func:`public`. A ``before_request`` hook refuses any endpoint that
declares nothing, so a new route without a rule is unreachable, and the role-matrix
test fails until the rule is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user

from clinic.catalog import ROLES, ROLES_SEEING_IDENTITY

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC = "public"
ANY_USER = "any_user"
RULE_ATTRIBUTE = "clinic_access_rule"


def allow(*roles: str) -> Callable[[F], F]:
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown or missing roles: {sorted(unknown)}")
    return _mark(frozenset(roles))


def any_user(view: F) -> F:
    return _mark(ANY_USER)(view)


def public(view: F) -> F:
    return _mark(PUBLIC)(view)


def _mark(rule: str | frozenset[str]) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        setattr(view, RULE_ATTRIBUTE, rule)
        return view

    return decorate


def access_rule(endpoint: str) -> str | frozenset[str] | None:
    if endpoint == "static":
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, RULE_ATTRIBUTE, None)


def enforce_access_rule() -> Any:
    """before_request: deny by default; 401 for anonymous, 403 for a wrong role.

    A form posted after the session ended is kept (see clinic.web.drafts): the log-in
    page then leads back to the form, filled in again. A logged-in user with a gate to
    pass (a forced password change, a required second factor) is sent there first. A
    monitor's request reads the studies they monitor only (clinic.studies.scope).
    """
    if request.endpoint is None:
        return None  # 404 follows
    rule = access_rule(request.endpoint)
    if rule is None:
        abort(403, "This page declares no access rule.")
    if rule == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return _to_login()
    from clinic.auth.current import gate_redirect

    gate = gate_redirect()
    if gate is not None:
        return redirect(gate)
    if rule != ANY_USER and current_user.role not in rule:
        abort(403, _not_for_role(rule))
    if current_user.role == "monitor":  # the studies they monitor, no others
        from clinic.db import get_session
        from clinic.studies.scope import apply_study_scope

        apply_study_scope(get_session(), current_user)
    return None


def _not_for_role(rule: frozenset[str]) -> str:
    """Who may open the page, in words, for the 403 a user of another role gets."""
    allowed = [ROLES[r].lower() for r in ROLES if r in rule]
    who = ", ".join(allowed[:-1]) + f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
    article = "an" if who[:1] in "aeiou" else "a"
    return (f"This page is for {article} {who}; your role ({ROLES[current_user.role].lower()}) "
            "cannot open it. Nothing was shown or changed.")


def _to_login() -> Any:
    if request.method == "POST" and not request.path.startswith("/api/") and request.form:
        from clinic.db import get_session
        from clinic.web.drafts import keep_draft

        back = keep_draft(get_session(), user_id=g.get("expired_user_id"))
        if back is not None:
            flash("Your session had ended. Log in again: what you typed is kept.", "info")
            return redirect(url_for("auth.login", next=back))
    return current_app.login_manager.unauthorized()


def role_can_see_identity(role: str) -> bool:
    return role in ROLES_SEEING_IDENTITY
