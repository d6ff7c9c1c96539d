"""An end-to-end encrypted session: media is forwarded, never re-encoded."""

from __future__ import annotations

import asyncio

from virtual_office.media import MediaConfig, MediaServer

from .peers import Client, ColourTrack
from .test_check_and_fallback import without_codec


async def test_an_encrypted_session_does_not_reencode_for_another_codec(media, visit):
    visit.session.encrypted = True
    citizen = await visit("citizen", "blue", connect=False)
    citizen.edit_outgoing = citizen.edit_incoming = lambda sdp: without_codec(sdp, "VP8")
    citizen.pc.addTrack(ColourTrack("blue"))
    await citizen.offer()
    clerk = await visit("clerk", "red", connect=False)
    clerk.edit_outgoing = clerk.edit_incoming = lambda sdp: without_codec(sdp, "H264")
    await clerk.connect()
    await citizen.wait_for_frames(("clerk", "microphone"), count=10)
    await asyncio.sleep(2.0)

    # The clerk takes VP8 only, the citizen H.264 only: nothing to show either way, nothing decoded.
    assert clerk.frames[("citizen", "camera")] == 0
    assert citizen.frames[("clerk", "camera")] == 0
    assert media.counters.transcoded == 0
    assert sorted(visit.session.refused(), key=lambda r: r["participant"]) == [
        {"participant": "citizen", "from": "clerk", "source": "camera", "codec": "video/VP8"},
        {"participant": "clerk", "from": "citizen", "source": "camera", "codec": "video/H264"},
    ]
    assert media.counters.refused == 2

    # Once the session is no longer encrypted, the fallback re-encodes again.
    visit.session.encrypted = False
    await clerk.wait_for_frames(("citizen", "camera"))
    await citizen.wait_for_frames(("clerk", "camera"))
    assert clerk.colours[("citizen", "camera")] == "blue"
    assert media.counters.transcoded > 0
    assert visit.session.refused() == []


async def test_an_encrypted_session_forwards_even_where_the_server_would_reencode():
    media = MediaServer(MediaConfig(host_addresses=("127.0.0.1",), forward=False))
    clients: dict[str, Client] = {}

    async def on_signal(participant_id, message):
        await clients[participant_id].on_signal(message)

    session = media.open_session("visit-1", on_signal, encrypted=True)
    assert session.encrypted
    try:
        for pid, colour in (("clerk", "red"), ("citizen", "blue")):
            session.admit(pid)
            clients[pid] = Client(session, pid, colour)
            await clients[pid].connect()
        await clients["clerk"].wait_for_frames(("citizen", "camera"))
        await clients["citizen"].wait_for_frames(("clerk", "microphone"))
        assert media.counters.packets > 0
        assert media.counters.transcoded == 0
    finally:
        for client in clients.values():
            await client.close()
        await media.close()
