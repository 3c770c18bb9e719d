"""The patient's pages: /r/<token>, no log-in, no session cookie, no staff header.

The token in the path is the credential (and so also the protection against forged
posts: another site cannot know it). Every page is looked up afresh, so a link stops
working the moment its visit is recorded, closed or its window ends. The core path
needs no JavaScript. Responses are never cached and send no Referer; the token is
kept out of the access log (clinic.web.redaction).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from clinic.auth.roles import public
from clinic.db import get_session
from clinic.exceptions import ConflictError, ValidationError
from clinic.models.base import utcnow
from clinic.selfreport import service
from clinic.selfreport.screens import (
    SKIPPED,
    first_open,
    minutes,
    parse_answer,
    shown_answer,
)
from clinic.web.csrf import csrf

bp = Blueprint("selfreport", __name__, url_prefix="/r")
csrf.exempt(bp)
CHECK_COOKIE = "clinic_self_report"
CHECK_HOURS = 12
STATUS = {"unknown": 404, "used": 410, "closed": 410, "not_yet": 403, "locked": 423}


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def _address() -> str | None:
    return request.remote_addr


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def link_not_found() -> str:
    """The page for any /r/ address that is not a link (also outside the routes)."""
    link = _link_of_path()
    return render_template("selfreport/closed.html", w=link.language, link=link,
                           contact=_contact(link), opens_on=None)


def request_refused(words: str) -> str:
    """The page for a request to a link refused outside the link's own checks (a NUL or
    control character, a field sent twice: ``request_refused``; locked data:
    ``visit_locked``), in the patient's words and language, not the staff's."""
    link = _link_of_path()
    return render_template("selfreport/refused.html", w=link.language, link=link,
                           contact=_contact(link), words=words)


def _link_of_path() -> service.Link:
    """An "unknown" link in the language of the patient the address's token names."""
    parts = request.path.split("/")
    known = service.resolve(get_session(), parts[2], _today()) if len(parts) > 2 else None
    return service.Link("unknown", identity=known.identity if known else None)


def _contact(link: service.Link) -> str:
    return current_app.config.get("CLINIC_CONTACT") or link.language.ui("contact_default")


def _page(template: str, link: service.Link, status: int = 200, **values: Any) -> Any:
    return render_template(f"selfreport/{template}", w=link.language, link=link,
                           contact=_contact(link), **values), status


def _open(token: str) -> tuple[service.Link, Any]:
    """The link, and the page to show instead when it does not work (or needs the check)."""
    session = get_session()
    link = service.resolve(session, token, _today())
    if not link.works:
        service.note_refused(session, link, utcnow(), _address())
        session.commit()
        opens = link.assessment.window_open if link.assessment else None
        return link, _page("closed.html", link, STATUS[link.state], opens_on=opens)
    if service.needs_check(link) and not _checked(link):
        return link, redirect(url_for("selfreport.check", token=token))
    service.note_opened(session, link, service.report_of(session, link), utcnow(), _address())
    session.commit()
    return link, None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="self-report-check")


def _checked(link: service.Link) -> bool:
    assert link.assessment is not None
    try:
        value = _serializer().loads(request.cookies.get(CHECK_COOKIE, ""),
                                    max_age=CHECK_HOURS * 3600)
    except BadSignature:
        return False
    return bool(value == link.assessment.id)


@bp.get("/<token>")
@public
def start(token: str) -> Any:
    link, instead = _open(token)
    if instead is not None:
        return instead
    session = get_session()
    report = service.report_of(session, link)
    session.commit()
    all_screens = service.visit_screens(session, link)
    answered, total = service.progress(all_screens, report.answers or {})
    assert link.timepoint is not None and link.identity is not None
    return _page("start.html", link, token=token, total=total, answered=answered,
                 minutes=minutes(all_screens), next_screen=first_open(all_screens,
                                                                       report.answers or {}),
                 first_name=link.identity.name.split()[0] if link.identity.name else "",
                 label=link.language.interval(link.timepoint.offset_days, link.timepoint.label))


@bp.route("/<token>/check", methods=["GET", "POST"])
@public
def check(token: str) -> Any:
    session = get_session()
    link = service.resolve(session, token, _today())
    if not link.works or not service.needs_check(link):
        return redirect(url_for("selfreport.start", token=token))
    report = service.report_of(session, link)
    now, config = utcnow(), current_app.config
    locked = service.locked_until(report, now)
    left, status = None, 200
    if request.method == "POST" and locked is None:
        result = service.check_birth(
            session, link, report, _birth_answer(link), now,
            max_checks=int(config["SELF_REPORT_MAX_CHECKS"]),
            lock=timedelta(minutes=float(config["SELF_REPORT_LOCK_MINUTES"])),
            address=_address())
        session.commit()
        if result is True:
            response = redirect(url_for("selfreport.start", token=token))
            assert link.assessment is not None
            response.set_cookie(CHECK_COOKIE, _serializer().dumps(link.assessment.id),
                                max_age=CHECK_HOURS * 3600, path="/r/", httponly=True,
                                samesite="Lax", secure=config["SESSION_COOKIE_SECURE"])
            return response
        left, status = result, 422
        session.refresh(report)
        locked = service.locked_until(report, now)
    session.commit()
    if locked is not None:
        status = 429
    shown = locked.astimezone(ZoneInfo(config["TIMEZONE"])).strftime("%H:%M") if locked else None
    return _page("check.html", link, status, token=token, left=left, locked=shown,
                 kind=link.spec.second_factor if link.spec else "none")


def _birth_answer(link: service.Link) -> date | int | None:
    form = request.form
    try:
        if link.spec is not None and link.spec.second_factor == "birth_date":
            return date(int(form.get("year", "")), int(form.get("month", "")),
                        int(form.get("day", "")))
        return int(form.get("year", "").strip())
    except ValueError:
        return None


@bp.route("/<token>/q/<int:number>", methods=["GET", "POST"])
@public
def question(token: str, number: int) -> Any:
    link, instead = _open(token)
    if instead is not None:
        return instead
    session = get_session()
    all_screens = service.visit_screens(session, link)
    if not 1 <= number <= len(all_screens):
        return redirect(url_for("selfreport.review", token=token))
    screen = all_screens[number - 1]
    report = service.report_of(session, link)
    error, value, status = None, (report.answers or {}).get(screen.key), 200
    if request.method == "POST":
        action = request.form.get("action", "next")
        raw = SKIPPED if action == "skip" else request.form.get("answer")
        parsed = parse_answer(screen, raw)
        if parsed is not None:
            service.save_answer(session, link, report, screen.key, parsed, utcnow())
            session.commit()
        if parsed is not None and request.form.get("then") == "review" and action != "back":
            return redirect(url_for("selfreport.review", token=token))
        if action == "back":
            target = number - 1
        elif parsed is None:
            w = link.language
            error = w.ui("number_error") if screen.kind == "pain" else w.ui("save_error")
            value, status = raw, 422
            target = None
        else:
            target = number + 1
        if target is not None:
            if 1 <= target <= len(all_screens):
                return redirect(url_for("selfreport.question", token=token, number=target))
            if target < 1:
                return redirect(url_for("selfreport.start", token=token))
            return redirect(url_for("selfreport.review", token=token))
    session.commit()
    return _page("question.html", link, status, token=token, screen=screen, number=number,
                 total=len(all_screens), value=value, error=error,
                 back_to_review=request.values.get("then") == "review")


@bp.route("/<token>/review", methods=["GET", "POST"])
@public
def review(token: str) -> Any:
    link, instead = _open(token)
    if instead is not None:
        return instead
    session = get_session()
    all_screens = service.visit_screens(session, link)
    report = service.report_of(session, link)
    error, status = None, 200
    if request.method == "POST":
        try:
            service.submit(session, link, report, utcnow(), _today())
            session.commit()
            return redirect(url_for("selfreport.thanks", token=token))
        except ValidationError as problem:
            session.rollback()
            error, status = next(iter(problem.errors.values())), 422
        except ConflictError:  # staff recorded the visit meanwhile
            session.rollback()
            return redirect(url_for("selfreport.start", token=token))
    answers = report.answers or {}
    rows = [(i + 1, s, shown_answer(s, answers.get(s.key), link.language))
            for i, s in enumerate(all_screens)]
    session.commit()
    return _page("review.html", link, status, token=token, rows=rows, error=error)


@bp.get("/<token>/thanks")
@public
def thanks(token: str) -> Any:
    session = get_session()
    link = service.resolve(session, token, _today())
    if link.state != "used":
        return redirect(url_for("selfreport.start", token=token))
    return _page("thanks.html", link)
