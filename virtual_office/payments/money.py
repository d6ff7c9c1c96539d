"""Money as whole cents (``int``), never floats: parsing what people write, formatting, tax.

Fees in a German authority are euro amounts with two decimals; an amount is kept,
summed and compared as an ``int`` of cents. Only a payment platform's JSON sees it as
a number with decimals (:func:`wire`), and only :func:`from_wire` reads one back.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from virtual_office.payments.errors import InvalidFee

MAX_CENTS = 999_999_00
"""The largest amount a payment request may carry (XBezahldienste: grosAmount ≤ 999999)."""
_AMOUNT = re.compile(r"^(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d{1,2}))?$|^(\d+)(?:\.(\d{1,2}))?$")


def parse_amount(value: object) -> int:
    """Cents of an amount as people write it: ``"13,00"``, ``"13.50"``, ``"1.234,56"``, ``"13"`` or the int 13 (euros).

    Floats are refused: ``13.1`` in a TOML file is not exactly 13,10 €.
    """
    if isinstance(value, bool | float):
        raise InvalidFee("write an amount as text with at most two decimals, e.g. \"13,00\"")
    if isinstance(value, int):
        cents = value * 100
    elif isinstance(value, str):
        text = value.strip().removesuffix("€").removesuffix("EUR").strip()
        match = _AMOUNT.match(text)
        if not match:
            raise InvalidFee(f"not an amount in euros and cents: {value[:40]!r}")
        if match.group(1) is not None:
            whole, fraction = match.group(1).replace(".", ""), match.group(2) or ""
        else:
            whole, fraction = match.group(3), match.group(4) or ""
        cents = int(whole) * 100 + int(fraction.ljust(2, "0") or 0)
    else:
        raise InvalidFee("an amount is text such as \"13,00\"")
    check_amount(cents)
    return cents


def check_amount(cents: int) -> int:
    """``cents`` if it is a whole, positive amount a platform accepts; else InvalidFee."""
    if isinstance(cents, bool) or not isinstance(cents, int) or not 1 <= cents <= MAX_CENTS:
        raise InvalidFee("an amount is between 0,01 € and 999.999,00 €")
    return cents


def format_amount(cents: int, lang: str = "de") -> str:
    """``1300`` → ``"13,00 €"`` (German) or ``"€13.00"`` (English)."""
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    if lang == "en":
        return f"{sign}€{whole:,}.{fraction:02d}"
    return f"{sign}{whole:,}".replace(",", ".") + f",{fraction:02d} €"


def decimal(cents: int) -> Decimal:
    """The amount in euros, exactly (``Decimal("13.00")``)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def wire(cents: int) -> float:
    """The amount as a JSON number for a platform: Python writes a float as the shortest text
    that reads back to it, which for whole cents is the amount with at most two decimals."""
    return cents / 100


def from_wire(value: object) -> int:
    """Cents of an amount in a platform's JSON (read with ``parse_float=Decimal``); refuses fractions of a cent."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise InvalidFee(f"not an amount: {value!r}")
    try:
        exact = Decimal(value) * 100
    except InvalidOperation as exc:
        raise InvalidFee(f"not an amount: {value!r}") from exc
    if exact != exact.to_integral_value():
        raise InvalidFee(f"not whole cents: {value!r}")
    return int(exact)


def parse_tax_rate(value: object) -> Decimal:
    """A tax rate in percent (``0``, ``7``, ``"19"``, ``"19.00"``), 0 to 100, at most two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise InvalidFee("a tax rate is a number of percent such as 0 or \"19\"")
    try:
        rate = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise InvalidFee(f"not a tax rate: {str(value)[:20]!r}") from exc
    if not rate.is_finite() or not 0 <= rate <= 100 or rate != rate.quantize(Decimal("0.01")):
        raise InvalidFee("a tax rate is 0 to 100 percent with at most two decimals")
    return rate.quantize(Decimal("0.01"))


def split_tax(gross_cents: int, rate: Decimal) -> tuple[int, int]:
    """(net, tax) of a gross amount: net rounded half up, tax the rest, so they always add up."""
    net = int((Decimal(gross_cents) * 100 / (100 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return net, gross_cents - net
