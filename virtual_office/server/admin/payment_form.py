"""The fees-and-payment part of the office form: the fee catalogue and the provider, form fields and back.

Fees are rows that work without a script, as the appointment services are: the form always has
empty rows, and "more rows" posts the form back with more. The provider's fields are
:class:`~virtual_office.server.admin.provider_form.ProviderForm`, which the tenant form shares.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from starlette.datastructures import FormData

from virtual_office.payments import Fee, FeeCatalogue, ProviderConfig
from virtual_office.payments.errors import InvalidFee
from virtual_office.payments.fees import BOOKING_KEY, DESCRIPTION, PURPOSE
from virtual_office.payments.money import parse_amount, parse_tax_rate
from virtual_office.server.admin.appointment_form import service_id
from virtual_office.server.admin.provider_form import Err, ProviderForm

FEE_FIELDS = ("id", "name", "name_en", "amount", "purpose", "description", "tax_rate", "booking_data")
SPARE_ROWS = 2
"""Empty fee rows a form shows; "more rows" adds as many again."""
MAX_FEES = 60
_THOUSANDS_ONLY = re.compile(r"^\d{1,3}(\.\d{3})+$")


def form_amount(text: str) -> int:
    """Cents of an amount typed as people write it ("13,00", "13.00", "13 €", "€ 13"); InvalidFee otherwise.

    "1.234" is refused: it may mean 1.234,00 € or a mistyped 1,23 €, and a fee must not be guessed."""
    plain = text.strip().removeprefix("€").removeprefix("EUR").strip()
    plain = plain.removesuffix("€").removesuffix("EUR").strip()
    if _THOUSANDS_ONLY.match(plain):
        raise InvalidFee("ambiguous")
    return parse_amount(plain)


def _cents_text(cents: int) -> str:
    whole, fraction = divmod(cents, 100)
    return f"{whole},{fraction:02d}"


def _booking_text(data: Mapping[str, str]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in data.items())


def _booking_data(text: str) -> dict[str, str] | None:
    """Lines of "Name = Wert" (``=`` or ``:``); None if a line is not one, or a name or text is not allowed."""
    data: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=" if "=" in line else ":")
        key, value = key.strip(), value.strip()
        if not sep or not BOOKING_KEY.fullmatch(key) or not 0 < len(value) <= 100 or key in data:
            return None
        data[key] = value
    return data if len(data) <= 20 else None


@dataclass
class PaymentForm:
    """The fee rows and the free amount's fields as typed, and the provider's fields."""

    values: dict[str, str] = field(default_factory=dict)
    fees: list[dict[str, str]] = field(default_factory=list)
    spare: int = SPARE_ROWS
    provider: ProviderForm = field(default_factory=lambda: ProviderForm.of(None))
    _catalogue: FeeCatalogue | None = None

    @classmethod
    def empty(cls) -> PaymentForm:
        return cls.of(FeeCatalogue(), None)

    @classmethod
    def of(cls, catalogue: FeeCatalogue, provider: ProviderConfig | None) -> PaymentForm:
        values = {"free_amount": "1" if catalogue.free_amount else "", "free_amount_max": _cents_text(catalogue.free_amount_max),
                  "free_booking_data": _booking_text(catalogue.free_booking_data),
                  "free_tax_rate": _rate_text(catalogue.free_tax_rate)}
        fees = [{"id": f.id, "name": f.name, "name_en": f.name_en, "amount": _cents_text(f.amount), "purpose": f.purpose,
                 "description": f.description, "tax_rate": _rate_text(f.tax_rate), "booking_data": _booking_text(f.booking_data)}
                for f in catalogue.fees]
        return cls(values=values, fees=fees, provider=ProviderForm.of(provider), _catalogue=catalogue)

    @classmethod
    def parse(cls, form: FormData, err: Err, *, catalogue: FeeCatalogue, provider: ProviderConfig | None) -> PaymentForm:
        """Read the posted fields; ``catalogue`` and ``provider`` are what is stored (kept when no fields are posted)."""
        if "pay_provider" not in form:  # a client that posts no payment fields changes nothing of them
            return cls.of(catalogue, provider)
        self = cls(provider=ProviderForm.parse(form, err, provider=provider))

        def text(name: str, limit: int = 300) -> str:
            value = form.get(name, "")
            return value.strip()[:limit] if isinstance(value, str) else ""

        v = self.values
        v["free_amount"] = "1" if text("pay_free_amount") else ""
        for name in ("free_amount_max", "free_tax_rate"):
            v[name] = text(f"pay_{name}")
        v["free_booking_data"] = text("pay_free_booking_data", 3000)
        self._parse_fees(form, err)
        self._catalogue = self._parse_catalogue(err)
        try:
            self.spare = SPARE_ROWS + max(0, min(20, int(str(form.get("pay_more", "0")))))
        except ValueError:
            pass
        return self

    def _parse_fees(self, form: FormData, err: Err) -> None:
        columns = [form.getlist(f"pay-fee-{c}") for c in FEE_FIELDS]
        taken: set[str] = set()
        for cells in zip(*columns, strict=False):  # a row short of a field counts as empty
            row = {name: str(value).strip()[:3000 if name == "booking_data" else 300] for name, value in zip(FEE_FIELDS, cells, strict=True)}
            if not (row["name"] or row["name_en"] or row["amount"]):
                continue  # an empty row, or one whose name and amount were emptied to remove its fee
            base = f"pay-fee-{len(self.fees)}"
            if not row["name"] or len(row["name"]) > 120 or len(row["name_en"]) > 120:
                err(f"{base}-name", "pay_fee_name")
            try:
                form_amount(row["amount"])
            except InvalidFee as exc:
                err(f"{base}-amount", "pay_ambiguous" if str(exc) == "ambiguous" else "pay_amount")
            if not PURPOSE.fullmatch(row["purpose"]):
                err(f"{base}-purpose", "pay_purpose")
            if not DESCRIPTION.fullmatch(row["description"]):
                err(f"{base}-description", "pay_description")
            try:
                parse_tax_rate(row["tax_rate"] or "0")
            except InvalidFee:
                err(f"{base}-tax_rate", "pay_tax_rate")
            if _booking_data(row["booking_data"]) is None:
                err(f"{base}-booking_data", "pay_booking_data")
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,35}", row["id"]) or row["id"] in taken or row["id"] == "free":
                row["id"] = ""
            taken.add(row["id"])
            self.fees.append(row)
        for row in self.fees:  # new rows get ids once every kept id is known (a payment names its fee by id)
            if not row["id"]:
                row["id"] = service_id(row["name"] or "fee", taken | {"free"})[:36]
                taken.add(row["id"])
        if len(self.fees) > MAX_FEES:
            err("pay-fee-0-name", "pay_many_fees", n=MAX_FEES)

    def _parse_catalogue(self, err: Err) -> FeeCatalogue | None:
        v = self.values
        try:
            free_max = form_amount(v["free_amount_max"] or "1000,00")
        except InvalidFee as exc:
            err("pay_free_amount_max", "pay_ambiguous" if str(exc) == "ambiguous" else "pay_amount")
            free_max = None
        try:
            free_rate = parse_tax_rate(v["free_tax_rate"] or "0")
        except InvalidFee:
            err("pay_free_tax_rate", "pay_tax_rate")
            free_rate = None
        free_booking = _booking_data(v["free_booking_data"])
        if free_booking is None:
            err("pay_free_booking_data", "pay_booking_data")
        if free_max is None or free_rate is None or free_booking is None:
            return None
        try:
            fees = tuple(Fee(id=row["id"], name=row["name"], name_en=row["name_en"], amount=form_amount(row["amount"]),
                             purpose=row["purpose"], description=row["description"],
                             tax_rate=parse_tax_rate(row["tax_rate"] or "0"), booking_data=_booking_data(row["booking_data"]) or {})
                         for row in self.fees)
            return FeeCatalogue(fees=fees, free_amount=bool(v["free_amount"]), free_amount_max=free_max,
                                free_booking_data=free_booking, free_tax_rate=free_rate)
        except InvalidFee:  # each check above has its field; this one only if the model knows more
            err("pay-fee-0-name", "pay_invalid")
            return None

    def catalogue_config(self) -> dict[str, object]:
        """The office's ``payments`` of a form without errors."""
        assert self._catalogue is not None, "catalogue_config() of a form with errors"
        return self._catalogue.to_config()


def _rate_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f") if rate == rate.to_integral() else str(rate)
