"""Fees in a visit, against a real server, real Redis and the local XBezahldienste platform on loopback:
the clerk asks, the citizen pays (or cancels and tries again) on the platform's page, both sides hear it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio

from tests.conftest import ALWAYS, RedisServer
from tests.payments.conftest import CLIENT_ID, ENDPOINT, FEES, ORIGINATOR, SECRET, Platform
from tests.server.conftest import ServerProcess, login, seed
from tests.server.test_exchange import start_visit
from tests.server.test_visit import VISIT
from virtual_office.payments import ProviderConfig, ProviderDirectory, State, TransactionStore, payment_stats
from virtual_office.queue import Office, OfficeDirectory

OFFICE = "buergerbuero"
IBAN = "DE89370400440532013000"


@pytest.fixture
async def platform() -> AsyncIterator[Platform]:
    p = Platform()
    p.sandbox.add_client(CLIENT_ID, SECRET, ORIGINATOR, ENDPOINT)
    await p.start()
    yield p
    await p.stop()


@pytest.fixture
async def server(redis_server: RedisServer, redis_client: redis.asyncio.Redis, platform: Platform,
                 tmp_path: Path) -> AsyncIterator[ServerProcess]:
    await seed(redis_server.url)
    await OfficeDirectory(redis_client).save(
        Office.from_config({"id": OFFICE, "name": "Bürgerbüro", "hours": ALWAYS, "order": 0, "payments": FEES}))
    await ProviderDirectory(redis_client).save(OFFICE, platform.settings())
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_CALL_TIMEOUT_SECONDS": "5"})
    process.start()
    yield process
    process.stop()


def state_is(state: str) -> Any:
    return lambda p: p["state"] == state


async def pay(pay_url: str, action: str) -> httpx.Response:
    """The citizen's click on the platform's page; the platform sends the browser back to our return page."""
    async with httpx.AsyncClient(follow_redirects=True, timeout=20) as browser:
        return await browser.post(pay_url, data={"action": action})


async def test_the_clerk_asks_for_a_fee_the_citizen_pays_and_both_sides_hear_it(
        server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis) -> None:
    visit = await start_visit(server, clients)
    loaded = await visit.desk.call(VISIT, "payments", {})
    assert loaded["ok"] and loaded["payments"] == []
    assert loaded["catalogue"]["ready"] and [f["id"] for f in loaded["catalogue"]["fees"]] == ["fuehrungszeugnis", "beglaubigung", "kopie"]
    assert loaded["catalogue"]["fees"][0]["amount"] == 1300
    assert "catalogue" not in await visit.person.call(VISIT, "payments", {})  # the citizen chooses no fees

    answer = await visit.desk.call(VISIT, "payment_request", {"charges": [
        {"fee": "fuehrungszeugnis"}, {"fee": "beglaubigung", "quantity": 2}]})
    assert answer["ok"], answer
    payment = answer["payment"]
    assert payment["state"] == "open" and payment["total"] == 2300 and payment["pay_url"]
    due = await visit.person.wait_for("payment", state_is("open"))
    assert due["id"] == payment["id"] and due["total"] == 2300
    assert [(line["name"], line["amount"], line["quantity"]) for line in due["lines"]] == [
        ("Führungszeugnis", 1300, 1), ("Beglaubigung", 500, 2)]

    back = await pay(due["pay_url"], "pay")
    assert back.status_code == 200 and back.url.path == f"/visit/{visit.id}/payments/return"
    assert "Zahlung abgeschlossen — Sie können dieses Fenster schließen" in back.text
    assert (await visit.person.wait_for("payment", state_is("paid")))["id"] == payment["id"]
    assert (await visit.desk.wait_for("payment", state_is("paid")))["retry"] is False

    stored = await TransactionStore(redis_client).get(OFFICE, payment["id"])
    assert stored.state is State.PAID and stored.total == 2300
    day = await payment_stats(redis_client, OFFICE, stored_day(stored))
    assert day.paid == 1 and day.paid_cents == 2300
    record = await visit.desk.call(VISIT, "record", {})
    assert "Führungszeugnis, 2 × Beglaubigung, 23,00 €" in record["record"]["text"] and "bezahlt" in record["record"]["text"]


def stored_day(tx: Any) -> date:
    return datetime.fromtimestamp(tx.updated, ZoneInfo("Europe/Berlin")).date()


async def test_the_citizen_cannot_ask_for_fees_and_nobody_can_name_a_catalogue_amount(
        server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis) -> None:
    visit = await start_visit(server, clients)
    refused = await visit.person.call(VISIT, "payment_request", {"charges": [{"fee": "fuehrungszeugnis"}]})
    assert refused["ok"] is False and refused["error"] == "forbidden"
    forged = await visit.desk.call(VISIT, "payment_request", {"charges": [{"fee": "fuehrungszeugnis", "amount": "0,01"}]})
    assert forged["ok"] is False and forged["error"] == "invalid_fee" and forged["message"]
    assert (await visit.desk.call(VISIT, "payment_request", {"charges": [{"fee": "gold"}]}))["error"] == "unknown_fee"
    too_much = await visit.desk.call(VISIT, "payment_request", {"charges": [{"fee": "free", "purpose": "Porto", "amount": "200,01"}]})
    assert too_much["error"] == "invalid_fee"
    extra = await visit.desk.call(VISIT, "payment_request", {"charges": [{"fee": "kopie"}], "total": 1})
    assert extra["error"] == "bad_request"
    assert await TransactionStore(redis_client).for_visit(OFFICE, visit.id) == []
    assert visit.person.of("payment") == []
    # What the citizen can do is try a payment of this visit again, by its id, and nothing else.
    assert (await visit.person.call(VISIT, "payment_retry", {"transaction_id": "0" * 32}))["error"] == "unknown_transaction"

    free = await visit.desk.call(VISIT, "payment_request", {"charges": [{"fee": "free", "purpose": "Gebühr für Übergröße", "amount": "7,50"}]})
    assert free["ok"] and free["payment"]["total"] == 750 and free["payment"]["purpose"] == "Gebuehr fuer Uebergroesse"
    assert (await visit.person.call(VISIT, "payment_retry", {"transaction_id": free["payment"]["id"]}))["error"] == "not_retryable"


async def test_a_cancelled_payment_is_tried_again_and_paid(server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis) -> None:
    visit = await start_visit(server, clients)
    first = (await visit.desk.call(VISIT, "payment_request", {"charges": [{"fee": "kopie"}]}))["payment"]
    back = await pay(first["pay_url"], "cancel")
    assert "Zahlung abgebrochen" in back.text
    cancelled = await visit.person.wait_for("payment", state_is("cancelled"))
    assert cancelled["retry"] is True
    await visit.desk.wait_for("payment", state_is("cancelled"))

    again = await visit.person.call(VISIT, "payment_retry", {"transaction_id": first["id"]})
    assert again["ok"], again
    second = again["payment"]
    assert second["id"] != first["id"] and second["state"] == "open" and second["total"] == 1190
    assert (await visit.desk.wait_for("payment", lambda p: p["id"] == second["id"]))["state"] == "open"
    await pay(second["pay_url"], "pay")
    await visit.desk.wait_for("payment", lambda p: p["id"] == second["id"] and p["state"] == "paid")
    states = {tx.id: tx.state for tx in await TransactionStore(redis_client).for_visit(OFFICE, visit.id)}
    assert states == {first["id"]: State.CANCELLED, second["id"]: State.PAID}


async def test_the_statistics_show_fees_per_day_with_their_sum_and_nothing_personal(
        server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis) -> None:
    visit = await start_visit(server, clients)
    paid = (await visit.desk.call(VISIT, "payment_request", {"charges": [
        {"fee": "free", "purpose": "Gebühr für Übergröße", "amount": "150,00"}]}))["payment"]
    await pay(paid["pay_url"], "pay")
    await visit.desk.wait_for("payment", lambda p: p["id"] == paid["id"] and p["state"] == "paid")
    dropped = (await visit.desk.call(VISIT, "payment_request", {"charges": [{"fee": "kopie"}]}))["payment"]
    await pay(dropped["pay_url"], "cancel")
    await visit.desk.wait_for("payment", lambda p: p["id"] == dropped["id"] and p["state"] == "cancelled")
    day = stored_day(await TransactionStore(redis_client).get(OFFICE, paid["id"])).isoformat()

    async with httpx.AsyncClient(base_url=server.url, headers={"Cookie": await login(server, "root")}) as admin:
        german = (await admin.get(f"/admin/stats?office={OFFICE}&days=7&lang=de")).text
        english = (await admin.get(f"/admin/stats?office={OFFICE}&days=7&lang=en")).text
    assert 'id="fee-stats"' in german and "Gebühren Bürgerbüro" in german
    row = german[german.index(f'<tr data-day="{day}">', german.index('id="fee-stats"')):]
    row = row[:row.index("</tr>")]
    assert '<td class="paid" data-label="bezahlt">1</td>' in row
    assert '<td class="paid-sum" data-label="Summe bezahlt">150,00 €</td>' in row
    assert '<td class="cancelled" data-label="abgebrochen">1</td>' in row
    assert '<td class="failed" data-label="fehlgeschlagen">0</td>' in row
    assert "€150.00" in english and "Fees Bürgerbüro" in english
    for page in (german, english):  # who paid and what for stay in the visit's record
        assert "Übergröße" not in page and "Uebergroesse" not in page and "Erika" not in page and paid["id"] not in page


async def test_a_bank_transfer_shows_its_girocode_and_account(server: ServerProcess, clients: Any, redis_client: redis.asyncio.Redis) -> None:
    await ProviderDirectory(redis_client).save(OFFICE, ProviderConfig.from_config(
        {"kind": "girocode", "recipient": "Stadtkasse Musterstadt", "iban": IBAN, "bic": "COBADEFFXXX", "reference_prefix": "BB"}))
    visit = await start_visit(server, clients)
    answer = await visit.desk.call(VISIT, "payment_request", {"charges": [{"fee": "fuehrungszeugnis"}]})
    payment = answer["payment"]
    assert payment["state"] == "transfer_requested" and payment["pay_url"] is None
    shown = await visit.person.wait_for("payment", state_is("transfer_requested"))
    assert shown["instructions"]["iban"] == IBAN and shown["instructions"]["amount"] == "13.00"
    assert shown["instructions"]["text"].startswith(shown["reference"] + " ")
    assert shown["girocode"].startswith("data:image/svg+xml")


async def test_the_return_page_needs_this_servers_signature(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get("/visit/0123456789abcdef/payments/return", params={"office": OFFICE, "sig": "x" * 32})
    assert response.status_code == 404 and "Zahlung nicht gefunden" in response.text


async def test_a_payment_the_citizen_never_came_back_from_is_pushed_once_the_reconciler_reads_it(
        server: ServerProcess, clients: Any) -> None:
    visit = await start_visit(server, clients)
    payment = (await visit.desk.call(VISIT, "payment_request", {"charges": [{"fee": "beglaubigung"}]}))["payment"]
    async with httpx.AsyncClient(timeout=20) as browser:  # paid, but the browser never opens our return page
        assert (await browser.post(payment["pay_url"], data={"action": "pay"})).status_code == 303
    # No return page: the reconciler's first read (5 s after the payment opened) finds it paid.
    paid = await visit.person.wait_for("payment", state_is("paid"), timeout=30)
    assert paid["id"] == payment["id"]
    await visit.desk.wait_for("payment", state_is("paid"))
