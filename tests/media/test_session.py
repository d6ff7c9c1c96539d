"""Sessions with real aiortc peers: who receives whose media, and when it stops."""

import asyncio

import pytest

from virtual_office.media import NotAdmitted
from virtual_office.media.forwarding import encoder_used


def server_senders(session):
    return [
        t.sender
        for peer in session._peers.values()
        if peer.connection is not None
        for t in peer.connection.getTransceivers()
        if t.direction == "sendonly"
    ]


async def test_two_participants_see_and_hear_each_other_without_reencoding(media, visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")

    await clerk.wait_for_frames(("citizen", "camera"))
    await citizen.wait_for_frames(("clerk", "camera"))
    await clerk.wait_for_frames(("citizen", "microphone"))
    await citizen.wait_for_frames(("clerk", "microphone"))

    assert clerk.colours[("citizen", "camera")] == "blue"
    assert citizen.colours[("clerk", "camera")] == "red"
    assert media.counters.forwarded > 0
    assert media.counters.transcoded == 0
    senders = server_senders(visit.session)
    assert len(senders) == 4
    assert not any(encoder_used(sender) for sender in senders)
