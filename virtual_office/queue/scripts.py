"""The Lua scripts of the waiting room: files beside this module, loaded once.

Each script is prefixed with the constants the scripts share (:data:`PRELUDE`), so a
number such as how long statistics are kept is written once, here.
"""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

_DIR = Path(__file__).with_name("scripts")

STATS_TTL_SECONDS = 400 * 86400
"""Daily statistics are kept 400 days: a year, and the same month a year ago to compare."""
PRIORITY_STEP = 10**13
"""Queue score offset per priority level: more than any join time in milliseconds, so an
appointment (priority 1) is ahead of every walk-in (priority 0)."""
PRELUDE = f"local STATS_TTL = {STATS_TTL_SECONDS}\nlocal PRIORITY_STEP = {PRIORITY_STEP}\n"
NAMES = ("join", "remove", "heartbeat", "call", "accept", "no_show", "finish", "send_back", "transfer", "guests")


class Scripts:
    """One registered script per transition; redis-py runs them with EVALSHA."""

    def __init__(self, redis: Redis) -> None:
        for name in NAMES:
            setattr(self, name, redis.register_script(PRELUDE + (_DIR / f"{name}.lua").read_text()))

    join: AsyncScript
    remove: AsyncScript
    heartbeat: AsyncScript
    call: AsyncScript
    accept: AsyncScript
    no_show: AsyncScript
    finish: AsyncScript
    send_back: AsyncScript
    transfer: AsyncScript
    guests: AsyncScript
