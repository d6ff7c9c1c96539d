"""Money in cents, fees and the office's catalogue: what the configuration accepts and refuses."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from tests.conftest import ALWAYS
from tests.payments.conftest import FEES
from virtual_office.payments import FeeCatalogue, InvalidFee, UnknownFee, format_amount, parse_amount
from virtual_office.payments.money import from_wire, split_tax, wire
from virtual_office.queue import InvalidInput, Office


@pytest.mark.parametrize(("text", "cents"), [
    ("13,00", 1300), ("13.5", 1350), ("13", 1300), (13, 1300), ("1.234,56", 123456), ("13,00 €", 1300), ("0,01", 1),
])
def test_amounts_as_people_write_them(text: object, cents: int) -> None:
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", [13.1, True, "13,001", "-5", "0", "abc", "1e3", "1000000", None])
def test_amounts_refused(text: object) -> None:
    with pytest.raises(InvalidFee):
        parse_amount(text)


def test_format_and_wire() -> None:
    assert format_amount(123456) == "1.234,56 €"
    assert format_amount(1300, "en") == "€13.00"
    for cents in (1, 10, 1300, 1307, 99999999, 12345678):
        assert from_wire(Decimal(repr(wire(cents)))) == cents
    with pytest.raises(InvalidFee):
        from_wire(Decimal("0.005"))


def test_tax_split_adds_up() -> None:
    assert split_tax(1190, Decimal(19)) == (1000, 190)
    for gross in range(1, 3000, 7):
        net, tax = split_tax(gross, Decimal("7"))
        assert net + tax == gross and net >= 0 and tax >= 0


def test_catalogue_round_trip_through_the_office() -> None:
    office = Office.from_config({"id": "bb", "name": "Bürgerbüro", "hours": ALWAYS, "payments": FEES})
    assert office.payments.fee("fuehrungszeugnis").amount == 1300
    assert office.payments.fee("kopie").tax_rate == Decimal("19.00")
    assert dict(office.payments.fee("fuehrungszeugnis").booking_data) == {"Haushaltsstelle": "1.1220.1100", "Objektnummer": "BZR-01"}
    again = Office.from_config(office.to_config())
    assert again.payments == office.payments
    assert Office.from_config({"id": "x", "name": "X"}).payments == FeeCatalogue()


def test_catalogue_from_toml() -> None:
    data = tomllib.loads('''
[[office]]
id = "buergerbuero"
name = "Bürgerbüro"
[office.payments]
free_amount = true
[[office.payments.fees]]
id = "fuehrungszeugnis"
name = "Führungszeugnis"
amount = "13,00"
purpose = "Fuehrungszeugnis"
booking_data = { Haushaltsstelle = "1.1220.1100" }
''')
    office = Office.from_config(data["office"][0])
    assert office.payments.fees[0].amount == 1300 and office.payments.free_amount


@pytest.mark.parametrize(("change", "message"), [
    ({"purpose": "Ein Verwendungszweck der zu lang ist"}, "27"),
    ({"purpose": "Führungszeugnis"}, "umlauts"),
    ({"description": "x" * 251}, "250"),
    ({"description": "nach § 30 BZRG"}, "250"),
    ({"amount": 13.0}, "text"),
    ({"amount": "0,00"}, "between"),
    ({"id": "Führung"}, "fee id"),
    ({"tax_rate": "120"}, "tax rate"),
    ({"booking_data": {"Haushalts stelle": "1"}}, "booking data"),
    ({"colour": "red"}, "unknown fee fields"),
])
def test_a_bad_fee_is_refused_with_the_reason(change: dict[str, object], message: str) -> None:
    fee = {**FEES["fees"][1], **change}  # type: ignore[index, dict-item]
    with pytest.raises(InvalidInput, match=message):
        Office.from_config({"id": "bb", "name": "B", "payments": {"fees": [fee]}})


def test_duplicate_fee_ids_are_refused() -> None:
    fee = FEES["fees"][1]  # type: ignore[index]
    with pytest.raises(InvalidInput, match="unique"):
        Office.from_config({"id": "bb", "name": "B", "payments": {"fees": [fee, fee]}})


def test_free_amounts() -> None:
    catalogue = FeeCatalogue.from_config(FEES)
    fee = catalogue.free("Beglaubigung Größe", "7,50")
    assert (fee.amount, fee.purpose, fee.name) == (750, "Beglaubigung Groesse", "Beglaubigung Größe")
    assert dict(fee.booking_data) == {"Haushaltsstelle": "1.1220.1999"}
    with pytest.raises(InvalidFee, match="above"):
        catalogue.free("Zu viel", "200,01")
    with pytest.raises(InvalidFee):
        catalogue.free("Ein Verwendungszweck der zu lang ist", "1,00")
    with pytest.raises(UnknownFee):
        FeeCatalogue().free("Etwas", "1,00")
