"""The password rule (NIST SP 800-63B-4): long enough, not common, not built on context, not a pattern.

No composition rules and no expiry. Every place that sets a password asks
:func:`check_password`; logging in with an older, weaker password still works.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import re
import unicodedata
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virtual_office.queue.offices import Office

MIN_LENGTH = 15
"""SP 800-63B-4 for a password used alone (no second factor)."""
MAX_LENGTH = 256
BLOCKLIST = Path(__file__).with_name("data") / "common-passwords.txt.gz"
"""Common and breached passwords, folded; rebuilt by scripts/build_password_blocklist.py."""
PRODUCT = ("virtual-office", "virtualoffice", "virtual office")

REASONS = ("too_short", "too_long", "unprintable", "common", "context", "repetitive", "sequential")
"""Every reason a password can be refused for (translation keys admin.clerk.error.password.<reason>)."""

_ENGLISH = {
    "too_short": f"at least {MIN_LENGTH} characters",
    "too_long": f"at most {MAX_LENGTH} characters",
    "unprintable": "no control characters",
    "common": "not a common or breached password",
    "context": f"at least {MIN_LENGTH} characters besides the login, the name, the offices and the server's name",
    "repetitive": "not a repetition of a few characters",
    "sequential": "not a sequence such as 1234 or qwertz",
}

# Rows and runs people type instead of choosing; a run goes forwards or backwards along one.
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "1234567890ß",  # German keyboard rows (QWERTZ)
    "qwertzuiopü",
    "asdfghjklöä",
    "yxcvbnm",
    "1234567890-=",  # English (QWERTY)
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "azertyuiop",  # French (AZERTY)
    "qsdfghjklm",
    "wxcvbn",
)
_STEPS: dict[tuple[str, str], frozenset[tuple[int, int]]] = {}
for _index, _row in enumerate(_SEQUENCES):
    for _a, _b in zip(_row, _row[1:], strict=False):
        _STEPS[(_a, _b)] = _STEPS.get((_a, _b), frozenset()) | {(_index, 1)}
        _STEPS[(_b, _a)] = _STEPS.get((_b, _a), frozenset()) | {(_index, -1)}
_SAME = frozenset({(-1, 0)})
_RUN = 3
"""A run of repeated or sequential characters counts from this length."""
_WORD = re.compile(r"\w{4,}")


def normalize(password: str) -> str:
    """The form that is hashed and checked: NFKC, so that the same text typed on another device matches."""
    return unicodedata.normalize("NFKC", password)


def fold(text: str) -> str:
    """What the blocklist compares: normalized, case-folded, without whitespace."""
    return "".join(normalize(text).casefold().split())


def check_password(password: str, context: Iterable[str] = ()) -> list[str]:
    """Why ``password`` may not be set (codes from :data:`REASONS`); empty when it may.

    ``context`` holds the words nobody may build a password on: the login, the
    person's name, the office names, the server's host. The product's name is
    always among them.
    """
    if not isinstance(password, str):
        return ["too_short"]
    text = normalize(password)
    if len(text) > MAX_LENGTH:
        return ["too_long"]
    reasons = []
    if len(text) < MIN_LENGTH:
        reasons.append("too_short")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Cn") for c in text):
        reasons.append("unprintable")
    folded = fold(text)
    if _is_common(folded):
        reasons.append("common")
    if len(text) >= MIN_LENGTH and _context_left(text.casefold(), context_words(*context)) < MIN_LENGTH:
        reasons.append("context")
    pattern = _pattern(text.casefold()) or _pattern(folded)
    if pattern:
        reasons.append(pattern)
    return reasons


def describe(reasons: Iterable[str]) -> str:
    """The reasons in English, for the command line."""
    return "the password needs " + "; ".join(_ENGLISH[r] for r in reasons)


def deployment_context(offices: Iterable[Office], host: str | None) -> list[str]:
    """The context every account shares: the offices' ids and names, the server's host."""
    return [*(text for office in offices for text in (office.id, office.name, office.name_en) if text), *([host] if host else [])]


def context_words(*texts: str | None) -> list[str]:
    """The words of a login, name, office name or host that a password must not rest on."""
    words: set[str] = set(PRODUCT)
    for text in texts:
        if not text:
            continue
        folded = normalize(text).casefold().strip()
        words.add(folded)
        words.add("".join(folded.split()))
        words.update(_WORD.findall(folded))
    return sorted((w for w in words if len(w) >= 3), key=len, reverse=True)


# -- the rules ----------------------------------------------------------------


def _is_common(folded: str) -> bool:
    """On the list as it is, or with digits and symbols only added before or after (``passwort2025!``)."""
    core = folded.strip("0123456789!?.,;:-_+*#$%&/()=@§\"' ")
    return _listed(folded) or (len(core) >= 4 and _listed(core))


def _context_left(casefolded: str, words: list[str]) -> int:
    """How many characters remain once every context word is taken out (longest first)."""
    left = casefolded
    for word in words:
        left = left.replace(word, "")
    return len(left)


def _pattern(text: str) -> str | None:
    """'repetitive' or 'sequential' when next to nothing of ``text`` is outside such a run."""
    if not text:
        return "repetitive"
    period = next(p for p in range(1, len(text) + 1) if all(text[i] == text[i - p] for i in range(p, len(text))))
    if period <= len(text) // 2:
        return "repetitive"
    covered, same_only, start, kinds = 0, True, 0, frozenset[tuple[int, int]]()
    for i in range(1, len(text) + 1):
        step = (_SAME if text[i] == text[i - 1] else _STEPS.get((text[i - 1], text[i]), frozenset())) if i < len(text) else frozenset()
        joined = (kinds & step) if i - start > 1 else step
        if joined:
            kinds = joined
            continue
        if i - start >= _RUN:
            covered += i - start
            same_only = same_only and kinds == _SAME
        start, kinds = i, frozenset()
    if len(text) - covered > 2:
        return None
    return "repetitive" if same_only else "sequential"


# -- the list -----------------------------------------------------------------


@functools.cache
def _blocklist() -> array[int]:
    """The list as the sorted 64-bit string hashes of its entries: about 1 MB for over 100,000
    entries (a set of the strings takes ten times that), loaded once per process.

    ``hash`` differs between processes but not within one, which is all a lookup needs; a
    chance collision would refuse one more password in 2**64, which is harmless.
    """
    entries = gzip.decompress(BLOCKLIST.read_bytes()).decode().split("\n")
    return array("q", sorted({hash(entry) for entry in entries if entry}))


def _listed(folded: str) -> bool:
    table, key = _blocklist(), hash(folded)
    at = bisect.bisect_left(table, key)
    return at < len(table) and table[at] == key


def load() -> int:
    """Load the list now (a server does it at start, off the request path); returns its size."""
    return len(_blocklist())
