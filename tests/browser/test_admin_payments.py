"""The administration sets an office's fees and its GiroCode account in the office form, by keyboard and mouse."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.staff_fixtures import (  # noqa: F401 - own_staff_env is a fixture
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    StaffEnv,
    _aside,
    axe_violations,
    log_in,
    own_staff_env,
)


def _stored(env: StaffEnv, office_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    import redis.asyncio

    from virtual_office.payments.keys import provider
    from virtual_office.queue import keys

    result: list[tuple[dict[str, Any], dict[str, Any] | None]] = []

    async def read() -> None:
        client = redis.asyncio.Redis.from_url(env.redis.url, decode_responses=True)
        try:
            office, pay = await client.get(keys.office(office_id)), await client.get(provider(office_id))
            result.append((json.loads(office or "{}"), None if pay is None else json.loads(pay)))
        finally:
            await client.aclose()

    _aside(lambda: asyncio.run(read()))
    return result[0]


@pytest.mark.engines("chromium", "firefox")
def test_the_admin_sets_a_fee_and_girocode(own_staff_env: StaffEnv, page: Any, axe_source: str) -> None:
    env = own_staff_env
    office = "buergerbuero"
    log_in(page, env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    page.goto(f"{env.origin}/admin/offices/{office}")
    section = page.get_by_role("group", name="Gebühren und Bezahlung")
    section.get_by_label("Gebühr 1: Name", exact=True).fill("Führungszeugnis")
    section.get_by_label("Gebühr 1: Betrag in Euro").fill("13,00 €")
    section.get_by_label("Gebühr 1: Verwendungszweck").fill("Fuehrungszeugnis")
    section.get_by_label("Gebühr 1: Buchungsdaten").fill("Haushaltsstelle = 1.1220.1100")
    # The provider by keyboard: the arrow keys move through the radio buttons.
    page.locator("#pay_provider").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(section.get_by_role("radio", name="Überweisung mit GiroCode")).to_be_checked()
    section.get_by_label("Kontoinhaber").fill("Stadtkasse Musterstadt")
    iban = section.get_by_label("IBAN")
    iban.fill("DE89 3704 0044 0532 0130 01")  # one digit off
    page.get_by_role("button", name="Speichern").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(iban).to_have_value("DE89 3704 0044 0532 0130 01")
    expect(iban).to_have_attribute("aria-invalid", "true")
    expect(iban).to_have_accessible_description(re.compile("keine gültige IBAN"))
    expect(section.get_by_label("Gebühr 1: Betrag in Euro")).to_have_value("13,00 €")
    assert axe_violations(page, axe_source) == []
    assert _stored(env, office)[1] is None
    summary.get_by_role("link", name=re.compile("IBAN")).click()
    expect(iban).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("DE89 3704 0044 0532 0130 00")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_url(re.compile(r"/admin$"))

    stored, provider = _stored(env, office)
    assert [(f["name"], f["amount"], f["booking_data"]) for f in stored["payments"]["fees"]] == [
        ("Führungszeugnis", "13.00", {"Haushaltsstelle": "1.1220.1100"})]
    assert provider == {"kind": "girocode", "recipient": "Stadtkasse Musterstadt", "iban": "DE89370400440532013000",
                        "bic": "", "reference_prefix": ""}
    page.goto(f"{env.origin}/admin/offices/{office}")
    expect(page.get_by_label("Gebühr 1: Betrag in Euro")).to_have_value("13,00")
    expect(page.get_by_role("radio", name="Überweisung mit GiroCode")).to_be_checked()
    assert axe_violations(page, axe_source) == []


def _tenant_provider(env: StaffEnv, tenant_id: str) -> dict[str, Any] | None:
    import redis.asyncio

    from virtual_office.payments.keys import tenant_provider

    result: list[dict[str, Any] | None] = []

    async def read() -> None:
        client = redis.asyncio.Redis.from_url(env.redis.url, decode_responses=True)
        try:
            pay = await client.get(tenant_provider(tenant_id))
            result.append(None if pay is None else json.loads(pay))
        finally:
            await client.aclose()

    _aside(lambda: asyncio.run(read()))
    return result[0]


def test_the_admin_sets_the_tenants_girocode_and_the_office_form_names_it(own_staff_env: StaffEnv, page: Any, axe_source: str) -> None:
    env = own_staff_env
    log_in(page, env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    page.goto(f"{env.origin}/admin/tenants/default")
    section = page.get_by_role("group", name="Bezahlung", exact=True)
    page.locator("#pay_provider").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(section.get_by_role("radio", name="Überweisung mit GiroCode")).to_be_checked()
    section.get_by_label("Kontoinhaber").fill("Stadtkasse Musterstadt")
    iban = section.get_by_label("IBAN")
    iban.fill("DE89 3704 0044 0532 0130 01")  # one digit off
    iban.press("Enter")

    expect(page.locator("#error-summary")).to_be_focused()
    expect(iban).to_have_value("DE89 3704 0044 0532 0130 01")
    expect(iban).to_have_attribute("aria-invalid", "true")
    expect(iban).to_have_accessible_description(re.compile("keine gültige IBAN"))
    assert axe_violations(page, axe_source) == []
    assert _tenant_provider(env, "default") is None
    page.locator("#error-summary").get_by_role("link", name=re.compile("IBAN")).click()
    expect(iban).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("DE89 3704 0044 0532 0130 00")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Der Mandant ist gespeichert.")
    assert _tenant_provider(env, "default") == {"kind": "girocode", "recipient": "Stadtkasse Musterstadt",
                                                "iban": "DE89370400440532013000", "bic": "", "reference_prefix": ""}
    expect(page.get_by_role("radio", name="Überweisung mit GiroCode")).to_be_checked()
    assert axe_violations(page, axe_source) == []
    # The office without a provider of its own says where its payments go.
    page.goto(f"{env.origin}/admin/offices/buergerbuero")
    expect(page.locator("#pay-tenant-provider")).to_have_text(
        "Zahlungen laufen über die Einstellung des Mandanten: Überweisung mit GiroCode")
    expect(page.get_by_role("radio", name="Keine Bezahlung")).to_be_checked()
    assert axe_violations(page, axe_source) == []
