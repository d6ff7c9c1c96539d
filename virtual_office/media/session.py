"""A visit's media session: who is admitted, and who receives whose tracks."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

from . import signaling
from .config import MediaConfig
from .errors import MediaError, NotAdmitted, SessionClosed
from .fanout import Counters, Policy, Source
from .peer import Peer

logger = logging.getLogger(__name__)

SignalCallback = Callable[[str, signaling.Message], Awaitable[None]]
_SOURCE_ORDER = {name: i for i, name in enumerate(signaling.SOURCE_NAMES)}


class Session:
    """The participants of one visit; every connected one receives every other's tracks.

    Created by ``MediaServer.open_session``. Only admitted participants may
    signal; messages to a browser go out through ``on_signal(participant_id, message)``.
    In an ``encrypted`` session (end-to-end encrypted payloads) media is only
    ever forwarded, never decoded: a participant whose browser cannot take the
    sender's codec does not get that track (``refused`` lists them).

    A participant whose connection goes (a reload, a new peer connection) stays
    on the others' m-lines, silent, for ``MediaConfig.reconnect_seconds``; their
    next connection's tracks continue those streams (``Peer.want``), so the
    others need no new offer.
    """

    def __init__(
        self,
        session_id: str,
        *,
        config: MediaConfig,
        counters: Counters,
        on_signal: SignalCallback,
        encrypted: bool = False,
    ) -> None:
        self.session_id = session_id
        self._config = config
        self._counters = counters
        self._on_signal = on_signal
        self._policy = Policy(forward=config.forward, encrypted=encrypted)
        self._admitted: dict[str, None] = {}  # ordered: tracks are offered in admission order
        self._peers: dict[str, Peer] = {}
        self._sending: set[str] = set()  # participants with tracks at the last update
        self._away: dict[str, asyncio.TimerHandle] = {}  # participant -> the end of their streams' wait
        self._closed = False

    @property
    def participants(self) -> tuple[str, ...]:
        """Admitted participants, in the order they were admitted."""
        return tuple(self._admitted)

    @property
    def connected(self) -> tuple[str, ...]:
        """Participants whose peer connection is open."""
        return tuple(p for p, peer in self._peers.items() if peer.connection is not None)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def encrypted(self) -> bool:
        """Whether payloads are end-to-end encrypted: forwarded only, never re-encoded."""
        return self._policy.encrypted

    @encrypted.setter
    def encrypted(self, value: bool) -> None:
        # Takes effect with the next packet of every track.
        self._policy.encrypted = bool(value)

    def refused(self) -> list[dict[str, str]]:
        """Tracks a participant does not get because their browser lacks the codec (encrypted only).

        Each entry: ``{"participant": who does not get it, "from": whose track, "source": ..., "codec": ...}``.
        """
        return [
            {"participant": participant_id, "from": source.participant_id, "source": source.name,
             "codec": source.rtp_codec.mimeType if source.rtp_codec else ""}
            for participant_id, peer in self._peers.items()
            for source in peer.refused()
        ]

    def admit(self, participant_id: str) -> None:
        """Allow ``participant_id`` to connect (idempotent)."""
        if self._closed:
            raise SessionClosed("the session is closed")
        if not isinstance(participant_id, str) or not participant_id:
            raise MediaError("a participant id is a non-empty string")
        self._admitted[participant_id] = None

    async def signal(self, participant_id: str, message: signaling.Message) -> None:
        """Handle a signaling message from a participant's browser.

        Raises ``NotAdmitted`` for a participant who is not (or no longer)
        admitted, ``BadSignal`` for a malformed message and
        ``NegotiationFailed`` when aiortc rejects the SDP.
        """
        if self._closed:
            raise SessionClosed("the session is closed")
        if participant_id not in self._admitted:
            raise NotAdmitted("not admitted to this session")
        parsed = signaling.parse(message)
        peer = self._peers.get(participant_id)
        if peer is None:
            peer = self._peers[participant_id] = Peer(
                participant_id,
                config=self._config,
                counters=self._counters,
                policy=self._policy,
                send=functools.partial(self._deliver, participant_id),
                on_change=self._update,
            )
        await peer.handle(parsed)

    async def remove(self, participant_id: str) -> None:
        """Let a participant go: close their connection; the others stop getting their tracks."""
        self._admitted.pop(participant_id, None)
        self._return_given_up(participant_id)  # the others' waiting streams of theirs end now
        await self.disconnect(participant_id)

    async def disconnect(self, participant_id: str) -> None:
        """Close a participant's connection but keep them admitted (they may reconnect)."""
        peer = self._peers.pop(participant_id, None)
        if peer is not None:
            await peer.close()
            self._update()

    async def close(self) -> None:
        """Close every connection of the session."""
        self._closed = True
        self._admitted.clear()
        for timer in self._away.values():
            timer.cancel()
        self._away.clear()
        peers, self._peers = list(self._peers.values()), {}
        for peer in peers:
            await peer.close()

    def sources(self) -> list[Source]:
        """Every active incoming track, by participant (admission order), then source."""
        order = {p: i for i, p in enumerate(self._admitted)}
        found = [s for peer in self._peers.values() for s in peer.active_sources()]
        return sorted(found, key=lambda s: (order.get(s.participant_id, 0), _SOURCE_ORDER[s.name]))

    def _update(self) -> None:
        if self._closed:
            return
        sources = self.sources()
        sending = {s.participant_id for s in sources}
        for participant_id in self._sending - sending:
            if self._gone(participant_id):
                self._wait_for_return(participant_id)
        for participant_id in sending & set(self._away):
            self._away.pop(participant_id).cancel()  # back: what they do not bring again ends now
        self._sending = sending
        away = set(self._away)
        for participant_id, peer in self._peers.items():
            peer.want([s for s in sources if s.participant_id != participant_id], keep=away - {participant_id})

    def _gone(self, participant_id: str) -> bool:
        """Whether an admitted participant's tracks stopped because their connection went."""
        if participant_id not in self._admitted:
            return False
        peer = self._peers.get(participant_id)
        return peer is None or peer.connection is None or not any(s.running for s in peer.sources.values())

    def _wait_for_return(self, participant_id: str) -> None:
        timer = self._away.pop(participant_id, None)
        if timer is not None:
            timer.cancel()
        self._away[participant_id] = asyncio.get_running_loop().call_later(
            self._config.reconnect_seconds, self._return_given_up, participant_id
        )

    def _return_given_up(self, participant_id: str) -> None:
        # Not back in time, or let go: the others' streams of theirs end.
        timer = self._away.pop(participant_id, None)
        if timer is not None:
            timer.cancel()
            self._update()

    async def _deliver(self, participant_id: str, message: signaling.Message) -> None:
        try:
            await self._on_signal(participant_id, message)
        except Exception:  # the caller's transport: log, keep serving the others
            logger.exception("signal callback failed")
