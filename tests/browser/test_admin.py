"""The administration in Chromium: forms a non-programmer can use, the embed code, statistics, axe."""

from __future__ import annotations

import asyncio
import re

import pytest
import socketio
from playwright.sync_api import expect

from tests.browser.staff_fixtures import (  # noqa: F401 - staff_env_fixture is a fixture
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    StaffEnv,
    _aside,
    axe_violations,
    log_in,
    staff_env_fixture,
)


def test_office_form_shows_errors_next_to_the_fields_and_keeps_the_input(staff_env: StaffEnv, page, axe_source) -> None:
    log_in(page, staff_env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    page.goto(staff_env.origin + "/admin/offices/new")
    assert axe_violations(page, axe_source) == []
    page.locator("#id").fill("Falsch!")
    page.locator("#max_queue").fill("0")
    tuesday = page.locator("fieldset.day[data-day='tue']")
    tuesday.locator("input").nth(0).fill("16:00")
    tuesday.locator("input").nth(1).fill("09:00")
    page.get_by_label("Telefon-Hotline").fill("Ruf 0941 an")
    page.get_by_role("button", name="Speichern").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(5)  # id, name, hotline, max_queue, tuesday
    name = page.locator("#name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("Bitte geben Sie einen Namen ein."))
    expect(page.locator("#max_queue")).to_have_accessible_description(re.compile("zwischen 1 und 10000"))
    expect(page.locator("#hours-tue-0-start")).to_have_value("16:00")
    expect(page.locator("#hours-tue-0-start")).to_have_accessible_description(re.compile("nach seinem Beginn"))
    expect(page.locator("#id")).to_have_value("Falsch!")
    hotline = page.locator("#hotline")
    expect(hotline).to_have_value("Ruf 0941 an")
    expect(hotline).to_have_attribute("type", "tel")
    expect(hotline).to_have_accessible_description(re.compile("gezeigt.*3 bis 30 Zeichen"))
    # the summary's links lead to the fields
    summary.get_by_role("link", name=re.compile("Namen")).click()
    expect(name).to_be_focused()
    assert axe_violations(page, axe_source) == []

    # ranges and closed days can be added and removed without typing field names
    monday = page.locator("fieldset.day[data-day='mon']").first  # the opening hours' (the appointment hours have a week too)
    add = monday.get_by_role("button", name=re.compile("Zeitraum hinzufügen"))
    add.click()
    add.click()
    expect(monday.locator("li.range")).to_have_count(3)
    monday.locator("li.range").nth(1).get_by_role("button", name=re.compile("Entfernen")).click()
    expect(monday.locator("li.range")).to_have_count(2)
    expect(add).to_be_focused()
    page.get_by_role("button", name="Tag hinzufügen").click()
    expect(page.locator("ul.dates li")).to_have_count(2)


def test_accounts_and_websites(staff_env: StaffEnv, page, axe_source) -> None:
    log_in(page, staff_env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    assert axe_violations(page, axe_source) == []  # the overview
    page.get_by_role("link", name="Neues Konto").click()
    page.locator("#login").fill("ab")
    page.locator("#name").fill("Konrad Kurz")
    page.locator("#password").fill("kurz")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#password")).to_have_accessible_description(re.compile("mindestens 15 Zeichen.*bekannt gewordener Passwörter"))
    expect(page.locator("#name")).to_have_value("Konrad Kurz")
    assert axe_violations(page, axe_source) == []
    page.locator("#password").fill("lang genug jetzt")
    page.get_by_label("Kfz-Zulassung").check()
    page.get_by_role("button", name="Speichern").click()
    row = page.locator("tr[data-clerk='ab']")
    expect(row).to_contain_text("Kfz-Zulassung")
    row.get_by_role("link", name=re.compile("Bearbeiten")).click()
    page.get_by_role("radio", name="Verwaltung").check()
    page.get_by_role("button", name="Speichern").click()
    # making an administrator needs the administrator's current password (docs/security.md)
    expect(page.locator("#current_password")).to_have_accessible_description(re.compile("Das aktuelle Passwort stimmt nicht."))
    assert axe_violations(page, axe_source) == []
    page.locator("#current_password").fill(ADMIN_PASSWORD)  # the account form's (its page has more such fields)
    page.get_by_role("radio", name="Verwaltung").check()
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("tr[data-clerk='ab']")).to_contain_text("Verwaltung")

    page.get_by_role("link", name="Erlaubte Websites").click()
    assert axe_violations(page, axe_source) == []
    page.get_by_label("Website-Adressen").fill("https://www.musterstadt.de\nkeine adresse")
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("#origins")).to_have_accessible_description(re.compile("Keine Website-Adresse: keine adresse"))
    page.get_by_label("Website-Adressen").fill("https://www.musterstadt.de")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_have_text("Die Liste wurde gespeichert.")


def test_embed_code_with_live_preview_and_copy_button(staff_env: StaffEnv, browser, axe_source) -> None:
    context = browser.new_context(locale="de-DE")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=staff_env.origin)
    page = context.new_page()
    try:
        log_in(page, staff_env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
        page.goto(staff_env.origin + "/admin/embed")
        snippet = page.get_by_label("Code zum Einfügen")
        expect(snippet).to_have_value(f'<script src="{staff_env.origin}/widget.js" async></script>')
        page.get_by_label("Kfz-Zulassung").check()
        expect(snippet).to_have_value(f'<script src="{staff_env.origin}/widget.js" data-offices="kfz" async></script>')
        expect(page.locator("#embed-preview")).to_have_attribute("src", "/admin/embed/preview?offices=kfz")
        page.get_by_role("button", name="Code kopieren").click()
        expect(page.locator("#copy-status")).to_have_text("Code in die Zwischenablage kopiert.")
        assert page.evaluate("navigator.clipboard.readText()") == snippet.input_value()
        frame = page.frame_locator("#embed-preview")
        expect(frame.locator("li.office[data-office='kfz']")).to_have_count(1, timeout=10_000)
        expect(frame.locator("li.office[data-office='buergerbuero']")).to_have_count(0)
        # the preview opens no waiting room (it would create real tickets), and says so
        expect(page.locator("#preview-hint")).to_contain_text("keine echten Wartenummern")
        join = frame.locator("li.office[data-office='kfz'] .join")
        expect(join).to_have_attribute("aria-disabled", "true")
        expect(join).to_have_accessible_description(re.compile("Vorschau: Hier öffnet sich kein Warteraum"))
        join.click(force=True)  # aria-disabled, yet focusable and clickable
        expect(frame.locator("dialog")).to_have_count(0)
        assert axe_violations(page, axe_source) == []
    finally:
        context.close()


def test_statistics_page_is_accessible_in_both_languages(staff_env: StaffEnv, page, axe_source) -> None:
    log_in(page, staff_env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    page.goto(staff_env.origin + "/admin/stats?office=buergerbuero&days=7")
    expect(page.locator(".chart [role=img]")).to_have_accessible_name(re.compile("Gespräche pro Tag: Bürgerbüro"))
    expect(page.locator("#stats-table tbody tr")).to_have_count(7)
    assert axe_violations(page, axe_source) == []
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistics")
    assert axe_violations(page, axe_source) == []


def test_websites_that_tried_to_embed_the_widget_are_allowed_with_one_click(staff_env: StaffEnv, page, axe_source) -> None:
    neighbour = "https://www.nachbarstadt.example"

    async def refused_page() -> None:
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(staff_env.origin, namespaces=["/public"], headers={"Origin": neighbour},
                                 transports=["websocket"], wait_timeout=10)
        await client.disconnect()

    _aside(lambda: asyncio.run(refused_page()))
    log_in(page, staff_env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    page.goto(staff_env.origin + "/admin/origins")
    tried = page.get_by_role("table", name="Websites, die das Widget einbinden wollten")
    row = tried.locator(f"tr[data-origin='{neighbour}']")
    expect(row.locator(".count")).to_have_text("1")
    assert axe_violations(page, axe_source) == []
    allow = row.get_by_role("button", name=re.compile("^Erlauben"))
    expect(allow).to_contain_text(neighbour)  # its name says which website (visually hidden)
    allow.click()
    expect(page.get_by_role("status")).to_have_text("Die Website ist jetzt erlaubt.")
    expect(tried).to_have_count(0)
    expect(page.get_by_label("Website-Adressen")).to_have_value(re.compile(f"(^|\n){re.escape(neighbour)}($|\n)"))
    assert axe_violations(page, axe_source) == []


# Chromium's own accessibility tree (not Playwright's reading of the DOM): a table stays a table
# for screen readers when it is laid out as cards.
AX_TREE = "Accessibility.getFullAXTree"


def accessible(page) -> list[tuple[str, str]]:
    """(role, name) of every node Chromium exposes to assistive technology."""
    session = page.context.new_cdp_session(page)
    try:
        nodes = session.send(AX_TREE)["nodes"]
    finally:
        session.detach()
    return [(n.get("role", {}).get("value", ""), n.get("name", {}).get("value", "")) for n in nodes if not n.get("ignored")]


def test_the_lists_are_cards_on_a_phone_for_eyes_keyboard_and_screen_readers(staff_env: StaffEnv, page, axe_source) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, staff_env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    page.goto(staff_env.origin + "/admin")
    row = page.locator("tr[data-office='buergerbuero']")
    cells = row.locator("th, td")
    expect(cells).to_have_count(5)
    # a card: the office's name, then each value on a line of its own under it, all inside the card
    card = row.bounding_box()
    boxes = [cells.nth(i).bounding_box() for i in range(5)]
    assert card["width"] <= 390 - 2 * 16 + 1
    assert all(b["x"] >= card["x"] and b["x"] + b["width"] <= card["x"] + card["width"] + 1 for b in boxes)
    assert all(later["y"] >= earlier["y"] + earlier["height"] - 1 for earlier, later in zip(boxes, boxes[1:], strict=False))
    assert row.locator("td").first.evaluate("td => getComputedStyle(td, '::before').content") != "none"  # its label
    expect(page.locator("#offices thead")).not_to_be_in_viewport()  # the column headers are for screen readers only

    # screen readers still get the table, its row headers and each value with its label
    tree = accessible(page)
    assert ("table", "Ämter") in tree and ("table", "Mitarbeitende") in tree
    assert ("rowheader", "Bürgerbüro") in tree and ("columnheader", "Kennung") in tree
    assert ("cell", "Kennung: buergerbuero") in tree and ("cell", "Reihenfolge: 1") in tree
    assert axe_violations(page, axe_source) == []

    # by keyboard: from "Neues Amt" the next stop is the first card's edit link, which opens the office
    page.get_by_role("link", name="Neues Amt").focus()
    page.keyboard.press("Tab")
    edit = row.get_by_role("link", name=re.compile("^Bearbeiten ?: Bürgerbüro$"))
    expect(edit).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/offices/buergerbuero$"))

    page.goto(staff_env.origin + "/admin/stats?office=buergerbuero&days=30")
    expect(page.locator("#stats-table tbody tr")).to_have_count(30)
    expect(page.locator(".chart .bar")).to_have_count(30)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert ("cell", "Gespräche: 0") in accessible(page)
    assert axe_violations(page, axe_source) == []


def test_an_administrator_edits_their_tenant_with_the_keyboard(staff_env: StaffEnv, page, axe_source) -> None:
    log_in(page, staff_env.origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    page.goto(staff_env.origin + "/admin")
    page.get_by_role("link", name="Mandant", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mandant Standard-Mandant")
    assert axe_violations(page, axe_source) == []
    page.get_by_label("Farbe").fill("rot")
    page.get_by_label("Farbe").press("Enter")
    expect(page.get_by_label("Farbe")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#colour-error")).to_have_text("Die Farbe bitte als #rrggbb angeben.")
    assert axe_violations(page, axe_source) == []
    page.get_by_label("Farbe").fill("#00509e")
    page.get_by_label("Farbe").press("Enter")
    expect(page.get_by_role("status")).to_have_text("Der Mandant ist gespeichert.")
    expect(page.get_by_label("Farbe")).to_have_value("#00509e")
