"""The end-to-end key relay over /visit: to the one member named, of the declared shape, not too often (docs/e2ee.md)."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio

from tests.server.conftest import ServerProcess, join
from tests.server.test_realtime import CITIZEN, CLERK, citizen, clerk
from tests.server.test_visit import VISIT, _clerks, visit_client
from virtual_office.queue import OfficeDirectory, Presence, WaitingRoom
from virtual_office.server.visit.keys import BURST

PUBLIC = "B" + "A" * 86  # the length of a base64url P-256 public key; the server never reads it
NONCE = "bm9uY2Vub25jZW5vbmNl"
COMMIT = "Y29tbWl0" * 5 + "abc"  # the length of a base64url SHA-256


async def test_a_key_message_reaches_the_named_member_only_stamped_with_its_sender(
        server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis) -> None:
    desk = await clerk(clients, server, "bea", available=("buergerbuero",))
    ticket = await join(server, "buergerbuero")
    visit = (await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"}))["ticket"]["id"]
    assert (await (await citizen(clients, server, ticket["token"])).call(CITIZEN, "accept"))["ok"]
    inside = await visit_client(clients, server, visit, token=ticket["token"])
    serving = await visit_client(clients, server, visit, clerk_name="bea")
    room = WaitingRoom(redis_client, OfficeDirectory(redis_client), Presence(redis_client))
    anna_id = next(c["id"] for c in await _clerks(redis_client) if c["login"] == "anna")
    await room.add_guest("buergerbuero", visit, anna_id, limit=3)
    guest = await visit_client(clients, server, visit, clerk_name="anna")
    bea = (await serving.call(VISIT, "whoami"))["participant"]

    sent = {"to": bea, "kind": "key", "public": PUBLIC, "sealed": "c2VhbGVk"}
    assert await inside.call(VISIT, "key", sent) == {"ok": True}
    assert await serving.wait_for("key") == {"from": "citizen", "kind": "key", "public": PUBLIC, "sealed": "c2VhbGVk"}
    assert await guest.call(VISIT, "key", {"to": "citizen", "kind": "commit", "commit": COMMIT}) == {"ok": True}
    assert await inside.wait_for("key") == {"from": f"clerk:{anna_id}", "kind": "commit", "commit": COMMIT}
    assert await guest.call(VISIT, "key", {"to": "citizen", "kind": "hello", "public": PUBLIC, "nonce": NONCE}) == {"ok": True}
    assert await inside.wait_for("key", lambda m: m["kind"] == "hello") == {
        "from": f"clerk:{anna_id}", "kind": "hello", "public": PUBLIC, "nonce": NONCE}

    # Refused, and nothing relayed: a non-member, oneself, bytes that are not base64url, a field not declared, too long,
    # fields that do not fit the kind (a commitment that reveals, a reveal without its nonce, a key without a seal).
    refused = [
        {"to": "clerk:nobody", "kind": "hello", "public": PUBLIC, "nonce": NONCE},
        {"to": "citizen", "kind": "hello", "public": PUBLIC, "nonce": NONCE},
        {"to": bea, "kind": "hello", "public": "not base64+/=", "nonce": NONCE},
        {"to": bea, "kind": "hello", "public": PUBLIC, "nonce": NONCE, "name": "Erika"},
        {"to": bea, "kind": "key", "public": PUBLIC, "sealed": "A" * 201},
        {"to": bea, "kind": "ciphertext", "public": PUBLIC},
        {"to": bea, "kind": "commit", "commit": COMMIT, "public": PUBLIC},
        {"to": bea, "kind": "commit"},
        {"to": bea, "kind": "hello", "public": PUBLIC},
        {"to": bea, "kind": "key", "public": PUBLIC},
    ]
    for message in refused:
        answer = await inside.call(VISIT, "key", message)
        assert answer["ok"] is False and answer["error"] == "bad_request", (message, answer)

    # The colleague let go: no longer reachable, and no longer able to send.
    await room.remove_guest("buergerbuero", visit, anna_id)
    answer = await inside.call(VISIT, "key", {"to": f"clerk:{anna_id}", "kind": "commit", "commit": COMMIT})
    assert answer["ok"] is False and answer["error"] == "bad_request"
    answer = await guest.call(VISIT, "key", {"to": "citizen", "kind": "commit", "commit": COMMIT})
    assert answer["ok"] is False
    await asyncio.sleep(0.3)
    assert len(serving.of("key")) == 1 and len(inside.of("key")) == 2 and guest.of("key") == []


async def test_a_connection_that_sends_more_key_messages_than_a_browser_is_held_back(
        server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "bea", available=("buergerbuero",))
    ticket = await join(server, "buergerbuero")
    visit = (await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"}))["ticket"]["id"]
    assert (await (await citizen(clients, server, ticket["token"])).call(CITIZEN, "accept"))["ok"]
    inside = await visit_client(clients, server, visit, token=ticket["token"])
    serving = await visit_client(clients, server, visit, clerk_name="bea")
    bea = (await serving.call(VISIT, "whoami"))["participant"]
    hello = {"to": bea, "kind": "hello", "public": PUBLIC, "nonce": NONCE}
    for _ in range(BURST):
        assert await inside.call(VISIT, "key", hello) == {"ok": True}
    answer = await inside.call(VISIT, "key", hello)
    assert answer["ok"] is False and answer["error"] == "too_many"
    # another connection (the clerk's) is not held back by it
    assert await serving.call(VISIT, "key", {"to": "citizen", "kind": "commit", "commit": COMMIT}) == {"ok": True}
    await asyncio.sleep(0.3)
    assert len(serving.of("key")) == BURST


async def test_a_browser_that_cannot_encrypt_is_refused_or_the_serving_clerk_decides_for_this_call_only(
        server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis) -> None:
    import dataclasses

    offices = OfficeDirectory(redis_client)
    desk = await clerk(clients, server, "bea", available=("buergerbuero",))

    async def visit_of(token: str) -> tuple[str, Any, Any]:
        visit = (await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"}))["ticket"]["id"]
        assert (await (await citizen(clients, server, token)).call(CITIZEN, "accept"))["ok"]
        return visit, await visit_client(clients, server, visit, token=token), await visit_client(clients, server, visit, clerk_name="bea")

    # The office refuses (the default): the clerk learns whose browser it is, and may not allow it.
    ticket = await join(server, "buergerbuero")
    visit, inside, serving = await visit_of(ticket["token"])
    answer = await inside.call(VISIT, "cannot_encrypt")
    assert answer == {"ok": True, "policy": "refuse", "e2ee": True, "cannot_encrypt": ["citizen"]}
    assert await serving.wait_for("encryption") == {"e2ee": True, "cannot_encrypt": ["citizen"]}
    answer = await serving.call(VISIT, "allow_unencrypted")
    assert answer["ok"] is False and answer["error"] == "forbidden"
    assert (await serving.call(VISIT, "encryption"))["e2ee"] is True
    assert (await desk.call(CLERK, "finish", {"office_id": "buergerbuero", "ticket_id": visit}))["ok"]

    # The clerk decides: not the citizen; the serving clerk holds this call's video unencrypted, every member hears it.
    await offices.save(dataclasses.replace(await offices.get("buergerbuero"), unencrypted_video="clerk"))
    await asyncio.sleep(5.5)  # the server's copy of the office is at most 5 s old
    ticket = await join(server, "buergerbuero")
    visit, inside, serving = await visit_of(ticket["token"])
    assert (await inside.call(VISIT, "cannot_encrypt"))["policy"] == "clerk"
    answer = await inside.call(VISIT, "allow_unencrypted")
    assert answer["ok"] is False and answer["error"] == "forbidden"
    assert await serving.call(VISIT, "allow_unencrypted") == {"ok": True, "e2ee": False, "cannot_encrypt": ["citizen"]}
    assert await inside.wait_for("encryption", lambda d: d["e2ee"] is False) == {"e2ee": False, "cannot_encrypt": ["citizen"]}
    assert (await inside.call(VISIT, "encryption"))["e2ee"] is False

    # Sent back and called again: a new visit, encrypted again, nobody's browser named.
    assert (await desk.call(CLERK, "send_back", {"office_id": "buergerbuero", "ticket_id": visit}))["ok"]
    again, inside, _ = await visit_of(ticket["token"])
    assert again == visit
    assert await inside.call(VISIT, "encryption") == {"ok": True, "e2ee": True, "cannot_encrypt": []}
