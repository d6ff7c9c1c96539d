"""Every Redis key the waiting room uses, in one place.

All keys of one office carry the hash tag ``{office_id}`` so that the Lua scripts,
which touch only one office's keys, stay valid on Redis Cluster. The exceptions are
the global directories (tenants, offices, clerks), ``where``, the token-to-office index, and
the refused embed origins (their own hash tag, for their one script).
"""

PREFIX = "vo"

OFFICES = f"{PREFIX}:offices"
"""Sorted set: office id -> display order."""
CLERKS = f"{PREFIX}:clerks"
"""Hash: clerk id -> JSON account."""
LOGINS = f"{PREFIX}:logins"
"""Hash: login name -> clerk id."""
TENANTS = f"{PREFIX}:tenants"
"""Hash: tenant id -> JSON tenant (queue/tenants.py); the default tenant need not be stored."""
ALLOWED_ORIGINS = f"{PREFIX}:allowed-origins"
"""Set: websites the administrator allows to embed the widget (the default tenant's offices)."""
REFUSED_ORIGINS = f"{PREFIX}:{{refused-origins}}:seen"
"""Sorted set: website (origin) the embed allowlist refused -> last refusal (ms); a few dozen, for a month."""
REFUSED_ORIGIN_COUNTS = f"{PREFIX}:{{refused-origins}}:count"
"""Hash: refused origin -> how often it was refused (kept and dropped with REFUSED_ORIGINS)."""
REFUSED_ORIGIN_LOGGED = f"{PREFIX}:{{refused-origins}}:logged"
"""Hash: refused origin -> when its refusal was last logged (ms), so a busy page logs once a minute."""
SWEEPER_LOCK = f"{PREFIX}:sweeper"
"""The one process that runs timed transitions holds this for a moment."""
CHANGES = f"{PREFIX}:changes"
"""Pub/sub channel: office ids whose state changed (for other processes' coalescing)."""
EXCHANGE_VISITS = f"{PREFIX}:exchange:visits"
"""Set: visits that have exchange state (for the sweep of leftovers)."""


def allowed_origins(tenant_id: str) -> str:
    """Set: websites a tenant's administrator allows to embed its widget (:data:`ALLOWED_ORIGINS` for the default tenant)."""
    return ALLOWED_ORIGINS if tenant_id == "default" else f"{ALLOWED_ORIGINS}:{tenant_id}"


def refused_origins(tenant_id: str) -> tuple[str, str, str]:
    """The refused websites of a tenant's widget: last seen, counts, last logged (one hash tag, for their script)."""
    if tenant_id == "default":
        return REFUSED_ORIGINS, REFUSED_ORIGIN_COUNTS, REFUSED_ORIGIN_LOGGED
    base = f"{PREFIX}:{{refused-origins}}:{tenant_id}"
    return f"{base}:seen", f"{base}:count", f"{base}:logged"


def tag(office_id: str) -> str:
    return f"{PREFIX}:{{{office_id}}}"


def office(office_id: str) -> str:
    """String: the office's JSON configuration."""
    return f"{tag(office_id)}:office"


def queue(office_id: str) -> str:
    """Sorted set: waiting ticket id -> order score (join time in ms; lower is earlier); confirmed tickets only."""
    return f"{tag(office_id)}:queue"


def unconfirmed(office_id: str) -> str:
    """Sorted set: joined ticket id whose citizen's page has not connected yet -> join time (ms).

    Such a ticket is in no queue: it holds no place until its page connects (docs/security.md).
    """
    return f"{tag(office_id)}:unconfirmed"


def ticket_prefix(office_id: str) -> str:
    return f"{tag(office_id)}:ticket:"


def ticket(office_id: str, ticket_id: str) -> str:
    """Hash: one ticket's fields (deleted when the visit ends)."""
    return ticket_prefix(office_id) + ticket_id


def seen(office_id: str) -> str:
    """Sorted set: ticket id -> last sign of life (ms); drives the disconnect grace."""
    return f"{tag(office_id)}:seen"


def called(office_id: str) -> str:
    """Sorted set: called ticket id -> deadline to accept (ms)."""
    return f"{tag(office_id)}:called"


def serving(office_id: str) -> str:
    """Hash: clerk id -> ticket id the clerk has called or is with."""
    return f"{tag(office_id)}:serving"


def presence(office_id: str) -> str:
    """Hash: clerk id -> available | paused (on duty in this office)."""
    return f"{tag(office_id)}:presence"


def presence_seen(office_id: str) -> str:
    """Sorted set: clerk id -> last heartbeat (ms)."""
    return f"{tag(office_id)}:presence-seen"


def counter(office_id: str, day: str) -> str:
    """Integer: the day's display numbers."""
    return f"{tag(office_id)}:counter:{day}"


def durations(office_id: str) -> str:
    """List: lengths of the most recent visits in seconds (newest first)."""
    return f"{tag(office_id)}:durations"


def announcement(office_id: str) -> str:
    """String: the latest message to everyone waiting (expires)."""
    return f"{tag(office_id)}:announcement"


def stats(office_id: str, day: str) -> str:
    """Hash: the day's counters (visits, no_shows, left, transferred_out)."""
    return f"{tag(office_id)}:stats:{day}"


def stats_waits(office_id: str, day: str) -> str:
    """List: the day's waits in seconds (numbers only)."""
    return f"{tag(office_id)}:stats:{day}:waits"


def stats_lengths(office_id: str, day: str) -> str:
    """List: the day's visit lengths in seconds (numbers only)."""
    return f"{tag(office_id)}:stats:{day}:lengths"


def where(ticket_id: str) -> str:
    """String: the office a ticket is in (a ticket's token names only the ticket)."""
    return f"{PREFIX}:where:{ticket_id}"


def login_failures(kind: str, value: str) -> str:
    """Integer (expires): failed logins per ``device`` cookie (a digest of its id), per ``untrusted``
    clients of an account (a digest of the login, server/lockout.py) or per ``address``."""
    return f"{PREFIX}:login-failures:{kind}:{value}"


def login_devices(account: str) -> str:
    """Integer: the generation of an account's device cookies (by a digest of the login); raised to revoke them."""
    return f"{PREFIX}:login-devices:{account}"


def visit_chat(visit_id: str) -> str:
    """List: a visit's chat messages as JSON (deleted when the visit ends)."""
    return f"{PREFIX}:exchange:{{{visit_id}}}:chat"


def visit_state(visit_id: str) -> str:
    """Hash: a visit's office, start, ID check and signature requests (deleted when the visit ends)."""
    return f"{PREFIX}:exchange:{{{visit_id}}}:state"


def visit_encryption(visit_id: str) -> str:
    """Hash: per call of the ticket, whose browsers cannot encrypt and whether the clerk let the video go
    unencrypted (server/visit/encryption.py; deleted when the visit ends)."""
    return f"{PREFIX}:visit:{{{visit_id}}}:encryption"


def limit(name: str, address: str) -> str:
    """Integer (expires with its window): how often one address did ``name`` (server/limits.py)."""
    return f"{PREFIX}:limit:{name}:{address}"


def login_session(digest: str) -> str:
    """Hash (expires after the idle time, slid by activity, never past the absolute end): a login
    session's clerk id, start, last activity, absolute end and coarse device, by a digest of its id."""
    return f"{PREFIX}:session:{digest}"


def login_session_ended(digest: str) -> str:
    """String (expires with the longest session): why a login session was ended on purpose (to tell
    its browser, which still holds the cookie, whether time or a person ended it)."""
    return f"{PREFIX}:session-ended:{digest}"


def second_factor(clerk_id: str) -> str:
    """Hash: an account's TOTP secret, the last time step accepted, a field ``r:<digest>`` per unused
    recovery code, and while enrolling the secret offered (queue/second_factor.py)."""
    return f"{PREFIX}:second-factor:{clerk_id}"


def clerk_sessions(clerk_id: str) -> str:
    """Set: digests of one account's login sessions (to end them all at once)."""
    return f"{PREFIX}:clerk-sessions:{clerk_id}"


# -- appointments (queue/appointments.py; the layout is explained there) ---------


def appointment_prefix(office_id: str) -> str:
    return f"{tag(office_id)}:appt:"


def appointment(office_id: str, booking_id: str) -> str:
    """Hash: one booking's fields; e-mail, name and phone only until the appointment is over."""
    return appointment_prefix(office_id) + booking_id


def appointment_occupancy_prefix(office_id: str) -> str:
    return f"{tag(office_id)}:appt-occupancy:"


def appointment_occupancy(office_id: str, day: str) -> str:
    """Hash: grid step (epoch minute) -> places taken by held and confirmed bookings; expires after the day."""
    return appointment_occupancy_prefix(office_id) + day


def appointment_day_prefix(office_id: str) -> str:
    return f"{tag(office_id)}:appt-day:"


def appointment_day(office_id: str, day: str) -> str:
    """Sorted set: booking id -> start (ms) of the day's live bookings (held, confirmed, checked in)."""
    return appointment_day_prefix(office_id) + day


def appointment_days(office_id: str) -> str:
    """Sorted set: day (YYYY-MM-DD) with bookings -> its end (ms), for closing days that are over."""
    return f"{tag(office_id)}:appt-days"


def appointment_holds(office_id: str) -> str:
    """Sorted set: held booking id -> when the hold runs out (ms)."""
    return f"{tag(office_id)}:appt-holds"


def appointment_request(office_id: str, digest: str) -> str:
    """String (expires): the booking a client's request key made, so a double submit books once."""
    return f"{tag(office_id)}:appt-request:{digest}"


def appointment_counter(office_id: str) -> str:
    """Integer: the office's booking references (BT-0001, ...)."""
    return f"{tag(office_id)}:appt-counter"


def appointment_reminders(office_id: str) -> str:
    """Sorted set: '<booking id>:<minutes before>' -> when that reminder is due (ms), for confirmed bookings."""
    return f"{tag(office_id)}:appt-reminders"


def stats_prefix(office_id: str) -> str:
    """The start of :func:`stats` keys; scripts that learn the day from a booking append it."""
    return stats(office_id, "")

