"""Login lock-out with device cookies, against a real server process and a real Redis.

Every browser is its own HTTP client with its own cookie jar; all of them share 127.0.0.1,
so the per-address limit (20 failures) is kept out of reach except where it is the point.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator, Callable

import httpx
import itsdangerous
import pytest

from tests.server.conftest import PASSWORD, ServerProcess
from virtual_office.queue import keys

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
ATTEMPTS = 5  # VO_LOGIN_ATTEMPTS' default, which the server fixture keeps
PAUSED_DE = re.compile(r"Anmeldungen aus diesem Browser sind für (\d+) Minuten pausiert")


class Browser:
    """One browser: a cookie jar of its own, logging in through the login page like a person."""

    def __init__(self, server: ServerProcess) -> None:
        self.http = httpx.AsyncClient(base_url=server.url, follow_redirects=False)

    async def log_in(self, login: str, password: str = PASSWORD, *, stay: bool = False) -> httpx.Response:
        """Post the login form; unless ``stay``, drop the session again (the device cookie stays)."""
        response = await self.http.post("/login", data={"login": login, "password": password, "csrf_token": await self.token("/login")})
        if not stay:
            self.http.cookies.delete("vo_session")
        return response

    async def token(self, path: str) -> str:
        page = await self.http.get(path)
        token = TOKEN.search(page.text)
        assert token, page.text
        return token.group(1)

    def device_cookies(self) -> dict[str, str]:
        return {name: value for name, value in self.http.cookies.items() if name.startswith("vo_device_")}


@pytest.fixture
async def browsers(server: ServerProcess) -> AsyncIterator[Callable[[], Browser]]:
    """Opens a new browser each call; closes them all after the test."""
    opened: list[Browser] = []

    def browser() -> Browser:
        opened.append(Browser(server))
        return opened[-1]

    yield browser
    for b in opened:
        await b.http.aclose()


async def lock_untrusted(attacker: Browser, login: str = "anna") -> None:
    """What anyone who knows a login can do: wrong passwords until logins pause."""
    for _ in range(ATTEMPTS):
        assert (await attacker.log_in(login, "a wrong guess of a password")).status_code == 401
    assert (await attacker.log_in(login, "yet another wrong guess")).status_code == 429


async def test_an_attacker_without_a_device_cookie_cannot_lock_the_clerk_out_of_her_own_pc(browsers) -> None:
    """The weakness this closes: five wrong passwords from anywhere locked the account for everyone."""
    office_pc = browsers()
    assert (await office_pc.log_in("anna")).status_code == 303  # Anna has logged in at her PC before
    await lock_untrusted(browsers())
    assert (await browsers().log_in("anna")).status_code == 429  # a browser that never logged in to the account
    welcome = await office_pc.log_in("anna")
    assert welcome.status_code == 303 and welcome.headers["location"] == "/console"


async def test_a_paused_browser_is_told_so_and_for_how_long(browsers) -> None:
    await lock_untrusted(browsers())
    stranger = browsers()
    paused = await stranger.log_in("anna")  # the right password, all the same
    assert paused.status_code == 429
    minutes = PAUSED_DE.search(paused.text)
    assert minutes and int(minutes.group(1)) == 15, paused.text
    assert 14 * 60 <= int(paused.headers["retry-after"]) <= 15 * 60
    assert 'role="alert"' in paused.text and 'value="anna"' in paused.text
    assert (await stranger.http.get("/login?lang=en")).status_code == 200
    assert "logins from this browser are paused for 15 minutes" in (await stranger.log_in("anna")).text


async def test_the_pause_reads_the_same_for_a_login_that_does_not_exist(browsers) -> None:
    for login in ("anna", "nobody-by-this-name"):
        attacker = browsers()
        answers = [(await attacker.log_in(login, "a wrong guess of a password")) for _ in range(ATTEMPTS + 1)]
        assert [a.status_code for a in answers] == [401] * ATTEMPTS + [429]
        assert "Anmeldename oder Passwort ist falsch." in answers[0].text
        assert PAUSED_DE.search(answers[-1].text)


async def test_a_device_cookie_of_another_login_does_not_help(browsers) -> None:
    karls_pc, annas_pc = browsers(), browsers()
    assert (await karls_pc.log_in("karl")).status_code == 303
    assert (await annas_pc.log_in("anna")).status_code == 303
    await lock_untrusted(browsers())
    assert (await karls_pc.log_in("anna")).status_code == 429
    # Nor does Karl's cookie under the name Anna's has: it is bound to Karl's login.
    impostor = browsers()
    impostor.http.cookies.set(next(iter(annas_pc.device_cookies())), next(iter(karls_pc.device_cookies().values())))
    assert (await impostor.log_in("anna")).status_code == 429
    assert (await annas_pc.log_in("anna")).status_code == 303


async def test_a_forged_or_tampered_device_cookie_does_not_help(browsers) -> None:
    office_pc = browsers()
    assert (await office_pc.log_in("anna")).status_code == 303
    name, value = next(iter(office_pc.device_cookies().items()))
    await lock_untrusted(browsers())

    # Its contents as anyone can read them; changed, or signed with a key that is not the server's.
    reader = itsdangerous.URLSafeTimedSerializer("no key needed to read", salt="vo-device-cookie")
    _, contents = reader.loads_unsafe(value)
    assert set(contents) == {"account", "id", "generation"}
    _, timestamp, signature = value.rsplit(".", 2)
    changed = reader.dump_payload({**contents, "id": "chosen by the attacker"}).decode()
    forged = itsdangerous.URLSafeTimedSerializer("another deployment's secret key", salt="vo-device-cookie").dumps(contents)
    # The signature's first character: every bit of it counts (the last one's low bits
    # are base64 padding, so changing "A" into "B" there can leave the signature as it was).
    flipped = value[: -len(signature)] + ("A" if signature[0] != "A" else "B") + signature[1:]
    for fake in (f"{changed}.{timestamp}.{signature}", forged, flipped, "not a cookie at all", base64.b64encode(b"{}").decode()):
        browser = browsers()
        browser.http.cookies.set(name, fake)
        assert (await browser.log_in("anna")).status_code == 429, fake
    assert (await office_pc.log_in("anna")).status_code == 303  # the real one still works


async def test_wrong_passwords_with_a_device_cookie_lock_that_cookie_only(browsers) -> None:
    office_pc, laptop = browsers(), browsers()
    for browser in (office_pc, laptop):
        assert (await browser.log_in("anna")).status_code == 303
    for _ in range(ATTEMPTS):
        assert (await office_pc.log_in("anna", "a typing error")).status_code == 401
    paused = await office_pc.log_in("anna")
    assert paused.status_code == 429 and PAUSED_DE.search(paused.text)
    # Her other device, and browsers without a cookie, are not affected.
    assert (await laptop.log_in("anna")).status_code == 303
    assert (await browsers().log_in("anna")).status_code == 303


async def test_log_out_everywhere_makes_the_device_cookies_worthless(browsers, redis_client) -> None:
    office_pc = browsers()
    assert (await office_pc.log_in("anna")).status_code == 303
    admin = browsers()
    assert (await admin.log_in("root", stay=True)).status_code == 303
    anna = await redis_client.hget(keys.LOGINS, "anna")
    token = await admin.token(f"/admin/clerks/{anna}")
    assert (await admin.http.post(f"/admin/clerks/{anna}/logout", data={"csrf_token": token, "current_password": PASSWORD})).status_code == 303

    await lock_untrusted(browsers())
    assert (await office_pc.log_in("anna")).status_code == 429  # its cookie now counts for nothing


async def test_the_json_login_gives_a_device_cookie_and_says_how_long_it_pauses(browsers, server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url) as office_pc, httpx.AsyncClient(base_url=server.url) as attacker:
        assert (await office_pc.post("/api/login", json={"login": "anna", "password": PASSWORD})).status_code == 200
        for _ in range(ATTEMPTS):
            assert (await attacker.post("/api/login", json={"login": "anna", "password": "wrong guess"})).status_code == 401
        paused = await attacker.post("/api/login", json={"login": "anna", "password": PASSWORD}, headers={"Accept-Language": "en"})
        assert paused.status_code == 429
        body = paused.json()
        assert body["ok"] is False and body["error"] == "throttled" and 14 * 60 <= body["retry_after"] <= 15 * 60
        assert paused.headers["retry-after"] == str(body["retry_after"])
        assert (await office_pc.post("/api/login", json={"login": "anna", "password": PASSWORD})).status_code == 200


async def test_the_per_address_limit_still_holds(browsers) -> None:
    office_pc = browsers()
    assert (await office_pc.log_in("anna")).status_code == 303
    guesser = browsers()
    for i in range(ATTEMPTS * 4):  # four logins, five wrong passwords each: none of them locked on its own
        assert (await guesser.log_in(f"guess{i % 4}", "wrong")).status_code == 401
    assert (await guesser.log_in("bea")).status_code == 429
    assert (await office_pc.log_in("anna")).status_code == 429  # the same address: paused too

