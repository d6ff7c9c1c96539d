"""Origins and security headers: who may embed us, which requests are our own, what every page sends.

- The embed allowlist (:class:`OriginPolicy`): the deployment's list, the
  administrator's and each office's own decide which websites may show the widget
  and frame the waiting room.
- Our own origin (:func:`is_own_origin`): cookies and tokens ride along with any
  page's request, so the citizen, clerk and visit endpoints serve only our own pages.
- Cross-site request forgery (:func:`verify_csrf`): a token in the session, and no
  request a browser marks as coming from elsewhere.
- The headers of each kind of response (:func:`staff_headers`, :func:`citizen_headers`,
  :data:`DOWNLOAD_HEADERS`).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from redis.asyncio import Redis
from starlette.exceptions import HTTPException
from starlette.requests import Request

from virtual_office.queue import Office, keys

log = logging.getLogger(__name__)

CSRF_SESSION_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

STAFF_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; frame-ancestors {ancestors}; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
"""The staff pages run only our own scripts and may not be framed by anyone."""

CITIZEN_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; frame-src 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors {ancestors}"
)
"""Only our own scripts; framed only by websites allowed to embed the office."""

PERMISSIONS = "camera=(self), microphone=(self), display-capture=(self), autoplay=(self), geolocation=(), payment=(), usb=()"

DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Referrer-Policy": "no-referrer",
}
"""A file exchanged in a visit is never run or shown as a page of ours."""


def normalize(origin: str) -> str | None:
    """'https://www.Example.de/' -> 'https://www.example.de'; None if not an origin."""
    origin = origin.strip()
    if origin == "*":
        return origin
    try:
        parts = urlsplit(origin)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a malformed port or host
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def is_own_origin(origin: str | None, own_origin: str) -> bool:
    """True unless a browser names another website as the request's origin.

    No Origin header means no web page at all (a server, curl): nothing to forge.
    """
    return origin is None or normalize(origin) == normalize(own_origin)


class OriginPolicy:
    """Decides whether a page's Origin may use the widget and the /public namespace.

    The server's own origin is always allowed (the waiting room runs there). A
    request without an Origin header comes from no web page (curl, a server) and is
    allowed: the allowlist protects citizens' browsers, not public data.
    """

    def __init__(self, redis: Redis, own_origin: str, configured: Iterable[str]) -> None:
        self._redis = redis
        self._own = normalize(own_origin)
        self._configured = {o for o in (normalize(c) for c in configured) if o}

    async def administered(self) -> set[str]:
        return {str(o) for o in await self._redis.smembers(keys.ALLOWED_ORIGINS)}  # stored as text

    async def set_administered(self, origins: Iterable[str]) -> list[str]:
        """Replace the list the administrator keeps; returns what was not an origin."""
        good, bad = set(), []
        for origin in origins:
            value = normalize(origin)
            (good.add(value) if value else bad.append(origin))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.ALLOWED_ORIGINS)
            if good:
                pipe.sadd(keys.ALLOWED_ORIGINS, *good)
            await pipe.execute()
        return bad

    async def allows(self, origin: str | None, office_origins: Iterable[str] = ()) -> bool:
        if origin is None:
            return True
        value = normalize(origin)
        if value is None:
            return False
        if value == self._own or "*" in self._configured or value in self._configured:
            return True
        if value in {normalize(o) for o in office_origins}:
            return True
        administered = await self.administered()
        return "*" in administered or value in administered

    async def frame_ancestors(self, office: Office | None) -> list[str]:
        """Who may frame a citizen page: our own origin plus every origin allowed to embed ``office``."""
        allowed: set[str | None] = set(self._configured)
        allowed |= {normalize(o) for o in (office.embed_origins if office else ())}
        try:
            allowed |= await self.administered()
        except Exception:  # noqa: BLE001 - Redis away: the configured list still holds
            log.warning("administered embed origins unavailable; framing limited to the configured ones")
        if "*" in allowed:
            return ["*"]
        return ["'self'", *sorted(o for o in allowed if o)]


# -- cross-site request forgery -------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (a login starts a new session, so a new token)."""
    value = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(value, str) or len(value) < 32:
        value = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = value
    return value


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another website."""
    origin = request.headers.get("origin")
    if origin is not None:
        own = {normalize(request.app.state.settings.base_url), normalize(str(request.base_url))}
        return normalize(origin) in own - {None}
    # Without Origin (older browsers on same-origin GET-like posts, non-browser clients),
    # Fetch Metadata still tells a cross-site request apart.
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


def verify_csrf(request: Request, form: Mapping[str, object] | None = None) -> None:
    """Refuse (403) a state-changing request without this session's token or from elsewhere."""
    if not same_origin(request):
        raise HTTPException(403, "cross-origin request refused")
    expected = request.session.get(CSRF_SESSION_KEY)
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and form is not None:
        value = form.get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not supplied or not hmac.compare_digest(expected.encode(), supplied.encode()):
        raise HTTPException(403, "missing or wrong CSRF token")


# -- headers ----------------------------------------------------------------------


def staff_headers(framing: str | None = None) -> dict[str, str]:
    """Headers of a staff page; ``framing`` lets someone frame it (the embed preview: our own admin page)."""
    headers = {
        "Content-Security-Policy": STAFF_POLICY.format(ancestors=framing or "'none'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    if framing is None:
        headers["X-Frame-Options"] = "DENY"
    return headers


def citizen_headers(ancestors: list[str]) -> dict[str, str]:
    """Headers of the pages citizens use, framable only by ``ancestors``."""
    return {
        "Content-Security-Policy": CITIZEN_POLICY.format(ancestors=" ".join(ancestors)),
        "Permissions-Policy": PERMISSIONS,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


__all__ = [
    "CSRF_FIELD",
    "DOWNLOAD_HEADERS",
    "OriginPolicy",
    "citizen_headers",
    "csrf_token",
    "is_own_origin",
    "normalize",
    "same_origin",
    "staff_headers",
    "verify_csrf",
]
