"""The clerk's login session: Starlette's signed cookie, readable from socket.io too."""

from __future__ import annotations

import json
from base64 import b64decode
from http.cookies import SimpleCookie

import itsdangerous
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from virtual_office.settings import Settings

SESSION_COOKIE = "vo_session"
MAX_AGE = 12 * 3600
"""A working day and a half; a clerk logs in again each morning."""


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
