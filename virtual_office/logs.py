"""The log keeps no one's address: every record's message is cleaned where it is made.

A citizen's IP address is personal data we do not keep. Our own code never logs one,
but libraries do (aioice names every ICE candidate pair, uvicorn every WebSocket
handshake). Filters on loggers or handlers can be bypassed by a library that adds its
own handler; a record factory cannot: every record of every logger is made by it, and
its message comes out with each IPv4 and IPv6 address replaced by ``<address>``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

ADDRESS = "<address>"

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?(?![\w:])")

QUIET = {"aioice": logging.WARNING, "aiortc": logging.WARNING}
"""Libraries whose INFO lines are per-packet-path chatter, not news for an operator."""


def _is_ipv6(text: str) -> bool:
    # Times (12:30:45) have colons too: an address has '::', a hex letter or many groups.
    return "::" in text or any(c in "abcdefABCDEF" for c in text) or text.count(":") >= 4


def without_addresses(message: str) -> str:
    """``message`` with every IP address replaced."""
    message = _IPV4.sub(ADDRESS, message)
    return _IPV6.sub(lambda m: ADDRESS if _is_ipv6(m.group(0)) else m.group(0), message)


class _CleanRecord(logging.LogRecord):
    def getMessage(self) -> str:  # noqa: N802 - logging's own name
        return without_addresses(super().getMessage())


def _make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    return _CleanRecord(*args, **kwargs)


class _CleanFormatter(logging.Formatter):
    """Tracebacks too: an exception's text may name the address it failed to reach."""

    def format(self, record: logging.LogRecord) -> str:
        return without_addresses(super().format(record))


def install(level_name: str = "info") -> None:
    """Log to stderr at ``level_name`` (debug, info, warning …), with no address in any message.

    Called again, it only changes the level.
    """
    level = logging.getLevelNamesMapping().get(level_name.upper(), logging.INFO)
    logging.setLogRecordFactory(_make_record)
    logging.basicConfig()
    logging.getLogger().setLevel(level)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_CleanFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, level))


__all__ = ["ADDRESS", "install", "without_addresses"]
