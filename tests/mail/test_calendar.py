"""The calendar file parses back with icalendar to the office's zone and time, also across a change to summer time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from virtual_office.mail import Appointment, InvalidMessage, attachment, ics

BERLIN = ZoneInfo("Europe/Berlin")
ORGANIZER = "Stadt Musterstadt <termine@musterstadt.example>"


def appointment(start: datetime, minutes: int = 15, **changes: object) -> Appointment:
    values: dict[str, object] = {
        "uid": "booking-42@office.example", "start": start, "end": start + timedelta(minutes=minutes),
        "summary": "Video-Termin Bürgerbüro", "description": "Personalausweis", "url": "https://office.example/a/tok",
        "organizer": ORGANIZER, "attendee": "erika@example.org",
    }
    values.update(changes)
    return Appointment(**values)  # type: ignore[arg-type]


def event_of(data: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    [event] = cal.walk("VEVENT")
    return cal, event


def test_request_with_the_office_zone_time_link_organizer_and_a_reminder_a_day_before() -> None:
    start = datetime(2027, 1, 12, 10, 15, tzinfo=BERLIN)
    cal, event = event_of(ics(appointment(start)))
    assert cal["METHOD"] == "REQUEST" and cal["VERSION"] == "2.0"
    dtstart = event.decoded("DTSTART")
    assert dtstart == start and dtstart.utcoffset() == timedelta(hours=1)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("DTEND") - dtstart == timedelta(minutes=15)
    [zone] = cal.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Berlin"
    assert str(event["UID"]) == "booking-42@office.example" and event["SEQUENCE"] == 0
    assert str(event["URL"]) == "https://office.example/a/tok" and "https://office.example/a/tok" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:termine@musterstadt.example" and event["ORGANIZER"].params["CN"] == "Stadt Musterstadt"
    assert str(event["ATTENDEE"]) == "mailto:erika@example.org"
    assert str(event["SUMMARY"]) == "Video-Termin Bürgerbüro"
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(days=1) and alarm["ACTION"] == "DISPLAY"


def test_a_date_after_the_change_to_summer_time_keeps_its_wall_clock_time() -> None:
    # booked in winter for the Monday after the clocks go forward (28 March 2027)
    start = datetime(2027, 3, 29, 10, 15, tzinfo=BERLIN)
    cal, event = event_of(ics(appointment(start), stamp=datetime(2027, 1, 5, 9, 0, tzinfo=UTC)))
    dtstart = event.decoded("DTSTART")
    assert (dtstart.hour, dtstart.minute) == (10, 15)
    assert dtstart.astimezone(UTC) == datetime(2027, 3, 29, 8, 15, tzinfo=UTC)
    # the zone as the file itself describes it (for a calendar without a zone database)
    [zone] = cal.walk("VTIMEZONE")
    described = zone.to_tz()
    assert datetime(2027, 3, 29, 10, 15, tzinfo=described).astimezone(UTC) == datetime(2027, 3, 29, 8, 15, tzinfo=UTC)
    assert datetime(2027, 3, 27, 10, 15, tzinfo=described).astimezone(UTC) == datetime(2027, 3, 27, 9, 15, tzinfo=UTC)
    # an appointment across the night of the change lasts its real length
    night = datetime(2027, 3, 28, 1, 30, tzinfo=BERLIN)
    _, event = event_of(ics(appointment(night, minutes=60, end=datetime(2027, 3, 28, 3, 30, tzinfo=BERLIN))))
    assert event.decoded("DTEND").astimezone(UTC) - event.decoded("DTSTART").astimezone(UTC) == timedelta(hours=1)


def test_a_move_updates_the_same_event_and_a_cancellation_cancels_it() -> None:
    first = appointment(datetime(2027, 5, 4, 9, 0, tzinfo=BERLIN))
    moved = appointment(datetime(2027, 5, 6, 14, 30, tzinfo=BERLIN), sequence=1)
    _, a = event_of(ics(first))
    _, b = event_of(ics(moved))
    assert a["UID"] == b["UID"] and b["SEQUENCE"] == 1
    assert b.decoded("DTSTART") == datetime(2027, 5, 6, 14, 30, tzinfo=BERLIN)
    cal, c = event_of(ics(appointment(moved.start, sequence=2), cancel=True))
    assert cal["METHOD"] == "CANCEL" and c["STATUS"] == "CANCELLED" and c["UID"] == a["UID"] and c["SEQUENCE"] == 2
    assert c.walk("VALARM") == []


def test_as_an_attachment_it_names_its_method() -> None:
    start = datetime(2027, 5, 4, 9, 0, tzinfo=BERLIN)
    assert attachment(appointment(start)).content_type.startswith("text/calendar; method=REQUEST")
    assert attachment(appointment(start), cancel=True).content_type.startswith("text/calendar; method=CANCEL")


def test_times_without_the_office_zone_or_ending_before_they_start_are_refused() -> None:
    with pytest.raises(InvalidMessage):
        ics(appointment(datetime(2027, 5, 4, 9, 0)))
    with pytest.raises(InvalidMessage):
        ics(appointment(datetime(2027, 5, 4, 9, 0, tzinfo=UTC).astimezone()))  # a fixed offset is no office zone
    with pytest.raises(InvalidMessage):
        ics(appointment(datetime(2027, 5, 4, 9, 0, tzinfo=BERLIN), minutes=-5))
    with pytest.raises(InvalidMessage):
        ics(appointment(datetime(2027, 5, 4, 9, 0, tzinfo=BERLIN), organizer="Stadt Musterstadt"))
