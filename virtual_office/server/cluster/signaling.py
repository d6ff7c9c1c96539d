"""The media of a visit across nodes: each visit's session lives on its home node.

The first offer homes the visit on the live node that holds the fewest visits
(``least_loaded``), claimed atomically under the visit's hash tag (``CLAIM``). Any node
that carries a member's connection sends that member's signaling to the home over the
command channels; the home delivers its own messages to the carrying socket through
socket.io's Redis manager, from whichever node. Which tab carries whose media is in
Redis, so a second tab on another node still takes over.

A home that is gone (its command channel has no listener) loses its visits' media only:
the next offer of a member re-homes the visit by the same choice, and the other members
are told (``media_moved``) to start their connections over. A node chosen that does not
answer (it died since its last heartbeat) gives the visit back to the node that chose it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import redis.asyncio
import socketio

from virtual_office.media import MediaError, MediaServer
from virtual_office.server.cluster import keys
from virtual_office.server.cluster.commands import GONE_SECONDS, CommandChannel, NodeGone, NodeTimeout
from virtual_office.server.cluster.node import NodeInfo, alive, live_nodes
from virtual_office.server.protocol import VISIT, participant_room, visit_room
from virtual_office.server.visit.membership import Member
from virtual_office.server.visit.signaling import _MEDIA_ERRORS, Signaling, media_error

log = logging.getLogger(__name__)

HOME_SECONDS = 24 * 3600
"""A visit's home and connection keys outlive no visit; the visit's end deletes them sooner."""

CLAIM = """
local current = redis.call('GET', KEYS[1])
if not current or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return {ARGV[2], 1}
end
return {current, 0}
"""
"""Home the visit on ARGV[2] unless it has a home other than ARGV[1] (a home found gone);
returns the home and whether this call set it."""

DROP_CARRIER = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""
"""Forget who carries a participant's media, if it is still this connection."""

LET_GO = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
"""Drop the visit's home if it is still this node."""


def least_loaded(nodes: Iterable[NodeInfo], here: str, homed_here: int, *, gone: str = "") -> str:
    """The node to home a visit on: the live node that holds the fewest visits, ``here`` on a tie.

    Connections are spread by whoever accepts them (the kernel gives ``--workers``' next
    connection to whichever process waits in accept first; a proxy counts connections), not
    by what they cost, so homing a visit where its first offer arrived could pile the media,
    which is the work, onto one process while another idles. A tie stays here: the offer
    needs no hop, and a single node behaves as it always did. The others' counts are their
    heartbeats' (a node beats at once when it takes a visit); this node's own is exact.
    ``gone`` is a node just found dead, whose heartbeat may not have run out yet. A node
    without a registration (this one, on its way out) or that takes no visits (signaling
    only) is chosen only when no other node can be: the visit comes up here then.
    """
    load = {node.id: len(node.visits) for node in nodes if node.id != gone and node.takes_visits}
    if here in load:
        load[here] = homed_here
    return min(load, key=lambda node: (load[node], node != here)) if load else here


class ClusterSignaling(Signaling):
    """``Signaling`` for a node among several: the same calls, the session on the visit's home."""

    def __init__(self, media: MediaServer, sio: socketio.AsyncServer, client: redis.asyncio.Redis,
                 node_id: str, commands: CommandChannel, *, changed: Callable[[], Awaitable[None]] | None = None) -> None:
        super().__init__(media, sio)
        self._redis = client
        self.node_id = node_id
        self._commands = commands
        self._homed: set[str] = set()
        """Visits whose session this node holds."""
        self._delivering: dict[tuple[str, str], asyncio.Lock] = {}
        """(visit, participant) -> the lock that keeps the home's messages to them in order."""
        self._changed = changed
        """Called when the visits homed here change (the node beats, so the others' choice sees it)."""
        commands.serve(self._at_home)

    def homed(self) -> list[str]:
        return list(self._homed)

    # The node that carries a member's connection.

    async def joined(self, sid: str, member: Member) -> None:
        """A member connected here: known to every node; admitted at the home if there is one."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sadd(keys.connections(member.visit_id), f"{self.node_id} {sid} {member.participant}")
            pipe.expire(keys.connections(member.visit_id), HOME_SECONDS)
            await pipe.execute()
        await self._sio.enter_room(sid, participant_room(member.visit_id, member.participant), namespace=VISIT)
        await self._to_home(member.visit_id, {"op": "admit", "participant": member.participant}, offer=False)

    async def left(self, sid: str, visit_id: str, participant: str) -> None:
        """A member's connection here closed: their media stops; the last one out lets the session go."""
        await self._redis.srem(keys.connections(visit_id), f"{self.node_id} {sid} {participant}")
        if await self._redis.eval(DROP_CARRIER, 1, keys.carriers(visit_id), participant, sid):  # type: ignore[misc]
            await self._to_home(visit_id, {"op": "disconnect", "participant": participant}, offer=False)
        if not await self._present(visit_id):
            await self.forget(visit_id)

    async def _present(self, visit_id: str) -> bool:
        """Whether any member is connected to a live node."""
        return bool(await self._live_connections(visit_id))

    async def connected(self, visit_id: str) -> set[str]:
        """The participants with a connection to a live node, on any node."""
        return {parts[2] for parts in (e.split(" ", 2) for e in await self._live_connections(visit_id)) if len(parts) == 3}

    async def _live_connections(self, visit_id: str) -> list[str]:
        """The visit's connections ('node sid participant') on live nodes; those of dead nodes are dropped."""
        entries = [str(e) for e in await self._redis.smembers(keys.connections(visit_id))]
        nodes = {entry.split(" ", 1)[0] for entry in entries}
        gone = {n for n in nodes if n != self.node_id and not await alive(self._redis, n)}
        stale = [e for e in entries if e.split(" ", 1)[0] in gone]
        if stale:
            await self._redis.srem(keys.connections(visit_id), *stale)
        return [e for e in entries if e not in stale]

    async def forget(self, visit_id: str) -> None:
        """Close the visit's media session on its home and forget who carried it."""
        home = await self._home(visit_id)
        await self._redis.delete(keys.home(visit_id), keys.carriers(visit_id), keys.connections(visit_id))
        if home and home != self.node_id:
            try:
                await self._commands.request(home, {"op": "forget", "visit": visit_id})
            except (NodeGone, NodeTimeout):
                pass  # gone with its sessions, or it lets the session go when its answer timer ends it
        await self._close_here(visit_id)

    async def signal(self, sid: str, member: Member, data: dict[str, Any], lang: str) -> dict[str, Any]:
        """A signaling message from the member's browser, for the visit's home."""
        carriers = keys.carriers(member.visit_id)
        carrier = await self._redis.hget(carriers, member.participant)
        if carrier != sid:
            if data.get("type") != "offer":
                return media_error("replaced" if carrier else "offer_first", lang)
            await self._redis.hset(carriers, member.participant, sid)
            await self._redis.expire(carriers, HOME_SECONDS)
            if carrier is not None:
                await self._sio.emit("replaced", {}, to=carrier, namespace=VISIT)
        result = await self._to_home(
            member.visit_id, {"op": "signal", "participant": member.participant, "message": data},
            offer=data.get("type") == "offer", sid=sid,
        )
        return {"ok": True} if result.get("ok") else media_error(str(result.get("error", "media")), lang)

    async def remove(self, visit_id: str, participant: str) -> None:
        """A participant may no longer take part: their media stops now, on the home."""
        await self._to_home(visit_id, {"op": "remove", "participant": participant}, offer=False)

    async def _to_home(self, visit_id: str, command: dict[str, Any], *, offer: bool, sid: str | None = None) -> dict[str, Any]:
        """Run ``command`` at the visit's home; an offer homes a visit that has none (or whose home is gone)."""
        command = {**command, "visit": visit_id}
        home = await self._home(visit_id)
        chosen = False  # this node just homed the visit on `home`, and takes it back if that node fails
        if home is None:
            if not offer:
                return {"ok": False, "error": "offer_first"}  # no session yet: the first offer opens it
            home, chosen = await self._claim(visit_id, "", await self._choose())
        for _ in range(3):
            if home == self.node_id:
                return await self._at_home(command)
            try:
                return await self._commands.request(home, command)
            except (NodeGone, NodeTimeout) as exc:
                failed = home
                if chosen:
                    # Gone (or stuck) since its last heartbeat: this node takes the visit, so it still comes up.
                    log.warning("visit media: node %s, chosen as a home, did not answer; the visit comes here", failed)
                    home, chosen = await self._claim(visit_id, failed, self.node_id)
                    if isinstance(exc, NodeTimeout):
                        await self._forget_at(failed, visit_id)
                elif isinstance(exc, NodeTimeout):
                    log.warning("visit media: node %s did not answer", failed)
                    return {"ok": False, "error": "media_unreachable"}
                elif not offer:
                    return {"ok": False, "error": "offer_first"}
                else:
                    home, chosen = await self._claim(visit_id, failed, await self._choose(gone=failed))
                    if chosen:
                        log.info("visit media: node %s is gone, its visit moves to node %s", failed, home)
                        await self._sio.emit("media_moved", {}, room=visit_room(visit_id), skip_sid=sid, namespace=VISIT)
        return {"ok": False, "error": "media_unreachable"}

    async def _choose(self, gone: str = "") -> str:
        return least_loaded(await live_nodes(self._redis), self.node_id, len(self._homed), gone=gone)

    async def _home(self, visit_id: str) -> str | None:
        home = await self._redis.get(keys.home(visit_id))
        return None if home is None else str(home)

    async def _claim(self, visit_id: str, gone: str, node_id: str) -> tuple[str, bool]:
        home, claimed = await self._redis.eval(CLAIM, 1, keys.home(visit_id), gone, node_id, str(HOME_SECONDS))  # type: ignore[misc]
        return str(home), bool(claimed)

    async def _forget_at(self, node_id: str, visit_id: str) -> None:
        """Ask a node that lost the visit to close a session it may have opened late (if it listens)."""
        try:
            await self._commands.request(node_id, {"op": "forget", "visit": visit_id}, timeout=GONE_SECONDS)
        except (NodeGone, NodeTimeout):
            pass  # its session ends by itself: nobody answers it (``_deliver`` sends nothing once the visit left)

    # The home node.

    async def _at_home(self, command: dict[str, Any]) -> dict[str, Any]:
        """One request for a visit homed here (from this node or another)."""
        op, visit_id = command.get("op"), str(command.get("visit"))
        participant = str(command.get("participant", ""))
        if op == "forget":
            await self._close_here(visit_id)
            return {"ok": True}
        try:
            if op == "signal":
                message = command.get("message")
                if not isinstance(message, dict):
                    return {"ok": False, "error": "bad_request"}
                session = self._session(visit_id)
                if visit_id not in self._homed:
                    self._homed.add(visit_id)
                    await self._changed_homes()
                session.admit(participant)  # membership was re-checked by the carrying node just now
                await session.signal(participant, message)
                return {"ok": True}
            existing = self._media.get(visit_id)
            if existing is None or existing.closed:
                return {"ok": True}  # nothing here to admit or stop: the next offer opens the session
            if op == "admit":
                existing.admit(participant)
            elif op == "disconnect":
                await existing.disconnect(participant)
            elif op == "remove":
                await existing.remove(participant)
            else:
                return {"ok": False, "error": "bad_request"}
        except MediaError as exc:
            code = next((c for kind, c in _MEDIA_ERRORS.items() if isinstance(exc, kind)), "media")
            return {"ok": False, "error": code}
        return {"ok": True}

    async def _deliver(self, visit_id: str, participant: str, message: dict[str, Any]) -> None:
        # In the order the session sent them: an offer that overtook the answer before it would be
        # ignored by the browser (and the server would give up waiting for its answer).
        async with self._delivering.setdefault((visit_id, participant), asyncio.Lock()):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(keys.home(visit_id))
                pipe.hget(keys.carriers(visit_id), participant)
                home, sid = await pipe.execute()
            # A node that answered too late, after the visit went elsewhere, must not talk over the new home.
            if home == self.node_id and sid is not None:
                await self._sio.emit("signal", message, to=sid, namespace=VISIT)

    async def hand_over(self) -> None:
        """This node stops: its visits lose their home, and their members start over at once
        (their next offer homes the visit anew) rather than when ICE notices."""
        for visit_id in list(self._homed):
            if await self._redis.eval(LET_GO, 1, keys.home(visit_id), self.node_id):  # type: ignore[misc]
                await self._sio.emit("media_moved", {}, room=visit_room(visit_id), namespace=VISIT)
            await self._close_here(visit_id)

    async def _close_here(self, visit_id: str) -> None:
        homed = visit_id in self._homed
        self._homed.discard(visit_id)
        for key in [k for k in self._delivering if k[0] == visit_id]:
            del self._delivering[key]
        await self._media.close_session(visit_id)
        if homed:
            await self._changed_homes()

    async def _changed_homes(self) -> None:
        if self._changed is not None:
            await self._changed()


__all__ = ["ClusterSignaling"]
