"""Bad input gets a clear error, and the session keeps serving everyone else."""

import pytest

from virtual_office.media import BadSignal, MediaError, NegotiationFailed, SessionClosed


@pytest.mark.parametrize(
    "message",
    [
        None,
        "offer",
        {},
        {"type": "hello"},
        {"type": "offer"},
        {"type": "offer", "sdp": 42},
        {"type": "offer", "sdp": "not sdp"},
        {"type": "offer", "sdp": "v=0\r\n" + "a" * 300_000},
        {"type": "offer", "sdp": "v=0\r\n", "sources": {"0": "microwave"}},
        {"type": "offer", "sdp": "v=0\r\n" + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" * 17},
        {"type": "candidate", "candidate": 7},
        {"type": "candidate", "candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host", "sdpMLineIndex": "0"},
    ],
)
async def test_malformed_messages_are_refused(visit, message):
    visit.session.admit("citizen")
    with pytest.raises(BadSignal):
        await visit.session.signal("citizen", message)


GARBLED = [
    "v=0\r\nm=video 9 RTP/AVP 0\r\n",
    "v=0\r\nm=video\r\n",
    "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n",
    "v=0\r\na=group:BUNDLE 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=rtpmap:96 AV1/90000\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 00:11\r\na=setup:actpass\r\n",
]


async def test_unusable_sdp_fails_negotiation_and_others_keep_going(visit):
    await visit("clerk", "red")
    citizen = await visit("citizen", "blue")
    await citizen.wait_for_frames(("clerk", "camera"))
    visit.session.admit("mallory")
    for sdp in GARBLED:
        with pytest.raises(NegotiationFailed):
            await visit.session.signal("mallory", {"type": "offer", "sdp": sdp})
    with pytest.raises(BadSignal):
        await visit.session.signal("mallory", {"type": "answer", "sdp": "v=0\r\n"})
    before = citizen.frames[("clerk", "camera")]
    await citizen.wait_for_frames(("clerk", "camera"), count=before + 10)
    assert visit.session.connected == ("clerk", "citizen")


async def test_a_closed_session_accepts_nothing(media, visit):
    session = visit.session
    session.admit("clerk")
    await media.close_session("visit-1")
    with pytest.raises(SessionClosed):
        await session.signal("clerk", {"type": "answer", "sdp": "v=0\r\n"})
    with pytest.raises(SessionClosed):
        session.admit("citizen")


async def test_a_session_id_is_opened_once(media, visit):
    with pytest.raises(MediaError):
        media.open_session("visit-1", visit.session._on_signal)


async def test_trickled_candidates_are_accepted(visit):
    clerk = await visit("clerk", "red")
    await visit("citizen", "blue")
    candidate = clerk.pc.localDescription.sdp.split("a=candidate:")[1].split("\r\n")[0]
    await visit.session.signal(
        "clerk", {"type": "candidate", "candidate": "candidate:" + candidate, "sdpMid": "0", "sdpMLineIndex": 0}
    )
    await visit.session.signal("clerk", {"type": "candidate", "candidate": None})
    with pytest.raises(BadSignal):
        await visit.session.signal("clerk", {"type": "candidate", "candidate": "candidate:garbage", "sdpMid": "0"})


def test_dtls_setup_is_read_and_rewritten_on_every_line():
    from virtual_office.media.signaling import dtls_setup, with_dtls_setup

    sdp = (
        "v=0\r\na=group:BUNDLE 0 1 2\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=setup:passive\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=setup:passive\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\na=setup:active\r\n"
    )
    assert dtls_setup(sdp) == "passive"
    assert dtls_setup("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n") is None
    fixed = with_dtls_setup(sdp, "passive")
    assert fixed.count("a=setup:passive\r\n") == 3 and "active" not in fixed
    assert fixed.replace("a=setup:passive", "") == sdp.replace("a=setup:passive", "").replace("a=setup:active", "")
