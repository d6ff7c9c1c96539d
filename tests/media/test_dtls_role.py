"""One DTLS role per connection, whatever the m-lines of a browser's answer say.

Firefox ESR answers the server's re-offer (which adds the others' tracks) with
``a=setup:passive`` on the m-lines it had offered and ``a=setup:active`` on the
new ones. All m-lines share one DTLS transport (BUNDLE); aiortc would apply
every m-line's role to it in turn, so the last one wins and the server's role
flips: before the handshake both ends wait as DTLS servers, during it the
SRTP keys are taken the wrong way round. Either way no frame gets through.
"""

import asyncio
import re

from virtual_office.media import MediaServer

from .peers import LOOPBACK, Client

ROUNDS = 3  # the flip only hurts when the answer lands before the handshake ends
FRAMES_SECONDS = 8.0


def _mids(sdp: str) -> list[str]:
    return re.findall(r"^a=mid:(\S+)", sdp, re.M)


def answer_like_firefox(client: Client) -> list[str]:
    """Make ``client`` answer with ``passive`` on its own m-lines and ``active`` on new ones.

    Returns the list the rewritten answers are appended to.
    """
    own: set[str] = set()
    answers: list[str] = []

    def edit(sdp: str) -> str:
        if client.pc.localDescription.type == "offer":
            own.update(_mids(sdp))
            return sdp
        sections = re.split(r"^(?=m=)", sdp, flags=re.M)
        for i, section in enumerate(sections[1:], start=1):
            if not own.issuperset(_mids(section)):
                sections[i] = section.replace("a=setup:passive", "a=setup:active")
        mixed = "".join(sections)
        answers.append(mixed)
        return mixed

    client.edit_outgoing = edit
    return answers


async def stable(client: Client, server_pc) -> None:
    """Wait until neither end has an offer out."""
    async def both() -> None:
        while client.pc.signalingState != "stable" or server_pc.signalingState != "stable":
            await asyncio.sleep(0.05)

    await asyncio.wait_for(both(), FRAMES_SECONDS)


def server_connection(session, participant_id: str):
    return session._peers[participant_id].connection


async def one_visit(media: MediaServer, round_: int) -> None:
    clients: dict[str, Client] = {}

    async def on_signal(participant_id: str, message: dict) -> None:
        await clients[participant_id].on_signal(message)

    session = media.open_session(f"visit-{round_}", on_signal)
    try:
        for pid in ("clerk", "citizen", "colleague"):
            session.admit(pid)
        clerk = clients["clerk"] = Client(session, "clerk", "red")
        await clerk.connect()

        # The citizen's first offer is answered, then the server offers the clerk's tracks
        # right away: the mixed answer to that offer races the DTLS handshake.
        citizen = clients["citizen"] = Client(session, "citizen", "blue")
        answers = answer_like_firefox(citizen)
        await citizen.connect()
        await citizen.wait_for_frames(("clerk", "camera"), timeout=FRAMES_SECONDS)
        await clerk.wait_for_frames(("citizen", "camera"), timeout=FRAMES_SECONDS)
        assert answers, "the citizen never answered an offer from the server"
        setups = set(re.findall(r"^a=setup:(\S+)", answers[0], re.M))
        assert setups == {"active", "passive"}, setups  # the test really sends Firefox's answer
        assert server_connection(session, "citizen").connectionState == "connected"

        # Another re-offer, answered the same way: the connection keeps its role and media.
        colleague = clients["colleague"] = Client(session, "colleague", "green")
        await colleague.connect()
        await citizen.wait_for_frames(("colleague", "camera"), timeout=FRAMES_SECONDS)
        assert citizen.colours[("colleague", "camera")] == "green"
        assert len(answers) >= 2
        before = citizen.frames[("clerk", "camera")], clerk.frames[("citizen", "camera")]
        await citizen.wait_for_frames(("clerk", "camera"), count=before[0] + 10, timeout=FRAMES_SECONDS)
        await clerk.wait_for_frames(("citizen", "camera"), count=before[1] + 10, timeout=FRAMES_SECONDS)
        assert server_connection(session, "citizen").connectionState == "connected"

        # The citizen offers again: the server's answer states the role its transport has now,
        # still the one of its first answer.
        await stable(citizen, server_connection(session, "citizen"))
        await citizen.offer()
        await stable(citizen, server_connection(session, "citizen"))
        assert citizen.pc.remoteDescription.type == "answer"
        assert set(re.findall(r"^a=setup:(\S+)", citizen.pc.remoteDescription.sdp, re.M)) == {"active"}
        before = citizen.frames[("clerk", "camera")], clerk.frames[("citizen", "camera")]
        await citizen.wait_for_frames(("clerk", "camera"), count=before[0] + 10, timeout=FRAMES_SECONDS)
        await clerk.wait_for_frames(("citizen", "camera"), count=before[1] + 10, timeout=FRAMES_SECONDS)
        assert not any(c.errors for c in clients.values())
    finally:
        for client in clients.values():
            await client.close()
        await media.close_session(f"visit-{round_}")


async def test_mixed_setup_in_an_answer_to_a_reoffer_keeps_dtls_and_media_up():
    media = MediaServer(LOOPBACK)
    try:
        for round_ in range(ROUNDS):
            await one_visit(media, round_)
    finally:
        await media.close()
