"""The office form's fees and payment provider: saving them, the write-only client secret, every refusal."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import ALWAYS, RedisServer
from tests.server.staff_pages import Staff, start
from tests.server.test_admin_appointments import form_of, stored
from virtual_office.payments import FeeCatalogue, ProviderConfig
from virtual_office.payments.keys import provider as provider_key
from virtual_office.queue import Office

SECRET = "s3cr3t-Xbz-4711"
XB = {"pay_provider": "xbezahldienste", "pay_xb_base_url": "https://payment.example.de/api/xbezahldienste/",
      "pay_xb_token_url": "https://payment.example.de/oauth/token", "pay_xb_originator_id": "virtuelles-buergerbuero",
      "pay_xb_endpoint_id": "09362000", "pay_xb_client_id": "vbb-client"}
GIRO = {"pay_provider": "girocode", "pay_gc_recipient": "Stadtkasse Musterstadt", "pay_gc_iban": "DE89 3704 0044 0532 0130 00",
        "pay_gc_bic": "cobadeffxxx", "pay_gc_reference_prefix": "bb"}


@pytest.fixture
def staff(redis_server: RedisServer, tmp_path: Path) -> Iterator[Staff]:
    yield from start(redis_server, tmp_path)


def provider(staff: Staff) -> dict[str, Any] | None:
    raw = redis.Redis.from_url(staff.redis_url, decode_responses=True).get(provider_key("buergerbuero"))
    return None if raw is None else dict(json.loads(raw))


def edit(staff: Staff) -> tuple[str, dict[str, Any]]:
    page = staff.client.get("/admin/offices/buergerbuero").text
    return page, form_of(page)


def with_fee(fields: dict[str, Any], *row: str) -> dict[str, Any]:
    """The form with its first fee row filled: name, English name, amount, purpose, description, tax rate, booking data."""
    columns = ("name", "name_en", "amount", "purpose", "description", "tax_rate", "booking_data")
    for column, value in zip(columns, row, strict=True):
        fields[f"pay-fee-{column}"] = [value, *fields[f"pay-fee-{column}"][1:]]
    return fields


def test_the_admin_sets_fees_and_girocode(staff: Staff) -> None:
    staff.login("root")
    page, fields = edit(staff)
    assert fields["pay_provider"] == "none" and fields["pay-fee-name"] == ["", ""]  # two empty rows to fill in
    with_fee(fields, "Führungszeugnis", "Certificate of conduct", "13,00 €", "Fuehrungszeugnis", "Führungszeugnis für Behörden",
              "0", "Haushaltsstelle = 1.1220.1100\nObjektnummer: BZR-01")
    fields["pay-fee-name"][1], fields["pay-fee-amount"][1], fields["pay-fee-purpose"][1] = "Meldebescheinigung", "€ 7.5", "Meldebescheinigung"
    fields.update({"pay_free_amount": "1", "pay_free_amount_max": "200", "pay_free_booking_data": "Haushaltsstelle = 1.1220.1999",
                   **GIRO})
    answer = staff.post("/admin/offices/buergerbuero", fields)
    assert answer.status_code == 303, answer.text
    assert stored(staff, "buergerbuero")["payments"] == {
        "fees": [{"id": "fuehrungszeugnis", "name": "Führungszeugnis", "name_en": "Certificate of conduct", "amount": "13.00",
                  "purpose": "Fuehrungszeugnis", "description": "Führungszeugnis für Behörden", "tax_rate": "0.00",
                  "booking_data": {"Haushaltsstelle": "1.1220.1100", "Objektnummer": "BZR-01"}},
                 {"id": "meldebescheinigung", "name": "Meldebescheinigung", "name_en": "", "amount": "7.50",
                  "purpose": "Meldebescheinigung", "description": "", "tax_rate": "0.00", "booking_data": {}}],
        "free_amount": True, "free_amount_max": "200.00", "free_booking_data": {"Haushaltsstelle": "1.1220.1999"},
        "free_tax_rate": "0.00",
    }
    assert provider(staff) == {"kind": "girocode", "recipient": "Stadtkasse Musterstadt", "iban": "DE89370400440532013000",
                               "bic": "COBADEFFXXX", "reference_prefix": "BB"}
    # The form shows what is stored; posted back unchanged it changes nothing, and a renamed fee keeps its id.
    page, fields = edit(staff)
    assert fields["pay-fee-amount"][:2] == ["13,00", "7,50"] and fields["pay_provider"] == "girocode"
    before = stored(staff, "buergerbuero")
    assert staff.post("/admin/offices/buergerbuero", fields).status_code == 303
    assert stored(staff, "buergerbuero") == before
    fields["pay-fee-name"] = ["Führungszeugnis (Belegart O)", "", "", ""]
    fields["pay-fee-amount"] = ["13,00", "", "", ""]  # name and amount emptied: the fee goes
    assert staff.post("/admin/offices/buergerbuero", fields).status_code == 303
    fees = stored(staff, "buergerbuero")["payments"]["fees"]
    assert [(f["id"], f["name"]) for f in fees] == [("fuehrungszeugnis", "Führungszeugnis (Belegart O)")]
    # No provider removes the stored one; the fees stay.
    assert staff.post("/admin/offices/buergerbuero", {**fields, "pay_provider": "none"}).status_code == 303
    assert provider(staff) is None and len(stored(staff, "buergerbuero")["payments"]["fees"]) == 1


def test_xbezahldienste_and_its_write_only_client_secret(staff: Staff, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    staff.login("root")
    page, fields = edit(staff)
    assert staff.post("/admin/offices/buergerbuero", {**fields, **XB, "pay_xb_client_secret": SECRET}).status_code == 303
    assert provider(staff) == {"kind": "xbezahldienste", **{k.removeprefix("pay_xb_"): v for k, v in XB.items() if k != "pay_provider"},
                               "client_secret": SECRET, "timeout_seconds": 10.0}
    page, fields = edit(staff)
    assert SECRET not in page and fields["pay_xb_client_secret"] == ""
    assert "Gesetzt." in page and fields["pay_xb_client_id"] == "vbb-client"
    # Empty keeps it, whatever else changes.
    assert staff.post("/admin/offices/buergerbuero", {**fields, "pay_xb_client_id": "vbb-2"}).status_code == 303
    assert provider(staff)["client_secret"] == SECRET and provider(staff)["client_id"] == "vbb-2"  # type: ignore[index]
    # A new one replaces it.
    assert staff.post("/admin/offices/buergerbuero", {**fields, "pay_xb_client_secret": "neu-0815"}).status_code == 303
    assert provider(staff)["client_secret"] == "neu-0815"  # type: ignore[index]
    # "Remove" clears it: XBezahldienste cannot work without one, so the form asks for a new one or another provider.
    refused = staff.post("/admin/offices/buergerbuero", {**fields, "pay_xb_client_secret_remove": "1", "name": "Nicht gespeichert"})
    assert refused.status_code == 400 and 'id="pay_xb_client_secret-error"' in refused.text
    assert "neu-0815" not in refused.text and stored(staff, "buergerbuero")["name"] == "Bürgerbüro"
    assert provider(staff)["client_secret"] == "neu-0815"  # type: ignore[index]
    assert staff.post("/admin/offices/buergerbuero", {**fields, **GIRO, "pay_xb_client_secret_remove": "1"}).status_code == 303
    assert "client_secret" not in (provider(staff) or {})
    page, fields = edit(staff)
    assert "Nicht gesetzt." in page and 'name="pay_xb_client_secret_remove"' not in page
    # A typed secret is never echoed, not even when the form comes back with errors.
    refused = staff.post("/admin/offices/buergerbuero", {**fields, **XB, "pay_xb_client_secret": SECRET, "pay_xb_token_url": "ftp://x"})
    assert refused.status_code == 400 and SECRET not in refused.text and provider(staff)["kind"] == "girocode"  # type: ignore[index]
    assert caplog.records and SECRET not in caplog.text and "neu-0815" not in caplog.text


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"pay-fee-amount": "1.234"}, "pay-fee-0-amount", "nicht eindeutig"),
    ({"pay-fee-amount": "13,0,0"}, "pay-fee-0-amount", "Kein Betrag"),
    ({"pay-fee-amount": "0"}, "pay-fee-0-amount", "Kein Betrag"),
    ({"pay-fee-purpose": "Führungszeugnis"}, "pay-fee-0-purpose", "ohne Umlaute"),
    ({"pay-fee-purpose": "x" * 28}, "pay-fee-0-purpose", "1 bis 27 Zeichen"),
    ({"pay-fee-name": ""}, "pay-fee-0-name", "Namen der Gebühr"),
    ({"pay-fee-description": "<script>"}, "pay-fee-0-description", "höchstens 250 Zeichen"),
    ({"pay-fee-tax_rate": "19,999"}, "pay-fee-0-tax_rate", "Steuersatz"),
    ({"pay-fee-booking_data": "Haushaltsstelle"}, "pay-fee-0-booking_data", "Name = Wert"),
    ({"pay_free_amount_max": "viel"}, "pay_free_amount_max", "Kein Betrag"),
    ({"pay_provider": "paypal"}, "pay_provider", "eine der Möglichkeiten"),
    ({**GIRO, "pay_gc_iban": "DE89 3704 0044 0532 0130 01"}, "pay_gc_iban", "keine gültige IBAN"),
    ({**GIRO, "pay_gc_iban": "12345"}, "pay_gc_iban", "keine gültige IBAN"),
    ({**GIRO, "pay_gc_bic": "COBA"}, "pay_gc_bic", "8 oder 11 Zeichen"),
    ({**GIRO, "pay_gc_recipient": ""}, "pay_gc_recipient", "Kontoinhaber"),
    ({**GIRO, "pay_gc_reference_prefix": "BB-2026"}, "pay_gc_reference_prefix", "Höchstens 6"),
    ({**XB, "pay_xb_client_secret": "x", "pay_xb_base_url": "payment.example.de"}, "pay_xb_base_url", "https://"),
    ({**XB, "pay_xb_client_secret": "x", "pay_xb_endpoint_id": "09 362"}, "pay_xb_endpoint_id", "1 bis 36"),
    ({**XB, "pay_xb_client_secret": "x", "pay_xb_client_id": ""}, "pay_xb_client_id", "Bitte ausfüllen"),
    ({**XB}, "pay_xb_client_secret", "braucht ein Client-Secret"),
])
def test_each_refusal_is_at_its_field_keeps_what_was_typed_and_saves_nothing(
        staff: Staff, change: dict[str, str], field: str, words: str) -> None:
    catalogue = FeeCatalogue.from_config({"fees": [{"id": "ausweis", "name": "Personalausweis", "amount": "37,00",
                                                    "purpose": "Personalausweis"}]})
    staff.run(staff.state.services.offices.save, Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS,
                                                                       "payments": catalogue.to_config()}))
    staff.run(staff.state.cashier.providers.save, "buergerbuero", ProviderConfig.from_config({"kind": "girocode", **{
        "recipient": "Stadtkasse", "iban": "DE89370400440532013000"}}))
    before, provider_before = stored(staff, "buergerbuero"), provider(staff)
    staff.login("root")
    page, fields = edit(staff)
    for name, value in change.items():
        fields[name] = [value, *fields[name][1:]] if name.startswith("pay-fee-") else value
    page = staff.post("/admin/offices/buergerbuero", fields)
    assert page.status_code == 400
    assert f'id="{field}-error"' in page.text and words in page.text, page.text[page.text.find("error-summary"):][:600]
    assert f'href="#{field}"' in page.text  # the error summary leads to the field
    shown = form_of(page.text)
    for name, value in change.items():  # what was typed stays (a secret excepted, and a choice the form does not offer)
        if name not in ("pay_xb_client_secret", "pay_provider") or value in ("girocode", "xbezahldienste"):
            assert (shown[name][0] if name.startswith("pay-fee-") else shown[name]) == value, name
    assert stored(staff, "buergerbuero") == before and provider(staff) == provider_before


def test_a_new_office_with_fees_and_a_provider(staff: Staff) -> None:
    staff.login("root")
    fields = form_of(staff.client.get("/admin/offices/new").text)
    with_fee(fields, "Beglaubigung", "", "5", "Beglaubigung", "", "", "")
    fields.update({"id": "standesamt", "name": "Standesamt", **GIRO})
    assert staff.post("/admin/offices/new", fields).status_code == 303
    assert stored(staff, "standesamt")["payments"]["fees"][0]["amount"] == "5.00"
    raw = redis.Redis.from_url(staff.redis_url, decode_responses=True).get(provider_key("standesamt"))
    assert raw is not None and json.loads(raw)["kind"] == "girocode"


def test_more_fee_rows_post_the_form_back_without_saving(staff: Staff) -> None:
    staff.login("root")
    page, fields = edit(staff)
    fields["name"] = "Nicht gespeichert"
    page = staff.post("/admin/offices/buergerbuero", {**fields, "pay_more": "2"})
    assert page.status_code == 200
    assert len(form_of(page.text)["pay-fee-name"]) == 4 and 'value="Nicht gespeichert"' in page.text
    assert stored(staff, "buergerbuero")["name"] == "Bürgerbüro"
