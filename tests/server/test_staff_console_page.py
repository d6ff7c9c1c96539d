"""The console page as the server renders it: the clerk's offices, the script's strings, its assets."""

from __future__ import annotations

import json
import re

from tests.server.staff_pages import Staff, staff_fixture  # noqa: F401 - the staff fixture


def config_of(page: str) -> dict:
    return json.loads(page.split('<script type="application/json" id="console-config">', 1)[1].split("</script>", 1)[0])


def test_the_console_shows_the_offices_the_clerk_staffs(staff: Staff) -> None:
    staff.login("anna")
    page = staff.client.get("/console").text
    assert 'data-office="buergerbuero"' in page and 'data-office="kfz"' not in page
    assert '<section id="visit-media" class="card media-placeholder" aria-label="Video">' in page
    config = config_of(page)
    assert config["clerk_id"] == staff.accounts["anna"].id
    assert [o["id"] for o in config["offices"]] == ["buergerbuero"]
    assert [o["id"] for o in config["targets"]] == ["buergerbuero", "kfz"]  # transfers may go anywhere
    assert config["strings"]["ended.no_show"].startswith("Nicht erschienen")
    assert config["strings"]["error.queue_empty"] == "Niemand wartet."
    for key in ("N", "F", "B", "X"):
        assert f"<kbd>{key}</kbd>" in page
    # nobody waits until the queue says otherwise, and the count next to "call next" says so
    assert ('<button type="button" class="call-next primary" aria-keyshortcuts="N" aria-describedby="waiting-buergerbuero" disabled>'
            in page)
    assert '<p id="waiting-buergerbuero" class="waiting-count" aria-live="polite">Niemand wartet</p>' in page
    # a call may be withdrawn at once: no-show is never disabled by the page itself
    assert re.search(r'<button type="button" id="no-show"[^>]*aria-describedby="no-show-hint">', page)
    assert not re.search(r'<button type="button" id="no-show"[^>]*disabled', page)
    assert "jederzeit zurücknehmen" in page


def test_the_console_in_english(staff: Staff) -> None:
    staff.login("anna")
    page = staff.client.get("/console", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in page and "Call next person" in page
    config = config_of(page)
    assert config["lang"] == "en" and config["strings"]["ended.no_show"].startswith("No-show")


def test_a_clerk_without_offices_is_told_so(staff: Staff) -> None:
    staff.login("root")
    staff.post(f"/admin/clerks/{staff.accounts['anna'].id}", {"name": "Anna Amt", "role": "clerk"}, form_page="/admin")
    staff.client.cookies.clear()
    staff.login("anna")
    page = staff.client.get("/console").text
    assert "keinem Amt zugeordnet" in page and config_of(page)["offices"] == []


def test_the_console_assets_are_served(staff: Staff) -> None:
    client = staff.client.get("/static/vendor/socket.io.min.js")
    assert client.status_code == 200 and client.headers["content-type"].startswith("text/javascript")
    assert "socket.io" in client.text[:200].lower() or "engine.io" in client.text.lower()
    for path in ("/static/staff.css", "/static/base.css"):
        assert staff.client.get(path).status_code == 200, path
    staff.login("root")
    for page, name in (("/console", "console"), ("/admin/embed", "admin")):
        bundle = re.search(rf'<script src="(/assets/{name}-[0-9a-f]{{12}}\.js)"></script>', staff.client.get(page).text)
        assert bundle, page
        script = staff.client.get(bundle[1])
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript"), page


def test_the_token_may_come_in_a_header(staff: Staff) -> None:
    staff.login("anna")
    token = staff.token("/console")
    response = staff.client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert staff.client.get("/console", follow_redirects=False).status_code == 303


def test_a_language_chosen_before_login_stays_after_it(staff: Staff) -> None:
    staff.client.get("/login?lang=en")
    staff.login("anna")
    assert '<html lang="en">' in staff.client.get("/console").text
    staff.post("/logout", {}, form_page="/console")
    assert "Staff login" in staff.client.get("/login").text
