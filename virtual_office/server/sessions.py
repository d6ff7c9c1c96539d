"""Sessions and login: the clerk's signed cookie, logging in and out, and who may open a staff page.

The session is Starlette's signed cookie, readable from socket.io too
(:func:`read_session`). It holds the account and a stamp of its password hash, so a
new password or a deleted account ends every session at its next request or event.
"""

from __future__ import annotations

import functools
import hmac
import json
from base64 import b64decode
from collections.abc import Awaitable, Callable, Mapping
from http.cookies import SimpleCookie
from urllib.parse import quote

import itsdangerous
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from virtual_office.queue import Clerk, ClerkDirectory, NotAuthorized, QueueError
from virtual_office.queue.clerks import SESSION_SECONDS
from virtual_office.server.limits import client_address
from virtual_office.server.lockout import LoginThrottle
from virtual_office.server.lockout import Throttled as Throttled  # raised through log_in; api.py answers it
from virtual_office.server.security import verify_csrf
from virtual_office.server.templating import render, text
from virtual_office.settings import Settings

# -- the cookie ------------------------------------------------------------

SESSION_COOKIE = "vo_session"
MAX_AGE = SESSION_SECONDS
"""The cookie lives as long as the session it names (the server ends sessions earlier on logout)."""


def session_middleware(settings: Settings) -> Middleware:
    return Middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=MAX_AGE,
        same_site="lax",
        https_only=settings.cookies_secure,
    )


def read_session(settings: Settings, cookie_header: str | None) -> dict[str, object]:
    """The session behind a Cookie header, as SessionMiddleware would read it; {} if none."""
    if not cookie_header:
        return {}
    cookie = SimpleCookie()
    try:
        cookie.load(cookie_header)
    except Exception:  # noqa: BLE001 - a malformed header is simply no session
        return {}
    morsel = cookie.get(SESSION_COOKIE)
    if morsel is None:
        return {}
    signer = itsdangerous.TimestampSigner(str(settings.secret_key))
    try:
        data = signer.unsign(morsel.value.encode(), max_age=MAX_AGE)
        value = json.loads(b64decode(data))
    except (itsdangerous.BadSignature, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


# -- logging in ------------------------------------------------------------

class LoggedOut(NotAuthorized):
    """The session's account was deleted or has a new password since the login."""

    code = "not_authenticated"


async def log_in(request: Request, clerks: ClerkDirectory, throttle: LoginThrottle, login: object, password: object) -> Clerk:
    """Check the credentials and start a session; raises NotAuthorized or Throttled.

    The response should then carry the browser's new device cookie: :func:`remember_device`.
    """
    if not isinstance(login, str) or not isinstance(password, str) or len(login) > 100 or len(password) > 1000:
        raise NotAuthorized("wrong login or password")
    attempt = await throttle.attempt(request, login, client_address(request))
    await throttle.check(attempt)
    try:
        clerk = await clerks.authenticate(login, password)
    except NotAuthorized:
        await throttle.failed(attempt)
        raise
    await throttle.succeeded(attempt)
    request.state.device_cookie = await throttle.device_cookie(attempt)
    request.session.clear()
    await start_session(request, clerks, clerk)
    return clerk


def remember_device(request: Request, response: Response) -> Response:
    """Give the browser the device cookie of the login :func:`log_in` just let in (docs/security.md)."""
    cookie = getattr(request.state, "device_cookie", None)
    if cookie:
        request.app.state.login_throttle.set_cookie(response, cookie)
    return response


async def start_session(request: Request, clerks: ClerkDirectory, clerk: Clerk) -> None:
    """Put a new login session of ``clerk`` into the request's cookie."""
    request.session.update({"clerk_id": clerk.id, "stamp": clerk.session_stamp, "sid": await clerks.open_session(clerk.id)})


def session_of(session: Mapping[str, object]) -> dict[str, object]:
    """What identifies a login session (to keep with a socket and check again on every event)."""
    return {k: session[k] for k in ("clerk_id", "stamp", "sid") if k in session}


async def log_out(request: Request, clerks: ClerkDirectory) -> None:
    """End the session here and on the server: the cookie is worth nothing afterwards, even if kept."""
    await clerks.end_session(request.session.get("sid"))
    request.session.clear()


async def current_clerk(request: Request, clerks: ClerkDirectory) -> Clerk | None:
    return await session_clerk(clerks, request.session)


async def session_clerk(clerks: ClerkDirectory, session: Mapping[str, object]) -> Clerk | None:
    """The account a session (cookie or socket) acts for; None once it was ended (logged out, deleted,
    a new password, "log out everywhere")."""
    clerk_id, stamp = session.get("clerk_id"), session.get("stamp")
    clerk = await clerks.get(clerk_id) if isinstance(clerk_id, str) else None
    if clerk is None or not isinstance(stamp, str) or not hmac.compare_digest(stamp, clerk.session_stamp):
        return None
    if not await clerks.session_alive(clerk.id, session.get("sid")):
        return None
    return clerk


# -- staff pages ------------------------------------------------------------

MAX_FORM_BYTES = 64 * 1024
SAFE_METHODS = ("GET", "HEAD")
"""Methods that only read; every other one changes something and must pass the CSRF check."""

Page = Callable[[Request], Awaitable[Response]]


def is_reading(request: Request) -> bool:
    """True for a request that only reads (a staff page shown, not a form posted)."""
    return request.method in SAFE_METHODS


def error_page(request: Request, status: int, key: str) -> Response:
    return render(request, "error.html", {"status": status, "message": text(request, key)}, status_code=status)


async def read_form(request: Request) -> FormData:
    """The posted form, small and without files, after the CSRF check."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, "form too large")
    form = await request.form(max_files=0, max_fields=500)
    verify_csrf(request, form)
    return form


def staff_page(*, admin: bool = False) -> Callable[[Page], Page]:
    """Require a logged-in clerk (or administrator); every unsafe method must also pass the CSRF check.

    The handler finds the account in ``request.state.clerk`` and, unless
    :func:`is_reading`, the checked form in ``request.state.form``.
    """

    def decorate(handler: Page) -> Page:
        @functools.wraps(handler)
        async def wrapper(request: Request) -> Response:
            try:
                clerk = await current_clerk(request, request.app.state.services.clerks)
            except QueueError:
                return error_page(request, 503, "error.unavailable")
            if clerk is None:
                if is_reading(request):
                    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
                return error_page(request, 401, "error.not_authenticated")
            request.state.clerk = clerk
            if admin and not clerk.is_admin:
                return error_page(request, 403, "staff.error.admins_only")
            try:
                if not is_reading(request):
                    request.state.form = await read_form(request)
                return await handler(request)
            except HTTPException as exc:
                return refusal(request, exc)
            except QueueError as exc:
                return error_page(request, 503 if exc.code == "unavailable" else 400, f"error.{exc.code}")

        return wrapper

    return decorate


def refusal(request: Request, exc: HTTPException) -> Response:
    messages = {403: "staff.error.csrf", 413: "staff.error.too_large", 404: "staff.error.not_found"}
    return error_page(request, exc.status_code, messages.get(exc.status_code, "error.bad_request"))
