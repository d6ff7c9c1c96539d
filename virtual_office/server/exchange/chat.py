"""Chat between the members of a visit: plain text, kept only while the visit lasts."""

from __future__ import annotations

from virtual_office.queue import InvalidInput

MAX_LENGTH = 2000


def chat_text(value: object) -> str:
    """A message as sent (line breaks kept, outer blanks trimmed); InvalidInput if empty or too long.

    It stays text: clients render it as text, links are not made clickable.
    """
    if not isinstance(value, str):
        raise InvalidInput("text must be a string")
    text = value.replace("\r\n", "\n").strip()
    if not text or len(text) > MAX_LENGTH:
        raise InvalidInput(f"text must be 1 to {MAX_LENGTH} characters")
    return text


def message(sender: str, name: str, role: str, text: str, at: int) -> dict[str, object]:
    return {"from": sender, "name": name, "role": role, "text": text, "at": at}


__all__ = ["MAX_LENGTH", "chat_text", "message"]
