"""The mails the office sends about appointments: reminders, and cancellations by the office.

Each is queued once (the outbox key): a reminder per booking, reminder and start time, so a
moved booking is reminded again for its new time; a cancellation per booking. Links lead to
the booking pages (server/booking): ``/b/<action>/<token>`` and ``/b/<office>`` to book again.
"""

from __future__ import annotations

import logging
from typing import Any

from virtual_office.mail import Mailer, MailError, compose
from virtual_office.queue import Appointments, Booking, Office
from virtual_office.server.booking.mails import calendar_cancellation

log = logging.getLogger(__name__)


def link(base_url: str, action: str, token: str, lang: str) -> str:
    """The citizen's link to enter, cancel or move their appointment."""
    return f"{base_url}/b/{action}/{token}?lang={lang}"


def book_url(base_url: str, office: Office, lang: str) -> str:
    return f"{base_url}/b/{office.id}?lang={lang}"


def _details(office: Office, booking: Booking, lang: str) -> dict[str, Any]:
    known = {s.id: s for s in office.appointments.services}
    return {
        "office": office.localized_name(lang),
        "start": booking.start.astimezone(office.appointment_hours.zone),
        "concerns": [known[s].localized_name(lang) for s in booking.services if s in known] or [booking.concern],
        "number": booking.reference,
    }


async def send_reminders(appointments: Appointments, mailer: Mailer, office: Office, base_url: str) -> int:
    """Queue the office's reminders that are due; returns how many. A reminder whose time has
    passed (the sweeper was away past the start) is dropped, not sent late."""
    now = appointments.now()
    queued = 0
    for due in await appointments.due_reminders(office.id):
        booking = due.booking
        if booking.email and booking.link and booking.start > now:
            lang = booking.language or "de"
            try:
                message = compose(
                    "reminder", lang, booking.email,
                    enter_url=link(base_url, "enter", booking.link, lang),
                    cancel_url=link(base_url, "cancel", booking.link, lang),
                    **_details(office, booking, lang),
                )
                await mailer.send(message, key=f"booking:{booking.id}:reminder:{due.minutes}:{int(booking.start.timestamp())}", tenant=office.tenant)
                queued += 1
            except MailError as exc:  # a message that cannot be made now cannot be later either
                log.warning("reminder for booking %s not sent: %s", booking.id, type(exc).__name__)
        await appointments.reminded(office.id, due)
    return queued


async def cancel_by_office(appointments: Appointments, mailer: Mailer, office: Office, booking_id: str,
                           reason: str, base_url: str) -> Booking:
    """The office cancels one booking and e-mails the citizen its reason, a link to book again and,
    for a confirmed booking, the calendar file that removes its event (without a mail server, an
    office imported with appointments, nobody can be told: the page says so)."""
    before = await appointments.cancel_by_office(office.id, booking_id, reason)
    if before.email and mailer.configured:
        lang = before.language or "de"
        message = compose("cancelled_by_office", lang, before.email, book_url=book_url(base_url, office, lang),
                          reason=" ".join(reason.split()),  # as the engine kept it ("before" is without it)
                          attachments=calendar_cancellation(base_url, mailer, office, before, before.link, lang),
                          **_details(office, before, lang))
        await mailer.send(message, key=f"booking:{before.id}:cancelled_by_office", tenant=office.tenant)
    return before


__all__ = ["book_url", "cancel_by_office", "link", "send_reminders"]
