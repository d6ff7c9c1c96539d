"""The administration's forms: offices, accounts, allowed websites, embed code, statistics."""

from __future__ import annotations

import html
import json
import re

import redis
from markupsafe import escape

from tests.passwords import NEW_PASSWORD, REFUSED
from tests.server.staff_pages import PASSWORD, Staff, staff_fixture  # noqa: F401 - the staff fixture
from virtual_office.queue import keys

OFFICE = {
    "id": "standesamt", "name": "Standesamt", "name_en": "Registry office", "description": "Urkunden",
    "description_en": "Certificates", "services": "Geburtsurkunde\nEheschließung", "languages": "de, en",
    "timezone": "Europe/Berlin", "max_queue": "20", "early_queue_minutes": "15", "prefix": "s",
    "embed_origins": "https://www.Musterstadt.de/", "order": "5",
    "hours-mon-start": ["08:00", "13:00", ""], "hours-mon-end": ["12:00", "16:00", ""],
    "hours-thu-start": ["14:00", ""], "hours-thu-end": ["18:00", ""],
    "closed_days": ["2026-12-24", "", "2026-12-25"],
}


BERNDS = "Bernd backt gern Brot am Sonntag"


def stored(staff: Staff, office_id: str) -> dict | None:
    raw = redis.Redis.from_url(staff.redis_url, decode_responses=True).get(keys.office(office_id))
    return json.loads(raw) if raw else None


def test_admin_creates_edits_and_deletes_an_office(staff: Staff) -> None:
    staff.login("root")
    response = staff.post("/admin/offices/new", OFFICE)
    assert response.status_code == 303, response.text
    saved = stored(staff, "standesamt")
    assert saved is not None
    assert saved["hours"] == {"mon": [["08:00", "12:00"], ["13:00", "16:00"]], "thu": [["14:00", "18:00"]]}
    assert saved["closed_days"] == ["2026-12-24", "2026-12-25"]
    assert saved["services"] == ["Geburtsurkunde", "Eheschließung"]
    assert saved["languages"] == ["de", "en"]
    assert saved["embed_origins"] == ["https://www.musterstadt.de"]
    assert (saved["prefix"], saved["max_queue"], saved["early_queue_minutes"], saved["order"]) == ("S", 20, 15, 5)
    overview = staff.client.get("/admin")
    assert "Das Amt wurde angelegt." in overview.text and 'data-office="standesamt"' in overview.text

    # the edit form shows what is stored, one row a range
    form = staff.client.get("/admin/offices/standesamt").text
    assert 'value="13:00"' in form and 'value="2026-12-25"' in form and "Geburtsurkunde\nEheschließung" in form

    edited = {**OFFICE, "name": "Standesamt Mitte", "hours-mon-start": ["08:00", ""], "hours-mon-end": ["12:00", ""],
              "closed_days": [""], "id": "ignored"}
    assert staff.post("/admin/offices/standesamt", edited).status_code == 303
    saved = stored(staff, "standesamt")
    assert saved["name"] == "Standesamt Mitte" and saved["id"] == "standesamt"
    assert saved["hours"]["mon"] == [["08:00", "12:00"]] and saved["closed_days"] == []
    assert stored(staff, "ignored") is None

    # staff it, then delete it: the confirmation page first, then the post
    anna = staff.accounts["anna"]
    staff.post(f"/admin/clerks/{anna.id}", {"name": "Anna Amt", "role": "clerk", "offices": ["buergerbuero", "standesamt"]})
    confirm = staff.client.get("/admin/offices/standesamt/delete")
    assert confirm.status_code == 200 and "Endgültig löschen" in confirm.text
    assert stored(staff, "standesamt") is not None
    assert staff.post("/admin/offices/standesamt/delete", {}).status_code == 303
    assert stored(staff, "standesamt") is None
    assert 'data-office="standesamt"' not in staff.client.get("/admin").text
    anna_now = staff.run(staff.state.services.clerks.get, anna.id)
    assert anna_now.offices == ("buergerbuero",)


def _error_for(page: str, field: str) -> str:
    """The message tied to a field, after checking the tie (aria-describedby, aria-invalid)."""
    tag = re.search(rf'<(?:input|textarea)[^>]*id="{re.escape(field)}"[^>]*>', page)
    assert tag, f"no field {field}"
    assert f"{field}-error" in tag.group(0) and 'aria-invalid="true"' in tag.group(0), tag.group(0)
    message = re.search(rf'<p id="{re.escape(field)}-error" class="field-error">([^<]*)</p>', page)
    assert message, f"no error shown for {field}"
    return html.unescape(message.group(1))


def test_validation_errors_are_shown_next_to_the_fields_and_the_input_is_kept(staff: Staff) -> None:
    staff.login("root")
    bad = {**OFFICE, "id": "Bad Id!", "name": "", "languages": "deutsch", "timezone": "Mars/Olympus", "max_queue": "0",
           "early_queue_minutes": "lots", "prefix": "TOOLONG", "embed_origins": "not a website",
           "hours-mon-start": ["08:00", "11:00"], "hours-mon-end": ["12:00", "13:00"],
           "hours-tue-start": ["25:00"], "hours-tue-end": ["26:00"],
           "hours-wed-start": ["12:00"], "hours-wed-end": ["08:00"],
           "closed_days": ["24.12.2026"]}
    response = staff.post("/admin/offices/new", bad)
    assert response.status_code == 400
    page = response.text
    assert "ganze Zahl zwischen 1 und 10000" in _error_for(page, "max_queue")
    assert "ganze Zahl zwischen 0 und 240" in _error_for(page, "early_queue_minutes")
    assert "Kleinbuchstaben" in _error_for(page, "id")
    assert "Namen" in _error_for(page, "name")
    assert "Sprachkürzel" in _error_for(page, "languages")
    assert "Zeitzone" in _error_for(page, "timezone")
    assert "drei" in _error_for(page, "prefix")
    assert "not a website" in _error_for(page, "embed_origins")
    for day, text in (("mon", "überschneiden"), ("tue", "SS:MM"), ("wed", "nach seinem Beginn")):
        assert re.search(rf'id="hours-{day}-error" class="field-error">[^<]*{text}', page), day
        assert f'aria-describedby="hours-hint hours-{day}-error"' in page
    assert re.search(r'id="closed_days-error" class="field-error">Kein Datum: 24.12.2026', page)
    # what was typed is still there, and a summary at the top links to the fields
    for kept in ('value="Bad Id!"', 'value="Mars/Olympus"', 'value="25:00"', 'value="TOOLONG"', 'value="24.12.2026"', ">not a website<"):
        assert kept in page, kept
    assert 'class="error-summary" role="alert"' in page and 'href="#max_queue"' in page
    assert stored(staff, "Bad Id!") is None and len(staff.run(staff.state.services.offices.ids)) == 2


def test_an_office_id_cannot_be_taken_twice(staff: Staff) -> None:
    staff.login("root")
    response = staff.post("/admin/offices/new", {**OFFICE, "id": "kfz"})
    assert response.status_code == 400
    assert "nicht verfügbar" in _error_for(response.text, "id")
    assert stored(staff, "kfz")["name"] == "Kfz-Zulassung"


def test_admin_creates_edits_and_deletes_an_account(staff: Staff) -> None:
    staff.login("root")
    response = staff.post("/admin/clerks/new", {"login": "Bernd", "name": "Bernd Beispiel", "role": "clerk",
                                                "offices": ["kfz", "does-not-exist"], "password": BERNDS})
    assert response.status_code == 303, response.text
    overview = staff.client.get("/admin").text
    assert 'data-clerk="bernd"' in overview and "Bernd Beispiel" in overview
    bernd = staff.run(staff.state.services.clerks.by_login, "bernd")
    assert bernd.offices == ("kfz",) and bernd.role == "clerk"

    # the form never shows a password; an empty one keeps the old
    form = staff.client.get(f"/admin/clerks/{bernd.id}").text
    assert BERNDS not in form and 'value="kfz" checked' in form
    # making an administrator needs the current password (server/reauth.py)
    assert staff.post(f"/admin/clerks/{bernd.id}", {"name": "Bernd B.", "role": "admin", "offices": ["buergerbuero"],
                                                     "password": ""}).status_code == 400
    assert staff.post(f"/admin/clerks/{bernd.id}", {"name": "Bernd B.", "role": "admin", "offices": ["buergerbuero"],
                                                     "password": "", "current_password": PASSWORD}).status_code == 303
    bernd = staff.run(staff.state.services.clerks.get, bernd.id)
    assert (bernd.name, bernd.role, bernd.offices) == ("Bernd B.", "admin", ("buergerbuero",))
    assert staff.post(f"/admin/clerks/{bernd.id}", {"name": "Bernd B.", "role": "admin", "password": NEW_PASSWORD}).status_code == 303

    staff.client.cookies.clear()
    assert staff.login("bernd", BERNDS).status_code == 401
    assert staff.login("bernd", NEW_PASSWORD).status_code == 303

    staff.client.cookies.clear()
    staff.login("root")
    # deleting an administrator needs the current password too
    assert staff.post(f"/admin/clerks/{bernd.id}/delete", {}).status_code == 400
    assert staff.run(staff.state.services.clerks.get, bernd.id) is not None
    assert staff.post(f"/admin/clerks/{bernd.id}/delete", {"current_password": PASSWORD}).status_code == 303
    assert staff.run(staff.state.services.clerks.get, bernd.id) is None
    staff.client.cookies.clear()
    assert staff.login("bernd", NEW_PASSWORD).status_code == 401


def test_account_form_errors(staff: Staff) -> None:
    staff.login("root")
    response = staff.post("/admin/clerks/new", {"login": "anna", "name": "", "role": "boss", "password": "kurz"})
    assert response.status_code == 400
    page = response.text
    assert "nicht verfügbar" in _error_for(page, "login")
    assert "Namen" in _error_for(page, "name")
    assert "15 Zeichen" in _error_for(page, "password")
    assert 'id="role-error"' in page and 'aria-describedby="role-error"' in page
    assert 'value="kurz"' not in page  # a password is never sent back

    root = staff.accounts["root"]
    own = staff.post(f"/admin/clerks/{root.id}", {"name": "Ada Admin", "role": "clerk"})
    assert own.status_code == 400 and 'id="role-error"' in own.text
    assert staff.client.get(f"/admin/clerks/{root.id}/delete").status_code == 400
    assert staff.post(f"/admin/clerks/{root.id}/delete", {}, form_page="/admin").status_code == 400
    assert staff.run(staff.state.services.clerks.get, root.id).role == "admin"


def test_allowed_websites(staff: Staff) -> None:
    staff.login("root")
    response = staff.post("/admin/origins", {"origins": "https://www.Musterstadt.de/\nhttps://landkreis.example:8443"})
    assert response.status_code == 200 and "gespeichert" in response.text
    assert staff.run(staff.state.origins.administered) == {"https://www.musterstadt.de", "https://landkreis.example:8443"}
    bad = staff.post("/admin/origins", {"origins": "https://ok.example\nftp://nope\nkein Link"})
    assert bad.status_code == 400
    assert "ftp://nope, kein Link" in _error_for(bad.text, "origins")
    assert "https://ok.example\nftp://nope" in bad.text  # kept as typed
    assert staff.run(staff.state.origins.administered) == {"https://www.musterstadt.de", "https://landkreis.example:8443"}


def test_embed_snippet_and_preview(staff: Staff) -> None:
    staff.login("root")
    page = staff.client.get("/admin/embed?offices=kfz&offices=buergerbuero&offices=unknown").text
    snippet = '<script src="http://127.0.0.1:8000/widget.js" data-offices="kfz,buergerbuero" async></script>'
    assert str(escape(snippet)) in page
    assert 'src="/admin/embed/preview?offices=kfz,buergerbuero"' in page
    preview = staff.client.get("/admin/embed/preview?offices=kfz,buergerbuero")
    assert '<script src="/widget.js" data-offices="kfz,buergerbuero" data-preview async></script>' in preview.text
    assert preview.headers["x-frame-options"] == "SAMEORIGIN"
    everything = staff.client.get("/admin/embed").text
    assert str(escape('<script src="http://127.0.0.1:8000/widget.js" async></script>')) in everything


def test_statistics_count_visits_and_show_only_aggregates(staff: Staff) -> None:
    services = staff.state.services
    root = staff.accounts["root"]

    async def one_visit(name: str) -> None:
        await services.presence.set("buergerbuero", root.id, "available")
        joined = await services.room.join("buergerbuero", name=name, concern="Geheimes Anliegen")
        await services.room.heartbeat(joined.ticket, online=True)  # the citizen's page connects
        await services.room.call_next("buergerbuero", root.id)
        await services.room.accept(joined.token)
        await services.room.finish("buergerbuero", joined.ticket.id)

    staff.run(one_visit, "Erika Geheim")
    staff.run(one_visit, "Max Geheim")
    staff.login("root")
    page = staff.client.get("/admin/stats?office=buergerbuero&days=7").text
    assert re.search(r'<td class="visits" data-label="Gespräche">2</td>', page)
    assert "Insgesamt 2 Gespräche" in page
    assert page.count('<rect x=') == 7 and 'role="img" aria-labelledby="chart-title chart-desc"' in page
    assert "Geheim" not in page
    kfz = staff.client.get("/admin/stats?office=kfz&days=30").text
    assert kfz.count('<td class="visits" data-label="Gespräche">0</td>') == 30
    assert staff.client.get("/admin/stats?office=nope&days=abc").status_code == 200


def test_only_a_posted_form_with_its_token_changes_anything(staff: Staff) -> None:
    """HEAD (which Starlette answers for every GET route) and a foreign Origin delete nothing."""
    staff.login("root")
    assert staff.post("/admin/offices/new", OFFICE).status_code == 303
    anna = staff.accounts["anna"]
    for path in ("/admin/offices/standesamt/delete", f"/admin/clerks/{anna.id}/delete", "/admin/offices/standesamt",
                 "/admin/origins"):
        head = staff.client.head(path, headers={"Origin": "https://evil.example"})
        assert head.status_code == 200, (path, head.status_code)
    assert stored(staff, "standesamt") is not None
    assert staff.run(staff.state.services.clerks.get, anna.id) is not None
    # A post without the token, or from elsewhere, is refused too.
    assert staff.client.post("/admin/offices/standesamt/delete", data={}).status_code == 403
    token = staff.token("/admin/offices/standesamt/delete")
    foreign = staff.client.post("/admin/offices/standesamt/delete", data={"csrf_token": token}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert stored(staff, "standesamt") is not None


PASSWORD_ERRORS = {
    "too_short": ("Das Passwort braucht mindestens 15 Zeichen.", "The password needs at least 15 characters."),
    "too_long": ("Das Passwort ist länger als erlaubt.", "The password is longer than allowed."),
    "unprintable": ("keine Steuerzeichen", "may not contain control characters"),
    "common": ("Liste häufiger oder bekannt gewordener Passwörter", "list of common or breached passwords"),
    "context": ("beruht auf dem Anmeldenamen, dem Namen, einem Amt", "rests on the login, the name, an office"),
    "repetitive": ("nur aus Wiederholungen", "only repetition"),
    "sequential": ("Tasten- oder Zeichenfolge", "run of keys or characters"),
}


def test_the_account_form_says_the_password_rule_and_each_reason_a_password_is_refused(staff: Staff) -> None:
    staff.login("root")
    for lang, hint in (("de", "Mindestens 15 Zeichen. Am besten ein Satz"), ("en", "At least 15 characters. Best a sentence")):
        staff.client.get(f"/admin?lang={lang}")
        page = staff.client.get("/admin/clerks/new").text
        assert hint in html.unescape(page) and 'aria-describedby="password-hint"' in page
        for reason, password in REFUSED.items():
            # Anna's name is the context here: a new account "anna.amt" of Anna Amt in the Bürgerbüro
            response = staff.post("/admin/clerks/new", {"login": "anna.amt", "name": "Anna Amt", "role": "clerk",
                                                        "offices": ["buergerbuero"], "password": password})
            assert response.status_code == 400, (lang, reason)
            message = html.unescape(_error_for(response.text, "password"))
            assert PASSWORD_ERRORS[reason][lang == "en"] in message, (lang, reason, message)
            assert escape(password) not in response.text  # never sent back
    assert staff.run(staff.state.services.clerks.by_login, "anna.amt") is None


def test_a_refused_password_gives_every_reason_and_a_new_one_is_checked_too(staff: Staff) -> None:
    staff.login("root")
    response = staff.post("/admin/clerks/new", {"login": "neu", "name": "Neu", "role": "clerk", "password": "abc123"})
    message = html.unescape(_error_for(response.text, "password"))
    assert "mindestens 15 Zeichen" in message and "Liste häufiger" in message and response.status_code == 400
    anna = staff.accounts["anna"]
    for password in (REFUSED["common"], "Anna Amt und das Bürgerbüro"):  # the office's name counts as context
        changed = staff.post(f"/admin/clerks/{anna.id}", {"name": "Anna Amt", "role": "clerk", "password": password})
        assert changed.status_code == 400 and _error_for(changed.text, "password")
    staff.client.cookies.clear()
    assert staff.login("anna").status_code == 303  # her password is unchanged
