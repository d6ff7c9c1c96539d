"""An office's hotline: the phone number citizens are given when a video visit cannot work."""

from __future__ import annotations

import re
from dataclasses import dataclass

from virtual_office.queue.errors import InvalidInput

CHARACTERS = re.compile(r"^\+?[0-9 ()/-]+$")
"""Digits and the separators people write numbers with; a '+' only at the start."""
MIN_LENGTH, MAX_LENGTH = 3, 30
"""Three: the nationwide authority number 115 is a hotline too."""
MIN_DIGITS = 3


def check_hotline(number: str) -> None:
    """Raise InvalidInput unless ``number`` looks like a phone number as people write it ("0941 400-1234")."""
    if not isinstance(number, str):
        raise InvalidInput("the hotline must be text")
    if number != number.strip() or not MIN_LENGTH <= len(number) <= MAX_LENGTH:
        raise InvalidInput(f"the hotline must be {MIN_LENGTH} to {MAX_LENGTH} characters")
    if not CHARACTERS.match(number) or sum(c.isdigit() for c in number) < MIN_DIGITS:
        raise InvalidInput("the hotline may hold digits, spaces and + - / ( ) only")


@dataclass(frozen=True)
class Hotline:
    """A checked hotline number, shown as written and dialled through its ``tel:`` link."""

    number: str

    def __post_init__(self) -> None:
        check_hotline(self.number)

    @property
    def tel(self) -> str:
        """The ``tel:`` link: the digits, with a leading '+' kept ("+49 (0)941 …" dials without the 0)."""
        number = self.number
        if number.startswith("+"):
            # "(0)" is the trunk prefix written for callers at home; dialled from abroad it is left out.
            number = number.replace("(0)", "")
        digits = "".join(c for c in number if c.isdigit())
        return f"tel:+{digits}" if number.startswith("+") else f"tel:{digits}"
