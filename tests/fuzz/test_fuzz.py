"""Every documented event and route, fed malformed input against one real server.

Each input must get a clear answer in time: an acknowledgement ``{"ok": false,
"error": code}`` within 5 s (or a closed connection, for frames that are not
socket.io at all), an HTTP status below 500. Afterwards the server log holds no
traceback, the server still answers, and the queue is as it was.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import redis.asyncio

from tests.conftest import RedisServer
from tests.fuzz import corpus
from tests.fuzz.wire import Closed, Refused, Wire
from tests.server.conftest import ServerProcess, join, login, seed
from virtual_office.queue import keys
from virtual_office.server.console import schemas as console_schemas
from virtual_office.server.schemas import Events, members
from virtual_office.server.visit import schemas as visit_schemas
from virtual_office.server.waiting_room import schemas as waiting_room_schemas

pytestmark = pytest.mark.asyncio(loop_scope="module")

OFFICES = ("buergerbuero", "kfz")
ANSWER_SECONDS = 5


@dataclass
class Scene:
    """One server with a clerk on duty, a citizen waiting and a visit in progress."""

    server: ServerProcess
    redis: redis.asyncio.Redis
    accounts: dict[str, Any]
    cookies: dict[str, str]
    waiting: dict[str, Any]
    visiting: dict[str, Any]
    wires: dict[str, Wire] = field(default_factory=dict)

    @property
    def origin(self) -> dict[str, str]:
        return {"Origin": self.server.url}

    async def wire(self, namespace: str, *, auth: dict[str, Any] | None = None, cookie: str | None = None) -> Wire:
        headers = {**self.origin, **({"Cookie": cookie} if cookie else {})}
        wire = Wire(self.server.url, namespace)
        await wire.open(auth, headers)
        return wire


async def queue_state(client: redis.asyncio.Redis) -> dict[str, Any]:
    """Everything that makes up the queue: offices, accounts, waiting lists, tickets, who serves whom."""
    state: dict[str, Any] = {
        "offices": await client.zrange(keys.OFFICES, 0, -1, withscores=True),
        "clerks": await client.hgetall(keys.CLERKS),
        "logins": await client.hgetall(keys.LOGINS),
        "allowed": sorted(await client.smembers(keys.ALLOWED_ORIGINS)),
    }
    for office in OFFICES:
        tickets = {}
        async for key in client.scan_iter(keys.ticket_prefix(office) + "*"):
            fields = await client.hgetall(key)
            fields.pop("offline_since", None)  # a sign of life, not the queue
            tickets[key] = fields
        state[office] = {
            "config": await client.get(keys.office(office)),
            "queue": await client.zrange(keys.queue(office), 0, -1, withscores=True),
            "called": await client.zrange(keys.called(office), 0, -1, withscores=True),
            "serving": await client.hgetall(keys.serving(office)),
            "presence": await client.hgetall(keys.presence(office)),
            "announcement": await client.get(keys.announcement(office)),
            "tickets": tickets,
        }
    return state


async def exchange_state(client: redis.asyncio.Redis, visit_id: str) -> dict[str, Any]:
    return {
        "chat": await client.lrange(keys.visit_chat(visit_id), 0, -1),
        "state": await client.hgetall(keys.visit_state(visit_id)),
    }


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def scene(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scene]:
    client = redis.asyncio.Redis.from_url(redis_server.url, decode_responses=True)
    await client.flushall()
    accounts = await seed(redis_server.url)
    server = ServerProcess(Path(tmp_path_factory.mktemp("fuzz")), {"VO_REDIS_URL": redis_server.url})
    server.start()
    try:
        cookies = {name: await login(server, name) for name in ("anna", "root")}
        scene = Scene(server, client, accounts, cookies, {}, {})
        desk = scene.wires["clerk"] = await scene.wire("/clerk", cookie=cookies["anna"])
        assert await desk.call('"presence",{"office_id":"buergerbuero","presence":"available"}') == {"ok": True}
        # Each citizen's page connects after joining: that gives the ticket its place.
        visiting = scene.visiting = await join(server, "buergerbuero", name="Erika", concern="Ausweis")
        person = scene.wires["citizen_in_visit"] = await scene.wire("/citizen", auth={"token": visiting["token"]})
        waiting = scene.waiting = await join(server, "buergerbuero", name="Max")
        scene.wires["citizen"] = await scene.wire("/citizen", auth={"token": waiting["token"], "lang": "en"})
        called = await desk.call('"call_next",{"office_id":"buergerbuero"}')
        assert called["ok"] and called["ticket"]["number"] == visiting["ticket"]["number"]
        visiting["id"] = called["ticket"]["id"]
        waiting["id"] = waiting["token"].split(".")[0]
        assert (await person.call('"accept",{}'))["ok"]
        visit = {"visit": scene.visiting["id"]}
        scene.wires["visit_clerk"] = await scene.wire("/visit", auth=visit, cookie=cookies["anna"])
        scene.wires["visit_citizen"] = await scene.wire("/visit", auth={**visit, "token": visiting["token"]})
        assert (await scene.wires["visit_clerk"].call('"exchange",{}'))["ok"]
        scene.wires["public"] = await scene.wire("/public", auth={"lang": "de"})
        yield scene
    finally:
        for wire in scene.wires.values() if "scene" in locals() else ():
            await wire.close()
        server.stop()
        await client.aclose()


def tracebacks(log: str) -> list[str]:
    """The last line (the exception) of every traceback in ``log``, each once."""
    found: list[str] = []
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = next((i for i in range(index + 1, len(lines)) if not lines[i].startswith((" ", "Traceback"))), len(lines) - 1)
            if lines[end] not in found:
                found.append(lines[end])
    return found


@dataclass
class Report:
    scene: Scene
    failures: list[str] = field(default_factory=list)
    count: int = 0
    started: float = field(default_factory=time.monotonic)
    log_at: int = 0

    def __post_init__(self) -> None:
        self.log_at = len(self.scene.server.log())

    def check(self, ok: bool, what: str) -> None:
        self.count += 1
        if not ok:
            self.failures.append(what)
            if os.environ.get("FUZZ_VERBOSE"):
                print(f"{time.monotonic() - self.started:6.1f} {what[:200]}", flush=True)

    async def same_queue(self, before: dict[str, Any]) -> None:
        after = await queue_state(self.scene.redis)
        changed = {k: (before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)}
        for office in OFFICES:
            if office in changed:
                changed[office] = {k: (v, after[office][k]) for k, v in before[office].items() if after[office][k] != v}
        self.check(not changed, f"the queue changed: {str(changed)[:2000]}")

    def assert_clean(self, scene: Scene) -> None:
        errors = tracebacks(scene.server.log()[self.log_at:])
        assert not errors and not self.failures, "tracebacks in the server log:\n" + "\n".join(errors) + "\n" + (
            f"{len(self.failures)} of {self.count} inputs got no clear answer:\n" + "\n".join(self.failures[:80]))


def clear_refusal(answer: Any) -> bool:
    return (
        isinstance(answer, dict) and answer.get("ok") is False and isinstance(answer.get("error"), str)
        and answer["error"] not in ("", "internal") and isinstance(answer.get("message"), str)
    )


WIRES: dict[str, Events] = {
    "citizen": waiting_room_schemas.EVENTS,
    "clerk": console_schemas.EVENTS,
    "visit_clerk": visit_schemas.EVENTS,
    "visit_citizen": visit_schemas.EVENTS,
    "public": {},
}
"""The declared events each connection sends (the citizen sends the staff's events too: refused)."""

HARMLESS = {"heartbeat", "whoami", "colleagues", "exchange", "record", "payments"}
"""Events that change nothing: they may be answered ok for an empty payload."""


# The events of each connection, from the declared schemas: their required fields with a
# valid value each (JSON text). A new event is fuzzed as it is declared; a field with no
# value below fails here, so that it gets one.
def events(scene: Scene) -> dict[str, dict[str, tuple[dict[str, str], bool]]]:
    values = {
        "office_id": '"buergerbuero"', "ticket_id": json.dumps(scene.visiting["id"]), "target_office_id": '"kfz"',
        "presence": '"available"', "text": '"Gleich geht es weiter"', "clerk_id": json.dumps(scene.accounts["karl"].id),
        "document": '"Antrag"', "request_id": '"0123456789abcdef"', "checked": "true", "type": '"offer"',
        "sdp": json.dumps("v=0\r\n"),
        # A fee the office does not have and a payment that does not exist: even whole, nothing is charged.
        "charges": '[{"fee": "no-such-fee"}]', "transaction_id": json.dumps("0" * 32),
        # An end-to-end key message to a member who is not there: relayed to nobody.
        "to": '"clerk:nobody"', "kind": '"commit"',
    }
    optional = {
        # The field a key message of its kind must carry (docs/e2ee.md), so that the valid one is whole.
        "key": {"commit": json.dumps("A" * 43)},
    }
    instead = {
        ("clerk", "call_next"): {"office_id": '"kfz"'},
        ("clerk", "call"): {"ticket_id": json.dumps(scene.waiting["id"])},
        ("visit_citizen", "signal"): {"type": '"answer"'},
    }
    spec: dict[str, dict[str, tuple[dict[str, str], bool]]] = {}
    for wire, declared in WIRES.items():
        spec[wire] = {}
        for event, schema in declared.items():
            model = members(schema)[0]  # a union's first member (the offer, for signal)
            required = [info.alias or name for name, info in model.model_fields.items() if info.is_required()]
            valid = {name: instead.get((wire, event), {}).get(name) or values[name] for name in required}
            valid.update(optional.get(event, {}))
            spec[wire][event] = (valid, event in HARMLESS)
    return spec


SAFE_EMPTY = {"payload null", "payload empty object", "payload object", "no payload", "binary-looking object"}
ALSO_VALID = {"text": corpus.FREE_TEXT, "document": corpus.FREE_TEXT, "checked": {"true"}}
"""Values of the corpus that are valid for a field: never sent there, they would act."""


async def fuzz_wire(scene: Scene, name: str, spec: dict[str, tuple[dict[str, str], bool]], report: Report, reopen: Any) -> None:
    """Every input for every event of one connection, one after the other."""
    cases: list[tuple[str, str, bool]] = []
    for event, (valid, harmless) in spec.items():
        for label, args in corpus.event_inputs(event, valid, empty_is_valid=harmless, also_valid=ALSO_VALID):
            cases.append((f"{event}: {label}", args, harmless and label in SAFE_EMPTY))
    if "signal" in spec:
        cases += [(f"signal: {label}", args, False) for label, args in corpus.signal_inputs()]
    for unknown in corpus.UNKNOWN_EVENTS:
        cases.append((f"unknown event {unknown[:30]}", f"{unknown},{{}}", False))
    for what, args, may_succeed in cases:
        try:
            answer = await scene.wires[name].call(args, timeout=ANSWER_SECONDS)
        except TimeoutError:
            report.check(False, f"{name} {what}: no acknowledgement within {ANSWER_SECONDS} s")
            continue
        except Closed:
            report.check(False, f"{name} {what}: the connection was closed")
            scene.wires[name] = await reopen()
            continue
        succeeded = isinstance(answer, dict) and answer.get("ok") is True
        report.check(clear_refusal(answer) or (may_succeed and succeeded), f"{name} {what}: {str(answer)[:200]}")
    # Binary attachments where JSON was expected.
    event = next(iter(spec), "no_such_event")
    for what, args in (("binary payload", f'"{event}",{{"_placeholder":true,"num":0}}'),
                       ("binary field", f'"{event}",{{"text":{{"_placeholder":true,"num":0}},"office_id":{{"_placeholder":true,"num":0}}}}')):
        try:
            answer = await scene.wires[name].call_binary(args, [b"\x00\xff" * 64])
            report.check(clear_refusal(answer), f"{name} {event} {what}: {str(answer)[:200]}")
        except (TimeoutError, Closed) as exc:
            report.check(False, f"{name} {event} {what}: {type(exc).__name__}")
            scene.wires[name] = await reopen()


async def test_every_event_of_every_namespace(scene: Scene) -> None:
    before = await queue_state(scene.redis)
    exchange_before = await exchange_state(scene.redis, scene.visiting["id"])
    report = Report(scene)
    visit = {"visit": scene.visiting["id"]}
    reopen = {
        "citizen": lambda: scene.wire("/citizen", auth={"token": scene.waiting["token"], "lang": "en"}),
        "clerk": lambda: scene.wire("/clerk", cookie=scene.cookies["anna"]),
        "visit_clerk": lambda: scene.wire("/visit", auth=visit, cookie=scene.cookies["anna"]),
        "visit_citizen": lambda: scene.wire("/visit", auth={**visit, "token": scene.visiting["token"]}),
        "public": lambda: scene.wire("/public", auth={"lang": "de"}),
    }
    await asyncio.wait_for(
        asyncio.gather(*(fuzz_wire(scene, name, spec, report, reopen[name]) for name, spec in events(scene).items())), 90
    )
    await report.same_queue(before)
    after = await exchange_state(scene.redis, scene.visiting["id"])
    assert after["chat"] == exchange_before["chat"]
    assert {k: v for k, v in after["state"].items()} == exchange_before["state"]
    report.assert_clean(scene)
    print(f"events: {report.count} inputs in {time.monotonic() - report.started:.1f} s")


async def test_broken_frames_and_connections(scene: Scene) -> None:
    """Frames that are not socket.io, oversized messages, and connects with bad auth or headers."""
    before = await queue_state(scene.redis)
    report = Report(scene)
    limiter = asyncio.Semaphore(8)

    async def frame(raw: str) -> None:
        async with limiter:
            wire = await scene.wire("/clerk", cookie=scene.cookies["anna"])
            try:
                await wire.send_raw(raw)
                try:
                    answer = await wire.call('"no_such_event",{}', timeout=ANSWER_SECONDS)
                    report.check(clear_refusal(answer), f"frame {raw[:40]!r}: then {answer}")
                except Closed:
                    report.check(True, "closed")
                except TimeoutError:
                    report.check(False, f"frame {raw[:40]!r}: the connection hangs")
            finally:
                await wire.close()

    async def oversize() -> None:
        wire = await scene.wire("/public")
        try:
            await wire.send_raw('42/public,1["x","' + "x" * 200_000 + '"]')
            await asyncio.wait_for(wire.closed.wait(), ANSWER_SECONDS)
            report.check(True, "oversize")
        except TimeoutError:
            report.check(False, "a 200 KB message: the connection was neither answered nor closed")
        finally:
            await wire.close()

    async def connect(namespace: str, auth: str | None, headers: dict[str, str]) -> None:
        async with limiter:
            wire = Wire(scene.server.url, namespace)
            try:
                await asyncio.wait_for(wire.open(auth, headers), ANSWER_SECONDS + 1)
                report.check(True, "connected")
            except Closed:
                report.check(True, "a malformed connect packet closes the connection")
            except Refused as exc:
                refusal = exc.args[0]
                ok = isinstance(refusal, dict) and isinstance(refusal.get("message"), str)
                report.check(ok, f"connect {namespace} auth={str(auth)[:40]} {headers}: refused with {refusal}")
            except TimeoutError:
                report.check(False, f"connect {namespace} auth={str(auth)[:40]} {headers}: no answer")
            except Exception as exc:  # noqa: BLE001 - an HTTP refusal of the upgrade is a clear answer too
                status = getattr(getattr(exc, "response", None), "status_code", None)
                report.check(status is not None and status < 500, f"connect {namespace} {headers}: {exc!r}")
            finally:
                await wire.close()

    jobs = [frame(raw) for raw in corpus.BAD_FRAMES]
    jobs.append(oversize())
    visit = scene.visiting["id"]
    own = scene.server.url
    auths = [*corpus.BAD_VALUES.values(), '{"token":"\\ud800"}', '{"lang":"\\ud800","offices":["\\ud800"]}',
             '{"visit":' + json.dumps(visit) + ',"token":' + "1" * 200 + "}", '{"offices":' + "[" * 1000 + "]" * 1000 + "}",
             '{"visit":{"$gt":""}}', '{"token":"' + "a" * 16 + '.x"}']
    for namespace in ("/public", "/citizen", "/clerk", "/visit"):
        for auth in auths:
            jobs.append(connect(namespace, auth, {"Origin": own, "Cookie": scene.cookies["anna"]}))
        for headers in corpus.bad_headers(own):
            jobs.append(connect(namespace, '{"visit":' + json.dumps(visit) + "}", headers))
    await asyncio.wait_for(asyncio.gather(*jobs), 60)
    await report.same_queue(before)
    report.assert_clean(scene)


METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")


def routes(scene: Scene) -> list[tuple[str, set[str]]]:
    """Every route (docs/events.md and the pages), with the methods that act on it."""
    visit = scene.visiting["id"]
    karl = scene.accounts["karl"].id
    return [
        ("/api/offices?lang=%ED%A0%80", {"GET"}),
        ("/api/offices/buergerbuero/tickets", {"POST"}),
        ("/api/offices/nope/tickets", {"POST"}),
        ("/api/offices/%ED%A0%80%00/tickets", {"POST"}),
        ("/api/tickets/me", {"GET", "DELETE"}),
        (f"/visit/{visit}?embed=console&lang=" + "x" * 3000, {"GET"}),
        ("/visit/%ED%A0%80", {"GET"}),
        (f"/visit/{visit}/files?lang=%ff", {"POST"}),
        (f"/visit/{visit}/files/0123456789abcdef", {"GET"}),
        (f"/visit/{visit}/files/..%2F..%2Fetc", {"GET"}),
        ("/api/connection-check", {"GET", "POST"}),
        ("/healthz", {"GET"}),
        ("/api/login", {"POST"}),
        ("/api/logout", {"POST"}),
        ("/api/me", {"GET"}),
        ("/login?next=%ED%A0%80", {"GET", "POST"}),
        ("/logout", {"POST"}),
        ("/console", {"GET"}),
        ("/w/buergerbuero?lang=%00", {"GET"}),
        ("/w/%ED%A0%80", {"GET"}),
        ("/admin", {"GET"}),
        ("/admin/stats?days=" + "9" * 200, {"GET"}),
        ("/admin/offices/new", {"GET", "POST"}),
        ("/admin/offices/buergerbuero", {"GET", "POST"}),
        ("/admin/offices/buergerbuero/delete", {"GET", "POST"}),
        ("/admin/clerks/new", {"GET", "POST"}),
        (f"/admin/clerks/{karl}", {"GET", "POST"}),
        (f"/admin/clerks/{karl}/delete", {"GET", "POST"}),
        (f"/admin/clerks/{karl}/logout", {"POST"}),
        ("/admin/origins", {"GET", "POST"}),
        ("/admin/origins/allow", {"POST"}),
        ("/admin/embed", {"GET"}),
        ("/admin/embed/preview?origin=%ED%A0%80", {"GET"}),
        ("/widget.js", {"GET"}),
        ("/widget/%ED%A0%80.js", {"GET"}),
        ("/favicon.ico", {"GET"}),
        ("/static/vendor/socket.io.min.js", {"GET"}),
        ("/static/..%2F..%2Fsettings.py", {"GET"}),
        ("/socket.io/?EIO=4&transport=polling", {"GET", "POST"}),
        ("/socket.io/?EIO=3&transport=polling&sid=%ED%A0%80", {"GET", "POST"}),
        ("/socket.io/?EIO=4&transport=nope&sid=" + "x" * 3000, {"GET", "POST"}),
    ]


async def test_every_route_with_every_method_body_and_header(scene: Scene) -> None:
    before = await queue_state(scene.redis)
    report = Report(scene)
    limiter = asyncio.Semaphore(12)
    own = scene.server.url
    requests: list[tuple[str, str, dict[str, str], bytes]] = []
    # Credentials of staff only where they cannot act: a clerk (not an administrator)
    # anywhere but the logouts, the administrator for what only reads.
    anna, root = scene.cookies["anna"], scene.cookies["root"]
    for path, methods in routes(scene):
        logout = "logout" in path
        for method in METHODS:
            requests.append((method, path, {}, b""))
            requests.append((method, path, {"Origin": own}, b""))
            if not logout:
                requests.append((method, path, {"Origin": own, "Cookie": anna, "X-Requested-With": "XMLHttpRequest"}, b""))
            if method in ("GET", "HEAD", "OPTIONS"):
                requests.append((method, path, {"Origin": own, "Cookie": root}, b""))
        bodies = corpus.BAD_BODIES + (corpus.OFFER_BODIES if path == "/api/connection-check" else [])
        for method in methods | {"PUT", "PATCH"}:
            for content_type, body in bodies:
                headers = {"Origin": own, "X-Requested-With": "XMLHttpRequest", "X-File-Name": "%ff%fe..%2Fx"}
                if content_type:
                    headers["Content-Type"] = content_type
                requests.append((method, path, headers, body))
                if not logout and method in methods:
                    requests.append((method, path, {**headers, "Cookie": anna}, body))
        for method in sorted(methods):
            for headers in corpus.bad_headers(own):
                requests.append((method, path, headers, b'{"name": ' + b"1" * 200 + b"}" if method == "POST" else b""))

    async with httpx.AsyncClient(base_url=own, timeout=ANSWER_SECONDS) as http:

        async def send(method: str, path: str, headers: dict[str, str], body: bytes) -> None:
            what = f"{method} {path[:60]} {str(headers)[:120]} body={body[:40]!r}"
            async with limiter:
                try:
                    response = await http.request(method, path, headers=headers, content=body or None)
                except httpx.TimeoutException:
                    report.check(False, f"{what}: no answer within {ANSWER_SECONDS} s")
                    return
                except httpx.HTTPError as exc:  # the server dropped a request it could not read: also an answer
                    report.check(False, f"{what}: {exc!r}")
                    return
            busy = response.status_code == 503 and path.startswith("/api/connection-check")
            status = response.status_code
            # 201 would be a ticket or a file made of garbage
            report.check((status < 500 or busy) and status != 201, f"{what}: {status} {response.text[:120]}")

        await asyncio.wait_for(asyncio.gather(*(send(*r) for r in requests)), 90)
    assert (await httpx.AsyncClient(base_url=own).get("/healthz")).status_code == 200
    await report.same_queue(before)
    report.assert_clean(scene)
    print(f"http: {report.count} requests in {time.monotonic() - report.started:.1f} s")


async def test_the_server_is_unharmed(scene: Scene) -> None:
    """After everything: no traceback, the server answers, everyone still connected can act."""
    assert not tracebacks(scene.server.log()), tracebacks(scene.server.log())
    async with httpx.AsyncClient(base_url=scene.server.url) as http:
        assert (await http.get("/healthz")).json()["ok"] is True
    assert (await scene.wires["citizen"].call('"heartbeat",{}')) == {"ok": True}
    assert (await scene.wires["visit_clerk"].call('"whoami",{}'))["role"] == "clerk"
    queue = await scene.wires["clerk"].call('"no_such_event"')
    assert queue["error"] == "unknown_event"
