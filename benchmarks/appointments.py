"""Appointments: free-time lookup and hold throughput, against bare Redis in the same run.

    python benchmarks/appointments.py [--quick] [--ops N] [--concurrency 50]

Starts its own redis-server on 127.0.0.1 (AOF on, as in production), pinned to one core
while this process runs on the other (the plumbing of benchmarks/waiting_room.py). 50
offices take appointments on weekdays 08:00-12:00 and 13:00-16:00 (5-minute grid, two
places at a time, three services), each with 200 bookings spread over the next 60 days.
Measured through the public API (``virtual_office.queue.appointments.Appointments``):

- ``free_days``: the free start times of one office (round-robin) for 60 days, for a
  15-minute service: one pipelined HGETALL of each day's occupancy, then the grid;
  baseline: the same 60 HGETALLs in one pipeline, nothing computed;
- ``hold``: a new booking (a citizen's e-mail and name, a 15-minute service) at the next
  free time of the round-robin office, as the booking page would send it; baseline: one
  EVALSHA of a minimal hold script (check three steps, take them, write a hash of the
  same fields).

Each sequentially on one connection and with ``--concurrency`` tasks sharing one client.
Rounds alternate ours and the baseline; the median round is reported, and the ratios
are the median of the per-round ratios. Results go to benchmarks/results/appointments.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import redis
import redis.asyncio
from waiting_room import Phase, RedisServer, connect  # the script's folder is on sys.path

from virtual_office.queue import Office, OfficeDirectory
from virtual_office.queue.appointments import Appointments
from virtual_office.queue.slots import start_times

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "appointments.json"
OFFICES = 50
DAYS = 60
SEEDED_PER_OFFICE = 200
HOURS = {d: [["08:00", "12:00"], ["13:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
SERVICES = [
    {"id": "ausweis", "name": "Personalausweis", "minutes": 15},
    {"id": "ummeldung", "name": "Ummeldung", "minutes": 10},
    {"id": "reisepass", "name": "Reisepass", "minutes": 20},
]

BASELINE_HOLD = """
for i = 0, 2 do
  if tonumber(redis.call('HGET', KEYS[1], ARGV[1] + i * 5) or '0') >= 2 then return 0 end
end
for i = 0, 2 do redis.call('HINCRBY', KEYS[1], ARGV[1] + i * 5, 1) end
redis.call('HSET', KEYS[2], 'start', ARGV[1], 'state', 'held', 'email', ARGV[2], 'name', ARGV[3])
return 1
"""


class Starts:
    """Hands out every (office, start) pair twice (two places each), round-robin over the offices."""

    def __init__(self, offices: list[Office], first: date) -> None:
        self.free: list[list[int]] = []
        for office in offices:
            minutes = [m for d in range(DAYS - 3) for m in start_times(office.appointment_hours, first + timedelta(days=d), 15, 5)]
            # Every third start (15 minutes apart): holds at these never overlap each other.
            self.free.append([m for m in minutes[::3] for _ in range(2)])
        self.taken = [0] * len(offices)

    def next(self, i: int) -> tuple[int, int]:
        office = i % len(self.free)
        minute = self.free[office][self.taken[office]]
        self.taken[office] += 1
        return office, minute


async def prepare(client: redis.asyncio.Redis) -> tuple[Appointments, list[Office]]:
    await client.flushall()
    directory = OfficeDirectory(client)
    offices = []
    for i in range(OFFICES):
        office = Office.from_config({
            "id": f"office-{i:02d}", "name": f"Amt {i}", "hours": HOURS, "order": i,
            "appointments": {"mode": "also", "services": SERVICES, "capacity": 2, "slot_minutes": 5,
                             "horizon_days": DAYS, "lead_minutes": 120},
        })
        await directory.save(office)
        offices.append(office)
    engine = Appointments(client, directory)
    # Bookings already there, so the lookups meet filled days: from the far end of the
    # horizon backwards (the holds measured below start at the near end).
    first = datetime.now(UTC).date() + timedelta(days=2)
    for office in offices:
        starts = [m for d in range(DAYS - 3, 30, -1)
                  for m in start_times(office.appointment_hours, first + timedelta(days=d), 15, 5)[::7]]
        for minute in starts[:SEEDED_PER_OFFICE]:
            await engine.hold(office.id, ["ausweis"], datetime.fromtimestamp(minute * 60, UTC), email="seed@example.org")
    return engine, offices


def ours(engine: Appointments, offices: list[Office], starts: Starts) -> dict[str, Callable[[int], Awaitable[object]]]:
    today = datetime.now(UTC).date()

    def hold(i: int) -> Awaitable[object]:
        office, minute = starts.next(i)
        return engine.hold(offices[office].id, ["ausweis"], datetime.fromtimestamp(minute * 60, UTC),
                           email="erika.mustermann@example.org", name="Erika Mustermann", language="de")

    return {
        "free_days": lambda i: engine.free_days(offices[i % OFFICES].id, ["ausweis"], today, today + timedelta(days=DAYS)),
        "hold": hold,
    }


def baseline(client: redis.asyncio.Redis, offices: list[Office], starts: Starts, tag: str) -> dict[str, Callable[[int], Awaitable[object]]]:
    script = client.register_script(BASELINE_HOLD)
    today = datetime.now(UTC).date()

    async def free_days(i: int) -> object:
        async with client.pipeline(transaction=False) as pipe:
            for d in range(DAYS + 1):
                pipe.hgetall(f"bench:{{{offices[i % OFFICES].id}}}:occupancy:{today + timedelta(days=d)}")
            return await pipe.execute()

    def hold(i: int) -> Awaitable[object]:
        office, minute = starts.next(i)
        oid = offices[office].id
        return script(keys=[f"bench:{{{oid}}}:occupancy", f"bench:{{{oid}}}:booking:{tag}-{i:08x}"],
                      args=[minute, "erika.mustermann@example.org", "Erika Mustermann"])

    return {"free_days": free_days, "hold": hold}


async def seed_baseline(client: redis.asyncio.Redis, offices: list[Office]) -> None:
    """The baseline's lookups read occupancy hashes as full as ours."""
    for office in offices:
        for key in [k async for k in client.scan_iter(match=f"vo:{{{office.id}}}:appt-occupancy:*")]:
            day = key.rsplit(":", 1)[1]
            await client.copy(key, f"bench:{{{office.id}}}:occupancy:{day}")


async def measure(server: RedisServer, ops: int, concurrency: int, rounds: int) -> dict[str, object]:
    client = connect(server.url, concurrency)
    phase = Phase(server, client)
    engine, offices = await prepare(client)
    await seed_baseline(client, offices)
    first = datetime.now(UTC).date() + timedelta(days=2)
    starts_ours, starts_base = Starts(offices, first), Starts(offices, first)
    raw: dict[str, list[dict[str, float]]] = {}
    for fns in (ours(engine, offices, starts_ours), baseline(client, offices, starts_base, "warm")):
        await phase.run(fns["free_days"], 200, concurrency)
        await phase.run(fns["hold"], 200, concurrency)
    lookups = max(200, ops // 10)  # a lookup reads 61 days: fewer of them fill a phase as long
    for r in range(rounds):
        for mode, tasks in (("sequential", 1), ("concurrent", concurrency)):
            for op in ("free_days", "hold"):
                for impl in ("ours", "baseline") if r % 2 == 0 else ("baseline", "ours"):
                    fns = ours(engine, offices, starts_ours) if impl == "ours" else baseline(client, offices, starts_base, f"r{r}{mode[0]}")
                    result = await phase.run(fns[op], lookups if op == "free_days" else ops, tasks)
                    raw.setdefault(f"{op}/{mode}/{impl}", []).append(result)
                    print(f"  round {r + 1} {op:9} {mode:10} {impl:8} {result['ops_per_s']:8.0f} ops/s  "
                          f"p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
                          f"{result['round_trips_per_op']:.2f} round trips/op", flush=True)
    await client.aclose()

    def median_round(runs: list[dict[str, float]]) -> dict[str, float]:
        by_rate = sorted(runs, key=lambda x: x["ops_per_s"])
        return by_rate[len(by_rate) // 2] | {"rounds_ops_per_s": [round(x["ops_per_s"]) for x in runs]}

    ratios = {}
    for op in ("free_days", "hold"):
        for mode in ("sequential", "concurrent"):
            pairs = list(zip(raw[f"{op}/{mode}/ours"], raw[f"{op}/{mode}/baseline"], strict=True))
            ratios[f"{op}/{mode}"] = {
                "throughput_baseline_over_ours": statistics.median(b["ops_per_s"] / o["ops_per_s"] for o, b in pairs),
                "rounds_throughput_baseline_over_ours": [round(b["ops_per_s"] / o["ops_per_s"], 2) for o, b in pairs],
                "p50_ours_over_baseline": statistics.median(o["p50_ms"] / b["p50_ms"] for o, b in pairs),
            }
    return {"results": {k: median_round(v) for k, v in raw.items()}, "ratios": ratios}


def markdown(report: dict[str, object]) -> str:
    """The table for docs/benchmarks.md."""
    rows = ["| operation | mode | ours ops/s | baseline ops/s | baseline/ours (rounds) | ours p50 / p99 ms | baseline p50 / p99 ms | round trips/op (ours / baseline) | client CPU µs/op (ours / baseline) |",
            "|---|---|---|---|---|---|---|---|---|"]
    results, ratios = report["results"], report["ratios"]  # type: ignore[index]
    for op in ("free_days", "hold"):
        for mode in ("sequential", "concurrent"):
            o, b = results[f"{op}/{mode}/ours"], results[f"{op}/{mode}/baseline"]
            ratio = ratios[f"{op}/{mode}"]
            each = ", ".join(f"{x:.1f}" for x in ratio["rounds_throughput_baseline_over_ours"])
            label = "1 connection" if mode == "sequential" else f"{report['parameters']['concurrency']} tasks"  # type: ignore[index]
            rows.append(f"| {op} | {label} | {o['ops_per_s']:,.0f} | {b['ops_per_s']:,.0f} | "
                        f"{ratio['throughput_baseline_over_ours']:.2f}x ({each}) | "
                        f"{o['p50_ms']:.2f} / {o['p99_ms']:.2f} | {b['p50_ms']:.2f} / {b['p99_ms']:.2f} | "
                        f"{o['round_trips_per_op']:.1f} / {b['round_trips_per_op']:.1f} | "
                        f"{o['client_cpu_us_per_op']:.0f} / {b['client_cpu_us_per_op']:.0f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer operations and one round (a smoke test)")
    parser.add_argument("--ops", type=int, help="holds a phase (default 5000; 1000 with --quick); lookups: a tenth")
    parser.add_argument("--rounds", type=int, help="rounds (default 3; 1 with --quick)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    ops = args.ops or (1000 if args.quick else 5000)
    rounds = args.rounds or (1 if args.quick else 3)

    cpus = sorted(os.sched_getaffinity(0))
    redis_cpu, my_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
    if my_cpu is not None:
        os.sched_setaffinity(0, {my_cpu})
    with tempfile.TemporaryDirectory(prefix="vo-bench-appointments-") as tmp:
        server = RedisServer(Path(tmp), redis_cpu)
        server.start()
        try:
            print(f"redis {server.version}, {ops} holds a phase, {rounds} round(s), concurrency {args.concurrency}")
            measured = asyncio.run(measure(server, ops, args.concurrency, rounds))
        finally:
            server.stop()

    report = {
        "benchmark": "appointments",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "redis": server.version,
                    "redis_py": redis.__version__, "pinning": {"redis": redis_cpu, "client": my_cpu}},
        "parameters": {"holds_per_phase": ops, "lookups_per_phase": max(200, ops // 10), "rounds": rounds,
                       "concurrency": args.concurrency, "offices": OFFICES, "days": DAYS,
                       "seeded_bookings_per_office": SEEDED_PER_OFFICE},
        **measured,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(markdown(report))
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
