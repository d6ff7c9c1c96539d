"""Errors of the waiting room. Each carries a stable code the server passes on to clients."""

from __future__ import annotations

from datetime import datetime


class QueueError(Exception):
    """Base class: a transition was refused; state is unchanged."""

    code = "queue_error"

    def __init__(self, message: str = "", **details: object) -> None:
        super().__init__(message or self.code)
        self.details = details


class UnknownOffice(QueueError):
    code = "unknown_office"


class UnknownTicket(QueueError):
    """The token or ticket id is unknown, forged, or the ticket has ended."""

    code = "unknown_ticket"


class OfficeClosed(QueueError):
    code = "closed"

    def __init__(self, opens_at: datetime | None) -> None:
        super().__init__("the office is closed", opens_at=opens_at)
        self.opens_at = opens_at


class AppointmentsOnly(QueueError):
    """The office takes appointments only: no walk-ins (its appointments check in through the booking)."""

    code = "appointments_only"


class QueueFull(QueueError):
    code = "full"


class QueueEmpty(QueueError):
    code = "queue_empty"


class NotWaiting(QueueError):
    """The ticket is no longer waiting (someone else called them, or they left)."""

    code = "not_waiting"


class NotCalled(QueueError):
    code = "not_called"


class CallExpired(QueueError):
    code = "expired"


class TooEarly(QueueError):
    """A no-show can only be declared after the time to accept has run out; a check-in only
    inside the appointment's window (``at``: when it opens)."""

    code = "too_early"


class NotInVisit(QueueError):
    code = "not_in_visit"


class AlreadyServing(QueueError):
    """The clerk already has someone called or in a visit."""

    code = "already_serving"


class TooManyGuests(QueueError):
    code = "too_many_guests"


class InvalidInput(QueueError):
    code = "bad_request"


class NotAuthorized(QueueError):
    """A clerk acted on an office they do not staff, or credentials were wrong."""

    code = "forbidden"


class StoreUnavailable(QueueError):
    """Redis could not be reached; nothing was changed."""

    code = "unavailable"


# -- appointments -------------------------------------------------------------------


class SlotFull(QueueError):
    """Every place at that time is taken; ``next_free`` names the nearest free start times."""

    code = "slot_full"


class InThePast(QueueError):
    code = "in_the_past"


class OutsideHours(QueueError):
    """The time is not a start time of the office's appointment hours, or beyond the booking horizon."""

    code = "outside_hours"


class TooLate(QueueError):
    """Too late to book this time (the lead time), or to check in (the office's late rule)."""

    code = "too_late"


class AppointmentNotFound(QueueError):
    """The booking is unknown, its secret wrong, or it is long over."""

    code = "not_found"


class AppointmentCancelled(QueueError):
    code = "cancelled"


class AppointmentExpired(QueueError):
    """The hold ran out before the opt-in, or the appointment is over."""

    code = "expired"


class InvalidAppointment(InvalidInput):
    """Malformed booking input (services, contact, time), or a step the booking's state does not allow."""

    code = "invalid"
