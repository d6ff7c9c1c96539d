"""socket.io plumbing: the server, how processes share rooms, and what every namespace shares.

Every namespace derives from :class:`Namespace`, whose ``trigger_event`` is the one
place an inbound event is checked: the payload is a JSON object (or absent), the
handler is called as ``on_<event>(sid, session, data)``, and any refusal becomes
``{"ok": false, "error": ..., "message": ...}`` for the sender alone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import socketio
from socketio.exceptions import ConnectionRefusedError

from virtual_office.queue import InvalidInput, QueueError
from virtual_office.server import payloads
from virtual_office.server.i18n import language, translate
from virtual_office.server.security import is_own_origin

log = logging.getLogger(__name__)

PING_INTERVAL = 60
"""Seconds; longer than Engine.IO's 25 s default: thousands of idle widgets cost less CPU."""

PUBLISH_CONNECTIONS = 1000
"""Redis connections socket.io's manager may open for publishing at once."""

LIFECYCLE = ("connect", "disconnect")
"""Events socket.io itself raises; a client that sends one by name is refused."""

Session = dict[str, Any]
Handler = Callable[[str, Session, dict[str, Any]], Awaitable[dict[str, Any]]]


class UnknownEvent(QueueError):
    """An event no handler answers."""

    code = "unknown_event"


def create_sio(redis_url: str | None) -> socketio.AsyncServer:
    """The socket.io server; with ``redis_url`` rooms are shared by every process on that Redis."""
    # Every emit is also published to Redis, one connection each while in flight; with
    # redis-py's default cap of 100 a burst of connecting widgets makes publishes fail.
    manager = socketio.AsyncRedisManager(redis_url, redis_options={"max_connections": PUBLISH_CONNECTIONS}) if redis_url else None
    return socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        # Origins are checked per namespace (the widget's allowlist differs from the
        # console's own-origin rule); no credentials cross origins.
        cors_allowed_origins="*",
        cors_credentials=False,
        ping_interval=PING_INTERVAL,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
        logger=False,
        engineio_logger=False,
    )


def refuse(code: str, lang: str) -> ConnectionRefusedError:
    """A refused connection the client sees as ``err.message == code`` with ``err.data``."""
    return ConnectionRefusedError(code, {"error": code, "message": translate(lang, f"error.{code}")})


def from_own_page(environ: Mapping[str, Any], auth: object, own_origin: str) -> tuple[dict[str, Any], str]:
    """The auth payload and language of a connection, refused unless from our own pages.

    Cookies and tokens ride along with any page's request, so only our own origin may use
    the citizen, clerk and visit namespaces. No Origin header means no web page at all.
    """
    payload = auth if isinstance(auth, dict) else {}
    lang = language(payload.get("lang"))
    if not is_own_origin(environ.get("HTTP_ORIGIN"), own_origin):
        raise refuse("origin_not_allowed", lang)
    return payload, lang


def field(data: Mapping[str, Any], name: str, *, required: bool = True, max_length: int = 200) -> str:
    """A string field of an event payload; InvalidInput when missing or malformed."""
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise InvalidInput(f"{name} must be a non-empty string")
    return value


class Namespace(socketio.AsyncNamespace):  # type: ignore[misc]  # python-socketio ships no types
    """A namespace whose events are checked and answered in one place.

    Subclasses write ``on_connect(sid, environ, auth)``, ``on_disconnect(sid)`` and
    event handlers ``on_<event>(sid, session, data) -> dict``; the session is the one
    saved at connect (``lang`` at least).
    """

    async def trigger_event(self, event: str, *args: Any) -> Any:
        sid = args[0] if args else ""
        if event in LIFECYCLE:
            # socket.io raises these while the connection is still being set up or torn
            # down; one sent by a connected client by name would run them twice.
            if self.server.manager.is_connected(sid, self.namespace):
                return payloads.error("bad_request", "de")
            if event == "disconnect":
                return await self.on_disconnect(sid)
            return await self.on_connect(*args[:3])
        session = await self.get_session(sid)
        lang = session.get("lang", "de")
        data = args[1] if len(args) > 1 else None
        if data is None:
            data = {}
        if not isinstance(event, str) or not isinstance(data, dict) or len(args) > 2:
            return payloads.error("bad_request", lang)
        try:
            return await self.dispatch(event, sid, session, data)
        except QueueError as exc:
            return payloads.error(exc, lang)
        except Exception:  # noqa: BLE001 - the sender gets an answer; everyone else is unaffected
            # The event name only, never the payload: it may hold names and concerns.
            log.exception("event %s on %s failed", event, self.namespace)
            return payloads.error("internal", lang)

    async def dispatch(self, event: str, sid: str, session: Session, data: dict[str, Any]) -> dict[str, Any]:
        """Call ``on_<event>(sid, session, data)``; a namespace may route events otherwise."""
        handler: Handler | None = getattr(self, f"on_{event}", None)
        if handler is None:
            raise UnknownEvent(event)
        return await handler(sid, session, data)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        raise refuse("bad_request", "de")

    async def on_disconnect(self, sid: str) -> None:
        return None


__all__ = ["Namespace", "UnknownEvent", "create_sio", "field", "from_own_page", "refuse"]
