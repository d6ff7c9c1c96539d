"""How long a citizen waits for pictures: a video visit in Chromium through the real server.

    python benchmarks/visit.py              # 5 rounds
    python benchmarks/visit.py --rounds 10

Per round: the waiting room's connection check (offer to echoed frame), a citizen
(red fake camera) and a clerk (blue) opening /visit/<id> at the same moment until each
decodes the other's video, and a reload of the citizen's tab until pictures flow again.
Two Chromium processes and the office server share this machine's cores; read medians.
Everything runs in a fresh network namespace with only loopback (the script re-executes
itself under ``unshare`` unless it is already inside one).

Results: benchmarks/results/visit.json, summarised in docs/benchmarks.md.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loopback import in_loopback_namespace  # noqa: E402 - needs ROOT on sys.path

OFFICE = "buergerbuero"
DECODED = """async () => {
  const pc = window.VirtualOfficeVisit && window.VirtualOfficeVisit.pc();
  if (!pc) return 0;
  let frames = 0;
  (await pc.getStats()).forEach(s => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0; });
  return frames;
}"""


def frames(page) -> int:
    """Video frames the page's peer connection decoded (0 while it is still loading)."""
    try:
        return page.evaluate(DECODED)
    except Exception:  # noqa: BLE001 - the page is navigating
        return 0


def until(check, timeout: float = 60) -> float:
    """Seconds until ``check()`` is true."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.02)
    raise TimeoutError("not reached")


def accept(origin: str, token: str) -> None:
    import socketio

    client = socketio.Client(reconnection=False)
    client.connect(origin, namespaces=["/citizen"], transports=["polling"], auth={"token": token, "lang": "de"}, wait_timeout=10)
    try:
        assert client.call("accept", {}, namespace="/citizen", timeout=10)["ok"]
    finally:
        client.disconnect()


def run(rounds: int) -> dict[str, object]:
    import httpx
    from playwright.sync_api import sync_playwright

    from tests.browser import harness
    from tests.browser.clerk import ClerkClient
    from tests.browser.test_visit import COLOURS, write_y4m

    videos = Path(tempfile.mkdtemp(prefix="vo-visit-bench-"))
    redis = harness.RedisServer()
    harness.seed(redis.url)
    server = harness.OfficeServer(redis.url, [], extra_env={"VO_STATUS_INTERVAL": "0.05"})
    origin = server.origin
    desk = ClerkClient(origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
    desk.presence(OFFICE, "available")
    with httpx.Client(base_url=origin) as http:
        http.post("/api/login", json={"login": harness.CLERK_LOGIN, "password": harness.CLERK_PASSWORD})
        cookie = http.cookies["vo_session"]
    results: dict[str, list[float]] = {"check_s": [], "both_see_each_other_s": [], "reload_to_picture_s": []}
    try:
        with sync_playwright() as p:
            browsers = {}
            for colour in ("red", "blue"):
                write_y4m(videos / f"{colour}.y4m", COLOURS[colour])
                browsers[colour] = p.chromium.launch(executable_path=harness.CHROMIUM, headless=True, args=[
                    *harness.CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={videos / colour}.y4m"])
            for _ in range(rounds):
                citizen_context = browsers["red"].new_context(permissions=["camera", "microphone"])
                clerk_context = browsers["blue"].new_context(permissions=["camera", "microphone"])
                clerk_context.add_cookies([{"name": "vo_session", "value": cookie, "url": origin}])
                citizen, clerk = citizen_context.new_page(), clerk_context.new_page()
                citizen.goto(f"{origin}/w/{OFFICE}?lang=de")
                results["check_s"].append(citizen.evaluate("""async () => {
                  const start = performance.now();
                  const result = await window.VirtualOfficeConnectionCheck();
                  if (!result.ok) throw new Error('connection check failed');
                  return (performance.now() - start) / 1000;
                }"""))
                joined = httpx.post(f"{origin}/api/offices/{OFFICE}/tickets", json={}).json()
                citizen.evaluate("([k, v]) => sessionStorage.setItem(k, v)", [f"virtual-office.ticket.{OFFICE}", joined["token"]])
                visit = desk.emit("call_next", {"office_id": OFFICE})["ticket"]["id"]
                accept(origin, joined["token"])
                start = time.monotonic()
                clerk.goto(f"{origin}/visit/{visit}", wait_until="commit")
                citizen.goto(f"{origin}/visit/{visit}", wait_until="commit")
                until(lambda a=citizen, b=clerk: frames(a) > 0 and frames(b) > 0)
                results["both_see_each_other_s"].append(time.monotonic() - start)
                start = time.monotonic()
                citizen.reload(wait_until="commit")
                until(lambda a=citizen: frames(a) > 0)
                results["reload_to_picture_s"].append(time.monotonic() - start)
                desk.emit("finish", {"office_id": OFFICE, "ticket_id": visit})
                citizen_context.close()
                clerk_context.close()
            for browser in browsers.values():
                browser.close()
    finally:
        desk.close()
        server.close()
        redis.close()
    summary = {name: {"median": round(statistics.median(v), 3), "min": round(min(v), 3), "max": round(max(v), 3)} for name, v in results.items()}
    return {"rounds": rounds, "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "summary": summary,
            "samples": {k: [round(x, 3) for x in v] for k, v in results.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    in_loopback_namespace(timeout=1800)
    result = run(args.rounds)
    out = ROOT / "benchmarks" / "results" / "visit.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))


if __name__ == "__main__":
    main()
