"""Bank transfer by GiroCode: the EPC QR code every German banking app reads, and the
office's reference (Kassenzeichen) that lets it match the transfer to the fee.

No platform and no contract: the transaction is ``transfer_requested`` once the citizen has
the code, and someone in the office confirms its receipt by hand (``Payments.confirm_transfer``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import segno
import segno.helpers

from virtual_office.payments.errors import InvalidFee, ProviderError
from virtual_office.payments.money import decimal
from virtual_office.payments.providers import PaymentRequest, PlatformStatus, PlatformTransaction

KIND = "girocode"
IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")
REFERENCE_PREFIX = re.compile(r"^[A-Z0-9]{0,6}$")


def normalize_iban(text: str) -> str:
    """An IBAN without spaces, upper case, its check digits verified (ISO 13616 mod 97); else InvalidFee."""
    iban = "".join(str(text).split()).upper()
    if not IBAN.match(iban):
        raise InvalidFee("not an IBAN")
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise InvalidFee("the IBAN's check digits do not match")
    return iban


def check_digits(text: str) -> str:
    """Two check digits over ``text`` (ISO 7064 mod 97-10, as in an IBAN): a mistyped reference shows."""
    digits = "".join(str(int(c, 36)) for c in text.upper())
    return f"{98 - int(digits + '00') % 97:02d}"


@dataclass(frozen=True)
class GiroCodeSettings:
    """Where a transfer goes: the office's (or its treasury's) account."""

    recipient: str
    """The account holder's name, ≤ 70 characters (e.g. "Stadtkasse Musterstadt")."""
    iban: str
    bic: str = ""
    """Optional within the SEPA area; 8 or 11 characters."""
    reference_prefix: str = ""
    """Starts every reference of this office (≤ 6 letters or digits), so a shared account tells offices apart."""

    def __post_init__(self) -> None:
        if not self.recipient.strip() or len(self.recipient) > 70:
            raise InvalidFee("girocode: the recipient is 1 to 70 characters")
        object.__setattr__(self, "iban", normalize_iban(self.iban))
        object.__setattr__(self, "bic", self.bic.replace(" ", "").upper())
        if self.bic and not BIC.match(self.bic):
            raise InvalidFee("girocode: not a BIC")
        if not REFERENCE_PREFIX.match(self.reference_prefix):
            raise InvalidFee("girocode: reference_prefix is at most 6 capital letters or digits")


def remittance(reference: str, purpose: str) -> str:
    """The transfer's text: the reference first, where the office's bookkeeping looks for it."""
    return f"{reference} {purpose}"[:140]


def epc_qr(settings: GiroCodeSettings, cents: int, reference: str, purpose: str) -> segno.QRCode:
    """The GiroCode (EPC069-12 version 002) for a transfer of ``cents`` with the reference and purpose as text."""
    return segno.helpers.make_epc_qr(
        name=settings.recipient, iban=settings.iban, bic=settings.bic or None,
        amount=decimal(cents), text=remittance(reference, purpose),
    )


def transfer_qr(instructions: Mapping[str, str]) -> segno.QRCode:
    """The GiroCode of a stored transfer (a transaction's ``instructions``), as the citizen is shown it."""
    return segno.helpers.make_epc_qr(
        name=instructions["recipient"], iban=instructions["iban"], bic=instructions.get("bic") or None,
        amount=Decimal(instructions["amount"]), text=instructions["text"],
    )


class GiroCodeProvider:
    """Creating a transfer asks nobody: the answer is the data the citizen's banking app needs."""

    kind = KIND
    polled = False

    def __init__(self, settings: GiroCodeSettings) -> None:
        self.settings = settings

    async def create(self, request: PaymentRequest) -> PlatformTransaction:
        s = self.settings
        return PlatformTransaction(
            transaction_id=request.reference,
            status=PlatformStatus.TRANSFER_REQUESTED,
            instructions={"recipient": s.recipient, "iban": s.iban, "bic": s.bic, "reference": request.reference,
                          "text": remittance(request.reference, request.purpose), "amount": str(decimal(request.total))},
        )

    async def status(self, transaction_id: str) -> PlatformTransaction:
        raise ProviderError("not_polled", "a transfer's receipt is confirmed by hand")

    async def close(self) -> None:
        pass
