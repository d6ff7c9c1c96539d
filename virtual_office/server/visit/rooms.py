"""Taking connections out of a visit's rooms, so that nothing of a later visit reaches them.

A visit's rooms are named after its ticket, and a ticket sent back and called again
starts a new visit with the same id: whoever was in the old one must not hear the new.
"""

from __future__ import annotations

import socketio

from virtual_office.server.i18n import LANGUAGES
from virtual_office.server.protocol import VISIT, participant_room, record_room, visit_room


def visit_rooms(visit_id: str) -> list[str]:
    """Every room a member of the visit may be in."""
    return [visit_room(visit_id), *(record_room(visit_id, lang) for lang in LANGUAGES)]


async def close_visit_rooms(sio: socketio.AsyncServer, visit_id: str) -> None:
    """Empty every room of the visit, in every process."""
    for room in visit_rooms(visit_id):
        await sio.close_room(room, namespace=VISIT)


async def evict(sio: socketio.AsyncServer, visit_id: str, participant: str) -> None:
    """Take one participant's connections (in this process, where the visit lives) out of the visit's rooms."""
    own = participant_room(visit_id, participant)
    sids = [sid for sid, _ in sio.manager.get_participants(VISIT, own)]
    for sid in sids:
        for room in [*visit_rooms(visit_id), own]:
            await sio.leave_room(sid, room, namespace=VISIT)


__all__ = ["close_visit_rooms", "evict", "visit_rooms"]
