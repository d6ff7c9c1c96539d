"""The media server: owner of every session and connection check."""

from __future__ import annotations

import asyncio

from . import ice
from .check import ConnectionCheck
from .config import MediaConfig
from .errors import Busy, MediaError
from .fanout import Counters
from .session import Session, SignalCallback
from .signaling import Message


class MediaServer:
    """Owns every server-side peer connection; ``close()`` closes them all."""

    def __init__(self, config: MediaConfig) -> None:
        ice.install()
        self.config = config
        self.counters = Counters()
        self._sessions: dict[str, Session] = {}
        self._checks: dict[ConnectionCheck, asyncio.Task[None] | None] = {}  # None: still answering

    def open_session(self, session_id: str, on_signal: SignalCallback, *, encrypted: bool = False) -> Session:
        """Open the media session of a visit; ``on_signal`` delivers server -> browser messages.

        ``encrypted``: the browsers encrypt their media end to end (see ``Session.encrypted``).
        """
        if session_id in self._sessions:
            raise MediaError("a session with this id is open already")
        session = Session(
            session_id, config=self.config, counters=self.counters, on_signal=on_signal, encrypted=encrypted
        )
        self._sessions[session_id] = session
        return session

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    async def close_session(self, session_id: str) -> None:
        """Close every connection of the session (no-op for an unknown id)."""
        session = self._sessions.pop(session_id, None)
        if session is not None:
            await session.close()

    async def connection_check(self, offer: Message) -> Message:
        """Answer a browser's offer with a connection that echoes its own media back.

        Raises ``Busy`` when ``config.max_checks`` checks run already,
        ``BadSignal``/``NegotiationFailed`` for an unusable offer.
        """
        if len(self._checks) >= self.config.max_checks:
            raise Busy("too many connection checks at once")
        check = ConnectionCheck(self.config, self.counters)
        self._checks[check] = None
        try:
            answer = await check.answer(offer)
        except BaseException:
            self._checks.pop(check, None)
            raise
        task = asyncio.ensure_future(check.run())
        self._checks[check] = task
        task.add_done_callback(lambda _: self._checks.pop(check, None))
        return answer

    @property
    def sessions(self) -> int:
        """Media sessions (visits) open now."""
        return len(self._sessions)

    @property
    def checks(self) -> int:
        """Connection checks running now."""
        return len(self._checks)

    async def close(self) -> None:
        """Close every session and every connection check."""
        for session_id in list(self._sessions):
            await self.close_session(session_id)
        for check in list(self._checks):
            await check.close()
        tasks = [t for t in self._checks.values() if t is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
