"""The demo's payment platform: mounted in the demo's own process, its pay page a test platform's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx

from tests.test_cli import _start, _stop
from virtual_office.demo import SANDBOX_CLIENT, SANDBOX_ENDPOINT, SANDBOX_ORIGINATOR, SANDBOX_PATH
from virtual_office.payments import Fee, Line, PaymentRequest, XBezahldiensteProvider, XBezahldiensteSettings


def test_the_demo_serves_a_test_payment_platform_that_its_offices_can_use(tmp_path: Path) -> None:
    demo, port = _start("demo", tmp_path)
    base = f"http://127.0.0.1:{port}{SANDBOX_PATH}"
    try:
        provider = XBezahldiensteProvider(XBezahldiensteSettings(
            base_url=base + "/", token_url=base + "/oauth/token", originator_id=SANDBOX_ORIGINATOR, endpoint_id=SANDBOX_ENDPOINT,
            client_id=SANDBOX_CLIENT[0], client_secret=SANDBOX_CLIENT[1]))
        fee = Fee(id="fuehrungszeugnis", name="Führungszeugnis", amount=1300, purpose="Fuehrungszeugnis")
        request = PaymentRequest(request_id="demo-1", created=datetime.now(UTC), lines=(Line(fee),), purpose="Fuehrungszeugnis",
                                 description="Führungszeugnis", redirect_url=f"http://127.0.0.1:{port}/", reference="BB2600000197")

        async def create() -> str:
            try:
                return (await provider.create(request)).pay_url or ""
            finally:
                await provider.close()

        pay_url = asyncio.run(create())
        assert pay_url.startswith(base + "/pay/")
        page = httpx.get(pay_url)
        assert page.status_code == 200 and "Testplattform – hier wird kein Geld bewegt." in page.text and "13,00 €" in page.text
    finally:
        output = _stop(demo)
    assert f"{SANDBOX_PATH}/" in output
