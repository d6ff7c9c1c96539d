"""Stress run of the mixed visit: a citizen in Firefox, the clerk in Chromium, many times in a row.

    python benchmarks/mixed_visits.py               # 30 visits
    python benchmarks/mixed_visits.py --visits 50

Each visit is tests/browser/mixed.py's ``one_visit``: the citizen's connection check, both
opening the visit page until each sees the other's camera colour (citizen red, clerk blue), a
reload of the citizen's tab until both see each other again, and the end. A visit fails when
either side, in either phase, shows no picture, a black one or the wrong colour within 30 s.
One server, one Firefox (Debian's firefox-esr) and one Chromium for the whole run, a fresh
browser context per visit. Everything runs in a fresh network namespace with only loopback
(the script re-executes itself under ``unshare`` unless it is already inside one).

Results: benchmarks/results/mixed_visits.json, summarised in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loopback import in_loopback_namespace  # noqa: E402 - needs ROOT on sys.path


def run(visits: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    from tests.browser import harness
    from tests.browser.clerk import ClerkClient
    from tests.browser.mixed import OFFICE, clerk_cookie, launch_pair, one_visit

    redis = harness.RedisServer()
    harness.seed(redis.url)
    server = harness.OfficeServer(redis.url, [], extra_env={"VO_STATUS_INTERVAL": "0.05"})
    desk = ClerkClient(server.origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
    desk.presence(OFFICE, "available")
    results: list[dict[str, object]] = []
    started = time.monotonic()
    try:
        with sync_playwright() as p:
            citizen, clerk = launch_pair(p, Path(tempfile.mkdtemp(prefix="vo-mixed-bench-")))
            firefox, chromium = citizen.version, clerk.version
            try:
                cookie = clerk_cookie(server.origin)
                for number in range(1, visits + 1):
                    try:
                        result = one_visit(citizen, clerk, server.origin, cookie, desk)
                    except Exception as exc:  # noqa: BLE001 - a broken visit counts, the run goes on
                        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
                    results.append(result)
                    print(f"visit {number}/{visits}: {'ok' if result['ok'] else 'FAILED'} ({result.get('seconds', '-')} s)", flush=True)
            finally:
                citizen.close()
                clerk.close()
    finally:
        desk.close()
        server.close()
        redis.close()
    total = time.monotonic() - started

    outcomes: collections.Counter[str] = collections.Counter()
    for result in results:
        for phase in ("visit", "after_reload"):
            part = result.get(phase)
            if not isinstance(part, dict):
                continue
            for side in ("citizen", "clerk"):
                if not part[side]["ok"]:
                    outcomes[f"{phase}: {side} saw {part[side]['seen']}"] += 1
        if "error" in result:
            outcomes["error"] += 1
        if result.get("connection_check") is False:
            outcomes["connection check failed"] += 1

    def seconds(key: str) -> list[float]:
        return [r[key]["seconds"] for r in results if isinstance(r.get(key), dict) and r[key]["ok"]]  # type: ignore[index]

    def stats(values: list[float]) -> dict[str, float] | None:
        return {"median": round(statistics.median(values), 3), "min": round(min(values), 3), "max": round(max(values), 3)} if values else None

    black = sum(1 for r in results for phase in ("visit", "after_reload") if isinstance(r.get(phase), dict)
                for side in ("citizen", "clerk") if r[phase][side]["seen"] in ("black", "none"))  # type: ignore[index]
    summary = {
        "visits": len(results),
        "failed_visits": sum(1 for r in results if not r["ok"]),
        "black_or_no_video": black,
        "outcomes": dict(outcomes),
        "visit_s": stats([r["seconds"] for r in results if "seconds" in r]),  # type: ignore[misc]
        "both_see_each_other_s": stats(seconds("visit")),
        "reload_to_both_pictures_s": stats(seconds("after_reload")),
        "total_s": round(total, 1),
    }
    return {"summary": summary,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "firefox": firefox, "chromium": chromium},
            "visits": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=30)
    args = parser.parse_args()
    in_loopback_namespace(timeout=3600)
    result = run(args.visits)
    out = ROOT / "benchmarks" / "results" / "mixed_visits.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))
    sys.exit(0 if result["summary"]["failed_visits"] == 0 else 1)  # type: ignore[index]


if __name__ == "__main__":
    main()
