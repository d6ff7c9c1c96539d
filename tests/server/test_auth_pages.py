"""Login, logout, sessions, CSRF and roles of the staff pages, against the real app and Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RedisServer
from tests.server.staff_pages import PASSWORD, Staff, staff_fixture, start  # noqa: F401 - the staff fixture

ADMIN_PAGES = ["/admin", "/admin/offices/new", "/admin/offices/buergerbuero", "/admin/clerks/new", "/admin/origins",
               "/admin/embed", "/admin/stats"]


def test_login_page_is_german_by_default_and_english_on_request(staff: Staff) -> None:
    page = staff.client.get("/login")
    assert page.status_code == 200
    assert '<html lang="de">' in page.text and "Anmeldename" in page.text
    english = staff.client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Staff login" in english.text
    # the switch is remembered for the session
    staff.client.get("/login?lang=en")
    assert "Staff login" in staff.client.get("/login").text


def cookies_set(response: Any) -> dict[str, str]:
    """Each cookie the response sets, by name: its whole Set-Cookie header, lower case."""
    return {header.split("=", 1)[0]: header.lower() for header in response.headers.get_list("set-cookie")}


def test_login_sets_a_hardened_session_cookie_and_leads_to_the_console(staff: Staff) -> None:
    response = staff.login("anna")
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookies = cookies_set(response)
    session = cookies.pop("vo_session")
    assert "httponly" in session and "samesite=lax" in session and "secure" not in session
    # and the device cookie of the login (server/lockout.py): a year, for the login pages' eyes only
    [(name, device)] = cookies.items()
    assert name.startswith("vo_device_")
    assert "httponly" in device and "samesite=lax" in device and "max-age=31536000" in device and "secure" not in device
    assert "anna" not in device  # bound to the login by a digest, not by name
    assert staff.client.get("/console").status_code == 200


def test_cookie_is_secure_when_the_server_is_reached_over_https(redis_server: RedisServer, tmp_path: Path) -> None:
    for running in start(redis_server, tmp_path, public_url="https://buergerbuero.example"):
        response = running.login("anna")
        assert response.status_code == 303
        assert all("; secure" in cookie for cookie in cookies_set(response).values())


def test_login_without_csrf_token_is_refused(staff: Staff) -> None:
    staff.client.get("/login")
    response = staff.client.post("/login", data={"login": "anna", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert staff.client.get("/console", follow_redirects=False).status_code == 303  # still logged out


def test_wrong_csrf_token_and_foreign_origin_are_refused(staff: Staff) -> None:
    token = staff.token()
    wrong = staff.client.post("/login", data={"login": "anna", "password": PASSWORD, "csrf_token": token[:-2] + "xx"})
    assert wrong.status_code == 403
    foreign = staff.client.post("/login", data={"login": "anna", "password": PASSWORD, "csrf_token": token},
                                headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert foreign.status_code == 403
    cross_site = staff.client.post("/login", data={"login": "anna", "password": PASSWORD, "csrf_token": token},
                                   headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert cross_site.status_code == 403
    same = staff.client.post("/login", data={"login": "anna", "password": PASSWORD, "csrf_token": token},
                             headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert same.status_code == 303


def test_every_state_changing_staff_request_needs_the_token(staff: Staff) -> None:
    staff.login("root")
    posts = {
        "/logout": {},
        "/admin/offices/new": {"id": "neu", "name": "Neu", "timezone": "Europe/Berlin", "languages": "de",
                               "max_queue": "5", "early_queue_minutes": "0", "order": "0"},
        "/admin/offices/kfz/delete": {},
        "/admin/clerks/new": {"login": "neu", "name": "Neu", "role": "clerk", "password": "x" * 12},
        f"/admin/clerks/{staff.accounts['anna'].id}/delete": {},
        "/admin/origins": {"origins": "https://evil.example"},
    }
    for path, data in posts.items():
        response = staff.client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403, path
        response = staff.client.post(path, data={**data, "csrf_token": "forged" * 8}, follow_redirects=False)
        assert response.status_code == 403, path
    # nothing happened
    overview = staff.client.get("/admin").text
    assert "Kfz-Zulassung" in overview and "Anna Amt" in overview and 'data-office="neu"' not in overview
    assert staff.run(staff.state.origins.administered) == set()


def test_logout_needs_a_post_with_the_token(staff: Staff) -> None:
    staff.login("anna")
    assert staff.client.get("/logout").status_code == 405
    response = staff.post("/logout", {}, form_page="/console")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert staff.client.get("/console", follow_redirects=False).status_code == 303


def test_the_session_starts_afresh_at_login(staff: Staff) -> None:
    before = staff.token("/login")
    staff.login("anna")
    after = staff.token("/console")
    assert before != after  # a token planted before the login is worth nothing after it


def test_wrong_passwords_are_throttled_with_a_clear_message(staff: Staff) -> None:
    for _ in range(3):
        response = staff.login("anna", "wrong password")
        assert response.status_code == 401
        assert "Anmeldename oder Passwort ist falsch." in response.text
        assert 'value="anna"' in response.text  # the login stays filled in
    blocked = staff.login("anna", PASSWORD)
    assert blocked.status_code == 429
    assert "Zu viele Fehlversuche" in blocked.text
    assert staff.client.get("/console", follow_redirects=False).status_code == 303
    # another account from the same address is not blocked yet
    assert staff.login("root").status_code == 303


def test_a_clerk_gets_403_on_the_administration(staff: Staff) -> None:
    staff.login("anna")
    for path in ADMIN_PAGES:
        response = staff.client.get(path)
        assert response.status_code == 403, path
        assert "der Verwaltung vorbehalten" in response.text
    token = staff.token("/console")
    response = staff.client.post("/admin/offices/new", data={"id": "x", "name": "X", "csrf_token": token})
    assert response.status_code == 403
    assert staff.client.get("/admin/embed/preview").status_code == 403


def test_admins_may_use_the_console_and_the_administration(staff: Staff) -> None:
    response = staff.login("root")
    assert response.headers["location"] == "/console"  # root staffs the Bürgerbüro
    assert staff.client.get("/console").status_code == 200
    for path in ADMIN_PAGES:
        assert staff.client.get(path).status_code == 200, path


def test_anonymous_visitors_are_sent_to_the_login(staff: Staff) -> None:
    for path in ["/console", *ADMIN_PAGES]:
        response = staff.client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}"
    assert staff.client.post("/admin/offices/new", data={}).status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_to_another_site(staff: Staff, target: str) -> None:
    token = staff.token(f"/login?next={target}")
    response = staff.client.post("/login", data={"login": "anna", "password": PASSWORD, "csrf_token": token, "next": target},
                                 follow_redirects=False)
    assert response.headers["location"] == "/console"


def test_login_returns_to_the_page_asked_for(staff: Staff) -> None:
    token = staff.token("/login?next=/admin/stats")
    response = staff.client.post("/login", data={"login": "root", "password": PASSWORD, "csrf_token": token, "next": "/admin/stats"},
                                 follow_redirects=False)
    assert response.headers["location"] == "/admin/stats"


def test_staff_pages_carry_protective_headers(staff: Staff) -> None:
    staff.login("root")
    for path in ["/login", "/console", "/admin"]:
        headers = staff.client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"


def test_a_new_password_ends_the_accounts_other_sessions(staff: Staff) -> None:
    anna = staff.accounts["anna"]
    staff.login("anna")
    annas_browser = dict(staff.client.cookies)
    assert staff.client.get("/console").status_code == 200

    staff.client.cookies.clear()
    staff.login("root")
    changed = staff.post(f"/admin/clerks/{anna.id}", {"name": "Anna Amt", "role": "clerk", "offices": ["buergerbuero"],
                                                      "password": "ein ganz neues passwort"})
    assert changed.status_code == 303
    roots_browser = dict(staff.client.cookies)

    staff.client.cookies.clear()
    staff.client.cookies.update(annas_browser)
    assert staff.client.get("/console", follow_redirects=False).status_code == 303  # back to the login
    assert staff.client.get("/api/me").status_code == 401
    assert staff.login("anna", "ein ganz neues passwort").status_code == 303

    # An administrator who changes their own password stays logged in in this browser.
    staff.client.cookies.clear()
    staff.client.cookies.update(roots_browser)
    root = staff.accounts["root"]
    # Not without the current password (server/reauth.py): a browser left logged in is not enough.
    for current in ({}, {"current_password": "falsch geraten"}):
        refused = staff.post(f"/admin/clerks/{root.id}", {"name": "Ada Admin", "role": "admin", "password": "mein neues passwort", **current})
        assert refused.status_code == 400 and "Das aktuelle Passwort stimmt nicht." in refused.text
    own = staff.post(f"/admin/clerks/{root.id}", {"name": "Ada Admin", "role": "admin", "password": "mein neues passwort",
                                                  "current_password": PASSWORD})
    assert own.status_code == 303
    assert staff.client.get("/admin").status_code == 200


def test_a_session_ended_on_the_server_is_worth_nothing_even_if_its_cookie_is_kept(staff: Staff) -> None:
    """Logout, the JSON logout and "log out everywhere" end the session on the server."""
    staff.login("anna")
    kept = dict(staff.client.cookies)
    assert staff.client.get("/api/me").status_code == 200
    staff.post("/logout", {}, form_page="/console")
    staff.client.cookies.clear()
    staff.client.cookies.update(kept)  # the cookie as it was before the logout
    assert staff.client.get("/api/me").status_code == 401
    assert staff.client.get("/console", follow_redirects=False).status_code == 303

    # The JSON logout: only as JSON (another website's form cannot post it), then the same.
    staff.client.cookies.clear()
    assert staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD}).status_code == 200
    kept = dict(staff.client.cookies)
    assert staff.client.post("/api/logout", data={"x": "1"}).status_code == 400
    assert staff.client.get("/api/me").status_code == 200
    assert staff.client.post("/api/logout", json={}).status_code == 200
    staff.client.cookies.update(kept)
    assert staff.client.get("/api/me").status_code == 401


def test_log_out_everywhere_ends_every_session_of_an_account(staff: Staff) -> None:
    anna = staff.accounts["anna"]
    laptops = []
    for _ in range(2):  # two devices of Anna's
        staff.client.cookies.clear()
        assert staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD}).status_code == 200
        laptops.append(dict(staff.client.cookies))
    staff.client.cookies.clear()
    staff.login("root")
    admin = dict(staff.client.cookies)
    assert "Überall abmelden" in staff.client.get(f"/admin/clerks/{anna.id}").text
    # The administrator's current password first (server/reauth.py); without it nothing ends.
    refused = staff.post(f"/admin/clerks/{anna.id}/logout", {"current_password": "falsch"}, form_page=f"/admin/clerks/{anna.id}")
    assert refused.status_code == 400 and "Das aktuelle Passwort stimmt nicht." in refused.text
    staff.client.cookies.clear()
    staff.client.cookies.update(laptops[0])
    assert staff.client.get("/api/me").status_code == 200
    staff.client.cookies.clear()
    staff.client.cookies.update(admin)
    assert staff.post(f"/admin/clerks/{anna.id}/logout", {"current_password": PASSWORD},
                      form_page=f"/admin/clerks/{anna.id}").status_code == 303
    for laptop in laptops:
        staff.client.cookies.clear()
        staff.client.cookies.update(laptop)
        assert staff.client.get("/api/me").status_code == 401
    staff.client.cookies.clear()
    staff.client.cookies.update(admin)
    assert staff.client.get("/admin").status_code == 200  # the administrator's own session goes on
