"""Tenants on the pages: the citizen pages in the tenant's look, a tenant administrator's snippet and
lists, an operator's choice of tenant, and a single city exactly as before."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALWAYS, RedisServer
from tests.server.staff_pages import PASSWORD, Staff, start
from tests.server.test_admin_pages import OFFICE
from virtual_office.mail import Message
from virtual_office.queue import ADMIN, OPERATOR, Office, Tenant

PASSAU = Tenant("passau", "Stadt Passau", "09262000", logo="/static/favicon.svg", colour="#8a1538", hotline="0851 396-0",
                privacy_url="https://www.passau.de/datenschutz", accessibility_url="https://www.passau.de/barrierefreiheit")


@pytest.fixture
def site(redis_server: RedisServer, tmp_path: Path) -> Iterator[Staff]:
    for staff in start(redis_server, tmp_path):
        async def seed(services: Any = staff.state.services) -> None:
            await services.tenants.save(PASSAU)
            await services.offices.save(Office.from_config({"id": "pa-meldeamt", "name": "Passauer Meldeamt", "hours": ALWAYS,
                                                            "tenant": "passau"}))
            await services.clerks.add("pia", "Pia Passau", PASSWORD, role=ADMIN, tenant="passau")
            await services.clerks.add("olga", "Olga Betrieb", PASSWORD, role=OPERATOR)

        staff.run(seed)
        yield staff


def test_the_citizen_pages_take_the_tenant_look(site: Staff) -> None:
    page = site.client.get("/w/pa-meldeamt")
    assert page.status_code == 200
    assert '<img class="tenant-logo" src="/static/favicon.svg" alt="Stadt Passau">' in page.text
    assert '<link rel="stylesheet" href="/tenants/passau/colour.css">' in page.text
    assert '<a href="https://www.passau.de/datenschutz">Datenschutz</a>' in page.text
    assert '<a href="https://www.passau.de/barrierefreiheit">Barrierefreiheit</a>' in page.text
    assert '<a href="tel:08513960">0851 396-0</a>' in page.text  # the office names none: the tenant's number
    colour = site.client.get("/tenants/passau/colour.css")
    assert colour.headers["content-type"].startswith("text/css") and "--brand: #8a1538; --brand-dark: #670f2a;" in colour.text
    assert site.client.get("/tenants/nowhere/colour.css").json() == {"ok": False, "error": "unknown_tenant"}
    # The default tenant's pages look as before: no logo, colour or statement links.
    plain = site.client.get("/w/buergerbuero")
    assert "tenant-logo" not in plain.text and "/tenants/" not in plain.text and "tenant-links" not in plain.text


def test_a_logo_elsewhere_is_allowed_as_an_image_of_that_page_only(site: Staff) -> None:
    site.run(site.state.services.tenants.save, Tenant(**{**PASSAU.to_config(), "logo": "https://www.passau.de/logo.svg"}))
    assert "img-src 'self' https://www.passau.de data:" in site.client.get("/w/pa-meldeamt").headers["content-security-policy"]
    assert "passau" not in site.client.get("/w/buergerbuero").headers["content-security-policy"]


def test_a_tenant_administrator_sees_and_makes_only_their_tenant_things(site: Staff) -> None:
    site.login("pia")
    overview = site.client.get("/admin")
    assert "Passauer Meldeamt" in overview.text and "/admin/offices/buergerbuero" not in overview.text and "Anna Amt" not in overview.text
    snippet = site.client.get("/admin/embed")
    assert 'data-tenant="passau"' in html.unescape(snippet.text) and 'value="buergerbuero"' not in snippet.text
    made_office = site.post("/admin/offices/new", {**OFFICE, "id": "pa-kfz", "name": "Passauer Kfz", "tenant": "default"})
    assert made_office.status_code == 303, made_office.text
    assert site.run(site.state.services.offices.get, "pa-kfz").tenant == "passau"  # the form's tenant is not hers to choose
    made = site.post("/admin/clerks/new", {"login": "paul", "name": "Paul Passau", "role": "clerk", "password": "ein langes neues passwort",
                                           "offices": ["pa-kfz", "buergerbuero"]}, form_page="/admin/clerks/new")
    assert made.status_code == 303
    paul = site.run(site.state.services.clerks.by_login, "paul")
    assert paul.tenant == "passau" and paul.offices == ("pa-kfz",)
    assert site.client.get("/admin/mail").status_code == 200  # the outbox: her tenant's mail (test below)


def test_an_operator_sees_every_tenant_and_creates_in_the_one_chosen(site: Staff) -> None:
    site.login("olga")
    overview = site.client.get("/admin")
    assert "Passauer Meldeamt" in overview.text and "/admin/offices/buergerbuero" in overview.text
    form = site.client.get("/admin/clerks/new")
    assert re.search(r'<option value="passau">Stadt Passau \(passau\)</option>', form.text)
    made = site.post("/admin/clerks/new", {"login": "pavel", "name": "Pavel Passau", "role": "admin", "tenant": "passau",
                                           "password": "ein langes neues passwort", "current_password": PASSWORD},
                     form_page="/admin/clerks/new")
    assert made.status_code == 303
    assert site.run(site.state.services.clerks.by_login, "pavel").tenant == "passau"
    assert 'data-tenant="passau"' in html.unescape(site.client.get("/admin/embed?tenant=passau").text)
    assert '<option value="passau">Stadt Passau (passau)</option>' in site.client.get("/admin/offices/new").text
    office = site.post("/admin/offices/new", {**OFFICE, "id": "pa-standesamt", "tenant": "passau"})
    assert office.status_code == 303 and site.run(site.state.services.offices.get, "pa-standesamt").tenant == "passau"
    assert site.client.get("/admin/mail").status_code == 200


def test_an_administrator_cannot_make_an_operator(site: Staff) -> None:
    site.login("root")
    refused = site.post("/admin/clerks/new", {"login": "neu", "name": "Neu", "role": "operator", "password": "ein langes neues passwort",
                                              "current_password": PASSWORD}, form_page="/admin/clerks/new")
    assert refused.status_code == 400 and site.run(site.state.services.clerks.by_login, "neu") is None
    assert "Olga Betrieb" not in site.client.get("/admin").text  # an operator's account is not the tenant's to change


def test_an_operator_creates_a_tenant_and_then_its_first_administrator(site: Staff) -> None:
    site.login("olga")
    page = site.client.get("/admin/tenants")
    assert page.status_code == 200 and 'id="tenant-passau"' in page.text and '<a href="/admin/tenants"' in page.text
    refused = site.post("/admin/tenants", {"id": "linz", "name": "Linz", "ags": "4021"})
    assert refused.status_code == 400 and "Der Gemeindeschlüssel hat acht Ziffern." in refused.text
    taken = site.post("/admin/tenants", {"id": "passau", "name": "Passau", "ags": "09262000"})
    assert taken.status_code == 400 and "Diese Kennung ist nicht verfügbar." in taken.text
    made = site.post("/admin/tenants", {"id": "straubing", "name": "Stadt Straubing", "ags": "09263000", "colour": "#00509e"})
    assert made.status_code == 303
    assert site.run(site.state.services.tenants.get, "straubing").colour == "#00509e"
    form = site.client.get("/admin/clerks/new?tenant=straubing")
    assert '<option value="straubing" selected>' in form.text
    first = site.post("/admin/clerks/new", {"login": "sara", "name": "Sara Straubing", "role": "admin", "tenant": "straubing",
                                            "password": "ein langes neues passwort", "current_password": PASSWORD},
                      form_page="/admin/clerks/new")
    assert first.status_code == 303 and site.run(site.state.services.clerks.by_login, "sara").tenant == "straubing"


def test_the_tenants_page_is_the_operators_only(site: Staff) -> None:
    site.login("pia")
    assert site.client.get("/admin/tenants").status_code == 403
    assert site.post("/admin/tenants", {"id": "x", "name": "X", "ags": "12345678"}, form_page="/admin").status_code == 403
    assert not site.run(site.state.services.tenants.exists, "x")
    assert '<a href="/admin/tenants"' not in site.client.get("/admin").text


def test_an_operator_edits_every_field_of_a_tenant_but_its_id(site: Staff) -> None:
    site.login("olga")
    page = site.client.get("/admin/tenants/passau")
    assert page.status_code == 200 and 'value="09262000"' in page.text and 'value="#8a1538"' in page.text
    fields = {**{k: v for k, v in PASSAU.to_config().items() if k != "id"}, "origins": "https://www.passau.de\nhttps://buergerservice.passau.de"}
    refused = site.post("/admin/tenants/passau", {**fields, "ags": "0926", "colour": "rot"}, form_page="/admin/tenants/passau")
    assert refused.status_code == 400 and "Der Gemeindeschlüssel hat acht Ziffern." in refused.text
    bad_site = site.post("/admin/tenants/passau", {**fields, "origins": "kein name"}, form_page="/admin/tenants/passau")
    assert bad_site.status_code == 400 and "Keine Website-Adresse: kein name" in bad_site.text
    assert site.run(site.state.services.tenants.get, "passau") == PASSAU  # a form with a mistake changes nothing
    assert site.run(site.state.origins.administered, "passau") == set()
    saved = site.post("/admin/tenants/passau", {**fields, "id": "anders", "name": "Stadt Passau an der Donau", "ags": "09262001",
                                                "colour": "#00509e", "mail_from": "rathaus@passau.de"}, form_page="/admin/tenants/passau")
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/tenants/passau"
    tenant = site.run(site.state.services.tenants.get, "passau")
    assert (tenant.id, tenant.name, tenant.ags, tenant.colour, tenant.mail_from) == (
        "passau", "Stadt Passau an der Donau", "09262001", "#00509e", "rathaus@passau.de")
    assert site.run(site.state.origins.administered, "passau") == {"https://www.passau.de", "https://buergerservice.passau.de"}
    assert not site.run(site.state.services.tenants.exists, "anders")


def test_a_tenant_administrator_edits_what_citizens_see_of_their_own_tenant_only(site: Staff) -> None:
    site.login("pia")
    assert '<a href="/admin/tenants/passau"' in site.client.get("/admin").text
    page = site.client.get("/admin/tenants/passau")
    assert page.status_code == 200 and 'name="ags"' not in page.text and 'name="name"' not in page.text and 'name="id"' not in page.text
    saved = site.post("/admin/tenants/passau", {"name": "Übernommen", "ags": "11111111", "logo": "https://www.passau.de/wappen.svg",
                                                "colour": "#123456", "hotline": "0851 1", "origins": "https://www.passau.de"},
                      form_page="/admin/tenants/passau")
    assert saved.status_code == 303
    tenant = site.run(site.state.services.tenants.get, "passau")
    assert (tenant.name, tenant.ags, tenant.logo, tenant.colour, tenant.hotline) == (
        "Stadt Passau", "09262000", "https://www.passau.de/wappen.svg", "#123456", "0851 1")
    for path in ("/admin/tenants/default", "/admin/tenants/default/delete"):
        assert site.client.get(path).status_code == 404, path
    assert site.post("/admin/tenants/default", {"colour": "#000000"}, form_page="/admin/tenants/passau").status_code == 404
    assert site.run(site.state.services.tenants.get, "default").colour == ""
    assert site.post("/admin/tenants/passau/delete", {}, form_page="/admin/tenants/passau").status_code == 403
    assert site.run(site.state.services.tenants.exists, "passau")


def test_only_an_empty_tenant_can_be_deleted_after_confirming(site: Staff) -> None:
    site.login("olga")
    assert site.post("/admin/tenants", {"id": "leer", "name": "Leerstadt", "ags": "09999999"}).status_code == 303
    site.run(site.state.origins.set_administered, ["https://www.leerstadt.de"], "leer")
    full = site.post("/admin/tenants/passau/delete", {}, form_page="/admin/tenants/passau")
    assert full.status_code == 409 and "Nur ein leerer Mandant" in full.text and site.run(site.state.services.tenants.exists, "passau")
    assert site.client.get("/admin/tenants/default/delete").status_code == 409
    confirm = site.client.get("/admin/tenants/leer/delete")
    assert confirm.status_code == 200 and 'action="/admin/tenants/leer/delete"' in confirm.text
    assert site.run(site.state.services.tenants.exists, "leer")  # asking is not deleting
    assert site.client.post("/admin/tenants/leer/delete").status_code == 403  # no CSRF token
    deleted = site.post("/admin/tenants/leer/delete", {}, form_page="/admin/tenants/leer/delete")
    assert deleted.status_code == 303 and not site.run(site.state.services.tenants.exists, "leer")
    assert site.run(site.state.origins.administered, "leer") == set()


def test_a_taken_login_or_id_is_not_available_without_saying_where(site: Staff) -> None:
    site.login("pia")
    login = site.post("/admin/clerks/new", {"login": "anna", "name": "Anna Passau", "role": "clerk", "password": "ein langes neues passwort"},
                      form_page="/admin/clerks/new")
    assert login.status_code == 400 and "Dieser Anmeldename ist nicht verfügbar." in login.text and "Anna Amt" not in login.text
    office = site.post("/admin/offices/new", {**OFFICE, "id": "buergerbuero", "name": "Passauer Bürgerbüro"})
    assert office.status_code == 400 and "Diese Kennung ist nicht verfügbar." in office.text


@pytest.mark.parametrize(("login", "queued", "own"), [("pia", 3, True), ("root", 1, True), ("olga", 4, False)])
def test_the_outbox_counts_the_mail_of_the_administrators_tenant(site: Staff, login: str, queued: int, own: bool) -> None:
    outbox = site.state.mail.outbox
    message = Message(to=("buerger@example.org",), subject="Ihr Termin", text="Hallo", kind="confirmation")
    for n in range(3):
        site.run(outbox.enqueue, message, key=f"test:passau:{n}", tenant="passau")
    site.run(outbox.enqueue, message, key="test:default:0")  # queued without a tenant: the default tenant's
    site.login(login)
    page = site.client.get("/admin/mail")
    assert page.status_code == 200 and f'<dd class="queued">{queued}</dd>' in page.text
    assert ('id="own-tenant"' in page.text) is own
    if own:  # the demo's kept mails name no tenant: the whole deployment's only
        assert site.client.get("/admin/mail/x.eml").status_code == 403
