"""ICE settings: which addresses and ports the server offers, what browsers are told."""

import re

import pytest
from aiortc import RTCPeerConnection

from virtual_office.media import IceServer, MediaConfig, MediaServer, ice

from .peers import LOOPBACK, ColourTrack


async def server_candidates(config: MediaConfig) -> list[tuple[str, int]]:
    media = MediaServer(config)
    pc = RTCPeerConnection()
    pc.addTrack(ColourTrack("red"))
    with ice.using(LOOPBACK):
        await pc.setLocalDescription(await pc.createOffer())
    answer = await media.connection_check({"type": "offer", "sdp": pc.localDescription.sdp})
    await pc.close()
    await media.close()
    return [
        (host, int(port))
        for host, port in re.findall(r"a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host", answer["sdp"])
    ]


async def test_host_addresses_are_what_the_server_offers():
    assert {host for host, _ in await server_candidates(LOOPBACK)} == {"127.0.0.1"}


async def test_host_candidates_stay_in_the_port_range():
    config = MediaConfig(host_addresses=("127.0.0.1",), port_min=40000, port_max=40009)
    ports = [port for _, port in await server_candidates(config)]
    assert ports and all(40000 <= port <= 40009 for port in ports)


async def test_port_range_exhausted_gives_no_candidate_rather_than_another_port():
    import socket

    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        config = MediaConfig(host_addresses=("127.0.0.1",), port_min=port, port_max=port)
        assert await server_candidates(config) == []
    finally:
        taken.close()


async def test_without_a_config_aioice_keeps_its_own_behaviour():
    import aioice.ice

    ice.install()
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    with ice.using(LOOPBACK):
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]


def test_browsers_get_the_configured_ice_servers_and_aiortc_no_default():
    config = MediaConfig(
        ice_servers=(
            IceServer(("stun:turn.example.org:3478",)),
            IceServer(("turn:turn.example.org:3478?transport=udp",), "office", "secret"),
        )
    )
    assert config.browser_ice_servers() == [
        {"urls": ["stun:turn.example.org:3478"]},
        {"urls": ["turn:turn.example.org:3478?transport=udp"], "username": "office", "credential": "secret"},
    ]
    assert MediaConfig().rtc_configuration().iceServers == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"port_min": 40000},
        {"port_min": 50000, "port_max": 40000},
        {"port_min": 80, "port_max": 90},
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        MediaConfig(**kwargs)


@pytest.mark.parametrize("url", ["http://example.org", "turn:", "stun:host:port", "turn:host?transport=sctp"])
def test_ice_server_urls_must_be_stun_or_turn(url):
    with pytest.raises(ValueError):
        IceServer((url,))
