"""The calendar file of an appointment (RFC 5545, built with icalendar).

One booking is one event: its UID stays the same when the appointment is moved (the
``sequence`` goes up, so calendars update the event instead of adding another) and when it
is cancelled (``METHOD:CANCEL``). Times are in the office's zone, with that zone's
VTIMEZONE around the date, so a calendar shows 10:15 in Regensburg whatever zone it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

import icalendar

from virtual_office.mail.errors import InvalidMessage
from virtual_office.mail.message import Attachment

PRODID = "-//virtual-office//Termine//DE"
REMINDER = timedelta(days=1)
"""The alarm goes off this long before the appointment."""
ZONE_MARGIN = timedelta(days=400)
"""The VTIMEZONE lists the zone's rules from this long before to this long after the appointment."""


@dataclass(frozen=True)
class Appointment:
    """What a calendar needs to know of one booked appointment."""

    uid: str
    """Stable for the booking, e.g. ``<booking id>@<server host>``."""
    start: datetime
    """In the office's zone (a ``zoneinfo.ZoneInfo``, not a fixed offset)."""
    end: datetime
    summary: str
    description: str
    url: str
    """The personal link to enter the waiting room."""
    organizer: str
    """``VO_MAIL_FROM``: ``Name <address>`` or the address alone."""
    attendee: str | None = None
    """The citizen's address (iTIP invitations name one); None leaves it out."""
    sequence: int = 0
    """0 when booked; one more with each move."""
    location: str = ""


def ics(appointment: Appointment, *, cancel: bool = False, reminder: timedelta | None = REMINDER,
        stamp: datetime | None = None) -> bytes:
    """The ``.ics`` file: METHOD:REQUEST (or CANCEL), one VEVENT, its VTIMEZONE and a VALARM."""
    a = appointment
    zone = a.start.tzinfo
    if zone is None or a.end.tzinfo is None or not hasattr(zone, "key"):
        raise InvalidMessage("an appointment's times need the office's time zone (zoneinfo)")
    if a.end <= a.start:
        raise InvalidMessage("an appointment ends after it starts")
    name, address = parseaddr(a.organizer)
    if "@" not in address:
        raise InvalidMessage("the organizer needs an e-mail address (VO_MAIL_FROM)")

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")

    event = icalendar.Event()
    event.add("uid", a.uid)
    event.add("sequence", a.sequence)
    event.add("dtstamp", (stamp or datetime.now(UTC)).astimezone(UTC))
    event.add("dtstart", a.start)
    event.add("dtend", a.end.astimezone(zone))
    event.add("summary", a.summary)
    event.add("description", f"{a.description}\n\n{a.url}" if a.description else a.url)
    event.add("url", a.url, parameters={"VALUE": "URI"})
    if a.location:
        event.add("location", a.location)
    organizer = icalendar.vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["CN"] = name
    event.add("organizer", organizer)
    if a.attendee:
        attendee = icalendar.vCalAddress(f"mailto:{a.attendee}")
        attendee.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"})
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if reminder is not None and not cancel:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", a.summary)
        alarm.add("trigger", -reminder)
        event.add_component(alarm)
    cal.add_component(event)
    cal.add_missing_timezones(first_date=(a.start - ZONE_MARGIN).date(), last_date=(a.end + ZONE_MARGIN).date())
    data: bytes = cal.to_ical()
    return data


def attachment(appointment: Appointment, *, cancel: bool = False, reminder: timedelta | None = REMINDER) -> Attachment:
    """The calendar file as a mail attachment (``text/calendar`` with its method, as mail clients expect)."""
    method = "CANCEL" if cancel else "REQUEST"
    return Attachment(
        filename="termin.ics",
        content_type=f"text/calendar; method={method}; charset=utf-8",
        data=ics(appointment, cancel=cancel, reminder=reminder),
    )
