"""The provider interface: how a payment reaches a platform, and what comes back.

A provider creates a payment for a list of fee lines and tells its status; it keeps
nothing itself (the transaction is stored before and after each call, by
:mod:`.transactions`). Adding a platform means one class with these three methods and
a kind in :func:`open_provider` (docs/payments.md).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from virtual_office.payments.fees import Line


class PlatformStatus(enum.Enum):
    """A payment's status as the platform reports it."""

    INITIAL = "initial"
    """Created; the citizen has not paid (yet)."""
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TRANSFER_REQUESTED = "transfer_requested"
    """A bank transfer was asked for (GiroCode); someone confirms its receipt by hand."""


@dataclass(frozen=True)
class PaymentRequest:
    """What one payment asks for; ``request_id`` is the stored transaction's id, so a retry sends the same."""

    request_id: str
    created: datetime
    lines: tuple[Line, ...]
    purpose: str
    """Booking text, at most 27 characters."""
    description: str
    """At most 250 characters: what the pay page shows."""
    redirect_url: str
    """Where the platform sends the citizen back after paying or cancelling."""
    reference: str
    """The office's reference (Kassenzeichen) of this payment."""

    @property
    def total(self) -> int:
        """Gross cents."""
        return sum(line.total for line in self.lines)


@dataclass(frozen=True)
class PlatformTransaction:
    """A payment as the platform knows it."""

    transaction_id: str
    status: PlatformStatus
    pay_url: str | None = None
    """The platform's page where the citizen pays; None where there is none (a bank transfer)."""
    detail: str = ""
    """The platform's words on the status (e.g. why it failed); no personal data."""
    instructions: Mapping[str, str] = field(default_factory=dict)
    """What the citizen needs to pay without a pay page (a transfer's IBAN, BIC, recipient, reference)."""


class Provider(Protocol):
    """One payment platform, as an office's settings configure it."""

    kind: str
    polled: bool
    """Whether the reconciler reads its status (a GiroCode transfer is confirmed by hand instead)."""

    async def create(self, request: PaymentRequest) -> PlatformTransaction:
        """Create the payment; the same ``request_id`` twice creates it once (or raises ``payment_exists``).

        Raises ProviderError; ``retriable`` when the outcome is unknown or may change.
        """
        ...

    async def status(self, transaction_id: str) -> PlatformTransaction:
        """Read the payment's status; raises ProviderError."""
        ...

    async def close(self) -> None:
        ...
