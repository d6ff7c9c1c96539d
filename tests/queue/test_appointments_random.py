"""10,000 random holds, confirmations, cancellations and moves from many clients at once:
no grid step is ever over capacity, and the occupancy is the bookings' sum at the end."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import date, datetime
from zoneinfo import ZoneInfo

import redis.asyncio

from tests.conftest import ALWAYS, Clock, RedisServer
from virtual_office.queue import Office, OfficeDirectory, QueueError, keys
from virtual_office.queue.appointments import Appointments
from virtual_office.queue.bookings import CONFIRMED, HELD
from virtual_office.queue.slots import start_times

OFFICE = "bauamt"
DAYS = ("2027-03-02", "2027-03-03")
CAPACITY = 3
CLIENTS = 20
OPERATIONS = 10_000
SERVICES = [{"id": f"s{m}", "name": f"{m} Minuten", "minutes": m} for m in (5, 10, 15, 30, 45)]
BERLIN = ZoneInfo("Europe/Berlin")


async def test_ten_thousand_random_operations_never_overfill_a_step(
        redis_server: RedisServer, redis_client: redis.asyncio.Redis, clock: Clock) -> None:
    clock.now = datetime(2027, 3, 1, 7, 0, tzinfo=BERLIN).timestamp()
    office = Office.from_config({
        "id": OFFICE, "name": "Bauamt", "hours": ALWAYS,
        "appointments": {"mode": "only", "services": SERVICES, "capacity": CAPACITY, "slot_minutes": 5,
                         "hours": {"tue": [["08:00", "10:00"]], "wed": [["08:00", "09:00"], ["13:00", "14:00"]]}},
    })
    await OfficeDirectory(redis_client).save(office)
    starts = {d: start_times(office.appointment_hours, date.fromisoformat(d), 5, 5) for d in DAYS}
    live: list[str] = []  # tokens of held or confirmed bookings (a single event loop: no lock needed)
    outcomes: Counter[str] = Counter()
    overfilled: list[dict[str, str]] = []

    async def client(n: int) -> None:
        conn = redis.asyncio.Redis.from_url(redis_server.url, decode_responses=True)
        engine = Appointments(conn, OfficeDirectory(conn), clock=clock)
        rng = random.Random(n)
        try:
            for _ in range(OPERATIONS // CLIENTS):
                day = rng.choice(DAYS)
                start = datetime.fromtimestamp(rng.choice(starts[day]) * 60, BERLIN)
                op = rng.choice(("hold", "hold", "hold", "cancel", "move", "confirm")) if live else "hold"
                try:
                    if op == "hold":
                        services = rng.sample([s["id"] for s in SERVICES], rng.randint(1, 2))
                        held = await engine.hold(OFFICE, services, start, email=f"c{n}@example.org")
                        assert held.token
                        live.append(held.token)
                    elif op == "cancel":
                        token = live.pop(rng.randrange(len(live)))
                        await engine.cancel(token)
                    elif op == "move":
                        await engine.move(rng.choice(live), start)
                    else:
                        await engine.confirm(rng.choice(live))
                    outcomes[op] += 1
                except QueueError as exc:
                    outcomes[f"{op}: {exc.code}"] += 1
                # Every step of both days, right after each operation.
                async with conn.pipeline(transaction=False) as pipe:
                    for d in DAYS:
                        pipe.hgetall(keys.appointment_occupancy(OFFICE, d))
                    for row in await pipe.execute():
                        if any(int(v) > CAPACITY for v in row.values()):
                            overfilled.append(row)
        finally:
            await conn.aclose()

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    assert sum(outcomes.values()) == OPERATIONS
    assert overfilled == []
    # Every kind of operation happened, and so did every refusal for a full time.
    for op in ("hold", "cancel", "move", "confirm", "hold: slot_full", "move: slot_full"):
        assert outcomes[op] > 0, outcomes

    engine = Appointments(redis_client, OfficeDirectory(redis_client), clock=clock)
    expected: dict[str, Counter[int]] = {d: Counter() for d in DAYS}
    bookings = [await engine.booking(token) for token in live]
    for booking in bookings:
        assert booking.state in (HELD, CONFIRMED)
        first = int(booking.start.timestamp()) // 60
        for i in range(-(-booking.minutes // 5)):
            expected[booking.day][first + i * 5] += 1
    for d in DAYS:
        stored = await redis_client.hgetall(keys.appointment_occupancy(OFFICE, d))
        assert {int(k): int(v) for k, v in stored.items()} == dict(expected[d])
        assert max(expected[d].values()) <= CAPACITY
        assert await redis_client.zcard(keys.appointment_day(OFFICE, d)) == sum(1 for b in bookings if b.day == d)
