"""Behind a 1:1 NAT: the server binds its private address and offers the public one.

The NAT is real: in the test's own network namespace, nftables forwards 127.0.0.2
to 127.0.0.1, as a cloud provider forwards a VM's public address to its private
one. Without the rule nothing reaches the server at 127.0.0.2.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest

from virtual_office.media import MediaConfig, MediaServer, ice

PRIVATE, PUBLIC = "127.0.0.1", "127.0.0.2"
BEHIND_NAT = MediaConfig(host_addresses=(PRIVATE,), announced_address=PUBLIC)
TABLE = "vo_test_nat"


@pytest.fixture
def nat() -> Iterator[None]:
    if [name for _, name in socket.if_nameindex()] != ["lo"]:
        pytest.skip("changes the firewall: runs only in the loopback-only namespace of scripts/test.sh")
    nft = shutil.which("nft")
    assert nft, "nftables is needed (scripts/test.sh installs it)"
    rules = f"""table ip {TABLE} {{
        chain output {{
            type nat hook output priority -100;
            ip daddr {PUBLIC} dnat to {PRIVATE}
        }}
    }}"""
    subprocess.run([nft, "-f", "-"], input=rules, text=True, check=True)
    yield
    subprocess.run([nft, "delete", "table", "ip", TABLE], check=True)


@pytest.fixture
async def media(nat: None) -> MediaServer:  # the `visit` fixture's server, here behind the NAT
    server = MediaServer(BEHIND_NAT)
    yield server
    await server.close()


def addresses(sdp: str) -> set[str]:
    """Every address a browser would send media to: host candidates and connection lines."""
    hosts = re.findall(r"a=candidate:\S+ \d+ udp \d+ (\S+) \d+ typ host", sdp)
    connections = re.findall(r"c=IN IP4 (\S+)", sdp)
    return set(hosts) | set(connections)


async def test_a_visit_behind_the_nat_offers_the_public_address_and_media_flows(visit) -> None:
    seen: list[str] = []

    def record(sdp: str) -> str:
        seen.append(sdp)
        return sdp

    clerk = await visit("clerk", "red", connect=False)
    citizen = await visit("citizen", "blue", connect=False)
    clerk.edit_incoming = citizen.edit_incoming = record
    await clerk.connect()
    await citizen.connect()

    await clerk.wait_for_frames(("citizen", "camera"))
    await citizen.wait_for_frames(("clerk", "camera"))
    assert clerk.colours[("citizen", "camera")] == "blue"
    assert citizen.colours[("clerk", "camera")] == "red"
    # The server's answers and its own offers (when the other one joined) alike.
    assert len(seen) >= 3
    assert all(addresses(sdp) == {PUBLIC} for sdp in seen), [addresses(sdp) for sdp in seen]


def test_only_host_candidates_on_the_bound_address_change() -> None:
    sdp = "\r\n".join([
        "v=0",
        "c=IN IP4 127.0.0.1",
        "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host",
        "a=candidate:2 1 udp 1694498815 198.51.100.9 40000 typ srflx raddr 127.0.0.1 rport 40000",
        "a=candidate:3 1 udp 2130706431 10.0.0.5 40001 typ host",
        "",
    ])
    assert ice.announce(sdp, BEHIND_NAT).split("\r\n") == [
        "v=0",
        "c=IN IP4 127.0.0.2",
        "a=candidate:1 1 udp 2130706431 127.0.0.2 40000 typ host",
        "a=candidate:2 1 udp 1694498815 198.51.100.9 40000 typ srflx raddr 127.0.0.1 rport 40000",
        "a=candidate:3 1 udp 2130706431 10.0.0.5 40001 typ host",
        "",
    ]
    assert ice.announce(sdp, MediaConfig(host_addresses=(PRIVATE,))) == sdp


@pytest.mark.parametrize(
    "kwargs",
    [
        {"announced_address": PUBLIC},  # which bound address does it stand for?
        {"announced_address": PUBLIC, "host_addresses": ("127.0.0.1", "10.0.0.5")},
        {"announced_address": "2001:db8::1", "host_addresses": ("127.0.0.1",)},
        {"announced_address": "office.example", "host_addresses": ("127.0.0.1",)},
    ],
)
def test_an_announced_address_needs_one_bound_address_of_its_family(kwargs) -> None:
    with pytest.raises(ValueError):
        MediaConfig(**kwargs)
