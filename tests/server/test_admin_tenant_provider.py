"""A tenant's payment provider set in the tenant form: its offices without their own pay through it,
the client secret is write-only, each mistake is refused at its field, and no other tenant's
administrator can see or change it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALWAYS, RedisServer
from tests.payments.conftest import CLIENT_ID, ENDPOINT, FEES, ORIGINATOR, SECRET, Platform
from tests.server.staff_pages import PASSWORD, Staff, start
from tests.server.test_admin_appointments import form_of
from tests.server.test_admin_payments import GIRO
from virtual_office.payments import Charge, NotConfigured, ProviderConfig, State
from virtual_office.queue import ADMIN, OPERATOR, Office, Tenant

PASSAU = Tenant("passau", "Stadt Passau", "09262000")
VISIT = "visit-1"
RETURN = "https://buergerbuero.example/visit/visit-1/paid"
NOTICE = "Zahlungen laufen über die Einstellung des Mandanten: Bezahlplattform (XBezahldienste"


@pytest.fixture
def site(redis_server: RedisServer, tmp_path: Path) -> Iterator[Staff]:
    for staff in start(redis_server, tmp_path):
        async def seed(services: Any = staff.state.services) -> None:
            await services.tenants.save(PASSAU)
            for office_id, name in (("pa-meldeamt", "Passauer Meldeamt"), ("pa-kasse", "Passauer Kasse")):
                await services.offices.save(Office.from_config({"id": office_id, "name": name, "hours": ALWAYS, "tenant": "passau",
                                                                "payments": FEES}))
            await services.clerks.add("pia", "Pia Passau", PASSWORD, role=ADMIN, tenant="passau")
            await services.clerks.add("olga", "Olga Betrieb", PASSWORD, role=OPERATOR)

        staff.run(seed)
        yield staff


@pytest.fixture
def platform(site: Staff) -> Iterator[Platform]:
    """The local XBezahldienste platform, on the app's own event loop (the cashier's calls run there)."""
    p = Platform()
    p.sandbox.add_client(CLIENT_ID, SECRET, ORIGINATOR, ENDPOINT)
    site.run(p.start)
    yield p
    site.run(p.stop)


def tenant_provider(site: Staff, tenant_id: str = "passau") -> dict[str, object] | None:
    found: ProviderConfig | None = site.run(site.state.cashier.providers.find_for_tenant, tenant_id)
    return None if found is None else found.to_config()


def xb(platform: Platform) -> dict[str, str]:
    return {"pay_provider": "xbezahldienste", "pay_xb_base_url": platform.url + "/", "pay_xb_token_url": platform.url + "/oauth/token",
            "pay_xb_originator_id": ORIGINATOR, "pay_xb_endpoint_id": ENDPOINT, "pay_xb_client_id": CLIENT_ID}


def tenant_form(site: Staff, tenant_id: str = "passau") -> tuple[str, dict[str, Any]]:
    page = site.client.get(f"/admin/tenants/{tenant_id}")
    assert page.status_code == 200, page.status_code
    return page.text, form_of(page.text)


def save(site: Staff, fields: dict[str, Any], tenant_id: str = "passau") -> Any:
    return site.post(f"/admin/tenants/{tenant_id}", fields, form_page=f"/admin/tenants/{tenant_id}")


def test_an_operator_sets_the_tenants_platform_and_its_offices_without_one_pay_through_it(site: Staff, platform: Platform) -> None:
    site.run(site.state.cashier.providers.save, "pa-kasse", ProviderConfig.from_config(
        {"kind": "girocode", "recipient": "Eigene Kasse", "iban": "DE89370400440532013000"}))
    site.login("olga")
    page, fields = tenant_form(site)
    assert fields["pay_provider"] == "none" and "Nicht gesetzt." in page
    assert site.client.get("/admin/offices/pa-meldeamt").text.count(NOTICE) == 0  # no tenant provider yet
    saved = save(site, {**fields, **xb(platform), "pay_xb_client_secret": SECRET})
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/tenants/passau"
    assert tenant_provider(site) == {"kind": "xbezahldienste", "base_url": platform.url + "/", "token_url": platform.url + "/oauth/token",
                                     "originator_id": ORIGINATOR, "endpoint_id": ENDPOINT, "client_id": CLIENT_ID,
                                     "client_secret": SECRET, "timeout_seconds": 10.0}
    page, fields = tenant_form(site)  # shown as stored, the secret only as set
    assert fields["pay_provider"] == "xbezahldienste" and fields["pay_xb_client_id"] == CLIENT_ID and fields["pay_xb_client_secret"] == ""
    assert "Gesetzt." in page and SECRET not in page
    # An office without a provider of its own says where its payments go, and takes them there.
    office_page = site.client.get("/admin/offices/pa-meldeamt").text
    assert NOTICE in office_page and form_of(office_page)["pay_provider"] == "none" and SECRET not in office_page
    tx = site.run(site.state.cashier.request, "pa-meldeamt", VISIT, [Charge("beglaubigung")], RETURN)
    assert tx.state is State.OPEN and tx.pay_url.startswith(platform.url) and tx.platform_id in platform.sandbox.payments
    # An office with its own provider keeps it, and its form does not name the tenant's.
    assert NOTICE not in site.client.get("/admin/offices/pa-kasse").text
    own = site.run(site.state.cashier.request, "pa-kasse", VISIT, [Charge("beglaubigung")], RETURN)
    assert own.state is State.TRANSFER_REQUESTED
    # Another tenant's office never pays through it.
    site.run(site.state.services.offices.save, Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS,
                                                                     "payments": FEES}))
    with pytest.raises(NotConfigured):
        site.run(site.state.cashier.request, "buergerbuero", VISIT, [Charge("beglaubigung")], RETURN)


def test_the_client_secret_is_write_only(site: Staff, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    site.login("olga")
    platform = Platform(port=8)  # its address only: nothing is paid here
    page, fields = tenant_form(site)
    assert save(site, {**fields, **xb(platform), "pay_xb_client_secret": SECRET}).status_code == 303
    page, fields = tenant_form(site)
    # Empty keeps it, whatever else changes.
    assert save(site, {**fields, "pay_xb_client_id": "vbb-2", "colour": "#00509e"}).status_code == 303
    stored = tenant_provider(site)
    assert stored is not None and stored["client_secret"] == SECRET and stored["client_id"] == "vbb-2"
    assert site.run(site.state.services.tenants.get, "passau").colour == "#00509e"
    # A new one replaces it.
    page, fields = tenant_form(site)
    assert save(site, {**fields, "pay_xb_client_secret": "neu-0815"}).status_code == 303
    assert (tenant_provider(site) or {})["client_secret"] == "neu-0815"
    # "Remove" clears it: the platform cannot work without one, so the form asks for a new one or another provider.
    page, fields = tenant_form(site)
    refused = save(site, {**fields, "pay_xb_client_secret_remove": "1", "colour": "#000000"})
    assert refused.status_code == 400 and 'id="pay_xb_client_secret-error"' in refused.text
    assert "braucht ein Client-Secret" in refused.text and "neu-0815" not in refused.text
    assert (tenant_provider(site) or {})["client_secret"] == "neu-0815"
    assert site.run(site.state.services.tenants.get, "passau").colour == "#00509e"  # a form with one mistake changes nothing
    assert save(site, {**fields, **GIRO, "pay_xb_client_secret_remove": "1"}).status_code == 303
    assert tenant_provider(site) == {"kind": "girocode", "recipient": "Stadtkasse Musterstadt", "iban": "DE89370400440532013000",
                                     "bic": "COBADEFFXXX", "reference_prefix": "BB"}
    page, fields = tenant_form(site)
    assert "Nicht gesetzt." in page and 'name="pay_xb_client_secret_remove"' not in page
    # A typed secret is never echoed, not even when the form comes back with errors.
    refused = save(site, {**fields, **xb(platform), "pay_xb_client_secret": SECRET, "pay_xb_token_url": "ftp://x"})
    assert refused.status_code == 400 and SECRET not in refused.text and (tenant_provider(site) or {})["kind"] == "girocode"
    # None removes the tenant's provider.
    assert save(site, {**fields, "pay_provider": "none"}).status_code == 303
    assert tenant_provider(site) is None
    assert caplog.records and SECRET not in caplog.text and "neu-0815" not in caplog.text


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"pay_xb_base_url": "payment.example.de"}, "pay_xb_base_url", "https://"),
    ({"pay_xb_endpoint_id": "09 362"}, "pay_xb_endpoint_id", "1 bis 36"),
    ({"pay_xb_client_id": ""}, "pay_xb_client_id", "Bitte ausfüllen"),
    ({"pay_xb_client_secret": ""}, "pay_xb_client_secret", "braucht ein Client-Secret"),
    ({**GIRO, "pay_gc_iban": "DE89 3704 0044 0532 0130 01"}, "pay_gc_iban", "keine gültige IBAN"),
    ({**GIRO, "pay_gc_reference_prefix": "BB-2026"}, "pay_gc_reference_prefix", "Höchstens 6"),
    ({"pay_provider": "paypal"}, "pay_provider", "eine der Möglichkeiten"),
])
def test_each_refusal_is_at_its_field_in_german_and_saves_nothing(site: Staff, change: dict[str, str], field: str, words: str) -> None:
    site.login("olga")
    page, fields = tenant_form(site)
    answer = save(site, {**fields, **xb(Platform(port=8)), "pay_xb_client_secret": "x", "colour": "#00509e", **change})
    assert answer.status_code == 400
    assert f'id="{field}-error"' in answer.text and words in answer.text, answer.text[answer.text.find("error-summary"):][:600]
    assert f'href="#{field}"' in answer.text  # the error summary leads to the field
    assert tenant_provider(site) is None and site.run(site.state.services.tenants.get, "passau") == PASSAU


def test_a_tenant_administrator_sets_their_own_tenants_provider_and_no_other(site: Staff) -> None:
    site.login("pia")
    page, fields = tenant_form(site)
    assert save(site, {**fields, **GIRO}).status_code == 303
    assert (tenant_provider(site) or {})["recipient"] == "Stadtkasse Musterstadt"
    # The default tenant's form is not hers: as if it did not exist, and nothing changes.
    assert site.client.get("/admin/tenants/default").status_code == 404
    refused = site.post("/admin/tenants/default", {**GIRO, "pay_gc_recipient": "Übernahme"}, form_page="/admin/tenants/passau")
    assert refused.status_code == 404 and tenant_provider(site, "default") is None
    # Nor is Passau's the default tenant's administrator's: neither shown nor changed.
    site.client.post("/logout", data={"csrf_token": site.token("/admin")})
    site.run(site.state.cashier.providers.save_for_tenant, "passau", Platform(port=8).settings(client_secret=SECRET))
    site.login("root")
    shown = site.client.get("/admin/tenants/passau")
    assert shown.status_code == 404 and CLIENT_ID not in shown.text and SECRET not in shown.text
    changed = site.post("/admin/tenants/passau", {**GIRO, "pay_provider": "none"}, form_page="/admin/tenants/default")
    assert changed.status_code == 404 and (tenant_provider(site) or {})["client_secret"] == SECRET
    assert NOTICE not in site.client.get("/admin/offices/buergerbuero").text


def test_deleting_a_tenant_deletes_its_provider(site: Staff) -> None:
    site.login("olga")
    assert site.post("/admin/tenants", {"id": "leer", "name": "Leerstadt", "ags": "09999999"}).status_code == 303
    page, fields = tenant_form(site, "leer")
    assert save(site, {**fields, **GIRO}, "leer").status_code == 303 and tenant_provider(site, "leer") is not None
    assert site.post("/admin/tenants/leer/delete", {}, form_page="/admin/tenants/leer/delete").status_code == 303
    assert tenant_provider(site, "leer") is None
