"""Bookings: an appointment as stored, its states and the citizen's secret link token."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from virtual_office.queue.errors import AppointmentNotFound
from virtual_office.queue.offices import OFFICE_ID
from virtual_office.queue.tickets import hash_secret

HELD = "held"
"""Waiting for the citizen's opt-in; holds its place until ``hold_until``."""
CONFIRMED = "confirmed"
CHECKED_IN = "checked_in"
"""In the waiting room as a ticket (``ticket``, ``number``)."""
CANCELLED = "cancelled"
EXPIRED = "expired"
"""The hold ran out before the opt-in."""
SERVED = "served"
NO_SHOW = "no_show"
"""After the day: checked in, or never came."""


def make_token(office_id: str, booking_id: str, secret: str) -> str:
    """What the citizen's links carry: office, booking and the secret only they hold."""
    return f"{office_id}.{booking_id}.{secret}"


def split_token(token: object) -> tuple[str, str, str]:
    """(office id, booking id, secret); a malformed token is simply not found."""
    if not isinstance(token, str) or len(token) > 120 or token.count(".") != 2:
        raise AppointmentNotFound("malformed token")
    office_id, booking_id, secret = token.split(".")
    if (
        not OFFICE_ID.match(office_id)
        or len(booking_id) != 16
        or not all(c in "0123456789abcdef" for c in booking_id)
        or not secret
    ):
        raise AppointmentNotFound("malformed token")
    return office_id, booking_id, secret


def _ms(value: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(value) / 1000, UTC) if value else None


@dataclass(frozen=True)
class Booking:
    """One appointment. E-mail, name and phone are empty once it is over."""

    id: str
    office_id: str
    reference: str
    """What the citizen and the clerk quote, e.g. BT-0042."""
    state: str
    start: datetime
    minutes: int
    day: str
    """The office's local date of the start (YYYY-MM-DD)."""
    services: tuple[str, ...]
    concern: str
    """The services' names, as the ticket's concern."""
    email: str = ""
    name: str = ""
    phone: str = ""
    language: str = ""
    hold_until: datetime | None = None
    created_at: datetime | None = None
    confirmed_at: datetime | None = None
    ticket_id: str = ""
    number: str = ""
    """The waiting-room number once checked in."""
    cancelled_by: str = ""
    reason: str = ""
    secret_hash: str = ""
    sequence: int = 0
    """How often it was moved: its calendar event's SEQUENCE."""
    link: str = ""
    """The citizen's link token, kept from the opt-in until it is over for the reminders' links."""

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @classmethod
    def from_redis(cls, fields: Mapping[str, str]) -> Booking:
        return cls(
            id=fields["id"],
            office_id=fields["office"],
            reference=fields.get("reference", ""),
            state=fields["state"],
            start=datetime.fromtimestamp(int(fields["start"]) / 1000, UTC),
            minutes=int(fields["minutes"]),
            day=fields["day"],
            services=tuple(s for s in fields.get("services", "").split(",") if s),
            concern=fields.get("concern", ""),
            email=fields.get("email", ""),
            name=fields.get("name", ""),
            phone=fields.get("phone", ""),
            language=fields.get("language", ""),
            hold_until=_ms(fields.get("hold_until")),
            created_at=_ms(fields.get("created_at")),
            confirmed_at=_ms(fields.get("confirmed_at")),
            ticket_id=fields.get("ticket", ""),
            number=fields.get("number", ""),
            cancelled_by=fields.get("cancelled_by", ""),
            reason=fields.get("reason", ""),
            secret_hash=fields.get("secret", ""),
            sequence=int(fields.get("sequence") or 0),
            link=fields.get("link", ""),
        )

    @classmethod
    def from_reply(cls, flat: list[str]) -> Booking:
        """From a script's HGETALL reply (a flat list of field, value)."""
        return cls.from_redis(dict(zip(flat[::2], flat[1::2], strict=True)))

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))
