"""What routing a visit's signaling to its home node costs: one request and its reply between
two nodes through Redis pub/sub (virtual_office.server.cluster.commands).

    python benchmarks/cluster.py [--requests 2000] [--concurrency 50]

Starts its own redis-server on 127.0.0.1 (AOF on, as in production) and two command channels
in this process, as two nodes would have: node B sends ``--requests`` requests to node A one
after the other, then the same number ``--concurrency`` at a time; A answers each at once. A
plain PING's round trip is measured beside it as the floor. Reports the median, 95th
percentile and largest round trip and the requests per second. A member whose socket is on
the visit's home node pays none of this; one on another node pays it once per signaling
message (an offer or an answer: a handful per visit, a few more per screen share).
Choosing a visit's home at its first offer is measured too: the live nodes' registrations
read (2 and 16 nodes, 30 visits each) and the claim, once per new visit.
Results go to benchmarks/results/cluster.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis.asyncio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.metrics import start_redis  # noqa: E402 - needs ROOT on sys.path
from virtual_office.server.cluster import keys  # noqa: E402
from virtual_office.server.cluster.commands import CommandChannel  # noqa: E402
from virtual_office.server.cluster.node import Node, live_nodes  # noqa: E402
from virtual_office.server.cluster.signaling import CLAIM, HOME_SECONDS, least_loaded  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "cluster.json"


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


async def measure(url: str, requests: int, concurrency: int) -> dict[str, Any]:
    client = redis.asyncio.Redis.from_url(url, decode_responses=True)
    a, b = CommandChannel(client, "node-a"), CommandChannel(client, "node-b")

    async def answer(command: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "echo": command["n"]}

    a.serve(answer)
    b.serve(answer)
    tasks = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
    await a.ready.wait()
    await b.ready.wait()
    try:
        pings = []
        for _ in range(requests):
            started = time.perf_counter()
            await client.ping()
            pings.append(time.perf_counter() - started)

        one_by_one = []
        began = time.perf_counter()
        for n in range(requests):
            started = time.perf_counter()
            assert (await b.request("node-a", {"n": n}))["echo"] == n
            one_by_one.append(time.perf_counter() - started)
        sequential_rate = requests / (time.perf_counter() - began)

        at_once: list[float] = []

        async def timed(n: int) -> None:
            started = time.perf_counter()
            assert (await b.request("node-a", {"n": n}))["echo"] == n
            at_once.append(time.perf_counter() - started)

        began = time.perf_counter()
        for first in range(0, requests, concurrency):
            await asyncio.gather(*(timed(n) for n in range(first, min(first + concurrency, requests))))
        concurrent_rate = requests / (time.perf_counter() - began)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.aclose()
    return {
        "ping": summary(pings),
        "sequential": {**summary(one_by_one), "per_second": round(sequential_rate)},
        f"concurrent_{concurrency}": {**summary(at_once), "per_second": round(concurrent_rate)},
    }


async def measure_homing(url: str, visits: int, node_count: int) -> dict[str, Any]:
    """``visits`` first offers one after the other: read the live nodes, choose, claim."""
    client = redis.asyncio.Redis.from_url(url, decode_responses=True)
    try:
        await client.flushall()
        for i in range(node_count):
            held = [f"held-{i}-{v}" for v in range(30)]
            node = Node(client, port_min=None, port_max=None, visits=lambda held=held: held, connections=lambda: 0,
                        node_id=f"node-{i}")
            await node.beat()
        samples = []
        for n in range(visits):
            started = time.perf_counter()
            home = least_loaded(await live_nodes(client), "node-0", 30)
            await client.eval(CLAIM, 1, keys.home(f"visit-{n}"), "", home, str(HOME_SECONDS))  # type: ignore[misc]
            samples.append(time.perf_counter() - started)
    finally:
        await client.aclose()
    return {**summary(samples), "nodes": node_count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        process, url = start_redis(Path(directory))
        try:
            result = asyncio.run(measure(url, args.requests, args.concurrency))
            result["homing"] = [asyncio.run(measure_homing(url, args.requests, n)) for n in (2, 16)]
        finally:
            process.terminate()
            process.wait()
    result = {"requests": args.requests, "python": platform.python_version(), "machine": platform.machine(), **result}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
