"""Tickets: a citizen's place in an office's waiting room."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from virtual_office.queue.errors import UnknownTicket

WAITING = "waiting"
CALLED = "called"
IN_VISIT = "in_visit"

WALK_IN = 0
APPOINTMENT = 1
"""Priorities: tickets with an appointment are called before every walk-in, each
group in order of joining. Only server code sets it (a future booking system);
citizens joining through the API are walk-ins and cannot claim it."""


def new_ticket_id() -> str:
    return secrets.token_hex(8)


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_token(ticket_id: str, secret: str) -> str:
    """The token only the citizen's browser holds: ticket id and secret."""
    return f"{ticket_id}.{secret}"


def split_token(token: object) -> tuple[str, str]:
    """Return (ticket id, secret); any malformed token is simply unknown."""
    if not isinstance(token, str) or len(token) > 100 or token.count(".") != 1:
        raise UnknownTicket("malformed token")
    ticket_id, secret = token.split(".")
    if len(ticket_id) != 16 or not all(c in "0123456789abcdef" for c in ticket_id) or not secret:
        raise UnknownTicket("malformed token")
    return ticket_id, secret


@dataclass(frozen=True)
class Ticket:
    """A ticket as stored; names and concerns are the citizen's own, optional words."""

    id: str
    office_id: str
    number: str
    state: str
    joined_at: int
    """When the ticket took its place (ms): when its page first connected, kept across transfers."""
    queued_at: int
    """When the ticket entered this office (ms): the wait statistics count from here."""
    name: str = ""
    concern: str = ""
    language: str = ""
    offline_since: int | None = None
    clerk_id: str = ""
    called_at: int | None = None
    deadline: int | None = None
    visit_started: int | None = None
    secret_hash: str = ""
    guests: tuple[str, ...] = ()
    """Clerks the serving clerk added to the visit (a colleague, an interpreter)."""
    priority: int = WALK_IN
    appointment_at: int | None = None
    """A checked-in appointment's start (ms); None for a walk-in."""

    @classmethod
    def from_redis(cls, fields: Mapping[str, str]) -> Ticket:
        def ms(name: str) -> int | None:
            value = fields.get(name)
            return int(value) if value else None

        return cls(
            id=fields["id"],
            office_id=fields["office"],
            number=fields["number"],
            state=fields["state"],
            joined_at=int(fields["joined_at"]),
            queued_at=int(fields["queued_at"]),
            name=fields.get("name", ""),
            concern=fields.get("concern", ""),
            language=fields.get("language", ""),
            offline_since=ms("offline_since"),
            clerk_id=fields.get("clerk", ""),
            called_at=ms("called_at"),
            deadline=ms("deadline"),
            visit_started=ms("visit_started"),
            secret_hash=fields.get("secret", ""),
            guests=tuple(g for g in fields.get("guests", "").split(",") if g),
            priority=int(fields.get("priority") or WALK_IN),
            appointment_at=ms("appointment_at"),
        )

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))
