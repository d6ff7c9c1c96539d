"""Server memory over many short-lived socket.io connections: a leak, or a high-water mark?

    python benchmarks/connections.py                 # 12 waves of 1,500 connections
    python benchmarks/connections.py --quick         # 4 waves of 500
    python benchmarks/connections.py --waves 20 --per-wave 2000

The server is the real app (``create_app``, uvicorn) on a Redis started here, run by
this script in a child process (``--serve``) that also answers SIGUSR1 with a look
inside: its RSS after a full collection, Python's own allocations (``tracemalloc``,
started with the process), the most numerous objects by type (``gc``), and the length
of every per-connection table we know of (Engine.IO's sockets, socket.io's environ and
rooms, the connection cap, citizen presence). Nothing of this is in the product.

Each wave opens ``--per-wave`` WebSocket connections, 50 at a time, the way a widget
does (Engine.IO open, ``/public`` connect with our own origin, the ``offices`` event);
half close properly, half are aborted (a reset, no close frame). After the wave the
script waits until the server has counted every connection out, then samples.

A leak keeps growing with every wave; a high-water mark grows over the first waves and
then stays. Results go to benchmarks/results/connections.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loopback import in_loopback_namespace  # noqa: E402

RESULTS = HERE / "results" / "connections.json"
CONCURRENCY = 50
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


# -- the server, with a look inside ------------------------------------------------


def serve(port: int, redis_url: str, data_dir: Path, probe: Path) -> None:
    """Run the app on ``port``; on SIGUSR1 write what it holds to ``probe`` (JSON)."""
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # until the look inside is ready
    tracemalloc.start(1)  # the allocating line only: deeper tracebacks make every look slow
    import uvicorn

    from virtual_office.server import create_app
    from virtual_office.settings import Settings

    settings = Settings.from_env(
        {}, host="127.0.0.1", port=port, redis_url=redis_url, data_dir=data_dir, log_level="warning",
        secret_key="benchmark-secret-" + "x" * 32,
    )
    app = create_app(settings)
    sio = app.engineio_server  # socket.io's server; Engine.IO's is its .eio
    eio = sio.eio
    baseline: list[tracemalloc.Snapshot] = []

    def look() -> None:
        gc.collect()
        snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
        if not baseline:
            baseline.append(snapshot)
        growth = snapshot.compare_to(baseline[0], "lineno")[:12]
        tracked = gc.get_objects()
        objects = Counter(type(o).__name__ for o in tracked)
        rooms = sum(len(r) for ns in sio.manager.rooms.values() for r in ns.values())
        presence = next((o for o in tracked if type(o).__name__ == "CitizenPresence"), None)
        state = {
            "rss_mb": _rss_mb(os.getpid()),
            "traced_mb": tracemalloc.get_traced_memory()[0] / 2**20,
            "gc_objects": len(tracked),
            "top_types": objects.most_common(12),
            "growth_since_first_look": [
                {"where": str(s.traceback), "kib": round(s.size_diff / 1024, 1), "count": s.count_diff} for s in growth
            ],
            "tables": {
                "engineio_sockets": len(eio.sockets),
                "socketio_environ": len(sio.environ),
                "socketio_room_members": rooms,
                "connection_cap": sio.cap.tracked() if sio.cap else None,
                "citizen_presence": len(presence._tokens) if presence else None,
            },
        }
        probe.write_text(json.dumps(state))

    async def main() -> None:
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
        asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, look)
        await server.serve()

    gc.set_threshold(50_000, 20, 100)  # as `virtual-office serve`
    asyncio.run(main())


def _rss_mb(pid: int) -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


# -- the driver -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def one_connection(session: Any, url: str, origin: str, abort: bool) -> None:
    """A widget's connection: Engine.IO open, /public connect, the offices; then closed or aborted."""
    async with session.ws_connect(url, headers={"Origin": origin}) as ws:
        opened = await ws.receive_str(timeout=30)
        assert opened.startswith("0"), opened
        await ws.send_str('40/public,{"lang":"de"}')
        got_offices = False
        while not got_offices:
            message = await ws.receive_str(timeout=30)
            got_offices = message.startswith('42/public,["offices"')
            if message == "2":
                await ws.send_str("3")
        if abort:
            ws._response.connection.transport.abort()  # a reset: no close frame
        else:
            await ws.close()


async def wave(port: int, count: int) -> int:
    """Open and close ``count`` connections; returns how many failed."""
    import aiohttp

    url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    origin = f"http://127.0.0.1:{port}"
    todo = iter(range(count))
    failed = 0
    async with aiohttp.ClientSession() as session:

        async def worker() -> None:
            nonlocal failed
            for n in todo:
                try:
                    await one_connection(session, url, origin, abort=n % 2 == 1)
                except (aiohttp.ClientError, AssertionError, TimeoutError):
                    failed += 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return failed


def look_inside(server: subprocess.Popen[Any], probe: Path) -> dict[str, Any]:
    probe.unlink(missing_ok=True)
    server.send_signal(signal.SIGUSR1)
    for _ in range(3000):
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode})")
        if probe.exists() and probe.stat().st_size:
            time.sleep(0.1)
            return dict(json.loads(probe.read_text()))
        time.sleep(0.1)
    raise RuntimeError("the server did not answer the look inside")


def settled(server: subprocess.Popen[Any], probe: Path) -> dict[str, Any]:
    """A look once every connection of the wave is counted out (aborted ones take a moment)."""
    state: dict[str, Any] = {}
    for _ in range(60):
        state = look_inside(server, probe)
        if state["tables"]["engineio_sockets"] == 0:
            break
        time.sleep(1)
    return state


def run(args: argparse.Namespace) -> dict[str, Any]:
    import redis

    from virtual_office.queue import Office, OfficeDirectory

    work = Path(tempfile.mkdtemp(prefix="vo-connections-"))
    redis_port, port = free_port(), free_port()
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    children: list[subprocess.Popen[Any]] = []
    try:
        children.append(subprocess.Popen([binary, "--port", str(redis_port), "--save", "", "--appendonly", "no",
                                          "--dir", str(work)], stdout=subprocess.DEVNULL))
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                redis.Redis.from_url(redis_url).ping()
                break
            time.sleep(0.05)

        async def seed() -> None:
            import redis.asyncio

            client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
            await OfficeDirectory(client).save(Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS}))
            await client.aclose()

        asyncio.run(seed())
        probe = work / "probe.json"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), redis_url, str(work / "data"), str(probe)])
        children.append(server)
        for _ in range(1200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if server.poll() is not None:
                raise RuntimeError(f"the server exited ({server.returncode})")
            time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start within two minutes")
        samples = [{"wave": 0, "connections": 0, **settled(server, probe)}]
        print(f"{'wave':>4} {'connections':>11} {'RSS MB':>7} {'traced MB':>9} {'gc objects':>10} tables")
        _row(samples[-1])
        for n in range(1, args.waves + 1):
            started = time.monotonic()
            failed = asyncio.run(wave(port, args.per_wave))
            elapsed = time.monotonic() - started
            samples.append({"wave": n, "connections": n * args.per_wave, "failed": failed, "seconds": round(elapsed, 1),
                            **settled(server, probe)})
            _row(samples[-1])
        # Engine.IO keeps a closed connection's socket until its ping task wakes (the ping
        # interval): what is still held after that long with nobody connecting stays for good.
        time.sleep(args.idle)
        samples.append({"wave": "idle", "connections": args.waves * args.per_wave, "seconds": args.idle,
                        **settled(server, probe)})
        _row(samples[-1])
        return {"per_wave": args.per_wave, "waves": args.waves, "concurrency": CONCURRENCY,
                "samples": samples, "verdict": verdict(samples)}
    finally:
        for child in reversed(children):
            with contextlib.suppress(ProcessLookupError):
                child.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(10)
            with contextlib.suppress(ProcessLookupError):
                child.kill()
        shutil.rmtree(work, ignore_errors=True)


def _row(s: dict[str, Any]) -> None:
    print(f"{s['wave']!s:>4} {s['connections']:>11} {s['rss_mb']:>7.1f} {s['traced_mb']:>9.2f} {s['gc_objects']:>10} {s['tables']}")


def verdict(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Growth per 1,000 connections over the second half of the waves (after the warm-up), and
    what the idle look still holds against the first."""
    waves, idle = samples[:-1], samples[-1]
    later = waves[len(waves) // 2:]
    span = (later[-1]["connections"] - later[0]["connections"]) / 1000 or 1
    per_thousand = {
        "rss_mb": round((later[-1]["rss_mb"] - later[0]["rss_mb"]) / span, 3),
        "traced_mb": round((later[-1]["traced_mb"] - later[0]["traced_mb"]) / span, 4),
        "gc_objects": round((later[-1]["gc_objects"] - later[0]["gc_objects"]) / span, 1),
    }
    return {"growth_per_1000_connections_second_half": per_thousand,
            "rss_mb_start_peak_idle": [samples[0]["rss_mb"], max(s["rss_mb"] for s in samples), idle["rss_mb"]],
            "traced_mb_start_peak_idle": [samples[0]["traced_mb"], max(s["traced_mb"] for s in samples), idle["traced_mb"]],
            "gc_objects_start_peak_idle": [samples[0]["gc_objects"], max(s["gc_objects"] for s in samples), idle["gc_objects"]]}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), Path(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waves", type=int, default=12)
    parser.add_argument("--per-wave", type=int, default=1500)
    parser.add_argument("--quick", action="store_true", help="4 waves of 500")
    parser.add_argument("--idle", type=float, default=90, help="seconds to wait after the last wave before a last look")
    args = parser.parse_args()
    if args.quick:
        args.waves, args.per_wave = 4, 500
    in_loopback_namespace()
    result = run(args)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["verdict"], indent=1))


if __name__ == "__main__":
    main()
