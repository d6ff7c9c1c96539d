"""Staff sessions in Chromium and Firefox: a page whose session timed out goes to the login, says why
(German and English) and returns to where it was; "My sessions" lists this device; an administrator
enrols an authenticator app right after the first login and then logs in with its codes. Each page
is checked with axe."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.sites import StaticSite
from tests.browser.staff_fixtures import StaffEnv, _aside, axe_violations, log_in
from virtual_office.queue import totp

ADMIN, ADMIN_PASSWORD = "ada", "administration passwort"
IDLE_MINUTES = 0.1  # six seconds, so a test can wait for it


@pytest.fixture
def session_env() -> Iterator[StaffEnv]:
    """A server of its own: a short idle time, and VO_ADMIN_MFA=required as `serve` has it by default."""
    redis = harness.RedisServer()
    port = harness.free_port()
    site = StaticSite(f"http://127.0.0.1:{port}")
    server = None
    try:
        _aside(harness.seed, redis.url)
        _aside(lambda: asyncio.run(_add_admin(redis.url)))
        server = harness.OfficeServer(redis.url, [site.origin], port=port, extra_env={
            "VO_SESSION_IDLE_MINUTES": str(IDLE_MINUTES), "VO_ADMIN_MFA": "required"})
        yield StaffEnv(redis, server, site)
    finally:
        if server is not None:
            server.close()
        site.close()
        redis.close()


async def _add_admin(redis_url: str) -> None:
    import redis.asyncio

    from virtual_office.queue import ADMIN as ROLE
    from virtual_office.queue import ClerkDirectory

    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        await ClerkDirectory(client).add(ADMIN, "Ada Administratorin", ADMIN_PASSWORD, role=ROLE)
    finally:
        await client.aclose()


@pytest.mark.engines("chromium", "firefox")
def test_an_idle_page_goes_to_the_login_says_why_and_comes_back(session_env: StaffEnv, browser, axe_source) -> None:
    origin = session_env.origin
    context = browser.new_context()
    try:
        page = context.new_page()
        log_in(page, origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD, next_path="/account/sessions")
        expect(page).to_have_url(re.compile("/account/sessions$"))
        expect(page.get_by_role("heading", name="Meine Anmeldungen")).to_be_visible()
        expect(page.get_by_role("rowheader")).to_contain_text("(dieses Gerät)")
        assert axe_violations(page, axe_source) == []
        # Nobody touches the page: after the idle time it goes to the login by itself, which says why.
        expect(page).to_have_url(re.compile(r"/login\?next=%2Faccount%2Fsessions&ended=idle$"), timeout=20_000)
        expect(page.get_by_role("status")).to_contain_text("ohne Aktivität abgemeldet")
        assert axe_violations(page, axe_source) == []
        page.get_by_label("Anmeldename").fill(harness.CLERK_LOGIN)
        page.get_by_label("Passwort").fill(harness.CLERK_PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        expect(page).to_have_url(re.compile("/account/sessions$"))

        # In English, from the console this time
        page.goto(origin + "/console?lang=en")
        expect(page.get_by_role("link", name="My sessions")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/login\?next=%2Fconsole%3Flang%3Den&ended=idle$"), timeout=20_000)
        expect(page.get_by_role("status")).to_contain_text("You were logged out after")
        expect(page.get_by_role("status")).to_contain_text("without activity")
        assert axe_violations(page, axe_source) == []
        page.get_by_label("Login").fill(harness.CLERK_LOGIN)
        page.get_by_label("Password").fill(harness.CLERK_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/console\?lang=en$"))
    finally:
        context.close()


@pytest.mark.engines("chromium", "firefox")
def test_an_administrator_enrols_an_authenticator_app_and_logs_in_with_it(session_env: StaffEnv, browser, axe_source) -> None:
    origin = session_env.origin
    context = browser.new_context()
    try:
        page = context.new_page()
        log_in(page, origin, ADMIN, ADMIN_PASSWORD)
        expect(page).to_have_url(re.compile("/account/second-factor$"))
        expect(page.get_by_role("status")).to_contain_text("Administratorkonten brauchen einen zweiten Faktor")
        expect(page.locator("figure.qr svg")).to_be_visible()
        assert axe_violations(page, axe_source) == []
        page.goto(origin + "/admin")  # nothing else until it is done
        expect(page).to_have_url(re.compile("/account/second-factor$"))
        secret = page.locator("#secret").inner_text().replace(" ", "")
        page.get_by_label("Code aus der App").fill(totp.code(secret, time.time()))
        page.get_by_label("Ihr aktuelles Passwort").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Einrichten").click()
        expect(page.get_by_role("heading", name="Ihre Wiederherstellungscodes")).to_be_visible()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        assert axe_violations(page, axe_source) == []
        page.get_by_role("link", name="Ich habe die Codes gesichert – weiter").click()
        expect(page).to_have_url(re.compile("/admin$"))

        page.get_by_role("button", name="Abmelden").click()
        page.goto(origin + "/login?lang=en")
        page.get_by_label("Login").fill(ADMIN)
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Confirm your login")).to_be_visible()
        assert axe_violations(page, axe_source) == []
        page.get_by_label("Code from the authenticator app").fill("000000" if totp.code(secret, time.time() + 30) != "000000" else "111111")
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_role("alert")).to_have_text("The code is wrong, has expired or was used already.")
        assert axe_violations(page, axe_source) == []
        # the next step's code (the current one was spent at enrolment)
        page.get_by_label("Code from the authenticator app").fill(totp.code(secret, time.time() + 30))
        page.get_by_role("button", name="Confirm").click()
        expect(page).to_have_url(re.compile("/admin$"))
    finally:
        context.close()
