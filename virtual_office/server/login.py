"""Logging in and out: the staff login page and form, and their JSON twins (docs/events.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from virtual_office.queue import Clerk, NotAuthorized, QueueError
from virtual_office.server import payloads
from virtual_office.server.api import json_body, json_route
from virtual_office.server.i18n import request_language
from virtual_office.server.schemas import Empty, Payload
from virtual_office.server.security import same_origin
from virtual_office.server.sessions import Throttled, current_clerk, log_in, log_out, read_form, remember_device
from virtual_office.server.templating import render, text


class Credentials(Payload):
    """``POST /api/login``."""

    login: Annotated[str, StringConstraints(max_length=100)]
    password: Annotated[str, StringConstraints(max_length=1000)]


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


def _form(request: Request, *, login: str = "", error: str | None = None, status: int = 200, next_: str | None = None) -> Response:
    return render(
        request,
        "login.html",
        {"login": login, "error": error, "next": next_ or safe_next(request.query_params.get("next")) or ""},
        status_code=status,
    )


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
        paused = _form(request, login=shown, error=text(request, "login.error.paused", n=minutes(exc.retry_after)),
                       status=429, next_=next_)
        paused.headers["Retry-After"] = str(exc.retry_after)
        return paused
    except NotAuthorized:
        return _form(request, login=shown, error=text(request, "error.login_failed"), status=401, next_=next_)
    except QueueError:
        return _form(request, login=shown, error=text(request, "error.unavailable"), status=503, next_=next_)
    if chosen:
        request.session["lang"] = chosen  # log_in starts a fresh session
    return remember_device(request, RedirectResponse(next_ or home_of(clerk), status_code=303))


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
    data = await json_body(request, Credentials)
    try:
        clerk = await log_in(request, services.clerks, request.app.state.login_throttle, data.login, data.password)
    except Throttled as exc:
        return JSONResponse(payloads.error(exc, request_language(request), retry_after=exc.retry_after), status_code=429,
                            headers={"Retry-After": str(exc.retry_after)})
    except NotAuthorized:
        return JSONResponse(payloads.error("login_failed", request_language(request)), status_code=401)
    return remember_device(request, JSONResponse({"ok": True, "clerk": _account(clerk)}))


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
]
