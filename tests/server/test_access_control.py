"""What the OWASP ASVS table in docs/security.md cites beyond the session and second factor tests:
session ids only in cookies, a new one of 256 bits at each login, re-authentication before an
administrator is created, no directory listings, staff pages failing closed without Redis."""

from __future__ import annotations

import json
from base64 import b64decode

import itsdangerous

from tests.conftest import RedisServer
from tests.server.staff_pages import PASSWORD, Staff, staff_fixture  # noqa: F401 - the staff fixture
from virtual_office.queue import keys


def session_of(staff: Staff) -> dict[str, object]:
    """The cookie's session as the server reads it (the test knows the secret key)."""
    raw = staff.client.cookies["vo_session"]
    data = itsdangerous.TimestampSigner("x" * 32).unsign(raw.encode())
    return json.loads(b64decode(data))


def test_each_login_gets_a_new_session_id_that_appears_in_no_url_or_page(staff: Staff) -> None:
    seen = set()
    for _ in range(3):  # the same browser, logging in again
        response = staff.login("anna", PASSWORD)
        assert response.status_code == 303
        sid = session_of(staff)["sid"]
        assert isinstance(sid, str) and len(sid) == 43 and sid not in seen  # 32 random bytes, url-safe base64: 256 bits
        seen.add(sid)
        cookie = staff.client.cookies["vo_session"]
        for page in (response, staff.client.get(response.headers["location"]), staff.client.get("/account/sessions")):
            assert sid not in page.headers.get("location", "") and sid not in page.text
            assert cookie not in page.text and cookie not in page.headers.get("location", "")
    # only digests of the ids are stored
    stored = staff.run(staff.state.services.redis.smembers, keys.clerk_sessions(staff.accounts["anna"].id))
    assert len(stored) == 3 and not stored & seen


def test_creating_an_administrator_needs_the_current_password(staff: Staff) -> None:
    staff.login("root")
    account = {"login": "neue.admin", "name": "Neue Admin", "role": "admin", "password": "ein neues langes passwort"}
    refused = staff.post("/admin/clerks/new", account)
    assert refused.status_code == 400 and "Das aktuelle Passwort stimmt nicht." in refused.text
    assert staff.run(staff.state.services.clerks.by_login, "neue.admin") is None
    assert staff.post("/admin/clerks/new", {**account, "current_password": PASSWORD}).status_code == 303
    assert staff.run(staff.state.services.clerks.by_login, "neue.admin").is_admin
    # a clerk account needs no more than the form
    assert staff.post("/admin/clerks/new", {**account, "login": "neuer.clerk", "role": "clerk"}).status_code == 303


def test_no_directory_is_listed_and_no_file_outside_the_static_folders_is_served(staff: Staff) -> None:
    for path in ("/static/", "/static/account/", "/static/admin/", "/assets/", "/static/../settings.py", "/static/%2e%2e/app.py",
                 "/.git/config", "/static/.DS_Store", "/assets/..%2fsecret_key"):
        response = staff.client.get(path)
        assert response.status_code == 404, path
    assert staff.client.get("/static/account/session_watch.js").status_code == 200


def test_staff_pages_fail_closed_while_redis_is_away(staff: Staff, redis_server: RedisServer) -> None:
    staff.login("anna")
    assert staff.client.get("/console").status_code == 200
    redis_server.kill()
    try:
        page = staff.client.get("/console", follow_redirects=False)
        assert page.status_code == 503 and "Der Dienst ist kurz nicht erreichbar" in page.text and "Anna Amt" not in page.text
    finally:
        redis_server.start()
