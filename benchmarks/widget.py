"""Widget cost on a city page: bytes on the wire and time until office status shows.

    python benchmarks/widget.py [--loads 15]

Starts Redis, the office server and a city website on loopback, then loads the
Musterstadt example page in headless Chromium again and again (a fresh browser
context each time, so nothing is cached, then once more in the same context
for the cached case). Re-runs itself inside a network namespace with only
loopback (needs `unshare`, as root or with user namespaces). Results go to
benchmarks/results/widget.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loopback import in_loopback_namespace  # noqa: E402 - needs ROOT on sys.path

RESULTS = ROOT / "benchmarks" / "results" / "widget.json"
TIMINGS_JS = """() => {
    const r = performance.getEntriesByType('resource').find(e => /\\/widget\\.js(\\?|$)/.test(e.name));
    const mark = n => { const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : null; };
    return {fetch_start: r ? r.startTime : null, response_end: r ? r.responseEnd : null,
            script: mark('virtual-office:script'), shown: mark('virtual-office:status-shown')};
}"""


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "median": round(statistics.median(values), 1),
        "p90": round(values[min(len(values) - 1, int(len(values) * 0.9))], 1),
        "min": round(values[0], 1),
        "max": round(values[-1], 1),
    }


def measure(loads: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    from tests.browser import harness
    from tests.browser.sites import StaticSite
    from virtual_office.widget import build_widget

    with tempfile.TemporaryDirectory() as tmp:
        bundle = build_widget(Path(tmp))
    redis = harness.RedisServer()
    port = harness.free_port()
    site = StaticSite(f"http://127.0.0.1:{port}")
    server = None
    try:
        harness.seed(redis.url)
        server = harness.OfficeServer(redis.url, [site.origin], port=port)
        cold: list[dict[str, float]] = []
        warm: list[dict[str, float]] = []
        wire: dict[str, object] = {}
        with sync_playwright() as p:
            browser = harness.launch_chromium(p)
            for i in range(loads + 1):
                context = browser.new_context()
                page = context.new_page()
                responses: list[Any] = []
                page.on("response", lambda r, into=responses: into.append(r) if r.url.endswith("/widget.js") else None)
                page.goto(site.url("/"))
                page.wait_for_selector("virtual-office[data-ready]", timeout=30_000)
                if i > 0:  # the first load warms up the server and the browser
                    cold.append(page.evaluate(TIMINGS_JS))
                if responses and not wire:
                    r = responses[0]
                    sizes = r.request.sizes()
                    wire = {"body_bytes": sizes["responseBodySize"], "header_bytes": sizes["responseHeadersSize"],
                            "content_encoding": r.headers.get("content-encoding", "identity"),
                            "cache_control": r.headers.get("cache-control")}
                if i > 0:
                    page.reload()
                    page.wait_for_selector("virtual-office[data-ready]", timeout=30_000)
                    warm.append(page.evaluate(TIMINGS_JS))
                context.close()
            browser.close()
    finally:
        if server is not None:
            server.close()
        site.close()
        redis.close()

    def series(runs: list[dict[str, float]]) -> dict[str, object]:
        return {
            "fetch_to_status_ms": summary([r["shown"] - r["fetch_start"] for r in runs]),
            "script_to_status_ms": summary([r["shown"] - r["script"] for r in runs]),
            "fetch_to_script_ms": summary([r["script"] - r["fetch_start"] for r in runs]),
        }

    return {
        "what": "Musterstadt example page, 2 offices, real server and Redis on loopback, headless Chromium",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "loads": loads,
        "bundle": {"bytes": bundle.size, "gzip_bytes": bundle.gzip_size, "hash": bundle.url_hash},
        "on_the_wire": wire,
        "cold_cache": series(cold),
        "warm_cache": series(warm),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=15)
    args = parser.parse_args()
    in_loopback_namespace()
    result = measure(args.loads)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
