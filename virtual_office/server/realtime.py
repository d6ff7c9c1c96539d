"""socket.io plumbing: the server, how processes share rooms, and what every namespace shares.

Every namespace derives from :class:`Namespace`, whose ``trigger_event`` is the one
place an inbound event is checked: the payload is a JSON object (or absent) that the
rest of the server can use (``api.plain_json``: no lone surrogates, NaN, huge numbers or
deep nesting) and of the shape the namespace declares for the event (``events``, from the
feature's ``schemas.py``); the handler is called as ``on_<event>(sid, session, payload)``
with the parsed model, and any refusal becomes ``{"ok": false, "error": ..., "message": ...}``
for the sender alone (a payload of the wrong shape: ``bad_request``, with ``field`` naming
the declared field at fault).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import engineio  # type: ignore[import-untyped]  # ships no types
import socketio
from socketio import packet
from socketio.async_pubsub_manager import AsyncPubSubManager
from socketio.exceptions import ConnectionRefusedError
from starlette.types import Message, Receive, Scope, Send

from virtual_office import redis_client
from virtual_office.queue import InvalidInput, QueueError
from virtual_office.server import connections, payloads
from virtual_office.server.api import plain_json
from virtual_office.server.i18n import language, preferred, translate
from virtual_office.server.schemas import BadPayload, Connect, Events, parse
from virtual_office.server.security import is_own_origin

log = logging.getLogger(__name__)

PING_INTERVAL = 60
"""Seconds; longer than Engine.IO's 25 s default: thousands of idle widgets cost less CPU."""

PUBLISH_CONNECTIONS = 1000
"""Redis connections socket.io's manager may open for publishing at once."""

LIFECYCLE = ("connect", "disconnect")
"""Events socket.io itself raises; a client that sends one by name is refused."""

Session = dict[str, Any]
Handler = Callable[[str, Session, Any], Awaitable[dict[str, Any]]]
"""``on_<event>(sid, session, payload)``, ``payload`` an instance of the event's declared schema."""


class UnknownEvent(QueueError):
    """An event no handler answers."""

    code = "unknown_event"


MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError)
"""What python-socketio raises on a packet that is not socket.io (bad JSON, a broken header, an
attachment nobody announced, an event packet without a name)."""


_HEADER = re.compile(r"([25])(?:\d{1,10}-)?(?:(/[^,]*),)?(\d{1,100})(?!\d)")
"""The start of an event packet: type (event, binary event), attachments, namespace, acknowledgement id."""


class CapReached(str):
    """What a connect handler returns to refuse a connection beyond the cap: the error code, and
    the language to say it in (Engine.IO hands the value on to :meth:`Engine._unauthorized`)."""

    lang = "de"


class Engine(engineio.AsyncServer):  # type: ignore[misc]  # python-engineio ships no types
    """Engine.IO's server, answering a connection the cap refused with 429 and a JSON error (not 401)."""

    def _unauthorized(self, message: object = None) -> dict[str, Any]:
        if not isinstance(message, CapReached):
            return super()._unauthorized(message)  # type: ignore[no-any-return]
        body = json.dumps(payloads.error(str(message), message.lang)).encode()
        headers = [("Content-Type", "application/json"), ("Retry-After", "60")]
        return {"status": "429 Too Many Requests", "headers": headers, "response": body}


class Server(socketio.AsyncServer):  # type: ignore[misc]  # python-socketio ships no types
    """socket.io's server, answering packets it cannot decode instead of logging a traceback.

    python-socketio raises while decoding a malformed packet (JSON it cannot read, integers
    of more than 100 digits, nesting deeper than the parser's stack, an attachment nobody
    announced, an event without a name); Engine.IO logs the traceback and the client waits
    for an acknowledgement that never comes. Here an event that asked for one gets
    ``bad_request``; anything else closes the connection. Handlers' own errors never arrive
    here: events run in tasks of their own, answered by :meth:`Namespace.trigger_event`.
    """

    cap: connections.ConnectionCap | None = None
    """Open connections per address (set by :func:`create_sio`)."""

    def _engineio_server_class(self) -> type[Engine]:
        return Engine

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> object:
        """A new connection, before any namespace: refused when its address holds the most already."""
        if self.cap is not None and not self.cap.open(eio_sid, environ):
            refused = CapReached(connections.REFUSED)
            refused.lang = preferred(environ.get("HTTP_ACCEPT_LANGUAGE"))
            return refused
        return await super()._handle_eio_connect(eio_sid, environ)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: object) -> None:
        """However a connection ends (closed, dropped, timed out), it no longer counts."""
        try:
            await super()._handle_eio_disconnect(eio_sid, reason)
        finally:
            if self.cap is not None:
                self.cap.close(eio_sid)

    async def _handle_eio_message(self, eio_sid: str, data: object) -> None:
        try:
            if eio_sid in self._binary_packet and not isinstance(data, bytes):
                raise ValueError("a text packet where an announced binary attachment belongs")
            await super()._handle_eio_message(eio_sid, data)
        except MALFORMED as exc:
            self._binary_packet.pop(eio_sid, None)
            if not await self._refuse_event(eio_sid, data):
                log.warning("malformed socket.io packet (%s): connection closed", type(exc).__name__)
                await self.eio.disconnect(eio_sid)

    async def _refuse_event(self, eio_sid: str, data: object) -> bool:
        """Answer an undecodable event with ``bad_request``, if it asked for an answer on a namespace it joined."""
        header = _HEADER.match(data) if isinstance(data, str) else None
        if header is None:
            return False
        namespace = header.group(2) or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is None or not self.manager.is_connected(sid, namespace):
            return False
        lang = (await self.get_session(sid, namespace=namespace)).get("lang", "de")
        answer = payloads.error("bad_request", lang)
        await self._send_packet(eio_sid, self.packet_class(packet.ACK, namespace=namespace, data=[answer], id=int(header.group(3))))
        return True


ENGINEIO_TYPES = frozenset("0123456")
"""The Engine.IO packet types a text frame may start with (open, close, ping, pong, message, upgrade, noop)."""


class SocketApp(socketio.ASGIApp):  # type: ignore[misc]  # python-socketio ships no types
    """socket.io's ASGI app, closing a WebSocket whose text frame is no Engine.IO packet.

    Engine.IO decodes a frame outside any handler: an empty one, or one of an unknown
    packet type, ends in a traceback in the log (and, for the empty frame, in an
    unhandled exception of the connection). Such a client speaks some other protocol.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            return await super().__call__(scope, receive, send)

        async def checked() -> Message:
            message = await receive()
            text = message.get("text") if message["type"] == "websocket.receive" else None
            if text is not None and (not text or text[0] not in ENGINEIO_TYPES):
                log.warning("a WebSocket frame that is no Engine.IO packet: connection closed")
                return {"type": "websocket.disconnect", "code": 1002}
            return message

        return await super().__call__(scope, checked, send)


class RedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]  # socketio ships no types
    """socket.io's rooms shared through Redis, on a client of :func:`redis_client.connect`:
    the same URLs (Sentinel too) and the same riding through a failover as the rest."""

    def _redis_connect(self) -> None:
        # Called again after the listener lost its connection: the client asks anew for the primary.
        self.redis = redis_client.connect(self.redis_url, max_connections=PUBLISH_CONNECTIONS, decode_responses=False)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True


def create_sio(redis_url: str | None, cap: connections.ConnectionCap | None = None) -> socketio.AsyncServer:
    """The socket.io server; with ``redis_url`` rooms are shared by every process on that Redis;
    ``cap`` limits the connections one address holds open."""
    # Every emit is also published to Redis, one connection each while in flight; with
    # redis-py's default cap of 100 a burst of connecting widgets makes publishes fail.
    manager = RedisManager(redis_url) if redis_url else None
    server = Server(
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
    server.cap = cap
    return server


def shares_rooms(sio: socketio.AsyncServer) -> bool:
    """Whether ``sio``'s rooms are shared with other processes (every emit is published to them)."""
    # The base of every manager that shares rooms (Redis, AMQP); socketio does not export it by name.
    return isinstance(sio.manager, AsyncPubSubManager)


def has_local_member(sio: socketio.AsyncServer, namespace: str, room: str) -> bool:
    """Whether a socket of this process is in ``room``.

    python-socketio has no public call for this: ``get_participants`` copies the whole
    room to answer it. Its manager keeps this process's rooms (only these, with the Redis
    manager too) in ``rooms[namespace][room]``, sid -> Engine.IO sid, and drops a room
    when its last member leaves. tests/server/test_status.py checks that table, so a
    python-socketio upgrade that changes it fails there rather than silently pushing nothing.
    """
    return bool(sio.manager.rooms.get(namespace, {}).get(room))


def refuse(code: str, lang: str) -> ConnectionRefusedError:
    """A refused connection the client sees as ``err.message == code`` with ``err.data``."""
    return ConnectionRefusedError(code, {"error": code, "message": translate(lang, f"error.{code}")})


def from_own_page(environ: Mapping[str, Any], auth: Connect, own_origin: str) -> str:
    """The language of a connection, refused unless from our own pages.

    Cookies and tokens ride along with any page's request, so only our own origin may use
    the citizen, clerk and visit namespaces. No Origin header means no web page at all.
    """
    lang = language(auth.lang)
    if not is_own_origin(environ.get("HTTP_ORIGIN"), own_origin):
        raise refuse("origin_not_allowed", lang)
    return lang


class Namespace(socketio.AsyncNamespace):  # type: ignore[misc]  # python-socketio ships no types
    """A namespace whose events are checked and answered in one place.

    Subclasses write ``on_connect(sid, environ, auth)``, ``on_disconnect(sid)`` and
    event handlers ``on_<event>(sid, session, payload) -> dict``, and declare each event's
    payload in ``events`` and the connect's ``auth`` in ``connect_schema``; the session is
    the one saved at connect (``lang`` at least).
    An event not declared is unknown, whatever handlers there are.
    """

    events: Events = {}
    """Event name -> the schema its payload is parsed into (the feature's ``schemas.EVENTS``)."""
    connect_schema: type[Connect] = Connect
    """What the page sends when it connects (socket.io's ``auth``), parsed before ``on_connect``."""

    async def trigger_event(self, event: str, *args: Any) -> Any:
        sid = args[0] if args else ""
        if event in LIFECYCLE:
            # socket.io raises these while the connection is still being set up or torn
            # down; one sent by a connected client by name would run them twice.
            if self.server.manager.is_connected(sid, self.namespace):
                return payloads.error("bad_request", "de")
            if event == "disconnect":
                return await self.on_disconnect(sid)
            try:
                environ = args[1] if len(args) > 1 else {}
                return await self.on_connect(sid, environ, self.connect_payload(args[2] if len(args) > 2 else None))
            except ConnectionRefusedError:
                raise
            except Exception:  # noqa: BLE001 - refused with a clear error, and not taken for a malformed packet
                log.exception("connect on %s failed", self.namespace)
                raise refuse("internal", "de") from None
        session = await self.get_session(sid)
        lang = session.get("lang", "de")
        data = args[1] if len(args) > 1 else None
        if data is None:
            data = {}
        if not isinstance(event, str) or not isinstance(data, dict) or len(args) > 2:
            return payloads.error("bad_request", lang)
        try:
            plain_json(event)
            plain_json(data)  # what pydantic does not check: nesting, NaN, huge numbers, surrogates
            schema = self.events.get(event)
            if schema is None:
                raise UnknownEvent(event)
            return await self.dispatch(event, sid, session, parse(schema, data))
        except BadPayload as exc:
            return payloads.error(exc, lang, **({"field": exc.field} if exc.field else {}))
        except QueueError as exc:
            return payloads.error(exc, lang)
        except Exception:  # noqa: BLE001 - the sender gets an answer; everyone else is unaffected
            # The event name only, never the payload: it may hold names and concerns.
            log.exception("event %s on %s failed", event, self.namespace)
            return payloads.error("internal", lang)

    def connect_payload(self, auth: object) -> Connect:
        """The page's ``auth`` as ``connect_schema``; a connection that sends anything else is refused."""
        lang = language(auth.get("lang")) if isinstance(auth, dict) else "de"
        try:
            plain_json(auth)
            return parse(self.connect_schema, {} if auth is None else auth)
        except InvalidInput:  # BadPayload too
            raise refuse("bad_request", lang) from None

    def handlers(self) -> dict[str, Callable[..., Awaitable[dict[str, Any]]]]:
        """Event name -> handler: every ``on_<event>`` but socket.io's own (checked against ``events`` by the tests)."""
        names = (name for name in dir(self) if name.startswith("on_") and name.removeprefix("on_") not in LIFECYCLE)
        return {name.removeprefix("on_"): getattr(self, name) for name in names}

    async def dispatch(self, event: str, sid: str, session: Session, payload: Any) -> dict[str, Any]:
        """Call ``on_<event>(sid, session, payload)``; a namespace may route events otherwise."""
        handler: Handler | None = getattr(self, f"on_{event}", None)
        if handler is None:
            raise UnknownEvent(event)
        return await handler(sid, session, payload)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        """``auth`` is an instance of the namespace's ``connect_schema``."""
        raise refuse("bad_request", "de")

    async def on_disconnect(self, sid: str) -> None:
        return None


__all__ = ["Namespace", "Server", "UnknownEvent", "SocketApp", "create_sio", "from_own_page", "has_local_member", "refuse",
           "shares_rooms"]
