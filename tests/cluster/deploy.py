"""The deployment of examples/deploy on loopback: Redis with a replica and three sentinels,
`virtual-office serve` processes, HAProxy in front.

Each part runs from the example's own file; only addresses, ports and directories are
the test's: given on the command line or in the environment where the program takes
them there, else put in place of the example's in a copy of the file (Redis changes
into its ``dir`` as it reads the line, before a command-line ``--dir`` could count).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import redis

from tests.conftest import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "examples" / "deploy"
PASSWORD = "change-this-redis-password"
"""The example's Redis password, used as it stands."""
SERVICE = "vo"


def _wait(check: object, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (redis.RedisError, httpx.HTTPError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {timeout}s")


class Process:
    """A child process with its log in ``dir``; SIGKILL or stop it."""

    def __init__(self, name: str, directory: Path) -> None:
        self.name = name
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.dir / f"{self.name}.log", "ab")  # noqa: SIM115 - kept for the process's life
        self.process = subprocess.Popen(argv, env=env, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no goodbye to anyone."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.alive:
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def log(self) -> str:
        path = self.dir / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _own_dir(config: str, directory: Path) -> str:
    example = "\ndir /var/lib/redis\n"
    assert example in config, "the example's dir moved: update the test"
    return config.replace(example, f"\ndir {directory}\n")


class RedisNode(Process):
    """redis-server from examples/deploy/redis.conf or redis-replica.conf (a copy: Sentinel rewrites it)."""

    def __init__(self, name: str, directory: Path, config: str, primary_port: int | None = None) -> None:
        super().__init__(name, directory)
        self.port = free_port()
        self.config = self.dir / config
        self.config.write_text(_own_dir((DEPLOY / config).read_text(), self.dir))
        self.primary_port = primary_port

    def start(self) -> None:
        argv = [shutil.which("redis-server") or "redis-server", str(self.config),
                "--port", str(self.port), "--bind", "127.0.0.1"]
        if self.primary_port is not None:
            argv += ["--replicaof", "127.0.0.1", str(self.primary_port)]
        self.spawn(argv)
        _wait(lambda: self.client().ping(), f"redis {self.name}")

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, password=PASSWORD, socket_timeout=2, decode_responses=True)

    def role(self) -> str:
        with self.client() as c:
            return str(c.info("replication")["role"])


class SentinelNode(Process):
    """redis-sentinel from examples/deploy/sentinel.conf, monitoring the test's primary."""

    def __init__(self, name: str, directory: Path, primary_port: int) -> None:
        super().__init__(name, directory)
        self.port = free_port()
        self.config = self.dir / "sentinel.conf"
        text = (DEPLOY / "sentinel.conf").read_text()
        example = "sentinel monitor vo 10.0.0.11 6379 2"
        assert example in text, "the example's monitor line moved: update the test"
        self.config.write_text(_own_dir(text.replace(example, f"sentinel monitor vo 127.0.0.1 {primary_port} 2"), self.dir))

    def start(self) -> None:
        binary = shutil.which("redis-sentinel") or "redis-sentinel"
        self.spawn([binary, str(self.config), "--port", str(self.port), "--bind", "127.0.0.1"])
        _wait(lambda: redis.Redis(port=self.port, socket_timeout=2).ping(), f"sentinel {self.name}")


class ReplicatedRedis:
    """A primary, its replica and three sentinels; :meth:`kill_primary` and Sentinel promotes the replica."""

    def __init__(self, directory: Path) -> None:
        self.primary = RedisNode("redis-1", directory / "redis-1", "redis.conf")
        self.replica = RedisNode("redis-2", directory / "redis-2", "redis-replica.conf", primary_port=self.primary.port)
        self.sentinels = [SentinelNode(f"sentinel-{i}", directory / f"sentinel-{i}", self.primary.port) for i in (1, 2, 3)]

    @property
    def url(self) -> str:
        """VO_REDIS_URL for this set, in the form examples/deploy/virtual-office.env uses."""
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://:{PASSWORD}@{hosts}/{SERVICE}"

    @property
    def primary_url(self) -> str:
        """The current primary straight, for a test's own look (not through Sentinel)."""
        return f"redis://:{PASSWORD}@127.0.0.1:{self.primary.port}/0"

    def start(self) -> None:
        self.primary.start()
        self.replica.start()
        _wait(lambda: self.replica.client().info("replication")["master_link_status"] == "up", "replication")
        for sentinel in self.sentinels:
            sentinel.start()
        # Every sentinel knows the replica and the two others before a failover can happen.
        _wait(lambda: all(self._sentinel_ready(s) for s in self.sentinels), "sentinels", timeout=30)

    @staticmethod
    def _sentinel_ready(sentinel: SentinelNode) -> bool:
        with redis.Redis(port=sentinel.port, socket_timeout=2, decode_responses=True) as c:
            master = c.sentinel_master(SERVICE)
            return int(master["num-slaves"]) >= 1 and int(master["num-other-sentinels"]) >= 2

    def synced(self, timeout: float = 5) -> None:
        """Wait until the replica has every write the primary has (WAIT 1)."""
        with self.primary.client() as c:
            assert c.execute_command("WAIT", 1, int(timeout * 1000)) >= 1, "the replica did not catch up"

    def kill_primary(self) -> RedisNode:
        """SIGKILL the primary; returns the node Sentinel is to promote."""
        self.primary.kill()
        return self.replica

    def wait_promoted(self, timeout: float = 30) -> None:
        """Until the sentinels name the replica the primary, and it says so itself."""

        def promoted() -> bool:
            with redis.Redis(port=self.sentinels[0].port, socket_timeout=2) as c:
                host, port = c.sentinel_get_master_addr_by_name(SERVICE)
            return int(port) == self.replica.port and self.replica.role() == "master"

        _wait(promoted, "the promotion", timeout)
        self.primary, self.replica = self.replica, self.primary

    def stop(self) -> None:
        for part in (*self.sentinels, self.primary, self.replica):
            part.stop()


class Node(Process):
    """`virtual-office serve` with examples/deploy/virtual-office.env, on its own port."""

    def __init__(self, name: str, directory: Path, redis_url: str, public_url: str, data_dir: Path,
                 extra: dict[str, str] | None = None) -> None:
        super().__init__(name, directory)
        self.port = free_port()
        self.env = {**os.environ, **read_env(DEPLOY / "virtual-office.env")}
        self.env.update({
            # The test's addresses in place of the example's.
            "VO_HOST": "127.0.0.1",
            "VO_PORT": str(self.port),
            "VO_PUBLIC_URL": public_url,
            "VO_REDIS_URL": redis_url,
            "VO_TRUSTED_PROXIES": "127.0.0.1",
            "VO_MEDIA_HOST_ADDRESSES": "127.0.0.1",
            "VO_MEDIA_ICE_SERVERS": "[]",
            # One data directory for all (docs/cluster.md): a visit's files, uploaded through
            # one process, are downloaded through another.
            "VO_DATA_DIR": str(data_dir),
            "VO_LOG_LEVEL": "warning",
            # Every simulated citizen comes from loopback: per-address limits off.
            "VO_JOINS_PER_ADDRESS": "1000000",
            "VO_CONNECTIONS_PER_ADDRESS": "0",
            **(extra or {}),
        })

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.spawn([sys.executable, "-m", "virtual_office", "serve"], env=self.env)

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if not self.alive:
                raise RuntimeError(f"{self.name} exited: {self.log()[-2000:]}")
            return httpx.get(self.url + "/healthz", timeout=2).status_code == 200

        _wait(ready, self.name, timeout)


def read_env(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a systemd EnvironmentFile (comments and blank lines left out)."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


class HAProxy(Process):
    """Debian's haproxy with examples/deploy/haproxy.cfg in front of the nodes."""

    def __init__(self, directory: Path, nodes: list[Node]) -> None:
        super().__init__("haproxy", directory)
        assert len(nodes) == 3, "the example names three nodes"
        self.port = free_port()
        self.stats_port = free_port()
        self.env = {**os.environ, "VO_LISTEN": f"127.0.0.1:{self.port}", "VO_STATS_LISTEN": f"127.0.0.1:{self.stats_port}"}
        for i, node in enumerate(nodes, 1):
            self.env[f"VO_NODE{i}"] = f"127.0.0.1:{node.port}"
        self.nodes = nodes

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.spawn([binary, "-db", "-f", str(DEPLOY / "haproxy.cfg")], env=self.env)
        _wait(lambda: len(self.up()) == len(self.nodes), "haproxy's view of the nodes", timeout=30)

    def stats(self) -> list[dict[str, str]]:
        """HAProxy's statistics (CSV), a row per frontend, backend and server."""
        text = httpx.get(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=2).text
        header, *rows = [line for line in text.splitlines() if line]
        names = header.lstrip("# ").split(",")
        return [dict(zip(names, row.split(","), strict=False)) for row in rows]

    def up(self) -> list[str]:
        return [r["svname"] for r in self.stats() if r["pxname"] == "nodes" and r["status"] == "UP"]

    def sessions(self) -> dict[str, int]:
        """Open connections per node (WebSocket ones included) of the main backend."""
        return {r["svname"]: int(r["scur"]) for r in self.stats() if r["pxname"] == "nodes" and r["svname"].startswith("node")}


class Deployment:
    """The whole of examples/deploy on loopback; start, then kill parts of it."""

    def __init__(self, directory: Path, extra_env: dict[str, str] | None = None) -> None:
        self.redis = ReplicatedRedis(directory / "redis")
        self.proxy_port = free_port()
        public_url = f"http://127.0.0.1:{self.proxy_port}"
        self.data_dir = directory / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.nodes = [Node(f"node{i}", directory / f"node{i}", self.redis.url, public_url, self.data_dir, extra_env)
                      for i in (1, 2, 3)]
        self.proxy = HAProxy(directory / "haproxy", self.nodes)
        self.proxy.port = self.proxy_port
        self.proxy.env["VO_LISTEN"] = f"127.0.0.1:{self.proxy_port}"

    @property
    def url(self) -> str:
        """Where browsers connect: HAProxy."""
        return self.proxy.url

    def start(self) -> None:
        self.redis.start()
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_ready()
        self.proxy.start()

    def stop(self) -> None:
        self.proxy.stop()
        for node in self.nodes:
            node.stop()
        self.redis.stop()

    def process_named(self, pid: int | None) -> str:
        """The name of the node (``node1``..) whose process id is ``pid``."""
        return next(n.name for n in self.nodes if n.process is not None and n.process.pid == pid)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.log()[-3000:]}" for p in (*self.nodes, self.proxy))
