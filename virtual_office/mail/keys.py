"""Every Redis key of the outbox, in one place.

All carry the hash tag ``{mail}``, so the outbox's scripts stay valid on Redis Cluster.
"""

PREFIX = "vo:{mail}"

DUE = f"{PREFIX}:due"
"""Sorted set: message id -> when it may next be tried (ms); a message being sent is leased ahead."""
PENDING = f"{PREFIX}:pending"
"""Sorted set: message id -> when it was queued (ms), for every message not yet sent or failed."""
RETRYING = f"{PREFIX}:retrying"
"""Set: pending message ids that failed at least once."""
FAILED = f"{PREFIX}:failed"
"""Sorted set: failed message id -> when it was given up (ms); trimmed after the record's keeping time."""
SENT = f"{PREFIX}:sent"
"""Sorted set: sent message id -> when the server accepted it (ms); trimmed likewise."""
DELIVERY_LOCK = f"{PREFIX}:delivery"
"""The one process that delivers holds this for a moment (like the sweeper's lock)."""
MESSAGE_PREFIX = f"{PREFIX}:message:"
KEY_PREFIX = f"{PREFIX}:key:"


def message(message_id: str) -> str:
    """Hash: one message's record (its content only until it is sent or given up)."""
    return MESSAGE_PREFIX + message_id


def idempotency(key: str) -> str:
    """String: the caller's key -> the id of the message queued under it."""
    return KEY_PREFIX + key
