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


async def test_third_participant_receives_both_and_stops_being_seen_after_leaving(visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"))

    colleague = await visit("colleague", "green")
    await colleague.wait_for_frames(("clerk", "camera"))
    await colleague.wait_for_frames(("citizen", "camera"))
    await colleague.wait_for_frames(("citizen", "microphone"))
    await clerk.wait_for_frames(("colleague", "camera"))
    await citizen.wait_for_frames(("colleague", "camera"))
    assert colleague.colours[("clerk", "camera")] == "red"
    assert colleague.colours[("citizen", "camera")] == "blue"
    assert clerk.colours[("colleague", "camera")] == "green"

    await visit.session.remove("colleague")
    assert visit.session.participants == ("clerk", "citizen")

    async def colleague_gone(client):
        while any(info["participant"] == "colleague" for info in client.tracks.values()):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(colleague_gone(clerk), 10)
    await asyncio.wait_for(colleague_gone(citizen), 10)
    await asyncio.sleep(0.3)  # frames already on their way
    before = clerk.frames[("colleague", "camera")], citizen.frames[("colleague", "camera")]
    clerk_before = citizen.frames[("clerk", "camera")]
    await asyncio.sleep(1.0)
    assert (clerk.frames[("colleague", "camera")], citizen.frames[("colleague", "camera")]) == before
    assert citizen.frames[("clerk", "camera")] > clerk_before  # the others go on
    assert not clerk.errors and not citizen.errors


async def test_participant_not_admitted_is_refused(visit):
    await visit("clerk", "red")
    stranger = await visit("stranger", "green", admit=False, connect=False)
    with pytest.raises(NotAdmitted):
        await stranger.connect()
    assert visit.session.connected == ("clerk",)


async def test_participant_let_go_cannot_signal_again(visit):
    await visit("clerk", "red")
    colleague = await visit("colleague", "green")
    await visit.session.remove("colleague")
    with pytest.raises(NotAdmitted):
        await colleague.offer()


async def test_no_packets_flow_after_the_session_is_closed(media, visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await clerk.wait_for_frames(("citizen", "camera"))
    await citizen.wait_for_frames(("clerk", "camera"))

    await media.close_session("visit-1")
    assert media.get("visit-1") is None
    await asyncio.sleep(0.5)
    before = await clerk.packets_received(), await citizen.packets_received()
    await asyncio.sleep(1.0)
    assert (await clerk.packets_received(), await citizen.packets_received()) == before


async def test_late_joiner_gets_a_picture_through_a_keyframe_request(media, visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"), count=30)
    requests = media.counters.keyframe_requests

    colleague = await visit("colleague", "green")
    await colleague.wait_for_frames(("clerk", "camera"), count=1)
    await colleague.wait_for_frames(("citizen", "camera"), count=1)
    assert media.counters.keyframe_requests > requests
    await clerk.wait_for_frames(("colleague", "camera"), count=1)


async def test_screen_share_reaches_the_others_as_screen(visit):
    from .peers import ColourTrack

    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"))

    # The clerk shares a screen (green) on a second video m-line and offers again.
    clerk.pc.addTransceiver(ColourTrack("green"), direction="sendonly")
    await clerk.offer()
    await citizen.wait_for_frames(("clerk", "screen"))
    assert citizen.colours[("clerk", "screen")] == "green"
    assert citizen.colours[("clerk", "camera")] == "red"

    # Sharing stops: the m-line goes inactive and the others stop receiving it.
    clerk.pc.getTransceivers()[-1].direction = "inactive"
    await clerk.offer()

    async def screen_gone():
        while any(info["source"] == "screen" for info in citizen.tracks.values()):
            await asyncio.sleep(0.05)

    await asyncio.wait_for(screen_gone(), 10)
    await asyncio.sleep(0.3)
    before = citizen.frames[("clerk", "screen")]
    await asyncio.sleep(1.0)
    assert citizen.frames[("clerk", "screen")] == before
    assert not citizen.errors and not clerk.errors


async def test_a_reloaded_page_starts_over_and_is_seen_again(visit):
    from .peers import Client

    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await clerk.wait_for_frames(("citizen", "camera"))

    # The citizen's page reloads: a new peer connection offers, nothing else is said.
    await citizen.close()
    reloaded = visit.clients["citizen"] = Client(visit.session, "citizen", "green")
    await reloaded.connect()
    await reloaded.wait_for_frames(("clerk", "camera"))

    async def green_again():
        while clerk.colours.get(("citizen", "camera")) != "green":
            await asyncio.sleep(0.05)

    await asyncio.wait_for(green_again(), 15)
    assert visit.session.connected == ("clerk", "citizen")


async def test_disconnected_participant_stays_admitted_and_may_come_back(visit):
    clerk = await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await clerk.wait_for_frames(("citizen", "camera"))

    await visit.session.disconnect("citizen")
    assert visit.session.participants == ("clerk", "citizen")
    assert visit.session.connected == ("clerk",)

    await asyncio.sleep(0.5)
    tracks = dict(clerk.tracks)  # the citizen's streams wait for them (MediaConfig.reconnect_seconds)
    assert {info["participant"] for info in tracks.values()} == {"citizen"}
    await citizen.close()
    from .peers import Client

    back = visit.clients["citizen"] = Client(visit.session, "citizen", "blue")
    await back.connect()
    await back.wait_for_frames(("clerk", "camera"))
    seen = clerk.frames[("citizen", "camera")]
    await clerk.wait_for_frames(("citizen", "camera"), count=seen + 10)
    assert clerk.tracks == tracks  # on the same m-lines (tests/media/test_reconnect.py)


async def test_a_browser_that_never_answers_is_dropped_and_the_others_go_on():
    from virtual_office.media import MediaConfig, MediaServer

    from .peers import Client

    # Long enough that a starved machine's slow answers from the others are not taken for silence.
    media = MediaServer(MediaConfig(host_addresses=("127.0.0.1",), answer_seconds=3.0))
    clients = {}

    async def on_signal(participant_id, message):
        if participant_id == "mute" and message["type"] == "offer":
            return  # this browser fails to apply the server's offer and says nothing
        await clients[participant_id].on_signal(message)

    session = media.open_session("visit-1", on_signal)
    try:
        for pid, colour in (("clerk", "red"), ("citizen", "blue"), ("mute", "green")):
            session.admit(pid)
            clients[pid] = Client(session, pid, colour)
            await clients[pid].connect()
        await clients["clerk"].wait_for_frames(("citizen", "camera"))
        for _ in range(100):
            if session.connected == ("clerk", "citizen"):
                break
            await asyncio.sleep(0.05)
        assert session.connected == ("clerk", "citizen")
        assert session.participants == ("clerk", "citizen", "mute")  # may start over
        before = clients["clerk"].frames[("citizen", "camera")]
        await clients["clerk"].wait_for_frames(("citizen", "camera"), count=before + 10)
    finally:
        for client in clients.values():
            await client.close()
        await media.close()
