"""socket.io: the three namespaces, the change broadcaster, and how processes share rooms."""

from __future__ import annotations

import socketio

from virtual_office.server.origins import OriginPolicy
from virtual_office.server.realtime.broadcaster import Broadcaster
from virtual_office.server.realtime.citizen import CitizenNamespace
from virtual_office.server.realtime.clerk import ClerkNamespace
from virtual_office.server.realtime.public import PublicNamespace
from virtual_office.server.realtime.visit import VisitNamespace
from virtual_office.server.services import Services

PING_INTERVAL = 60
"""Seconds; longer than Engine.IO's 25 s default: thousands of idle widgets cost less CPU."""

PUBLISH_CONNECTIONS = 1000
"""Redis connections socket.io's manager may open for publishing at once."""


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


def register(sio: socketio.AsyncServer, services: Services, policy: OriginPolicy) -> tuple[Broadcaster, CitizenNamespace, ClerkNamespace]:
    broadcaster = Broadcaster(sio, services)
    own = services.settings.base_url
    citizen = CitizenNamespace(services, broadcaster, own)
    clerk = ClerkNamespace(services, broadcaster, own)
    sio.register_namespace(PublicNamespace(services, broadcaster, policy))
    sio.register_namespace(citizen)
    sio.register_namespace(clerk)
    sio.register_namespace(VisitNamespace(services, own))
    services.room.on_change(broadcaster.mark)
    return broadcaster, citizen, clerk


__all__ = ["Broadcaster", "create_sio", "register"]
