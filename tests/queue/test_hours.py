"""Opening hours, closed days, time zones and the wait estimate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from virtual_office.queue import InvalidInput, Office, OpeningHours, estimate_wait

HOURS = {"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "thu": [["14:00", "18:00"]]}


def berlin(text: str) -> datetime:
    hours = OpeningHours.from_config("Europe/Berlin", {}, [])
    return datetime.fromisoformat(text).replace(tzinfo=hours.zone)


def test_ranges_and_next_opening() -> None:
    hours = OpeningHours.from_config("Europe/Berlin", HOURS, ["2026-11-23"])
    monday_closed = berlin("2026-11-23T09:00")  # a closed day
    assert not hours.is_open(monday_closed)
    assert hours.next_opening(monday_closed) == berlin("2026-11-26T14:00")
    assert hours.is_open(berlin("2026-11-30T09:30"))
    assert not hours.is_open(berlin("2026-11-30T12:30"))  # lunch break
    assert hours.next_opening(berlin("2026-11-30T12:30")) == berlin("2026-11-30T13:00")
    assert hours.current(berlin("2026-11-30T15:59"))[1] == berlin("2026-11-30T16:00")


def test_time_zone_is_the_offices() -> None:
    hours = OpeningHours.from_config("Europe/Berlin", HOURS, [])
    utc_morning = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
    assert hours.is_open(utc_morning)
    summer = datetime(2026, 7, 6, 6, 30, tzinfo=UTC)  # 08:30 CEST
    assert hours.is_open(summer)


@pytest.mark.parametrize(
    "weekly",
    [{"mon": [["12:00", "08:00"]]}, {"mon": [["8:00", "12:00"]]}, {"monday": [["08:00", "12:00"]]}, {"mon": [["08:00", "25:00"]]}],
)
def test_malformed_hours_are_refused(weekly: dict) -> None:
    with pytest.raises(InvalidInput):
        OpeningHours.from_config("Europe/Berlin", weekly, [])


def test_unknown_zone_and_bad_office_fields() -> None:
    with pytest.raises(InvalidInput):
        OpeningHours.from_config("Mars/Olympus", {}, [])
    with pytest.raises(InvalidInput):
        Office.from_config({"id": "Bad Id", "name": "x"})
    with pytest.raises(InvalidInput):
        Office.from_config({"id": "ok", "name": "x", "colour": "red"})
    with pytest.raises(InvalidInput):
        Office.from_config({"id": "ok", "name": "x", "max_queue": 0})


def test_office_round_trips_through_its_config() -> None:
    office = Office.from_config({"id": "kfz", "name": "Kfz", "hours": HOURS, "closed_days": ["2026-12-24"], "services": ["Zulassung"]})
    assert Office.from_config(office.to_config()) == office
    assert office.number_prefix == "K"


def test_estimate_is_unknown_without_data_and_grows_with_position() -> None:
    assert estimate_wait([600, 600], clerks=1, position=1) is None
    assert estimate_wait([600] * 5, clerks=0, position=1) is None
    first = estimate_wait([300, 600, 900], clerks=1, position=1)
    third = estimate_wait([300, 600, 900], clerks=1, position=3)
    two_clerks = estimate_wait([300, 600, 900], clerks=2, position=3)
    assert first is not None and third is not None and two_clerks is not None
    assert first.min == 0 and first.max >= 1
    assert third.min > first.min and third.max > first.max
    assert two_clerks.max < third.max
