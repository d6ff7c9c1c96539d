"""How long a citizen waits for pictures: a video visit in Chromium through the real server.

    python benchmarks/visit.py              # 5 rounds, each unencrypted and end-to-end encrypted
    python benchmarks/visit.py --rounds 10 --modes encrypted

Per round and mode: the waiting room's connection check (offer to echoed frame), a citizen
(red fake camera) and a clerk (blue) opening /visit/<id> at the same moment until each
decodes the other's video, the office server's CPU over 10 s of that visit, and a reload
of the citizen's tab until pictures flow again. The visit page always encrypts end to end
(docs/e2ee.md); the ``plain`` mode switches its transforms off from the benchmark (an init
script), to show what encryption costs; the ``encrypted`` mode checks that the frames did
pass the encryption. Two Chromium processes and the office server share this machine's
cores; read medians.
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


# The benchmark's unencrypted baseline: no transform is set on any sender or receiver.
PLAIN = """document.addEventListener('DOMContentLoaded', () => {
  if (window.VO && window.VO.visit && window.VO.visit.e2ee) window.VO.visit.e2ee.transform = function () {};
});"""
ENCRYPTED_FRAMES = "async () => { const c = await window.VirtualOfficeVisit.frameCounts(); return c ? c.video.decrypted : 0; }"
CPU_SECONDS = 10


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def call_and_accept(origin: str, token: str, desk) -> str:
    """The ticket's page connects (only then is a ticket callable), the clerk calls it, and it steps in."""
    import socketio

    client = socketio.Client(reconnection=False)
    client.connect(origin, namespaces=["/citizen"], transports=["polling"], auth={"token": token, "lang": "de"}, wait_timeout=10)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                visit = str(desk.emit("call_next", {"office_id": OFFICE})["ticket"]["id"])
                break
            except RuntimeError as exc:
                if "queue_empty" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert client.call("accept", {}, namespace="/citizen", timeout=10)["ok"]
    finally:
        client.disconnect()
    return visit


def run(rounds: int, modes: list[str]) -> dict[str, object]:
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
    measures = ("check_s", "both_see_each_other_s", "server_cpu_percent", "reload_to_picture_s")
    results: dict[str, dict[str, list[float]]] = {mode: {m: [] for m in measures} for mode in modes}
    try:
        with sync_playwright() as p:
            browsers = {}
            for colour in ("red", "blue"):
                write_y4m(videos / f"{colour}.y4m", COLOURS[colour])
                browsers[colour] = p.chromium.launch(executable_path=harness.CHROMIUM, headless=True, args=[
                    *harness.CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={videos / colour}.y4m"])
            for _ in range(rounds):
                for mode in modes:
                    measure(browsers, origin, cookie, desk, server, mode, results[mode])
            for browser in browsers.values():
                browser.close()
    finally:
        desk.close()
        server.close()
        redis.close()
    summary = {mode: {name: {"median": round(statistics.median(v), 3), "min": round(min(v), 3), "max": round(max(v), 3)}
                      for name, v in measured.items()} for mode, measured in results.items()}
    return {"rounds": rounds, "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "summary": summary,
            "samples": {mode: {k: [round(x, 3) for x in v] for k, v in measured.items()} for mode, measured in results.items()}}


def measure(browsers, origin: str, cookie: str, desk, server, mode: str, results: dict[str, list[float]]) -> None:
    """One round of one mode (``plain`` or ``encrypted``)."""
    import httpx

    def step(what: str) -> None:
        print(f"  {mode}: {what}", file=sys.stderr, flush=True)

    citizen_context = browsers["red"].new_context(permissions=["camera", "microphone"])
    clerk_context = browsers["blue"].new_context(permissions=["camera", "microphone"])
    if mode == "plain":
        citizen_context.add_init_script(PLAIN)
        clerk_context.add_init_script(PLAIN)
    clerk_context.add_cookies([{"name": "vo_session", "value": cookie, "url": origin}])
    citizen, clerk = citizen_context.new_page(), clerk_context.new_page()
    citizen.goto(f"{origin}/w/{OFFICE}?lang=de")
    results["check_s"].append(citizen.evaluate("""async () => {
      const start = performance.now();
      const result = await window.VirtualOfficeConnectionCheck();
      if (!result.ok) throw new Error('connection check failed');
      return (performance.now() - start) / 1000;
    }"""))
    step("connection check done")
    joined = httpx.post(f"{origin}/api/offices/{OFFICE}/tickets", json={}).json()
    citizen.evaluate("([k, v]) => sessionStorage.setItem(k, v)", [f"virtual-office.ticket.{OFFICE}", joined["token"]])
    visit = call_and_accept(origin, joined["token"], desk)
    step("called")
    start = time.monotonic()
    clerk.goto(f"{origin}/visit/{visit}", wait_until="commit")
    citizen.goto(f"{origin}/visit/{visit}", wait_until="commit")
    until(lambda a=citizen, b=clerk: frames(a) > 0 and frames(b) > 0)
    results["both_see_each_other_s"].append(time.monotonic() - start)
    step("both see each other")
    before = cpu_seconds(server.proc.pid)
    time.sleep(CPU_SECONDS)
    results["server_cpu_percent"].append(100 * (cpu_seconds(server.proc.pid) - before) / CPU_SECONDS)
    decrypted = [page.evaluate(ENCRYPTED_FRAMES) for page in (citizen, clerk)]
    if (mode == "encrypted") != all(n > 0 for n in decrypted):
        raise RuntimeError(f"{mode}: frames decrypted by the pages: {decrypted}")
    start = time.monotonic()
    citizen.reload(wait_until="commit")
    until(lambda a=citizen: frames(a) > 0)
    results["reload_to_picture_s"].append(time.monotonic() - start)
    desk.emit("finish", {"office_id": OFFICE, "ticket_id": visit})
    citizen_context.close()
    clerk_context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="plain,encrypted", help="plain (encryption switched off by the benchmark), encrypted, or both")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    if not modes or set(modes) - {"plain", "encrypted"}:
        parser.error("--modes takes plain and/or encrypted")
    in_loopback_namespace(timeout=1800)
    result = run(args.rounds, modes)
    out = ROOT / "benchmarks" / "results" / "visit.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["summary"], indent=2))


if __name__ == "__main__":
    main()
