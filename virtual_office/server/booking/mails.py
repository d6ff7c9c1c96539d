"""The booking's e-mails: opt-in, confirmation (with its calendar file), cancellation.

Each is queued in the outbox once per booking and purpose (the outbox key: booking id,
kind and, for a confirmation, the calendar SEQUENCE), so a repeated request or a link
opened twice sends nothing twice. Links carry the booking's token in their path; they are
the only place it travels besides the citizen's mailbox.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from virtual_office.mail import Appointment, Attachment, Mailer, attachment, compose
from virtual_office.queue import Office
from virtual_office.queue.bookings import Booking


def link(base_url: str, action: str, token: str, lang: str) -> str:
    """The citizen's link for ``action`` (confirm, cancel, move, enter, calendar)."""
    suffix = ".ics" if action == "calendar" else ""
    return f"{base_url}/b/{action}/{token}{suffix}?lang={lang}"


def book_url(base_url: str, office: Office, lang: str) -> str:
    return f"{base_url}/b/{office.id}?lang={lang}"


def calendar_event(base_url: str, mailer: Mailer, office: Office, booking: Booking, token: str, lang: str,
                   *, with_attendee: bool = True) -> Appointment:
    """The booking as a calendar event (one UID for the booking's whole life)."""
    zone = office.appointment_hours.zone
    return Appointment(
        uid=f"{booking.id}@{urlsplit(base_url).hostname or 'localhost'}",
        start=booking.start.astimezone(zone),
        end=booking.end.astimezone(zone),
        summary=f"{office.localized_name(lang)}: {booking.concern}" if booking.concern else office.localized_name(lang),
        description=booking.reference,
        url=link(base_url, "enter", token, lang),
        organizer=mailer.mail_from,
        attendee=booking.email if with_attendee and booking.email else None,
        sequence=booking.sequence,
    )


def _common(office: Office, booking: Booking, lang: str) -> dict[str, Any]:
    return {
        "office": office.localized_name(lang),
        "start": booking.start.astimezone(office.appointment_hours.zone),
        "concerns": [office.appointments.service(s).localized_name(lang) for s in booking.services
                     if any(x.id == s for x in office.appointments.services)],
        "number": booking.reference,
    }


async def send_opt_in(mailer: Mailer, base_url: str, office: Office, booking: Booking, token: str) -> None:
    lang = booking.language or "de"
    message = compose("opt_in", lang, booking.email, confirm_url=link(base_url, "confirm", token, lang),
                      hold_minutes=office.appointments.hold_minutes, **_common(office, booking, lang))
    await mailer.send(message, key=f"booking:{booking.id}:opt_in", tenant=office.tenant)


async def send_confirmation(mailer: Mailer, base_url: str, office: Office, booking: Booking, token: str) -> None:
    """The confirmation with the calendar file (METHOD:REQUEST); after a move again, with SEQUENCE one higher."""
    lang = booking.language or "de"
    message = compose(
        "confirmation", lang, booking.email,
        enter_url=link(base_url, "enter", token, lang),
        cancel_url=link(base_url, "cancel", token, lang),
        move_url=link(base_url, "move", token, lang),
        attachments=[attachment(calendar_event(base_url, mailer, office, booking, token, lang))],
        **_common(office, booking, lang),
    )
    await mailer.send(message, key=f"booking:{booking.id}:confirmation:{booking.sequence}", tenant=office.tenant)


def calendar_cancellation(base_url: str, mailer: Mailer, office: Office, booking: Booking, token: str,
                          lang: str) -> list[Attachment]:
    """The calendar file that removes a confirmed booking's event (METHOD:CANCEL, the same UID);
    none for a booking never confirmed, which no calendar holds."""
    if booking.confirmed_at is None:
        return []
    # A cancellation is one more revision of the event: its SEQUENCE one above the last request's.
    event = calendar_event(base_url, mailer, office, booking, token, lang)
    return [attachment(replace(event, sequence=event.sequence + 1), cancel=True)]


async def send_cancelled(mailer: Mailer, base_url: str, office: Office, booking: Booking, token: str) -> None:
    """The citizen cancelled: a confirmed booking's calendar entry is cancelled too (METHOD:CANCEL)."""
    lang = booking.language or "de"
    message = compose("cancelled_by_citizen", lang, booking.email, book_url=book_url(base_url, office, lang),
                      attachments=calendar_cancellation(base_url, mailer, office, booking, token, lang),
                      **_common(office, booking, lang))
    await mailer.send(message, key=f"booking:{booking.id}:cancelled", tenant=office.tenant)


__all__ = ["book_url", "calendar_cancellation", "calendar_event", "link", "send_cancelled", "send_confirmation", "send_opt_in"]
