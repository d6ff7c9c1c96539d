"""Real parts for browser tests and benchmarks: Redis, the office server, Chromium.

Used by tests/browser/conftest.py and benchmarks/widget.py. Everything binds to
127.0.0.1; run inside a network namespace with only loopback (see
docs/testing.md or the README).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
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
