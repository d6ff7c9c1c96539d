"""Staff sessions against the real app and Redis (OWASP ASVS V3): the idle timeout and what counts
as activity, the __Host- cookie prefix on both read paths, "My sessions" and ending them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis.asyncio
import socketio

from tests.conftest import RedisServer
from tests.server.conftest import PASSWORD as SERVER_PASSWORD
from tests.server.conftest import Client, ServerProcess, seed
from tests.server.staff_pages import PASSWORD, Staff, staff_fixture, start  # noqa: F401 - the staff fixture
from virtual_office.queue import keys
from virtual_office.server.protocol import CLERK
from virtual_office.server.sessions import read_session
from virtual_office.settings import Settings

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Mobile Safari/537.36")


@pytest.fixture
def idle_staff(redis_server: RedisServer, tmp_path: Path) -> Any:
    yield from start(redis_server, tmp_path, session_idle_minutes=0.05)  # 3 seconds


def test_a_session_ends_after_the_idle_time_and_every_page_request_slides_it(idle_staff: Staff) -> None:
    staff = idle_staff
    assert staff.login("anna").status_code == 303
    for _ in range(3):  # 6 seconds in all, each request within the idle time of the last
        time.sleep(2)
        assert staff.client.get("/console", follow_redirects=False).status_code == 200
    # Asking whether the session is alive is not activity: an open page alone keeps nothing alive.
    for _ in range(3):
        assert staff.client.get("/api/session").json()["alive"] is True
        time.sleep(0.8)
    time.sleep(1.5)
    assert staff.client.get("/api/session").json() == {"ok": True, "alive": False, "ended": "idle"}
    gone = staff.client.get("/console?office=kfz", follow_redirects=False)
    assert gone.status_code == 303
    target = urlsplit(gone.headers["location"])
    assert target.path == "/login" and parse_qs(target.query) == {"next": ["/console?office=kfz"], "ended": ["idle"]}
    page = staff.client.get(gone.headers["location"])
    assert "ohne Aktivität abgemeldet" in page.text and 'role="status"' in page.text
    english = staff.client.get(gone.headers["location"] + "&lang=en")
    assert "You were logged out after 0.05 minutes without activity." in english.text
    # Logging in again leads back to where the page was.
    token = staff.token(gone.headers["location"])
    back = staff.client.post("/login", data={"login": "anna", "password": PASSWORD, "csrf_token": token,
                                             "next": "/console?office=kfz"}, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/console?office=kfz"


def test_the_login_page_tells_a_session_ended_by_a_person_from_one_that_timed_out(staff: Staff) -> None:
    assert staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD}).status_code == 200
    mine = dict(staff.client.cookies)
    staff.client.cookies.clear()
    assert staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD}).status_code == 200
    staff.run(staff.state.services.clerks.end_sessions, staff.accounts["anna"].id)
    staff.client.cookies.clear()
    staff.client.cookies.update(mine)
    assert staff.client.get("/api/session").json()["ended"] == "ended"
    gone = staff.client.get("/admin", follow_redirects=False)
    assert gone.headers["location"] == "/login?next=/admin&ended=ended"
    assert "expires=thu, 01 jan 1970" in gone.headers["set-cookie"].lower()  # the dead session's cookie is dropped
    assert "Ihre Anmeldung wurde beendet" in staff.client.get(gone.headers["location"]).text


def cookie_headers(response: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def test_over_https_the_cookies_carry_the_host_prefix(redis_server: RedisServer, tmp_path: Path) -> None:
    for running in start(redis_server, tmp_path, public_url="https://buergerbuero.example"):
        response = running.login("anna")
        assert response.status_code == 303
        cookies = cookie_headers(response)
        assert set(cookies) == {"__Host-vo_session", next(n for n in cookies if n.startswith("__Host-vo_device_"))}
        for header in cookies.values():
            lowered = header.lower()
            assert "; secure" in lowered and "; path=/" in lowered and "domain=" not in lowered and "httponly" in lowered
        assert running.client.get("/console").status_code == 200  # SessionMiddleware reads the prefixed name
        assert running.client.get("/api/me").json()["id"] == running.accounts["anna"].id
        # the device cookie is read under its prefixed name too: a right login from this browser is not "untrusted"
        assert running.run(running.state.login_throttle.attempt, _Request(running.client.cookies), "anna", "x") is not None


class _Request:
    """Just the cookies of a request, for LoginThrottle.attempt."""

    def __init__(self, jar: Any) -> None:
        self.cookies = dict(jar)


def test_read_session_reads_the_name_the_middleware_writes() -> None:
    for secure, name, other in ((True, "__Host-vo_session", "vo_session"), (False, "vo_session", "__Host-vo_session")):
        settings = Settings(secret_key="k" * 32, public_url=("https" if secure else "http") + "://office.example")
        import itsdangerous

        from virtual_office.server.sessions import MAX_AGE
        value = itsdangerous.TimestampSigner("k" * 32).sign(b"eyJjbGVya19pZCI6ICJhIn0=").decode()  # {"clerk_id": "a"}
        assert read_session(settings, f"{name}={value}") == {"clerk_id": "a"}
        assert read_session(settings, f"{other}={value}") == {}
        assert MAX_AGE == 12 * 3600


async def test_socket_io_and_pages_accept_only_the_prefixed_cookie_over_https(redis_server: RedisServer, redis_client: redis.asyncio.Redis,
                                                                              tmp_path: Path) -> None:
    await seed(redis_server.url)
    server = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_PUBLIC_URL": "https://buergerbuero.example"})
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.post("/api/login", json={"login": "anna", "password": SERVER_PASSWORD})
            assert response.status_code == 200
            value = next(h for h in response.headers.get_list("set-cookie") if h.startswith("__Host-vo_session=")).split(";")[0]
            value = value.split("=", 1)[1]
            prefixed, plain = {"Cookie": f"__Host-vo_session={value}"}, {"Cookie": f"vo_session={value}"}
            assert (await http.get("/console", headers=prefixed)).status_code == 200
            assert (await http.get("/console", headers=plain, follow_redirects=False)).status_code == 303
        console = Client()
        await console.connect(server, CLERK, auth={"lang": "de"}, headers=prefixed)
        assert await console.call(CLERK, "presence", {"office_id": "buergerbuero", "presence": "paused"}) == {"ok": True}
        await console.close()
        refused = Client()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect(server, CLERK, auth={"lang": "de"}, headers=plain)
    finally:
        server.stop()


async def test_an_open_console_keeps_its_session_only_while_its_clerk_works(redis_server: RedisServer, redis_client: redis.asyncio.Redis,
                                                                           tmp_path: Path, clients: Any) -> None:
    """Heartbeats (every 15 s) count as activity while the clerk is available in an office, not when
    the console is merely open off duty."""
    await seed(redis_server.url)
    server = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_SESSION_IDLE_MINUTES": "0.4"})  # 24 s
    server.start()
    try:
        cookies = {}
        async with httpx.AsyncClient(base_url=server.url) as http:
            for name in ("anna", "karl"):
                response = await http.post("/api/login", json={"login": name, "password": SERVER_PASSWORD})
                cookies[name] = f"vo_session={response.cookies['vo_session']}"
                http.cookies.clear()
        on_duty, off_duty = clients(), clients()
        await on_duty.connect(server, CLERK, auth={"lang": "de"}, headers={"Cookie": cookies["anna"]})
        await off_duty.connect(server, CLERK, auth={"lang": "de"}, headers={"Cookie": cookies["karl"]})
        assert await on_duty.call(CLERK, "presence", {"office_id": "buergerbuero", "presence": "available"}) == {"ok": True}
        assert await off_duty.call(CLERK, "presence", {"office_id": "kfz", "presence": "paused"}) == {"ok": True}
        await asyncio.sleep(40)  # no event from either console meanwhile
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/api/me", headers={"Cookie": cookies["anna"]})).status_code == 200
            assert (await http.get("/api/me", headers={"Cookie": cookies["karl"]})).status_code == 401
        assert (await off_duty.call(CLERK, "presence", {"office_id": "kfz", "presence": "available"}))["error"] == "not_authenticated"
    finally:
        server.stop()


def test_my_sessions_lists_each_device_and_ends_them_with_the_current_password(staff: Staff) -> None:
    staff.client.headers["User-Agent"] = CHROME_ANDROID
    assert staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD}).status_code == 200
    phone = dict(staff.client.cookies)
    staff.client.cookies.clear()
    staff.client.headers["User-Agent"] = FIREFOX_WINDOWS
    assert staff.login("anna").status_code == 303
    desk = dict(staff.client.cookies)

    console = staff.client.get("/console").text
    assert 'href="/account/sessions"' in console and "Meine Anmeldungen" in console
    page = staff.client.get("/account/sessions")
    assert page.status_code == 200
    assert "Firefox auf Windows <strong>(dieses Gerät)</strong>" in page.text and "Chrome auf Android" in page.text
    assert "Pixel" not in page.text and "Win64" not in page.text
    english = staff.client.get("/account/sessions?lang=en").text
    assert "Firefox on Windows <strong>(this device)</strong>" in english and "My sessions" in english
    staff.client.get("/account/sessions?lang=de")
    # Redis keeps the coarse description only
    stored = [staff.run(staff.state.services.redis.hget, keys.login_session(d), "device")
              for d in staff.run(staff.state.services.redis.smembers, keys.clerk_sessions(staff.accounts["anna"].id))]
    assert sorted(stored) == ["chrome/android", "firefox/windows"]

    # Not without the token, not without the current password
    assert staff.client.post("/account/sessions/end-others", data={"current_password": PASSWORD}).status_code == 403
    wrong = staff.post("/account/sessions/end-others", {"current_password": "geraten"}, form_page="/account/sessions")
    assert wrong.status_code == 400 and "Das aktuelle Passwort stimmt nicht." in wrong.text
    ended = staff.post("/account/sessions/end-others", {"current_password": PASSWORD}, form_page="/account/sessions")
    assert ended.status_code == 303
    assert "Alle anderen Anmeldungen sind beendet." in staff.client.get("/account/sessions").text
    staff.client.cookies.clear()
    staff.client.cookies.update(phone)
    assert staff.client.get("/api/me").status_code == 401
    staff.client.cookies.clear()
    staff.client.cookies.update(desk)
    assert staff.client.get("/api/me").status_code == 200

    # One session by its row; its own row logs this browser out
    staff.client.headers["User-Agent"] = CHROME_ANDROID
    staff.client.cookies.clear()
    assert staff.client.post("/api/login", json={"login": "anna", "password": PASSWORD}).status_code == 200
    phone = dict(staff.client.cookies)
    staff.client.cookies.clear()
    staff.client.cookies.update(desk)
    clerks = staff.state.services.clerks
    digests = {s.device: s.digest for s in staff.run(clerks.sessions, staff.accounts["anna"].id)}
    assert staff.post(f"/account/sessions/{digests['chrome/android']}/end", {"current_password": PASSWORD},
                      form_page="/account/sessions").status_code == 303
    staff.client.cookies.clear()
    staff.client.cookies.update(phone)
    assert staff.client.get("/api/me").status_code == 401
    staff.client.cookies.clear()
    staff.client.cookies.update(desk)
    # Another account's session cannot be ended from here
    staff.client.cookies.clear()
    assert staff.client.post("/api/login", json={"login": "root", "password": PASSWORD}).status_code == 200
    roots = dict(staff.client.cookies)
    root_digest = staff.run(clerks.sessions, staff.accounts["root"].id)[0].digest
    staff.client.cookies.clear()
    staff.client.cookies.update(desk)
    assert staff.post(f"/account/sessions/{root_digest}/end", {"current_password": PASSWORD},
                      form_page="/account/sessions").status_code == 404
    staff.client.cookies.clear()
    staff.client.cookies.update(roots)
    assert staff.client.get("/api/me").status_code == 200
    staff.client.cookies.clear()
    staff.client.cookies.update(desk)
    own = staff.post(f"/account/sessions/{digests['firefox/windows']}/end", {"current_password": PASSWORD}, form_page="/account/sessions")
    assert own.status_code == 303 and own.headers["location"] == "/login?logged_out=1"
    assert staff.client.get("/api/me").status_code == 401
    assert staff.run(clerks.sessions, staff.accounts["anna"].id) == []
