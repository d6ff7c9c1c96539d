"""Tenant isolation: an administrator and a clerk of tenant A try every HTTP route and every socket.io
event against tenant B's offices, accounts, tickets, appointments, fees and statistics, and are refused.

The routes and events are read from the app itself: a route or event added later without a
classification here makes the test fail, so nobody forgets to decide whether it is tenant-safe.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio
import socketio
from starlette.routing import Mount, Route

from tests.conftest import ALWAYS, RedisServer
from tests.server.conftest import PASSWORD, Client, ServerProcess, join, seed
from virtual_office.payments import ProviderConfig, ProviderDirectory
from virtual_office.payments import keys as payment_keys
from virtual_office.queue import ADMIN, CLERK, ClerkDirectory, Office, OfficeDirectory, Tenant, TenantDirectory, keys
from virtual_office.server import create_app
from virtual_office.server.protocol import CITIZEN, PUBLIC, VISIT
from virtual_office.server.protocol import CLERK as CLERK_NS
from virtual_office.settings import Settings

B_OFFICE = "pa-meldeamt"
B_SECRET = "passau-geheim-4711"
B_NAMES = ("Passauer Meldeamt", "Paula Passau", "Pia Passau", "Zacharias Zeuge", "https://www.passau.de", "passau-kasse-client",
           B_SECRET)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

STAFF = "staff"
"""A staff page or API: with B's ids, A's administrator and clerk are refused (403/404, or a login wall)."""
LIST = "list"
"""A staff page listing things of the login's tenant: reachable, and nothing of B's shows, whatever B id is asked for."""
SHELL = "shell"
"""A page that shows nothing but its frame for anything unknown to the login; its socket decides (and refuses)."""
OWN_TENANT = "own tenant"
"""Creates or changes something of the login's own tenant, whatever tenant or B office the form names."""
OWN = "own"
"""Acts on the login's own account or session only; with B's session digest it is refused."""
CITIZEN_ROUTE = "citizen"
"""Public or held by a citizen's secret token: the same for everybody; a staff login of A adds nothing."""

ROUTES: dict[tuple[str, str], str] = {
    ("/api/offices", "GET"): CITIZEN_ROUTE,
    ("/healthz", "GET"): CITIZEN_ROUTE,
    ("/metrics", "GET"): CITIZEN_ROUTE,
    ("/favicon.ico", "GET"): CITIZEN_ROUTE,
    ("/tenants/{tenant_id}/colour.css", "GET"): CITIZEN_ROUTE,
    ("/widget.js", "GET"): CITIZEN_ROUTE,
    ("/widget/{hash}.js", "GET"): CITIZEN_ROUTE,
    ("/api/botcheck", "GET"): CITIZEN_ROUTE,
    ("/w/{office_id}", "GET"): CITIZEN_ROUTE,
    ("/api/connection-check", "GET"): CITIZEN_ROUTE,
    ("/api/connection-check", "POST"): CITIZEN_ROUTE,
    ("/api/offices/{office_id}/tickets", "POST"): CITIZEN_ROUTE,
    ("/api/tickets/me", "GET"): CITIZEN_ROUTE,
    ("/api/tickets/me", "DELETE"): CITIZEN_ROUTE,
    ("/api/offices/{office_id}/free-times", "GET"): CITIZEN_ROUTE,
    ("/api/offices/{office_id}/bookings", "POST"): CITIZEN_ROUTE,
    ("/api/bookings/move", "POST"): CITIZEN_ROUTE,
    ("/api/bookings/check-in", "POST"): CITIZEN_ROUTE,
    ("/b/confirm/{token}", "GET"): CITIZEN_ROUTE,
    ("/b/confirm/{token}", "POST"): CITIZEN_ROUTE,
    ("/b/cancel/{token}", "GET"): CITIZEN_ROUTE,
    ("/b/cancel/{token}", "POST"): CITIZEN_ROUTE,
    ("/b/move/{token}", "GET"): CITIZEN_ROUTE,
    ("/b/enter/{token}", "GET"): CITIZEN_ROUTE,
    ("/b/calendar/{token}.ics", "GET"): CITIZEN_ROUTE,
    ("/b/{office_id}", "GET"): CITIZEN_ROUTE,
    ("/visit/{visit_id}", "GET"): SHELL,
    ("/visit/{visit_id}/files", "POST"): STAFF,
    ("/visit/{visit_id}/files/{file_id}", "GET"): STAFF,
    ("/visit/{visit_id}/payments/return", "GET"): CITIZEN_ROUTE,
    ("/console", "GET"): LIST,
    ("/login", "GET"): OWN,
    ("/login", "POST"): CITIZEN_ROUTE,
    ("/logout", "POST"): OWN,
    ("/api/login", "POST"): CITIZEN_ROUTE,
    ("/api/logout", "POST"): OWN,
    ("/api/me", "GET"): LIST,
    ("/api/session", "GET"): LIST,
    ("/login/code", "POST"): CITIZEN_ROUTE,
    ("/account/sessions", "GET"): LIST,
    ("/account/sessions/end-others", "POST"): OWN,
    ("/account/sessions/{digest}/end", "POST"): OWN,
    ("/account/second-factor", "GET"): LIST,
    ("/account/second-factor", "POST"): OWN,
    ("/admin", "GET"): LIST,
    ("/admin/offices/new", "GET"): LIST,
    ("/admin/offices/new", "POST"): OWN_TENANT,
    ("/admin/offices/{office_id}", "GET"): STAFF,
    ("/admin/offices/{office_id}", "POST"): STAFF,
    ("/admin/offices/{office_id}/delete", "GET"): STAFF,
    ("/admin/offices/{office_id}/delete", "POST"): STAFF,
    ("/admin/clerks/new", "GET"): LIST,
    ("/admin/clerks/new", "POST"): OWN_TENANT,
    ("/admin/clerks/{clerk_id}", "GET"): STAFF,
    ("/admin/clerks/{clerk_id}", "POST"): STAFF,
    ("/admin/clerks/{clerk_id}/delete", "GET"): STAFF,
    ("/admin/clerks/{clerk_id}/delete", "POST"): STAFF,
    ("/admin/clerks/{clerk_id}/logout", "POST"): STAFF,
    ("/admin/clerks/{clerk_id}/second-factor/reset", "POST"): STAFF,
    ("/admin/origins", "GET"): LIST,
    ("/admin/origins", "POST"): OWN_TENANT,
    ("/admin/origins/allow", "POST"): OWN_TENANT,
    ("/admin/embed", "GET"): LIST,
    ("/admin/embed/preview", "GET"): LIST,
    ("/admin/stats", "GET"): LIST,
    ("/admin/appointments", "GET"): LIST,
    ("/admin/appointments/{office_id}/{day}", "GET"): STAFF,
    ("/admin/appointments/{office_id}/{day}/cancel", "POST"): STAFF,
    ("/admin/appointments/{office_id}/{day}/{booking_id}/cancel", "GET"): STAFF,
    ("/admin/appointments/{office_id}/{day}/{booking_id}/cancel", "POST"): STAFF,
    ("/admin/mail", "GET"): LIST,
    ("/admin/tenants", "GET"): STAFF,
    ("/admin/tenants", "POST"): STAFF,
    ("/admin/tenants/{tenant_id}", "GET"): STAFF,
    ("/admin/tenants/{tenant_id}", "POST"): STAFF,
    ("/admin/tenants/{tenant_id}/delete", "GET"): STAFF,
    ("/admin/tenants/{tenant_id}/delete", "POST"): STAFF,
    ("/admin/mail/{name}", "GET"): STAFF,
    ("/static/vendor/socket.io.min.js", "GET"): CITIZEN_ROUTE,
    ("/assets/{name}", "GET"): CITIZEN_ROUTE,
}
STATIC_MOUNTS = ("/static",)
"""Mounted folders of static files: the same for everybody."""

EVENTS: dict[str, dict[str, dict[str, Any]]] = {
    # /clerk: every event names B's office (and ticket); each must answer {"ok": false}.
    CLERK_NS: {
        "presence": {"presence": "available"},
        "call_next": {},
        "call": {"ticket_id": "<ticket>"},
        "no_show": {"ticket_id": "<ticket>"},
        "finish": {"ticket_id": "<ticket>"},
        "send_back": {"ticket_id": "<ticket>"},
        "transfer": {"ticket_id": "<ticket>", "target_office_id": B_OFFICE},
        "announce": {"text": "Heute geschlossen"},
    },
}
CONNECT_REFUSED = (VISIT, CITIZEN)
"""Namespaces that a staff login of A cannot even connect to for B's visit or ticket (the membership and
the ticket's token are checked at connect, and each event acts on the connected visit or ticket only):
none of their events, present or added later, can reach B's."""


def app_routes(tmp_path: Path) -> tuple[set[tuple[str, str]], set[str], dict[str, set[str]]]:
    """(path, method) of every route, the static mounts, and every namespace's events, read from the app."""
    app = create_app(Settings(redis_url="redis://127.0.0.1:1/0", secret_key="x" * 32, data_dir=tmp_path / "routes"))
    routes, mounts = set(), set()
    for route in app.other_asgi_app.routes:
        if isinstance(route, Route):
            path = route.path.replace("{digest:str}", "{digest}")
            routes |= {(path, m) for m in (route.methods or ()) if m != "HEAD"}
        elif isinstance(route, Mount):
            mounts.add(route.path if not route.path.startswith("/static/") else "/static")
    events = {name: set(ns.events) for name, ns in app.engineio_server.namespace_handlers.items()}
    return routes, mounts, events


def test_every_route_and_event_is_classified(tmp_path: Path) -> None:
    routes, mounts, events = app_routes(tmp_path)
    assert routes - set(ROUTES) == set(), "classify these routes for tenant isolation"
    assert mounts <= set(STATIC_MOUNTS), "classify these mounts for tenant isolation"
    for namespace, names in events.items():
        if namespace not in CONNECT_REFUSED:
            assert names - set(EVENTS.get(namespace, {})) == set(), f"classify the events of {namespace} for tenant isolation"


async def _seed_b(url: str) -> dict[str, Any]:
    client = redis.asyncio.Redis.from_url(url, decode_responses=True)
    try:
        await TenantDirectory(client).save(Tenant("passau", "Stadt Passau", "09262000", hotline="0851 396-0", colour="#8a1538"))
        await client.sadd(keys.allowed_origins("passau"), "https://www.passau.de")
        await ProviderDirectory(client).save_for_tenant("passau", ProviderConfig.from_config({
            "kind": "xbezahldienste", "base_url": "https://payment.passau.example/api/", "token_url": "https://payment.passau.example/token",
            "originator_id": "virtuelles-buergerbuero", "endpoint_id": "09262000", "client_id": "passau-kasse-client",
            "client_secret": B_SECRET}))
        await OfficeDirectory(client).save(Office.from_config({
            "id": B_OFFICE, "name": "Passauer Meldeamt", "hours": ALWAYS, "tenant": "passau",
            "appointments": {"mode": "also", "hours": ALWAYS, "lead_minutes": 0, "hold_minutes": 5, "capacity": 2,
                             "services": [{"id": "ausweis", "name": "Personalausweis", "minutes": 15}]},
            "payments": {"fees": [{"id": "ausweis", "name": "Personalausweis", "amount": "37,00", "purpose": "Personalausweis"}]}}))
        clerks = ClerkDirectory(client)
        paula = await clerks.add("paula", "Paula Passau", PASSWORD, role=CLERK, offices=(B_OFFICE,), tenant="passau")
        pia = await clerks.add("pia", "Pia Passau", PASSWORD, role=ADMIN, tenant="passau")
        # B's statistics of yesterday, as finished visits leave them.
        await client.hset(keys.stats(B_OFFICE, date.today().isoformat()), mapping={"visits": 7, "no_shows": 1})
        return {"paula": paula, "pia": pia}
    finally:
        await client.aclose()


async def snapshot(url: str, b: dict[str, Any]) -> dict[str, Any]:
    """Everything of B's in Redis, byte for byte."""
    client = redis.asyncio.Redis.from_url(url)
    try:
        found: dict[str, Any] = {}
        async for key in client.scan_iter(match=f"vo:{{{B_OFFICE}}}:*".encode()):
            found[key] = await client.dump(key)
        for name in (keys.TENANTS, keys.allowed_origins("passau"), payment_keys.tenant_provider("passau")):
            found[name.encode()] = await client.dump(name)
        for account in b.values():
            found[account.id.encode()] = await client.hget(keys.CLERKS, account.id)
            found[account.login.encode()] = await client.hget(keys.LOGINS, account.login)
            found[keys.clerk_sessions(account.id).encode()] = await client.dump(keys.clerk_sessions(account.id))
        return found
    finally:
        await client.aclose()


@pytest.fixture
async def region(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    a = await seed(redis_server.url)
    b = await _seed_b(redis_server.url)
    # VO_ALLOWED_ORIGINS is the default tenant's list (from before tenants): it must not open B's widget.
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_GRACE_SECONDS": "3600",
                                       "VO_ALLOWED_ORIGINS": "https://www.landkreis.de"})
    process.start()
    try:
        async with httpx.AsyncClient(base_url=process.url) as http:
            response = await http.post("/api/login", json={"login": "paula", "password": PASSWORD})
        # B's clerk goes on duty, so that a citizen may join B's office.
        paula = Client()
        await paula.connect(process, CLERK_NS, auth={"lang": "de"}, headers={"Cookie": f"vo_session={response.cookies['vo_session']}"})
        assert (await paula.call(CLERK_NS, "presence", {"office_id": B_OFFICE, "presence": "available"}))["ok"]
        await paula.close()
        await join(process, B_OFFICE, name="Zacharias Zeuge", concern="Ummeldung")
        ticket = {"ticket_id": (await redis_client.zrange(keys.queue(B_OFFICE), 0, -1))[0]}
        digest = next(iter(await redis_client.smembers(keys.clerk_sessions(b["paula"].id))))
        yield {"server": process, "a": a, "b": b, "ticket": ticket, "b_digest": digest, "b_cookie": response.cookies["vo_session"],
               "url": redis_server.url}
    finally:
        process.stop()


def fill(path: str, region: dict[str, Any]) -> str:
    values = {"tenant_id": "passau", "office_id": B_OFFICE, "clerk_id": region["b"]["paula"].id, "day": date.today().isoformat(),
              "booking_id": "bt-0001", "name": "x.eml", "digest": region["b_digest"], "visit_id": region["ticket"]["ticket_id"], "file_id": "f1", "token": "x", "hash": "x"}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str(values[m.group(1)]), path)


async def logged_in(server: ServerProcess, login: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=server.url, follow_redirects=False)
    response = await http.post("/api/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return http


async def csrf(http: httpx.AsyncClient) -> str:
    match = CSRF.search((await http.get("/account/sessions")).text)
    assert match, "no CSRF token on the sessions page"
    return match.group(1)


FORM = {"name": "Übernommen", "login": "uebernahme", "role": "admin", "password": "ein langes neues passwort", "offices": B_OFFICE,
        "origins": "https://evil.example", "origin": "https://evil.example", "reason": "Übernahme", "tenant": "passau",
        "id": "neu-in-passau", "current_password": PASSWORD,
        "pay_provider": "girocode", "pay_gc_recipient": "Übernahme", "pay_gc_iban": "DE89370400440532013000"}


@pytest.mark.parametrize("login", ["root", "anna"])
async def test_tenant_a_cannot_see_or_change_anything_of_tenant_b(region: dict[str, Any], login: str, tmp_path: Path) -> None:
    server: ServerProcess = region["server"]
    before = await snapshot(region["url"], region["b"])
    http = await logged_in(server, login)
    anonymous = httpx.AsyncClient(base_url=server.url, follow_redirects=False)
    token = await csrf(http)
    seen: list[tuple[str, str, int]] = []
    try:
        for (path, method), kind in sorted(ROUTES.items()):
            url = fill(path, region)
            if kind == CITIZEN_ROUTE:
                if method == "GET":  # the login adds nothing to what anybody gets
                    mine, theirs = await http.get(url), await anonymous.get(url)
                    assert mine.status_code == theirs.status_code, (path, mine.status_code, theirs.status_code)
                    assert "Zacharias" not in mine.text, path
                continue  # a citizen's action: the same for anyone, and tested with its feature
            query = {"office": B_OFFICE, "offices": B_OFFICE, "tenant": "passau"}
            if method == "GET":
                response = await http.get(url, params=query if kind == LIST else None)
            else:
                response = await http.request(method, url, params=query if kind == LIST else None, data={**FORM, "csrf_token": token},
                                              headers={"x-csrf-token": token})
            seen.append((path, method, response.status_code))
            body = response.text
            for name in B_NAMES:
                assert name not in body, (path, method, name)
            if kind == STAFF:
                assert response.status_code in (400, 401, 403, 404), (path, method, response.status_code, body[:300])
            elif kind == OWN and "{digest}" in path:
                assert response.status_code in (303, 400, 403, 404), (path, method, response.status_code)
            if kind == OWN and path in ("/logout", "/api/logout"):
                await http.aclose()
                http = await logged_in(server, login)
                token = await csrf(http)
        # socket.io: every event of /clerk names B's office; the other namespaces refuse the connection itself.
        clerk = Client()
        await clerk.connect(server, CLERK_NS, auth={"lang": "de"}, headers={"Cookie": f"vo_session={http.cookies['vo_session']}"})
        for event, payload in EVENTS[CLERK_NS].items():
            data = {"office_id": B_OFFICE, **{k: (region["ticket"]["ticket_id"] if v == "<ticket>" else v) for k, v in payload.items()}}
            answer = await clerk.call(CLERK_NS, event, data)
            assert answer["ok"] is False, (event, answer)
        assert not [e for e in clerk.events if "Zacharias" in str(e) or B_OFFICE in str(e)]
        await clerk.close()
        for namespace, auth in ((VISIT, {"visit": region["ticket"]["ticket_id"], "lang": "de"}), (CITIZEN, {"lang": "de"})):
            intruder = socketio.AsyncClient(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await intruder.connect(server.url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=10,
                                       headers={"Cookie": f"vo_session={http.cookies['vo_session']}"})
            await intruder.disconnect()
    finally:
        await http.aclose()
        await anonymous.aclose()
    assert seen, "no staff route was tried"
    assert await snapshot(region["url"], region["b"]) == before
    # What the forms made (the administrator's), they made in tenant A.
    client = redis.asyncio.Redis.from_url(region["url"], decode_responses=True)
    try:
        made = await ClerkDirectory(client).by_login("uebernahme")
        assert made is None or (made.tenant == "default" and B_OFFICE not in made.offices)
        assert [o.id for o in await OfficeDirectory(client).of_tenant("passau")] == [B_OFFICE]
        assert await client.smembers(keys.allowed_origins("passau")) == {"https://www.passau.de"}
    finally:
        await client.aclose()
    assert "Zacharias" not in server.log() and "Ummeldung" not in server.log() and B_SECRET not in server.log()


async def test_the_widget_of_a_tenant_shows_its_offices_only(region: dict[str, Any]) -> None:
    server: ServerProcess = region["server"]
    async with httpx.AsyncClient(base_url=server.url) as http:
        whole = (await http.get("/api/offices")).json()
        default = whole["offices"]
        passau = (await http.get("/api/offices", params={"tenant": "passau"})).json()["offices"]
        unknown = await http.get("/api/offices", params={"tenant": "nowhere"})
        elsewhere = await http.get("/api/offices", params={"tenant": "passau"}, headers={"Origin": "https://www.regensburg.de"})
        allowed = await http.get("/api/offices", params={"tenant": "passau"}, headers={"Origin": "https://www.passau.de"})
    assert [o["id"] for o in default] == ["buergerbuero", "kfz"]
    assert "tenant" not in whole  # a single city's widget gets what it always got
    assert [o["id"] for o in passau] == [B_OFFICE]
    assert unknown.status_code == 404 and unknown.json() == {"ok": False, "error": "unknown_tenant"}
    assert "access-control-allow-origin" not in elsewhere.headers
    assert allowed.headers["access-control-allow-origin"] == "https://www.passau.de" and [o["id"] for o in allowed.json()["offices"]] == [B_OFFICE]
    widget = Client()
    await widget.connect(server, PUBLIC, auth={"lang": "de", "tenant": "passau"}, headers={"Origin": "https://www.passau.de"})
    offices = await widget.wait_for("offices")
    assert [o["id"] for o in offices["offices"]] == [B_OFFICE]
    assert offices["tenant"] == {"id": "passau", "name": "Stadt Passau", "colour": "#8a1538"}  # the widget's buttons take it
    await widget.close()
    plain = Client()
    await plain.connect(server, PUBLIC, auth={"lang": "de"})
    assert [o["id"] for o in (await plain.wait_for("offices"))["offices"]] == ["buergerbuero", "kfz"]
    await plain.close()
    configured = Client()
    await configured.connect(server, PUBLIC, auth={"lang": "de"}, headers={"Origin": "https://www.landkreis.de"})
    assert [o["id"] for o in (await configured.wait_for("offices"))["offices"]] == ["buergerbuero", "kfz"]
    await configured.close()
    async with httpx.AsyncClient(base_url=server.url) as http:
        configured_b = await http.get("/api/offices", params={"tenant": "passau"}, headers={"Origin": "https://www.landkreis.de"})
    assert "access-control-allow-origin" not in configured_b.headers
    # Passau's website may not show the default tenant's offices, nor another website Passau's, nor one
    # that VO_ALLOWED_ORIGINS lists (the default tenant's).
    for auth, origin in (({"lang": "de"}, "https://www.passau.de"), ({"lang": "de", "tenant": "passau"}, "https://www.regensburg.de"),
                         ({"lang": "de", "tenant": "passau"}, "https://www.landkreis.de")):
        refused = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect(server.url, namespaces=[PUBLIC], auth=auth, headers={"Origin": origin}, transports=["websocket"],
                                  wait_timeout=10)
        await refused.disconnect()


async def test_the_console_pushes_nothing_of_another_tenants_office_on_the_account(region: dict[str, Any]) -> None:
    """The account form never lets an account staff another tenant's office; should the account hold one
    anyway (an old import, a hand-edited store), the console reads its offices through the tenant check:
    neither B's queue nor B's appointments (B's office takes them) reach A's clerk."""
    server: ServerProcess = region["server"]
    client = redis.asyncio.Redis.from_url(region["url"], decode_responses=True)
    try:
        clerks = ClerkDirectory(client)
        anna = await clerks.by_login("anna")
        assert anna is not None
        await client.hset(keys.CLERKS, anna.id, json.dumps({**json.loads(anna.to_json()), "offices": ["buergerbuero", B_OFFICE]}))
        assert B_OFFICE in (await clerks.by_login("anna")).offices  # type: ignore[union-attr]
    finally:
        await client.aclose()
    http = await logged_in(server, "anna")
    try:
        page = await http.get("/console")
        assert page.status_code == 200 and "Passauer Meldeamt" not in page.text and B_OFFICE not in page.text
        console = Client()
        await console.connect(server, CLERK_NS, auth={"lang": "de"}, headers={"Cookie": f"vo_session={http.cookies['vo_session']}"})
        await console.wait_for("queue")
        answer = await console.call(CLERK_NS, "presence", {"office_id": "buergerbuero", "presence": "available"})
        assert answer["ok"], answer  # a round trip: whatever the connect pushed has arrived
        assert not [e for e in console.events if B_OFFICE in str(e) or "Zacharias" in str(e)], console.events
        await console.close()
    finally:
        await http.aclose()
