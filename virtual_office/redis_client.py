"""Every Redis client of the server is built here, from ``VO_REDIS_URL``.

Besides redis-py's own URLs (``redis://``, ``rediss://``, ``unix://``) it accepts Redis
Sentinel::

    redis+sentinel://[[user]:password@]host:26379[,host2:26379,...]/<service>[/<db>]

The sentinels are asked which server is the primary of ``<service>`` (the name in their
``sentinel monitor`` line); the password is the Redis servers' (``requirepass``), and the
sentinels' own, if they have one, is given as ``?sentinel_password=...``.

A client rides through a failover (docs/operations.md): a command that meets a dropped
connection, a refused one or a demoted primary (READONLY) is sent again, with backoff,
for up to :data:`FAILOVER_SECONDS`, to whichever server the sentinels name by then
(:data:`RESTART_SECONDS` without Sentinel).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import redis.asyncio
from redis.asyncio.connection import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, ReadOnlyError, TimeoutError

from virtual_office.settings import SettingsError

T = TypeVar("T")
SENTINEL_SCHEMES = ("redis+sentinel",)
FAILOVER_SECONDS = 20.0
"""How long a command keeps being tried while Sentinel names no primary that answers:
longer than Sentinel takes to notice a dead primary (``down-after-milliseconds``) and
promote a replica."""
RESTART_SECONDS = 3.0
"""The same for one Redis without Sentinel: a restart, not a failover, is what it rides
through; a Redis that stays away is reported soon (the store is unavailable)."""
_BACKOFF_CAP = 1.0
_BACKOFF_BASE = 0.05


class RedisUrlError(SettingsError):
    """``VO_REDIS_URL`` cannot be understood (the server says so at start)."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"VO_REDIS_URL: {problem}")


@dataclass(frozen=True)
class SentinelUrl:
    """A parsed ``redis+sentinel://`` URL."""

    sentinels: list[tuple[str, int]]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None


def is_sentinel(url: str) -> bool:
    return urlsplit(url).scheme in SENTINEL_SCHEMES


def parse_sentinel(url: str) -> SentinelUrl:
    """The sentinels, service and database of a Sentinel URL (RedisUrlError if it is not one)."""
    parts = urlsplit(url)
    if parts.scheme not in SENTINEL_SCHEMES:
        raise RedisUrlError(f"not a Sentinel URL: {parts.scheme}://")
    hosts = parts.netloc.rpartition("@")[2]
    sentinels = []
    for entry in hosts.split(","):
        host, _, port = entry.strip().rpartition(":")
        if not host or not port.isdigit():
            raise RedisUrlError("a sentinel is host:port (e.g. redis-1:26379)")
        sentinels.append((host.strip("[]"), int(port)))
    path = [p for p in parts.path.split("/") if p]
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise RedisUrlError("a Sentinel URL ends in /<service> or /<service>/<db>")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if set(query) - {"sentinel_password"}:
        raise RedisUrlError(f"unknown Sentinel URL parameters: {', '.join(sorted(set(query) - {'sentinel_password'}))}")
    return SentinelUrl(
        sentinels=sentinels,
        service=path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sentinel_password=query.pop("sentinel_password", None),
    )


class RideThrough(Retry):
    """Tries again, with backoff, until :data:`FAILOVER_SECONDS` after Redis stopped answering.

    One instance serves every connection of a client, and the time counts from the first
    failure any of them saw since the last success: redis-py tries a connect inside a
    command's tries, and counting tries instead would multiply the two.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(ExponentialBackoff(cap=_BACKOFF_CAP, base=_BACKOFF_BASE), -1,
                         supported_errors=(ConnectionError, TimeoutError, ReadOnlyError))
        self.seconds = seconds
        self._failing_since: float | None = None

    async def call_with_retry(  # type: ignore[override]
        self,
        do: Callable[[], Awaitable[T]],
        fail: Callable[..., Any],
        is_retryable: Callable[[Exception], bool] | None = None,
        with_failure_count: bool = False,
    ) -> T:
        failures = 0
        while True:
            try:
                result = await do()
            except self._supported_errors as error:
                if is_retryable and not is_retryable(error):
                    raise
                failures += 1
                await (fail(error, failures) if with_failure_count else fail(error))
                now = time.monotonic()
                if self._failing_since is None:
                    self._failing_since = now
                if now - self._failing_since >= self.seconds:
                    raise
                await asyncio.sleep(self._backoff.compute(failures))
            else:
                self._failing_since = None
                return result


class _SentinelConnection(SentinelManagedConnection):
    """A connection to the primary that asks the sentinels where that is on every reconnect.

    redis-py 8's ``send_packed_command`` reconnects a dropped connection with
    ``connect_check_health``, past the sentinel lookup in ``connect``: a command tried
    again after a failover went to the dead primary's address until it gave up.
    """

    async def connect_check_health(self, check_health: bool = True, retry_socket_connect: bool = True) -> None:
        if not self.is_connected and self.connection_pool.is_master:
            self.host, self.port = await self.connection_pool.get_master_address()
        await super().connect_check_health(check_health=check_health, retry_socket_connect=retry_socket_connect)


class _BlockingSentinelPool(SentinelConnectionPool, BlockingConnectionPool):
    """Connections to whichever server the sentinels name primary; past ``max_connections`` a
    command waits for a free one (as the plain pool does) instead of failing."""


def connect(
    url: str,
    *,
    max_connections: int = 100,
    pool_timeout: float = 10,
    decode_responses: bool = True,
    **options: Any,
) -> redis.asyncio.Redis:
    """A client for ``url``; more than ``max_connections`` concurrent commands wait up to
    ``pool_timeout`` seconds for a free connection. ``options`` go to each connection."""
    connection = {
        "decode_responses": decode_responses,
        "health_check_interval": 10,
        "socket_connect_timeout": 5,
        # A dropped connection (a restart, a failover) is not an error the caller sees: the
        # command is sent again on a fresh connection, with backoff, until a primary answers.
        "retry": RideThrough(FAILOVER_SECONDS if is_sentinel(url) else RESTART_SECONDS),
        "retry_on_error": [ConnectionError, TimeoutError, ReadOnlyError],
        **options,
    }
    if not is_sentinel(url):
        pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=pool_timeout, **connection)
        return redis.asyncio.Redis.from_pool(pool)
    parsed = parse_sentinel(url)
    sentinel_options: dict[str, Any] = {"socket_connect_timeout": 2, "socket_timeout": 2}
    if parsed.sentinel_password:
        sentinel_options["password"] = parsed.sentinel_password
    sentinel = Sentinel(parsed.sentinels, sentinel_kwargs=sentinel_options)
    pool = _BlockingSentinelPool(
        parsed.service,
        sentinel,
        max_connections=max_connections,
        timeout=pool_timeout,
        db=parsed.db,
        username=parsed.username,
        password=parsed.password,
        connection_class=_SentinelConnection,
        **connection,
    )
    return redis.asyncio.Redis.from_pool(pool)
