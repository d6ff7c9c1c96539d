"""/metrics in Prometheus's text format, for the operator's monitoring and no one else.

Two kinds of numbers (docs/configuration.md, "Watching it"): those of the deployment, read
from Redis at scrape time in one pipeline (people waiting, clerks on duty, estimates, mail and
payments pending), which every process answers alike; and those of this process (its visits'
media, connection checks, frames, socket.io connections, the waits it admitted, its round trip
to Redis), labelled ``process``. Only counts, seconds and office ids and names: never a ticket,
a name, an address or a token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Any

import socketio
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import NoScriptError, RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from virtual_office import queue
from virtual_office.mail import keys as mail_keys
from virtual_office.payments import keys as payment_keys
from virtual_office.queue import Office, keys
from virtual_office.queue.estimate import estimate_wait
from virtual_office.queue.presence import AVAILABLE, PAUSED
from virtual_office.server import payloads
from virtual_office.server.i18n import request_language
from virtual_office.server.limits import client_address
from virtual_office.server.services import Services
from virtual_office.settings import Settings, SettingsError

log = logging.getLogger(__name__)

REDIS_SECONDS = 5.0
"""The most a scrape waits for Redis (Prometheus gives up after 10 s by default); then it answers with this process's numbers and ``vo_redis_up 0``."""

WAIT_BUCKETS = (60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200)
"""Seconds from taking the place to the visit's start: an office's waits run from minutes to an hour or two."""

_OFFICE_NUMBERS = Path(queue.__file__).with_name("scripts") / "office_numbers.lua"
"""One office's numbers in one reply: a seventh of the replies to parse, which is most of a scrape's time."""


def networks(specs: Sequence[str]) -> tuple[IPv4Network | IPv6Network, ...]:
    """The networks that may scrape without the token; SettingsError names a malformed one."""
    try:
        return tuple(ip_network(spec, strict=False) for spec in specs)
    except ValueError as exc:
        raise SettingsError(f"VO_METRICS_NETWORKS: {exc}") from None


@dataclass(frozen=True)
class OfficeNumbers:
    """What Redis says about one office at the scrape."""

    office: Office
    waiting: int
    called: int
    in_visit: int
    available: int
    paused: int
    estimate: tuple[int, int] | None
    """The wait of someone joining now, in whole minutes (from, to); None while unknown."""
    payments_pending: int


@dataclass(frozen=True)
class DeploymentNumbers:
    offices: list[OfficeNumbers]
    mail_pending: int
    mail_retrying: int


class Metrics:
    """This process's metrics: who may read them, the waits it admitted, and the scrape."""

    def __init__(self, settings: Settings, services: Services, sio: socketio.AsyncServer) -> None:
        self._token = settings.metrics_token or ""
        self._networks = networks(settings.metrics_networks)
        self._services = services
        self._sio = sio
        self.process = f"{socket.gethostname()}:{os.getpid()}"
        """This process among the deployment's: host and process id (a restarted process is a new one)."""
        self.registry = CollectorRegistry(auto_describe=False)
        self._admission_waits = Histogram(
            "vo_admission_wait_seconds",
            "Waits from taking the place to the visit's start, observed by the process that admitted the citizen.",
            ["process", "office"],
            buckets=WAIT_BUCKETS,
            registry=self.registry,
        )
        self._live = _Live()
        self._script = _OFFICE_NUMBERS.read_text()
        self._sha = hashlib.sha1(self._script.encode(), usedforsecurity=False).hexdigest()
        self.registry.register(self._live)

    # -- who may read -----------------------------------------------------------

    def allows(self, request: Request) -> bool:
        """The right bearer token, or (without any token) an address in the allowed networks."""
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, given = header.partition(" ")
            return bool(self._token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self._token.encode())
        try:
            address = ip_address(client_address(request))
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    # -- what this process observes ----------------------------------------------

    def admitted(self, office_id: str, wait_seconds: float) -> None:
        """A citizen of ``office_id`` came into the visit after waiting ``wait_seconds``."""
        self._admission_waits.labels(self.process, office_id).observe(max(0.0, wait_seconds))

    # -- the scrape -------------------------------------------------------------

    async def scrape(self) -> bytes:
        """The text Prometheus reads; Redis's part is left out when Redis does not answer in time."""
        roundtrip: float | None = None
        deployment: DeploymentNumbers | None = None
        try:
            async with asyncio.timeout(REDIS_SECONDS):
                started = time.perf_counter()
                await self._services.redis.ping()
                roundtrip = time.perf_counter() - started
                deployment = await self._read_redis()
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("metrics: Redis did not answer (%s); only this process's numbers", type(exc).__name__)
        except Exception:  # noqa: BLE001 - the scrape answers with what it has rather than a 500
            log.exception("metrics: reading the offices' numbers failed; only this process's numbers")
        self._live.families = [*self._process_families(roundtrip, deployment is not None), *_deployment_families(deployment)]
        return generate_latest(self.registry)

    async def _read_redis(self) -> DeploymentNumbers:
        """Every office's live numbers in one pipeline (a script per office: each touches one office's keys)."""
        offices = await self._services.offices.all()
        cutoff = self._services.presence.cutoff_ms()
        for attempt in (1, 2):
            try:
                async with self._services.redis.pipeline(transaction=False) as pipe:
                    for office in offices:
                        o = office.id
                        office_keys = (keys.queue(o), keys.called(o), keys.serving(o), keys.presence(o), keys.presence_seen(o),
                                       keys.durations(o), payment_keys.due(o))
                        pipe.evalsha(self._sha, len(office_keys), *office_keys, cutoff)
                    pipe.zcard(mail_keys.PENDING)
                    pipe.scard(mail_keys.RETRYING)
                    replies = await pipe.execute()
                break
            except NoScriptError:
                if attempt == 2:
                    raise
                await self._services.redis.script_load(self._script)  # Redis restarted or was flushed
        numbers = [_office_numbers(office, reply) for office, reply in zip(offices, replies, strict=False)]
        return DeploymentNumbers(numbers, mail_pending=int(replies[-2]), mail_retrying=int(replies[-1]))

    def _process_families(self, roundtrip: float | None, answered: bool) -> Iterator[Metric]:
        process = ["process"]
        up = GaugeMetricFamily("vo_redis_up", "Whether Redis answered this scrape with the offices' numbers (1) or not (0).",
                               labels=process)
        up.add_metric([self.process], 1 if answered else 0)
        yield up
        if roundtrip is not None:
            rtt = GaugeMetricFamily("vo_redis_roundtrip_seconds", "One PING from this process to Redis, at the scrape.", labels=process)
            rtt.add_metric([self.process], roundtrip)
            yield rtt
        media = self._services.media
        sessions = GaugeMetricFamily("vo_media_sessions", "Visits whose media this process relays now (one media session a visit).", labels=process)
        sessions.add_metric([self.process], media.sessions)
        yield sessions
        checks = GaugeMetricFamily("vo_media_connection_checks", "Connection checks (camera and microphone echo) running now.", labels=process)
        checks.add_metric([self.process], media.checks)
        yield checks
        counters = media.counters
        for name, text, value in (
            ("vo_media_packets_forwarded", "RTP packets forwarded as they came.", counters.packets),
            ("vo_media_frames_forwarded", "Encoded frames handed on unchanged.", counters.forwarded),
            ("vo_media_frames_reencoded", "Decoded frames handed on to be encoded again.", counters.transcoded),
            ("vo_media_keyframe_requests", "Keyframe requests (PLI) sent to senders.", counters.keyframe_requests),
        ):
            family = CounterMetricFamily(name, text, labels=process)
            family.add_metric([self.process], value)
            yield family
        connections = GaugeMetricFamily("vo_socketio_connections", "socket.io connections open to this process, per namespace.",
                                        labels=["process", "namespace"])
        rooms: dict[str, dict[Any, Any]] = self._sio.manager.rooms
        for namespace in sorted(self._sio.namespace_handlers):
            connections.add_metric([self.process, namespace], len(rooms.get(namespace, {}).get(None, ())))
        yield connections


def _office_numbers(office: Office, replies: list[Any]) -> OfficeNumbers:
    waiting, called, serving_clerks, presence, fresh, durations, payments = replies
    alive = set(fresh)
    states = dict(zip(presence[::2], presence[1::2], strict=True))
    on_duty = {clerk: state for clerk, state in states.items() if clerk in alive}
    busy = set(serving_clerks)
    working = sum(1 for clerk, state in on_duty.items() if state == AVAILABLE or clerk in busy)
    estimate = estimate_wait([float(d) for d in durations], working, int(waiting) + 1)
    return OfficeNumbers(
        office=office,
        waiting=int(waiting),
        called=int(called),
        in_visit=max(0, len(busy) - int(called)),  # serving: each clerk's called or admitted citizen
        available=sum(1 for state in on_duty.values() if state == AVAILABLE),
        paused=sum(1 for state in on_duty.values() if state == PAUSED),
        estimate=(estimate.min, estimate.max) if estimate else None,
        payments_pending=int(payments),
    )


def _deployment_families(numbers: DeploymentNumbers | None) -> Iterator[Metric]:
    if numbers is None:
        return
    office = ["office"]
    info = GaugeMetricFamily("vo_office_info", "Each office, with its name (always 1).", labels=["office", "name"])
    waiting = GaugeMetricFamily("vo_office_waiting", "Citizens waiting in the office's queue.", labels=office)
    called = GaugeMetricFamily("vo_office_called", "Citizens called who have not come in yet.", labels=office)
    in_visit = GaugeMetricFamily("vo_office_in_visit", "Visits going on.", labels=office)
    clerks = GaugeMetricFamily("vo_office_clerks", "Clerks on duty, available or paused.", labels=["office", "state"])
    estimate = GaugeMetricFamily("vo_office_estimated_wait_seconds",
                                 "The wait the widget shows someone joining now, from and to (absent while unknown).",
                                 labels=["office", "bound"])
    payments = GaugeMetricFamily("vo_office_payments_pending", "Payments not yet final, which the reconciler follows.", labels=office)
    for n in numbers.offices:
        o = n.office.id
        info.add_metric([o, n.office.name], 1)
        waiting.add_metric([o], n.waiting)
        called.add_metric([o], n.called)
        in_visit.add_metric([o], n.in_visit)
        clerks.add_metric([o, AVAILABLE], n.available)
        clerks.add_metric([o, PAUSED], n.paused)
        if n.estimate is not None:
            estimate.add_metric([o, "min"], n.estimate[0] * 60)
            estimate.add_metric([o, "max"], n.estimate[1] * 60)
        payments.add_metric([o], n.payments_pending)
    yield from (info, waiting, called, in_visit, clerks, estimate, payments)
    yield GaugeMetricFamily("vo_mail_pending", "Mails in the outbox not yet sent or given up.", value=numbers.mail_pending)
    yield GaugeMetricFamily("vo_mail_retrying", "Mails in the outbox that failed at least once and wait for another try.",
                            value=numbers.mail_retrying)


class _Live(Collector):
    """The families of the scrape under way (set by :meth:`Metrics.scrape` right before it renders them)."""

    def __init__(self) -> None:
        self.families: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def metrics(request: Request) -> Response:
    """GET /metrics: the numbers for an allowed scraper, 403 for anyone else."""
    collector: Metrics = request.app.state.metrics
    if not collector.allows(request):
        return JSONResponse(payloads.error("forbidden", request_language(request)), status_code=403)
    return Response(await collector.scrape(), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


routes = [Route("/metrics", metrics, methods=["GET"])]

__all__ = ["REDIS_SECONDS", "Metrics", "networks", "routes"]
