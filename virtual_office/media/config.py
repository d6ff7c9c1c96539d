"""Network settings of the media server: ICE servers, host addresses, UDP ports."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer
from aiortc.rtcicetransport import parse_stun_turn_uri

_ICE_SCHEMES = ("stun:", "turn:", "turns:")


@dataclass(frozen=True)
class IceServer:
    """One STUN or TURN server, as in the browser's ``RTCIceServer``."""

    urls: tuple[str, ...]
    "``stun:host:port``, ``turn:host:port?transport=udp``, ``turns:host:443?transport=tcp``."
    username: str | None = None
    "TURN user name (ignored for STUN)."
    credential: str | None = None
    "TURN password (ignored for STUN)."

    def __post_init__(self) -> None:
        if isinstance(self.urls, str):
            object.__setattr__(self, "urls", (self.urls,))
        if not self.urls:
            raise ValueError("an ICE server needs at least one URL")
        for url in self.urls:
            if not isinstance(url, str) or not url.startswith(_ICE_SCHEMES):
                raise ValueError(f"ICE server URL must start with stun:, turn: or turns: ({url!r})")
            try:  # the parser aiortc itself uses: fail at start, not at the first visit
                parsed = parse_stun_turn_uri(url)
            except ValueError as exc:
                raise ValueError(f"malformed ICE server URL {url!r}: {exc}") from exc
            if parsed["scheme"] != "stun" and parsed["transport"] not in ("udp", "tcp"):
                raise ValueError(f"TURN transport must be udp or tcp ({url!r})")

    def as_dict(self) -> dict[str, str | list[str]]:
        """The ``RTCIceServer`` dictionary a browser takes."""
        server: dict[str, str | list[str]] = {"urls": list(self.urls)}
        if self.username is not None:
            server["username"] = self.username
        if self.credential is not None:
            server["credential"] = self.credential
        return server


@dataclass(frozen=True)
class MediaConfig:
    """How the media server reaches browsers and how it relays media.

    Frozen: built once from the server settings and passed to ``MediaServer``.
    """

    ice_servers: tuple[IceServer, ...] = ()
    """STUN/TURN servers handed to browsers and used by the server itself.

    Always explicit: an empty tuple means none (aiortc's default public STUN
    server is never used). aiortc uses the first STUN and the first TURN URL."""
    host_addresses: tuple[str, ...] = ()
    """Addresses the server binds and offers as host candidates.

    Empty means aioice's discovery (every interface address except loopback).
    Tests use ``("127.0.0.1",)``; an operator puts the server's public address
    here (it must be an address of one of the host's interfaces)."""
    announced_address: str | None = None
    """The address browsers are told to send media to when it is on none of the host's
    interfaces (1:1 NAT, e.g. a cloud VM's public address). The server binds its one
    ``host_addresses`` entry and offers this address, with the same ports, in its place;
    the NAT must forward those UDP ports unchanged."""
    port_min: int | None = None
    "Lowest UDP port for host candidates (with ``port_max``); None = any port."
    port_max: int | None = None
    "Highest UDP port for host candidates."
    forward: bool = True
    """Forward encoded frames (True) or decode and re-encode every track (False).

    Re-encoding costs about ten times the CPU; it stays as a fallback and is
    used anyway for a subscriber whose negotiated codec differs from the
    source's."""
    answer_seconds: float = 20.0
    """How long the server waits for the answer to its own offer before it closes
    the connection (a browser that could not apply the offer starts over)."""
    reconnect_seconds: float = 15.0
    """How long the others keep receiving a participant's streams, silent, after that
    participant's connection went (a reload, a network change): a new connection
    within this time continues the same streams, after it they end."""
    check_seconds: float = 60.0
    "How long a connection check (camera/microphone echo) may run."
    max_checks: int = 20
    "How many connection checks may run at once."
    video_codecs: tuple[str, ...] = field(default=("video/VP8", "video/H264"))
    "Video codecs accepted, most preferred first (forwarding needs the same on both legs)."
    audio_codecs: tuple[str, ...] = field(default=("audio/opus",))
    "Audio codecs accepted, most preferred first."

    def __post_init__(self) -> None:
        if (self.port_min is None) != (self.port_max is None):
            raise ValueError("set both port_min and port_max, or neither")
        if self.port_min is not None and self.port_max is not None and not 1024 <= self.port_min <= self.port_max <= 65535:
            raise ValueError("UDP port range must satisfy 1024 <= port_min <= port_max <= 65535")
        if self.announced_address is not None:
            announced = ipaddress.ip_address(self.announced_address)
            if len(self.host_addresses) != 1 or ipaddress.ip_address(self.host_addresses[0]).version != announced.version:
                raise ValueError("announced_address stands for one bound address: set exactly one host address of the same IP family")
        if not self.video_codecs or not self.audio_codecs:
            raise ValueError("at least one audio and one video codec are needed")

    def browser_ice_servers(self) -> list[dict[str, str | list[str]]]:
        """``RTCIceServer`` dictionaries for the browser's ``RTCPeerConnection``."""
        return [server.as_dict() for server in self.ice_servers]

    def rtc_configuration(self) -> RTCConfiguration:
        """The aiortc configuration for one server-side peer connection."""
        return RTCConfiguration(
            iceServers=[
                RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
                for s in self.ice_servers
            ],
            # Every track of a participant on one transport: added tracks never
            # need a new ICE/DTLS handshake.
            bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
        )
