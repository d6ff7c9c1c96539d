"""The citizen's appointment, end to end in Chromium and Firefox against the real server, Redis and
SMTP server (aiosmtpd): booked from the example city page's widget, confirmed through the mail's
link, entered through the confirmation's link at the slot's time, served before two walk-ins,
visited and finished; then no e-mail, name or phone is left in Redis. The booking by keyboard
alone, with axe on every step."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import redis.asyncio
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.clerk import ClerkClient
from tests.browser.sites import StaticSite
from tests.browser.staff_fixtures import Citizen, axe_violations
from tests.mail.conftest import SmtpTestServer

SERVICES = [{"id": "ausweis", "name": "Personalausweis", "name_en": "Identity card", "minutes": 15},
            {"id": "ummeldung", "name": "Ummeldung", "name_en": "Change of address", "minutes": 10}]
# Booked around the clock with no lead time, checked in from 30 minutes before: the first free
# time is minutes away, inside the check-in window, so the test needs no clock of its own.
APPOINTMENTS = {"mode": "also", "hours": harness.ALL_DAY, "lead_minutes": 0, "slot_minutes": 5, "capacity": 1,
                "early_check_in_minutes": 30, "late_minutes": 30, "hold_minutes": 30, "services": SERVICES}
OFFICES = [
    {**harness.OFFICES[0], "appointments": APPOINTMENTS},
    harness.OFFICES[1],
    {"id": "termine", "name": "Terminamt", "prefix": "T", "hours": harness.ALL_DAY, "order": 3,
     "appointments": {**APPOINTMENTS, "mode": "only"}},
]
EMAIL = "frieda.beispielhaft@example.org"
NAME = "Frieda Beispielhaft"
PHONE = "0941 4711"


class BookingEnv:
    def __init__(self, server: harness.OfficeServer, site: StaticSite, smtp: SmtpTestServer, redis_url: str) -> None:
        self.server = server
        self.site = site
        self.smtp = smtp
        self.redis_url = redis_url
        self.clerk = ClerkClient(server.origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)

    def mails(self, count: int, to: str, timeout: float = 30) -> list[EmailMessage]:
        """The first ``count`` mails to ``to`` (an earlier test's last mail may still arrive after it ended)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r.message for r in self.smtp.received if r.message["To"] == to]
            if len(found) >= count:
                return found[:count]
            assert time.monotonic() < deadline, f"{len(found)} mails to {to}, not {count}"
            time.sleep(0.1)

    def redis_values(self) -> list[str]:
        """Every value in Redis: strings, hash fields and values, list, set and sorted set members."""
        async def dump() -> list[str]:
            client = redis.asyncio.Redis.from_url(self.redis_url, decode_responses=True)
            out: list[str] = []
            try:
                for key in await client.keys("*"):
                    kind = await client.type(key)
                    if kind == "string":
                        out.append(await client.get(key) or "")
                    elif kind == "hash":
                        out.extend(x for pair in (await client.hgetall(key)).items() for x in pair)
                    elif kind == "list":
                        out.extend(await client.lrange(key, 0, -1))
                    elif kind == "set":
                        out.extend(await client.smembers(key))
                    elif kind == "zset":
                        out.extend(await client.zrange(key, 0, -1))
            finally:
                await client.aclose()
            return out

        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's own loop runs in this thread
            return pool.submit(asyncio.run, dump()).result(30)


@pytest.fixture(scope="module")
def booking_env() -> Iterator[BookingEnv]:
    redis_server = harness.RedisServer()
    smtp = SmtpTestServer()
    smtp.start()
    port = harness.free_port()
    site = StaticSite(f"http://127.0.0.1:{port}")
    server = env = None
    try:
        harness.seed(redis_server.url, OFFICES)
        server = harness.OfficeServer(redis_server.url, [site.origin], port=port, extra_env={
            "VO_SMTP_URL": smtp.url, "VO_MAIL_FROM": "Stadt Musterstadt <termine@musterstadt.example>",
            "VO_BOT_CHECK_COST": "100", "VO_STATUS_INTERVAL": "0.05"})
        env = BookingEnv(server, site, smtp, redis_server.url)
        env.clerk.presence("buergerbuero", "available")
        yield env
    finally:
        if env is not None:
            env.clerk.close()
        if server is not None:
            server.close()
        site.close()
        smtp.stop()
        redis_server.close()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link(message: EmailMessage, action: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:\d+/b/{action}/\S+", text_of(message))
    assert found, text_of(message)
    return found.group(0)


@pytest.fixture
def tab(browsers, engine: str) -> Iterator[Any]:
    contexts = []

    def open_tab(*, width: int = 1280) -> Any:
        context = browsers[engine].new_context(viewport={"width": width, "height": 900}, locale="de-DE",
                                               permissions=["camera", "microphone"] if engine == "chromium" else [])
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(exc))
        return page

    try:
        yield open_tab
    finally:
        for context in contexts:
            context.close()


@pytest.mark.engines("chromium", "firefox")
def test_booked_from_the_widget_confirmed_entered_served_first_and_forgotten(booking_env: BookingEnv, tab, engine: str) -> None:
    env = booking_env
    env.smtp.received.clear()
    page = tab()
    page.goto(env.site.origin + "/")
    book = page.get_by_role("button", name="Termin buchen – Bürgerbüro")
    expect(book).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name="Termin buchen – Kfz-Zulassung")).to_have_count(0)  # no appointments there
    book.click()
    frame = page.frame_locator("dialog.room iframe")
    expect(page.locator("dialog.room h2")).to_have_text("Termin buchen: Bürgerbüro")
    frame.get_by_label("Personalausweis").check()
    first_day = frame.locator("#days input[name=day]").first
    expect(first_day).to_be_visible(timeout=15_000)
    first_day.check()
    first_time = frame.locator("#times input[name=start]").first
    start = first_time.get_attribute("value")
    assert start
    first_time.check()
    frame.get_by_label("E-Mail-Adresse").fill(EMAIL)
    frame.get_by_label("Name").fill(NAME)
    frame.get_by_label("Telefonnummer").fill(PHONE)
    frame.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    frame.get_by_role("button", name="Termin buchen").click()
    expect(frame.locator("#done-heading")).to_have_text("Fast geschafft: Bitte bestätigen Sie Ihren Termin", timeout=60_000)
    expect(frame.locator("#done-text")).to_contain_text(f"in der E-Mail an {EMAIL}")
    hhmm = start[11:16]

    # The opt-in mail's link: the page asks, the button confirms.
    [opt_in] = env.mails(1, to=EMAIL)
    page.goto(link(opt_in, "confirm"))
    page.get_by_role("button", name="Termin bestätigen").click()
    expect(page.get_by_role("heading", name="Ihr Termin ist bestätigt")).to_be_visible()
    confirmation = env.mails(2, to=EMAIL)[1]
    assert any(p.get_content_type() == "text/calendar" for p in confirmation.iter_attachments())

    # Two walk-ins wait already; the appointment's link checks in ahead of them.
    walk_ins = [Citizen(env.server.origin, "buergerbuero", name=n) for n in ("Max", "Moritz")]
    try:
        for walk_in in walk_ins:
            walk_in.wait_for("ticket", lambda t: t["state"] == "waiting" and t["position"])
        page.goto(link(confirmation, "enter"))
        page.get_by_role("button", name="Jetzt in den Warteraum").click()
        page.wait_for_url(re.compile(r"/w/buergerbuero\?lang=de$"))
        expect(page.locator("#queue-heading")).to_be_visible()
        number = page.locator("#number")
        expect(number).to_have_text(re.compile(r"^B-\d+$"))
        appointment = page.locator("#appointment")
        if appointment.is_visible():  # until the time comes, its time instead of the place
            expect(appointment).to_have_text(f"Ihr Termin um {hhmm} Uhr")
            expect(page.locator("#facts")).to_be_hidden()
        else:
            expect(page.locator("#position")).to_have_text("1")
        called = env.clerk.emit("call_next", {"office_id": "buergerbuero"})["ticket"]
        assert called["number"] == number.inner_text() and called["name"] == NAME
        walk_ins[0].wait_for("ticket", lambda t: t["position"] == 1)  # the walk-ins still wait, in their order
        page.get_by_role("button", name="Jetzt eintreten").click()
        page.wait_for_url(re.compile(rf"/visit/{called['id']}"))
        env.clerk.emit("finish", {"office_id": "buergerbuero", "ticket_id": called["id"]})
    finally:
        for walk_in in walk_ins:
            walk_in.leave(env.server.origin)
            walk_in.close()
    values = env.redis_values()
    assert not [v for v in values if EMAIL in v or "Beispielhaft" in v or PHONE in v]
    assert page.errors == []


@pytest.mark.engines("chromium", "firefox")
def test_the_whole_booking_by_keyboard_alone_without_accessibility_violations(booking_env: BookingEnv, tab, axe_source,
                                                                              engine: str) -> None:
    env = booking_env
    env.smtp.received.clear()
    address = f"keyboard-{engine}@example.org"
    page = tab(width=390)  # a phone
    page.goto(f"{env.server.origin}/b/buergerbuero")
    keys = page.keyboard

    def focused_in(selector: str) -> bool:
        return bool(page.evaluate("s => !!document.activeElement && !!document.activeElement.closest(s)", selector))

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            keys.press("Tab")
            if focused_in(selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    expect(page.locator("#day-status")).to_have_text("Bitte wählen Sie zuerst ein Anliegen; dann sehen Sie die freien Tage.")
    assert axe_violations(page, axe_source) == []
    # Sending nothing: the summary says what is missing and takes the focus.
    tab_to("#submit")
    keys.press("Enter")
    expect(page.locator("#form-error")).to_be_focused()
    expect(page.locator("#form-error li")).to_have_count(4)  # a service, a day, the address, the consent
    assert axe_violations(page, axe_source) == []
    # Services: Space ticks the one with the focus; both together make 25 minutes.
    tab_to("#services-field")
    keys.press("Space")
    keys.press("Tab")
    keys.press("Space")
    expect(page.locator("#days input[name=day]").first).to_be_attached(timeout=15_000)
    expect(page.locator("#day-status")).to_have_text(re.compile(r"^\d+ Tage mit freien Zeiten\.$"))
    assert axe_violations(page, axe_source) == []
    # The days are one group of radio buttons: Tab enters it, the arrow keys move, Space chooses.
    tab_to("#days")
    keys.press("ArrowDown")  # the second day: tomorrow
    keys.press("ArrowUp")    # back to today
    if not page.locator("#days input[name=day]").first.is_checked():
        keys.press("Space")
    expect(page.locator("#time-field")).to_be_visible()
    tab_to("#times")
    if not page.locator("#times input:checked").count():
        keys.press("Space")
    chosen = page.locator("#times input:checked").get_attribute("value")
    assert chosen
    assert axe_violations(page, axe_source) == []
    tab_to("#email")
    keys.type(address)
    tab_to("#consent")
    keys.press("Space")
    tab_to("#submit")
    keys.press("Enter")
    expect(page.locator("#done-heading")).to_be_focused(timeout=60_000)
    expect(page.locator("#done-heading")).to_have_text("Fast geschafft: Bitte bestätigen Sie Ihren Termin")
    expect(page.locator("#done-text")).to_contain_text(f"an {address}")
    assert axe_violations(page, axe_source) == []

    # The link pages: confirming, the confirmed page, cancelling, by keyboard and without violations.
    [opt_in] = env.mails(1, to=address)
    page.goto(link(opt_in, "confirm"))
    assert axe_violations(page, axe_source) == []
    tab_to("form button[type=submit]")
    keys.press("Enter")
    expect(page.get_by_role("heading", name="Ihr Termin ist bestätigt")).to_be_visible()
    assert axe_violations(page, axe_source) == []
    page.get_by_role("link", name="Termin absagen").focus()
    keys.press("Enter")
    expect(page.get_by_text("Wollen Sie diesen Termin wirklich absagen?")).to_be_visible()
    assert axe_violations(page, axe_source) == []
    tab_to("form button[type=submit]")
    keys.press("Enter")
    expect(page.get_by_role("heading", name="Ihr Termin ist abgesagt")).to_be_visible()
    assert axe_violations(page, axe_source) == []
    assert page.errors == []


def test_the_booking_pages_fit_320_to_1920_pixels(booking_env: BookingEnv, tab, axe_source) -> None:
    env = booking_env
    for width in (320, 1920):
        page = tab(width=width)
        for path in ("/b/buergerbuero", "/b/buergerbuero?lang=en", "/b/enter/buergerbuero.0123456789abcdef.forged"):
            page.goto(env.server.origin + path)
            if path.startswith("/b/buergerbuero"):
                page.locator("input[name=services][value=ausweis]").check()
                expect(page.locator("#days input[name=day]").first).to_be_attached(timeout=15_000)
                page.locator("#days input[name=day]").first.check()
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} at {width} px is {overflow} px too wide"
            assert axe_violations(page, axe_source) == []
        assert page.errors == []
