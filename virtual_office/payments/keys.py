"""Every Redis key of payments, in one place.

Each carries its office's hash tag (``queue.keys.tag``), so one office's payment
scripts stay valid on Redis Cluster, and deleting an office deletes its payments with it.
"""

from __future__ import annotations

from virtual_office.queue.keys import tag

RECONCILER_LOCK = "vo:payments:reconciler"
"""The one process that polls the platforms holds this for a moment (like the sweeper's lock)."""


def transaction_prefix(office_id: str) -> str:
    return f"{tag(office_id)}:pay:tx:"


def transaction(office_id: str, transaction_id: str) -> str:
    """Hash: one transaction (fees, amounts, state, the platform's id and pay address); no personal data."""
    return transaction_prefix(office_id) + transaction_id


def due(office_id: str) -> str:
    """Sorted set: transaction id not yet final -> when it is next looked at (ms): created again, or its status read."""
    return f"{tag(office_id)}:pay:due"


def idempotency(office_id: str, key: str) -> str:
    """String: visit and fee set -> the transaction made for them (a second click finds it)."""
    return f"{tag(office_id)}:pay:key:{key}"


def visit(office_id: str, visit_id: str) -> str:
    """Set: the transaction ids of one visit."""
    return f"{tag(office_id)}:pay:visit:{visit_id}"


def provider(office_id: str) -> str:
    """String: the office's payment provider and its settings (JSON, credentials included; never sent to a browser)."""
    return f"{tag(office_id)}:pay:provider"


def tenant_provider(tenant_id: str) -> str:
    """String: a tenant's payment provider (JSON, credentials included), for its offices that name none of their own."""
    return f"vo:payments:tenant-provider:{tenant_id}"


def reference_sequence(office_id: str, year: int) -> str:
    """String: a counter per office and year, for references (Kassenzeichen); expires after the year."""
    return f"{tag(office_id)}:pay:reference-seq:{year}"


def stats(office_id: str, day: str) -> str:
    """Hash: counts and sums of one office's payments on one day (the day the state became final)."""
    return f"{tag(office_id)}:pay:stats:{day}"
