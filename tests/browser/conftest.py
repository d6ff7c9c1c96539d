"""Browser test fixtures: real Redis, the real office server, two city websites, Chromium and Firefox.

A test runs in Chromium alone unless marked ``@pytest.mark.engines("chromium", "firefox")``:
then once in each (ids ``[chromium]``, ``[firefox]``; ``-k firefox`` picks one). Its ``browser``,
``page`` and ``engine`` fixtures are of that engine. Each engine is launched once a session,
when a test first needs it; Firefox is Debian's ``firefox-esr``, driven without a Playwright download.

The whole suite is meant to run inside a network namespace with only loopback:

    timeout -k 10 600 unshare --net --pid --fork --kill-child --mount-proc -- \\
      sh -c 'ip link set lo up && "$@"' sh python -m pytest tests/browser

axe-core comes from npm (``npm ci --prefix tests/browser``, once, outside the namespace).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from tests.browser import harness
from tests.browser.sites import StaticSite

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import sync_playwright  # noqa: E402


class Env:
    """What a test needs to know about the running system."""

    def __init__(self, redis: harness.RedisServer, server: harness.OfficeServer,
                 site: StaticSite, foreign: StaticSite) -> None:
        self.redis = redis
        self.server = server
        self.site = site
        """A city website on the embed allowlist."""
        self.foreign = foreign
        """A website that is not on the allowlist."""


@pytest.fixture(scope="session")
def env() -> Iterator[Env]:
    if importlib.util.find_spec("virtual_office.cli") is None:
        pytest.skip("the office server (virtual_office.cli) is not there yet")
    redis = harness.RedisServer()
    port = harness.free_port()
    office_url = f"http://127.0.0.1:{port}"
    site = StaticSite(office_url)
    foreign = StaticSite(office_url)
    server = None
    try:
        harness.seed(redis.url)
        server = harness.OfficeServer(redis.url, [site.origin], port=port)
        if not harness.serves_widget(server.origin):
            pytest.fail(f"the office server does not serve {server.origin}/widget.js (see virtual_office/widget/README.md)")
        yield Env(redis, server, site, foreign)
    finally:
        if server is not None:
            server.close()
        site.close()
        foreign.close()
        redis.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "engines(*names): run the test once in each of these browsers (default: chromium)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("engines")
    if marker is not None and "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", marker.args, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The browser engine of this test: "chromium" unless parametrised by the ``engines`` marker."""
    name = getattr(request, "param", "chromium")
    if not harness.has_engine(name):
        pytest.skip(f"{name} is not installed (scripts/test.sh installs it)")
    return name


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    with sync_playwright() as p:
        yield p


class Browsers:
    """One browser per engine for the whole session, launched when first asked for."""

    def __init__(self, playwright: Any) -> None:
        self.playwright = playwright
        self.launched: dict[str, Any] = {}

    def __getitem__(self, engine: str) -> Any:
        if engine not in self.launched:
            self.launched[engine] = harness.launch(self.playwright, engine)
        return self.launched[engine]

    def refusing(self, engine: str, blocked: Iterable[str]) -> Any:
        """A browser that refuses camera and/or microphone to every page: Firefox only, launched
        once a session for each set of refused devices (Chromium refuses per context, through a
        context's permissions: there this is the engine's one browser)."""
        blocked = tuple(sorted(set(blocked)))
        if engine != "firefox" or not blocked:
            return self[engine]
        key = f"{engine} refusing {' and '.join(blocked)}"
        if key not in self.launched:
            self.launched[key] = harness.launch_firefox(self.playwright, blocked=blocked)
        return self.launched[key]

    def close(self) -> None:
        for browser in self.launched.values():
            browser.close()


@pytest.fixture(scope="session")
def browsers(playwright: Any) -> Iterator[Browsers]:
    launched = Browsers(playwright)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def browser(browsers: Browsers, engine: str) -> Any:
    return browsers[engine]


@pytest.fixture(scope="session")
def display() -> Iterator[Any]:
    """A function that starts one virtual X display for the session (first call) and returns its name."""
    started: list[harness.Xvfb] = []

    def get() -> str:
        if not started:
            started.append(harness.Xvfb())
        return started[0].display

    try:
        yield get
    finally:
        for xvfb in started:
            xvfb.close()


class PageErrors(list):
    """Uncaught errors and console messages of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.console: list[tuple[str, str]] = []


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="de-DE")
    page = context.new_page()
    page.errors = PageErrors()
    page.on("pageerror", lambda exc: page.errors.append(exc))
    page.on("console", lambda msg: page.errors.console.append((msg.type, msg.text)))
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not harness.AXE.exists():
        pytest.skip("axe-core missing: run `npm ci --prefix tests/browser` once")
    return harness.AXE.read_text()
