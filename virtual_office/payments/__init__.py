"""Payments: fees, the platforms that take them, and transactions that are never lost or made twice.

Like ``queue`` and ``media`` it knows nothing of HTTP or socket.io. An office's fee
catalogue (:class:`FeeCatalogue`, in its settings) says what may be charged; its provider
(:class:`ProviderConfig`, kept apart because it holds credentials) says where: an
XBezahldienste platform or a GiroCode bank transfer. The :class:`Cashier` stores each
payment before it asks the platform, and the one :class:`Reconciler` of the deployment
follows every payment to its final state, across restarts. See docs/payments.md.

``fees`` and ``money`` depend on nothing else of the project (the office's settings hold
a catalogue); the rest imports ``queue`` submodules only, never the ``queue`` package.
"""

from virtual_office.payments.cashier import CHANGES, Cashier, Charge, Timing
from virtual_office.payments.config import ProviderConfig, ProviderDirectory
from virtual_office.payments.errors import (
    InvalidFee,
    NotConfigured,
    PaymentError,
    ProviderError,
    UnknownFee,
    UnknownTransaction,
)
from virtual_office.payments.fees import FREE, Fee, FeeCatalogue, Line
from virtual_office.payments.girocode import GiroCodeProvider, GiroCodeSettings, epc_qr, transfer_qr
from virtual_office.payments.money import format_amount, parse_amount
from virtual_office.payments.providers import PaymentRequest, PlatformStatus, PlatformTransaction, Provider
from virtual_office.payments.reconciler import Reconciler
from virtual_office.payments.stats import PaymentStats, payment_stats, recent_payment_stats
from virtual_office.payments.transactions import State, Transaction, TransactionStore
from virtual_office.payments.xbezahldienste import XBezahldiensteProvider, XBezahldiensteSettings

__all__ = [
    "CHANGES",
    "FREE",
    "Cashier",
    "Charge",
    "Fee",
    "FeeCatalogue",
    "GiroCodeProvider",
    "GiroCodeSettings",
    "InvalidFee",
    "Line",
    "NotConfigured",
    "PaymentError",
    "PaymentRequest",
    "PaymentStats",
    "PlatformStatus",
    "PlatformTransaction",
    "Provider",
    "ProviderConfig",
    "ProviderDirectory",
    "ProviderError",
    "Reconciler",
    "State",
    "Timing",
    "Transaction",
    "TransactionStore",
    "UnknownFee",
    "UnknownTransaction",
    "XBezahldiensteProvider",
    "XBezahldiensteSettings",
    "epc_qr",
    "format_amount",
    "parse_amount",
    "payment_stats",
    "recent_payment_stats",
    "transfer_qr",
]
