"""The waiting room: every ticket transition, each one atomic Redis script."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, RedisError
from redis.typing import EncodableT

from virtual_office.queue import errors, keys
from virtual_office.queue.appointment_settings import ONLY
from virtual_office.queue.errors import QueueError, UnknownTicket
from virtual_office.queue.offices import Office, OfficeDirectory
from virtual_office.queue.presence import Presence
from virtual_office.queue.scripts import PRIORITY_STEP, Scripts
from virtual_office.queue.tickets import (
    APPOINTMENT,
    CALLED,
    IN_VISIT,
    WAITING,
    WALK_IN,
    Ticket,
    hash_secret,
    make_token,
    new_secret,
    new_ticket_id,
    split_token,
)

_ERRORS: dict[str, type[QueueError]] = {
    cls.code: cls
    for cls in (
        errors.QueueFull,
        errors.QueueEmpty,
        errors.NotWaiting,
        errors.NotCalled,
        errors.CallExpired,
        errors.TooEarly,
        errors.NotInVisit,
        errors.UnknownTicket,
        errors.TooManyGuests,
    )
}
_COUNTER_TTL = 3 * 86400
_WHERE_TTL = 2 * 86400
SIGN_OF_LIFE_MS = 60_000
"""A connected citizen's pages give a sign of life at least this often (every 15 s); one marked
online but silent for longer is gone (its server stopped before it could say so)."""
_TEXT_LIMITS = {"name": 80, "concern": 200, "language": 10}
CONFIRM_SECONDS = 45
"""A joined ticket whose citizen's page has not connected within this long ends. A page
connects within a second or two of joining, a slow phone within about ten."""
UNCONFIRMED_PER_PLACE = 20
"""At most this many unconfirmed tickets per place of ``max_queue`` are kept (the oldest
end first), so joins that never connect cannot grow memory without bound."""


@dataclass(frozen=True)
class Joined:
    """What a citizen gets on joining: the secret token is shown only this once."""

    ticket: Ticket
    token: str
    position: int


@dataclass(frozen=True)
class Ended:
    """A ticket that a sweep ended, and why (``expired`` or ``no_show``)."""

    ticket: Ticket
    reason: str


def _checked(result: list[Any]) -> list[Any]:
    """A script's reply, or the refusal it names raised as its QueueError."""
    if result and result[0] != "ok" and result[0] in _ERRORS:
        raise _ERRORS[result[0]](result[0], value=result[1] if len(result) > 1 else None)
    return list(result)


def _clean(field: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise errors.InvalidInput(f"{field} must be text")
    value = " ".join(value.split())
    if len(value) > _TEXT_LIMITS[field]:
        raise errors.InvalidInput(f"{field} is longer than {_TEXT_LIMITS[field]} characters")
    return value


class WaitingRoom:
    """The waiting rooms of all offices.

    Transitions take office and ticket ids; only ``join`` hands out a token, and the
    citizen-side methods take that token. Authorisation of clerks (who staffs which
    office) is the caller's business.
    """

    def __init__(
        self,
        redis: Redis,
        offices: OfficeDirectory,
        presence: Presence,
        *,
        grace_seconds: int = 120,
        call_timeout_seconds: int = 90,
        confirm_seconds: int = CONFIRM_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.offices = offices
        self.presence = presence
        self.grace_ms = grace_seconds * 1000
        self.call_timeout_ms = call_timeout_seconds * 1000
        self.confirm_ms = confirm_seconds * 1000
        self._clock = clock
        self._scripts = Scripts(redis)
        self._listeners: list[Callable[[str], Awaitable[None] | None]] = []

    # -- plumbing ---------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def on_change(self, listener: Callable[[str], Awaitable[None] | None]) -> None:
        """Call ``listener(office_id)`` after every transition in that office."""
        self._listeners.append(listener)

    async def _changed(self, *office_ids: str) -> None:
        for office_id in office_ids:
            for listener in self._listeners:
                result = listener(office_id)
                if result is not None:
                    await result

    async def _run(self, script: AsyncScript, keys_: list[str], args: list[EncodableT]) -> list[Any]:
        try:
            result = await script(keys=keys_, args=args)
        except RedisError as exc:
            raise errors.StoreUnavailable("the waiting room store is unavailable") from exc
        return _checked(result)

    async def _run_with(
        self, before: Callable[[Pipeline], object], script: AsyncScript, keys_: list[str], args: list[EncodableT]
    ) -> list[Any]:
        """Like _run, with other commands (``before(pipeline)``) sent in the same round trip."""
        for attempt in (1, 2):
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    before(pipe)
                    pipe.evalsha(script.sha, len(keys_), *keys_, *args)
                    result = (await pipe.execute())[-1]
                break
            except NoScriptError:
                # Redis restarted without our scripts (or was flushed): load and retry.
                if attempt == 2:
                    raise
                await self._read(self.redis.script_load(script.script))
            except RedisError as exc:
                raise errors.StoreUnavailable("the waiting room store is unavailable") from exc
        return _checked(result)

    async def _read(self, coro: Awaitable[Any]) -> Any:
        """The reply of one command. Typed where it is used: redis-py's reply types cover
        every client setting (bytes or str, with or without scores), this client's
        replies are decoded."""
        try:
            return await coro
        except RedisError as exc:
            raise errors.StoreUnavailable("the waiting room store is unavailable") from exc

    def _day(self, office: Office) -> str:
        return office.hours.local(self.now()).date().isoformat()

    # -- reading ----------------------------------------------------------------

    async def get(self, office_id: str, ticket_id: str) -> Ticket:
        fields = await self._read(self.redis.hgetall(keys.ticket(office_id, ticket_id)))
        if not fields:
            raise UnknownTicket("no such ticket")
        return Ticket.from_redis(fields)

    async def ticket(self, token: object) -> Ticket:
        """The ticket a token belongs to; a forged, malformed or ended token is unknown."""
        ticket_id, secret = split_token(token)
        office_id = await self._read(self.redis.get(keys.where(ticket_id)))
        if not office_id:
            raise UnknownTicket("no such ticket")
        ticket = await self.get(office_id, ticket_id)
        if not ticket.matches(secret):
            raise UnknownTicket("no such ticket")
        return ticket

    async def position(self, ticket: Ticket) -> int | None:
        """1 for the next in line; None unless waiting.

        Only confirmed tickets (whose page connected) hold a place; an unconfirmed one is
        told the place it would take were its page to connect now: behind everyone there.
        """
        queue = keys.queue(ticket.office_id)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrank(queue, ticket.id)
            pipe.zscore(keys.unconfirmed(ticket.office_id), ticket.id)
            # Everyone of its priority or higher (scores below the next lower priority's).
            pipe.zcount(queue, "-inf", f"({PRIORITY_STEP - PRIORITY_STEP * ticket.priority}")
            rank, unconfirmed, ahead = await self._read(pipe.execute())
        if rank is not None:
            return int(rank) + 1
        return None if unconfirmed is None else int(ahead) + 1

    async def unconfirmed(self, office_id: str) -> int:
        """How many joined tickets of the office wait for their page to connect (hold no place yet)."""
        count: int = await self._read(self.redis.zcard(keys.unconfirmed(office_id)))
        return count

    async def waiting(self, office_id: str) -> list[Ticket]:
        """The office's waiting tickets whose page has connected, next first."""
        ids = await self._read(self.redis.zrange(keys.queue(office_id), 0, -1))
        return await self._tickets(office_id, ids)

    async def with_clerks(self, office_id: str) -> list[Ticket]:
        """Tickets called or in a visit in this office."""
        ids = await self._read(self.redis.hvals(keys.serving(office_id)))
        return await self._tickets(office_id, ids)

    async def _tickets(self, office_id: str, ids: list[str]) -> list[Ticket]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for ticket_id in ids:
                pipe.hgetall(keys.ticket(office_id, ticket_id))
            rows = await self._read(pipe.execute())
        # A ticket may end between the two reads: leave it out.
        return [Ticket.from_redis(row) for row in rows if row]

    # -- the citizen ------------------------------------------------------------

    async def join(
        self,
        office_id: str,
        *,
        name: object = None,
        concern: object = None,
        language: object = None,
        appointment: bool = False,
    ) -> Joined:
        """A citizen steps into the waiting room; refused when closed or full.

        The ticket is unconfirmed until its page connects (:meth:`heartbeat`): until then it
        is not in the queue, not counted, not called, and it ends after ``confirm_seconds``.

        ``appointment`` puts the ticket ahead of every walk-in (for a booking system
        to come; the public API never sets it). An office that takes appointments only
        refuses walk-ins (``appointments_only``).
        """
        office = await self.offices.get(office_id)
        if office.appointments.mode == ONLY and not appointment:
            raise errors.AppointmentsOnly("the office takes appointments only")
        fields = {
            "name": _clean("name", name),
            "concern": _clean("concern", concern),
            "language": _clean("language", language),
        }
        now = self.now()
        if not office.can_join_at(now):
            raise errors.OfficeClosed(office.hours.next_opening(now))
        # Within opening hours someone must be on duty, or the office shows as closed;
        # before opening (the early queue) nobody need be.
        clerk_cutoff = self.presence.cutoff_ms() if office.hours.is_open(now) else ""
        ticket_id, secret, now_ms = new_ticket_id(), new_secret(), self.now_ms()
        secret_hash = hash_secret(secret)
        where = keys.where(ticket_id)
        # The token-to-office index lives outside the office's hash slot, so it is
        # written beside the script, in the same round trip; a refused join removes it.
        try:
            result = await self._run_with(
                lambda pipe: pipe.set(where, office_id, ex=_WHERE_TTL),
                self._scripts.join,
                [
                    keys.queue(office_id),
                    keys.seen(office_id),
                    keys.counter(office_id, self._day(office)),
                    keys.ticket(office_id, ticket_id),
                    keys.presence_seen(office_id),
                    keys.unconfirmed(office_id),
                    keys.stats(office_id, self._day(office)),
                ],
                [
                    ticket_id,
                    secret_hash,
                    now_ms,
                    office.max_queue,
                    office.number_prefix,
                    fields["name"],
                    fields["concern"],
                    fields["language"],
                    _COUNTER_TTL,
                    office_id,
                    clerk_cutoff,
                    APPOINTMENT if appointment else WALK_IN,
                    max(1, UNCONFIRMED_PER_PLACE * office.max_queue),
                    keys.ticket_prefix(office_id),
                ],
            )
            if result[0] == "no_clerk":
                raise errors.OfficeClosed(None)
        except QueueError:
            await self.redis.delete(where)
            raise
        if result[4]:  # the oldest unconfirmed tickets made room: their index goes too
            await self._read(self.redis.delete(*(keys.where(evicted) for evicted in result[4])))
        ticket = Ticket(
            id=ticket_id,
            office_id=office_id,
            number=result[1],
            state=WAITING,
            joined_at=int(result[3]),
            queued_at=now_ms,
            offline_since=now_ms,
            secret_hash=secret_hash,
            priority=APPOINTMENT if appointment else WALK_IN,
            name=fields["name"],
            concern=fields["concern"],
            language=fields["language"],
        )
        return Joined(ticket=ticket, token=make_token(ticket_id, secret), position=int(result[2]))

    async def leave(self, token: object) -> Ticket:
        """The citizen leaves (from the waiting room, a call or a visit)."""
        ticket = await self.ticket(token)
        await self.remove(ticket, "left")
        return ticket

    async def remove(self, ticket: Ticket, reason: str, seen_cutoff: int | None = None, *, unconfirmed: bool = False) -> bool:
        """End a ticket wherever it is (waiting, called, in a visit) and count why; False if it had ended.

        ``seen_cutoff`` (ms) spares a citizen seen since: the sweep's expiry of a place;
        ``unconfirmed`` ends it only while its page has not connected.
        """
        office = await self.offices.get(ticket.office_id)
        o = ticket.office_id
        result = await self._run(
            self._scripts.remove,
            [
                keys.queue(o),
                keys.seen(o),
                keys.called(o),
                keys.serving(o),
                keys.ticket(o, ticket.id),
                keys.stats(o, self._day(office)),
                keys.unconfirmed(o),
            ],
            [ticket.id, reason, "" if seen_cutoff is None else seen_cutoff, "1" if unconfirmed else ""],
        )
        if result[0] != "ok":
            return False
        await self.redis.delete(keys.where(ticket.id))
        await self._changed(o)
        return True

    async def heartbeat(self, ticket: Ticket, *, online: bool | None = None) -> None:
        """A sign of life; ``online`` marks the browser connecting or disconnecting.

        The first sign of life confirms a joined ticket: it takes its place in the queue.
        A disconnected citizen keeps the place for the grace period, counted from the
        last sign of life.
        """
        flag = "" if online is None else ("1" if online else "0")
        o = ticket.office_id
        result = await self._run(
            self._scripts.heartbeat,
            [keys.seen(o), keys.ticket(o, ticket.id), keys.queue(o), keys.unconfirmed(o)],
            [ticket.id, self.now_ms(), flag],
        )
        if online is not None or result[2]:
            await self._changed(o)

    async def accept(self, token: object) -> Ticket:
        """The called citizen joins the visit, within the time limit."""
        ticket = await self.ticket(token)
        office = await self.offices.get(ticket.office_id)
        o = ticket.office_id
        await self._run(
            self._scripts.accept,
            [keys.called(o), keys.ticket(o, ticket.id), keys.stats_waits(o, self._day(office))],
            [ticket.id, self.now_ms()],
        )
        await self._changed(o)
        return await self.get(o, ticket.id)

    # -- the clerk --------------------------------------------------------------

    async def call_next(self, office_id: str, clerk_id: str) -> Ticket:
        """The next in line is called to ``clerk_id``; a second click returns the same one."""
        return await self._call(office_id, clerk_id, "")

    async def call(self, office_id: str, clerk_id: str, ticket_id: str) -> Ticket:
        """Call a specific waiting ticket."""
        if not isinstance(ticket_id, str) or not ticket_id:
            raise errors.InvalidInput("ticket_id is required")
        ticket = await self._call(office_id, clerk_id, ticket_id)
        if ticket.id != ticket_id:
            raise errors.AlreadyServing("finish the current visit first", ticket=ticket)
        return ticket

    async def _call(self, office_id: str, clerk_id: str, ticket_id: str) -> Ticket:
        await self.offices.get(office_id)
        now = self.now_ms()
        result = await self._run(
            self._scripts.call,
            [keys.queue(office_id), keys.called(office_id), keys.serving(office_id), keys.seen(office_id)],
            [clerk_id, now, now + self.call_timeout_ms, keys.ticket_prefix(office_id), ticket_id, now - SIGN_OF_LIFE_MS],
        )
        if result[0] == "ok":
            await self._changed(office_id)
        fields = result[2]
        if not fields:
            raise UnknownTicket("the ticket ended a moment ago")
        return Ticket.from_redis(dict(zip(fields[::2], fields[1::2], strict=True)))

    async def no_show(self, office_id: str, ticket_id: str, *, withdrawn: bool = False) -> Ticket:
        """End a call the citizen did not accept in time, or (``withdrawn``) that the clerk gave up on earlier."""
        ticket = await self.get(office_id, ticket_id)
        await self._run(
            self._scripts.no_show,
            [
                keys.called(office_id),
                keys.serving(office_id),
                keys.seen(office_id),
                keys.ticket(office_id, ticket_id),
                keys.stats(office_id, self._day(await self.offices.get(office_id))),
            ],
            [ticket_id, self.now_ms(), "1" if withdrawn else ""],
        )
        await self.redis.delete(keys.where(ticket_id))
        await self._changed(office_id)
        return ticket

    async def finish(self, office_id: str, ticket_id: str) -> Ticket:
        """End a visit; only its length is kept, for the estimate and statistics."""
        ticket = await self.get(office_id, ticket_id)
        day = self._day(await self.offices.get(office_id))
        await self._run(
            self._scripts.finish,
            [
                keys.serving(office_id),
                keys.seen(office_id),
                keys.ticket(office_id, ticket_id),
                keys.durations(office_id),
                keys.stats(office_id, day),
                keys.stats_lengths(office_id, day),
            ],
            [ticket_id, self.now_ms(), keys.appointment_prefix(office_id)],
        )
        await self.redis.delete(keys.where(ticket_id))
        await self._changed(office_id)
        return ticket

    async def send_back(self, office_id: str, ticket_id: str) -> Ticket:
        """Return a called or visiting citizen to the front of the waiting room."""
        await self._run(
            self._scripts.send_back,
            [
                keys.queue(office_id),
                keys.called(office_id),
                keys.serving(office_id),
                keys.seen(office_id),
                keys.ticket(office_id, ticket_id),
            ],
            [ticket_id, self.now_ms()],
        )
        await self._changed(office_id)
        return await self.get(office_id, ticket_id)

    async def transfer(self, office_id: str, ticket_id: str, target_office_id: str) -> Ticket:
        """Move a ticket to another office's waiting room; its original join time keeps its place."""
        if target_office_id == office_id:
            raise errors.InvalidInput("the ticket is already in this office")
        source, target = await self.offices.get(office_id), await self.offices.get(target_office_id)
        await self._run(
            self._scripts.transfer,
            [
                keys.queue(office_id),
                keys.called(office_id),
                keys.serving(office_id),
                keys.seen(office_id),
                keys.ticket(office_id, ticket_id),
                keys.stats(office_id, self._day(source)),
                keys.queue(target.id),
                keys.seen(target.id),
                keys.counter(target.id, self._day(target)),
                keys.ticket(target.id, ticket_id),
            ],
            [ticket_id, self.now_ms(), target.number_prefix, target.id, _COUNTER_TTL, target.max_queue],
        )
        await self.redis.set(keys.where(ticket_id), target.id, ex=_WHERE_TTL)
        await self._changed(office_id, target.id)
        return await self.get(target.id, ticket_id)

    async def add_guest(self, office_id: str, ticket_id: str, clerk_id: str, *, limit: int) -> Ticket:
        """Let a colleague join the visit (at most ``limit`` guests); lasts as long as the visit."""
        await self._run(self._scripts.guests, [keys.ticket(office_id, ticket_id)], ["add", clerk_id, limit])
        return await self.get(office_id, ticket_id)

    async def remove_guest(self, office_id: str, ticket_id: str, clerk_id: str) -> Ticket:
        """Let a colleague go."""
        await self._run(self._scripts.guests, [keys.ticket(office_id, ticket_id)], ["remove", clerk_id, 0])
        return await self.get(office_id, ticket_id)

    async def locate(self, ticket_id: str) -> Ticket:
        """A ticket by id alone (for staff, who hold no token)."""
        if not isinstance(ticket_id, str) or len(ticket_id) != 16:
            raise UnknownTicket("no such ticket")
        office_id = await self._read(self.redis.get(keys.where(ticket_id)))
        if not office_id:
            raise UnknownTicket("no such ticket")
        return await self.get(office_id, ticket_id)

    async def announce(self, office_id: str, text: object) -> str:
        """A message from the office to everyone waiting; kept an hour for late joiners."""
        await self.offices.get(office_id)
        if not isinstance(text, str) or not text.strip():
            raise errors.InvalidInput("the message is empty")
        text = text.strip()
        if len(text) > 500:
            raise errors.InvalidInput("the message is longer than 500 characters")
        await self._read(self.redis.set(keys.announcement(office_id), text, ex=3600))
        return text

    async def announcement(self, office_id: str) -> str | None:
        text: str | None = await self._read(self.redis.get(keys.announcement(office_id)))
        return text

    # -- time -------------------------------------------------------------------

    async def sweep(self, office_id: str) -> list[Ended]:
        """End what time has ended: calls not accepted in time, citizens gone past the grace,
        tickets whose page never connected."""
        now = self.now_ms()
        ended: list[Ended] = []
        for ticket_id in await self._read(self.redis.zrangebyscore(keys.unconfirmed(office_id), "-inf", now - self.confirm_ms)):
            try:
                ticket = await self.get(office_id, ticket_id)
            except UnknownTicket:
                await self._read(self.redis.zrem(keys.unconfirmed(office_id), ticket_id))
                continue
            # Counted apart ('unconfirmed'): the statistics' expired places are citizens'.
            if await self.remove(ticket, "unconfirmed", unconfirmed=True):
                ended.append(Ended(ticket, "expired"))
        for ticket_id in await self._read(self.redis.zrangebyscore(keys.called(office_id), "-inf", now)):
            try:
                ticket = await self.no_show(office_id, ticket_id)
            except QueueError:
                continue  # accepted or ended a moment ago
            ended.append(Ended(ticket, "no_show"))
        cutoff = now - self.grace_ms
        for ticket_id in await self._read(self.redis.zrangebyscore(keys.seen(office_id), "-inf", cutoff)):
            try:
                ticket = await self.get(office_id, ticket_id)
            except UnknownTicket:
                await self.redis.zrem(keys.seen(office_id), ticket_id)
                continue
            if ticket.state == CALLED:
                continue  # the call's own deadline decides
            if await self.remove(ticket, "expired", seen_cutoff=cutoff):
                ended.append(Ended(ticket, "expired"))
        return ended


__all__ = ["CALLED", "IN_VISIT", "Ended", "Joined", "WaitingRoom"]
