"""Packet loss on one hop: retransmission keeps the picture going.

The loss is real: in the test's own network namespace nftables drops a share
of the UDP packets to one end of one hop (netem is not available in this
kernel). Each hop retransmits on its own: the server answers the viewer's
NACKs from the packets it sent, and asks the sending browser for what it lost.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import Iterator

import pytest

TABLE = "vo_test_loss"


@pytest.fixture
def drop() -> Iterator:
    if [name for _, name in socket.if_nameindex()] != ["lo"]:
        pytest.skip("changes the firewall: runs only in the loopback-only namespace of scripts/test.sh")
    nft = shutil.which("nft")
    assert nft, "nftables is needed (scripts/test.sh installs it)"

    def drop_share(port: int, percent: int) -> None:
        rules = f"""table inet {TABLE} {{
            chain out {{
                type filter hook output priority 0;
                udp dport {port} numgen random mod 100 lt {percent} drop
            }}
        }}"""
        subprocess.run([nft, "-f", "-"], input=rules, text=True, check=True)

    yield drop_share
    subprocess.run([nft, "delete", "table", "inet", TABLE], check=False)


def local_ports(pc) -> set[int]:
    transport = pc.getTransceivers()[0].receiver.transport.transport
    return {c.port for c in transport.iceGatherer.getLocalCandidates()}


@pytest.mark.parametrize("percent", [2, 5])
@pytest.mark.parametrize("hop", ["to the server", "from the server"])
async def test_video_keeps_25_fps_with_loss_on_one_hop(visit, drop, hop, percent):
    await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"), count=30)
    if hop == "to the server":  # the clerk's packets to the server
        server_pc = visit.session._peers["clerk"].connection
        ports = local_ports(server_pc)
    else:  # the server's packets to the citizen
        ports = local_ports(citizen.pc)
    assert len(ports) == 1
    drop(ports.pop(), percent)
    await asyncio.sleep(1.0)  # the first losses are repaired or asked for again

    before = citizen.frames[("clerk", "camera")]
    seconds = 6.0
    await asyncio.sleep(seconds)
    fps = (citizen.frames[("clerk", "camera")] - before) / seconds
    print(f"{hop}, {percent}% loss: {fps:.1f} fps at the viewer")
    assert fps >= 25
    assert citizen.colours[("clerk", "camera")] == "red"
