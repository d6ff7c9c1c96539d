"""Websites the embed allowlist refuses: noted (the origin only), listed for the administration, allowed with one click."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest
import redis
import socketio

from tests.server.conftest import ServerProcess, login
from tests.server.staff_pages import Staff, staff_fixture  # noqa: F401 - the staff fixture
from virtual_office.queue import keys
from virtual_office.server.security import REFUSED_DAYS, REFUSED_KEPT

PUBLIC = "/public"
DAY_MS = 86_400_000
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def rows(page: str) -> dict[str, int]:
    """The refused websites the page lists, with their counts."""
    return {origin: int(count) for origin, count in
            re.findall(r'<tr data-origin="([^"]+)">.*?<td class="count"[^>]*>(\d+)</td>', page, re.S)}


def test_a_refused_website_is_listed_once_with_its_count_and_allowed_with_one_click(staff: Staff, caplog: Any) -> None:
    policy = staff.state.origins
    caplog.set_level(logging.INFO, logger="virtual_office.server.security")
    for origin in ("https://Www.Nachbarstadt.example/", "https://www.nachbarstadt.example", "https://www.nachbarstadt.example:443x"):
        staff.run(policy.note_refusal, origin)
    staff.run(policy.note_refusal, "https://www.nachbarstadt.example")
    # Not an origin: nothing is kept.
    for junk in (None, "", "null", "*", "ftp://files.example", "https://" + "a" * 400 + ".example"):
        staff.run(policy.note_refusal, junk)
    # Logged once (a busy page logs once a minute), with the origin only.
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert lines == ["embedding refused for https://www.nachbarstadt.example (not an allowed website)"]

    staff.login("root")
    page = staff.client.get("/admin/origins").text
    assert rows(page) == {"https://www.nachbarstadt.example": 3}
    assert page.count('data-origin="https://www.nachbarstadt.example"') == 1
    assert "Websites, die das Widget einbinden wollten" in page and ">Erlauben<" in page

    # Without the token the click changes nothing.
    forged = staff.client.post("/admin/origins/allow", data={"origin": "https://www.nachbarstadt.example"})
    assert forged.status_code == 403
    assert staff.run(policy.administered) == set()

    allowed = staff.post("/admin/origins/allow", {"origin": "https://www.nachbarstadt.example"}, form_page="/admin/origins")
    assert allowed.status_code == 303 and allowed.headers["location"] == "/admin/origins"
    assert staff.run(policy.administered) == {"https://www.nachbarstadt.example"}
    after = staff.client.get("/admin/origins").text
    assert rows(after) == {} and "Die Website ist jetzt erlaubt." in after
    assert "https://www.nachbarstadt.example" in after  # now in the list of allowed websites
    assert staff.run(policy.allows, "https://www.nachbarstadt.example")

    nonsense = staff.post("/admin/origins/allow", {"origin": "kein Link"}, form_page="/admin/origins")
    assert nonsense.status_code == 303
    assert staff.run(policy.administered) == {"https://www.nachbarstadt.example"}
    assert "keine Website-Adresse" in staff.client.get("/admin/origins").text


def test_the_list_is_capped_and_forgets_after_a_month(staff: Staff) -> None:
    policy = staff.state.origins
    start = 1_800_000_000_000
    for i in range(REFUSED_KEPT + 5):
        staff.run(policy.note_refusal, f"https://site{i}.example", now_ms=start + i * 1000)
    listed = staff.run(policy.refused, now_ms=start + 60_000)
    assert len(listed) == REFUSED_KEPT
    assert listed[0].origin == f"https://site{REFUSED_KEPT + 4}.example"  # most recent first
    assert {r.origin for r in listed}.isdisjoint({f"https://site{i}.example" for i in range(5)})  # the oldest went
    stored = redis.Redis.from_url(staff.redis_url, decode_responses=True)
    assert stored.zcard(keys.REFUSED_ORIGINS) == REFUSED_KEPT and stored.hlen(keys.REFUSED_ORIGIN_COUNTS) == REFUSED_KEPT
    assert 0 < stored.pttl(keys.REFUSED_ORIGINS) <= REFUSED_DAYS * DAY_MS

    # A month later the old ones are no longer listed; the next refusal drops them.
    later = start + (REFUSED_DAYS + 1) * DAY_MS
    assert staff.run(policy.refused, now_ms=later) == []
    staff.run(policy.note_refusal, "https://site7.example", now_ms=later)
    assert [(r.origin, r.count) for r in staff.run(policy.refused, now_ms=later)] == [("https://site7.example", 1)]
    assert stored.zcard(keys.REFUSED_ORIGINS) == 1 and stored.hlen(keys.REFUSED_ORIGIN_COUNTS) == 1

    # Saving the list by hand also takes an allowed website off the refused ones.
    staff.login("root")
    assert staff.post("/admin/origins", {"origins": "https://site7.example"}).status_code == 200
    assert stored.zcard(keys.REFUSED_ORIGINS) == 0


async def test_the_public_namespace_notes_refused_pages_and_takes_them_once_allowed(server: ServerProcess, clients: Any) -> None:
    page = "https://www.landkreis.example"
    for _ in range(2):
        with pytest.raises(socketio.exceptions.ConnectionError):
            await clients().connect(server, PUBLIC, headers={"Origin": page + "/"})
    # Our own pages and requests without an Origin are never noted.
    own = clients()
    await own.connect(server, PUBLIC, headers={"Origin": server.url})
    await own.wait_for("offices")

    cookie = await login(server, "root")
    # a cookie jar, as the page's token lives in the session the page updates
    async with httpx.AsyncClient(base_url=server.url, cookies=dict([cookie.split("=", 1)])) as http:
        listing = (await http.get("/admin/origins")).text
        assert rows(listing) == {page: 2}
        token = TOKEN.search(listing)
        assert token
        allowed = await http.post("/admin/origins/allow", data={"origin": page, "csrf_token": token.group(1)},
                                  headers={"Origin": server.url})
        assert allowed.status_code == 303
        assert rows((await http.get("/admin/origins")).text) == {}

    welcome = clients()
    await welcome.connect(server, PUBLIC, headers={"Origin": page})
    assert len((await welcome.wait_for("offices"))["offices"]) == 2


def test_the_favicon_is_served_and_linked(staff: Staff) -> None:
    for path in ("/favicon.ico", "/static/favicon.svg"):
        response = staff.client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("image/svg+xml") and b"<svg" in response.content
    assert '<link rel="icon" href="/static/favicon.svg"' in staff.client.get("/login").text


def test_the_embed_preview_opens_no_waiting_room(staff: Staff) -> None:
    staff.login("root")
    preview = staff.client.get("/admin/embed/preview?offices=kfz").text
    assert '<script src="/widget.js" data-offices="kfz" data-preview async></script>' in preview
    page = staff.client.get("/admin/embed?offices=kfz").text
    assert "keine echten Wartenummern" in page
    # The snippet to copy is the real one, without the preview's switch.
    assert "data-preview" not in page
