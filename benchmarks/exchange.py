"""Visit files: upload and download speed, and the server's memory while bodies stream.

    python benchmarks/exchange.py [--rounds 10] [--megabytes 10]

The real ``virtual-office serve`` on a Redis started here (everything on 127.0.0.1),
one visit (a citizen called and admitted). The citizen uploads ``--rounds`` PDFs of the
upload limit's size (``POST /visit/<id>/files``) and the clerk downloads each; then
five bodies ten times the limit are sent without a Content-Length (chunked), which
the server must stop at the limit. This process samples the server's RSS meanwhile:
an upload is streamed to disk, so memory must not grow with the body.

Results go to benchmarks/results/exchange.json (and a markdown table on stdout).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import harness  # noqa: E402
from tests.browser.clerk import ClerkClient  # noqa: E402
from tests.browser.staff_fixtures import Citizen  # noqa: E402


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.samples: list[int] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.samples.append(self.process.memory_info().rss)
            time.sleep(0.02)


def body(size: int) -> bytes:
    return b"%PDF-1.4\n" + b"0" * (size - 9)


def chunked(total: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    yield b"%PDF-1.4\n"
    sent = 9
    while sent < total:
        yield b"0" * chunk
        sent += chunk


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--megabytes", type=int, default=10)
    args = parser.parse_args()
    limit = args.megabytes * 1_000_000

    redis = harness.RedisServer()
    server = None
    clerk = person = None
    try:
        harness.seed(redis.url)
        server = harness.OfficeServer(redis.url, [], extra_env={"VO_MAX_UPLOAD_BYTES": str(limit), "VO_CALL_TIMEOUT_SECONDS": "60"})
        clerk = ClerkClient(server.origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
        clerk.presence("buergerbuero", "available")
        person = Citizen(server.origin, "buergerbuero")
        visit = str(clerk.emit("call_next", {"office_id": "buergerbuero"})["ticket"]["id"])  # type: ignore[index]
        person.accept()
        with httpx.Client(base_url=server.origin, timeout=60) as login:
            login.post("/api/login", json={"login": harness.CLERK_LOGIN, "password": harness.CLERK_PASSWORD})
            cookie = f"vo_session={login.cookies['vo_session']}"

        up = {"X-Requested-With": "XMLHttpRequest", "X-File-Name": "antrag.pdf", "Authorization": f"Bearer {person.token}"}
        sampler = RssSampler(server.proc.pid)
        rss_before = psutil.Process(server.proc.pid).memory_info().rss
        sampler.start()
        uploads, downloads = [], []
        data = body(limit)
        with httpx.Client(base_url=server.origin, timeout=120) as http:
            for _ in range(args.rounds):
                start = time.perf_counter()
                response = http.post(f"/visit/{visit}/files", content=data, headers=up)
                uploads.append(time.perf_counter() - start)
                assert response.status_code == 201, response.text
                file_id = response.json()["file"]["id"]
                start = time.perf_counter()
                got = http.get(f"/visit/{visit}/files/{file_id}", headers={"Cookie": cookie})
                downloads.append(time.perf_counter() - start)
                assert got.status_code == 200 and len(got.content) == len(data)
            rss_files = max(sampler.samples)
            refused = []
            for _ in range(5):
                start = time.perf_counter()
                response = http.post(f"/visit/{visit}/files", content=chunked(10 * limit), headers=up)
                refused.append(time.perf_counter() - start)
                assert response.status_code == 413, response.status_code
        sampler.stopped.set()
        sampler.join()
        mb = limit / 1e6
        result = {
            "file_megabytes": mb,
            "rounds": args.rounds,
            "upload_mb_per_s_median": round(mb / statistics.median(uploads), 1),
            "download_mb_per_s_median": round(mb / statistics.median(downloads), 1),
            "oversized_refused_seconds_median": round(statistics.median(refused), 3),
            "server_rss_mb_before": round(rss_before / 1e6, 1),
            "server_rss_mb_max_during_uploads": round(rss_files / 1e6, 1),
            "server_rss_mb_max_overall": round(max(sampler.samples) / 1e6, 1),
            "cpu_count": psutil.cpu_count(),
        }
        out = ROOT / "benchmarks" / "results" / "exchange.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        print("| measure | value |\n| --- | --- |")
        for key, value in result.items():
            print(f"| {key} | {value} |")
    finally:
        if person is not None:
            person.close()
        if clerk is not None:
            clerk.close()
        if server is not None:
            server.close()
        redis.close()


if __name__ == "__main__":
    main()
