"""Logging in and out: the staff login page and form, and their JSON twins (docs/events.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from virtual_office.queue import Clerk, NotAuthorized, QueueError
from virtual_office.queue.second_factor import WrongCode
from virtual_office.server import payloads
from virtual_office.server.api import json_body, json_route
from virtual_office.server.i18n import request_language
from virtual_office.server.schemas import Empty, Payload
from virtual_office.server.security import same_origin
from virtual_office.server.sessions import (
    ENDED,
    ENROL_PAGE,
    EXPIRED,
    IDLE,
    PendingExpired,
    SecondFactorNeeded,
    Throttled,
    current_clerk,
    log_in,
    log_in_second,
    log_out,
    read_form,
    remember_device,
    why_ended,
)
from virtual_office.server.templating import render, text


class Credentials(Payload):
    """``POST /api/login``; ``code``: the second factor, for an account that has one."""

    login: Annotated[str, StringConstraints(max_length=100)]
    password: Annotated[str, StringConstraints(max_length=1000)]
    code: Annotated[str, StringConstraints(max_length=40)] | None = None


def home_of(clerk: Clerk) -> str:
    """Where an account lands after logging in: the console, or the administration for admins who staff nothing."""
    return "/admin" if clerk.is_admin and not clerk.offices else "/console"


def safe_next(value: object) -> str | None:
    """Only a path on this server: never another site (an open redirect) or a scheme-relative URL."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 200:
        return None
    return value if all(c.isprintable() and not c.isspace() for c in value) else None


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up: a pause of 61 seconds is not "1 minute"."""
    return max(1, -(-seconds // 60))


ENDED_MESSAGES = {IDLE: "login.ended.idle", EXPIRED: "login.ended.expired", ENDED: "login.ended.ended"}
"""?ended= on the login page: why the session before ended (sessions.why_ended)."""


def _form(request: Request, *, login: str = "", error: str | None = None, status: int = 200, next_: str | None = None) -> Response:
    ended = ENDED_MESSAGES.get(request.query_params.get("ended", ""))
    minutes_idle = request.app.state.settings.session_idle_minutes
    return render(
        request,
        "login.html",
        {"login": login, "error": error, "next": next_ or safe_next(request.query_params.get("next")) or "",
         "ended": text(request, ended, n=round(minutes_idle) if minutes_idle >= 1 else minutes_idle) if ended else None},
        status_code=status,
    )


def _code_form(request: Request, *, error: str | None = None, status: int = 200, next_: str = "") -> Response:
    return render(request, "login_code.html", {"error": error, "next": next_}, status_code=status)


def _paused(request: Request, form: Response, exc: Throttled) -> Response:
    form.headers["Retry-After"] = str(exc.retry_after)
    return form


async def login_page(request: Request) -> Response:
    try:
        clerk = await current_clerk(request, request.app.state.services.clerks)
    except QueueError:
        clerk = None
    if clerk is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")) or home_of(clerk), status_code=303)
    return _form(request)


async def login_submit(request: Request) -> Response:
    chosen = request.session.get("lang")  # an explicit language choice outlives the login
    try:
        form = await read_form(request)
    except HTTPException as exc:
        # Usually a login page left open past the session's life: offer a fresh form.
        return _form(request, error=text(request, "login.error.expired"), status=exc.status_code)
    login, password = form.get("login"), form.get("password")
    next_ = safe_next(form.get("next"))
    shown = login if isinstance(login, str) else ""
    services = request.app.state.services
    try:
        clerk = await log_in(request, services.clerks, request.app.state.login_throttle, login, password)
    except Throttled as exc:
        # Says how long, and nothing of whether the login exists: unknown logins are counted alike.
        return _paused(request, _form(request, login=shown, error=text(request, "login.error.paused", n=minutes(exc.retry_after)),
                                      status=429, next_=next_), exc)
    except SecondFactorNeeded:
        return _code_form(request, next_=next_ or "")
    except NotAuthorized:
        return _form(request, login=shown, error=text(request, "error.login_failed"), status=401, next_=next_)
    except QueueError:
        return _form(request, login=shown, error=text(request, "error.unavailable"), status=503, next_=next_)
    if chosen:
        request.session["lang"] = chosen  # log_in starts a fresh session
    return remember_device(request, RedirectResponse(_landing(request, clerk, next_), status_code=303))


def _landing(request: Request, clerk: Clerk, next_: str | None) -> str:
    """Where a completed login goes: the enrolment first if the session may do nothing else."""
    return ENROL_PAGE if request.session.get("enrol") else next_ or home_of(clerk)


async def login_code_submit(request: Request) -> Response:
    """The login's second step: the code from the authenticator app, or a recovery code."""
    try:
        form = await read_form(request)
    except HTTPException as exc:
        return _form(request, error=text(request, "login.error.expired"), status=exc.status_code)
    next_ = safe_next(form.get("next")) or ""
    try:
        clerk = await log_in_second(request, request.app.state.services.clerks, request.app.state.login_throttle, form.get("code"))
    except Throttled as exc:
        return _paused(request, _code_form(request, error=text(request, "login.error.paused", n=minutes(exc.retry_after)),
                                           status=429, next_=next_), exc)
    except PendingExpired:
        return _form(request, error=text(request, "login.error.expired"), status=401, next_=next_)
    except WrongCode:
        return _code_form(request, error=text(request, "error.wrong_code"), status=401, next_=next_)
    except QueueError:
        return _code_form(request, error=text(request, "error.unavailable"), status=503, next_=next_)
    return remember_device(request, RedirectResponse(_landing(request, clerk, next_), status_code=303))


async def logout(request: Request) -> Response:
    chosen = request.session.get("lang")
    try:
        await read_form(request)
    except HTTPException:
        return render(request, "error.html", {"status": 403, "message": text(request, "staff.error.csrf")}, status_code=403)
    await log_out(request, request.app.state.services.clerks)
    if chosen:
        request.session["lang"] = chosen
    return RedirectResponse("/login?logged_out=1", status_code=303)


def _account(clerk: Clerk) -> dict[str, object]:
    return {"id": clerk.id, "name": clerk.name, "role": clerk.role, "offices": list(clerk.offices)}


async def api_login(request: Request) -> Response:
    services = request.app.state.services
    throttle = request.app.state.login_throttle
    data = await json_body(request, Credentials)
    lang = request_language(request)
    try:
        try:
            clerk = await log_in(request, services.clerks, throttle, data.login, data.password)
        except SecondFactorNeeded:
            if data.code is None:
                raise
            clerk = await log_in_second(request, services.clerks, throttle, data.code)
    except Throttled as exc:
        return JSONResponse(payloads.error(exc, lang, retry_after=exc.retry_after), status_code=429,
                            headers={"Retry-After": str(exc.retry_after)})
    except (SecondFactorNeeded, WrongCode) as exc:
        return JSONResponse(payloads.error(exc, lang), status_code=401)
    except NotAuthorized:
        return JSONResponse(payloads.error("login_failed", lang), status_code=401)
    body: dict[str, object] = {"ok": True, "clerk": _account(clerk)}
    if request.session.get("enrol"):
        body["enrol"] = ENROL_PAGE  # this session may only enrol a second factor (VO_ADMIN_MFA=required)
    return remember_device(request, JSONResponse(body))


async def api_session(request: Request) -> Response:
    """Whether the browser's login session is still alive, and for how long without activity; asking
    is not activity (the staff pages' script asks, to go to the login once the session has ended)."""
    clerks = request.app.state.services.clerks
    clerk = await current_clerk(request, clerks, activity=False, enrolling=True)
    if clerk is None:
        return JSONResponse({"ok": True, "alive": False, "ended": await why_ended(request, clerks)})
    record = next((s for s in await clerks.sessions(clerk.id) if s.digest == clerks.session_digest(request.session.get("sid"))), None)
    idle_ms = int(request.app.state.settings.session_idle_minutes * 60_000)
    left = max(0, min(record.seen + idle_ms, record.ends) - clerks.now_ms()) // 1000 if record else 0
    return JSONResponse({"ok": True, "alive": True, "seconds_left": left})


async def api_logout(request: Request) -> Response:
    await json_body(request, Empty)  # JSON only: another website's plain form cannot post it
    if not same_origin(request):
        return JSONResponse(payloads.error("origin_not_allowed", request_language(request)), status_code=403)
    await log_out(request, request.app.state.services.clerks)
    return JSONResponse({"ok": True})


async def api_me(request: Request) -> Response:
    clerk = await current_clerk(request, request.app.state.services.clerks)
    if clerk is None:
        return JSONResponse(payloads.error("not_authenticated", request_language(request)), status_code=401)
    return JSONResponse(_account(clerk))


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    json_route("/api/login", api_login, methods=["POST"]),
    json_route("/api/logout", api_logout, methods=["POST"]),
    json_route("/api/me", api_me, methods=["GET"]),
    json_route("/api/session", api_session, methods=["GET"]),
    Route("/login/code", login_code_submit, methods=["POST"]),
]
