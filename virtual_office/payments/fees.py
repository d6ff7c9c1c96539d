"""Fees and an office's fee catalogue: what may be charged, with the data a platform books it by.

This module depends on nothing else of the project, so that an office's settings
(``queue/offices.py``) can hold a catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from virtual_office.payments.errors import InvalidFee, UnknownFee
from virtual_office.payments.money import MAX_CENTS, check_amount, parse_amount, parse_tax_rate, split_tax

FEE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,35}$")
PURPOSE = re.compile(r"^[A-Za-z0-9_ -]{1,27}$")
"""The booking text a bank statement shows: XBezahldienste allows ≤ 27 of ``[\\w\\d\\s-]``, and its
``\\w`` (JSON Schema, Java) is ASCII: "Fuehrungszeugnis", not "Führungszeugnis"."""
DESCRIPTION = re.compile(r"^[A-Za-z0-9_ \-,.\u00C0-\u017F]{0,250}$")
"""What the platform's pay page may show: ≤ 250 of these (umlauts allowed here)."""
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
BOOKING_KEY = re.compile(r"^[\w-]{1,36}$")
FREE = "free"
"""The fee id of an amount a clerk enters."""


@dataclass(frozen=True)
class Fee:
    """One fee of the catalogue (e.g. "Führungszeugnis, 13,00 €") or a clerk's free amount."""

    id: str
    name: str
    """What citizen and clerk see, German."""
    amount: int
    """Gross, in cents: what the citizen pays."""
    purpose: str
    """Booking text (Verwendungszweck), at most 27 characters."""
    name_en: str = ""
    description: str = ""
    """Shown on the platform's pay page, at most 250 characters."""
    tax_rate: Decimal = Decimal("0.00")
    """Percent; fees of an authority carry none."""
    booking_data: Mapping[str, str] = field(default_factory=dict)
    """What the platform books the fee by, as it names it: Haushaltsstelle, Objektnummer, …"""

    def __post_init__(self) -> None:
        if not FEE_ID.fullmatch(self.id):
            raise InvalidFee("fee id: lowercase letters, digits and '-', at most 36")
        if not self.name.strip() or len(self.name) > 120 or len(self.name_en) > 120:
            raise InvalidFee(f"fee {self.id!r} needs a name of at most 120 characters")
        check_amount(self.amount)
        if not PURPOSE.fullmatch(self.purpose):
            raise InvalidFee(f"fee {self.id!r}: purpose is 1 to 27 letters (no umlauts: ae, oe, ue, ss), digits, spaces and '-'")
        if not DESCRIPTION.fullmatch(self.description):
            raise InvalidFee(f"fee {self.id!r}: description is at most 250 letters, digits, spaces and - , .")
        parse_tax_rate(self.tax_rate)
        if len(self.booking_data) > 20 or not all(
            BOOKING_KEY.fullmatch(k) and isinstance(v, str) and 0 < len(v) <= 100 for k, v in self.booking_data.items()
        ):
            raise InvalidFee(f"fee {self.id!r}: booking data are at most 20 names (letters, digits, '-', '_') with a text each")

    def localized_name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name

    def net_and_tax(self) -> tuple[int, int]:
        """The one unit's net amount and tax, in cents (they add up to ``amount``)."""
        return split_tax(self.amount, self.tax_rate)

    def to_config(self) -> dict[str, object]:
        whole, cents = divmod(self.amount, 100)
        return {
            "id": self.id, "name": self.name, "name_en": self.name_en, "amount": f"{whole}.{cents:02d}",
            "purpose": self.purpose, "description": self.description, "tax_rate": str(self.tax_rate),
            "booking_data": dict(self.booking_data),
        }

    @classmethod
    def from_config(cls, data: object) -> Fee:
        if not isinstance(data, Mapping):
            raise InvalidFee("a fee is a table with id, name, amount, purpose …")
        unknown = set(data) - {"id", "name", "name_en", "amount", "purpose", "description", "tax_rate", "booking_data"}
        if unknown:
            raise InvalidFee(f"unknown fee fields: {', '.join(sorted(map(str, unknown)))}")
        booking = data.get("booking_data", {})
        if not isinstance(booking, Mapping):
            raise InvalidFee("booking_data is a table of names and texts")
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            name_en=str(data.get("name_en", "")),
            amount=parse_amount(data.get("amount", "")),
            purpose=str(data.get("purpose", "")),
            description=str(data.get("description", "")),
            tax_rate=parse_tax_rate(data.get("tax_rate", 0)),
            booking_data={str(k): v for k, v in booking.items()},
        )


@dataclass(frozen=True)
class Line:
    """One position of a payment: a fee and how many of it."""

    fee: Fee
    quantity: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) or not 1 <= self.quantity <= 99:
            raise InvalidFee("a quantity is 1 to 99")

    @property
    def total(self) -> int:
        return self.fee.amount * self.quantity


@dataclass(frozen=True)
class FeeCatalogue:
    """An office's fees, and whether its clerks may charge a free amount with a purpose of their own."""

    fees: tuple[Fee, ...] = ()
    free_amount: bool = False
    free_amount_max: int = 100_000
    """The largest free amount a clerk may enter, in cents (default 1.000,00 €)."""
    free_booking_data: Mapping[str, str] = field(default_factory=dict)
    """What a free amount is booked by (the platform needs booking data for every position)."""
    free_tax_rate: Decimal = Decimal("0.00")

    def __post_init__(self) -> None:
        ids = [f.id for f in self.fees]
        if len(set(ids)) != len(ids) or FREE in ids:
            raise InvalidFee(f"fee ids must be unique, and '{FREE}' is the clerk's free amount")
        if len(self.fees) > 200:
            raise InvalidFee("at most 200 fees an office")
        check_amount(self.free_amount_max)
        # The same checks as any fee: a free amount becomes one.
        Fee(id=FREE, name="-", amount=1, purpose="x", tax_rate=self.free_tax_rate, booking_data=self.free_booking_data)

    @property
    def takes_payments(self) -> bool:
        return bool(self.fees) or self.free_amount

    def fee(self, fee_id: str) -> Fee:
        for fee in self.fees:
            if fee.id == fee_id:
                return fee
        raise UnknownFee(f"no fee {fee_id!r}")

    def free(self, purpose: str, amount: object) -> Fee:
        """A clerk's free amount with its purpose (the purpose names it too); UnknownFee if the office allows none."""
        if not self.free_amount:
            raise UnknownFee("this office takes no free amounts")
        cents = amount if isinstance(amount, int) and not isinstance(amount, bool) else parse_amount(amount)
        check_amount(cents)
        if cents > min(self.free_amount_max, MAX_CENTS):
            raise InvalidFee("the amount is above what this office allows a clerk to enter")
        name = " ".join(str(purpose).split())
        purpose = name.translate(_ASCII)
        return Fee(id=FREE, name=name[:120], amount=cents, purpose=purpose, tax_rate=self.free_tax_rate,
                   booking_data=self.free_booking_data)

    def to_config(self) -> dict[str, object]:
        whole, cents = divmod(self.free_amount_max, 100)
        return {
            "fees": [f.to_config() for f in self.fees],
            "free_amount": self.free_amount,
            "free_amount_max": f"{whole}.{cents:02d}",
            "free_booking_data": dict(self.free_booking_data),
            "free_tax_rate": str(self.free_tax_rate),
        }

    @classmethod
    def from_config(cls, data: object) -> FeeCatalogue:
        """Build from the JSON/TOML form (``[office.payments]``, docs/payments.md); raises InvalidFee."""
        if not isinstance(data, Mapping):
            raise InvalidFee("payments must be a table of fields")
        raw: Mapping[str, Any] = data
        unknown = set(raw) - {"fees", "free_amount", "free_amount_max", "free_booking_data", "free_tax_rate"}
        if unknown:
            raise InvalidFee(f"unknown payment fields: {', '.join(sorted(map(str, unknown)))}")
        fees = raw.get("fees", [])
        booking = raw.get("free_booking_data", {})
        if not isinstance(fees, list | tuple) or not isinstance(booking, Mapping):
            raise InvalidFee("fees is a list of tables, free_booking_data a table")
        if not isinstance(raw.get("free_amount", False), bool):
            raise InvalidFee("free_amount is true or false")
        return cls(
            fees=tuple(Fee.from_config(f) for f in fees),
            free_amount=raw.get("free_amount", False),
            free_amount_max=parse_amount(raw.get("free_amount_max", "1000.00")),
            free_booking_data={str(k): v for k, v in booking.items()},
            free_tax_rate=parse_tax_rate(raw.get("free_tax_rate", 0)),
        )
