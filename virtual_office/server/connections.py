"""A cap on the socket.io connections one address holds open at once: set where a city hall does not meet it.

Counted in this process's memory, when Engine.IO opens or closes a connection (before any
namespace): with several processes each counts its own, so an address may hold the cap
once per process. Staff (a validly signed login cookie) and the operator's uncapped
networks are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from virtual_office.server.sessions import read_session
from virtual_office.settings import Settings, SettingsError

REFUSED = "too_many"
"""The error code a refused connection gets (HTTP 429), the same as every other per-address limit."""


def networks(specs: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    """The uncapped networks (CIDRs); SettingsError names a malformed one."""
    try:
        return tuple(ip_network(spec, strict=False) for spec in specs)
    except ValueError as exc:
        raise SettingsError(f"VO_UNCAPPED_NETWORKS: {exc}") from None


class ConnectionCap:
    """Open connections per address; a connection beyond ``connections_per_address`` is refused."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._most = settings.connections_per_address
        self._uncapped = networks(settings.uncapped_networks)
        self._open: Counter[str] = Counter()
        """address -> connections open in this process."""
        self._address: dict[str, str] = {}
        """Engine.IO session id -> the address it is counted against (only counted ones)."""

    def open(self, eio_sid: str, environ: Mapping[str, Any]) -> bool:
        """Count a new connection; False (count nothing) when its address already holds the most."""
        client = environ.get("asgi.scope", {}).get("client")
        address = client[0] if client else None
        if address is None or self._most <= 0 or self._is_uncapped(address):
            return True
        if "clerk_id" in read_session(self._settings, environ.get("HTTP_COOKIE")):
            return True  # staff: not anonymous
        if self._open[address] >= self._most:
            return False
        self._open[address] += 1
        self._address[eio_sid] = address
        return True

    def close(self, eio_sid: str) -> None:
        """A connection ended (closed, dropped or timed out): it no longer counts."""
        address = self._address.pop(eio_sid, None)
        if address is None:
            return
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]

    def count(self, address: str) -> int:
        """Connections ``address`` holds open in this process."""
        return self._open.get(address, 0)

    def tracked(self) -> int:
        """Connections counted in this process (for the benchmark's look at memory)."""
        return len(self._address)

    def _is_uncapped(self, address: str) -> bool:
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._uncapped)


__all__ = ["REFUSED", "ConnectionCap", "networks"]
