"""Every inbound event and body has a declared schema, and a payload of another shape reaches no handler."""

from __future__ import annotations

import inspect
import re
import typing
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.conftest import RedisServer
from tests.server.conftest import ServerProcess, join, login
from tests.server.test_exchange import start_visit
from tests.server.test_realtime import citizen, clerk
from virtual_office.queue import keys
from virtual_office.server.app import create_app
from virtual_office.server.console.schemas import Announcement, TicketAction
from virtual_office.server.protocol import CITIZEN, CLERK, PUBLIC, VISIT
from virtual_office.server.schemas import BadPayload, parse
from virtual_office.server.visit.exchange.schemas import IdChecked
from virtual_office.server.visit.schemas import Signal
from virtual_office.server.waiting_room.schemas import Join
from virtual_office.settings import Settings

DOCS = Path(__file__).parents[2] / "docs" / "events.md"


def documented_events() -> dict[str, set[str]]:
    """Namespace -> the client → server events docs/events.md lists for it."""
    found: dict[str, set[str]] = {}
    namespace = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading = re.match(r"## `(/\w+)`", line)
            namespace = heading.group(1) if heading else None
            if namespace:
                found[namespace] = set()
        row = re.match(r"\| client → server \| `(\w+)` \|", line)
        if row and namespace:
            found[namespace].add(row.group(1))
    return found


def test_every_event_has_one_schema_one_handler_and_its_line_in_the_docs(redis_server: RedisServer, tmp_path: Path) -> None:
    app = create_app(Settings(redis_url=redis_server.url, secret_key="x" * 32, data_dir=tmp_path))
    namespaces = app.other_asgi_app.state.sio.namespace_handlers
    documented = documented_events()
    assert set(namespaces) == set(documented) == {"/public", "/citizen", "/clerk", "/visit"}
    for name, namespace in namespaces.items():
        handlers = namespace.handlers()
        assert set(handlers) == set(namespace.events), f"{name}: handlers without a schema, or schemas without a handler"
        assert set(namespace.events) == documented[name], f"{name}: docs/events.md lists other events"
        for event, handler in handlers.items():
            payload = list(inspect.signature(handler).parameters)[-1]
            declared = typing.get_type_hints(handler)[payload]
            assert declared is namespace.events[event], f"{name} {event}: the handler takes {declared}, the schema is {namespace.events[event]}"


@pytest.mark.parametrize(
    "schema,data,field",
    [
        (TicketAction, {"office_id": "buergerbuero", "ticket_id": 1234567890123456}, "ticket_id"),
        (TicketAction, {"office_id": ["buergerbuero"], "ticket_id": "0123456789abcdef"}, "office_id"),
        (TicketAction, {"office_id": "buergerbuero"}, "ticket_id"),
        (TicketAction, {"office_id": "buergerbuero", "ticket_id": "x", "extra": 1}, None),
        (IdChecked, {"checked": 1}, "checked"),
        (IdChecked, {"checked": "true"}, "checked"),
        (Announcement, {"office_id": "buergerbuero", "text": " \n "}, "text"),
        (Announcement, {"office_id": "buergerbuero", "text": "x" * 501}, "text"),
        (Join, {"name": 7}, "name"),
        (Join, {"name": "x" * 81}, "name"),
        (Join, {"language": ["de"]}, "language"),
        (Signal, {"type": "offer"}, "sdp"),
        (Signal, {"type": "bye"}, "type"),
        (Signal, {"type": "candidate", "candidate": "candidate:1", "sdpMLineIndex": "0"}, "sdpMLineIndex"),
        (Signal, {"type": "offer", "sdp": "v=0", "sources": {"0": "webcam"}}, "sources"),
        (Signal, {"type": "answer", "sdp": "v=0", "sources": {}}, "sources"),  # an offer's field, not an answer's
    ],
)
def test_no_coercion_and_no_undeclared_fields(schema: Any, data: dict[str, Any], field: str | None) -> None:
    """Strict: "1" is no number and 1 no text; the refusal names the declared field, never a value."""
    with pytest.raises(BadPayload) as refused:
        parse(schema, data)
    assert refused.value.field == field and refused.value.code == "bad_request"


def test_payloads_arrive_as_the_handler_uses_them() -> None:
    assert parse(Announcement, {"office_id": "buergerbuero", "text": "  Gleich geht es weiter \n"}).text == "Gleich geht es weiter"
    assert parse(Join, {"name": "  Erika   Mustermann "}).name == "Erika Mustermann"
    candidate = parse(Signal, {"type": "candidate", "candidate": "candidate:1", "sdpMid": "0", "sdpMLineIndex": 0})
    assert candidate.message() == {"type": "candidate", "candidate": "candidate:1", "sdpMid": "0", "sdpMLineIndex": 0}


async def test_call_next_naming_a_ticket_calls_nobody(server: ServerProcess, clients: Any) -> None:
    """call_next takes no ticket: one sent with it was ignored and the first in line called instead."""
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    first = await join(server, "buergerbuero")
    second = await join(server, "buergerbuero")
    await citizen(clients, server, first["token"])
    await citizen(clients, server, second["token"])
    meant = second["token"].split(".")[0]
    answer = await desk.call(CLERK, "call_next", {"office_id": "buergerbuero", "ticket_id": meant})
    assert answer["ok"] is False and answer["error"] == "bad_request" and "field" not in answer
    queue = await desk.wait_for("queue", lambda d: len(d["tickets"]) == 2)
    assert [t["state"] for t in queue["tickets"]] == ["waiting", "waiting"]


async def test_leave_naming_another_ticket_leaves_nothing(server: ServerProcess, clients: Any, redis_client: Any) -> None:
    """leave takes no token (the connection's own ticket leaves): one sent with it was ignored, and the sender left."""
    await clerk(clients, server, "anna", available=("buergerbuero",))
    mine = await join(server, "buergerbuero")
    other = await join(server, "buergerbuero")
    person = await citizen(clients, server, mine["token"])
    answer = await person.call(CITIZEN, "leave", {"token": other["token"]})
    assert answer["ok"] is False and answer["error"] == "bad_request"
    assert (await person.call(CITIZEN, "heartbeat"))["ok"]
    for joined in (mine, other):
        assert await redis_client.exists(keys.ticket("buergerbuero", joined["token"].split(".")[0]))


async def test_a_chat_message_with_an_undeclared_recipient_reaches_nobody(server: ServerProcess, clients: Any) -> None:
    """Chat goes to everyone in the visit: a message meant for one ("to") was sent to all."""
    v = await start_visit(server, clients)
    answer = await v.person.call(VISIT, "chat", {"text": "Nur für die Sachbearbeiterin", "to": "clerk"})
    assert answer["ok"] is False and answer["error"] == "bad_request"
    assert (await v.desk.call(VISIT, "exchange"))["chat"] == []
    wrong = await v.desk.call(VISIT, "id_checked", {"checked": "false"})
    assert wrong["error"] == "bad_request" and wrong["field"] == "checked"


async def test_bodies_of_the_wrong_shape_are_400_bad_request(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        typo = await http.post("/api/offices/buergerbuero/tickets", json={"name": "Max", "lang": "en"})
        assert typo.status_code == 400 and typo.json()["error"] == "bad_request" and "field" not in typo.json()
        number = await http.post("/api/offices/buergerbuero/tickets", json={"name": 7})
        assert number.status_code == 400 and number.json()["field"] == "name"
        password = await http.post("/api/login", json={"login": "anna", "password": ["correct horse battery"]})
        assert password.status_code == 400 and password.json() | {"message": ""} == {
            "ok": False, "error": "bad_request", "message": "", "field": "password"}
        offer = await http.post("/api/connection-check", json={"type": "offer", "sdp": 7}, headers={"Origin": server.url})
        assert offer.status_code == 400 and offer.json()["error"] == "bad_request" and offer.json()["field"] == "sdp"
    assert await login(server, "anna")  # the account was not locked by any of this


def test_every_namespace_declares_what_it_takes_on_connect(redis_server: RedisServer, tmp_path: Path) -> None:
    app = create_app(Settings(redis_url=redis_server.url, secret_key="x" * 32, data_dir=tmp_path))
    for name, namespace in app.other_asgi_app.state.sio.namespace_handlers.items():
        declared = typing.get_type_hints(namespace.on_connect)["auth"]
        assert declared is namespace.connect_schema, f"{name}: on_connect takes {declared}, connect_schema is {namespace.connect_schema}"


@pytest.mark.parametrize(
    "namespace,auth",
    [
        (PUBLIC, {"offices": "buergerbuero"}),  # one id, not a list: every office was shown
        (PUBLIC, {"lang": "de", "preview": True}),
        (CITIZEN, {"token": 1234}),
        (CLERK, {"lang": ["de"]}),
        (VISIT, {"visit": {"$gt": ""}}),
        (VISIT, {"visit": "x" * 41}),
    ],
)
async def test_a_connect_of_another_shape_is_refused_with_bad_request(server: ServerProcess, clients: Any, namespace: str, auth: Any) -> None:
    cookie = await login(server, "anna")
    c = clients()
    refusals: list[Any] = []
    c.sio.on("connect_error", refusals.append, namespace=namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect(server, namespace, auth=auth, headers={"Origin": server.url, "Cookie": cookie})
    assert [r["message"] for r in refusals] == ["bad_request"], refusals


async def test_the_widget_naming_one_office_sees_that_office(server: ServerProcess, clients: Any) -> None:
    widget = clients()
    await widget.connect(server, PUBLIC, auth={"lang": "en-GB", "offices": ["buergerbuero", "no-such-office"]}, headers={"Origin": server.url})
    assert [o["id"] for o in (await widget.wait_for("offices"))["offices"]] == ["buergerbuero"]
