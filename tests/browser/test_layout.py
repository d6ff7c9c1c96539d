"""Every page fits every width from a small phone to a large screen: no sideways scrolling.

The citizen's pages and steps (waiting room through the visit), the console with a visit and
the administration are loaded once each and looked at in 320, 390, 768, 1280 and 1920 pixels
(the page is resized, not reloaded). For each width the document must not scroll sideways
and every visible element's box must lie within the viewport; frames of the same origin (the
visit in the console, the embed preview) are looked at the same way in their own width. The
administration's pages on a phone (STRICT) more closely still: no element's content is wider
than its box, so none of its lists or its chart scrolls sideways (the lists become cards).

Set VO_LAYOUT_SHOTS to a directory to get screenshots of each page at each width (the viewport
and the full page).
Run inside a loopback-only network namespace (see tests/browser/conftest.py).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.citizen_fixtures import OFFICES
from tests.browser.staff_fixtures import ADMIN_LOGIN, ADMIN_PASSWORD, Citizen, _add_admin, _aside, axe_violations, log_in
from tests.payments.conftest import FEES

WIDTHS = (320, 390, 768, 1280, 1920)
HEIGHTS = {320: 568, 390: 844, 768: 1024, 1280: 800, 1920: 1080}
OFFICE = "fundbuero"  # has services, so the details step shows its list
CLERK_LABEL = "Erika Mustermann (Sachbearbeitung)"
SHOTS = os.environ.get("VO_LAYOUT_SHOTS", "")
REFUSED = "https://www.verwaltungsgemeinschaft-oberschwarzenbach.example"
"""A website not allowed to embed the widget, with a long address, listed on the Websites page."""

# Scroll containers that may scroll sideways on purpose: the console's queue table, where it is
# wider than its column. The administration has none: see STRICT.
SCROLLS_ON_PURPOSE = ".table-scroll"
STRICT = (320, 390)
"""Widths at which the administration's pages are measured strictly: no element's content wider
than its box (scrollWidth <= clientWidth), so no table or other region scrolls sideways on a phone."""

MEASURE = """({scrollsOnPurpose, strict}) => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const problems = [];
  if (doc.scrollWidth > width) problems.push(`the document scrolls sideways: ${doc.scrollWidth} > ${width}`);
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const controls = new Set(['INPUT', 'TEXTAREA', 'SELECT']);
  const clipping = new Map();
  // A box that clips what is inside it (overflow other than visible: a scroll container, a video
  // tile, a screen-reader-only helper): what sticks out of it is not drawn and cannot make the
  // page scroll. The box itself is measured, and, if it scrolls sideways, must be meant to.
  const clips = el => {
    if (!clipping.has(el)) clipping.set(el, getComputedStyle(el).overflowX !== 'visible');
    return clipping.get(el);
  };
  const insideClip = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) if (clips(a)) return true;
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    // Screen-reader-only helpers (.visually-hidden: a clipped 1 px box) draw nothing.
    if (el.closest('.visually-hidden')) continue;
    // The skip link waits left of the page (left: -999rem) until it gets the focus.
    if (el.matches('.skip-link:not(:focus)')) continue;
    const box = el.getBoundingClientRect();
    // A box of at most one pixel draws nothing (collapsed, or a helper clipped to 1 px).
    if (box.width <= 1 || box.height <= 1) continue;
    if (!insideClip(el) && (box.left < -1 || box.right > width + 1)) {
      problems.push(`${name(el)} [${Math.round(box.left)}, ${Math.round(box.right)}] outside [0, ${width}]`);
    }
    if (controls.has(el.tagName) || el.scrollWidth <= el.clientWidth + 1) continue;
    if (strict) {
      // Every box with a width of its own (not an inline box, whose clientWidth is 0): its content fits it.
      if (el.clientWidth > 0) problems.push(`${name(el)} is narrower than its content: ${el.scrollWidth} > ${el.clientWidth}`);
    } else if (clips(el) && !el.matches(scrollsOnPurpose)) {
      const style = getComputedStyle(el).overflowX;
      if (style === 'auto' || style === 'scroll') problems.push(`${name(el)} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  return problems;
}"""

SETTLE = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


class LayoutEnv:
    def __init__(self, server: harness.OfficeServer) -> None:
        self.server = server

    @property
    def origin(self) -> str:
        return self.server.origin


async def _transfers(redis_url: str) -> None:
    """The visit's office takes fees by GiroCode transfer: the widest thing a fee shows (the code, the IBAN)."""
    import redis.asyncio

    from virtual_office.payments import ProviderConfig, ProviderDirectory

    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        await ProviderDirectory(client).save(OFFICE, ProviderConfig.from_config(
            {"kind": "girocode", "recipient": "Stadtkasse Musterstadt", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}))
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
def layout_env() -> Iterator[LayoutEnv]:
    """A server of its own: the waiting room's offices (one with services), the clerk and an administrator."""
    redis = harness.RedisServer()
    server = None
    try:
        _aside(harness.seed, redis.url, [{**o, "payments": FEES} if o["id"] == OFFICE else o for o in OFFICES])
        _aside(lambda: asyncio.run(_transfers(redis.url)))
        _aside(lambda: asyncio.run(_add_admin(redis.url)))
        server = harness.OfficeServer(redis.url, ["https://www.musterstadt.de"], extra_env={"VO_STATUS_INTERVAL": "0.05"})
        _aside(lambda: asyncio.run(_refused(server.origin)))
        yield LayoutEnv(server)
    finally:
        if server is not None:
            server.close()
        redis.close()


async def _refused(origin: str) -> None:
    """The widget on a website not allowed to embed it: refused, and noted for the administrator."""
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(origin, namespaces=["/public"], headers={"Origin": REFUSED}, transports=["websocket"], wait_timeout=10)
    await client.disconnect()


class Layout:
    """Looks at pages in every width and collects what does not fit."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def check(self, page: Any, what: str, widths: tuple[int, ...] = WIDTHS, *, strict: tuple[int, ...] = ()) -> None:
        """``strict``: widths at which no element may be narrower than its content (see STRICT)."""
        start = page.viewport_size
        for width in widths:
            page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
            for frame in page.frames:
                frame.evaluate(SETTLE)
            for frame in page.frames:
                if not frame.url.startswith("http"):
                    continue
                where = what if frame is page.main_frame else f"{what}, frame {frame.url.split('?')[0]}"
                measure = {"scrollsOnPurpose": SCROLLS_ON_PURPOSE, "strict": width in strict}
                self.problems += [f"{width} px, {where}: {problem}" for problem in frame.evaluate(MEASURE, measure)]
            if SHOTS:
                for frame in page.frames:
                    frame.evaluate("window.scrollTo(0, 0)")
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                slug = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")
                page.screenshot(path=str(Path(SHOTS) / f"{slug}-{width}.png"))
                page.screenshot(path=str(Path(SHOTS) / f"{slug}-{width}-full.png"), full_page=True)
        page.set_viewport_size(start)

    def assert_fits(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


def new_page(browser: Any, **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE", **options)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(exc))
    return context, page


def office(page: Any, office_id: str) -> Any:
    return page.locator(f"section.office[data-office='{office_id}']")


def test_login_and_administration_fit_every_width(layout_env: LayoutEnv, browser: Any) -> None:
    layout = Layout()
    context, page = new_page(browser)
    try:
        page.goto(f"{layout_env.origin}/login?lang=de")
        layout.check(page, "login")
        log_in(page, layout_env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
        expect(page).to_have_url(re.compile(r"/admin$"))
        layout.check(page, "admin overview", strict=STRICT)
        for path, what in (("/admin/offices/new", "admin new office"), (f"/admin/offices/{OFFICE}", "admin office form"),
                           ("/admin/clerks/new", "admin account form"), ("/admin/origins", "admin websites"),
                           ("/admin/tenants/default", "admin tenant form"),
                           ("/admin/stats?office=buergerbuero&days=30", "admin statistics")):
            page.goto(layout_env.origin + path)
            if path == "/admin/origins":  # the list of websites that tried, with its long address
                expect(page.locator(f"#refused-origins tr[data-origin='{REFUSED}']")).to_be_visible()
            layout.check(page, what, strict=STRICT)
        page.goto(layout_env.origin + "/admin/embed")
        expect(page.frame_locator("#embed-preview").locator("li.office").first).to_be_visible(timeout=10_000)
        layout.check(page, "admin embed", strict=STRICT)
        assert page.errors == []
    finally:
        context.close()
    layout.assert_fits()


def test_the_walk_in_journey_and_the_console_fit_every_width(layout_env: LayoutEnv, browser: Any, axe_source: str) -> None:
    origin = layout_env.origin
    layout = Layout()
    media = {"permissions": ["camera", "microphone"]}
    clerk_context, console = new_page(browser, **media)
    citizen_context, citizen = new_page(browser, **media)
    ahead = None
    try:
        log_in(console, origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
        expect(console.locator("#connection")).to_have_attribute("data-state", "connected")
        office(console, OFFICE).get_by_label("Verfügbar").check()
        expect(office(console, OFFICE).locator(".badge")).to_have_attribute("data-status", "open")
        ahead = Citizen(origin, OFFICE, name="Vera Vorne", concern="Fundsache abholen")

        citizen.goto(f"{origin}/w/nirgendwo?lang=de")
        layout.check(citizen, "waiting room unknown office")

        # The four steps, with the camera check run for real.
        citizen.goto(f"{origin}/w/{OFFICE}?lang=de")
        layout.check(citizen, "waiting room privacy")
        citizen.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
        citizen.get_by_role("button", name="Weiter").click()
        citizen.get_by_label("Ihr Name").fill("Maximiliane Mustermann-Schnarrenberger")
        citizen.locator("#concern").select_option("Verlust melden")
        layout.check(citizen, "waiting room details")
        citizen.locator("#step-details").get_by_role("button", name="Weiter").click()
        layout.check(citizen, "waiting room device check")
        citizen.locator("#check-start").click()
        expect(citizen.locator("#preview")).to_be_visible()
        expect(citizen.locator("#connection-check")).to_have_attribute("data-state", "ok", timeout=30_000)
        layout.check(citizen, "waiting room device check done")
        citizen.locator("#check-next").click()
        layout.check(citizen, "waiting room join")
        citizen.get_by_role("button", name="Jetzt anstellen").click()
        number = citizen.locator("#number")
        expect(number).not_to_have_text("…", timeout=15_000)
        expect(citizen.locator("#position")).to_have_text("2")

        # Waiting, with an announcement; the console with a queue.
        queue = office(console, OFFICE)
        queue.get_by_label("Nachricht an alle Wartenden").fill("Heute etwas längere Wartezeiten, bitte haben Sie Geduld.")
        queue.get_by_role("button", name="Nachricht senden").click()
        expect(citizen.locator("#announcements")).to_be_visible()
        layout.check(citizen, "waiting room waiting")
        expect(queue.locator("tbody tr")).to_have_count(2)
        layout.check(console, "console with a queue")

        # Called, then in the visit: video both ways, a message and a signature to give.
        queue.get_by_role("button", name=f"{number.inner_text()} aufrufen").click()
        expect(citizen.get_by_role("button", name="Jetzt eintreten")).to_be_visible()
        layout.check(citizen, "waiting room called")
        citizen.get_by_role("button", name="Jetzt eintreten").click()
        citizen.wait_for_url(re.compile(r"/visit/[0-9a-f]{16}$"))
        panel = console.frame_locator("#visit-media iframe")
        expect(panel.locator("li.tile[data-participant=citizen]")).to_be_visible(timeout=30_000)
        expect(citizen.locator("li.tile .label", has_text=CLERK_LABEL)).to_be_visible(timeout=30_000)

        # A fee asked for: the citizen sees it, with the transfer's code and account spelled out.
        panel.get_by_label("Gebühr", exact=True).select_option("fuehrungszeugnis")
        panel.get_by_role("button", name="Gebühr hinzufügen").click()
        panel.get_by_role("button", name="Zahlung anfordern").click()
        expect(citizen.locator("#payments-list .payment-state")).to_have_text("Status: Überweisung angefordert")
        expect(panel.locator("#payments-list .payment-state")).to_have_text("Status: Überweisung angefordert")
        expect(citizen.locator('#payments-list [data-field="iban"]')).to_have_text("DE89 3704 0044 0532 0130 00")

        # On a phone the chat is below the video: what arrives there is named at the top.
        citizen.set_viewport_size({"width": 390, "height": 700})
        citizen.evaluate("window.scrollTo(0, 0)")
        expect(citizen.locator("#exchange-chat-text")).not_to_be_in_viewport()
        panel.get_by_label("Nachricht", exact=True).fill("Guten Tag! Bitte unterschreiben Sie gleich die Verlustanzeige.")
        panel.get_by_role("button", name="Senden", exact=True).click()
        expect(citizen.locator("#exchange-chat-log")).to_contain_text("Verlustanzeige")
        notice = citizen.locator("#exchange-notice")
        expect(notice).to_be_in_viewport()
        expect(notice.get_by_role("link")).to_have_text(f"Neue Nachricht von {CLERK_LABEL}")
        panel.locator("#exchange-document").fill("Verlustanzeige Geldbörse")
        panel.get_by_role("button", name="Unterschrift anfordern").click()
        expect(citizen.locator("#exchange-pad-box")).to_be_visible()
        expect(notice.get_by_role("link")).to_have_text("Bitte unterschreiben Sie: Verlustanzeige Geldbörse")
        assert notice.bounding_box()["y"] < 150  # at the top, above the video
        assert axe_violations(citizen, axe_source) == []
        layout.check(citizen, "visit")
        # by keyboard: the notice comes first after the heading; its link leads to the pad
        citizen.locator("#main").focus()
        citizen.keyboard.press("Tab")
        expect(notice.get_by_role("link")).to_be_focused()
        citizen.keyboard.press("Enter")
        expect(citizen.locator("#exchange-pad")).to_be_focused()
        expect(citizen.locator("#exchange-pad")).to_be_in_viewport()
        expect(notice).to_be_hidden()
        # closed without going there; a message the citizen can see needs no notice
        citizen.evaluate("window.scrollTo(0, 0)")
        panel.get_by_label("Nachricht", exact=True).fill("Haben Sie Fragen?")
        panel.get_by_role("button", name="Senden", exact=True).click()
        expect(notice).to_be_visible()
        citizen.locator("#main").focus()
        citizen.keyboard.press("Tab")
        citizen.keyboard.press("Tab")
        expect(notice.get_by_role("button", name="Schließen")).to_be_focused()
        citizen.keyboard.press("Enter")
        expect(notice).to_be_hidden()
        expect(citizen.locator("#main")).to_be_focused()
        citizen.locator("#exchange-chat-log").evaluate("log => log.scrollIntoView({block: 'center'})")
        panel.get_by_label("Nachricht", exact=True).fill("Gut, dann weiter.")
        panel.get_by_role("button", name="Senden", exact=True).click()
        expect(citizen.locator("#exchange-chat-log")).to_contain_text("Gut, dann weiter.")
        expect(notice).to_be_hidden()
        layout.check(console, "console with a visit")
        # At a laptop's 1280 x 800 the clerk sees the citizen, the chat to type in and the visit's actions at once.
        console.evaluate("window.scrollTo(0, 0)")
        for target in (panel.locator("li.tile[data-participant=citizen] video"), panel.locator("#exchange-chat-text"),
                       console.locator("#finish"), console.locator("#send-back")):
            expect(target).to_be_in_viewport()

        # The end: the citizen's last word, the clerk's record.
        console.locator("#finish").click()
        expect(citizen.locator("#ended")).to_be_visible()
        expect(panel.locator("#ended #exchange-record")).to_be_visible()
        layout.check(citizen, "visit ended")
        layout.check(console, "console after a visit")
        assert citizen.errors == [] and console.errors == []
    finally:
        if ahead is not None:
            ahead.close()
        citizen_context.close()
        clerk_context.close()
    layout.assert_fits()
