"""Payments of a visit end to end: real Redis, the local platform on loopback, the state in Redis checked."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio

from tests.conftest import Clock
from tests.payments.conftest import OFFICE, SECRET, Platform
from virtual_office.payments import (
    Cashier,
    Charge,
    InvalidFee,
    NotConfigured,
    ProviderDirectory,
    Reconciler,
    State,
    Timing,
    UnknownFee,
    payment_stats,
)
from virtual_office.payments import keys as payment_keys
from virtual_office.queue import OfficeDirectory

VISIT = "visit-1"
RETURN = "https://buergerbuero.example/visit/visit-1/paid"


async def citizen_chooses(pay_url: str, action: str) -> None:
    async with httpx.AsyncClient() as browser:
        answer = await browser.post(pay_url, data={"action": action})
        assert answer.status_code == 303 and answer.headers["location"] == RETURN


def today() -> str:
    return datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()


async def test_create_and_pay(cashier: Cashier, platform: Platform, redis_client: redis.asyncio.Redis) -> None:
    tx = await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis"), Charge("beglaubigung", 2)], RETURN)
    assert tx.state is State.OPEN and tx.total == 2300 and tx.error == ""
    assert tx.pay_url.startswith(platform.url) and tx.platform_id in platform.sandbox.payments
    sent = platform.sandbox.payments[tx.platform_id].request
    assert sent["requestId"] == tx.id and str(sent["grosAmount"]) == "23.0"
    assert await redis_client.zscore(payment_keys.due(OFFICE), tx.id) is not None, "an open payment is polled"

    await citizen_chooses(tx.pay_url, "pay")
    paid = await cashier.refresh(tx)
    assert paid.state is State.PAID
    assert await redis_client.zscore(payment_keys.due(OFFICE), tx.id) is None
    assert 0 < await redis_client.ttl(payment_keys.transaction(OFFICE, tx.id)) <= cashier.store.keep_seconds
    stats = await payment_stats(redis_client, OFFICE, datetime.fromisoformat(today()).date())
    assert (stats.paid, stats.paid_cents, stats.failed) == (1, 2300, 0)
    assert [t.id for t in await cashier.store.for_visit(OFFICE, VISIT)] == [tx.id]


async def test_cancel_then_retry_makes_a_new_payment(cashier: Cashier, platform: Platform) -> None:
    tx = await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis")], RETURN)
    assert (await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis")], RETURN)).id == tx.id
    await citizen_chooses(tx.pay_url, "cancel")
    assert (await cashier.refresh(tx)).state is State.CANCELLED
    retry = await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis")], RETURN)
    assert retry.id != tx.id and retry.state is State.OPEN and retry.reference != tx.reference
    assert len(platform.sandbox.payments) == 2


async def test_a_double_click_makes_one_payment(cashier: Cashier, platform: Platform) -> None:
    platform.sandbox.delay = 0.3  # both clicks arrive while the platform is still answering the first
    first, second = await asyncio.gather(
        cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis"), Charge("beglaubigung")], RETURN),
        cashier.request(OFFICE, VISIT, [Charge("beglaubigung"), Charge("fuehrungszeugnis")], RETURN),
    )
    assert first.id == second.id
    assert len(platform.sandbox.payments) == 1 and platform.sandbox.create_requests == 1
    assert (await cashier.store.get(OFFICE, first.id)).state is State.OPEN


async def test_a_forged_amount_cannot_be_expressed(cashier: Cashier, platform: Platform, redis_client: redis.asyncio.Redis) -> None:
    with pytest.raises(InvalidFee):
        await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis", amount="0,01")], RETURN)
    with pytest.raises(InvalidFee):
        await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis", amount=1)], RETURN)
    with pytest.raises(UnknownFee):
        await cashier.request(OFFICE, VISIT, [Charge("gibt-es-nicht")], RETURN)
    with pytest.raises(InvalidFee):
        await cashier.request(OFFICE, VISIT, [Charge("free", purpose="Zu viel", amount="200,01")], RETURN)
    with pytest.raises(InvalidFee):
        await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis", quantity=0)], RETURN)
    assert platform.sandbox.create_requests == 0
    assert await redis_client.keys(f"vo:{{{OFFICE}}}:pay:tx:*") == []
    free = await cashier.request(OFFICE, VISIT, [Charge("free", purpose="Nachgebühr", amount="7,50")], RETURN)
    assert free.total == 750 and platform.sandbox.payments[free.platform_id].request["purpose"] == "Nachgebuehr"


async def test_an_office_without_provider(cashier: Cashier, redis_client: redis.asyncio.Redis) -> None:
    await ProviderDirectory(redis_client).delete(OFFICE)
    with pytest.raises(NotConfigured):
        await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis")], RETURN)


@pytest.mark.parametrize(("setup", "code"), [
    (lambda p: setattr(p.sandbox, "required_booking_data", {"Objektnummer"}), "booking_data_missing"),
    (lambda p: p.sandbox.clients["virtual-office"].originators.clear(), "no_valid_originator_or_endpoint"),
    (lambda p: setattr(p.sandbox.clients["virtual-office"], "secret", SECRET + "-changed"), "token_refused"),
])
async def test_a_refusal_fails_the_payment_with_its_code(cashier: Cashier, platform: Platform, redis_client: redis.asyncio.Redis,
                                                       setup: object, code: str) -> None:
    setup(platform)  # type: ignore[operator]
    tx = await cashier.request(OFFICE, VISIT, [Charge("beglaubigung")], RETURN)
    assert (tx.state, tx.error, tx.platform_id, tx.pay_url) == (State.FAILED, code, "", "")
    assert await redis_client.zscore(payment_keys.due(OFFICE), tx.id) is None
    stats = await payment_stats(redis_client, OFFICE, datetime.fromisoformat(today()).date())
    assert (stats.failed, stats.paid) == (1, 0)


async def test_platform_down_and_back(cashier: Cashier, platform: Platform, clock: Clock) -> None:
    await platform.stop()
    tx = await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis")], RETURN)
    assert (tx.state, tx.error, tx.pay_url) == (State.CREATING, "platform_unreachable", "")
    clock.advance(6)
    assert await cashier.reconcile(OFFICE) == 1
    assert (await cashier.store.get(OFFICE, tx.id)).attempts == 2

    await platform.start()
    clock.advance(11)
    await cashier.reconcile(OFFICE)
    opened = await cashier.store.get(OFFICE, tx.id)
    assert opened.state is State.OPEN and opened.error == "" and len(platform.sandbox.payments) == 1

    await platform.stop()  # down while the citizen pays
    await platform.start()
    await citizen_chooses(opened.pay_url, "pay")
    await platform.stop()
    clock.advance(6)
    await cashier.reconcile(OFFICE)
    assert (await cashier.store.get(OFFICE, tx.id)).error == "platform_unreachable"
    await platform.start()
    clock.advance(3600)
    await cashier.reconcile(OFFICE)
    assert (await cashier.store.get(OFFICE, tx.id)).state is State.PAID


async def test_a_slow_platform(cashier: Cashier, platform: Platform, redis_client: redis.asyncio.Redis, clock: Clock) -> None:
    await ProviderDirectory(redis_client).save(OFFICE, platform.settings(timeout_seconds=0.5))
    platform.sandbox.delay = 1.5
    tx = await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis")], RETURN)
    assert (tx.state, tx.error, tx.pay_url, tx.platform_id) == (State.CREATING, "platform_timeout", "", "")
    stats = await redis_client.hgetall(payment_keys.stats(OFFICE, today()))
    assert stats == {}, "nothing counted for a payment that may not exist"

    await asyncio.sleep(1.5)  # the platform finishes the request nobody waits for any more
    platform.sandbox.delay = 0
    clock.advance(6)
    await cashier.reconcile(OFFICE)
    opened = await cashier.store.get(OFFICE, tx.id)
    assert opened.state is State.OPEN
    assert len(platform.sandbox.payments) == 1, "the same request id: created once"
    assert opened.platform_id in platform.sandbox.payments


async def test_a_status_after_the_visit_ended_is_recorded_by_the_reconciler(
        redis_client: redis.asyncio.Redis, offices: OfficeDirectory, platform: Platform, cashier: Cashier) -> None:
    """The citizen pays after the visit and this process are gone; another process's reconciler records it."""
    tx = await cashier.request(OFFICE, VISIT, [Charge("fuehrungszeugnis")], RETURN)
    await cashier.close()
    await citizen_chooses(tx.pay_url, "pay")

    restarted = Cashier(redis_client, offices, timing=Timing(first_poll_seconds=0.05))
    await redis_client.zadd(payment_keys.due(OFFICE), {tx.id: 0})
    reconciler = Reconciler(restarted, redis_client, interval=0.05)
    task = asyncio.create_task(reconciler.run())
    try:
        async with asyncio.timeout(10):
            while (await restarted.store.get(OFFICE, tx.id)).state is not State.PAID:
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await restarted.close()
    assert await redis_client.zcard(payment_keys.due(OFFICE)) == 0


async def test_one_reconciler_at_a_time(cashier: Cashier, redis_client: redis.asyncio.Redis) -> None:
    first, second = Reconciler(cashier, redis_client), Reconciler(cashier, redis_client)
    assert await first.lease.hold() and not await second.lease.hold()
    assert await first.lease.hold(), "the leader keeps its lease"


async def test_an_open_payment_nobody_pays_is_given_up(cashier: Cashier, clock: Clock, redis_client: redis.asyncio.Redis) -> None:
    tx = await cashier.request(OFFICE, VISIT, [Charge("beglaubigung")], RETURN)
    clock.advance(cashier.timing.abandon_seconds + 1)
    await cashier.reconcile(OFFICE)
    assert (await cashier.store.get(OFFICE, tx.id)).state is State.ABANDONED
    assert await redis_client.zcard(payment_keys.due(OFFICE)) == 0


async def test_no_secret_or_amount_in_the_log(cashier: Cashier, platform: Platform, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    tx = await cashier.request(OFFICE, VISIT, [Charge("free", purpose="Auskunft Mustermann", amount="7,50")], RETURN)
    await cashier.refresh(tx)
    assert tx.id in caplog.text
    for secret in (SECRET, "Mustermann", tx.pay_url, "7,50", "7.5"):
        assert secret not in caplog.text
