"""An office's hotline: checked loosely, stored as written, dialled through a tel: link."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import redis.asyncio

from virtual_office.cli import import_offices
from virtual_office.queue import InvalidInput, Office, OfficeDirectory
from virtual_office.queue.hotline import Hotline

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize(("written", "tel"), [
    ("0941 400-1234", "tel:09414001234"),
    ("(0941) 400 12 34", "tel:09414001234"),
    ("0941/400-1234", "tel:09414001234"),
    ("+49 941 400-1234", "tel:+499414001234"),
    ("+49 (0)941 400-1234", "tel:+499414001234"),  # the trunk 0 is not dialled with the country code
    ("12345", "tel:12345"),
    ("115", "tel:115"),  # the nationwide authority number
    ("+49 941 400 1234 5678 9012 345", "tel:+49941400123456789012345"),  # 30 characters
])
def test_a_number_as_people_write_it_is_kept_as_written_and_dialled_by_its_digits(written: str, tel: str) -> None:
    office = Office(id="buergerbuero", name="Bürgerbüro", hotline=written)
    assert office.hotline == written
    assert office.hotline_link() == Hotline(written)
    assert Hotline(written).tel == tel


@pytest.mark.parametrize("bad", [
    "12",  # too short
    "+49 941 400 1234 5678 9012 3456",  # 31 characters
    "0941 400-1234 (Zentrale)",  # letters
    "0941 400-1234 oder 5678",
    "0941+400+1234",  # a + only at the start
    "Tel. 0941 400-1234",
    " 0941 400-1234",  # the form trims; the model takes no padding
    "0941\n4001234",
    "-- / ( ) --",  # no number in it
    "(12) ---",
    "０９４１ ４００",  # digits of another script
])
def test_anything_else_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        Office(id="buergerbuero", name="Bürgerbüro", hotline=bad)
    with pytest.raises(InvalidInput):
        Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hotline": bad})


def test_a_hotline_that_is_no_text_is_refused() -> None:
    for value in (9414001234, ["0941 400-1234"], {"number": "0941 400-1234"}):
        with pytest.raises(InvalidInput):
            Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hotline": value})


def test_no_hotline_by_default() -> None:
    office = Office.from_config({"id": "kfz", "name": "Kfz-Zulassung"})
    assert office.hotline == "" and office.hotline_link() is None
    assert Office.from_config({"id": "kfz", "name": "Kfz-Zulassung", "hotline": ""}).hotline_link() is None


async def test_the_hotline_is_stored_with_the_office(redis_client: redis.asyncio.Redis) -> None:
    directory = OfficeDirectory(redis_client, max_age=0)
    await directory.save(Office(id="buergerbuero", name="Bürgerbüro", hotline="+49 (0)941 400-1234"))
    await directory.save(Office(id="kfz", name="Kfz-Zulassung"))
    assert (await directory.get("buergerbuero")).hotline == "+49 (0)941 400-1234"
    assert (await directory.get("kfz")).hotline_link() is None


async def test_the_example_offices_import_with_their_hotline(redis_client: redis.asyncio.Redis, redis_server) -> None:
    assert await import_offices(redis_server.url, EXAMPLES / "offices.toml") == 2
    directory = OfficeDirectory(redis_client, max_age=0)
    assert (await directory.get("buergerbuero")).hotline == "0941 400-1234"
    assert (await directory.get("kfz")).hotline == ""


async def test_an_import_with_a_bad_hotline_changes_nothing(redis_client: redis.asyncio.Redis, redis_server, tmp_path: Path) -> None:
    offices = tomllib.loads((EXAMPLES / "offices.toml").read_text(encoding="utf-8"))["office"]
    text = (EXAMPLES / "offices.toml").read_text(encoding="utf-8").replace('hotline = "0941 400-1234"', 'hotline = "Ruf uns an"')
    assert offices[0]["hotline"] == "0941 400-1234" and "Ruf uns an" in text
    bad = tmp_path / "offices.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match="hotline"):
        await import_offices(redis_server.url, bad)
    assert await OfficeDirectory(redis_client, max_age=0).ids() == []
