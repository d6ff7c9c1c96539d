"""Which websites may embed the widget: the deployment's list plus each office's own."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from redis.asyncio import Redis

from virtual_office.queue import keys


def normalize(origin: str) -> str | None:
    """'https://www.Example.de/' -> 'https://www.example.de'; None if not an origin."""
    origin = origin.strip()
    if origin == "*":
        return origin
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


class OriginPolicy:
    """Decides whether a page's Origin may use the widget and the /public namespace.

    The server's own origin is always allowed (the waiting room runs there). A
    request without an Origin header comes from no web page (curl, a server) and is
    allowed: the allowlist protects citizens' browsers, not public data.
    """

    def __init__(self, redis: Redis, own_origin: str, configured: Iterable[str]) -> None:
        self._redis = redis
        self._own = normalize(own_origin)
        self._configured = {o for o in (normalize(c) for c in configured) if o}

    async def administered(self) -> set[str]:
        return set(await self._redis.smembers(keys.ALLOWED_ORIGINS))

    async def set_administered(self, origins: Iterable[str]) -> list[str]:
        """Replace the list the administrator keeps; returns what was not an origin."""
        good, bad = set(), []
        for origin in origins:
            value = normalize(origin)
            (good.add(value) if value else bad.append(origin))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.ALLOWED_ORIGINS)
            if good:
                pipe.sadd(keys.ALLOWED_ORIGINS, *good)
            await pipe.execute()
        return bad

    async def allows(self, origin: str | None, office_origins: Iterable[str] = ()) -> bool:
        if origin is None:
            return True
        value = normalize(origin)
        if value is None:
            return False
        if value == self._own or "*" in self._configured or value in self._configured:
            return True
        if value in {normalize(o) for o in office_origins}:
            return True
        administered = await self.administered()
        return "*" in administered or value in administered
