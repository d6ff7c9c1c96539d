"""What members send over /visit about fees: which fees to ask for, which payment to try again."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from virtual_office.server.schemas import Empty, Events, Payload

FeeId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,35}$")]


class Charge(Payload):
    """A catalogue fee by id, or ``"free"`` with the clerk's ``purpose`` and ``amount`` (``"13,00"``)."""

    fee: FeeId
    quantity: Annotated[int, Field(ge=1, le=99)] = 1
    purpose: Annotated[str, StringConstraints(max_length=120)] = ""
    amount: Annotated[str, StringConstraints(max_length=20)] | None = None


class PaymentRequest(Payload):
    charges: Annotated[list[Charge], Field(min_length=1, max_length=20)]


class PaymentRetry(Payload):
    transaction_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


EVENTS: Events = {
    "payments": Empty,
    "payment_request": PaymentRequest,
    "payment_retry": PaymentRetry,
}

__all__ = ["EVENTS", "Charge", "PaymentRequest", "PaymentRetry"]
