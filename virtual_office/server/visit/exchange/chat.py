"""Chat between the members of a visit: plain text, kept only while the visit lasts."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

from virtual_office.queue import QueueError

MAX_LENGTH = 2000
BURST = 10
"""Messages one member may send within ``WINDOW_SECONDS``: more than a person types."""
WINDOW_SECONDS = 10.0


class TooFast(QueueError):
    """A member sent more chat messages than a person types."""

    code = "too_fast"


class ChatPace:
    """At most ``BURST`` messages per member in any ``WINDOW_SECONDS``, so that a script
    cannot flood the other side's screen (counted in this process, which holds the visit)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sent: dict[Hashable, deque[float]] = {}

    def take(self, sender: Hashable) -> None:
        """Count one message of ``sender``; TooFast if it is one too many."""
        now = self._clock()
        sent = self._sent.setdefault(sender, deque())
        while sent and sent[0] <= now - WINDOW_SECONDS:
            sent.popleft()
        if len(sent) >= BURST:
            raise TooFast(f"at most {BURST} messages in {WINDOW_SECONDS:g} seconds")
        sent.append(now)
        if len(self._sent) > 1000:  # forget members who have gone quiet
            self._sent = {k: v for k, v in self._sent.items() if v and v[-1] > now - WINDOW_SECONDS}


def chat_text(value: str) -> str:
    """A message as sent (line breaks kept, outer blanks trimmed); ValueError if empty or too long.

    The chat event's schema applies it. It stays text: clients render it as text, links
    are not made clickable.
    """
    text = value.replace("\r\n", "\n").strip()
    if not text or len(text) > MAX_LENGTH:
        raise ValueError(f"text must be 1 to {MAX_LENGTH} characters")
    return text


def message(sender: str, name: str, role: str, text: str, at: int) -> dict[str, object]:
    return {"from": sender, "name": name, "role": role, "text": text, "at": at}


__all__ = ["MAX_LENGTH", "ChatPace", "TooFast", "chat_text", "message"]
