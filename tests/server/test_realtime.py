"""Each transition through real socket.io clients against a running server."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import socketio

from tests.server.conftest import Client, ServerProcess, join, login, seed
from virtual_office.queue import ClerkDirectory, keys

PUBLIC, CITIZEN, CLERK = "/public", "/citizen", "/clerk"


async def clerk(clients: Any, server: ServerProcess, name: str, *, available: tuple[str, ...] = ()) -> Client:
    c = clients()
    await c.connect(server, CLERK, headers={"Cookie": await login(server, name)})
    for office in available:
        assert await c.call(CLERK, "presence", {"office_id": office, "presence": "available"}) == {"ok": True}
    return c


async def citizen(clients: Any, server: ServerProcess, token: str) -> Client:
    c = clients()
    await c.connect(server, CITIZEN, auth={"token": token, "lang": "de"})
    return c


async def test_public_status_goes_open_when_a_clerk_is_available(server: ServerProcess, clients: Any) -> None:
    watcher = clients()
    await watcher.connect(server, PUBLIC, auth={"offices": ["buergerbuero"], "lang": "en"})
    first = await watcher.wait_for("offices")
    assert [o["id"] for o in first["offices"]] == ["buergerbuero"]
    assert first["offices"][0]["status"] == "closed" and first["offices"][0]["estimate"] is None
    await clerk(clients, server, "anna", available=("buergerbuero",))
    status = await watcher.wait_for("office_status", lambda d: d["status"] == "open")
    assert status["id"] == "buergerbuero" and status["can_join"] is True and isinstance(status["at"], int)
    # Only the office asked for is pushed.
    assert all(d["id"] == "buergerbuero" for d in watcher.of("office_status"))


async def test_a_burst_of_joins_becomes_few_status_updates(server: ServerProcess, clients: Any) -> None:
    await clerk(clients, server, "anna", available=("buergerbuero",))
    watcher = clients()
    await watcher.connect(server, PUBLIC, auth={"offices": ["buergerbuero"]})
    await watcher.wait_for("office_status", lambda d: d["status"] == "open")
    before = len(watcher.of("office_status"))
    await asyncio.gather(*(join(server, "buergerbuero") for _ in range(30)))
    await watcher.wait_for("office_status", lambda d: d["waiting"] == 30)
    await asyncio.sleep(0.3)
    updates = len(watcher.of("office_status")) - before
    assert 1 <= updates < 30


async def test_citizens_see_their_place_move_and_being_called(server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    a = await join(server, "buergerbuero", name="Erika", concern="Personalausweis")
    b = await join(server, "buergerbuero")
    assert a["ticket"]["number"] == "B-001" and b["ticket"]["position"] == 2
    citizen_a = await citizen(clients, server, a["token"])
    citizen_b = await citizen(clients, server, b["token"])
    assert (await citizen_b.wait_for("ticket"))["ahead"] == 1
    queue = await desk.wait_for("queue", lambda d: len(d["tickets"]) == 2 and all(t["online"] for t in d["tickets"]))
    assert [t["number"] for t in queue["tickets"]] == ["B-001", "B-002"]
    assert queue["tickets"][0]["name"] == "Erika" and queue["tickets"][0]["concern"] == "Personalausweis"

    called = await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    assert called["ok"] and called["ticket"]["number"] == "B-001"
    call = await citizen_a.wait_for("ticket", lambda d: d["state"] == "called")
    assert call["call"]["seconds_left"] >= 1 and call["call"]["visit_url"].startswith("/visit/")
    assert (await citizen_b.wait_for("ticket", lambda d: d["position"] == 1))["ahead"] == 0

    accepted = await citizen_a.call(CITIZEN, "accept")
    assert accepted["ok"] and accepted["visit_url"] == call["call"]["visit_url"]
    assert (await desk.wait_for("visit", lambda d: d["state"] == "in_visit"))["ticket"]["number"] == "B-001"

    ticket_id = called["ticket"]["id"]
    # A colleague on duty in the same office cannot end, send back or move this clerk's visit.
    colleague = await clerk(clients, server, "bea", available=("buergerbuero",))
    for action, extra in (("finish", {}), ("send_back", {}), ("no_show", {}), ("transfer", {"target_office_id": "kfz"})):
        refused = await colleague.call(CLERK, action, {"office_id": "buergerbuero", "ticket_id": ticket_id, **extra})
        assert refused["error"] == "forbidden", (action, refused)
    assert await desk.call(CLERK, "finish", {"office_id": "buergerbuero", "ticket_id": ticket_id}) == {"ok": True}
    assert (await citizen_a.wait_for("ended"))["reason"] == "finished"
    again = await desk.call(CLERK, "finish", {"office_id": "buergerbuero", "ticket_id": ticket_id})
    assert again["ok"] is False and again["error"] == "unknown_ticket" and again["message"]


async def test_double_click_on_call_next_calls_one_person(server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    for _ in range(3):
        await join(server, "buergerbuero")
    results = await asyncio.gather(*(desk.call(CLERK, "call_next", {"office_id": "buergerbuero"}) for _ in range(5)))
    assert len({r["ticket"]["id"] for r in results}) == 1
    queue = await desk.wait_for("queue", lambda d: any(t["state"] == "called" for t in d["tickets"]))
    await asyncio.sleep(0.2)
    queue = desk.of("queue")[-1]
    assert sorted(t["state"] for t in queue["tickets"]) == ["called", "waiting", "waiting"]


async def test_no_show_after_the_time_limit(server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    a = await join(server, "buergerbuero")
    b = await join(server, "buergerbuero")
    citizen_a = await citizen(clients, server, a["token"])
    called = await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    assert called["ticket"]["number"] == a["ticket"]["number"]
    # The call times out after 2 s; the sweeper ends it and tells both sides.
    assert (await citizen_a.wait_for("ended", timeout=10))["reason"] == "no_show"
    ended = await desk.wait_for("visit", lambda d: d["state"] == "ended", timeout=10)
    assert ended["reason"] == "no_show"
    late = await citizen_a.call(CITIZEN, "accept")
    assert late["ok"] is False and late["error"] == "unknown_ticket"
    nxt = await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    assert nxt["ticket"]["number"] == b["ticket"]["number"]


async def test_a_clerk_is_never_kept_waiting_by_a_citizen_who_is_gone(server: ServerProcess, clients: Any) -> None:
    """Call next passes over a disconnected citizen (who keeps the place), and a call can be withdrawn at once."""
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    gone, here = await join(server, "buergerbuero"), await join(server, "buergerbuero")
    first = await citizen(clients, server, gone["token"])
    second = await citizen(clients, server, here["token"])
    await first.wait_for("ticket")
    await first.close()  # the first in line closes the tab
    await desk.wait_for("queue", lambda d: len(d["tickets"]) == 2 and d["tickets"][0]["online"] is False)
    called = await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    assert called["ticket"]["number"] == here["ticket"]["number"]
    # The clerk withdraws the call straight away: the citizen is told, the clerk is free.
    assert (await desk.call(CLERK, "no_show", {"office_id": "buergerbuero", "ticket_id": called["ticket"]["id"]}))["ok"]
    assert (await second.wait_for("ended"))["reason"] == "no_show"
    # The one who left comes back, keeps the place and is called next.
    back = await citizen(clients, server, gone["token"])
    assert (await back.wait_for("ticket"))["position"] == 1
    await desk.wait_for("queue", lambda d: len(d["tickets"]) == 1 and d["tickets"][0]["online"] is True)
    again = await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    assert again["ticket"]["number"] == gone["ticket"]["number"]
    # Withdrawing this call the other way: back to the front of the waiting room, at once.
    assert (await desk.call(CLERK, "send_back", {"office_id": "buergerbuero", "ticket_id": again["ticket"]["id"]}))["ok"]
    assert (await back.wait_for("ticket", lambda d: d["state"] == "waiting"))["position"] == 1


async def test_waiting_citizens_learn_that_the_office_takes_a_break(server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    joined = await join(server, "buergerbuero")
    person = await citizen(clients, server, joined["token"])
    assert (await person.wait_for("ticket"))["office_status"] == "open"
    assert (await desk.call(CLERK, "presence", {"office_id": "buergerbuero", "presence": "paused"}))["ok"]
    assert (await person.wait_for("ticket", lambda d: d["office_status"] == "paused"))["position"] == 1
    assert (await desk.call(CLERK, "presence", {"office_id": "buergerbuero", "presence": "available"}))["ok"]
    await person.wait_for("ticket", lambda d: d["office_status"] == "open" and d is person.of("ticket")[-1])


async def test_send_back_and_transfer(server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "bea", available=("buergerbuero", "kfz"))
    a = await join(server, "buergerbuero")
    await join(server, "buergerbuero")
    citizen_a = await citizen(clients, server, a["token"])
    called = await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    await citizen_a.call(CITIZEN, "accept")
    ticket_id = called["ticket"]["id"]

    back = await desk.call(CLERK, "send_back", {"office_id": "buergerbuero", "ticket_id": ticket_id})
    assert back == {"ok": True}
    assert (await citizen_a.wait_for("ticket", lambda d: d["state"] == "waiting"))["position"] == 1

    await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"})
    moved = await desk.call(CLERK, "transfer", {"office_id": "buergerbuero", "ticket_id": ticket_id, "target_office_id": "kfz"})
    assert moved["ok"] and moved["ticket"]["number"].startswith("K-")
    seen = await citizen_a.wait_for("ticket", lambda d: d["office"]["id"] == "kfz")
    assert seen["state"] == "waiting" and seen["position"] == 1
    assert (await desk.wait_for("visit", lambda d: d["state"] == "ended"))["reason"] == "transferred"


async def test_announcement_reaches_everyone_waiting(server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    people = [await citizen(clients, server, (await join(server, "buergerbuero"))["token"]) for _ in range(3)]
    assert await desk.call(CLERK, "announce", {"office_id": "buergerbuero", "text": "Kurze Pause bis 10:15"}) == {"ok": True}
    for person in people:
        assert (await person.wait_for("announcement"))["text"] == "Kurze Pause bis 10:15"
    late = await citizen(clients, server, (await join(server, "buergerbuero"))["token"])
    assert (await late.wait_for("announcement"))["text"] == "Kurze Pause bis 10:15"


async def test_citizen_leaves(server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    a = await join(server, "buergerbuero")
    citizen_a = await citizen(clients, server, a["token"])
    await desk.wait_for("queue", lambda d: len(d["tickets"]) == 1)
    assert await citizen_a.call(CITIZEN, "leave") == {"ok": True}
    assert (await citizen_a.wait_for("ended"))["reason"] == "left"
    await desk.wait_for("queue", lambda d: d["tickets"] == [])


async def test_joining_a_closed_or_full_office_is_refused(server: ServerProcess, clients: Any) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        closed = await http.post("/api/offices/kfz/tickets", json={}, headers={"Accept-Language": "en"})
        assert closed.status_code == 409 and closed.json()["error"] == "closed"
        assert "closed" in closed.json()["message"]
        unknown = await http.post("/api/offices/nope/tickets", json={})
        assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_office"
        form = await http.post("/api/offices/kfz/tickets", data={"name": "x"})
        assert form.status_code == 400 and form.json()["error"] == "bad_request"
        huge = await http.post("/api/offices/kfz/tickets", content=b"{" + b" " * 100_000 + b"}", headers={"Content-Type": "application/json"})
        assert huge.status_code == 400


async def test_clerk_may_act_only_on_offices_they_staff(server: ServerProcess, clients: Any) -> None:
    anna = await clerk(clients, server, "anna", available=("buergerbuero",))
    karl = await clerk(clients, server, "karl")
    a = await join(server, "buergerbuero")
    for event, data in [
        ("presence", {"office_id": "buergerbuero", "presence": "available"}),
        ("call_next", {"office_id": "buergerbuero"}),
        ("call", {"office_id": "buergerbuero", "ticket_id": a["ticket"]["number"]}),
        ("announce", {"office_id": "buergerbuero", "text": "hi"}),
    ]:
        answer = await karl.call(CLERK, event, data)
        assert answer["ok"] is False and answer["error"] == "forbidden", (event, answer)
    # Karl never received Anna's queue, and Anna's citizen is still waiting.
    assert all(q["office_id"] == "kfz" for q in karl.of("queue"))
    queue = await anna.wait_for("queue", lambda d: len(d["tickets"]) == 1)
    assert queue["tickets"][0]["state"] == "waiting"


@pytest.mark.parametrize(
    "event,data,error",
    [
        ("call_next", "buergerbuero", "bad_request"),
        ("call_next", ["buergerbuero"], "bad_request"),
        ("call_next", {}, "bad_request"),
        ("call_next", {"office_id": 7}, "bad_request"),
        ("call_next", {"office_id": "x" * 5000}, "bad_request"),
        ("call_next", {"office_id": "nope"}, "unknown_office"),
        ("call", {"office_id": "buergerbuero", "ticket_id": "0123456789abcdef"}, "not_waiting"),
        ("finish", {"office_id": "buergerbuero", "ticket_id": "../../x"}, "unknown_ticket"),
        ("presence", {"office_id": "buergerbuero", "presence": "asleep"}, "bad_request"),
        ("transfer", {"office_id": "buergerbuero", "ticket_id": "0123456789abcdef", "target_office_id": "nope"}, "unknown_office"),
        ("announce", {"office_id": "buergerbuero", "text": ""}, "bad_request"),
    ],
)
async def test_malformed_clerk_events_get_a_clear_error(server: ServerProcess, clients: Any, event: str, data: Any, error: str) -> None:
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    a = await join(server, "buergerbuero")
    answer = await desk.call(CLERK, event, data)
    assert answer["ok"] is False and answer["error"] == error and answer["message"]
    # Nothing changed, and the server still serves everyone.
    other = await citizen(clients, server, a["token"])
    assert (await other.wait_for("ticket"))["position"] == 1


@pytest.mark.parametrize("auth", [None, {}, {"token": "forged"}, {"token": "0123456789abcdef.nope"}, {"token": ["x"]}, "garbage"])
async def test_forged_tokens_are_refused(server: ServerProcess, clients: Any, auth: Any) -> None:
    c = clients()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect(server, CITIZEN, auth=auth)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/api/tickets/me", headers={"Authorization": "Bearer 0123456789abcdef.nope"})
        assert response.status_code == 404 and response.json()["error"] == "unknown_ticket"


async def test_clerk_namespace_needs_a_login(server: ServerProcess, clients: Any) -> None:
    for headers in ({}, {"Cookie": "vo_session=forged"}):
        c = clients()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await c.connect(server, CLERK, headers=headers)
    cookie = await login(server, "anna")
    hostile = clients()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await hostile.connect(server, CLERK, headers={"Cookie": cookie, "Origin": "https://evil.example"})


async def test_public_namespace_refuses_pages_not_on_the_allowlist(server: ServerProcess, clients: Any) -> None:
    outsider = clients()
    with pytest.raises(socketio.exceptions.ConnectionError) as refused:
        await outsider.connect(server, PUBLIC, headers={"Origin": "https://evil.example"})
    assert "origin_not_allowed" in str(refused.value) or refused.value
    own = clients()
    await own.connect(server, PUBLIC, headers={"Origin": server.url})
    assert len((await own.wait_for("offices"))["offices"]) == 2


async def test_a_reconnecting_citizen_keeps_the_place(server: ServerProcess, clients: Any) -> None:
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    await join(server, "buergerbuero")
    b = await join(server, "buergerbuero")
    first = await citizen(clients, server, b["token"])
    assert (await first.wait_for("ticket"))["position"] == 2
    await first.close()
    offline = await desk.wait_for("queue", lambda d: len(d["tickets"]) == 2 and not d["tickets"][1]["online"])
    assert offline["tickets"][1]["number"] == b["ticket"]["number"]
    again = await citizen(clients, server, b["token"])
    assert (await again.wait_for("ticket"))["position"] == 2
    await desk.wait_for("queue", lambda d: len(d["tickets"]) == 2 and d["tickets"][1]["online"] is True and d is desk.of("queue")[-1])


async def test_lifecycle_events_sent_by_a_client_are_refused(server: ServerProcess, clients: Any) -> None:
    """'connect' and 'disconnect' are socket.io's own: sent by name they would re-run the handlers
    (and keep a ticket heart-beating forever after the socket went); unknown events get a clear answer."""
    desk = await clerk(clients, server, "anna", available=("buergerbuero",))
    joined = await join(server, "buergerbuero")
    person = await citizen(clients, server, joined["token"])
    for event, args in (("connect", {"token": joined["token"]}), ("disconnect", None), ("no_such_event", {})):
        answer = await person.call(CITIZEN, event, args)
        assert answer["ok"] is False and answer["error"] == ("unknown_event" if event == "no_such_event" else "bad_request")
    extra = await person.sio.call("heartbeat", ({}, "second argument"), namespace=CITIZEN, timeout=10)
    assert extra["error"] == "bad_request"
    assert (await person.call(CITIZEN, "heartbeat"))["ok"]  # still connected and served
    await person.close()
    # Its one page gone, the ticket shows offline: nothing keeps it alive.
    await desk.wait_for("queue", lambda d: len(d["tickets"]) == 1 and d["tickets"][0]["online"] is False)


async def test_a_burst_of_logins_does_not_stall_the_server(server: ServerProcess) -> None:
    """Password hashing runs beside the event loop: the server answers others while it hashes."""
    order: list[str] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:

        async def attempt(i: int) -> None:
            answer = await http.post("/api/login", json={"login": f"nobody{i}", "password": "not the password"})
            order.append(f"login {answer.status_code}")

        logins = [asyncio.create_task(attempt(i)) for i in range(16)]
        await asyncio.sleep(0.1)  # the logins are under way
        for _ in range(5):
            order.append(f"health {(await http.get('/healthz')).status_code}")
        await asyncio.gather(*logins)
    assert order.count("login 401") == 16
    # Five health checks one after the other are all answered before most logins: none waits
    # behind a queue of password hashes.
    assert [i for i, what in enumerate(order) if what.startswith("health")][-1] < 8, order


async def test_x_forwarded_for_is_believed_only_from_a_named_proxy(server: ServerProcess) -> None:
    """Without VO_TRUSTED_PROXIES a made-up X-Forwarded-For does not spread failed logins over
    many 'addresses': the connection's own address is throttled."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        answers = [
            (await http.post("/api/login", json={"login": f"nobody{i}", "password": "not the password"},
                             headers={"X-Forwarded-For": f"198.51.100.{i}"})).status_code
            for i in range(21)
        ]
    assert answers[:20] == [401] * 20 and answers[20] == 429


async def test_a_new_password_ends_an_open_console(server: ServerProcess, clients: Any, redis_client: Any) -> None:
    cookie = await login(server, "anna")
    desk = clients()
    await desk.connect(server, CLERK, headers={"Cookie": cookie})
    assert await desk.call(CLERK, "presence", {"office_id": "buergerbuero", "presence": "available"}) == {"ok": True}

    # What the administration's form does when it sets a new password.
    directory = ClerkDirectory(redis_client)
    anna = await directory.by_login("anna")
    await directory.update(anna, password="ein ganz neues passwort")

    refused = await desk.call(CLERK, "presence", {"office_id": "buergerbuero", "presence": "paused"})
    assert refused["ok"] is False and refused["error"] == "not_authenticated"
    again = clients()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(server, CLERK, headers={"Cookie": cookie})


async def test_a_citizen_cannot_claim_an_appointment(server: ServerProcess, clients: Any, redis_client: Any) -> None:
    """A join naming an appointment or a priority is refused: the body declares no such fields."""
    await clerk(clients, server, "anna", available=("buergerbuero",))
    await join(server, "buergerbuero")
    async with httpx.AsyncClient(base_url=server.url) as http:
        claimed = await http.post("/api/offices/buergerbuero/tickets", json={"appointment": True, "priority": 1})
    assert claimed.status_code == 400 and claimed.json()["error"] == "bad_request" and "field" not in claimed.json()
    assert len([k async for k in redis_client.scan_iter(keys.ticket_prefix("buergerbuero") + "*")]) == 1


async def test_the_console_lists_who_is_on_duty_by_name(server: ServerProcess, clients: Any) -> None:
    anna = await clerk(clients, server, "anna", available=("buergerbuero",))
    await clerk(clients, server, "bea", available=("buergerbuero",))
    queue = await anna.wait_for("queue", lambda d: d["office_id"] == "buergerbuero" and len(d["clerks"]) == 2)
    assert sorted((c["name"], c["presence"]) for c in queue["clerks"]) == [("Anna Amt", "available"), ("Bea Beides", "available")]


async def test_the_server_log_keeps_no_citizen_address(redis_server: Any, redis_client: Any, tmp_path: Any, clients: Any) -> None:
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_LOG_LEVEL": "info"})
    process.start()
    try:
        watcher = clients()
        await watcher.connect(process, PUBLIC, auth={"offices": ["buergerbuero"], "lang": "de"})
        await watcher.wait_for("offices")
        await watcher.close()
    finally:
        process.stop()
    handshakes = [line for line in process.log().splitlines() if '"WebSocket' in line]
    assert handshakes and all('- "WebSocket /socket.io/" [accepted]' in line for line in handshakes), handshakes
