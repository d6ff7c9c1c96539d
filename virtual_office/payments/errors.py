"""Errors of the payments component, each with a stable code the server passes on to clients."""

from __future__ import annotations


class PaymentError(Exception):
    """Base class: a payment step was refused or failed; what is stored is unchanged."""

    code = "payment_error"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message or code or self.code)
        if code is not None:
            self.code = code


class InvalidFee(PaymentError):
    """A fee, a catalogue or a clerk's entry that breaks a rule (amount, purpose, booking data)."""

    code = "invalid_fee"


class UnknownFee(PaymentError):
    """A fee id the office's catalogue does not have, or a free amount where it allows none."""

    code = "unknown_fee"


class UnknownTransaction(PaymentError):
    code = "unknown_transaction"


class NotConfigured(PaymentError):
    """The office takes no payments: no provider, or a provider without its settings."""

    code = "payments_not_configured"


class ProviderError(PaymentError):
    """The payment platform refused or could not be reached.

    ``retriable``: the same request may succeed later (the platform unreachable, slow or
    failing on its side); the transaction stays as it was and is tried again with the
    same request id. Otherwise the platform said no to this request for good.
    """

    code = "platform_error"

    def __init__(self, code: str, message: str = "", *, retriable: bool = False, transaction_id: str | None = None) -> None:
        super().__init__(message or code, code=code)
        self.retriable = retriable
        self.transaction_id = transaction_id
        """With ``payment_exists``: the platform's id of the transaction that exists, where it names it."""
