"""A server process that asks for a payment and is killed while it waits for the platform (tests/payments/test_crash.py)."""

from __future__ import annotations

import asyncio
import sys

import redis.asyncio

from virtual_office.payments import Cashier, Charge
from virtual_office.queue import OfficeDirectory


async def main(redis_url: str, office_id: str, visit_id: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    cashier = Cashier(client, OfficeDirectory(client))
    await cashier.request(office_id, visit_id, [Charge("fuehrungszeugnis")], "https://buergerbuero.example/return")
    print("answered", flush=True)  # not reached when the test kills this process first


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
