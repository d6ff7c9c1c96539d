"""A video visit through the real server, in Chromium and in Firefox: citizen (red camera), clerk
(blue) in the console, a colleague (green); the connection check, a reload, a server restart,
screen sharing and hanging up.

In Chromium each participant is a process of its own: the fake camera file is per process. In
Firefox each context's camera paints its colour (harness.CANVAS_CAMERA); the citizen's Firefox runs
on a virtual X display, not headless, since its screen sharing captures a real screen.
Run inside a loopback-only network namespace (see tests/browser/conftest.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.citizen_fixtures import NO_WEBRTC, join, stored_token
from tests.browser.staff_fixtures import axe_violations

OFFICE = "buergerbuero"
COLLEAGUE_LOGIN, COLLEAGUE_NAME = "jonas", "Jonas Dolmetscher"
COLOURS = {"red": (220, 30, 30), "blue": (30, 30, 220), "green": (30, 200, 30)}
CLERK_LABEL = "Erika Mustermann (Sachbearbeitung)"
COLLEAGUE_LABEL = f"{COLLEAGUE_NAME} (hinzugezogen)"
MEDIA_ARGS: list[str] = []  # no autoplay flag: a page that captures the camera may play sound


def write_y4m(path: Path, rgb: tuple[int, int, int], *, width: int = 160, height: int = 120, frames: int = 10) -> None:
    """A short 4:2:0 clip in one colour with a white bar moving across (every frame differs)."""
    r, g, b = rgb
    y = round(16 + (65.738 * r + 129.057 * g + 25.064 * b) / 256)
    u = round(128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256)
    v = round(128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            x = i * width // frames
            luma = bytearray([y]) * (width * height)
            for row in range(height):
                luma[row * width + x : row * width + x + 8] = bytes([235]) * 8
            out.write(b"FRAME\n" + bytes(luma) + bytes([u]) * (width * height // 4) + bytes([v]) * (width * height // 4))


def colour_name(rgb: list[float]) -> str | None:
    """The test colour the picture shows, None if it is none of them (black, grey, a test pattern)."""
    def distance(c: str) -> float:
        return sum((a - b) ** 2 for a, b in zip(rgb, COLOURS[c], strict=True))

    best = min(COLOURS, key=distance)
    return best if distance(best) < 3 * 60**2 else None


# The median colour of a video element's current picture, via a canvas.
MEDIAN = """video => {
  if (!video || video.videoWidth === 0) return null;
  const canvas = document.createElement('canvas');
  canvas.width = 32; canvas.height = 24;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(video, 0, 0, 32, 24);
  const data = ctx.getImageData(0, 0, 32, 24).data;
  const channels = [[], [], []];
  for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) channels[c].push(data[i + c]);
  return channels.map(values => values.sort((a, b) => a - b)[values.length >> 1]);
}"""


# What a visit page's peer connection is doing, for the message of a failed check.
PEER_STATE = """async () => {
  const V = window.VirtualOfficeVisit, pc = V && V.pc();
  if (!pc) return `no peer connection (socket ${!!(V && V.socket && V.socket.connected)}, role ${document.body.dataset.role}, ` +
                  `"${(document.getElementById('connection') || {}).textContent}", ended: "${(document.getElementById('ended-heading') || {}).textContent}")`;
  const rtp = [];
  (await pc.getStats()).forEach(s => {
    if (s.type === 'inbound-rtp') rtp.push(`in ${s.kind} mid ${s.mid}: ${s.packetsReceived} packets, ${s.framesDecoded} frames decoded`);
    if (s.type === 'outbound-rtp') rtp.push(`out ${s.kind} mid ${s.mid}: ${s.packetsSent} packets`);
  });
  return JSON.stringify({signaling: pc.signalingState, ice: pc.iceConnectionState, restarts: V.restarts(), tracks: V.tracks(),
    transceivers: pc.getTransceivers().map(t => [t.mid, t.direction, t.currentDirection]), rtp});
}"""


def peer_state(frame: Any) -> str:
    try:
        return str(frame.evaluate(PEER_STATE))
    except Exception as exc:  # noqa: BLE001 - only for a failure message
        return f"(no state: {exc})"


def sees(frame: Any, who: str, colour: str, timeout: float = 30) -> None:
    """Wait until the camera tile labelled ``who`` shows ``colour``."""
    video = frame.locator("li.tile[data-source=camera]").filter(has=frame.locator(".label", has_text=re.compile(f"^{re.escape(who)}$"))).locator("video")
    try:
        expect(video).to_have_count(1, timeout=timeout * 1000)
    except AssertionError as exc:
        raise AssertionError(f"no camera tile of {who}; the page's peer connection: {peer_state(frame)}") from exc
    last = None
    for _ in range(int(timeout * 4)):
        last = video.evaluate(MEDIAN)
        if last and colour_name(last) == colour:
            return
        time.sleep(0.25)
    raise AssertionError(f"{who} shows {last}, not {colour}; the page's peer connection: {peer_state(frame)}")


async def _add_colleague(redis_url: str) -> None:
    import redis.asyncio

    from virtual_office.queue import ClerkDirectory

    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        clerks = ClerkDirectory(client)
        if await clerks.by_login(COLLEAGUE_LOGIN) is None:
            await clerks.add(COLLEAGUE_LOGIN, COLLEAGUE_NAME, harness.CLERK_PASSWORD, offices=("kfz",))
    finally:
        await client.aclose()


class Visit:
    def __init__(self, server: harness.OfficeServer, videos: Path, playwright: Any, display: Any) -> None:
        self.server = server
        self.videos = videos
        self.playwright = playwright
        self.display = display
        self.browsers: dict[tuple[str, str], Any] = {}
        self.contexts: list[Any] = []

    def browser(self, engine: str, colour: str) -> Any:
        """The browser whose camera shows ``colour``, kept for the module's tests: in Chromium one
        process per colour (the red citizen's accepts screen sharing without asking). In Firefox one
        for all, each context painting its colour, on the virtual display (its screen sharing needs
        one): one window there has the focus, and the others' visits go on without it (media.js)."""
        key = (engine, colour if engine == "chromium" else "display")
        if key in self.browsers:
            return self.browsers[key]
        if engine == "chromium":
            path = self.videos / f"{colour}.y4m"
            write_y4m(path, COLOURS[colour])
            extra = ["--use-fake-ui-for-media-stream"] if colour == "red" else []
            browser = self.playwright.chromium.launch(
                executable_path=harness.CHROMIUM, headless=True,
                args=[*harness.CHROMIUM_ARGS, *MEDIA_ARGS, f"--use-file-for-fake-video-capture={path}", *extra],
            )
        else:
            browser = harness.launch(self.playwright, engine, display=self.display())
        self.browsers[key] = browser
        return browser

    def context(self, engine: str, colour: str, **options: Any) -> Any:
        """A new context whose camera shows ``colour``."""
        context = self.browser(engine, colour).new_context(permissions=["camera", "microphone"], locale="de-DE", **options)
        self.contexts.append(context)
        if engine != "chromium":
            context.add_init_script(harness.CANVAS_CAMERA % list(COLOURS[colour]))
        return context

    def staff_context(self, engine: str, colour: str, login: str) -> Any:
        with httpx.Client(base_url=self.server.origin) as http:
            response = http.post("/api/login", json={"login": login, "password": harness.CLERK_PASSWORD})
            assert response.status_code == 200, response.text
            cookie = http.cookies["vo_session"]
        context = self.context(engine, colour, viewport={"width": 1200, "height": 1000})
        context.add_cookies([{"name": "vo_session", "value": cookie, "url": self.server.origin}])
        return context


@pytest.fixture(scope="module")
def visit_env(tmp_path_factory: pytest.TempPathFactory, playwright: Any, display: Any) -> Iterator[Visit]:
    """A server of its own; browsers launched through the suite's Playwright as the tests need them."""
    redis = harness.RedisServer()
    server = None
    try:
        harness.seed(redis.url)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _add_colleague(redis.url)).result(60)
        server = harness.OfficeServer(redis.url, [], extra_env={"VO_STATUS_INTERVAL": "0.05"})
        env = Visit(server, tmp_path_factory.mktemp("videos"), playwright, display)
        try:
            yield env
        finally:
            for launched in env.browsers.values():
                launched.close()
    finally:
        if server is not None:
            server.close()
        redis.close()


# Every text the page's live region announces, in order (the region shows only the last one).
ANNOUNCEMENTS = """
window.__announced = [];
const watch = () => {
  const region = document.getElementById('announcer');
  if (region) new MutationObserver(() => window.__announced.push(region.textContent)).observe(region, {childList: true, characterData: true, subtree: true});
};
// On the window: in a frame Firefox runs this script in the first, empty document and keeps the window for the page.
window.addEventListener('DOMContentLoaded', watch);
"""


@pytest.fixture(autouse=True)
def _close_contexts(visit_env: Visit) -> Iterator[None]:
    """Each test's pages go with it: a console left open by the clerk would take the next visit's
    media over (one visit page per participant: the newest replaces the others)."""
    yield
    while visit_env.contexts:
        visit_env.contexts.pop().close()


def decoded(page_or_frame: Any) -> int:
    return page_or_frame.evaluate("""async () => {
      const pc = window.VirtualOfficeVisit && window.VirtualOfficeVisit.pc();
      if (!pc) return -1;
      let frames = 0;
      (await pc.getStats()).forEach(s => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0; });
      return frames;
    }""")


CITIZEN_CAMERA = """async () => {
  const V = window.VirtualOfficeVisit, pc = V.pc(), tracks = V.tracks();
  const mid = Object.keys(tracks).find(m => tracks[m].participant === 'citizen' && tracks[m].source === 'camera');
  const transceiver = pc && mid !== undefined && pc.getTransceivers().find(t => t.mid === mid);
  if (!transceiver) return null;
  let frames = 0;
  (await transceiver.receiver.getStats()).forEach(s => { if (s.type === 'inbound-rtp') frames += s.framesDecoded || 0; });
  const video = document.querySelector('li.tile[data-participant=citizen][data-source=camera] video');
  return {mid, track: transceiver.receiver.track.id, frames, transceivers: pc.getTransceivers().length, restarts: V.restarts().length,
          shown: video && video.srcObject ? video.srcObject.getVideoTracks().map(t => t.id) : []};
}"""
"""The m-line and track on which a page receives the citizen's camera, the frames decoded there so far,
and the track its tile shows (null while it has none)."""


def citizen_camera_moves(frame: Any, *, seconds: float, after: str, since: int | None = None) -> dict[str, Any]:
    """Until the page decodes the citizen's camera again (10 frames past ``since``, or past the first look)."""
    start = since
    last = None
    first = None  # when the first of them was decoded
    for _ in range(int(seconds * 10)):
        last = frame.evaluate(CITIZEN_CAMERA)
        if last is not None:
            if start is None:
                start = last["frames"]
            elif last["frames"] > start and first is None:
                first = time.monotonic()
            if last["frames"] >= start + 10:
                return dict(last, first=first)
        time.sleep(0.1)
    raise AssertionError(f"the citizen's camera did not move again after {after}: {last}; {peer_state(frame)}")


@pytest.mark.engines("chromium", "firefox")
def test_citizen_clerk_and_colleague_see_each_other_share_a_screen_and_hang_up(visit_env: Visit, engine: str, axe_source: str) -> None:
    origin = visit_env.server.origin

    # The clerk (blue) opens the console and goes available.
    clerk_context = visit_env.staff_context(engine, "blue", harness.CLERK_LOGIN)
    console = clerk_context.new_page()
    console.add_init_script(ANNOUNCEMENTS)  # (the visit's frame too)
    console.goto(f"{origin}/console")
    console.locator(f"input[name=presence-{OFFICE}][value=available]").check()
    expect(console.locator("#visit-media")).to_contain_text("Hier erscheint das Video")

    # The citizen (red) runs the connection check, then joins the queue.
    citizen_context = visit_env.context(engine, "red", viewport={"width": 1000, "height": 900})
    citizen = citizen_context.new_page()
    citizen.errors = []
    citizen.on("pageerror", lambda exc: citizen.errors.append(exc))
    citizen.add_init_script(ANNOUNCEMENTS)
    citizen.goto(f"{origin}/w/{OFFICE}?lang=de")
    citizen.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    citizen.get_by_role("button", name="Weiter").click()
    citizen.get_by_label("Ihr Name").fill("Rita Rot")
    citizen.locator("#step-details").get_by_role("button", name="Weiter").click()
    citizen.locator("#check-start").click()
    check = citizen.locator("#connection-check")
    expect(check).to_have_attribute("data-state", "ok", timeout=30_000)
    expect(check).to_have_text("Video funktioniert: Bild und Ton kommen beim Amt an und zurück.")
    citizen.locator("#check-next").click()
    citizen.get_by_role("button", name="Jetzt anstellen").click()
    expect(citizen.locator("#number")).not_to_have_text("…", timeout=15_000)

    # The clerk calls; the console frames the visit; the citizen steps in.
    console.locator(f"section.office[data-office={OFFICE}] .call-next").click()
    citizen.get_by_role("button", name="Jetzt eintreten").click()
    citizen.wait_for_url(re.compile(r"/visit/[0-9a-f]{16}$"))
    visit_id = citizen.url.rsplit("/", 1)[1]
    panel = console.frame_locator("#visit-media iframe")
    expect(console.locator("#visit-media iframe")).to_have_attribute("src", re.compile(rf"/visit/{visit_id}\?embed=console"))

    # Each sees the other's colour, relayed by the server.
    sees(citizen, CLERK_LABEL, "blue")
    clerk_frame = console.frame(url=re.compile(r"/visit/"))
    sees(clerk_frame, "Rita Rot", "red")
    expect(panel.locator("li.tile[data-participant=citizen] .label")).to_have_text("Rita Rot")
    expect(citizen.locator("#quality")).to_have_text(re.compile(r"^Verbindung: (gut|mittel|schlecht)"), timeout=15_000)
    assert axe_violations(citizen, axe_source) == []
    expect(citizen.get_by_role("button", name="Mikrofon aus")).to_have_attribute("aria-pressed", "false")
    citizen.get_by_role("button", name="Mikrofon aus").click()
    expect(citizen.get_by_role("button", name="Mikrofon aus")).to_have_attribute("aria-pressed", "true")
    expect(citizen.locator("#announcer")).to_have_text("Ihr Mikrofon ist aus.")
    citizen.get_by_role("button", name="Mikrofon aus").click()

    # A reload in the middle: the citizen's tab offers again on a new connection, and the clerk's page
    # goes on with the same m-line, receiver and track: the server continues the stream (docs/media.md).
    before = clerk_frame.evaluate(CITIZEN_CAMERA)
    assert before is not None and before["shown"] == [before["track"]], before
    citizen.reload()
    expect(citizen.locator("#connection")).to_have_attribute("data-state", "live", timeout=30_000)
    frames = clerk_frame.evaluate(CITIZEN_CAMERA)["frames"]  # the citizen's new connection is up from here on
    live = time.monotonic()
    again = citizen_camera_moves(clerk_frame, seconds=30, after="the reload", since=frames)
    print(f"\n{engine}: the clerk's tile decoded the reloaded citizen's first new frame {again['first'] - live:.2f} s "
          f"and its tenth {time.monotonic() - live:.2f} s after the citizen's connection was up (keys exchanged meanwhile)")
    assert {k: again[k] for k in ("mid", "track", "transceivers", "restarts", "shown")} == \
        {k: before[k] for k in ("mid", "track", "transceivers", "restarts", "shown")}, (before, again)
    sees(clerk_frame, "Rita Rot", "red")
    sees(citizen, CLERK_LABEL, "blue")

    # The citizen's tab closes: the clerk's tile of her, kept open a while in case she comes back,
    # says after a few seconds (a reload is back sooner) that her connection is gone (its picture
    # dimmed), and the page announces it once.
    citizen_tile = panel.locator("li.tile[data-participant=citizen][data-source=camera]")
    expect(citizen_tile.locator(".away")).to_have_count(0)
    earlier = len(clerk_frame.evaluate("() => window.__announced"))
    citizen.close()
    expect(citizen_tile.locator(".away")).to_have_text("Verbindung unterbrochen – wir warten, ob sie zurückkommt.", timeout=10_000)
    expect(citizen_tile).to_have_attribute("data-away", "true")
    away = "Die Verbindung zu Rita Rot ist unterbrochen – wir warten, ob sie zurückkommt."
    assert clerk_frame.evaluate("() => window.__announced")[earlier:].count(away) == 1
    assert axe_violations(clerk_frame, axe_source) == []

    # She comes back (a new page with the same token): the note goes and her picture moves again.
    citizen = citizen_context.new_page()
    citizen.errors = []
    citizen.on("pageerror", lambda exc: citizen.errors.append(exc))
    citizen.add_init_script(ANNOUNCEMENTS)
    citizen.goto(f"{origin}/visit/{visit_id}")
    expect(citizen.locator("#connection")).to_have_attribute("data-state", "live", timeout=30_000)
    expect(citizen_tile.locator(".away")).to_have_count(0, timeout=5_000)
    expect(citizen_tile).not_to_have_attribute("data-away", "true")
    citizen_camera_moves(clerk_frame, seconds=30, after="the citizen came back", since=clerk_frame.evaluate(CITIZEN_CAMERA)["frames"])
    announced = clerk_frame.evaluate("() => window.__announced")[earlier:]
    assert announced.count(away) == 1 and announced.count("Rita Rot ist wieder verbunden.") == 1, announced

    # A blip: the server restarts (media sessions are in its memory); both pages reconnect,
    # offer again, and the visit goes on.
    visit_env.server.stop()
    expect(citizen.locator("#connection")).to_have_attribute("data-state", "reconnecting", timeout=15_000)
    visit_env.server.start()
    # (a fresh media session: every page starts over on a new connection, with new m-lines)
    for _ in range(160):
        now = clerk_frame.evaluate(CITIZEN_CAMERA)
        if now is not None and now["restarts"] > again["restarts"]:
            break
        time.sleep(0.25)
    else:
        raise AssertionError(f"the clerk's page did not start over after the restart: {peer_state(clerk_frame)}")
    citizen_camera_moves(clerk_frame, seconds=40, after="the restart")
    sees(clerk_frame, "Rita Rot", "red")
    sees(citizen, CLERK_LABEL, "blue")
    expect(citizen.locator("#visit")).to_be_visible()

    # The colleague (green) has a console open; the clerk adds them from the visit panel.
    colleague_context = visit_env.staff_context(engine, "green", COLLEAGUE_LOGIN)
    colleague_console = colleague_context.new_page()
    colleague_console.goto(f"{origin}/console")
    expect(colleague_console.locator("#connection")).to_have_attribute("data-state", "connected")
    panel.get_by_label("Wen hinzuziehen (z. B. Dolmetschen)").select_option(label=COLLEAGUE_NAME)
    panel.get_by_role("button", name="Hinzuziehen").click()
    invitation = colleague_console.locator("#invitations .invitation")
    expect(invitation).to_contain_text("Erika Mustermann zieht Sie zum Gespräch")
    with colleague_context.expect_page() as opened:
        invitation.get_by_role("link", name="Gespräch beitreten").click()
    colleague = opened.value
    colleague.wait_for_url(re.compile(rf"/visit/{visit_id}$"))

    sees(colleague, "Rita Rot", "red")
    sees(colleague, CLERK_LABEL, "blue")
    sees(citizen, COLLEAGUE_LABEL, "green")
    sees(clerk_frame, COLLEAGUE_LABEL, "green")
    # (a line on a poor connection may follow at once: three pictures in one process on two cores)
    citizen.wait_for_function("text => window.__announced.includes(text)", arg=f"{COLLEAGUE_LABEL} ist im Gespräch.")

    # The citizen shares the screen: the clerk gets a screen tile with moving pictures.
    citizen.get_by_role("button", name="Bildschirm teilen").click()
    expect(citizen.get_by_role("button", name="Bildschirm teilen")).to_have_attribute("aria-pressed", "true")
    screen = panel.locator("li.tile[data-participant=citizen][data-source=screen]")
    expect(screen.locator(".label")).to_have_text("Bildschirm von Rita Rot", timeout=30_000)
    clerk_frame.wait_for_function("() => { const v = document.querySelector(\"li.tile[data-source=screen] video\"); return v && v.videoWidth > 0; }", timeout=30_000)
    citizen.get_by_role("button", name="Bildschirm teilen").click()
    expect(screen).to_have_count(0, timeout=30_000)
    # a second time: a new m-line (the server never reuses one), still no refused offer
    citizen.get_by_role("button", name="Bildschirm teilen").click()
    expect(screen.locator(".label")).to_have_text("Bildschirm von Rita Rot", timeout=30_000)
    citizen.get_by_role("button", name="Bildschirm teilen").click()
    expect(screen).to_have_count(0, timeout=30_000)
    for frame in (citizen, clerk_frame, colleague):
        # every offer of the server was applied: none had to be answered by starting over
        restarts = frame.evaluate("() => window.VirtualOfficeVisit.restarts()")
        assert [r for r in restarts if r.startswith("apply")] == [], (frame.url, restarts)

    # The clerk finishes in the console: both sides stop receiving.
    for frame in (citizen, clerk_frame, colleague):
        for _ in range(40):
            if decoded(frame) > 0:
                break
            time.sleep(0.5)
        assert decoded(frame) > 0, frame.evaluate("() => window.VirtualOfficeVisit.restarts()")
        frame.evaluate("""() => {
          window.__remote = Array.from(document.querySelectorAll('li.tile:not(.own) video'))
            .flatMap(v => v.srcObject ? v.srcObject.getTracks() : []);
        }""")
    citizen_remote = citizen.evaluate_handle("window.__remote")
    colleague_remote = colleague.evaluate_handle("window.__remote")
    console.locator("#finish").click()
    expect(citizen.get_by_role("heading", name="Das Gespräch ist beendet")).to_be_visible()
    expect(colleague.locator("#ended")).to_be_visible()
    # The clerk's visit page hangs up too and keeps the final record until the clerk closes it.
    expect(clerk_frame.locator("#ended")).to_be_visible()
    console.get_by_role("button", name="Schließen").click()
    expect(console.locator("#visit-media iframe")).to_have_count(0)
    for handle in (citizen_remote, colleague_remote):
        assert handle.evaluate("tracks => tracks.length > 0 && tracks.every(t => t.readyState === 'ended')")
    assert decoded(citizen) == -1 and decoded(colleague) == -1  # no peer connection left
    assert stored_token(citizen, OFFICE) is None
    # Firefox reports the WebSocket the restart above refused as a page error, Chromium as a console message
    assert [e for e in citizen.errors if "can’t establish a connection to the server" not in str(e)] == []


def call_next(desk: Any, office_id: str) -> str:
    """The clerk calls the one who just joined (once their page has connected: only then is a ticket callable)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            return str(desk.emit("call_next", {"office_id": office_id})["ticket"]["id"])
        except RuntimeError as exc:
            if "queue_empty" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


DEVICES_WAITING = "Ihre Kamera und Ihr Mikrofon sind noch aus. Klicken Sie hier, um sie einzuschalten."


def test_a_firefox_clerk_in_a_background_window_sees_the_citizen_at_once_and_the_camera_joins_with_the_focus(
        visit_env: Visit, axe_source: str) -> None:
    """Firefox holds camera and microphone (and the list of devices) back from a window without the
    focus: the clerk types in another window when the citizen steps in. The visit comes up anyway."""
    from tests.browser.clerk import ClerkClient

    origin = visit_env.server.origin
    key = ("firefox", "display, asking")
    if key not in visit_env.browsers:  # the camera allowed for good, as at a clerk's desk: then Firefox waits for the focus
        visit_env.browsers[key] = harness.launch_firefox(visit_env.playwright, display=visit_env.display(), asking=True)
    with httpx.Client(base_url=origin) as http:
        assert http.post("/api/login", json={"login": harness.CLERK_LOGIN, "password": harness.CLERK_PASSWORD}).status_code == 200
        cookie = http.cookies["vo_session"]
    clerk_context = visit_env.browsers[key].new_context(locale="de-DE", viewport={"width": 1200, "height": 1000})
    visit_env.contexts.append(clerk_context)
    clerk_context.add_cookies([{"name": "vo_session", "value": cookie, "url": origin}])
    clerk_context.add_init_script(harness.CANVAS_CAMERA % list(COLOURS["blue"]))
    clerk_context.add_init_script(ANNOUNCEMENTS)
    console = clerk_context.new_page()
    errors: list[object] = []
    console.on("pageerror", lambda exc: errors.append(exc))
    console.goto(f"{origin}/console")
    console.locator("input[name=presence-kfz][value=available]").check()
    expect(console.locator("#connection")).to_have_attribute("data-state", "connected")
    title = console.title()

    citizen = visit_env.context("chromium", "red", viewport={"width": 1000, "height": 900}).new_page()
    join(citizen, f"{origin}/w/kfz?lang=de", name="Rita Rot")

    # The clerk works in another window; the call reaches the console there (from the clerk's other desk).
    elsewhere = clerk_context.new_page()  # (not a page of the office server: a second console would take the visit over)
    elsewhere.set_content("<title>Akten</title><label>Vermerk <textarea></textarea></label>")
    elsewhere.bring_to_front()
    elsewhere.get_by_label("Vermerk").fill("Termin bestätigt")
    console.wait_for_function("() => !document.hasFocus()")
    desk = ClerkClient(origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
    try:
        visit_id = call_next(desk, "kfz")
        citizen.get_by_role("button", name="Jetzt eintreten").click()
        citizen.wait_for_url(re.compile(rf"/visit/{visit_id}$"))
        expect(console.locator("#visit-media iframe")).to_have_attribute("src", re.compile(rf"/visit/{visit_id}\?embed=console"))
        clerk_frame = console.frame(url=re.compile(r"/visit/"))
        assert clerk_frame is not None

        # In the background the clerk sees and hears the citizen at once; the console says the camera waits.
        sees(clerk_frame, "Rita Rot", "red")
        hint = clerk_frame.locator("#devices-hint")
        expect(hint).to_have_text(DEVICES_WAITING)
        expect(console).to_have_title(f"(Kamera aus) {title}")
        clerk_frame.wait_for_function("text => window.__announced.includes(text)", arg=DEVICES_WAITING, polling=250)  # no animation frames in the background
        assert console.evaluate("document.hasFocus()") is False  # still in the background all along
        assert axe_violations(clerk_frame, axe_source) == []

        # The clerk comes back to the console (a click there, on the hint or anywhere): the camera and microphone join the visit.
        console.bring_to_front()
        expect(hint).to_be_hidden()
        expect(console).to_have_title(title)
        sees(citizen, CLERK_LABEL, "blue")
        expect(clerk_frame.locator("#own-video")).to_have_js_property("readyState", 4)
        restarts = clerk_frame.evaluate("() => window.VirtualOfficeVisit.restarts()")
        assert restarts == [], restarts  # the tracks joined the connection, no new one was needed
        desk.emit("finish", {"office_id": "kfz", "ticket_id": visit_id})
        expect(clerk_frame.locator("#ended")).to_be_visible()
        assert errors == []
    finally:
        desk.close()


@pytest.mark.engines("chromium", "firefox")
def test_the_citizen_leaves_by_keyboard_and_strangers_are_kept_out(visit_env: Visit, engine: str, axe_source: str) -> None:
    from tests.browser.clerk import ClerkClient

    origin = visit_env.server.origin
    desk = ClerkClient(origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
    try:
        desk.presence("kfz", "available")
        context = visit_env.context(engine, "red")
        citizen = context.new_page()
        citizen.goto(f"{origin}/w/kfz?lang=de")
        citizen.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
        citizen.get_by_role("button", name="Weiter").click()
        citizen.locator("#step-details").get_by_role("button", name="Weiter").click()
        citizen.get_by_role("button", name="Ohne Test weiter").click()
        citizen.get_by_role("button", name="Jetzt anstellen").click()
        expect(citizen.locator("#number")).not_to_have_text("…", timeout=15_000)
        token = stored_token(citizen, "kfz")
        visit_id = call_next(desk, "kfz")
        citizen.get_by_role("button", name="Jetzt eintreten").click()
        citizen.wait_for_url(re.compile(rf"/visit/{visit_id}$"))
        expect(citizen.locator("#alone")).to_be_visible()  # the clerk has not opened the visit
        expect(citizen.locator("#own-video")).to_have_js_property("readyState", 4, timeout=15_000)

        # Someone with the address but neither token nor login gets nothing.
        stranger = visit_env.browser(engine, "blue").new_context().new_page()
        stranger.goto(f"{origin}/visit/{visit_id}")
        expect(stranger.get_by_role("heading", name="Kein Zutritt zu diesem Gespräch")).to_be_visible()
        stranger.context.close()

        # Leaving asks first; Escape keeps the visit; then the keyboard alone leaves it.
        citizen.locator("#leave").focus()
        citizen.keyboard.press("Enter")
        expect(citizen.locator("#leave-no")).to_be_focused()
        citizen.keyboard.press("Escape")
        expect(citizen.locator("#leave-confirm")).to_be_hidden()
        expect(citizen.locator("#leave")).to_be_focused()
        citizen.keyboard.press("Enter")
        citizen.keyboard.press("Tab")
        expect(citizen.locator("#leave-yes")).to_be_focused()
        citizen.keyboard.press("Enter")
        expect(citizen.get_by_role("heading", name="Sie haben das Gespräch verlassen")).to_be_focused()
        assert stored_token(citizen, "kfz") is None
        assert citizen.evaluate("() => window.VirtualOfficeVisit.pc()") is None
        assert axe_violations(citizen, axe_source) == []
        gone = httpx.get(f"{origin}/api/tickets/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 404
        context.close()
    finally:
        desk.close()


# Every peer connection relays only, with no relay server: ICE never finds a way (a network that lets no media through).
NO_WAY_THROUGH = """
const Native = window.RTCPeerConnection;
window.RTCPeerConnection = class extends Native {
  constructor(config) { super({ ...(config || {}), iceServers: [], iceTransportPolicy: 'relay' }); }
};
"""


@pytest.mark.engines("chromium", "firefox")
def test_a_browser_without_webrtc_is_told_so_on_the_visit_page_with_a_way_forward(visit_env: Visit, engine: str, axe_source: str) -> None:
    no_video(visit_env, engine, axe_source, NO_WEBRTC, "Mit diesem Browser geht kein Video", retry=False)


def test_a_network_that_lets_no_media_through_is_explained_with_a_way_forward_never_an_endless_spinner(visit_env: Visit,
                                                                                                      axe_source: str) -> None:
    no_video(visit_env, "chromium", axe_source, NO_WAY_THROUGH, "Die Video-Verbindung kommt nicht zustande", retry=True)


def no_video(visit_env: Visit, engine: str, axe_source: str, init: str, heading: str, *, retry: bool) -> None:
    """A citizen called into a visit whose video cannot work (``init``: what the browser lacks)."""
    from tests.browser.clerk import ClerkClient

    origin = visit_env.server.origin
    desk = ClerkClient(origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
    context = visit_env.context(engine, "red", viewport={"width": 390, "height": 844})
    try:
        desk.presence("kfz", "available")
        context.add_init_script(init)
        citizen = context.new_page()
        errors: list[object] = []
        citizen.on("pageerror", lambda exc: errors.append(exc))
        join(citizen, f"{origin}/w/kfz?lang=de")
        visit_id = call_next(desk, "kfz")
        citizen.get_by_role("button", name="Jetzt eintreten").click()
        citizen.wait_for_url(re.compile(rf"/visit/{visit_id}$"))
        help_box = citizen.locator("#video-help")
        expect(help_box.get_by_role("heading")).to_have_text(heading, timeout=40_000)
        expect(help_box).to_contain_text("hier auf der Seite")  # writing to the office still works
        if retry:
            expect(help_box.get_by_role("button", name="Noch einmal versuchen")).to_be_visible()
            expect(help_box).to_contain_text("anderes Netz")
        else:
            expect(help_box).to_contain_text("anderen Browser")
            expect(citizen.locator("#connection")).not_to_have_text("Verbindung wird aufgebaut …")
            expect(citizen.locator("#quality")).to_be_hidden()  # nothing to wait for
            expect(citizen.get_by_role("button", name="Bildschirm teilen")).to_be_hidden()
        assert axe_violations(citizen, axe_source) == []
        if retry:
            help_box.get_by_role("button", name="Noch einmal versuchen").click()
            expect(help_box).to_be_hidden()
            expect(help_box).to_be_visible(timeout=40_000)  # and back, still with nothing coming through
        citizen.locator("#leave").click()
        citizen.locator("#leave-yes").click()
        expect(citizen.get_by_role("heading", name="Sie haben das Gespräch verlassen")).to_be_visible()
        expect(help_box).to_be_hidden()
        expect(citizen.get_by_role("button", name="Fenster schließen")).to_be_visible()
        assert errors == []
    finally:
        context.close()
        desk.close()
