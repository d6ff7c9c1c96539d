"""Which addresses and UDP ports the server's ICE agent uses.

aioice has no settings for either, so this module replaces two things inside
``aioice.ice`` once, and only for gathering done while a ``MediaConfig`` is
active (``with using(config):``); other aiortc peers in the process keep
aioice's own behaviour:

- ``aioice.ice.get_host_addresses(use_ipv4=..., use_ipv6=...)`` decides which
  addresses become host candidates. It leaves out 127.0.0.1, so without the
  replacement a server could not be reached on loopback (tests) and could not
  be told which public address to offer.
- ``aioice.ice`` binds every host candidate with
  ``asyncio.get_running_loop().create_datagram_endpoint(local_addr=(address, 0))``.
  To keep ports in ``port_min..port_max`` the module sees an ``asyncio`` whose
  loop binds the first free port of the range instead of port 0.

Both are aioice internals (aioice 0.13 with aiortc 1.16); tests/media/test_ice.py
fails if they change.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import types
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import aioice.ice

from .config import MediaConfig

_active: contextvars.ContextVar[MediaConfig | None] = contextvars.ContextVar(
    "virtual_office_media_config", default=None
)
_original_get_host_addresses = aioice.ice.get_host_addresses
_Protocol = TypeVar("_Protocol", bound=asyncio.BaseProtocol)


@contextlib.contextmanager
def using(config: MediaConfig) -> Iterator[None]:
    """Gather ICE candidates with ``config``'s addresses and ports inside the block.

    Tasks started inside the block (aiortc gathers in tasks) inherit it.
    """
    install()
    token = _active.set(config)
    try:
        yield
    finally:
        _active.reset(token)


def announce(sdp: str, config: MediaConfig) -> str:
    """``sdp`` as browsers must see it: the bound address replaced by the announced one.

    Only host candidates and connection lines change; ports stay, since a 1:1 NAT
    forwards each public port to the same private one.
    """
    if config.announced_address is None:
        return sdp
    bound, public = config.host_addresses[0], config.announced_address
    lines = sdp.split("\r\n")
    for i, line in enumerate(lines):
        if line.startswith("a=candidate:"):
            # foundation component transport priority address port "typ" type ...
            fields = line.split(" ")
            if len(fields) > 7 and fields[4] == bound and fields[7] == "host":
                fields[4] = public
                lines[i] = " ".join(fields)
        elif line.startswith("c=IN IP") and line.endswith(" " + bound):
            lines[i] = line[: -len(bound)] + public
    return "\r\n".join(lines)


def _get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    config = _active.get()
    if config is None or not config.host_addresses:
        return _original_get_host_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
    return [
        address
        for address in config.host_addresses
        if (":" in address and use_ipv6) or (":" not in address and use_ipv4)
    ]


class _PortRangeLoop:
    """An event loop that binds unbound UDP endpoints inside a port range."""

    def __init__(self, loop: asyncio.AbstractEventLoop, port_min: int, port_max: int) -> None:
        self._loop = loop
        self._ports = (port_min, port_max)

    def __getattr__(self, name: str) -> Any:  # every other attribute: the loop's own
        return getattr(self._loop, name)

    async def create_datagram_endpoint(
        self,
        protocol_factory: Callable[[], _Protocol],
        local_addr: tuple[str, int] | None = None,
        **kwargs: Any,
    ) -> tuple[asyncio.DatagramTransport, _Protocol]:
        if local_addr is None or local_addr[1] != 0:
            return await self._loop.create_datagram_endpoint(
                protocol_factory, local_addr=local_addr, **kwargs
            )
        low, high = self._ports
        count = high - low + 1
        start = random.randrange(count)  # spread concurrent connections over the range
        for i in range(count):
            port = low + (start + i) % count
            try:
                return await self._loop.create_datagram_endpoint(
                    protocol_factory, local_addr=(local_addr[0], port), **kwargs
                )
            except OSError:
                continue
        raise OSError(f"no free UDP port in {low}-{high} on {local_addr[0]}")


def _get_running_loop() -> asyncio.AbstractEventLoop | _PortRangeLoop:
    loop = asyncio.get_running_loop()
    config = _active.get()
    if config is None or config.port_min is None or config.port_max is None:  # both or neither
        return loop
    return _PortRangeLoop(loop, config.port_min, config.port_max)


class _AsyncioForAioice(types.ModuleType):
    """``asyncio`` as seen from ``aioice.ice``: only ``get_running_loop`` differs."""

    get_running_loop: Callable[[], asyncio.AbstractEventLoop | _PortRangeLoop]

    def __getattr__(self, name: str) -> Any:  # every other attribute: asyncio's own
        return getattr(asyncio, name)


def install() -> None:
    """Put the replacements in place (idempotent)."""
    if aioice.ice.get_host_addresses is not _get_host_addresses:
        aioice.ice.get_host_addresses = _get_host_addresses
    if not isinstance(aioice.ice.asyncio, _AsyncioForAioice):
        proxy = _AsyncioForAioice("asyncio")
        proxy.get_running_loop = _get_running_loop
        aioice.ice.asyncio = proxy


def discovered_addresses() -> list[str]:
    """The addresses aioice would offer by itself: every interface's but loopback.

    Empty on a host that has only loopback: browsers could not reach a media server
    that offers nothing, unless ``host_addresses`` says what to offer.
    """
    return list(_original_get_host_addresses(use_ipv4=True, use_ipv6=True))
