"""Fixtures: a media server on loopback and participants that join its sessions."""

from __future__ import annotations

import pytest

from virtual_office.media import MediaServer

from .peers import LOOPBACK, Client


@pytest.fixture
async def media():
    server = MediaServer(LOOPBACK)
    yield server
    await server.close()


@pytest.fixture
async def visit(media):
    """A session and a factory for admitted, connected participants."""
    clients: dict[str, Client] = {}

    async def on_signal(participant_id: str, message: dict) -> None:
        await clients[participant_id].on_signal(message)

    session = media.open_session("visit-1", on_signal)

    async def join(participant_id: str, colour: str, *, admit: bool = True, connect: bool = True) -> Client:
        if admit:
            session.admit(participant_id)
        client = clients[participant_id] = Client(session, participant_id, colour)
        if connect:
            await client.connect()
        return client

    join.session = session
    join.clients = clients
    yield join
    for client in clients.values():
        await client.close()
