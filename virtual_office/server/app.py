"""The ASGI application: Starlette for HTTP, python-socketio mounted beside it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import socketio
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from virtual_office.mail import Mailer
from virtual_office.payments import Cashier, Reconciler
from virtual_office.server import account, admin, booking, botcheck, console, login, public, visit, waiting_room
from virtual_office.server.assets import build_scripts, static_routes
from virtual_office.server.cluster import Cluster
from virtual_office.server.connections import ConnectionCap
from virtual_office.server.metrics import Metrics
from virtual_office.server.metrics import routes as metrics_routes
from virtual_office.server.presence import CitizenPresence
from virtual_office.server.realtime import SocketApp, create_sio
from virtual_office.server.security import OriginPolicy
from virtual_office.server.services import Services
from virtual_office.server.sessions import LoginThrottle, session_middleware
from virtual_office.server.shutdown import stop_socketio, stop_tasks
from virtual_office.server.status import StatusBroadcaster
from virtual_office.server.sweeper import Sweeper
from virtual_office.server.templating import templates
from virtual_office.settings import Settings
from virtual_office.widget import build_widget

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    share_rooms_through_redis: bool | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    mail_directory: Path | None = None,
) -> socketio.ASGIApp:
    """Build the whole server for ``settings`` (whose redis_url must be set).

    Rooms are shared through Redis when an external Redis is configured (several
    processes may serve one deployment); the embedded one serves a single process.
    ``extra_routes`` are added as they are (the demo's example city page). Mail goes to
    ``settings.smtp_url``, else is written to ``mail_directory`` (the demo's), else is not sent.
    """
    assert settings.redis_url, "create_app needs settings.redis_url (the CLI starts an embedded Redis)"
    assert settings.secret_key, "create_app needs settings.secret_key (Settings.with_secret())"
    if share_rooms_through_redis is None:
        share_rooms_through_redis = not settings.redis_url.startswith("unix://")
    services = Services.open(settings, settings.redis_url)
    sio = create_sio(settings.redis_url if share_rooms_through_redis else None, ConnectionCap(settings))
    policy = OriginPolicy(services.redis, settings.base_url, settings.allowed_origins)
    status = StatusBroadcaster(sio, services)
    services.room.on_change(status.mark)
    presence = CitizenPresence(services.room)
    # Payments: one reconciler of the deployment follows every unsettled payment (docs/payments.md);
    # the visit pushes each change of a payment to its members.
    cashier = Cashier(services.redis, services.offices)
    # With rooms shared through Redis this process is one node of several: a visit's media
    # lives on its home node, which the others reach through Redis (docs/cluster.md).
    cluster = Cluster(services.redis, services.media, sio, takes_visits=not settings.signaling_only) if share_rooms_through_redis else None
    visits = visit.Visits.create(sio, services, status, presence, cashier, cluster.signaling if cluster else None)
    metrics = Metrics(settings, services, sio)
    citizen = waiting_room.CitizenNamespace(services, status, visits, presence, metrics)
    todays_appointments = console.ConsoleAppointments(sio, services)
    services.appointments.on_change(todays_appointments.push)
    clerk = console.ClerkNamespace(services, status, visits, todays_appointments)
    for namespace in (public.PublicNamespace(services, status, policy), citizen, clerk, visits.namespace):
        sio.register_namespace(namespace)
    reconciler = Reconciler(cashier, services.redis)
    mailer = Mailer.open(services.redis, smtp_url=settings.smtp_url, mail_from=settings.mail_from, directory=mail_directory)
    mail_delivery = mailer.delivery()
    sweeper = Sweeper(services, status, visits, mailer)
    widget = build_widget(settings.data_dir / "widget")
    scripts = build_scripts(settings.data_dir / "assets")
    templates.env.globals["script_url"] = scripts.url  # the same URLs for every app of this code: named by content

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(status.run(), name="status"),
            asyncio.create_task(sweeper.run(), name="sweeper"),
            asyncio.create_task(presence.run(), name="citizen-presence"),
            asyncio.create_task(clerk.heartbeats(), name="clerk-heartbeats"),
            asyncio.create_task(reconciler.run(), name="payment-reconciler"),
        ]
        if mail_delivery is not None:
            tasks.append(asyncio.create_task(mail_delivery.run(), name="mail-delivery"))
        if cluster is not None:
            tasks.append(asyncio.create_task(cluster.run(), name="cluster-node"))
        try:
            yield
        finally:
            await stop_tasks(tasks)
            if cluster is not None:
                await cluster.stop()
            await stop_socketio(sio)
            await cashier.close()
            await services.close()

    app = Starlette(
        routes=[
            *public.routes,
            *public.widget_routes(widget),
            *botcheck.routes,
            *waiting_room.routes,
            *booking.routes,
            *visit.routes,
            *console.routes,
            *login.routes,
            *account.routes,
            *admin.routes,
            *metrics_routes,
            *extra_routes,
            *static_routes(),
            *scripts.routes(),
        ],
        middleware=[session_middleware(settings)],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.settings = settings
    app.state.sio = sio
    app.state.status = status
    app.state.visits = visits
    app.state.cluster = cluster
    app.state.origins = policy
    app.state.mail = mailer
    app.state.cashier = cashier
    app.state.metrics = metrics
    app.state.botcheck = botcheck.BotCheck(services.redis, settings.secret_key, cost=settings.bot_check_cost)
    app.state.login_throttle = LoginThrottle(services.redis, settings.login_attempts, secret_key=settings.secret_key,
                                             secure=settings.cookies_secure)
    return SocketApp(sio, other_asgi_app=app, socketio_path="socket.io")
