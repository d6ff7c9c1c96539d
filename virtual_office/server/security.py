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
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import Redis
from starlette.exceptions import HTTPException
from starlette.requests import Request

from virtual_office.queue import DEFAULT, Office, keys

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

REFUSED_KEPT = 50
"""How many refused websites the administration lists (the most recent ones)."""
REFUSED_DAYS = 30
"""How long a refused website stays listed after its last refusal."""
REFUSED_LOG_EVERY_MS = 60_000
"""A website refused again and again is logged once a minute."""
MAX_ORIGIN_LENGTH = 300

_NOTE_REFUSAL = """
-- KEYS: last seen (sorted set), counts (hash), last logged (hash)
-- ARGV: origin, now (ms), kept for (ms), how many are kept, log every (ms)
local origin, now, keep = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - keep))
for _, o in ipairs(gone) do
  redis.call('ZREM', KEYS[1], o); redis.call('HDEL', KEYS[2], o); redis.call('HDEL', KEYS[3], o)
end
redis.call('ZADD', KEYS[1], now, origin)
local count = redis.call('HINCRBY', KEYS[2], origin, 1)
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
if over > 0 then
  for _, o in ipairs(redis.call('ZRANGE', KEYS[1], 0, over - 1)) do
    if o ~= origin then
      redis.call('ZREM', KEYS[1], o); redis.call('HDEL', KEYS[2], o); redis.call('HDEL', KEYS[3], o)
    end
  end
end
local logged = tonumber(redis.call('HGET', KEYS[3], origin) or '0')
local log = 0
if now - logged >= tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[3], origin, now)
  log = 1
end
for _, k in ipairs(KEYS) do redis.call('PEXPIRE', k, keep) end
return {count, log}
"""
"""Note one refusal of ``origin``: last seen, count, the oldest and the stale ones dropped; 1 if it is to be logged."""


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


@dataclass(frozen=True)
class RefusedOrigin:
    """A website the embed allowlist refused: when last, and how often (within :data:`REFUSED_DAYS`)."""

    origin: str
    last_seen: datetime
    count: int


class OriginPolicy:
    """Decides whether a page's Origin may use the widget and the /public namespace.

    The server's own origin is always allowed (the waiting room runs there). A
    request without an Origin header comes from no web page (curl, a server) and is
    allowed: the allowlist protects citizens' browsers, not public data.

    Websites it refuses are noted (:meth:`note_refusal`, the origin only) so the
    administration can see who tried and allow them with one click (:meth:`allow`).

    Each tenant keeps its own list and its own refused websites (``tenant``). The
    configured list (VO_ALLOWED_ORIGINS, from before tenants) is the default tenant's
    only: a website listed there, or by another tenant, never embeds a tenant's widget
    unless that tenant lists it too (only our own origin holds for every tenant).
    """

    def __init__(self, redis: Redis, own_origin: str, configured: Iterable[str]) -> None:
        self._redis = redis
        self._own = normalize(own_origin)
        self._configured = {o for o in (normalize(c) for c in configured) if o}
        self._note = redis.register_script(_NOTE_REFUSAL)

    def configured(self, tenant: str = DEFAULT) -> set[str]:
        """The configured websites that count for ``tenant``: VO_ALLOWED_ORIGINS for the default tenant, none for others."""
        return set(self._configured) if tenant == DEFAULT else set()

    async def administered(self, tenant: str = DEFAULT) -> set[str]:
        return {str(o) for o in await self._redis.smembers(keys.allowed_origins(tenant))}  # stored as text

    async def set_administered(self, origins: Iterable[str], tenant: str = DEFAULT) -> list[str]:
        """Replace the list the administrator keeps; returns what was not an origin."""
        good, bad = set(), []
        for origin in origins:
            value = normalize(origin)
            (good.add(value) if value else bad.append(origin))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.allowed_origins(tenant))
            if good:
                pipe.sadd(keys.allowed_origins(tenant), *good)
            await pipe.execute()
        if good - {"*"}:
            await self._forget_refused(tenant, *(good - {"*"}))
        return bad

    async def allow(self, origin: str, tenant: str = DEFAULT) -> str | None:
        """Add one website to the administrator's list (and drop it from the refused ones); None if not an origin."""
        value = normalize(origin)
        if value is None or value == "*":
            return None
        await self._redis.sadd(keys.allowed_origins(tenant), value)
        await self._forget_refused(tenant, value)
        return value

    async def note_refusal(self, origin: str | None, *, tenant: str = DEFAULT, now_ms: int | None = None) -> None:
        """Remember that a page on ``origin`` was refused, and log it (at most once a minute per website).

        Only a well-formed http(s) origin is kept, never more of the request. Redis
        being away costs the note, never the refusal itself.
        """
        value = normalize(origin or "")
        if value is None or value == "*" or len(value) > MAX_ORIGIN_LENGTH:
            return
        now = int(time.time() * 1000) if now_ms is None else now_ms
        try:
            _, logged = await self._note(
                keys=list(keys.refused_origins(tenant)),
                args=[value, now, REFUSED_DAYS * 86_400_000, REFUSED_KEPT, REFUSED_LOG_EVERY_MS],
            )
        except Exception:  # noqa: BLE001 - a note, not a reason to fail
            log.warning("could not note a refused embed origin")
            return
        if int(logged):
            log.info("embedding refused for %s (not an allowed website)", value)

    async def refused(self, *, tenant: str = DEFAULT, now_ms: int | None = None) -> list[RefusedOrigin]:
        """The websites refused lately, most recent first, without those allowed since."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        since = now - REFUSED_DAYS * 86_400_000
        seen, counted, _ = keys.refused_origins(tenant)
        raw: list[Any] = await self._redis.zrevrangebyscore(seen, "+inf", since, withscores=True)
        entries = [(str(origin), float(score)) for origin, score in raw]
        if not entries:
            return []
        counts = await self._redis.hmget(counted, [o for o, _ in entries])
        allowed = self.configured(tenant) | await self.administered(tenant)
        return [
            RefusedOrigin(origin, datetime.fromtimestamp(score / 1000).astimezone(), int(count or 1))
            for (origin, score), count in zip(entries, counts, strict=True)
            if origin not in allowed and "*" not in allowed
        ]

    async def _forget_refused(self, tenant: str, *origins: str) -> None:
        seen, counted, logged = keys.refused_origins(tenant)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(seen, *origins)
            pipe.hdel(counted, *origins)
            pipe.hdel(logged, *origins)
            await pipe.execute()

    async def allows(self, origin: str | None, office_origins: Iterable[str] = (), *, tenant: str = DEFAULT) -> bool:
        if origin is None:
            return True
        value = normalize(origin)
        if value is None:
            return False
        configured = self.configured(tenant)
        if value == self._own or "*" in configured or value in configured:
            return True
        if value in {normalize(o) for o in office_origins}:
            return True
        administered = await self.administered(tenant)
        return "*" in administered or value in administered

    async def frame_ancestors(self, office: Office | None) -> list[str]:
        """Who may frame a citizen page: our own origin plus every origin allowed to embed ``office``."""
        allowed: set[str | None] = set(self.configured(office.tenant if office else DEFAULT))
        allowed |= {normalize(o) for o in (office.embed_origins if office else ())}
        try:
            allowed |= await self.administered(office.tenant if office else DEFAULT)
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


def citizen_headers(ancestors: list[str], images: list[str] | None = None) -> dict[str, str]:
    """Headers of the pages citizens use, framable only by ``ancestors``; ``images``: origins the page may
    show an image from besides our own (the tenant's logo)."""
    policy = CITIZEN_POLICY.format(ancestors=" ".join(ancestors))
    if images:
        policy = policy.replace("img-src 'self'", "img-src 'self' " + " ".join(images), 1)
    return {
        "Content-Security-Policy": policy,
        "Permissions-Policy": PERMISSIONS,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


__all__ = [
    "CSRF_FIELD",
    "DOWNLOAD_HEADERS",
    "OriginPolicy",
    "RefusedOrigin",
    "citizen_headers",
    "csrf_token",
    "is_own_origin",
    "normalize",
    "same_origin",
    "staff_headers",
    "verify_csrf",
]
