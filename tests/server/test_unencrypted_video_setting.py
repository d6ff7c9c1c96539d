"""The office's setting for a browser that cannot encrypt a visit end to end: the administration, the TOML import, the visit page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RedisServer
from tests.server.staff_pages import Staff, start
from tests.server.test_admin_pages import OFFICE
from tests.server.test_hotline_pages import field_error, stored
from virtual_office.queue import AVAILABLE, InvalidInput, Office


@pytest.fixture
def site(redis_server: RedisServer, tmp_path: Path) -> Iterator[Staff]:
    yield from start(redis_server, tmp_path)


def test_the_administrator_lets_the_clerk_decide_and_back(site: Staff) -> None:
    site.login("root")
    form = site.client.get("/admin/offices/new").text
    assert re.search(r'<legend>Browser ohne Ende-zu-Ende-Verschlüsselung</legend>', form)
    assert '<input type="radio" name="unencrypted_video" value="refuse" id="unencrypted_video" checked>' in form
    assert site.post("/admin/offices/new", OFFICE).status_code == 303
    assert stored(site, "standesamt")["unencrypted_video"] == "refuse"  # the default, also when the form sends none
    assert site.post("/admin/offices/standesamt", {**OFFICE, "unencrypted_video": "clerk"}).status_code == 303
    assert stored(site, "standesamt")["unencrypted_video"] == "clerk"
    assert '<input type="radio" name="unencrypted_video" value="clerk" checked>' in site.client.get("/admin/offices/standesamt").text
    refused = site.post("/admin/offices/standesamt", {**OFFICE, "unencrypted_video": "always"})
    assert refused.status_code == 400
    assert field_error(refused.text, "unencrypted_video") == "Bitte wählen Sie eine der beiden Möglichkeiten."
    assert stored(site, "standesamt")["unencrypted_video"] == "clerk"  # nothing lost


def test_the_toml_form_takes_the_setting_and_refuses_another_value() -> None:
    base = {"id": "kfz", "name": "Kfz"}
    assert Office.from_config(base).unencrypted_video == "refuse"
    office = Office.from_config({**base, "unencrypted_video": "clerk"})
    assert office.unencrypted_video == "clerk" and Office.from_config(office.to_config()) == office
    with pytest.raises(InvalidInput):
        Office.from_config({**base, "unencrypted_video": "never"})


def test_the_visit_page_tells_its_script_the_offices_setting(site: Staff) -> None:
    services = site.state.services

    async def clerk_decides_and_a_ticket() -> str:
        office = await services.offices.get("kfz")
        await services.offices.save(Office.from_config({**office.to_config(), "unencrypted_video": "clerk"}))
        await services.room.presence.set("kfz", site.accounts["root"].id, AVAILABLE)
        await services.room.presence.set("buergerbuero", site.accounts["root"].id, AVAILABLE)
        return (await services.room.join("kfz")).ticket.id + " " + (await services.room.join("buergerbuero")).ticket.id

    decides, refuses = site.run(clerk_decides_and_a_ticket).split()
    for ticket, setting in ((decides, "clerk"), (refuses, "refuse"), ("0123456789abcdef", "refuse")):  # unknown: refused
        page = site.client.get(f"/visit/{ticket}?lang=de").text
        config = json.loads(re.search(r'<script type="application/json" id="visit-config">(.*?)</script>', page).group(1))  # type: ignore[union-attr]
        assert config["unencrypted_video"] == setting, ticket
