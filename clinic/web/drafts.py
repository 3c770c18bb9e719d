"""Keep what was typed into a form when the session had ended (or its form had expired):
store it, send the person through the log-in, and fill the form with it again.

Drafts live two hours at most, belong to the user whose session ended, are shown
only to that user, and are deleted when shown. A request that names no user (no
session cookie, or the cookie of a session that was logged out) keeps nothing: an
anonymous draft could be planted by another site and shown to whoever logs in next.
A draft is kept only for a page that can show it again (one answering GET), and holds
at most ``MAX_CHARACTERS``; a user keeps at most ``MAX_PER_USER`` drafts.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask import request
from sqlalchemy import delete
from sqlmodel import Session, col, select
from werkzeug.datastructures import MultiDict

from clinic.models import FormDraft
from clinic.models.base import utcnow

DRAFT_PARAM = "draft"
LIFETIME = timedelta(hours=2)
NOT_KEPT = frozenset({"csrf_token", "password", "password_again", "current_password", "code"})
MAX_FIELDS, MAX_VALUE = 400, 5000
MAX_CHARACTERS = 100_000
MAX_PER_USER = 10


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def keep_draft(session: Session, *, user_id: int | None,
               clean: Callable[[str], str] | None = None,
               page: str | None = None) -> str | None:
    """Store the request's form for ``user_id`` (each value through ``clean`` if given);
    returns the URL (this path with its query, or ``page``, the page a form answering
    only POST was on) that shows it again, or None when nothing can be kept."""
    rule = request.url_rule
    if user_id is None or rule is None or (page is None
                                           and "GET" not in (rule.methods or ())):
        return None
    fields: dict[str, str] = {}
    size = 0
    for key, value in list(request.form.items(multi=False))[:MAX_FIELDS]:
        if key in NOT_KEPT:
            continue
        size += len(key) + min(len(value), MAX_VALUE)
        if size > MAX_CHARACTERS:
            break
        fields[key[:200]] = (clean(value) if clean else value)[:MAX_VALUE]
    if not fields:
        return None
    _forget_old(session, user_id)
    key = secrets.token_urlsafe(32)
    path = page or request.path
    session.add(FormDraft(key_hash=_hash(key), user_id=user_id, path=path[:300],
                          fields=fields))
    session.commit()
    kept = [] if page else [(k, v) for k, v in request.args.items(multi=True)
                            if k != DRAFT_PARAM]  # e.g. the query's target
    return f"{path}?{urlencode([*kept, (DRAFT_PARAM, key)])}"


def _forget_old(session: Session, user_id: int) -> None:
    """Drop expired drafts, and this user's oldest beyond ``MAX_PER_USER - 1``."""
    session.execute(delete(FormDraft).where(col(FormDraft.created_at) < utcnow() - LIFETIME))
    kept = select(FormDraft.id).where(FormDraft.user_id == user_id) \
        .order_by(col(FormDraft.created_at).desc(), col(FormDraft.id).desc()) \
        .limit(MAX_PER_USER - 1)
    session.execute(delete(FormDraft).where(col(FormDraft.user_id) == user_id,
                                            col(FormDraft.id).not_in(kept)))


def take_draft(session: Session, user_id: int) -> MultiDict[str, str] | None:
    """The draft named in this request's URL, for this path and user; then deleted."""
    key = request.args.get(DRAFT_PARAM)
    if not key or len(key) > 100:
        return None
    row = session.exec(select(FormDraft).where(FormDraft.key_hash == _hash(key))).first()
    if (row is None or row.path != request.path or row.created_at < utcnow() - LIFETIME
            or row.user_id != user_id):
        return None
    fields = MultiDict(row.fields)
    session.delete(row)
    session.commit()
    return fields


def with_draft(defaults: Any) -> Any:
    """The draft named in the URL (with a note saying so), else ``defaults``."""
    from flask import flash
    from flask_login import current_user

    from clinic.db import get_session

    if request.method != "GET" or DRAFT_PARAM not in request.args:
        return defaults
    draft = take_draft(get_session(), current_user.id)
    if draft is None:
        flash("What you had typed could not be restored (it is kept two hours).", "error")
        return defaults
    flash("This is what you had typed; it is not saved yet: check it and save.", "info")
    return draft
