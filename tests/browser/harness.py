"""Real parts for browser tests and benchmarks: Redis, the office server, Chromium and Firefox.

Used by tests/browser/conftest.py and benchmarks/widget.py. Everything binds to
127.0.0.1; run inside a network namespace with only loopback (see
docs/testing.md or the README).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
FIREFOX = "/usr/bin/firefox-esr"
FIREFOX_PREFS: dict[str, object] = {
    # Fake camera and microphone, no permission prompt (Firefox has no launch flags for these:
    # a context's camera permission does not reach getUserMedia; the prefs do).
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "permissions.default.camera": 1,
    "permissions.default.microphone": 1,
    # ICE candidates on 127.0.0.1 (Firefox leaves loopback out otherwise: gathering finds nothing).
    "media.peerconnection.ice.loopback": True,
    # Screen sharing: with the permission prompt off, getDisplayMedia takes the whole screen,
    # which needs a display (see Xvfb); headless Firefox has none and answers NotFoundError.
    "media.getdisplaymedia.enabled": True,
}
ENGINES = ("chromium", "firefox")
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"

# Open around the clock, so the tests do not depend on the time they run at.
ALL_DAY = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
OFFICES: list[dict[str, object]] = [
    {"id": "buergerbuero", "name": "Bürgerbüro", "name_en": "Citizens' office",
     "description": "Ausweise, Meldewesen, Führungszeugnisse", "prefix": "B",
     "languages": ["de", "en"], "hours": ALL_DAY, "order": 1},
    {"id": "kfz", "name": "Kfz-Zulassung", "name_en": "Vehicle registration",
     "description": "Zulassung, Abmeldung, Kennzeichen", "prefix": "K",
     "languages": ["de"], "hours": ALL_DAY, "order": 2},
]
CLERK_LOGIN = "erika"
CLERK_PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            if check():
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class RedisServer:
    """A throw-away redis-server on a free loopback port, no persistence."""

    def __init__(self) -> None:
        binary = "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server not found")
        self.dir = tempfile.mkdtemp(prefix="vo-redis-")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        def ping() -> bool:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        _wait(ping, 15, "redis-server", self.proc)

    def close(self) -> None:
        _stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


async def _seed(redis_url: str, offices: Iterable[Mapping[str, object]]) -> None:
    import redis.asyncio

    from virtual_office.queue import ClerkDirectory, Office, OfficeDirectory

    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        directory = OfficeDirectory(client)
        ids = []
        for spec in offices:
            office = Office.from_config(spec)
            await directory.save(office)
            ids.append(office.id)
        clerks = ClerkDirectory(client)
        if await clerks.by_login(CLERK_LOGIN) is None:
            await clerks.add(CLERK_LOGIN, "Erika Mustermann", CLERK_PASSWORD, offices=tuple(ids))
    finally:
        await client.aclose()


def seed(redis_url: str, offices: Iterable[Mapping[str, object]] = OFFICES) -> None:
    """Define the test offices and one clerk who staffs them, straight through the queue API."""
    # a thread of its own: sync Playwright may already run an event loop in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _seed(redis_url, list(offices))).result(60)


class OfficeServer:
    """``python -m virtual_office serve`` in a subprocess, configured by VO_* variables."""

    def __init__(self, redis_url: str, allowed_origins: Iterable[str], *, port: int | None = None,
                 extra_env: Mapping[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.data_dir = tempfile.mkdtemp(prefix="vo-data-")
        self.log = Path(self.data_dir) / "server.log"
        env = dict(os.environ)
        env.update({
            "VO_HOST": "127.0.0.1",
            "VO_PORT": str(self.port),
            "VO_REDIS_URL": redis_url,
            "VO_DATA_DIR": self.data_dir,
            "VO_SECRET_KEY": "browser-test-secret-key-not-for-production",
            "VO_ALLOWED_ORIGINS": ",".join(allowed_origins),
            "VO_LOG_LEVEL": "warning",
            "VO_MEDIA_HOST_ADDRESSES": "127.0.0.1",
            # Every simulated citizen shares the loopback address: per-address limits off
            # (tests/server/test_limits.py checks them with the defaults).
            "VO_JOINS_PER_ADDRESS": "1000000",
            "VO_CHECKS_PER_ADDRESS": "1000000",
            "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        })
        env.update(extra_env or {})
        self._env = env
        self._log_file = self.log.open("wb")
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "virtual_office", "serve"],
            env=self._env, cwd=self.data_dir, stdout=self._log_file, stderr=subprocess.STDOUT,
        )

        def healthy() -> bool:
            with urllib.request.urlopen(self.origin + "/healthz", timeout=2) as resp:
                return resp.status == 200

        try:
            _wait(healthy, 60, "office server", self.proc)
        except Exception as exc:
            self.close()
            raise RuntimeError(f"{exc}; server output:\n{self.output()}") from exc

    def stop(self) -> None:
        """Stop the process, keeping port and data (what an update or a crash looks like)."""
        _stop(self.proc)

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")[-4000:]

    def close(self) -> None:
        _stop(self.proc)
        self._log_file.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def serves_widget(origin: str) -> bool:
    try:
        with urllib.request.urlopen(origin + "/widget.js", timeout=10) as resp:
            return resp.status == 200 and b"VirtualOffice" in resp.read()
    except (OSError, urllib.error.URLError):
        return False


def launch_chromium(playwright):
    """Debian's Chromium, headless, with the flags that keep it quiet and WebRTC on loopback."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def firefox_prefs(blocked: Iterable[str] = (), *, asking: bool = False) -> dict[str, object]:
    """FIREFOX_PREFS, with the devices in ``blocked`` ("camera", "microphone") refused as a person would
    refuse them. A context's permissions do not reach getUserMedia in Firefox, and with
    media.navigator.permission.disabled it never looks at a permission at all: so the permission is
    asked again, and answered by the default (1 allow, 2 block) without a prompt.

    ``asking``: the permission is asked even with nothing blocked (and answered "allow"), as for a
    person who allowed camera and microphone for good; then, as there, getUserMedia waits for the
    window's focus (with the permission check off it does not)."""
    prefs = dict(FIREFOX_PREFS)
    if blocked or asking:
        prefs["media.navigator.permission.disabled"] = False
        for device in blocked:
            if device not in ("camera", "microphone"):
                raise ValueError(f"unknown device {device!r}")
            prefs[f"permissions.default.{device}"] = 2
    return prefs


def launch_firefox(playwright, *, display: str | None = None, blocked: Iterable[str] = (), asking: bool = False):
    """Debian's Firefox ESR (no Playwright download), headless unless given an X display;
    ``blocked`` and ``asking``: see firefox_prefs."""
    env = dict(os.environ, DISPLAY=display) if display else None
    return playwright.firefox.launch(channel="moz-firefox", executable_path=FIREFOX, headless=display is None,
                                     firefox_user_prefs=firefox_prefs(blocked, asking=asking), env=env)


def launch(playwright, engine: str, *, display: str | None = None):
    """A browser of the given engine (one of ENGINES) as the tests use it."""
    if engine == "chromium":
        return launch_chromium(playwright)
    if engine == "firefox":
        return launch_firefox(playwright, display=display)
    raise ValueError(f"unknown browser engine {engine!r}")


def has_engine(engine: str) -> bool:
    return os.path.exists({"chromium": CHROMIUM, "firefox": FIREFOX}[engine])


# Firefox's fake camera is one moving colour pattern for every page, and it has no flag like
# Chromium's --use-file-for-fake-video-capture. To tell participants apart the test camera paints
# a colour (with a white bar moving across, so every frame differs) on a canvas and hands its
# captureStream() to the page in place of the fake camera's track; encoding, sending and decoding
# are still the browser's own. Format with the RGB colour, as a context's init script.
CANVAS_CAMERA = """(() => {
  if (typeof MediaDevices === 'undefined') return;  // e.g. a new tab's about:blank
  const [r, g, b] = %s;
  const original = MediaDevices.prototype.getUserMedia;
  MediaDevices.prototype.getUserMedia = async function (constraints) {
    const stream = await original.call(this, constraints);
    if (!constraints || !constraints.video) return stream;
    const canvas = document.createElement('canvas');
    canvas.width = 320; canvas.height = 240;
    const ctx = canvas.getContext('2d');
    let x = 0;
    const paint = () => {
      ctx.fillStyle = `rgb(${r}, ${g}, ${b})`; ctx.fillRect(0, 0, 320, 240);
      ctx.fillStyle = '#fff'; ctx.fillRect(x, 0, 16, 240);
      x = (x + 32) %% 320;
    };
    paint();
    const track = canvas.captureStream(15).getVideoTracks()[0];
    const timer = setInterval(paint, 1000 / 15);
    const stop = track.stop.bind(track);
    track.stop = () => { clearInterval(timer); stop(); };
    for (const fake of stream.getVideoTracks()) { fake.stop(); stream.removeTrack(fake); }
    stream.addTrack(track);
    return stream;
  };
})();"""


class Xvfb:
    """A virtual X display (Debian's xvfb) for a browser that must not run headless."""

    def __init__(self, size: str = "1280x1024x24") -> None:
        binary = shutil.which("Xvfb")
        if not binary:
            raise RuntimeError("Xvfb not found (apt-get install xvfb)")
        read, write = os.pipe()
        self.proc = subprocess.Popen([binary, "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
                                     pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write)
        try:
            number = b""
            deadline = time.monotonic() + 30
            while not number.endswith(b"\n"):
                if not select.select([read], [], [], max(0.0, deadline - time.monotonic()))[0]:
                    raise TimeoutError("Xvfb did not say its display in 30 s")
                chunk = os.read(read, 16)
                if not chunk:
                    raise RuntimeError(f"Xvfb exited with {self.proc.wait()}")
                number += chunk
        except BaseException:
            _stop(self.proc)
            raise
        finally:
            os.close(read)
        self.display = ":" + number.decode().strip()

    def close(self) -> None:
        _stop(self.proc)
