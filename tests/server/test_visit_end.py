"""Every way a visit ends leaves the same state behind, through the one end of a visit.

Each case runs a real visit on a real server: the clerk and the citizen as aiortc peers
whose media flows through the server, a colleague added as a guest, a chat message, a
file and a visit record. Then the visit ends one way or another, and the same
postconditions are checked: no media flows, the exchange's keys and files are gone,
the guests are gone, every member's page and the consoles are told, and the staff
who used the record got the final one.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio
import socketio

from tests.conftest import RedisServer
from tests.server.conftest import PASSWORD, ServerProcess, join, login, seed
from tests.server.test_exchange import PDF, upload
from tests.server.test_realtime import CITIZEN, CLERK, citizen, clerk
from tests.server.test_visit_media import Member, clerk_ids, members  # noqa: F401 - a fixture
from virtual_office.queue import keys

VISIT = "/visit"
OFFICE = "buergerbuero"
GRACE = 3
"""Seconds a citizen whose pages are all gone keeps the place (the ``expired`` case)."""

ENDS = ["finished", "no_show", "left", "left_over_http", "expired", "sent_back", "transferred", "removed"]
REASON = {"left_over_http": "left"}
CITIZEN_GONE = {"no_show", "expired"}
"""Ends before which the citizen has no visit page (never came, or gone)."""
TICKET_LIVES_ON = {"sent_back", "transferred"}


@pytest.fixture
async def server(request: pytest.FixtureRequest, redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    await seed(redis_server.url)
    env = {"VO_REDIS_URL": redis_server.url, "VO_MEDIA_HOST_ADDRESSES": "127.0.0.1", "VO_CALL_TIMEOUT_SECONDS": "2"}
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("end") == "expired":
        env["VO_GRACE_SECONDS"] = str(GRACE)
    process = ServerProcess(tmp_path, env)
    process.start()
    yield process
    process.stop()


async def remove_office(server: ServerProcess, office: str) -> None:
    """The administrator deletes the office through the administration, as a browser would."""
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    async with httpx.AsyncClient(base_url=server.url, headers={"Origin": server.url}) as http:
        page = await http.get("/login")
        form = {"login": "root", "password": PASSWORD, "csrf_token": token.search(page.text).group(1)}  # type: ignore[union-attr]
        assert (await http.post("/login", data=form)).status_code == 303
        page = await http.get(f"/admin/offices/{office}/delete")
        found = token.search(page.text)
        assert found, page.text
        answer = await http.post(f"/admin/offices/{office}/delete", data={"csrf_token": found.group(1)})
        assert answer.status_code == 303, answer.text


async def media_stopped(*members: Member) -> None:
    await asyncio.sleep(1.0)  # packets already on their way
    counts = [await m.packets() for m in members]
    await asyncio.sleep(1.5)
    assert [await m.packets() for m in members] == counts, "media still flows after the end"


@pytest.mark.parametrize("end", ENDS)
async def test_every_end_of_a_visit_leaves_the_same_state(
    end: str, server: ServerProcess, clients: Any, members: Any, redis_client: redis.asyncio.Redis
) -> None:
    reason = REASON.get(end, end)
    ids = await clerk_ids(redis_client)
    desk = await clerk(clients, server, "bea", available=(OFFICE,))
    colleague_console = await clerk(clients, server, "anna")
    joined = await join(server, OFFICE, name="Erika Muster", concern="Wohnsitz")
    waiting = await citizen(clients, server, joined["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
    bea_cookie = await login(server, "bea")

    # The clerk (red) is in the visit with media; the citizen (blue) too unless they never come.
    red = members("red")
    await red.enter(server, visit, cookie=bea_cookie)
    assert (await red.send_media())["ok"]
    media = [red]
    blue = None
    if end != "no_show":
        assert (await waiting.call(CITIZEN, "accept"))["ok"]
        blue = members("blue")
        await blue.enter(server, visit, token=joined["token"])
        assert (await blue.send_media())["ok"]
        await red.sees("citizen")
        await blue.sees(f"clerk:{ids['bea']}")
        media.append(blue)

    # A colleague is added (and joins, once the visit has begun); chat, a file and the record are used.
    assert (await red.client.call(VISIT, "invite", {"clerk_id": ids["anna"]}))["ok"]
    await colleague_console.wait_for("invited", lambda d: d["visit_id"] == visit)
    guest = None
    if blue is not None:
        guest = clients()
        await guest.connect(server, VISIT, auth={"visit": visit}, headers={"Cookie": await login(server, "anna")})
        assert (await (blue.client.call(VISIT, "chat", {"text": "Guten Tag"})))["ok"]
    sent = await upload(server, visit, PDF, "antrag.pdf", cookie=bea_cookie)
    assert sent.status_code == 201, sent.text
    assert (await red.client.call(VISIT, "record"))["ok"]
    assert await redis_client.exists(keys.visit_state(visit))
    assert (server.data_dir / "visits" / visit).exists()

    # The end.
    if end == "finished":
        assert (await desk.call(CLERK, "finish", {"office_id": OFFICE, "ticket_id": visit}))["ok"]
    elif end == "no_show":
        pass  # the call times out: the sweep ends it
    elif end == "left":
        assert (await waiting.call(CITIZEN, "leave"))["ok"]
    elif end == "left_over_http":
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.delete("/api/tickets/me", headers={"Authorization": f"Bearer {joined['token']}"})).status_code == 200
    elif end == "expired":
        assert blue is not None
        await waiting.close()
        await blue.close()  # every page of the citizen is gone: the grace period runs out
        media.remove(blue)
    elif end == "sent_back":
        assert (await desk.call(CLERK, "send_back", {"office_id": OFFICE, "ticket_id": visit}))["ok"]
    elif end == "transferred":
        assert (await desk.call(CLERK, "transfer", {"office_id": OFFICE, "ticket_id": visit, "target_office_id": "kfz"}))["ok"]
    elif end == "removed":
        await remove_office(server, OFFICE)

    # Every member's page is told why, and the clerk's console; the colleague's console drops the invitation.
    timeout = GRACE + 10
    for page in [m.client for m in media] + ([guest] if guest else []):
        assert (await page.wait_for("ended", timeout=timeout))["reason"] == reason
    told = await desk.wait_for("visit", lambda d: d.get("state") == "ended" and d.get("ticket_id") == visit, timeout=timeout)
    assert told["reason"] == reason
    await colleague_console.wait_for("invitation_over", lambda d: d["visit_id"] == visit)
    if end != "expired":
        if end in TICKET_LIVES_ON:
            await waiting.wait_for("ticket", lambda d: d["state"] == "waiting")
        else:
            assert (await waiting.wait_for("ended"))["reason"] == reason

    # The staff who used the record got the final one.
    final = await red.client.wait_for("record", lambda d: d.get("final"))
    assert final["reason"] == reason and "antrag.pdf" in final["text"]

    # No media flows to anyone, and nobody can start it again.
    await media_stopped(*media)
    assert not (await red.signal({"type": "offer", "sdp": red.pc.localDescription.sdp}))["ok"]

    # The exchange is gone: its keys, its files.
    assert not await redis_client.exists(keys.visit_state(visit), keys.visit_chat(visit))
    assert not await redis_client.sismember(keys.EXCHANGE_VISITS, visit)
    assert not (server.data_dir / "visits" / visit).exists()

    # The guests are gone with the visit: a ticket that lives on has none, and the colleague cannot come back.
    if end in TICKET_LIVES_ON:
        office = "kfz" if end == "transferred" else OFFICE
        assert not await redis_client.hget(keys.ticket(office, visit), "guests")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await clients().connect(server, VISIT, auth={"visit": visit}, headers={"Cookie": await login(server, "anna")})
    if end not in TICKET_LIVES_ON:
        assert not await redis_client.exists(keys.ticket(OFFICE, visit))
    if end == "removed":  # nothing of the office is left: no ticket, queue, counter or statistics
        assert not [key async for key in redis_client.scan_iter(match=f"{keys.tag(OFFICE)}:*")]


async def test_a_colleague_of_an_earlier_visit_cannot_join_the_next_or_read_its_files(
    server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis
) -> None:
    ids = await clerk_ids(redis_client)
    desk = await clerk(clients, server, "bea", available=(OFFICE,))
    joined = await join(server, OFFICE, name="Erika")
    waiting = await citizen(clients, server, joined["token"])
    visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
    assert (await waiting.call(CITIZEN, "accept"))["ok"]
    bea_cookie, anna_cookie, karl_cookie = await login(server, "bea"), await login(server, "anna"), await login(server, "karl")
    serving = clients()
    await serving.connect(server, VISIT, auth={"visit": visit}, headers={"Cookie": bea_cookie})

    # Anna is added to the first visit and stays connected; Karl is added and let go.
    for name in ("anna", "karl"):
        assert (await serving.call(VISIT, "invite", {"clerk_id": ids[name]}))["ok"]
    anna = clients()
    await anna.connect(server, VISIT, auth={"visit": visit}, headers={"Cookie": anna_cookie})
    assert (await serving.call(VISIT, "dismiss", {"clerk_id": ids["karl"]}))["ok"]

    # The citizen is sent back and called again: a new visit of the same ticket.
    assert (await desk.call(CLERK, "send_back", {"office_id": OFFICE, "ticket_id": visit}))["ok"]
    await anna.wait_for("ended")
    assert (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"] == visit
    assert (await waiting.call(CITIZEN, "accept"))["ok"]
    person = clients()
    await person.connect(server, VISIT, auth={"visit": visit, "token": joined["token"]})
    serving = clients()
    await serving.connect(server, VISIT, auth={"visit": visit}, headers={"Cookie": bea_cookie})
    assert (await person.call(VISIT, "chat", {"text": "Meine Adresse ist geheim"}))["ok"]
    sent = await upload(server, visit, PDF, "ausweis.pdf", token=joined["token"])
    assert sent.status_code == 201
    file_id = sent.json()["file"]["id"]

    # Neither former colleague gets in, reads the file, or hears anything of the new visit.
    for cookie in (anna_cookie, karl_cookie):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await clients().connect(server, VISIT, auth={"visit": visit}, headers={"Cookie": cookie})
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get(f"/visit/{visit}/files/{file_id}", headers={"Cookie": cookie})).status_code == 404
        assert (await upload(server, visit, PDF, "x.pdf", cookie=cookie)).status_code == 404
    # Anna's connection of the first visit is still open: it hears nothing and may do nothing.
    assert (await anna.call(VISIT, "chat", {"text": "hallo"}))["error"] == "forbidden"
    assert (await anna.call(VISIT, "exchange"))["error"] == "forbidden"
    await asyncio.sleep(0.5)
    assert not [d for d in anna.of("chat") if "geheim" in d["text"]]
    assert not [d for d in anna.of("file") if d["id"] == file_id]
    # The serving clerk, of course, sees it all.
    assert file_id in [f["id"] for f in (await serving.call(VISIT, "exchange"))["files"]]


async def test_a_full_visits_log_holds_no_address_name_or_concern(
    redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path, clients: Any, members: Any
) -> None:
    """The whole path at debug level — join, waiting, call, a visit with media, chat, a file,
    the end — and then the log is searched for what the citizen gave and where they came from."""
    await seed(redis_server.url)
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_MEDIA_HOST_ADDRESSES": "127.0.0.1",
                                       "VO_LOG_LEVEL": "debug"})
    process.start()
    try:
        ids = await clerk_ids(redis_client)
        desk = await clerk(clients, process, "bea", available=(OFFICE,))
        joined = await join(process, OFFICE, name="Erika Mustermann", concern="Wohnsitz ummelden")
        waiting = await citizen(clients, process, joined["token"])
        visit = (await desk.call(CLERK, "call_next", {"office_id": OFFICE}))["ticket"]["id"]
        assert (await waiting.call(CITIZEN, "accept"))["ok"]
        red, blue = members("red"), members("blue")
        await red.enter(process, visit, cookie=await login(process, "bea"))
        await blue.enter(process, visit, token=joined["token"])
        assert (await red.send_media())["ok"] and (await blue.send_media())["ok"]
        await red.sees("citizen")
        await blue.sees(f"clerk:{ids['bea']}")
        assert (await blue.client.call(VISIT, "chat", {"text": "Meine Adresse: Hauptstraße 1"}))["ok"]
        assert (await upload(process, visit, PDF, "Mietvertrag Mustermann.pdf", token=joined["token"])).status_code == 201
        assert (await desk.call(CLERK, "finish", {"office_id": OFFICE, "ticket_id": visit}))["ok"]
        await blue.client.wait_for("ended")
    finally:
        process.stop()
    log = process.log()
    assert "aioice" in log or "DEBUG" in log, "the test must have logged something at debug level"
    for secret in ("127.0.0.1", "Erika", "Mustermann", "Wohnsitz", "Hauptstraße", joined["token"]):
        assert secret not in log, f"{secret!r} is in the server log"


async def test_redis_forgets_an_ended_tickets_data_at_the_next_rewrite(redis_server: RedisServer, redis_client: redis.asyncio.Redis) -> None:
    """A deleted ticket's name lives on in the append-only file's history until the sweeper has it rewritten."""
    from types import SimpleNamespace

    from virtual_office.server.sweeper import Sweeper

    await redis_client.hset("vo:{probe}:ticket:1", mapping={"name": "Erika Vergessen", "concern": "Geheimes Anliegen"})
    await redis_client.delete("vo:{probe}:ticket:1")

    def persisted() -> bytes:
        return b"".join(p.read_bytes() for p in redis_server.dir.rglob("*.aof*") if p.is_file())

    for _ in range(100):  # appendfsync everysec
        if b"Vergessen" in persisted():
            break
        await asyncio.sleep(0.05)
    assert b"Vergessen" in persisted()
    sweeper = Sweeper(SimpleNamespace(redis=redis_client), None, None)  # type: ignore[arg-type]
    await sweeper.forget_history()
    for _ in range(200):
        info = await redis_client.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"] and b"Vergessen" not in persisted():
            break
        await asyncio.sleep(0.05)
    assert b"Vergessen" not in persisted() and b"Geheimes" not in persisted()
