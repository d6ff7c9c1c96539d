"""Chat, files, signatures, the ID check and the visit record in a visit, against a real server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio

from tests.conftest import RedisServer
from tests.server.conftest import ServerProcess, join, login, seed
from tests.server.test_realtime import CITIZEN, CLERK, citizen, clerk
from tests.server.test_visit import VISIT, visit_client
from virtual_office.server.visit.exchange.chat import BURST, WINDOW_SECONDS, ChatPace, TooFast
from virtual_office.server.visit.exchange.state import VisitState

LIMIT = 40_000
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
HTML_NAME = "<img src=x onerror=alert(1)>.pdf"


@pytest.fixture
async def server(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    await seed(redis_server.url)
    process = ServerProcess(
        tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_CALL_TIMEOUT_SECONDS": "5", "VO_MAX_UPLOAD_BYTES": str(LIMIT)}
    )
    process.start()
    yield process
    process.stop()


class Visit:
    """A citizen and the clerk serving them, both connected to the visit."""

    def __init__(self, visit_id: str, token: str, desk: Any, person: Any, clerk_cookie: str) -> None:
        self.id = visit_id
        self.token = token
        self.desk = desk
        self.person = person
        self.clerk_cookie = clerk_cookie


async def start_visit(server: ServerProcess, clients: Any, clerk_name: str = "anna") -> Visit:
    desk = await clerk(clients, server, clerk_name, available=("buergerbuero",))
    joined = await join(server, "buergerbuero", name="Erika")
    waiting = await citizen(clients, server, joined["token"])
    visit_id = (await desk.call(CLERK, "call_next", {"office_id": "buergerbuero"}))["ticket"]["id"]
    assert (await waiting.call(CITIZEN, "accept"))["ok"]
    person = await visit_client(clients, server, visit_id, token=joined["token"])
    staff = await visit_client(clients, server, visit_id, clerk_name=clerk_name)
    return Visit(visit_id, joined["token"], staff, person, await login(server, clerk_name))


async def upload(server: ServerProcess, visit_id: str, body: Any, name: str, *, token: str | None = None, cookie: str | None = None,
                 extra: dict[str, str] | None = None) -> httpx.Response:
    from urllib.parse import quote

    headers = {"X-Requested-With": "XMLHttpRequest", "X-File-Name": quote(name)}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = cookie
    headers.update(extra or {})
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        return await http.post(f"/visit/{visit_id}/files?lang=de", content=body, headers=headers)


async def download(server: ServerProcess, visit_id: str, file_id: str, *, token: str | None = None, cookie: str | None = None) -> httpx.Response:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if cookie:
        headers["Cookie"] = cookie
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
        return await http.get(f"/visit/{visit_id}/files/{file_id}", headers=headers)


def stored(server: ServerProcess, visit_id: str) -> list[str]:
    folder = server.data_dir / "visits" / visit_id
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_chat_both_ways_as_text(server: ServerProcess, clients: Any) -> None:
    v = await start_visit(server, clients)
    script = "<script>alert('x')</script> https://example.org"
    assert await v.person.call(VISIT, "chat", {"text": script}) == {"ok": True}
    got = await v.desk.wait_for("chat", lambda d: d["from"] == "citizen")
    assert got["text"] == script and got["role"] == "citizen" and got["name"] == "Erika" and got["at"] > 0
    assert (await v.desk.call(VISIT, "chat", {"text": "Guten Tag!\nWie kann ich helfen?"}))["ok"]
    reply = await v.person.wait_for("chat", lambda d: d["role"] == "clerk")
    assert reply["text"] == "Guten Tag!\nWie kann ich helfen?" and reply["name"] == "Anna Amt"

    # A reload gets the history; empty and overlong messages are refused.
    snapshot = await v.person.call(VISIT, "exchange")
    assert [m["text"] for m in snapshot["chat"]] == [script, "Guten Tag!\nWie kann ich helfen?"]
    assert snapshot["me"]["role"] == "citizen" and snapshot["limits"]["max_bytes"] == LIMIT
    for bad in ({"text": "   "}, {"text": "x" * 2001}, {"text": 5}, {}):
        assert (await v.person.call(VISIT, "chat", bad))["error"] == "bad_request"


async def test_a_chat_flood_is_refused_with_a_message_and_reaches_nobody(server: ServerProcess, clients: Any) -> None:
    v = await start_visit(server, clients)
    answers = [await v.person.call(VISIT, "chat", {"text": f"Nachricht {n}"}) for n in range(BURST + 1)]
    assert [a["ok"] for a in answers] == [True] * BURST + [False]
    assert answers[-1]["error"] == "too_fast" and "10 Nachrichten" in answers[-1]["message"]
    await v.desk.wait_for("chat", lambda d: d["text"] == f"Nachricht {BURST - 1}")
    assert f"Nachricht {BURST}" not in [m["text"] for m in v.desk.of("chat")]
    # The pace is per member: the clerk can still answer.
    assert (await v.desk.call(VISIT, "chat", {"text": "Einen Moment bitte."}))["ok"]


async def test_two_uploads_of_one_signature_at_once_keep_one(server: ServerProcess, clients: Any) -> None:
    v = await start_visit(server, clients)
    request = (await v.desk.call(VISIT, "signature_request", {"document": "Antrag"}))["request"]
    headers = {"X-Signature-Request": request["id"]}
    halfway, go_on = asyncio.Event(), asyncio.Event()

    async def slow_png() -> Any:  # the first upload stops halfway until the second has been answered
        yield PNG[: len(PNG) // 2]
        halfway.set()
        await go_on.wait()
        yield PNG[len(PNG) // 2 :]

    first = asyncio.create_task(upload(server, v.id, slow_png(), "s.png", token=v.token, extra=headers))
    await asyncio.wait_for(halfway.wait(), 10)
    second = await upload(server, v.id, PNG, "s.png", token=v.token, extra=headers)
    go_on.set()
    assert second.status_code == 409 and second.json()["error"] == "already_signed"
    assert (await first).status_code == 201
    snapshot = await v.person.call(VISIT, "exchange")
    assert len(snapshot["files"]) == 1 and snapshot["signatures"][0]["state"] == "signed"


async def test_files_both_ways_only_for_members_and_gone_after_finish(server: ServerProcess, clients: Any, redis_client: Any) -> None:
    v = await start_visit(server, clients)
    sent = await upload(server, v.id, PDF, HTML_NAME, token=v.token)
    assert sent.status_code == 201, sent.text
    file = sent.json()["file"]
    assert file["name"] == HTML_NAME and file["type"] == "application/pdf" and file["size"] == len(PDF) and file["from"] == "citizen"
    assert (await v.desk.wait_for("file"))["id"] == file["id"]
    got = await download(server, v.id, file["id"], cookie=v.clerk_cookie)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert HTML_NAME not in got.headers["content-disposition"]  # percent-encoded, never raw

    back = await upload(server, v.id, PNG, "bescheid.exe", cookie=v.clerk_cookie)
    assert back.status_code == 201, back.text
    reply = back.json()["file"]
    assert reply["name"] == "bescheid.exe.png" and reply["type"] == "image/png" and reply["from"].startswith("clerk:")
    await v.person.wait_for("file", lambda d: d["id"] == reply["id"])
    assert (await download(server, v.id, reply["id"], token=v.token)).content == PNG
    assert len(stored(server, v.id)) == 4  # two files, two descriptions; no client file name on disk
    assert not any("bescheid" in n or "img" in n for n in stored(server, v.id))

    # Not members: a citizen still waiting, a clerk of another office, nobody at all.
    other = await join(server, "buergerbuero")
    karl = await login(server, "karl")
    for creds in ({"token": other["token"]}, {"cookie": karl}, {}):
        assert (await download(server, v.id, file["id"], **creds)).status_code == 404
        refused = await upload(server, v.id, PDF, "x.pdf", **creds)
        assert refused.status_code == 404 and refused.json()["error"] == "not_found"
    assert (await download(server, v.id, "f" * 32, token=v.token)).status_code == 404
    assert (await download(server, v.id, "..%2F..%2Fsecret_key", token=v.token)).status_code == 404
    assert len(stored(server, v.id)) == 4

    assert (await v.desk.call(VISIT, "chat", {"text": "bis bald"}))["ok"]
    finish = await clerk(clients, server, "anna")
    assert (await finish.call(CLERK, "finish", {"office_id": "buergerbuero", "ticket_id": v.id}))["ok"]
    await v.person.wait_for("ended")
    assert stored(server, v.id) == []
    assert (await download(server, v.id, file["id"], cookie=v.clerk_cookie)).status_code == 404
    assert (await download(server, v.id, reply["id"], token=v.token)).status_code == 404
    assert await redis_client.keys(f"vo:exchange:{{{v.id}}}:*") == []


async def test_oversized_and_disguised_files_are_refused_and_nothing_is_kept(server: ServerProcess, clients: Any) -> None:
    v = await start_visit(server, clients)
    big = await upload(server, v.id, PDF + b"0" * LIMIT, "gross.pdf", token=v.token)
    assert big.status_code == 413 and big.json()["error"] == "too_large"
    assert "zu groß" in big.json()["message"] and "0.04 MB" in big.json()["message"]

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit stops the stream
        yield PDF
        for _ in range(LIMIT // 1000 + 5):
            yield b"0" * 1000

    streamed = await upload(server, v.id, chunks(), "gestreamt.pdf", token=v.token)
    assert streamed.status_code == 413
    exe = await upload(server, v.id, EXE, "antrag.pdf", token=v.token)
    assert exe.status_code == 415 and exe.json()["error"] == "file_type"
    assert "PDF, PNG, JPEG" in exe.json()["message"] and "Inhalt" in exe.json()["message"]
    empty = await upload(server, v.id, b"", "leer.pdf", token=v.token)
    assert empty.status_code == 400
    assert stored(server, v.id) == []
    assert v.desk.of("file") == []

    # Other websites cannot make a clerk's browser post: no custom header, or a foreign Origin.
    no_header = await upload(server, v.id, PDF, "a.pdf", cookie=v.clerk_cookie, extra={"X-Requested-With": ""})
    assert no_header.status_code == 400
    foreign = await upload(server, v.id, PDF, "a.pdf", cookie=v.clerk_cookie, extra={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert stored(server, v.id) == []


async def test_signature_id_check_and_record(server: ServerProcess, clients: Any) -> None:
    v = await start_visit(server, clients)
    assert (await v.person.call(VISIT, "signature_request", {"document": "Antrag"}))["error"] == "forbidden"
    asked = await v.desk.call(VISIT, "signature_request", {"document": "  Antrag auf <b>Wohngeld<b> "})
    request = asked["request"]
    assert request["document"] == "Antrag auf <b>Wohngeld<b>" and request["state"] == "requested"
    assert (await v.person.wait_for("signature_request"))["id"] == request["id"]

    # Only the citizen signs, only a PNG, only once.
    headers = {"X-Signature-Request": request["id"]}
    assert (await upload(server, v.id, PNG, "s.png", cookie=v.clerk_cookie, extra=headers)).status_code == 403
    assert (await upload(server, v.id, PDF, "s.png", token=v.token, extra=headers)).status_code == 415
    signed = await upload(server, v.id, PNG, "s.png", token=v.token, extra=headers)
    assert signed.status_code == 201, signed.text
    assert signed.json()["file"]["name"] == "Unterschrift – Antrag auf <b>Wohngeld<b>.png"
    arrived = await v.desk.wait_for("signature")
    assert arrived["state"] == "signed" and arrived["file"]["type"] == "image/png"
    assert (await download(server, v.id, arrived["file"]["id"], cookie=v.clerk_cookie)).content == PNG
    assert (await upload(server, v.id, PNG, "s.png", token=v.token, extra=headers)).status_code == 409

    paper = (await v.desk.call(VISIT, "signature_request", {"document": "Vollmacht"}))["request"]
    assert (await v.person.call(VISIT, "signed_on_paper", {"request_id": paper["id"]}))["error"] == "forbidden"
    assert (await v.desk.call(VISIT, "signed_on_paper", {"request_id": paper["id"]}))["request"]["state"] == "paper"
    open_request = (await v.desk.call(VISIT, "signature_request", {"document": "Meldeschein"}))["request"]

    assert (await v.person.call(VISIT, "id_check_request"))["error"] == "forbidden"
    assert (await v.desk.call(VISIT, "id_check_request"))["ok"]
    await v.person.wait_for("id_check_request")
    assert (await v.desk.call(VISIT, "id_checked", {"checked": True}))["ok"]
    assert (await v.person.wait_for("id_checked"))["checked"] is True
    assert (await upload(server, v.id, PDF, "Nachweis.pdf", token=v.token)).status_code == 201

    record = (await v.desk.call(VISIT, "record"))["record"]
    text = record["text"]
    assert "Büro: Bürgerbüro" in text and "Identität geprüft: ja" in text
    assert "Nachweis.pdf (von der Person)" in text
    assert "Antrag auf <b>Wohngeld<b> (digital)" in text and "Vollmacht (auf Papier)" in text
    assert f"Nicht unterschrieben: {open_request['document']}" in text
    assert record["identity_checked"] is True and record["documents"] == ["Nachweis.pdf"]
    assert (await v.person.call(VISIT, "record"))["error"] == "forbidden"

    finish = await clerk(clients, server, "anna")
    assert (await finish.call(CLERK, "finish", {"office_id": "buergerbuero", "ticket_id": v.id}))["ok"]
    final = await v.desk.wait_for("record", lambda d: d.get("final"))
    assert final["reason"] == "finished" and "Identität geprüft: ja" in final["text"]
    assert v.person.of("record") == []
    names = [e for _, e, _ in v.desk.events]
    assert names.index("record") < names.index("ended")


async def test_send_back_deletes_the_files_too(server: ServerProcess, clients: Any) -> None:
    v = await start_visit(server, clients)
    assert (await upload(server, v.id, PDF, "a.pdf", token=v.token)).status_code == 201
    desk = await clerk(clients, server, "anna")
    assert (await desk.call(CLERK, "send_back", {"office_id": "buergerbuero", "ticket_id": v.id}))["ok"]
    await v.person.wait_for("ended")
    assert stored(server, v.id) == []


async def test_the_sweep_removes_what_a_missed_end_left(server: ServerProcess, clients: Any, redis_client: Any) -> None:
    v = await start_visit(server, clients)
    assert (await upload(server, v.id, PDF, "laufend.pdf", token=v.token)).status_code == 201
    server.stop()
    leftover = "0123456789abcdef"
    folder = server.data_dir / "visits" / leftover
    folder.mkdir(parents=True)
    (folder / ("a" * 32)).write_bytes(PDF)
    await VisitState(redis_client).add_chat(leftover, {"text": "alt"})
    server.start()  # the sweep runs at start-up
    for _ in range(100):
        if not folder.exists():
            break
        await asyncio.sleep(0.1)
    assert not folder.exists()
    assert await redis_client.keys(f"vo:exchange:{{{leftover}}}:*") == []
    assert len(stored(server, v.id)) == 2  # the visit still going on keeps its file


def test_the_chat_pace_lets_a_member_go_on_once_the_window_has_passed(clock: Any) -> None:
    pace = ChatPace(clock)
    for _ in range(BURST):
        pace.take("citizen")
    with pytest.raises(TooFast):
        pace.take("citizen")
    pace.take("clerk")  # everyone has their own
    clock.advance(WINDOW_SECONDS)
    pace.take("citizen")
