"""What every socket.io event handler shares: payload checks and error acknowledgements."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from socketio.exceptions import ConnectionRefusedError

from virtual_office.queue import InvalidInput, QueueError
from virtual_office.server import payloads
from virtual_office.server.i18n import language, translate

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[dict[str, Any]]]


def refuse(code: str, lang: str) -> ConnectionRefusedError:
    """A refused connection the client sees as ``err.message == code`` with ``err.data``."""
    return ConnectionRefusedError(code, {"error": code, "message": translate(lang, f"error.{code}")})


def from_own_page(environ: dict[str, Any], auth: object, own_origin: str) -> tuple[dict[str, Any], str]:
    """The auth payload and language of a connection, refused unless from our own pages.

    Cookies and tokens ride along with any page's request, so only our own origin may use
    the citizen, clerk and visit namespaces. No Origin header means no web page at all.
    """
    payload = auth if isinstance(auth, dict) else {}
    lang = language(payload.get("lang"))
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None and origin.rstrip("/") != own_origin:
        raise refuse("origin_not_allowed", lang)
    return payload, lang


def field(data: dict[str, Any], name: str, *, required: bool = True, max_length: int = 200) -> str:
    """A string field of an event payload; InvalidInput when missing or malformed."""
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise InvalidInput(f"{name} must be a non-empty string")
    return value


def event(handler: Handler) -> Handler:
    """Wrap an event handler so that any refusal becomes {"ok": false, ...} for the sender only.

    The payload must be a JSON object (or absent). Unexpected errors are logged with the
    event name only, never the payload (it may hold names and concerns).
    """

    @functools.wraps(handler)
    async def wrapper(self: Any, sid: str, data: Any = None) -> dict[str, Any]:
        session = await self.get_session(sid)
        lang = session.get("lang", "de")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return payloads.error("bad_request", lang)
        try:
            return await handler(self, sid, session, data)
        except QueueError as exc:
            return payloads.error(exc, lang)
        except Exception:  # noqa: BLE001 - the sender gets an answer; everyone else is unaffected
            log.exception("event %s on %s failed", handler.__name__, self.namespace)
            return payloads.error("internal", lang)

    return wrapper
