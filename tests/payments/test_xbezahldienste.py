"""The XBezahldienste client against the local platform, served on loopback."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.payments.conftest import FEES, Platform
from virtual_office.payments import FeeCatalogue, Line, PaymentRequest, PlatformStatus, ProviderError, XBezahldiensteProvider
from virtual_office.payments import xbezahldienste as client_module
from virtual_office.payments.xbezahldienste import payment_request_json

CATALOGUE = FeeCatalogue.from_config(FEES)


def request(request_id: str = "a1b2c3", *lines: Line) -> PaymentRequest:
    lines = lines or (Line(CATALOGUE.fee("fuehrungszeugnis")), Line(CATALOGUE.fee("kopie"), 2))
    return PaymentRequest(request_id=request_id, created=datetime.now(UTC), lines=lines, purpose="Gebuehren",
                          description="Führungszeugnis, 2 x Kopie", redirect_url="https://buergerbuero.example/return",
                          reference="BB2600000142")


def provider(platform: Platform, **changes: object) -> XBezahldiensteProvider:
    p = platform.settings(**changes).open()
    assert isinstance(p, XBezahldiensteProvider)
    return p


def test_the_request_body_adds_up_in_cents() -> None:
    body = payment_request_json(request())
    assert body["grosAmount"] == 36.8  # 13,00 + 2 x 11,90
    kopie = body["items"][1]
    assert (kopie["singleNetAmount"], kopie["singleTaxAmount"], kopie["totalNetAmount"], kopie["totalTaxAmount"]) == (10.0, 1.9, 20.0, 3.8)
    assert kopie["bookingData"] == {"Haushaltsstelle": "1.1220.1200"} and kopie["taxRate"] == 19.0
    assert body["requestTimestamp"].endswith("Z") and body["currency"] == "EUR"


async def test_create_read_pay(platform: Platform) -> None:
    p = provider(platform)
    try:
        created = await p.create(request())
        assert created.status is PlatformStatus.INITIAL
        assert created.pay_url == f"{platform.url}/pay/{created.transaction_id}"
        async with httpx.AsyncClient() as browser:
            page = await browser.get(created.pay_url)
            assert "Bezahlen" in page.text and "Abbrechen" in page.text and "36,80 €" in page.text
            back = await browser.post(created.pay_url, data={"action": "pay"})
            assert back.status_code == 303 and back.headers["location"] == "https://buergerbuero.example/return"
        assert (await p.status(created.transaction_id)).status is PlatformStatus.PAID
        assert platform.sandbox.token_requests == 1, "the token is kept until it expires"
    finally:
        await p.close()


async def test_a_revoked_token_is_replaced_once(platform: Platform) -> None:
    p = provider(platform)
    try:
        created = await p.create(request())
        platform.sandbox.revoke_tokens()
        assert (await p.status(created.transaction_id)).status is PlatformStatus.INITIAL
        assert platform.sandbox.token_requests == 2
    finally:
        await p.close()


async def test_token_refused(platform: Platform) -> None:
    p = provider(platform, client_secret="wrong")
    try:
        with pytest.raises(ProviderError) as refused:
            await p.create(request())
        assert refused.value.code == "token_refused" and not refused.value.retriable
        assert "wrong" not in str(refused.value)
        assert platform.sandbox.payments == {}
    finally:
        await p.close()


async def test_payment_exists_names_the_transaction(platform: Platform) -> None:
    p = provider(platform)
    try:
        first = await p.create(request("same-id"))
        with pytest.raises(ProviderError) as exists:
            await p.create(request("same-id"))
        assert exists.value.code == "payment_exists" and exists.value.transaction_id == first.transaction_id
        assert len(platform.sandbox.payments) == 1
    finally:
        await p.close()


async def test_unknown_originator_or_endpoint(platform: Platform) -> None:
    p = provider(platform, endpoint_id="00000000")
    try:
        with pytest.raises(ProviderError) as refused:
            await p.create(request())
        assert refused.value.code == "no_valid_originator_or_endpoint" and not refused.value.retriable
    finally:
        await p.close()


async def test_booking_data_missing(platform: Platform) -> None:
    platform.sandbox.required_booking_data = {"Objektnummer"}
    p = provider(platform)
    try:
        with pytest.raises(ProviderError) as refused:
            await p.create(request())
        assert refused.value.code == "booking_data_missing"
    finally:
        await p.close()


@pytest.mark.parametrize(("forge", "code"), [
    (lambda body: body.update(grosAmount=1.0), "calculation_error"),
    (lambda body: body["items"][0].update(totalNetAmount=99.0), "calculation_error"),
    (lambda body: body.update(currency="USD"), "validation_error"),
    (lambda body: body.update(purpose="x" * 28), "validation_error"),
    (lambda body: body.update(items=[]), "validation_error"),
])
async def test_problem_codes_of_requests_our_client_cannot_make(platform: Platform, monkeypatch: pytest.MonkeyPatch,
                                                              forge: object, code: str) -> None:
    """A body broken on purpose (our client computes every sum): the platform's refusal, mapped."""
    def broken(r: PaymentRequest) -> dict[str, object]:
        body = payment_request_json(r)
        forge(body)  # type: ignore[operator]
        return body

    monkeypatch.setattr(client_module, "payment_request_json", broken)
    p = provider(platform)
    try:
        with pytest.raises(ProviderError) as refused:
            await p.create(request())
        assert refused.value.code == code and not refused.value.retriable
        assert platform.sandbox.payments == {}
    finally:
        await p.close()


async def test_unreachable_and_slow_are_retriable(platform: Platform) -> None:
    platform.sandbox.delay = 3
    p = provider(platform, timeout_seconds=0.5)
    try:
        with pytest.raises(ProviderError) as slow:
            await p.create(request())
        assert slow.value.code == "platform_timeout" and slow.value.retriable
    finally:
        await p.close()
    await platform.stop()
    p = provider(platform)
    try:
        with pytest.raises(ProviderError) as down:
            await p.create(request())
        assert down.value.code == "platform_unreachable" and down.value.retriable
    finally:
        await p.close()


async def test_unknown_transaction(platform: Platform) -> None:
    p = provider(platform)
    try:
        with pytest.raises(ProviderError) as unknown:
            await p.status("doesnotexist")
        assert unknown.value.code == "unspecified"
    finally:
        await p.close()
