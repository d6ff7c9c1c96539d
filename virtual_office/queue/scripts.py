"""The Lua scripts of the waiting room: files beside this module, loaded once."""

from __future__ import annotations

from pathlib import Path

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

_DIR = Path(__file__).with_name("scripts")
NAMES = ("join", "remove", "heartbeat", "call", "accept", "no_show", "finish", "send_back", "transfer", "guests")


class Scripts:
    """One registered script per transition; redis-py runs them with EVALSHA."""

    def __init__(self, redis: Redis) -> None:
        for name in NAMES:
            setattr(self, name, redis.register_script((_DIR / f"{name}.lua").read_text()))

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
