"""The second factor (OWASP ASVS V4.3.1) against the real app and Redis: enrolling with the current
password, the login's second step and its lock-out, codes accepted once, VO_ADMIN_MFA=required,
an administrator's reset (logged by account ids) and the operator's `virtual-office reset-mfa`."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RedisServer
from tests.server.staff_pages import PASSWORD, Staff, staff_fixture, start  # noqa: F401 - the staff fixture
from virtual_office.queue import keys, totp
from virtual_office.settings import SettingsError

SECRET = re.compile(r'<code id="secret">([A-Z2-7 ]+)</code>')
RECOVERY = re.compile(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>")


def enrol(staff: Staff) -> tuple[str, list[str]]:
    """Enrol the logged-in account as a person would; returns the secret and the recovery codes."""
    page = staff.client.get("/account/second-factor")
    assert page.status_code == 200 and "<svg" in page.text and "<title>QR-Code zum Einrichten" in page.text
    secret = SECRET.search(page.text).group(1).replace(" ", "")
    done = staff.post("/account/second-factor", {"code": totp.code(secret, time.time()), "current_password": PASSWORD})
    assert done.status_code == 200, done.text
    codes = RECOVERY.findall(done.text)
    assert len(codes) == 10 and "Ihre Wiederherstellungscodes" in done.text
    return secret, codes


def next_code(secret: str) -> str:
    """The app's code of the next time step (the current one was spent by the last success)."""
    return totp.code(secret, time.time() + 30)


def test_a_clerk_enrols_and_then_logs_in_with_password_and_code(staff: Staff) -> None:
    assert staff.login("anna").status_code == 303
    page = staff.client.get("/account/second-factor").text
    secret = SECRET.search(page).group(1).replace(" ", "")
    # the current password is asked for, and the code must be the app's
    wrong = staff.post("/account/second-factor", {"code": totp.code(secret, time.time()), "current_password": "geraten"})
    assert wrong.status_code == 400 and "Das aktuelle Passwort stimmt nicht." in wrong.text
    wrong = staff.post("/account/second-factor", {"code": "000000" if totp.code(secret, time.time()) != "000000" else "111111",
                                                  "current_password": PASSWORD})
    assert wrong.status_code == 400 and "Der Code stimmt nicht" in wrong.text
    assert not staff.run(staff.state.services.second_factors.enrolled, staff.accounts["anna"].id)
    secret, codes = enrol(staff)
    stored = staff.run(staff.state.services.redis.hgetall, keys.second_factor(staff.accounts["anna"].id))
    assert not any(c in str(stored) for c in codes)
    assert "noch 10 unbenutzte Wiederherstellungscodes" in staff.client.get("/account/second-factor").text

    staff.client.cookies.clear()
    asked = staff.login("anna")
    assert asked.status_code == 200 and "Code aus der Authenticator-App" in asked.text
    assert staff.client.get("/api/me").status_code == 401  # the password alone opens nothing
    assert staff.client.get("/console", follow_redirects=False).status_code == 303
    token = staff.token("/login")
    refused = staff.client.post("/login/code", data={"code": "12345", "csrf_token": token})
    assert refused.status_code == 401 and "Der Code stimmt nicht" in refused.text, re.findall(r"role=.alert.>([^<]*)", refused.text)
    used = next_code(secret)
    done = staff.client.post("/login/code", data={"code": used, "csrf_token": token, "next": "/account/sessions"},
                             follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/account/sessions"
    assert staff.client.get("/api/me").status_code == 200

    # The same code again, in a new login within its time step: refused (a code is accepted once)
    staff.client.cookies.clear()
    staff.login("anna")
    # (the very code used: computed anew, it would be the next step's once a step boundary passed meanwhile)
    replay = staff.client.post("/login/code", data={"code": used, "csrf_token": staff.token("/login")})
    assert replay.status_code == 401
    # A recovery code works once
    assert staff.client.post("/login/code", data={"code": codes[0], "csrf_token": staff.token("/login")},
                             follow_redirects=False).status_code == 303
    staff.client.cookies.clear()
    staff.login("anna")
    assert staff.client.post("/login/code", data={"code": codes[0], "csrf_token": staff.token("/login")}).status_code == 401


def test_the_code_step_needs_a_password_step_first_and_expires(staff: Staff) -> None:
    token = staff.token("/login")
    assert staff.client.post("/login/code", data={"code": "123456", "csrf_token": token}).status_code == 401
    assert staff.client.post("/login/code", data={"code": "123456"}).status_code == 403  # CSRF like every form


def test_wrong_codes_count_into_the_lock_out(staff: Staff) -> None:
    """login_attempts=3 here; the password step's success does not reset the count of wrong codes."""
    staff.login("anna")
    secret, _ = enrol(staff)
    staff.client.cookies.clear()
    for _ in range(3):
        assert staff.login("anna").status_code == 200  # the right password: on to the code
        assert staff.client.post("/login/code", data={"code": "abcdef", "csrf_token": staff.token("/login")}).status_code == 401
    paused = staff.login("anna")
    assert paused.status_code == 429  # even the right password is refused now
    assert "pausiert" in paused.text


def test_the_json_login_asks_for_the_code(staff: Staff) -> None:
    staff.login("anna")
    secret, _ = enrol(staff)
    staff.client.cookies.clear()
    missing = staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD})
    assert missing.status_code == 401 and missing.json()["error"] == "second_factor_required"
    wrong = staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD, "code": "000001"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "wrong_code"
    assert staff.client.get("/api/me").status_code == 401
    ok = staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD, "code": next_code(secret)})
    assert ok.status_code == 200 and staff.client.get("/api/me").status_code == 200
    assert staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD, "code": 123456}).status_code == 400


@pytest.fixture
def required(redis_server: RedisServer, tmp_path: Path) -> Any:
    yield from start(redis_server, tmp_path, admin_mfa="required")


def test_an_administrator_must_enrol_before_anything_else(required: Staff) -> None:
    staff = required
    response = staff.login("root")
    assert response.status_code == 303 and response.headers["location"] == "/account/second-factor"
    for path in ("/admin", "/console", "/account/sessions", "/admin/clerks/new"):
        blocked = staff.client.get(path, follow_redirects=False)
        assert blocked.status_code == 303 and blocked.headers["location"] == "/account/second-factor", path
    form = staff.client.post("/admin/origins", data={"origins": "https://evil.example", "csrf_token": staff.token("/account/second-factor")},
                             follow_redirects=False)
    assert form.status_code == 403
    assert staff.client.get("/api/me").status_code == 401  # and over the API or socket.io it acts for nobody
    page = staff.client.get("/account/second-factor").text
    assert "Administratorkonten brauchen einen zweiten Faktor" in page
    enrol(staff)
    assert staff.client.get("/admin").status_code == 200
    # The JSON login says so too, and a clerk is not asked to enrol
    staff.client.cookies.clear()
    assert staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD}).json().get("enrol") is None
    assert staff.client.get("/console").status_code == 200


def test_an_administrator_resets_another_accounts_second_factor(staff: Staff, caplog: pytest.LogCaptureFixture) -> None:
    anna, root = staff.accounts["anna"], staff.accounts["root"]
    staff.login("anna")
    enrol(staff)
    staff.client.cookies.clear()
    staff.login("root")
    page = staff.client.get(f"/admin/clerks/{anna.id}").text
    assert "Zweiten Faktor zurücksetzen" in page
    wrong = staff.post(f"/admin/clerks/{anna.id}/second-factor/reset", {"current_password": "geraten"}, form_page=f"/admin/clerks/{anna.id}")
    assert wrong.status_code == 400 and staff.run(staff.state.services.second_factors.enrolled, anna.id)
    with caplog.at_level(logging.INFO, logger="virtual_office"):
        done = staff.post(f"/admin/clerks/{anna.id}/second-factor/reset", {"current_password": PASSWORD}, form_page=f"/admin/clerks/{anna.id}")
    assert done.status_code == 303
    assert not staff.run(staff.state.services.second_factors.enrolled, anna.id)
    [line] = [r.getMessage() for r in caplog.records if "second factor" in r.getMessage()]
    assert line == f"second factor of account {anna.id} reset by account {root.id}"
    assert "anna" not in line and "Anna" not in line
    staff.client.cookies.clear()
    assert staff.login("anna").status_code == 303  # the password alone again


def test_the_operator_resets_a_second_factor_from_the_command_line(staff: Staff, tmp_path: Path) -> None:
    staff.login("root")
    enrol(staff)
    root = staff.accounts["root"]
    env = {**os.environ, "VO_REDIS_URL": staff.redis_url, "VO_DATA_DIR": str(tmp_path / "cli")}
    done = subprocess.run([sys.executable, "-m", "virtual_office", "reset-mfa", "root"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not staff.run(staff.state.services.second_factors.enrolled, root.id)
    unknown = subprocess.run([sys.executable, "-m", "virtual_office", "reset-mfa", "nobody"], env=env, capture_output=True, text=True,
                             timeout=60)
    assert unknown.returncode != 0 and "no account with the login 'nobody'" in unknown.stderr


def test_serve_requires_a_second_factor_of_administrators_and_the_demo_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    from virtual_office import cli

    monkeypatch.delenv("VO_ADMIN_MFA", raising=False)
    assert cli._settings(cli._parser().parse_args(["serve"])).admin_mfa == "required"
    assert cli._settings(cli._parser().parse_args(["demo"])).admin_mfa == "optional"
    monkeypatch.setenv("VO_ADMIN_MFA", "required")
    assert cli._settings(cli._parser().parse_args(["demo"])).admin_mfa == "required"  # the operator's word wins
    monkeypatch.setenv("VO_ADMIN_MFA", "sometimes")
    with pytest.raises(SettingsError, match="VO_ADMIN_MFA"):
        cli._settings(cli._parser().parse_args(["serve"]))
