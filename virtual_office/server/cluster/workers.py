"""``serve --workers N``: N node processes on one machine, one HTTP port, one Redis.

The parent binds the port and hands the listening socket to every worker (each
accepts from it), gives each worker its own slice of the media UDP port range, and
owns the embedded Redis when there is no external one. It restarts a worker that
dies and stops them all on SIGTERM or SIGINT. Each worker is a node of its own
(``server.cluster``): registered with a heartbeat, home of the visits it takes.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping

from virtual_office.settings import Settings, SettingsError

log = logging.getLogger(__name__)

WORKER_FD = "VO_WORKER_FD"
"""Environment variable naming the listening socket a worker inherits."""
RESTART_SECONDS = 1.0
STOP_SECONDS = 15.0


def worker_count(value: str) -> int:
    """The number of workers VO_WORKERS / --workers asks for (``auto``: one per core)."""
    if value.strip().lower() == "auto":
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise SettingsError(f"VO_WORKERS: a number of processes (1 or more) or auto, not {value!r}")
    return count


def port_slices(port_min: int | None, port_max: int | None, count: int) -> list[tuple[int | None, int | None]]:
    """Each worker's media UDP port range: the configured range cut into ``count`` slices (None: any port)."""
    if port_min is None or port_max is None:
        return [(None, None)] * count
    size = (port_max - port_min + 1) // count
    if size < 1:
        raise SettingsError(f"VO_MEDIA_PORT_MIN..VO_MEDIA_PORT_MAX has fewer ports than the {count} workers")
    return [(port_min + i * size, port_min + (i + 1) * size - 1) for i in range(count)]


def listen(host: str, port: int) -> socket.socket:
    """The server's listening socket, inheritable by the workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def inherited_socket() -> socket.socket | None:
    """In a worker: the listening socket the parent handed down."""
    fd = os.environ.get(WORKER_FD)
    return socket.socket(fileno=int(fd)) if fd else None


class Workers:
    """The parent of the workers: starts, watches and stops them."""

    def __init__(self, settings: Settings, redis_url: str, count: int) -> None:
        self._settings = settings
        self._redis_url = redis_url
        self._slices = port_slices(settings.media.port_min, settings.media.port_max, count)
        self._sock = listen(settings.host, settings.port)
        self._processes: list[subprocess.Popen[bytes] | None] = [None] * count
        self._stopping = False

    def _environment(self, index: int) -> Mapping[str, str]:
        port_min, port_max = self._slices[index]
        env = {
            **os.environ,
            WORKER_FD: str(self._sock.fileno()),
            "VO_WORKERS": "1",
            "VO_REDIS_URL": self._redis_url,
            "VO_SECRET_KEY": self._settings.secret_key,
            "VO_HOST": self._settings.host,
            "VO_PORT": str(self._settings.port),
            "VO_DATA_DIR": str(self._settings.data_dir),
        }
        if self._settings.media.host_addresses:
            env["VO_MEDIA_HOST_ADDRESSES"] = ",".join(self._settings.media.host_addresses)
        if port_min is not None:
            env["VO_MEDIA_PORT_MIN"], env["VO_MEDIA_PORT_MAX"] = str(port_min), str(port_max)
        return env

    def _start(self, index: int) -> None:
        self._processes[index] = subprocess.Popen(
            [sys.executable, "-m", "virtual_office", "serve"],
            env=dict(self._environment(index)),
            pass_fds=(self._sock.fileno(),),
        )
        log.info("worker %d started (pid %d)", index + 1, self._processes[index].pid)  # type: ignore[union-attr]

    def run(self) -> None:
        """Run the workers until SIGTERM or SIGINT; a worker that dies is started again."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for index in range(len(self._processes)):
                self._start(index)
            while not self._stopping:
                for index, process in enumerate(self._processes):
                    if process is not None and process.poll() is not None and not self._stopping:
                        log.warning("worker %d (pid %d) exited with %s; starting it again", index + 1, process.pid, process.returncode)
                        time.sleep(RESTART_SECONDS)
                        if not self._stopping:
                            self._start(index)
                time.sleep(0.2)
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._sock.close()

    def _stop(self, signum: int, frame: object) -> None:
        self._stopping = True

    def _stop_all(self) -> None:
        running = [p for p in self._processes if p is not None and p.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


__all__ = ["WORKER_FD", "Workers", "inherited_socket", "listen", "port_slices", "worker_count"]
