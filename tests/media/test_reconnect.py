"""A participant who reconnects: the others' streams of theirs go on, on the same m-lines."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from virtual_office.media import MediaConfig, MediaServer

from .peers import Client, ColourTrack
from .test_check_and_fallback import without_codec

VIDEO_CLOCK = 90000


class Visit:
    """A session of its own settings, its clients, and the messages each one got."""

    def __init__(self, media: MediaServer, *, encrypted: bool) -> None:
        self.clients: dict[str, Client] = {}
        self.messages: Counter[tuple[str, str]] = Counter()  # (participant, message type) -> count
        self.session = media.open_session("visit-1", self._on_signal, encrypted=encrypted)
        self.edit = lambda sdp: sdp

    async def _on_signal(self, participant_id: str, message: dict) -> None:
        self.messages[participant_id, message["type"]] += 1
        await self.clients[participant_id].on_signal(message)

    async def join(self, participant_id: str, colour: str) -> Client:
        self.session.admit(participant_id)
        old = self.clients.get(participant_id)
        if old is not None:
            await old.close()
        client = self.clients[participant_id] = Client(self.session, participant_id, colour)
        client.edit_outgoing = client.edit_incoming = self.edit
        await client.connect()
        return client


@pytest.fixture
async def reconnect_visit() -> AsyncIterator[object]:
    servers: list[MediaServer] = []
    visits: list[Visit] = []

    def make(*, encrypted: bool = False, **settings: object) -> Visit:
        media = MediaServer(MediaConfig(host_addresses=("127.0.0.1",), **settings))  # type: ignore[arg-type]
        servers.append(media)
        visits.append(Visit(media, encrypted=encrypted))
        return visits[-1]

    yield make
    for visit in visits:
        for client in visit.clients.values():
            await client.close()
    for media in servers:
        await media.close()


def record(client: Client, participant: str, source: str) -> tuple[str, list[tuple[float, int, int, int]]]:
    """The mid on which ``client`` gets the source, and the RTP packets that reach it there."""
    transceiver = next(
        t for t in client.pc.getTransceivers()
        if client.tracks.get(t.mid) == {"participant": participant, "source": source}
    )
    seen: list[tuple[float, int, int, int]] = []
    receiver = transceiver.receiver
    handle = receiver._handle_rtp_packet

    async def recorded(packet, arrival_time_ms):
        seen.append((time.monotonic(), packet.ssrc, packet.sequence_number, packet.timestamp))
        await handle(packet, arrival_time_ms)

    receiver._handle_rtp_packet = recorded
    return transceiver.mid, seen


async def until(condition, timeout: float, what: str) -> None:
    async def reached() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(reached(), timeout)
    except TimeoutError:
        raise AssertionError(what) from None


MODES = {
    "packets": {},
    "encrypted": {"encrypted": True},
    "frames": {"forward": False},  # decoded and encoded again
}


@pytest.mark.parametrize("mode", [*MODES, "other codec"])
@pytest.mark.parametrize("how", ["page reloaded", "new connection"])
async def test_a_reconnected_participant_goes_on_on_the_same_stream(reconnect_visit, mode, how):
    visit = reconnect_visit(**MODES.get(mode, {}))
    clerk = await visit.join("clerk", "red")
    if mode == "other codec":  # the citizen sends H.264 only, the clerk takes VP8 only: the frame path
        clerk.edit_outgoing = clerk.edit_incoming = lambda sdp: without_codec(sdp, "H264")
        visit.edit = lambda sdp: without_codec(sdp, "VP8")
    await visit.join("citizen", "blue")
    await clerk.wait_for_frames(("citizen", "camera"), count=10)
    await clerk.wait_for_frames(("citizen", "microphone"), count=10)
    assert clerk.colours["citizen", "camera"] == "blue"
    mid, seen = record(clerk, "citizen", "camera")
    audio_mid = next(m for m, info in clerk.tracks.items() if info == {"participant": "citizen", "source": "microphone"})
    await asyncio.sleep(0.5)
    offers = visit.messages["clerk", "offer"]

    # The citizen's page reloads: its socket goes (the server disconnects it), then a new page offers;
    # or its connection starts over on the same socket (a new peer connection offers).
    if how == "page reloaded":
        await visit.session.disconnect("citizen")
    await visit.clients["citizen"].close()
    await asyncio.sleep(0.5)  # what was on its way arrived
    before = len(seen)
    ssrcs = {packet[1] for packet in seen}
    main_ssrc = Counter(packet[1] for packet in seen).most_common(1)[0][0]
    last = [packet for packet in seen if packet[1] == main_ssrc][-1]
    started = time.monotonic()
    await visit.join("citizen", "green")
    await until(lambda: clerk.colours.get(("citizen", "camera")) == "green", 15, f"the clerk never saw the citizen again: {clerk.colours}")
    print(f"\n{mode}, {how}: the clerk's first picture of the reconnected citizen {time.monotonic() - started:.2f} s after its offer")

    # The same m-lines, and no offer to the clerk for it.
    assert clerk.tracks[mid] == {"participant": "citizen", "source": "camera"}
    assert clerk.tracks[audio_mid] == {"participant": "citizen", "source": "microphone"}
    assert [info for info in clerk.tracks.values() if info["participant"] == "citizen"] == [
        {"participant": "citizen", "source": "microphone"}, {"participant": "citizen", "source": "camera"},
    ]
    assert visit.messages["clerk", "offer"] == offers
    sound = clerk.frames["citizen", "microphone"]
    await clerk.wait_for_frames(("citizen", "microphone"), count=sound + 10)

    # One stream for the clerk: the same SSRC, the next sequence number, the timestamp moved on with the time.
    after = seen[before:]
    assert after, "nothing reached the clerk's m-line"
    assert {packet[1] for packet in after} <= ssrcs
    first = next(packet for packet in after if packet[1] == main_ssrc)
    assert first[2] == (last[2] + 1) & 0xFFFF, (last, first)
    paused = first[0] - last[0]
    advanced = ((first[3] - last[3]) & 0xFFFFFFFF) / VIDEO_CLOCK
    assert abs(advanced - paused) < 0.5, (advanced, paused)
    assert not clerk.errors


async def test_a_participant_who_does_not_come_back_in_time_is_seen_no_longer(reconnect_visit):
    visit = reconnect_visit(reconnect_seconds=1.0)
    clerk = await visit.join("clerk", "red")
    citizen = await visit.join("citizen", "blue")
    await clerk.wait_for_frames(("citizen", "camera"))

    await visit.session.disconnect("citizen")
    await citizen.close()
    await asyncio.sleep(0.5)
    assert {info["participant"] for info in clerk.tracks.values()} == {"citizen"}  # still there, waiting
    assert visit.messages["clerk", "offer"] == 1
    await until(lambda: not clerk.tracks, 10, "the citizen's m-lines stayed")
    assert visit.messages["clerk", "offer"] == 2

    # Back later: new m-lines, as for anyone who joins.
    await visit.join("citizen", "green")
    await until(lambda: clerk.colours.get(("citizen", "camera")) == "green", 15, "the citizen was not seen again")


async def test_a_participant_let_go_is_seen_no_longer_at_once(reconnect_visit):
    visit = reconnect_visit(reconnect_seconds=30.0)
    clerk = await visit.join("clerk", "red")
    await visit.join("citizen", "blue")
    await clerk.wait_for_frames(("citizen", "camera"))

    await visit.session.disconnect("citizen")  # the page went...
    await asyncio.sleep(0.3)
    await visit.session.remove("citizen")  # ...and the clerk let them go
    await until(lambda: not clerk.tracks, 5, "the citizen's m-lines stayed after they were let go")


async def test_a_screen_the_new_page_does_not_share_ends_with_its_return(reconnect_visit):
    visit = reconnect_visit(reconnect_seconds=30.0)
    clerk = await visit.join("clerk", "red")
    citizen = await visit.join("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"))  # the server's offer answered: ours comes next
    citizen.pc.addTransceiver(ColourTrack("green"), direction="sendonly")
    await citizen.offer()
    await clerk.wait_for_frames(("citizen", "screen"))
    camera_mid = next(m for m, info in clerk.tracks.items() if info == {"participant": "citizen", "source": "camera"})

    await visit.session.disconnect("citizen")
    await visit.join("citizen", "blue")  # the reloaded page shares no screen
    await until(lambda: all(info["source"] != "screen" for info in clerk.tracks.values()), 10, "the screen stayed")
    assert clerk.tracks[camera_mid] == {"participant": "citizen", "source": "camera"}
    frames = clerk.frames["citizen", "camera"]
    await clerk.wait_for_frames(("citizen", "camera"), count=frames + 10)


@pytest.mark.parametrize("encrypted", [False, True])
async def test_a_new_connection_with_another_codec_gets_a_new_m_line(reconnect_visit, encrypted):
    visit = reconnect_visit(encrypted=encrypted)
    clerk = await visit.join("clerk", "red")
    await visit.join("citizen", "blue")  # VP8
    await clerk.wait_for_frames(("citizen", "camera"))
    mid = next(m for m, info in clerk.tracks.items() if info == {"participant": "citizen", "source": "camera"})

    # Another browser of the same participant takes over, one that sends H.264 only: continuing the
    # VP8 stream would mean re-encoding (nothing at all when encrypted); a new m-line forwards it.
    await visit.session.disconnect("citizen")
    visit.edit = lambda sdp: without_codec(sdp, "VP8")
    await visit.join("citizen", "green")
    await until(lambda: clerk.colours.get(("citizen", "camera")) == "green", 15, f"the clerk never saw the citizen again: {clerk.colours}")
    assert [m for m, info in clerk.tracks.items() if info == {"participant": "citizen", "source": "camera"}] not in ([], [mid])
    camera = next(s for s in visit.session._peers["citizen"].sources.values() if s.name == "camera")
    assert camera.rtp_codec.mimeType.lower() == "video/h264"
    assert [r for r in visit.session.refused() if r["participant"] == "clerk"] == []  # (the clerk's VP8 is, to this browser)
