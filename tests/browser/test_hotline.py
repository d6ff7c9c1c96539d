"""A citizen whose browser cannot do a video visit is given the office's hotline, as a link to call.

In Chromium and Firefox, with RTCPeerConnection deleted from the page (an init script): the
waiting room's notice and its failed connection check, and the visit page's help, each show
the hotline of an office that has one, and nothing about a phone for an office that has none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.citizen_fixtures import NO_WEBRTC, citizen, join  # noqa: F401 - fixtures
from tests.browser.clerk import ClerkClient
from tests.browser.staff_fixtures import axe_violations

NUMBER, TEL = "+49 (0)941 400-1234", "tel:+499414001234"
OFFICES = [
    {"id": "buergerbuero", "name": "Bürgerbüro", "prefix": "B", "hours": harness.ALL_DAY, "hotline": NUMBER, "order": 1},
    {"id": "kfz", "name": "Kfz-Zulassung", "prefix": "K", "hours": harness.ALL_DAY, "order": 2},
]


class HotlineEnv:
    def __init__(self, server: harness.OfficeServer, clerk: ClerkClient) -> None:
        self.server = server
        self.clerk = clerk

    def room(self, office_id: str) -> str:
        return f"{self.server.origin}/w/{office_id}?lang=de"


@pytest.fixture(scope="module")
def hotline_env() -> Iterator[HotlineEnv]:
    redis = harness.RedisServer()
    server = clerk = None
    try:
        harness.seed(redis.url, OFFICES)
        server = harness.OfficeServer(redis.url, [])
        clerk = ClerkClient(server.origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
        for office in OFFICES:
            clerk.presence(str(office["id"]), "available")
        yield HotlineEnv(server, clerk)
    finally:
        if clerk is not None:
            clerk.close()
        if server is not None:
            server.close()
        redis.close()


def through_to_the_check(page: Any) -> None:
    page.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    page.get_by_role("button", name="Weiter").click()
    page.locator("#step-details").get_by_role("button", name="Weiter").click()


@pytest.mark.engines("chromium", "firefox")
def test_the_waiting_room_gives_the_hotline_to_a_browser_without_webrtc(hotline_env: HotlineEnv, citizen, axe_source: str) -> None:
    page = citizen(init_script=NO_WEBRTC, width=390)
    page.goto(hotline_env.room("buergerbuero"))
    notice = page.locator("#no-webrtc")
    expect(notice.get_by_role("heading")).to_have_text("Mit diesem Browser geht kein Video-Gespräch")
    link = notice.get_by_role("link", name=NUMBER)
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", TEL)
    expect(notice.locator(".hotline")).to_have_text(f"Sie erreichen das Amt auch telefonisch: {NUMBER}")
    assert axe_violations(page, axe_source) == []

    # The device check: the hotline appears with the failed connection check, not before.
    through_to_the_check(page)
    check_hotline = page.locator("#check-hotline")
    expect(check_hotline).to_be_hidden()
    page.get_by_role("button", name="Kamera und Mikrofon testen").click()
    expect(page.locator("#connection-check")).to_have_attribute("data-state", "failed")
    expect(check_hotline.get_by_role("link", name=NUMBER)).to_be_visible()
    expect(check_hotline.get_by_role("link", name=NUMBER)).to_have_attribute("href", TEL)
    assert axe_violations(page, axe_source) == []
    assert page.errors == []


@pytest.mark.engines("chromium", "firefox")
def test_an_office_without_a_hotline_shows_no_phone(hotline_env: HotlineEnv, citizen) -> None:
    page = citizen(init_script=NO_WEBRTC, width=390)
    page.goto(hotline_env.room("kfz"))
    expect(page.locator("#no-webrtc")).to_be_visible()
    through_to_the_check(page)
    page.get_by_role("button", name="Kamera und Mikrofon testen").click()
    expect(page.locator("#connection-check")).to_have_attribute("data-state", "failed")
    assert page.locator("a[href^='tel:'], .hotline").count() == 0
    expect(page.locator("body")).not_to_contain_text("telefonisch")


@pytest.mark.engines("chromium", "firefox")
def test_the_visit_page_gives_the_hotline_to_a_browser_without_webrtc(hotline_env: HotlineEnv, citizen, axe_source: str) -> None:
    for office, hotline in (("buergerbuero", True), ("kfz", False)):
        page = citizen(init_script=NO_WEBRTC, width=390)
        join(page, hotline_env.room(office))
        visit_id = hotline_env.clerk.emit("call_next", {"office_id": office})["ticket"]["id"]
        try:
            page.get_by_role("button", name="Jetzt eintreten").click()
            page.wait_for_url(re.compile(rf"/visit/{visit_id}$"))
            help_box = page.locator("#video-help")
            expect(help_box.get_by_role("heading")).to_have_text("Mit diesem Browser geht kein Video", timeout=20_000)
            if hotline:
                link = help_box.get_by_role("link", name=NUMBER)
                expect(link).to_be_visible()
                expect(link).to_have_attribute("href", TEL)
                assert axe_violations(page, axe_source) == []
            else:
                assert page.locator("a[href^='tel:'], .hotline").count() == 0
                expect(help_box).not_to_contain_text("telefonisch")
            assert page.errors == []
        finally:
            hotline_env.clerk.emit("finish", {"office_id": office, "ticket_id": visit_id})
