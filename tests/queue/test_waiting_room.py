"""Every waiting-room transition against a real Redis, including the refused ones."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio

from tests.conftest import Clock
from tests.queue.conftest import arrive
from virtual_office.queue import (
    CALLED,
    IN_VISIT,
    WAITING,
    AlreadyServing,
    CallExpired,
    InvalidInput,
    NotCalled,
    NotInVisit,
    NotWaiting,
    Office,
    OfficeClosed,
    OfficeDirectory,
    Presence,
    QueueEmpty,
    QueueFull,
    TooEarly,
    TooManyGuests,
    UnknownOffice,
    UnknownTicket,
    WaitingRoom,
    keys,
    office_status,
)


async def test_join_gives_token_number_and_position(room: WaitingRoom) -> None:
    first = await arrive(room, "buergerbuero", name="Erika Mustermann", concern="Personalausweis", language="de")
    second = await arrive(room, "buergerbuero")
    assert first.ticket.number == "B-001" and first.position == 1
    assert second.ticket.number == "B-002" and second.position == 2
    assert first.ticket.state == WAITING and first.ticket.name == "Erika Mustermann"
    assert (await room.ticket(first.token)).id == first.ticket.id
    assert [t.id for t in await room.waiting("buergerbuero")] == [first.ticket.id, second.ticket.id]


async def test_secret_is_not_stored_in_clear(room: WaitingRoom, redis_client: redis.asyncio.Redis) -> None:
    joined = await arrive(room, "buergerbuero")
    secret = joined.token.split(".")[1]
    stored = await redis_client.hgetall(keys.ticket("buergerbuero", joined.ticket.id))
    assert secret not in str(stored)


@pytest.mark.parametrize("token", [None, 42, "", "nonsense", "0123456789abcdef.forged", "x" * 300, "a.b.c"])
async def test_unknown_and_forged_tokens(room: WaitingRoom, token: object) -> None:
    await arrive(room, "buergerbuero")
    with pytest.raises(UnknownTicket):
        await room.ticket(token)


async def test_forged_secret_for_a_real_ticket(room: WaitingRoom) -> None:
    joined = await arrive(room, "buergerbuero")
    with pytest.raises(UnknownTicket):
        await room.ticket(joined.ticket.id + ".not-the-secret")


async def test_join_refused_when_closed_with_next_opening(redis_client: redis.asyncio.Redis, offices: OfficeDirectory, presence: Presence, clock: Clock) -> None:
    never_now = {"mon": [["00:00", "00:01"]]}
    await offices.save(Office.from_config({"id": "amt", "name": "Amt", "hours": never_now, "timezone": "UTC"}))
    room = WaitingRoom(redis_client, offices, presence, clock=clock)
    clock.now = 1764000000.0  # a Monday 16:00 UTC
    with pytest.raises(OfficeClosed) as refused:
        await arrive(room, "amt")
    assert refused.value.opens_at is not None and refused.value.opens_at.weekday() == 0
    assert await redis_client.zcard(keys.queue("amt")) == 0
    assert not await redis_client.keys("vo:where:*")


async def test_join_refused_when_no_clerk_on_duty(redis_client: redis.asyncio.Redis, offices: OfficeDirectory, presence: Presence, clock: Clock) -> None:
    room = WaitingRoom(redis_client, offices, presence, clock=clock)
    with pytest.raises(OfficeClosed):
        await arrive(room, "kfz")


async def test_early_queue_before_opening(redis_client: redis.asyncio.Redis, offices: OfficeDirectory, presence: Presence, clock: Clock) -> None:
    clock.now = 1764000000.0  # Monday 16:00 UTC
    hours = {"mon": [["16:10", "18:00"]]}
    await offices.save(Office.from_config({"id": "early", "name": "Früh", "hours": hours, "timezone": "UTC", "early_queue_minutes": 15}))
    await offices.save(Office.from_config({"id": "strict", "name": "Streng", "hours": hours, "timezone": "UTC"}))
    room = WaitingRoom(redis_client, offices, presence, clock=clock)
    assert (await arrive(room, "early")).position == 1
    with pytest.raises(OfficeClosed):
        await arrive(room, "strict")


async def test_join_refused_when_full(redis_client: redis.asyncio.Redis, offices: OfficeDirectory, room: WaitingRoom) -> None:
    office = await offices.get("kfz")
    await offices.save(Office.from_config({**office.to_config(), "max_queue": 2}))
    await arrive(room, "kfz")
    await arrive(room, "kfz")
    with pytest.raises(QueueFull):
        await arrive(room, "kfz")
    assert await redis_client.zcard(keys.queue("kfz")) == 2


async def test_a_ticket_whose_page_never_connected_holds_no_place(
    redis_client: redis.asyncio.Redis, offices: OfficeDirectory, room: WaitingRoom
) -> None:
    office = await offices.get("kfz")
    await offices.save(Office.from_config({**office.to_config(), "max_queue": 2}))
    unconfirmed = [await room.join("kfz") for _ in range(10)]  # five times the office's places
    assert [j.position for j in unconfirmed] == [1] * 10  # each is told the place it would take
    citizen = await arrive(room, "kfz", name="Erika")
    assert citizen.position == 1
    assert [t.id for t in await room.waiting("kfz")] == [citizen.ticket.id]
    status = await office_status(redis_client, room.presence, await offices.get("kfz"), room.now())
    assert status.waiting == 1 and status.can_join
    assert await room.position(await room.ticket(citizen.token)) == 1
    assert await room.position(await room.ticket(unconfirmed[0].token)) == 2  # behind Erika, were it to connect now
    assert await room.unconfirmed("kfz") == 10
    with pytest.raises(NotWaiting):
        await room.call("kfz", "clerk-1", unconfirmed[0].ticket.id)
    assert (await room.call_next("kfz", "clerk-1")).id == citizen.ticket.id
    with pytest.raises(QueueEmpty):
        await room.call_next("kfz", "clerk-2")


async def test_a_page_that_connects_late_takes_its_place_behind_everyone_there(room: WaitingRoom, clock: Clock) -> None:
    late = await room.join("buergerbuero")
    clock.advance(5)
    early = await arrive(room, "buergerbuero")
    clock.advance(5)
    await room.heartbeat(late.ticket, online=True)
    assert [t.id for t in await room.waiting("buergerbuero")] == [early.ticket.id, late.ticket.id]
    assert await room.position(await room.ticket(early.token)) == 1
    assert (await room.ticket(late.token)).joined_at == room.now_ms()  # the place counts from connecting


async def test_an_unconfirmed_ticket_ends_after_the_confirm_window(
    redis_client: redis.asyncio.Redis, room: WaitingRoom, clock: Clock
) -> None:
    confirmed = await arrive(room, "buergerbuero", name="Erika")
    stale = await room.join("buergerbuero", name="Niemand")
    clock.advance(30)
    slow = await room.join("buergerbuero")
    clock.advance(14)
    assert await room.sweep("buergerbuero") == []
    clock.advance(1)  # 45 s since the stale one joined
    ended = await room.sweep("buergerbuero")
    assert [(e.ticket.id, e.reason) for e in ended] == [(stale.ticket.id, "expired")]
    with pytest.raises(UnknownTicket):
        await room.ticket(stale.token)
    assert not await redis_client.exists(keys.ticket("buergerbuero", stale.ticket.id), keys.where(stale.ticket.id))
    assert await redis_client.zscore(keys.seen("buergerbuero"), stale.ticket.id) is None
    await room.heartbeat(slow.ticket, online=True)  # a slow phone, 15 s after joining
    clock.advance(40)
    assert await room.sweep("buergerbuero") == []
    assert [t.id for t in await room.waiting("buergerbuero")] == [confirmed.ticket.id, slow.ticket.id]
    assert await redis_client.zcard(keys.unconfirmed("buergerbuero")) == 0
    day = (await room.offices.get("buergerbuero")).hours.local(room.now()).date().isoformat()
    counters = await redis_client.hgetall(keys.stats("buergerbuero", day))
    assert counters == {"unconfirmed": "1"}  # not among the citizens' expired places


async def test_at_most_twenty_unconfirmed_tickets_per_place_are_kept(
    redis_client: redis.asyncio.Redis, offices: OfficeDirectory, room: WaitingRoom
) -> None:
    office = await offices.get("kfz")
    await offices.save(Office.from_config({**office.to_config(), "max_queue": 2}))
    citizen = await arrive(room, "kfz")
    joined = [await room.join("kfz") for _ in range(45)]  # in one millisecond: the clock stands still
    assert await room.unconfirmed("kfz") == 40
    for gone in joined[:5]:  # the oldest went first
        with pytest.raises(UnknownTicket):
            await room.ticket(gone.token)
        assert not await redis_client.exists(keys.where(gone.ticket.id), keys.ticket("kfz", gone.ticket.id))
        assert await redis_client.zscore(keys.seen("kfz"), gone.ticket.id) is None
    assert [(await room.ticket(j.token)).id for j in joined[5:]] == [j.ticket.id for j in joined[5:]]
    assert [t.id for t in await room.waiting("kfz")] == [citizen.ticket.id]
    assert (await arrive(room, "kfz")).position == 2


async def test_join_rejects_bad_input(room: WaitingRoom) -> None:
    with pytest.raises(UnknownOffice):
        await arrive(room, "nope")
    with pytest.raises(UnknownOffice):
        await arrive(room, "../../etc")
    with pytest.raises(InvalidInput):
        await arrive(room, "kfz", name="x" * 500)
    with pytest.raises(InvalidInput):
        await arrive(room, "kfz", concern={"$gt": ""})


async def test_leave_removes_everything(room: WaitingRoom, redis_client: redis.asyncio.Redis) -> None:
    a = await arrive(room, "buergerbuero")
    b = await arrive(room, "buergerbuero")
    await room.leave(a.token)
    assert await room.position(await room.ticket(b.token)) == 1
    with pytest.raises(UnknownTicket):
        await room.ticket(a.token)
    with pytest.raises(UnknownTicket):
        await room.leave(a.token)
    assert not await redis_client.exists(keys.ticket("buergerbuero", a.ticket.id), keys.where(a.ticket.id))
    assert await redis_client.zscore(keys.seen("buergerbuero"), a.ticket.id) is None


async def test_call_next_is_fifo_and_a_double_click_calls_nobody_new(room: WaitingRoom) -> None:
    a = await arrive(room, "buergerbuero")
    b = await arrive(room, "buergerbuero")
    called = await room.call_next("buergerbuero", "clerk-1")
    assert called.id == a.ticket.id and called.state == CALLED and called.clerk_id == "clerk-1"
    again = await room.call_next("buergerbuero", "clerk-1")
    assert again.id == a.ticket.id
    assert [t.id for t in await room.waiting("buergerbuero")] == [b.ticket.id]
    assert (await room.call_next("buergerbuero", "clerk-2")).id == b.ticket.id
    with pytest.raises(QueueEmpty):
        await room.call_next("buergerbuero", "clerk-3")


async def test_call_next_passes_over_a_disconnected_citizen_who_keeps_the_place(room: WaitingRoom) -> None:
    a = await arrive(room, "buergerbuero")
    b = await arrive(room, "buergerbuero")
    c = await arrive(room, "buergerbuero")
    for joined in (a, b, c):
        await room.heartbeat(joined.ticket, online=True)
    await room.heartbeat(a.ticket, online=False)  # a's connection dropped
    assert (await room.call_next("buergerbuero", "clerk-1")).id == b.ticket.id
    assert await room.position(await room.ticket(a.token)) == 1  # still first in line
    await room.heartbeat(a.ticket, online=True)  # back
    assert (await room.call_next("buergerbuero", "clerk-2")).id == a.ticket.id
    # With nobody connected, the first in line is called all the same.
    await room.heartbeat(c.ticket, online=False)
    assert (await room.call_next("buergerbuero", "clerk-3")).id == c.ticket.id


async def test_a_citizen_marked_online_but_silent_counts_as_gone(room: WaitingRoom, clock: Clock) -> None:
    """A server that was killed could not mark its citizens' pages gone: silence decides."""
    a = await arrive(room, "buergerbuero")
    b = await arrive(room, "buergerbuero")
    await room.heartbeat(a.ticket, online=True)
    clock.advance(90)  # a's server died: no heartbeat for a minute and a half
    await room.heartbeat(b.ticket, online=True)
    assert (await room.call_next("buergerbuero", "clerk-1")).id == b.ticket.id


async def test_a_clerk_withdraws_a_call_before_its_time(room: WaitingRoom, redis_client: redis.asyncio.Redis) -> None:
    a = await arrive(room, "buergerbuero")
    called = await room.call_next("buergerbuero", "clerk-1")
    with pytest.raises(TooEarly):
        await room.no_show("buergerbuero", called.id)  # the sweep's no-show waits for the deadline
    await room.no_show("buergerbuero", called.id, withdrawn=True)
    with pytest.raises(UnknownTicket):
        await room.ticket(a.token)
    assert not await redis_client.hget(keys.serving("buergerbuero"), "clerk-1")


async def test_appointments_come_before_walk_ins_each_in_order_of_joining(room: WaitingRoom, clock: Clock) -> None:
    walk_1 = await arrive(room, "buergerbuero")
    walk_2 = await arrive(room, "buergerbuero")
    booked_1 = await arrive(room, "buergerbuero", appointment=True)
    assert booked_1.position == 1 and booked_1.ticket.priority == 1
    booked_2 = await arrive(room, "buergerbuero", appointment=True)  # the same millisecond: still after booked_1
    assert booked_2.position == 2 and booked_2.ticket.joined_at > booked_1.ticket.joined_at
    walk_3 = await arrive(room, "buergerbuero")
    assert walk_3.position == 5 and walk_3.ticket.priority == 0
    assert (await room.ticket(booked_2.token)).priority == 1
    order = [booked_1, booked_2, walk_1, walk_2, walk_3]
    assert [t.id for t in await room.waiting("buergerbuero")] == [j.ticket.id for j in order]

    # A transfer keeps the priority too: ahead of the walk-ins already waiting there.
    clock.advance(10)
    kfz_walk = await arrive(room, "kfz")
    await room.call_next("buergerbuero", "clerk-1")
    await room.accept(booked_1.token)
    moved = await room.transfer("buergerbuero", booked_1.ticket.id, "kfz")
    assert moved.priority == 1
    assert [t.id for t in await room.waiting("kfz")] == [booked_1.ticket.id, kfz_walk.ticket.id]
    assert [(await room.call_next("buergerbuero", f"clerk-{n}")).id for n in range(2, 6)] == [
        j.ticket.id for j in order[1:]
    ]


async def test_call_a_specific_ticket(room: WaitingRoom) -> None:
    a = await arrive(room, "buergerbuero")
    b = await arrive(room, "buergerbuero")
    assert (await room.call("buergerbuero", "clerk-1", b.ticket.id)).id == b.ticket.id
    with pytest.raises(NotWaiting):
        await room.call("buergerbuero", "clerk-2", b.ticket.id)
    with pytest.raises(AlreadyServing):
        await room.call("buergerbuero", "clerk-1", a.ticket.id)
    assert await room.position(await room.ticket(a.token)) == 1


async def test_accept_within_the_limit_starts_the_visit(room: WaitingRoom, clock: Clock) -> None:
    a = await arrive(room, "buergerbuero")
    with pytest.raises(NotCalled):
        await room.accept(a.token)
    await room.call_next("buergerbuero", "clerk-1")
    clock.advance(30)
    visit = await room.accept(a.token)
    assert visit.state == IN_VISIT and visit.visit_started is not None
    assert (await room.accept(a.token)).state == IN_VISIT  # twice is harmless


async def test_accept_too_late_and_no_show(room: WaitingRoom, clock: Clock, redis_client: redis.asyncio.Redis) -> None:
    a = await arrive(room, "buergerbuero")
    b = await arrive(room, "buergerbuero")
    await room.call_next("buergerbuero", "clerk-1")
    with pytest.raises(TooEarly):
        await room.no_show("buergerbuero", a.ticket.id)
    clock.advance(61)
    with pytest.raises(CallExpired):
        await room.accept(a.token)
    await room.no_show("buergerbuero", a.ticket.id)
    with pytest.raises(UnknownTicket):
        await room.ticket(a.token)
    # The clerk is free again and gets the next person.
    assert (await room.call_next("buergerbuero", "clerk-1")).id == b.ticket.id
    day = (await room.offices.get("buergerbuero")).hours.local(room.now()).date().isoformat()
    assert await redis_client.hget(keys.stats("buergerbuero", day), "no_shows") == "1"


async def test_finish_keeps_only_the_length(room: WaitingRoom, clock: Clock, redis_client: redis.asyncio.Redis) -> None:
    a = await arrive(room, "buergerbuero", name="Erika")
    with pytest.raises(NotInVisit):
        await room.finish("buergerbuero", a.ticket.id)
    await room.call_next("buergerbuero", "clerk-1")
    await room.accept(a.token)
    clock.advance(300)
    await room.finish("buergerbuero", a.ticket.id)
    with pytest.raises(UnknownTicket):
        await room.finish("buergerbuero", a.ticket.id)
    assert await redis_client.lrange(keys.durations("buergerbuero"), 0, -1) == ["300"]
    remaining = set(await redis_client.keys("*"))
    assert not any(a.ticket.id in k for k in remaining)
    assert "Erika" not in str([await redis_client.type(k) for k in remaining])
    assert await redis_client.hget(keys.serving("buergerbuero"), "clerk-1") is None


async def test_send_back_goes_to_the_front(room: WaitingRoom) -> None:
    a = await arrive(room, "buergerbuero")
    b = await arrive(room, "buergerbuero")
    c = await arrive(room, "buergerbuero")
    await room.call_next("buergerbuero", "clerk-1")
    await room.accept(a.token)
    await room.call_next("buergerbuero", "clerk-2")  # b
    back = await room.send_back("buergerbuero", a.ticket.id)
    assert back.state == WAITING and back.clerk_id == ""
    assert [t.id for t in await room.waiting("buergerbuero")] == [a.ticket.id, c.ticket.id]
    assert (await room.send_back("buergerbuero", a.ticket.id)).state == WAITING  # idempotent
    assert (await room.call_next("buergerbuero", "clerk-1")).id == a.ticket.id
    assert b.ticket.id not in [t.id for t in await room.waiting("buergerbuero")]


async def test_transfer_keeps_the_original_join_time(room: WaitingRoom, presence: Presence, clock: Clock) -> None:
    a = await arrive(room, "buergerbuero")
    clock.advance(10)
    k1 = await arrive(room, "kfz")
    clock.advance(10)
    await room.call_next("buergerbuero", "clerk-1")
    await room.accept(a.token)
    moved = await room.transfer("buergerbuero", a.ticket.id, "kfz")
    assert moved.office_id == "kfz" and moved.number.startswith("K-") and moved.state == WAITING
    assert moved.joined_at == a.ticket.joined_at
    # Joined before k1, so ahead of k1.
    assert [t.id for t in await room.waiting("kfz")] == [a.ticket.id, k1.ticket.id]
    # The same token still works and now points to the new office.
    assert (await room.ticket(a.token)).office_id == "kfz"
    with pytest.raises(UnknownTicket):
        await room.get("buergerbuero", a.ticket.id)
    with pytest.raises(InvalidInput):
        await room.transfer("kfz", a.ticket.id, "kfz")
    with pytest.raises(UnknownOffice):
        await room.transfer("kfz", a.ticket.id, "nope")


async def test_an_action_on_the_wrong_office_finds_no_ticket(room: WaitingRoom) -> None:
    a = await arrive(room, "buergerbuero")
    await room.call_next("buergerbuero", "clerk-1")
    await room.accept(a.token)
    for action in (room.finish, room.send_back, room.no_show):
        with pytest.raises(UnknownTicket):
            await action("kfz", a.ticket.id)
    assert (await room.ticket(a.token)).state == IN_VISIT


async def test_disconnect_keeps_the_place_for_the_grace_period(room: WaitingRoom, clock: Clock) -> None:
    a = await arrive(room, "buergerbuero")
    b = await arrive(room, "buergerbuero")
    ticket_a = await room.ticket(a.token)
    await room.heartbeat(ticket_a, online=True)
    assert (await room.ticket(a.token)).offline_since is None
    await room.heartbeat(ticket_a, online=False)
    clock.advance(100)
    assert await room.sweep("buergerbuero") == []  # b has been quiet for 100 s of 120
    await room.heartbeat(await room.ticket(a.token), online=True)  # back after a reload
    clock.advance(100)
    await room.heartbeat(await room.ticket(a.token))
    ended = await room.sweep("buergerbuero")
    assert [(e.ticket.id, e.reason) for e in ended] == [(b.ticket.id, "expired")]
    assert await room.position(await room.ticket(a.token)) == 1


async def test_sweep_marks_unanswered_calls_as_no_shows(room: WaitingRoom, clock: Clock) -> None:
    a = await arrive(room, "buergerbuero")
    await room.call_next("buergerbuero", "clerk-1")
    clock.advance(30)
    assert await room.sweep("buergerbuero") == []
    clock.advance(31)
    ended = await room.sweep("buergerbuero")
    assert [(e.ticket.id, e.reason) for e in ended] == [(a.ticket.id, "no_show")]
    with pytest.raises(QueueEmpty):
        await room.call_next("buergerbuero", "clerk-1")


async def test_announcement(room: WaitingRoom) -> None:
    assert await room.announcement("kfz") is None
    await room.announce("kfz", "  Heute ab 15 Uhr geschlossen  ")
    assert await room.announcement("kfz") == "Heute ab 15 Uhr geschlossen"
    with pytest.raises(InvalidInput):
        await room.announce("kfz", "")
    with pytest.raises(InvalidInput):
        await room.announce("kfz", "x" * 501)


async def test_change_listeners_hear_each_transition(room: WaitingRoom) -> None:
    heard: list[str] = []
    room.on_change(heard.append)
    a = await arrive(room, "buergerbuero")
    await room.call_next("buergerbuero", "clerk-1")
    await room.accept(a.token)
    await room.transfer("buergerbuero", a.ticket.id, "kfz")
    assert heard == ["buergerbuero", "buergerbuero", "buergerbuero", "buergerbuero", "kfz"]


async def test_guests_last_as_long_as_the_visit(room: WaitingRoom) -> None:
    a = await arrive(room, "buergerbuero")
    with pytest.raises(NotInVisit):
        await room.add_guest("buergerbuero", a.ticket.id, "colleague", limit=2)
    await room.call_next("buergerbuero", "clerk-1")
    await room.accept(a.token)
    await asyncio.gather(*(room.add_guest("buergerbuero", a.ticket.id, g, limit=2) for g in ("colleague", "interpreter")))
    visit = await room.add_guest("buergerbuero", a.ticket.id, "colleague", limit=2)  # twice is harmless
    assert sorted(visit.guests) == ["colleague", "interpreter"]
    with pytest.raises(TooManyGuests):
        await room.add_guest("buergerbuero", a.ticket.id, "third", limit=2)
    assert (await room.remove_guest("buergerbuero", a.ticket.id, "colleague")).guests == ("interpreter",)
    assert (await room.locate(a.ticket.id)).guests == ("interpreter",)
    await room.finish("buergerbuero", a.ticket.id)
    with pytest.raises(UnknownTicket):
        await room.locate(a.ticket.id)
    with pytest.raises(UnknownTicket):
        await room.remove_guest("buergerbuero", a.ticket.id, "interpreter")


async def test_scripts_come_back_after_redis_forgot_them(room: WaitingRoom, redis_client: redis.asyncio.Redis) -> None:
    await arrive(room, "buergerbuero")
    await redis_client.script_flush()  # as after a restart without persistence of scripts
    assert (await arrive(room, "buergerbuero")).position == 2
    await redis_client.script_flush()
    assert (await room.call_next("buergerbuero", "clerk-1")).number == "B-001"
