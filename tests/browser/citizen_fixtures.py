"""Fixtures for the waiting room browser tests: a server of their own, a clerk on duty, citizen tabs.

A server of their own so that the positions the tests assert are not disturbed by
tickets other tests leave behind; each test uses its own office.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.clerk import ClerkClient
from tests.browser.sites import StaticSite

OFFICES = [
    *harness.OFFICES,
    {"id": "fundbuero", "name": "Fundbüro", "name_en": "Lost property", "prefix": "F", "languages": ["de", "en"],
     "services": ["Fundsache abholen", "Verlust melden"], "hours": harness.ALL_DAY, "order": 3},
    {"id": "standesamt", "name": "Standesamt", "prefix": "S", "hours": harness.ALL_DAY, "order": 4},
    {"id": "ruhetag", "name": "Ruhetagsamt", "prefix": "R", "hours": harness.ALL_DAY, "order": 5,
     "closed_days": [datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()]},
    {"id": "klein", "name": "Kleines Amt", "prefix": "L", "hours": harness.ALL_DAY, "order": 6, "max_queue": 1},
]
"""The offices of the harness, one with services for the details step, one for the end of a visit,
one closed today (it opens again at midnight) and one with room for one citizen."""


# Counts the tones and browser notifications a page makes; the citizen is "in another window".
SENSES = """
window.__tones = 0;
window.__notes = [];
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...args) { window.__tones += 1; return start.apply(this, args); };
const Native = window.Notification;
if (Native) {
  window.Notification = class extends Native {
    constructor(title, options) { super(title, options); window.__notes.push([title, options && options.body]); }
  };
}
document.hasFocus = () => false;
"""


class RoomEnv:
    def __init__(self, server: harness.OfficeServer, site: StaticSite) -> None:
        self.server = server
        self.site = site
        self.clerk: ClerkClient | None = None

    def clerk_on_duty(self) -> None:
        """A clerk available for every office (again, e.g. after a server restart)."""
        if self.clerk is not None:
            self.clerk.close()
        self.clerk = ClerkClient(self.server.origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
        for spec in OFFICES:
            self.clerk.presence(str(spec["id"]), "available")

    @property
    def origin(self) -> str:
        return self.server.origin

    def room(self, office_id: str, lang: str = "de") -> str:
        return f"{self.origin}/w/{office_id}?lang={lang}"


@pytest.fixture(scope="module")
def room_env() -> Iterator[RoomEnv]:
    redis = harness.RedisServer()
    port = harness.free_port()
    site = StaticSite(f"http://127.0.0.1:{port}")
    server = env = None
    try:
        harness.seed(redis.url, OFFICES)
        server = harness.OfficeServer(redis.url, [site.origin], port=port, extra_env={"VO_STATUS_INTERVAL": "0.05"})
        env = RoomEnv(server, site)
        env.clerk_on_duty()
        yield env
    finally:
        if env is not None and env.clerk is not None:
            env.clerk.close()
        if server is not None:
            server.close()
        site.close()
        redis.close()


@pytest.fixture
def citizen(browsers, engine: str) -> Iterator[Any]:
    """A factory of citizen tabs of the test's engine, each in a browser context of its own (with or without camera).

    Chromium refuses a device through the context's permissions; Firefox, whose getUserMedia does not
    look at those, through a browser of its own that refuses it (conftest.Browsers.refusing)."""
    contexts = []

    def open_tab(*, camera: bool = True, notifications: bool = False, locale: str = "de-DE", width: int = 800,
                 init_script: str = "", reduced_motion: str = "no-preference", devices: list[str] | None = None) -> Any:
        """``devices``: which of "camera" and "microphone" the browser allows (instead of ``camera``: both or none)."""
        allowed = devices if devices is not None else ["camera", "microphone"] if camera else []
        permissions = allowed + (["notifications"] if notifications else [])
        browser = browsers.refusing(engine, {"camera", "microphone"} - set(allowed))
        context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale, permissions=permissions,
                                      reduced_motion=reduced_motion)
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(exc))
        return page

    try:
        yield open_tab
    finally:
        for context in contexts:
            context.close()


# The ticket's token as the waiting room keeps it (VO.keep in shared.js: JSON in localStorage,
# or in sessionStorage where localStorage is off); the argument is the storage key.
STORED_TOKEN = """k => {
  const raw = localStorage.getItem(k) || sessionStorage.getItem(k);
  if (!raw) return null;
  try { const entry = JSON.parse(raw); return entry && typeof entry === 'object' ? entry.value : raw; } catch (e) { return raw; }
}"""

# No WebRTC at all, as in some WebKit builds and old browsers (with the prefixed names of old ones).
NO_WEBRTC = "delete window.RTCPeerConnection; delete window.webkitRTCPeerConnection; delete window.mozRTCPeerConnection;"


def stored_token(page: Any, office_id: str) -> str | None:
    """The token this browser keeps for the office's ticket (None when it keeps none)."""
    return page.evaluate(STORED_TOKEN, "virtual-office.ticket." + office_id)


def join(page: Any, url: str, *, name: str = "", notify: bool = False) -> str:
    """Through the four steps with the mouse, skipping the device check; returns the display number.

    Returns once the page is connected: only then does the ticket hold its place in the line
    (until then it is unconfirmed, and a clerk's call next would find nobody)."""
    page.goto(url)
    page.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    page.get_by_role("button", name="Weiter").click()
    if name:
        page.get_by_label("Ihr Name").fill(name)
    page.locator("#step-details").get_by_role("button", name="Weiter").click()
    page.get_by_role("button", name="Ohne Test weiter").click()
    if notify:
        page.get_by_label("Mit einer Mitteilung des Browsers Bescheid geben, wenn ich dran bin").check()
    page.get_by_role("button", name="Jetzt anstellen").click()
    number = page.locator("#number")
    expect(number).not_to_have_text("…", timeout=15_000)
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=15_000)
    return number.inner_text()
