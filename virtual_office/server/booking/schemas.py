"""What the booking receives: the hold, the move and the check-in bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from virtual_office.queue.appointments import MAX_SERVICES
from virtual_office.server.schemas import Payload, one_line

ServiceId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Start = Annotated[str, StringConstraints(min_length=16, max_length=40)]
"""An ISO 8601 time with its offset, as the free times list it (``2026-12-03T10:15:00+01:00``)."""
Token = Annotated[str, StringConstraints(min_length=1, max_length=120)]
# As the appointment engine keeps them (queue/appointments.py): one line each.
Email = Annotated[str, AfterValidator(one_line(254))]
Name = Annotated[str, AfterValidator(one_line(80))]
Phone = Annotated[str, AfterValidator(one_line(30))]


class Hold(Payload):
    """``POST /api/offices/{id}/bookings``: the chosen services and time, the contact, consent and bot check."""

    services: Annotated[list[ServiceId], Field(min_length=1, max_length=MAX_SERVICES)]
    start: Start
    email: Email
    name: Name | None = None
    phone: Phone | None = None
    language: Annotated[str, StringConstraints(min_length=2, max_length=2)] = "de"
    consent: bool
    altcha: Annotated[str, StringConstraints(max_length=4096)] = ""
    request_key: Annotated[str, StringConstraints(min_length=8, max_length=100)]


class Move(Payload):
    """``POST /api/bookings/move``: the link's token and the new start."""

    token: Token
    start: Start


__all__ = ["Hold", "Move", "Token"]
