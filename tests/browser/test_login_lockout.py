"""The login lock-out in a real browser: the clerk's own browser keeps logging in while another is paused,
and the pause is announced, in German and English, on a page without accessibility violations."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.staff_fixtures import StaffEnv, axe_violations, log_in, on_accounts, own_staff_env  # noqa: F401 - fixture
from tests.passwords import PASSWORD

ATTEMPTS = 5  # VO_LOGIN_ATTEMPTS' default


def test_a_paused_browser_is_told_while_the_clerks_own_browser_logs_in(own_staff_env: StaffEnv, browser, axe_source) -> None:
    origin = own_staff_env.origin
    on_accounts(own_staff_env, lambda clerks: clerks.add("lotte", "Lotte Lang", PASSWORD, offices=("buergerbuero",)))
    own, other = browser.new_context(), browser.new_context()
    try:
        desk = own.new_page()
        log_in(desk, origin, "lotte", PASSWORD)
        expect(desk).to_have_url(re.compile("/console"))
        assert any(c["name"].startswith("vo_device_") and c["httpOnly"] for c in own.cookies())
        own.clear_cookies(name="vo_session")  # logged out; the device cookie stays

        guesser = other.new_page()
        for _ in range(ATTEMPTS):
            log_in(guesser, origin, "lotte", "a wrong guess of a password")
            expect(guesser.get_by_role("alert")).to_have_text("Anmeldename oder Passwort ist falsch.")
        log_in(guesser, origin, "lotte", PASSWORD)
        expect(guesser.get_by_role("alert")).to_contain_text("Anmeldungen aus diesem Browser sind für 15 Minuten pausiert")
        expect(guesser.get_by_label("Anmeldename")).to_have_value("lotte")
        assert axe_violations(guesser, axe_source) == []
        guesser.goto(origin + "/login?lang=en")
        guesser.get_by_label("Login").fill("lotte")
        guesser.get_by_label("Password").fill(PASSWORD)
        guesser.get_by_role("button", name="Log in").click()
        expect(guesser.get_by_role("alert")).to_contain_text("logins from this browser are paused for 15 minutes")
        assert axe_violations(guesser, axe_source) == []

        log_in(desk, origin, "lotte", PASSWORD)
        expect(desk).to_have_url(re.compile("/console"))
    finally:
        own.close()
        other.close()
