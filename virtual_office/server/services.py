"""The long-lived resources of one server process, with one owner that closes them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import redis.asyncio

from virtual_office import redis_client
from virtual_office.media import MediaServer
from virtual_office.queue import ClerkDirectory, OfficeDirectory, Presence, TenantDirectory, WaitingRoom
from virtual_office.queue.appointments import Appointments
from virtual_office.queue.second_factor import SecondFactors
from virtual_office.server.shutdown import STOP_SECONDS
from virtual_office.settings import Settings

log = logging.getLogger(__name__)

REDIS_CONNECTIONS = 100
"""Connections to Redis a process opens at most; more concurrent commands wait their turn."""


@dataclass
class Services:
    """Redis, the waiting room and the media server, as the HTTP and socket.io handlers see them."""

    settings: Settings
    redis: redis.asyncio.Redis
    offices: OfficeDirectory
    clerks: ClerkDirectory
    presence: Presence
    room: WaitingRoom
    media: MediaServer
    appointments: Appointments
    second_factors: SecondFactors
    tenants: TenantDirectory

    @classmethod
    def open(cls, settings: Settings, redis_url: str) -> Services:
        # redis-py's default pool refuses the 101st concurrent command ("Too many
        # connections"), which a burst of widgets connecting at once reaches: wait for
        # a free connection instead (redis_client does).
        client = redis_client.connect(redis_url, max_connections=REDIS_CONNECTIONS)
        offices = OfficeDirectory(client)
        presence = Presence(client, timeout_seconds=settings.presence_timeout_seconds)
        room = WaitingRoom(
            client,
            offices,
            presence,
            grace_seconds=settings.grace_seconds,
            call_timeout_seconds=settings.call_timeout_seconds,
            confirm_seconds=settings.confirm_seconds,
        )
        return cls(
            settings=settings,
            redis=client,
            offices=offices,
            clerks=ClerkDirectory(client, idle_seconds=settings.session_idle_minutes * 60),
            presence=presence,
            room=room,
            media=MediaServer(settings.media),
            appointments=Appointments(client, offices),
            second_factors=SecondFactors(client),
            tenants=TenantDirectory(client),
        )

    async def close(self) -> None:
        """Close every media connection, then Redis; on the way out a hang is logged, not waited for."""
        try:
            async with asyncio.timeout(STOP_SECONDS):
                await self.media.close()
        except TimeoutError:
            log.error("media connections did not close within %s s", STOP_SECONDS)
        await self.redis.aclose()
