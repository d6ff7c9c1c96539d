"""Fees in the visit in Chromium and Firefox: the clerk asks, the citizen pays on the platform's page
(a new tab) or cancels and tries again, both see "bezahlt"; a GiroCode that a QR decoder reads back.

The local XBezahldienste platform (virtual_office/payments/sandbox.py) runs on loopback in a thread
of the test process; the office server in its own process talks to it as to a remote platform.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.clerk import ClerkClient
from tests.browser.sites import StaticSite
from tests.browser.staff_fixtures import Citizen
from tests.browser.test_exchange import _aside, axe_violations
from tests.payments.conftest import CLIENT_ID, ENDPOINT, FEES, ORIGINATOR, SECRET
from virtual_office.payments.sandbox import SandboxPlatform

IBAN = "DE89370400440532013000"


class Sandbox:
    """The local platform served by uvicorn in a thread of its own."""

    def __init__(self) -> None:
        self.platform = SandboxPlatform()
        self.platform.add_client(CLIENT_ID, SECRET, ORIGINATOR, ENDPOINT)
        port = harness.free_port()
        self.url = self.platform.base_url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(self.platform.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the sandbox platform did not start"
            time.sleep(0.02)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


async def _providers(redis_url: str, sandbox_url: str) -> None:
    import redis.asyncio

    from virtual_office.payments import ProviderConfig, ProviderDirectory

    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        providers = ProviderDirectory(client)
        await providers.save("buergerbuero", ProviderConfig.from_config({
            "kind": "xbezahldienste", "base_url": sandbox_url + "/", "token_url": sandbox_url + "/oauth/token",
            "originator_id": ORIGINATOR, "endpoint_id": ENDPOINT, "client_id": CLIENT_ID, "client_secret": SECRET}))
        await providers.save("kfz", ProviderConfig.from_config({
            "kind": "girocode", "recipient": "Stadtkasse Musterstadt", "iban": IBAN, "bic": "COBADEFFXXX", "reference_prefix": "KFZ"}))
    finally:
        await client.aclose()


class PaymentsEnv:
    def __init__(self, server: harness.OfficeServer) -> None:
        self.server = server
        self.clerk = ClerkClient(server.origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
        for office in ("buergerbuero", "kfz"):
            self.clerk.presence(office, "available")


@pytest.fixture(scope="module")
def payments_env() -> Iterator[PaymentsEnv]:
    import asyncio

    redis = harness.RedisServer()
    sandbox = Sandbox()
    port = harness.free_port()
    site = StaticSite(f"http://127.0.0.1:{port}")
    server = env = None
    try:
        _aside(harness.seed, redis.url, [{**office, "payments": FEES} for office in harness.OFFICES])
        _aside(asyncio.run, _providers(redis.url, sandbox.url))
        server = harness.OfficeServer(redis.url, [site.origin], port=port, extra_env={
            "VO_STATUS_INTERVAL": "0.05", "VO_CALL_TIMEOUT_SECONDS": "60"})
        env = PaymentsEnv(server)
        yield env
    finally:
        if env is not None:
            env.clerk.close()
        if server is not None:
            server.close()
        site.close()
        sandbox.close()
        redis.close()


class Pages:
    def __init__(self, citizen: Any, clerk: Any) -> None:
        self.citizen = citizen
        self.clerk = clerk


@pytest.fixture
def open_visit(browser: Any, payments_env: PaymentsEnv) -> Iterator[Any]:
    """Opens a visit of the given office in a citizen and a clerk tab."""
    origin = payments_env.server.origin
    made: list[tuple[str, str, Any, list[Any]]] = []

    def open_(office: str) -> Pages:
        person = _aside(Citizen, origin, office, name="Erika")
        visit_id = payments_env.clerk.emit("call_next", {"office_id": office})["ticket"]["id"]
        _aside(person.accept)
        contexts: list[Any] = []
        made.append((office, visit_id, person, contexts))

        def tab(init: str = "") -> Any:
            context = browser.new_context(viewport={"width": 1100, "height": 1000}, locale="de-DE", permissions=["camera", "microphone"])
            contexts.append(context)
            if init:
                context.add_init_script(init)
            page = context.new_page()
            page.errors = []
            page.on("pageerror", lambda exc: page.errors.append(exc))
            return page

        citizen = tab(f"if (location.protocol === 'http:') sessionStorage.setItem('virtual-office.ticket.{office}', {person.token!r});")
        clerk = tab()
        assert clerk.request.post(origin + "/api/login", data={"login": harness.CLERK_LOGIN, "password": harness.CLERK_PASSWORD}).ok
        for page in (clerk, citizen):
            page.goto(f"{origin}/visit/{visit_id}?lang=de")
        expect(clerk.locator("#payments-form")).to_be_visible(timeout=15_000)
        expect(citizen.locator("#exchange-file-limit")).not_to_be_empty(timeout=15_000)
        return Pages(citizen, clerk)

    try:
        yield open_
    finally:
        for office, visit_id, person, contexts in made:
            try:
                payments_env.clerk.emit("finish", {"office_id": office, "ticket_id": visit_id})
            except RuntimeError:
                pass
            _aside(person.close)
            for context in contexts:
                context.close()


def ask_for(clerk: Any, fee: str) -> None:
    clerk.get_by_label("Gebühr", exact=True).select_option(fee)
    clerk.get_by_role("button", name="Gebühr hinzufügen").click()
    clerk.get_by_role("button", name="Zahlung anfordern").click()


def pay_on_platform(citizen: Any, payment: Any, button: str) -> Any:
    """The citizen opens the platform's page (a new tab), presses ``button`` there and lands on our return page."""
    with citizen.expect_popup() as popup_info:
        payment.get_by_role("link", name="Jetzt bezahlen").click()
    popup = popup_info.value
    expect(popup.get_by_text("Testplattform – hier wird kein Geld bewegt.")).to_be_visible()
    popup.get_by_role("button", name=button).click()
    expect(popup.locator("#payment-return")).to_be_visible()
    return popup


@pytest.mark.engines("chromium", "firefox")
def test_the_citizen_pays_on_the_platforms_page_cancels_tries_again_and_both_see_it(open_visit: Any, axe_source: str) -> None:
    pages = open_visit("buergerbuero")
    citizen, clerk = pages.citizen, pages.clerk
    ask_for(clerk, "fuehrungszeugnis")
    payment = citizen.locator("#payments-list .payment").first
    expect(payment).to_contain_text("Führungszeugnis: 13,00 €")
    expect(payment.locator(".payment-state")).to_have_text("Status: offen")
    expect(clerk.locator("#payments-list .payment .payment-state")).to_have_text("Status: offen")
    assert axe_violations(citizen, axe_source) == []
    assert axe_violations(clerk, axe_source) == []

    popup = pay_on_platform(citizen, payment, "Bezahlen")
    expect(popup.locator("#payment-return")).to_contain_text("Zahlung abgeschlossen — Sie können dieses Fenster schließen")
    popup.close()
    for page in (citizen, clerk):  # pushed, no reload
        expect(page.locator("#payments-list .payment").first.locator(".payment-state")).to_have_text("Status: bezahlt")
        expect(page.locator("#exchange-announcer")).to_have_text("Zahlung über 13,00 €: bezahlt")

    ask_for(clerk, "beglaubigung")
    second = citizen.locator("#payments-list .payment").nth(1)
    expect(second).to_contain_text("Beglaubigung: 5,00 €")
    popup = pay_on_platform(citizen, second, "Abbrechen")
    expect(popup.locator("#payment-return")).to_contain_text("Zahlung abgebrochen")
    popup.close()
    expect(clerk.locator("#payments-list .payment").nth(1).locator(".payment-state")).to_have_text("Status: abgebrochen")
    expect(second.locator(".payment-state")).to_have_text("Status: abgebrochen")
    retry = second.get_by_role("button", name="Erneut versuchen")
    citizen.bring_to_front()  # back from the platform's tab
    retry.press("Enter")  # by keyboard
    third = citizen.locator("#payments-list .payment").nth(2)
    expect(third.locator(".payment-state")).to_have_text("Status: offen")
    pay_on_platform(citizen, third, "Bezahlen").close()
    expect(third.locator(".payment-state")).to_have_text("Status: bezahlt")
    expect(clerk.locator("#payments-list .payment").nth(2).locator(".payment-state")).to_have_text("Status: bezahlt")
    clerk.get_by_role("button", name="Notiz erstellen").click()
    expect(clerk.locator("#exchange-record")).to_have_value(paid_in_record("Führungszeugnis, 13,00 €"))
    assert citizen.errors == [] and clerk.errors == []


def paid_in_record(text: str) -> Any:
    return re.compile(".*" + re.escape(text) + ".*bezahlt", re.S)


@pytest.mark.engines("chromium", "firefox")
def test_a_girocode_transfer_reads_back_to_the_right_epc_fields(open_visit: Any, axe_source: str) -> None:
    pages = open_visit("kfz")
    citizen, clerk = pages.citizen, pages.clerk
    ask_for(clerk, "fuehrungszeugnis")
    payment = citizen.locator("#payments-list .payment").first
    expect(payment.locator(".payment-state")).to_have_text("Status: Überweisung angefordert")
    expect(clerk.locator("#payments-list .payment .payment-state")).to_have_text("Status: Überweisung angefordert")
    code = payment.get_by_role("img", name="GiroCode für die Überweisung von 13,00 €")
    expect(code).to_be_visible()
    expect(payment.locator('[data-field="iban"]')).to_have_text("DE89 3704 0044 0532 0130 00")
    expect(payment.locator('[data-field="amount"]')).to_have_text("13,00 €")
    text = payment.locator('[data-field="text"]').inner_text()
    reference = payment.locator(".payment-reference").inner_text().removeprefix("Kassenzeichen ")
    assert text == f"{reference} Fuehrungszeugnis" and reference.startswith("KFZ")
    assert axe_violations(citizen, axe_source) == []

    with tempfile.TemporaryDirectory() as folder:
        shot = Path(folder) / "girocode.png"
        code.screenshot(path=str(shot))
        decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(shot)], capture_output=True, text=True, check=True).stdout
    fields = decoded.rstrip("\n").split("\n")
    # EPC069-12: service tag, version, character set, identification, BIC, name, IBAN, amount, purpose, reference, text
    assert fields[:2] == ["BCD", "002"] and fields[2] in "12345678"  # the character set segno chose
    assert fields[3:7] == ["SCT", "COBADEFFXXX", "Stadtkasse Musterstadt", IBAN]
    assert fields[7].startswith("EUR") and Decimal(fields[7][3:]) == Decimal("13.00")
    assert fields[-1] == text
