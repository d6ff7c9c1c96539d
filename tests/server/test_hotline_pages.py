"""The office's hotline: set in the administration, shown to citizens where the video visit cannot work."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import RedisServer
from tests.server.staff_pages import Staff, start
from tests.server.test_admin_pages import OFFICE
from virtual_office.queue import AVAILABLE, keys

HOTLINE = '<p class="hotline">Sie erreichen das Amt auch telefonisch: <a href="tel:+499414001234">+49 (0)941 400-1234</a></p>'


@pytest.fixture
def site(redis_server: RedisServer, tmp_path: Path) -> Iterator[Staff]:
    yield from start(redis_server, tmp_path)


def stored(site: Staff, office_id: str) -> dict:
    return json.loads(redis.Redis.from_url(site.redis_url, decode_responses=True).get(keys.office(office_id)) or "null")


def set_hotline(site: Staff, office_id: str, hotline: str) -> None:
    offices = site.state.services.offices

    async def run() -> None:
        office = await offices.get(office_id)
        await offices.save(type(office).from_config({**office.to_config(), "hotline": hotline}))

    site.run(run)


def field_error(page: str, name: str) -> str:
    match = re.search(rf'<p id="{name}-error" class="field-error">([^<]*)</p>', page)
    assert match, f"no error shown for {name}"
    return html.unescape(match.group(1))


def test_the_administrator_sets_changes_and_removes_the_hotline(site: Staff) -> None:
    site.login("root")
    form = site.client.get("/admin/offices/new").text
    assert re.search(r'<label for="hotline">Telefon-Hotline</label>\s*<p id="hotline-hint" class="hint">', form)
    assert '<input id="hotline" name="hotline" type="tel" value="" aria-describedby="hotline-hint"' in form

    assert site.post("/admin/offices/new", {**OFFICE, "hotline": "  0941 400-1234 "}).status_code == 303
    assert stored(site, "standesamt")["hotline"] == "0941 400-1234"  # as written, without the padding
    assert 'value="0941 400-1234"' in site.client.get("/admin/offices/standesamt").text

    # a bad number is refused next to its field, keeps what was typed and changes nothing
    response = site.post("/admin/offices/standesamt", {**OFFICE, "name": "Standesamt Mitte", "hotline": "Ruf 0941 an!"})
    assert response.status_code == 400
    assert "3 bis 30 Zeichen" in field_error(response.text, "hotline")
    assert 'value="Ruf 0941 an!"' in response.text and 'href="#hotline"' in response.text
    assert 'aria-describedby="hotline-hint hotline-error" aria-invalid="true"' in response.text
    assert stored(site, "standesamt")["name"] == "Standesamt" and stored(site, "standesamt")["hotline"] == "0941 400-1234"
    too_long = site.post("/admin/offices/standesamt", {**OFFICE, "hotline": "0941 " + "1" * 26})
    assert too_long.status_code == 400 and field_error(too_long.text, "hotline")

    assert site.post("/admin/offices/standesamt", {**OFFICE, "hotline": "+49 (0)941 400-1234"}).status_code == 303
    assert stored(site, "standesamt")["hotline"] == "+49 (0)941 400-1234"
    assert site.post("/admin/offices/standesamt", {**OFFICE, "hotline": ""}).status_code == 303
    assert stored(site, "standesamt")["hotline"] == ""

    english = site.client.get("/admin/offices/standesamt?lang=en").text
    assert '<label for="hotline">Phone hotline</label>' in english


def test_the_waiting_room_gives_the_hotline_where_video_cannot_work(site: Staff) -> None:
    set_hotline(site, "buergerbuero", "+49 (0)941 400-1234")
    page = site.client.get("/w/buergerbuero?lang=de").text
    no_webrtc = page.split('<div id="no-webrtc"', 1)[1].split("</div>", 1)[0]
    assert HOTLINE in no_webrtc
    # after the connection check, shown while it says failed (citizen.css)
    check = page.split('<p id="connection-check"', 1)[1].split('<div class="form-actions">', 1)[0]
    assert f'<div id="check-hotline" class="check-hotline">{HOTLINE}</div>' in check
    assert page.count('href="tel:') == 2

    english = site.client.get("/w/buergerbuero?lang=en").text
    assert 'You can also reach the office by phone: <a href="tel:+499414001234">+49 (0)941 400-1234</a>' in english

    # without a hotline nothing about a phone
    other = site.client.get("/w/kfz?lang=de").text
    assert "tel:" not in other and "hotline" not in other and "telefonisch" not in other


def test_the_visit_page_gives_the_citizen_the_hotline(site: Staff) -> None:
    services = site.state.services
    set_hotline(site, "buergerbuero", "+49 (0)941 400-1234")

    async def ticket(office_id: str) -> str:
        await services.room.presence.set(office_id, site.accounts["root"].id, AVAILABLE)
        return (await services.room.join(office_id)).ticket.id

    with_hotline, without = site.run(ticket, "buergerbuero"), site.run(ticket, "kfz")
    page = site.client.get(f"/visit/{with_hotline}?lang=de").text
    help_box = page.split('<div id="video-help"', 1)[1].split("</div>", 1)[0]
    assert HOTLINE in help_box  # told with either explanation: no WebRTC, or a connection that never comes up
    assert "tel:" not in site.client.get(f"/visit/{without}?lang=de").text
    # staff (the visit in the console) are not offered the citizens' hotline
    site.login("root")
    assert "tel:" not in site.client.get(f"/visit/{with_hotline}?lang=de").text
