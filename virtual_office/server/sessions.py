"""Sessions and login: the clerk's signed cookie, logging in and out, and who may open a staff page.

The session is Starlette's signed cookie, readable from socket.io too
(:func:`read_session`). It holds the account, a stamp of its password hash and the id of
its record on the server (queue/clerks.py), so a new password, a deleted account, a
logout elsewhere or 30 minutes without activity end it at its next request or event.
Every staff page request and staff socket event counts as activity (:func:`session_clerk`).
"""

from __future__ import annotations

import functools
import hmac
import json
import time
from base64 import b64decode
from collections.abc import Awaitable, Callable, Mapping
from http.cookies import SimpleCookie
from urllib.parse import quote

import itsdangerous
from redis.exceptions import RedisError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from virtual_office.queue import Clerk, ClerkDirectory, NotAuthorized, QueueError
from virtual_office.queue.clerks import SESSION_SECONDS
from virtual_office.queue.second_factor import WrongCode
from virtual_office.server import devices, tenancy
from virtual_office.server.limits import client_address
from virtual_office.server.lockout import Attempt, LoginThrottle
from virtual_office.server.lockout import Throttled as Throttled  # raised through log_in; api.py answers it
from virtual_office.server.security import verify_csrf
from virtual_office.server.templating import render, text
from virtual_office.settings import Settings

# -- the cookie ------------------------------------------------------------

SESSION_COOKIE = "vo_session"
MAX_AGE = SESSION_SECONDS
"""The cookie lives as long as the session it names (the server ends sessions earlier on logout)."""


def session_cookie(settings: Settings) -> str:
    """``__Host-vo_session`` when cookies are Secure: the browser then keeps it for this host alone,
    Path=/ and Secure, and no other site of the domain can set it. Over http (the demo) browsers
    refuse that prefix, so the name stays plain."""
    return ("__Host-" if settings.cookies_secure else "") + SESSION_COOKIE


def session_middleware(settings: Settings) -> Middleware:
    return Middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=session_cookie(settings),
        max_age=MAX_AGE,
        path="/",  # and no Domain: as the __Host- prefix requires
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
    morsel = cookie.get(session_cookie(settings))
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


class SecondFactorNeeded(QueueError):
    """The password was right; the account's second factor is asked next (:func:`log_in_second`)."""

    code = "second_factor_required"


PENDING_SECONDS = 5 * 60
"""How long the step asking for the second factor waits after the password."""


async def log_in(request: Request, clerks: ClerkDirectory, throttle: LoginThrottle, login: object, password: object) -> Clerk:
    """Check the credentials and start a session; raises NotAuthorized, Throttled, or SecondFactorNeeded
    for an account with a second factor (the cookie session then remembers the login half done).

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
    services = request.app.state.services
    if await services.second_factors.enrolled(clerk.id):
        # The failures are forgotten only once the code is right too: the password alone must not
        # reset the count, or a stolen password would buy endless guesses at the code.
        chosen = request.session.get("lang")
        request.session.clear()
        request.session.update({"pending": clerk.id, "pending_login": login, "pending_at": int(time.time()),
                                **({"lang": chosen} if chosen else {})})
        raise SecondFactorNeeded("the account's second factor is needed")
    await _complete(request, clerks, throttle, attempt, clerk)
    return clerk


async def log_in_second(request: Request, clerks: ClerkDirectory, throttle: LoginThrottle, code: object) -> Clerk:
    """The second step: the code from the app (or a recovery code) for the login whose password was
    right; raises NotAuthorized (nothing pending, or too long ago), Throttled or WrongCode. Wrong
    codes count against the same lock-out as wrong passwords."""
    pending, login, since = (request.session.get(k) for k in ("pending", "pending_login", "pending_at"))
    if not isinstance(pending, str) or not isinstance(login, str) or not isinstance(since, int) or time.time() - since > PENDING_SECONDS:
        request.session.pop("pending", None)
        raise PendingExpired("no login is waiting for its second factor")
    attempt = await throttle.attempt(request, login, client_address(request))
    await throttle.check(attempt)
    clerk = await clerks.get(pending)
    if clerk is None:
        raise PendingExpired("the account is gone")
    try:
        if not isinstance(code, str) or len(code) > 40:
            raise WrongCode("no code")
        await request.app.state.services.second_factors.verify(clerk.id, code)
    except WrongCode:
        await throttle.failed(attempt)
        raise
    await _complete(request, clerks, throttle, attempt, clerk)
    return clerk


class PendingExpired(NotAuthorized):
    """No password step waits for its second factor (never began, or more than 5 minutes ago)."""

    code = "login_expired"


async def _complete(request: Request, clerks: ClerkDirectory, throttle: LoginThrottle, attempt: Attempt, clerk: Clerk) -> None:
    await throttle.succeeded(attempt)
    request.state.device_cookie = await throttle.device_cookie(attempt)
    chosen = request.session.get("lang")
    request.session.clear()
    if chosen:
        request.session["lang"] = chosen  # an explicit language choice outlives the login
    enrol = await must_enrol(request, clerk)
    await start_session(request, clerks, clerk, enrol=enrol)


async def must_enrol(request: Request, clerk: Clerk) -> bool:
    """True for an administrator without a second factor where VO_ADMIN_MFA=required: such a session
    may do nothing but enrol."""
    if not clerk.is_admin or request.app.state.settings.admin_mfa != "required":
        return False
    return not await request.app.state.services.second_factors.enrolled(clerk.id)


def remember_device(request: Request, response: Response) -> Response:
    """Give the browser the device cookie of the login :func:`log_in` just let in (docs/security.md)."""
    cookie = getattr(request.state, "device_cookie", None)
    if cookie:
        request.app.state.login_throttle.set_cookie(response, cookie)
    return response


async def start_session(request: Request, clerks: ClerkDirectory, clerk: Clerk, *, enrol: bool = False) -> None:
    """Put a new login session of ``clerk`` into the request's cookie (``enrol``: one that may only
    enrol a second factor)."""
    device = devices.describe(request.headers.get("user-agent"))
    session_id = await clerks.open_session(clerk.id, device=device)
    request.session.update({"clerk_id": clerk.id, "stamp": clerk.session_stamp, "sid": session_id, "since": int(time.time())})
    if enrol:
        request.session["enrol"] = True
    else:
        request.session.pop("enrol", None)


def session_of(session: Mapping[str, object]) -> dict[str, object]:
    """What identifies a login session (to keep with a socket and check again on every event)."""
    return {k: session[k] for k in ("clerk_id", "stamp", "sid", "enrol") if k in session}


async def log_out(request: Request, clerks: ClerkDirectory) -> None:
    """End the session here and on the server: the cookie is worth nothing afterwards, even if kept."""
    await clerks.end_session(request.session.get("sid"))
    request.session.clear()


async def current_clerk(request: Request, clerks: ClerkDirectory, *, activity: bool = True, enrolling: bool = False) -> Clerk | None:
    """The account the request's session acts for (see :func:`session_clerk`)."""
    return await session_clerk(clerks, request.session, activity=activity, enrolling=enrolling)


async def session_clerk(clerks: ClerkDirectory, session: Mapping[str, object], *, activity: bool = True,
                        enrolling: bool = False) -> Clerk | None:
    """The account a session (cookie or socket) acts for; None once it was ended (logged out, deleted,
    a new password, "log out everywhere", idle too long, 12 hours old).

    Asking counts as activity (the session's idle time starts again) unless ``activity`` is False.
    A session that must first enrol a second factor acts for nobody, unless ``enrolling``.
    """
    clerk_id, stamp = session.get("clerk_id"), session.get("stamp")
    if session.get("enrol") and not enrolling:
        return None
    clerk = await clerks.get(clerk_id) if isinstance(clerk_id, str) else None
    if clerk is None or not isinstance(stamp, str) or not hmac.compare_digest(stamp, clerk.session_stamp):
        return None
    if not await clerks.session_alive(clerk.id, session.get("sid")):
        return None
    if activity and not await clerks.touch_session(session.get("sid")):
        return None
    return clerk


IDLE = "idle"
EXPIRED = "expired"
ENDED = "ended"


async def why_ended(request: Request, clerks: ClerkDirectory) -> str | None:
    """Why the cookie's session no longer counts: ``idle`` (30 minutes without activity), ``expired``
    (12 hours after the login), ``ended`` (a person ended it); None if the cookie names no session."""
    if not isinstance(request.session.get("sid"), str):
        return None
    if await clerks.ended_on_purpose(request.session.get("sid")):
        return ENDED
    since = request.session.get("since")
    if isinstance(since, int) and time.time() - since >= SESSION_SECONDS:
        return EXPIRED
    return IDLE


LOGIN_KEYS = ("clerk_id", "stamp", "sid", "since", "enrol")
"""What the cookie holds of a login session (a login waiting for its second factor, the language
chosen and the CSRF token are not part of it)."""


def forget_session(request: Request) -> None:
    """Drop the ended login session from the cookie."""
    for key in LOGIN_KEYS:
        request.session.pop(key, None)


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


ENROL_PAGE = "/account/second-factor"
"""Where a session that must enrol a second factor is led (and the only page it may use)."""


def staff_page(*, admin: bool = False, enrolling: bool = False) -> Callable[[Page], Page]:
    """Require a logged-in clerk (or administrator); every unsafe method must also pass the CSRF check.

    The handler finds the account in ``request.state.clerk`` and, unless
    :func:`is_reading`, the checked form in ``request.state.form``. A session whose time ran out
    is sent to the login, told why and where it will return to. An administrator who must enrol
    a second factor (VO_ADMIN_MFA=required) reaches only pages marked ``enrolling``.
    """

    def decorate(handler: Page) -> Page:
        @functools.wraps(handler)
        async def wrapper(request: Request) -> Response:
            services = request.app.state.services
            try:
                clerk = await current_clerk(request, services.clerks, enrolling=True)
                enrol = clerk is not None and (bool(request.session.get("enrol")) or await must_enrol(request, clerk))
                reason = await why_ended(request, services.clerks) if clerk is None else None
            except (QueueError, RedisError):  # without the store nobody is let in: closed, not open
                return error_page(request, 503, "error.unavailable")
            if clerk is None:
                forget_session(request)
                if is_reading(request):
                    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    ended = f"&ended={reason}" if reason else ""
                    return RedirectResponse(f"/login?next={quote(back)}{ended}", status_code=303)
                return error_page(request, 401, "error.not_authenticated")
            request.state.clerk = clerk
            if enrol and not enrolling:
                if is_reading(request):
                    return RedirectResponse(ENROL_PAGE, status_code=303)
                return error_page(request, 403, "account.second_factor.required")
            if admin and not clerk.is_admin:
                return error_page(request, 403, "staff.error.admins_only")
            try:
                # Another tenant's office or account is answered as one that does not exist.
                unseen = await tenancy.in_scope(request, clerk)
                if unseen is not None:
                    return error_page(request, 404, unseen)
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
