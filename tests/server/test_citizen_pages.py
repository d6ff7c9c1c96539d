"""The citizen's waiting room page: languages, unknown offices, security headers, escaping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ALWAYS, RedisServer
from tests.server.staff_pages import Staff, start
from virtual_office.queue import Office, OfficeDirectory

CITY = "https://www.musterstadt.de"
EVIL = '<img src=x onerror="alert(1)">Amt</script><script>alert(2)</script>'


@pytest.fixture
def site(redis_server: RedisServer, tmp_path: Path) -> Iterator[Staff]:
    yield from start(redis_server, tmp_path, allowed_origins=(CITY,))


def save(site: Staff, **spec: object) -> None:
    async def run() -> None:
        await OfficeDirectory(site.state.services.redis).save(Office.from_config({"hours": ALWAYS, **spec}))

    site.run(run)


def config(html: str) -> dict[str, object]:
    raw = html.split('<script type="application/json" id="room-config">', 1)[1].split("</script>", 1)[0]
    assert "<" not in raw
    return json.loads(raw)


def test_waiting_room_in_german_and_english(site: Staff) -> None:
    save(site, id="buergerbuero", name="Bürgerbüro", name_en="Citizens' office", services=["Personalausweis", "Ummeldung"],
         languages=["de", "en"])
    german = site.client.get("/w/buergerbuero", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert german.status_code == 200
    assert '<html lang="de">' in german.text
    assert german.text.count("<h1") == 1
    assert "<h1 id=\"room-title\">Virtueller Warteraum: Bürgerbüro</h1>" in german.text
    assert '<option value="Personalausweis">Personalausweis</option>' in german.text
    assert "Jetzt anstellen" in german.text
    assert re.search(r'<script src="/assets/waiting_room-[0-9a-f]{12}\.js" defer></script>', german.text)
    assert "vo_session" not in german.headers.get("set-cookie", "")  # the waiting room keeps no cookie
    cfg = config(german.text)
    assert cfg["office_id"] == "buergerbuero" and cfg["lang"] == "de" and cfg["embedded"] is False
    assert cfg["strings"]["called.title"] == "Sie sind dran!"
    assert cfg["storage_key"] == "virtual-office.ticket.buergerbuero"

    english = site.client.get("/w/buergerbuero?lang=en&embed=1", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in english.text
    assert "Virtual waiting room: Citizens&#39; office" in english.text
    assert "Join the queue now" in english.text
    cfg = config(english.text)
    assert cfg["embedded"] is True and cfg["strings"]["called.title"] == "It is your turn!"
    # the language switch keeps the page's other parameters
    assert 'href="/w/buergerbuero?embed=1&amp;lang=de"' in english.text

    by_header = site.client.get("/w/buergerbuero", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in by_header.text


def test_unknown_office_is_a_404_page(site: Staff) -> None:
    response = site.client.get("/w/gibtsnicht?lang=de")
    assert response.status_code == 404
    assert "Dieses Amt gibt es nicht" in response.text
    assert "Content-Security-Policy" in response.headers
    assert site.client.get("/w/gibtsnicht?lang=en").text.count("There is no such office") >= 1


def test_security_headers_and_frame_ancestors(site: Staff) -> None:
    save(site, id="kfz", name="Kfz", embed_origins=["https://landkreis.example"])
    site.run(site.state.origins.set_administered, ["https://partner.example"])
    response = site.client.get("/w/kfz")
    policy = response.headers["content-security-policy"]
    rules = dict(rule.strip().split(" ", 1) for rule in policy.split(";"))
    assert rules["script-src"] == "'self'"
    assert rules["frame-ancestors"].split() == ["'self'", "https://landkreis.example", "https://partner.example", CITY]
    assert "unsafe-inline" not in policy
    assert "x-frame-options" not in response.headers  # it would forbid the allowed websites
    assert "camera=(self)" in response.headers["permissions-policy"]
    assert "microphone=(self)" in response.headers["permissions-policy"]
    assert "display-capture=(self)" in response.headers["permissions-policy"]
    assert response.headers["cache-control"] == "no-store"
    # no inline scripts: every <script> either has a src or carries JSON
    for tag in response.text.split("<script")[1:]:
        head = tag.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head
    # another office does not inherit this office's embedding websites
    save(site, id="andere", name="Andere")
    other = site.client.get("/w/andere").headers["content-security-policy"]
    assert "landkreis" not in other and "partner.example" in other


def test_any_website_when_the_allowlist_says_so(redis_server: RedisServer, tmp_path: Path) -> None:
    for anywhere in start(redis_server, tmp_path, allowed_origins=("*",)):
        save(anywhere, id="buergerbuero", name="Bürgerbüro")
        policy = anywhere.client.get("/w/buergerbuero").headers["content-security-policy"]
        assert "frame-ancestors *" in policy


def test_markup_in_office_data_stays_text(site: Staff) -> None:
    save(site, id="boese", name=EVIL, name_en=EVIL, description=EVIL, services=[EVIL])
    for lang in ("de", "en"):
        html = site.client.get(f"/w/boese?lang={lang}").text
        assert "<img src=x" not in html and "<script>alert" not in html
        assert "&lt;img src=x" in html
        assert config(html)["office_name"] == EVIL


def test_the_scripts_are_served(site: Staff) -> None:
    response = site.client.get("/static/vendor/socket.io.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    save(site, id="buergerbuero", name="Bürgerbüro")
    bundle = re.search(r'<script src="(/assets/waiting_room-[0-9a-f]{12}\.js)"', site.client.get("/w/buergerbuero").text)
    assert bundle
    script = site.client.get(bundle[1])
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "window.VirtualOfficeConnectionCheck" in script.text
