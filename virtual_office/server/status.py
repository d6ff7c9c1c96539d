"""Office status for everyone watching: a burst of changes in one office becomes one update per interval.

With several processes (rooms shared through Redis) an office's change costs one Redis
message, not one per watcher: the process that made it publishes the office's id on
``keys.CHANGES`` once per interval, and every process reads the office once and pushes
to its own sockets only. Pushed through socket.io's Redis manager instead, each
``office_status``, ``queue`` and every waiting citizen's ``ticket`` would be a message
that every process receives and decodes, whether it holds that room's sockets or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time

import socketio
from redis.exceptions import RedisError

from virtual_office.queue import OfficeStatus, StoreUnavailable, Ticket, UnknownOffice, keys, office_status
from virtual_office.server import payloads
from virtual_office.server.i18n import LANGUAGES, language
from virtual_office.server.protocol import CITIZEN, CLERK, PUBLIC, office_room, staff_room, ticket_room
from virtual_office.server.realtime import has_local_member, shares_rooms
from virtual_office.server.services import Services

log = logging.getLogger(__name__)

RESUBSCRIBE_MAX = 5.0
"""Seconds: the longest wait before subscribing to other processes' changes again."""


class StatusBroadcaster:
    """Marks offices dirty on every change and pushes their state once per interval.

    Pushes go to everyone watching the office: the public status, the clerks' queue,
    and each waiting citizen's position. Each process pushes to its own sockets; with
    several processes, the one that made a change tells the others on ``keys.CHANGES``
    (one message per office and interval) and each of them pushes to its own.
    """

    def __init__(self, sio: socketio.AsyncServer, services: Services) -> None:
        self._sio = sio
        self._services = services
        self._interval = services.settings.status_interval
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._shared = shares_rooms(sio)
        self._origin = secrets.token_hex(8)
        """This process in its change messages: it has pushed its own changes already."""
        self._heard: set[str] = set()
        """Offices another process changed, to be pushed to this process's sockets."""
        self._hear = asyncio.Event()
        self._missed = False
        """Whether changes may have gone unheard (the subscription was lost): every office is pushed."""
        self._pushing = asyncio.Lock()
        self._recent: dict[str, tuple[float, OfficeStatus]] = {}
        """office id -> (when, status): a burst of widgets connecting shares one computation."""

    def mark(self, office_id: str) -> None:
        self._recent.pop(office_id, None)
        self._dirty.add(office_id)
        self._wake.set()

    def heard(self, office_id: str) -> None:
        """Another process changed the office: push it to this process's sockets straight away."""
        self._recent.pop(office_id, None)
        self._heard.add(office_id)
        self._hear.set()

    async def run(self) -> None:
        if not self._shared:
            return await self._batches()
        await asyncio.gather(self._batches(), self._listen(), self._heard_pushes())

    async def _batches(self) -> None:
        while True:
            await self._wake.wait()
            # Let the burst gather for one interval, then push it as one update.
            await asyncio.sleep(self._interval)
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            for office_id in dirty:
                await self._push_safely(office_id, announce=self._shared)

    async def _heard_pushes(self) -> None:
        while True:
            await self._hear.wait()
            self._hear.clear()
            heard, self._heard = self._heard, set()
            for office_id in heard:
                await self._push_safely(office_id, announce=False)

    async def _listen(self) -> None:
        """Hear other processes' changes until cancelled; a lost connection is subscribed again."""
        delay = 0.1
        while True:
            pubsub = self._services.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(keys.CHANGES)
                assert pubsub.connection is not None
                # redis-py subscribes again by itself after a dropped connection (a failover too).
                pubsub.connection.register_connect_callback(self._resubscribed)
                delay = 0.1
                while True:
                    if self._missed:
                        # Changes made while this process was not listening went unheard.
                        self._missed = False
                        for office_id in await self._services.offices.ids():
                            self.heard(office_id)
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._received(message["data"])
            except (RedisError, OSError) as exc:
                self._missed = True
                log.warning("other processes' office changes not heard (%s); again in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RESUBSCRIBE_MAX)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    def _resubscribed(self, connection: object) -> None:
        self._missed = True

    def _received(self, data: str | bytes) -> None:
        try:
            message = json.loads(data)
            office_id, origin = message["office"], message["from"]
        except (ValueError, TypeError, KeyError):
            return
        if isinstance(office_id, str) and origin != self._origin:
            self.heard(office_id)

    async def _push_safely(self, office_id: str, *, announce: bool) -> None:
        """Push the office to this process's sockets; ``announce``: tell the other processes first."""
        retry = self.mark if announce else self.heard
        try:
            if announce:
                change = json.dumps({"office": office_id, "from": self._origin})
                await self._services.redis.publish(keys.CHANGES, change)
            # One office after another: pushed side by side, their fan-outs would
            # interleave and every office's update would arrive as late as the last one's.
            async with self._pushing:
                await self.push(office_id)
        except UnknownOffice:
            pass
        except (RedisError, StoreUnavailable, OSError) as exc:
            # Redis is restarting or unreachable: push once it is back.
            log.warning("office status not pushed (%s); retrying", type(exc).__name__)
            await asyncio.sleep(1)
            retry(office_id)
        except Exception:  # noqa: BLE001 - one office's failure must not stop the others
            log.exception("pushing the state of office %s failed", office_id)
            retry(office_id)

    async def status(self, office_id: str, *, fresh: bool = False) -> OfficeStatus:
        """The office's status, computed at most once per interval unless it changed."""
        recent = self._recent.get(office_id)
        if not fresh and recent and time.monotonic() - recent[0] < self._interval:
            return recent[1]
        s = self._services
        office = await s.offices.get(office_id)
        status = await office_status(s.redis, s.presence, office, s.room.now())
        self._recent[office_id] = (time.monotonic(), status)
        return status

    async def push(self, office_id: str) -> None:
        """Push the office's state to this process's sockets (the other processes push to theirs)."""
        s = self._services
        # The time before the tickets are read: a call pushed meanwhile is newer than this push's tickets.
        now = s.room.now_ms()
        status = await self.status(office_id, fresh=True)
        for lang in LANGUAGES:
            await self._emit_here("office_status", status.to_json(lang), office_room(office_id, lang), PUBLIC)
        waiting, with_clerks = await s.room.waiting(office_id), await s.room.with_clerks(office_id)
        if has_local_member(self._sio, CLERK, staff_room(office_id)):
            await self._emit_here("queue", await self.queue(status, waiting, with_clerks), staff_room(office_id), CLERK)
        await self.push_tickets(status, waiting, with_clerks, now)

    async def _emit_here(self, event: str, data: dict[str, object], room: str, namespace: str) -> None:
        """Emit to this process's members of ``room`` only, if it has any."""
        if has_local_member(self._sio, namespace, room):
            await self._sio.emit(event, data, room=room, namespace=namespace, ignore_queue=True)

    async def queue(
        self, status: OfficeStatus, waiting: list[Ticket] | None = None, with_clerks: list[Ticket] | None = None
    ) -> dict[str, object]:
        """The clerks' view of one office (its tickets read unless given)."""
        s = self._services
        office = status.office
        now = s.room.now_ms()
        if waiting is None or with_clerks is None:
            waiting, with_clerks = await s.room.waiting(office.id), await s.room.with_clerks(office.id)
        on_duty = await s.presence.on_duty(office.id)
        serving = {t.clerk_id for t in with_clerks}
        accounts = await s.clerks.many(list(on_duty))
        clerks = [
            {
                "id": clerk_id,
                "name": accounts[clerk_id].name if clerk_id in accounts else "",
                "presence": "with_citizen" if clerk_id in serving else state,
            }
            for clerk_id, state in on_duty.items()
        ]
        return {
            "office_id": office.id,
            "status": status.to_json("de"),
            "tickets": [payloads.ticket_for_clerk(t, office, i + 1, now) for i, t in enumerate(waiting)]
            + [payloads.ticket_for_clerk(t, office, None, now) for t in with_clerks],
            "clerks": clerks,
        }

    async def push_tickets(self, status: OfficeStatus, waiting: list[Ticket], with_clerks: list[Ticket], now: int) -> None:
        """Each waiting or called citizen on this process learns their place and estimate, as read at ``now`` (ms)."""
        office = status.office
        positions: list[tuple[Ticket, int | None]] = [(t, i) for i, t in enumerate(waiting, start=1)]
        for ticket, position in positions + [(t, None) for t in with_clerks]:
            if has_local_member(self._sio, CITIZEN, ticket_room(ticket.id)):
                payload = payloads.ticket_for_citizen(ticket, office, status, position, language(ticket.language), now)
                await self._emit_here("ticket", payload, ticket_room(ticket.id), CITIZEN)

    async def citizen_view(self, ticket: Ticket, lang: str) -> dict[str, object]:
        """What the citizen sees of their ticket right now."""
        s = self._services
        now = s.room.now_ms()
        office = await s.offices.get(ticket.office_id)
        status = await self.status(office.id)
        position = await s.room.position(ticket)
        return payloads.ticket_for_citizen(ticket, office, status, position, lang, now)

    async def push_ticket(self, ticket: Ticket) -> None:
        """Push one citizen's ticket straight away: being called must not wait for a batch."""
        view = await self.citizen_view(ticket, language(ticket.language))
        await self._sio.emit("ticket", view, room=ticket_room(ticket.id), namespace=CITIZEN)


__all__ = ["StatusBroadcaster"]
