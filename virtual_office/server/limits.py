"""Limits on what anyone may do without logging in, per address: set where no real citizen meets them.

Counted in Redis, so every process of a deployment counts together; a window of fixed
length starts with the first action of an address and the count goes with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.requests import Request

from virtual_office.queue import QueueError, keys
from virtual_office.settings import Settings


class TooMany(QueueError):
    """This address did this more often than a person does; it may again after a while."""

    code = "too_many"


@dataclass(frozen=True)
class Limit:
    name: str
    """What is counted (part of the Redis key)."""
    count: int
    """How often within ``seconds``."""
    seconds: int


def joins(settings: Settings) -> Limit:
    """Tickets drawn from one address in ten minutes: a family, a library's public PC or a
    city hall's terminal stay well below; a script that fills an office does not."""
    return Limit("join", settings.joins_per_address, 600)


def connection_checks(settings: Settings) -> Limit:
    """Connection checks started from one address a minute (each holds a media slot for a while)."""
    return Limit("check", settings.checks_per_address, 60)


def bot_checks(settings: Settings) -> Limit:
    """Bot check challenges fetched from one address a minute: a booking needs one (or a few after mistakes)."""
    return Limit("botcheck", settings.bot_checks_per_address, 60)


def bookings() -> Limit:
    """Appointments held from one address an hour: a family books a few; a script that holds
    an office's every free time (each hold blocks a place until it runs out) does not get far."""
    return Limit("booking", 10, 3600)


def client_address(request: Request) -> str:
    """The request's address (a trusted proxy's X-Forwarded-For already applied by the server)."""
    return request.client.host if request.client else "-"


async def take(redis: Redis, limit: Limit, address: str) -> None:
    """Count one action of ``address``; TooMany once it is one too many."""
    key = keys.limit(limit.name, address)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=limit.seconds, nx=True)  # the window starts with the first action
        pipe.incr(key)
        _, count = await pipe.execute()
    if int(count) > limit.count:
        raise TooMany(f"more than {limit.count} in {limit.seconds} s")


__all__ = ["Limit", "TooMany", "bookings", "bot_checks", "client_address", "connection_checks", "joins", "take"]
