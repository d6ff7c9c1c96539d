"""The clerk's console in Chromium: an administrator sets up an office and a clerk, the clerk
serves citizens through call, no-show, transfer, send back and finish, and the numbers add up.

Withdrawing a call and calling past a citizen whose tab is closed run with the citizen's
waiting room in Chromium and in Firefox (the console stays in Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.citizen_fixtures import citizen, join  # noqa: F401 - citizen is a fixture
from tests.browser.staff_fixtures import (  # noqa: F401 - staff_env_fixture and own_staff_env are fixtures
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    CALL_TIMEOUT,
    Citizen,
    StaffEnv,
    axe_violations,
    log_in,
    on_accounts,
    own_staff_env,
    staff_env_fixture,
)

CLERK = ("lena", "Lena Lindner", "lena sicheres passwort")
EVIL_NAME = '<img src=x onerror="window.pwned=1">Erika'
EVIL_CONCERN = "<b>Reisepass</b> & Ausweis"


def create_office_and_clerk(page, origin: str) -> None:
    """The administrator's part, through the forms a person would use."""
    log_in(page, origin, ADMIN_LOGIN, ADMIN_PASSWORD)
    expect(page).to_have_url(re.compile(r"/admin$"))
    page.get_by_role("link", name="Neues Amt").click()
    page.locator("#id").fill("ordnungsamt")
    page.locator("#name").fill("Ordnungsamt")
    page.locator("#services").fill("Gewerbeanmeldung\nFundsachen")
    for day in ("tue", "wed", "thu", "fri", "sat", "sun"):
        page.locator(f"#hours-{day}-0-start").fill("00:00")
        page.locator(f"#hours-{day}-0-end").fill("24:00")
    # Monday in two ranges: the second through "add range"
    monday = page.locator("fieldset.day[data-day='mon']").first  # the opening hours' (the form may have more weeks)
    monday.locator("#hours-mon-0-start").fill("00:00")
    monday.locator("#hours-mon-0-end").fill("12:00")
    monday.get_by_role("button", name=re.compile("Zeitraum hinzufügen")).click()
    expect(monday.locator("li.range")).to_have_count(2)
    expect(monday.locator("li.range").nth(1).locator("input").nth(0)).to_be_focused()
    monday.locator("li.range").nth(1).locator("input").nth(0).fill("12:00")
    monday.locator("li.range").nth(1).locator("input").nth(1).fill("24:00")
    page.locator("#closed-days-0").fill("2031-12-24")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_have_text("Das Amt wurde angelegt.")
    expect(page.locator("tr[data-office='ordnungsamt']")).to_contain_text("Ordnungsamt")

    page.get_by_role("link", name="Neues Konto").click()
    page.locator("#login").fill(CLERK[0])
    page.locator("#name").fill(CLERK[1])
    page.get_by_label("Ordnungsamt").check()
    page.get_by_label("Bürgerbüro").check()
    page.locator("#password").fill(CLERK[2])
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_have_text("Das Konto wurde angelegt.")
    expect(page.locator("tr[data-office='ordnungsamt']")).to_contain_text(CLERK[1])


def office(page, office_id: str):
    return page.locator(f"section.office[data-office='{office_id}']")


def visit_state(page):
    return page.locator("#visit-state")


@pytest.mark.engines("chromium", "firefox")
def test_a_working_day_at_the_console(own_staff_env: StaffEnv, browser, page, axe_source) -> None:
    staff_env = own_staff_env
    origin = staff_env.origin
    create_office_and_clerk(page, origin)

    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="de-DE")
    context.grant_permissions(["notifications"], origin=origin)
    console = context.new_page()
    errors: list[object] = []
    console.on("pageerror", lambda exc: errors.append(exc))
    citizens: list[Citizen] = []
    try:
        log_in(console, origin, CLERK[0], CLERK[2])
        expect(console).to_have_url(re.compile(r"/console$"))
        expect(console.locator("#connection")).to_have_text("Verbunden")
        expect(console.locator("section.office")).to_have_count(2)
        assert console.locator("#visit-media[aria-label='Video']").count() == 1

        # on duty: the office opens for citizens, also in the widget on the city's page
        buergerbuero = office(console, "buergerbuero")
        buergerbuero.get_by_label("Verfügbar").check()
        expect(buergerbuero.locator(".office-status")).to_have_text("Geöffnet")
        expect(buergerbuero.locator(".on-duty-names")).to_contain_text(CLERK[1])
        city = context.new_page()
        city.goto(staff_env.site.url("/"))
        expect(city.locator("li.office[data-office='buergerbuero']")).to_have_attribute("data-status", "open", timeout=10_000)
        city.close()

        # someone joins the empty queue: the row appears without reload, with an alert
        expect(buergerbuero.locator(".call-next")).to_be_disabled()  # nobody to call yet
        erika = Citizen(origin, "buergerbuero", name=EVIL_NAME, concern=EVIL_CONCERN, language="en")
        citizens.append(erika)
        row = buergerbuero.locator("tbody tr")
        expect(row).to_have_count(1)
        expect(row.locator("th")).to_have_text(erika.number)
        expect(row.locator("td.name")).to_have_text(EVIL_NAME)
        expect(row.locator("td.concern")).to_have_text(EVIL_CONCERN)
        expect(row.locator("td.language")).to_have_text("en")
        expect(row.locator("td.online")).to_have_text("verbunden")
        assert buergerbuero.locator("tbody img, tbody b").count() == 0
        expect(console.locator("#announcer")).to_have_text("Jemand wartet: Bürgerbüro")
        assert console.evaluate("document.body.dataset.lastJoin") == "buergerbuero"
        expect(buergerbuero.locator(".waiting-count")).to_have_text("1 Person wartet")
        expect(buergerbuero.locator(".call-next")).to_be_enabled()

        assert axe_violations(console, axe_source) == []

        # N calls the next person; the call runs out unanswered: a no-show, on both sides
        console.locator("h1").click()
        console.keyboard.press("n")
        expect(console.locator("#visit-number")).to_have_text(erika.number)
        expect(visit_state(console)).to_contain_text("Aufgerufen")
        expect(console.locator("#no-show")).to_be_enabled()  # the call may be withdrawn at once
        expect(console.locator("#visit-name")).to_have_text(EVIL_NAME)
        assert erika.wait_for("ticket", lambda t: t["state"] == "called")["call"]["seconds_left"] <= 3
        expect(visit_state(console)).to_have_text("Nicht erschienen – die Person hat den Aufruf nicht angenommen.", timeout=10_000)
        expect(console.locator("#current-visit")).to_have_attribute("data-state", "ended")
        assert erika.wait_for("ended")["reason"] == "no_show"
        expect(row).to_have_count(0)
        console.get_by_role("button", name="Schließen").click()
        expect(console.locator("#visit-empty")).to_be_visible()

        # a specific person is called, comes in, and is transferred to the Ordnungsamt
        max_ = Citizen(origin, "buergerbuero", name="Max Muster", concern="Ummeldung")
        citizens.append(max_)
        expect(row).to_have_count(1)
        buergerbuero.get_by_role("button", name=f"{max_.number} aufrufen").click()
        expect(visit_state(console)).to_contain_text("Aufgerufen")
        max_.accept()
        expect(visit_state(console)).to_have_text("Im Gespräch")
        expect(console.locator("#finish")).to_be_enabled()
        console.locator("#transfer-target").select_option(label="Ordnungsamt")
        console.get_by_role("button", name="Weiterleiten", exact=True).click()
        expect(visit_state(console)).to_have_text("Weitergeleitet.")
        moved = max_.wait_for("ticket", lambda t: t["office"]["id"] == "ordnungsamt")
        assert moved["state"] == "waiting"
        ordnungsamt = office(console, "ordnungsamt")
        expect(ordnungsamt.locator("tbody tr")).to_have_count(1)
        expect(ordnungsamt.locator("tbody td.name")).to_have_text("Max Muster")

        # a message to everyone waiting there
        ordnungsamt.get_by_label("Verfügbar").check()
        ordnungsamt.get_by_label("Nachricht an alle Wartenden").fill("Gleich geht es weiter <3")
        ordnungsamt.get_by_role("button", name="Nachricht senden").click()
        assert max_.wait_for("announcement")["text"] == "Gleich geht es weiter <3"

        # called again there, then sent back with B
        ordnungsamt.get_by_role("button", name=re.compile(r"^O-\d+ aufrufen$")).click()
        expect(console.locator("#visit-office")).to_have_text("Ordnungsamt")
        max_.accept()
        expect(visit_state(console)).to_have_text("Im Gespräch")
        console.locator("h1").click()
        # B and at once N (twice, as a key held down): sent back, and called again as the one waiting by
        # then, even before the console's queue shows them waiting
        console.keyboard.press("b")
        console.keyboard.press("n")
        console.keyboard.press("n")
        expect(visit_state(console)).to_contain_text("Aufgerufen")
        expect(console.locator("#visit-number")).to_have_text(re.compile(r"^O-\d+$"))
        expect(console.locator("#alert")).to_be_hidden()

        # and finally served: F finishes the visit
        max_.accept()
        expect(visit_state(console)).to_have_text("Im Gespräch")
        console.locator("h1").click()
        console.keyboard.press("f")
        expect(visit_state(console)).to_have_text("Gespräch beendet.")
        assert max_.wait_for("ended")["reason"] == "finished"
        expect(ordnungsamt.locator(".queue-empty")).to_be_visible()

        # shortcuts do nothing while typing
        buergerbuero.get_by_label("Nachricht an alle Wartenden").fill("")
        buergerbuero.get_by_label("Nachricht an alle Wartenden").type("nf")
        expect(visit_state(console)).to_have_text("Gespräch beendet.")

        assert console.evaluate("window.pwned") is None
        assert errors == []
    finally:
        for citizen in citizens:
            citizen.close()
        context.close()

    # the statistics count the visit and the no-show
    page.goto(f"{origin}/admin/stats?office=ordnungsamt&days=7")
    today = page.locator("#stats-table tbody tr").first
    expect(today.locator("td.visits")).to_have_text("1")
    page.goto(f"{origin}/admin/stats?office=buergerbuero&days=7")
    expect(page.locator("#stats-table tbody tr").first.locator("td.no-shows")).to_have_text("1")
    expect(page.locator("#stats-table tbody tr").first.locator("td.visits")).to_have_text("0")


def test_login_and_console_have_no_accessibility_violations(staff_env: StaffEnv, page, axe_source) -> None:
    page.goto(staff_env.origin + "/login")
    assert axe_violations(page, axe_source) == []
    page.get_by_label("Anmeldename").fill("niemand")
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_have_text("Anmeldename oder Passwort ist falsch.")
    assert axe_violations(page, axe_source) == []
    page.goto(staff_env.origin + "/login?lang=en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert axe_violations(page, axe_source) == []

    log_in(page, staff_env.origin, "erika", "correct horse battery staple")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    assert axe_violations(page, axe_source) == []


def test_console_without_login_goes_to_the_login(staff_env: StaffEnv, page) -> None:
    page.goto(staff_env.origin + "/console")
    expect(page).to_have_url(re.compile(r"/login\?next=/console$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung für Mitarbeitende")



def test_an_open_console_goes_to_the_login_once_the_password_changed(staff_env: StaffEnv, page) -> None:
    first, second = "jonas erstes passwort", "jonas zweites passwort"
    on_accounts(staff_env, lambda clerks: clerks.add("jonas", "Jonas Jung", first, offices=("buergerbuero",)))
    log_in(page, staff_env.origin, "jonas", first)
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")

    async def new_password(clerks) -> None:  # what the administration's form does
        await clerks.update(await clerks.by_login("jonas"), password=second)

    on_accounts(staff_env, new_password)
    office(page, "buergerbuero").get_by_label("Verfügbar").click()  # not check(): the page is gone before it could be
    expect(page).to_have_url(re.compile(r"/login\?next=/console$"))


# A clerk who serves thirty people a day: the console at the size of a laptop and of a phone.

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

OUTSIDE = """() => {
  // Elements drawn (not hidden, not the skip link parked off-screen) beyond the viewport's width.
  const width = document.documentElement.clientWidth, outside = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || box.right <= 0 || !el.checkVisibility({visibilityProperty: true})) continue;
    if (box.left < -0.5 || box.right > width + 0.5) outside.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: width, outside};
}"""


def clerk_console(browser, origin: str, viewport: dict[str, int], office_id: str, **options: object):
    """The seeded clerk (Bürgerbüro and Kfz-Zulassung) at the console, available for one of them."""
    context = browser.new_context(viewport=viewport, locale="de-DE", **options)
    console = context.new_page()
    console.errors = []
    console.on("pageerror", lambda exc: console.errors.append(exc))
    log_in(console, origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
    expect(console.locator("#connection")).to_have_attribute("data-state", "connected")
    office(console, office_id).get_by_label("Verfügbar").check()
    expect(office(console, office_id).locator(".on-duty-names")).to_contain_text("Erika Mustermann (Verfügbar)")
    return context, console


def fits(page) -> None:
    layout = page.evaluate(OUTSIDE)
    assert layout["scrollWidth"] <= layout["clientWidth"], layout
    assert layout["outside"] == [], layout


WITHDRAWN = "Nicht erschienen – die Person hat den Aufruf nicht angenommen."


def room(origin: str, office_id: str) -> str:
    return f"{origin}/w/{office_id}?lang=de"


@pytest.mark.engines("chromium", "firefox")  # the citizen's waiting room in each; the console in Chromium
def test_a_call_is_withdrawn_at_once_and_call_next_waits_for_someone(staff_env: StaffEnv, browsers, citizen) -> None:
    context, console = clerk_console(browsers["chromium"], staff_env.origin, LAPTOP, "kfz")
    kfz = office(console, "kfz")
    call_next = kfz.locator(".call-next")
    citizens: list[Citizen] = []
    try:
        # nobody waiting: "call next" is off, and says why; N says so too
        expect(kfz.locator(".waiting-count")).to_have_text("Niemand wartet")
        expect(call_next).to_be_disabled()
        expect(call_next).to_have_accessible_description("Niemand wartet")
        kfz.get_by_role("heading", name="Kfz-Zulassung").click()  # N calls from the office whose card was used last
        console.keyboard.press("n")
        nobody = "Gerade wartet niemand – es wurde niemand aufgerufen."
        expect(kfz.locator(".call-next-note")).to_have_text(nobody)  # the server's answer, not an error
        expect(console.locator("#announcer")).to_have_text(nobody)
        expect(console.locator("#alert")).to_be_hidden()
        expect(console.locator("#visit-empty")).to_be_visible()

        first = citizen()  # in the waiting room of the test's browser
        first_number = join(first, room(staff_env.origin, "kfz"), name="Ada Abwesend")
        second = Citizen(staff_env.origin, "kfz", name="Bo Bald")
        citizens.append(second)
        expect(call_next).to_be_enabled()
        expect(call_next).to_have_accessible_description("2 Personen warten")

        # Called, not yet in: the call is withdrawn at once (X), long before its time runs out.
        call_next.click()
        expect(console.locator("#visit-number")).to_have_text(first_number)
        expect(visit_state(console)).to_contain_text("Aufgerufen")
        expect(console.locator("#finish")).to_be_hidden()  # nothing to finish yet
        expect(console.locator("#no-show")).to_be_enabled()
        expect(console.locator("#send-back")).to_be_enabled()
        expect(console.locator("#no-show-hint")).to_contain_text("jederzeit zurücknehmen")
        console.locator("h1").click()
        console.keyboard.press("f")  # no finishing a call
        console.keyboard.press("x")
        expect(visit_state(console)).to_have_text(WITHDRAWN, timeout=CALL_TIMEOUT * 1000 / 2)
        expect(console.locator("#alert")).to_be_hidden()
        # the citizen's page says so, with the way to queue again
        expect(first.get_by_role("heading", name="Die Zeit zum Eintreten ist abgelaufen")).to_be_visible(timeout=CALL_TIMEOUT * 1000 / 2)
        expect(first.get_by_role("button", name="Jetzt eintreten")).to_be_hidden()
        expect(first).not_to_have_title("Sie sind dran!")
        expect(kfz.locator("tbody tr")).to_have_count(1)
        expect(console.locator("#visit-dismiss")).to_be_visible()

        # the next one is called, and sent back to the front at once: they are told
        call_next.click()
        expect(console.locator("#visit-number")).to_have_text(second.number)
        expect(call_next).to_be_disabled()
        console.get_by_role("button", name="Zurück in den Warteraum").click()
        expect(visit_state(console)).to_have_text("Zurück in den Warteraum gestellt.", timeout=CALL_TIMEOUT * 1000 / 2)
        expect(console.locator("#alert")).to_be_hidden()
        told = second.wait_for("ticket", lambda t: t["state"] == "waiting" and t["position"] == 1, timeout=1)
        assert told["call"] is None
        expect(kfz.locator("tbody tr[data-state='waiting'] th")).to_have_text(second.number)
        expect(call_next).to_be_enabled()
        expect(console.locator("#visit-dismiss")).to_be_focused()
        assert console.errors == [] and first.errors == []
    finally:
        for waiting in citizens:
            waiting.leave(staff_env.origin)  # the office's queue empty again for the next test
            waiting.close()
        context.close()


@pytest.mark.engines("chromium", "firefox")  # the citizens' waiting room in each; the console in Chromium
def test_call_next_passes_over_a_closed_tab_which_keeps_its_place_and_is_called_when_back(staff_env: StaffEnv, browsers, citizen) -> None:
    context, console = clerk_console(browsers["chromium"], staff_env.origin, LAPTOP, "kfz")
    kfz = office(console, "kfz")
    rows = kfz.locator("tbody tr")

    def connection(row):  # the cell's class is its state: online or offline
        return row.locator("td.online, td.offline")

    try:
        expect(kfz.locator(".waiting-count")).to_have_text("Niemand wartet")
        gone, here = citizen(), citizen()
        gone_number = join(gone, room(staff_env.origin, "kfz"), name="Greta Gegangen")
        here_number = join(here, room(staff_env.origin, "kfz"), name="Hans Hier")
        expect(rows).to_have_count(2)
        expect(rows.first.locator("th")).to_have_text(gone_number)
        expect(connection(rows.first)).to_have_text("verbunden")

        # The first in line closes the tab: disconnected, still first.
        browser_of_gone = gone.context
        gone.close()
        expect(connection(rows.first)).to_have_text("getrennt")
        expect(rows.first.locator("th")).to_have_text(gone_number)
        expect(here.locator("#position")).to_have_text("2")

        # "Call next" passes over them: the second is called, in the console and on their page.
        kfz.get_by_role("button", name="Nächste Person aufrufen").click()
        expect(console.locator("#visit-number")).to_have_text(here_number)
        expect(visit_state(console)).to_contain_text("Aufgerufen")
        expect(here.get_by_role("alert")).to_have_text(f"Sie sind dran, Nummer {here_number}! Bitte klicken Sie auf „Jetzt eintreten“.")
        console.locator("h1").click()
        console.keyboard.press("x")  # not coming in (the call would run out after CALL_TIMEOUT seconds anyway)
        expect(visit_state(console)).to_have_text(WITHDRAWN)
        expect(here.get_by_role("heading", name="Die Zeit zum Eintreten ist abgelaufen")).to_be_visible()

        # The first comes back to the page: the same number, first in line, and called next.
        back = browser_of_gone.new_page()
        back.errors = []
        back.on("pageerror", lambda exc: back.errors.append(exc))
        back.goto(room(staff_env.origin, "kfz"))
        expect(back.get_by_role("heading", name="Sie sind im Warteraum")).to_be_visible()
        expect(back.locator("#number")).to_have_text(gone_number)
        expect(back.locator("#position")).to_have_text("1")
        expect(rows).to_have_count(1)
        expect(connection(rows.first)).to_have_text("verbunden")
        kfz.get_by_role("button", name="Nächste Person aufrufen").click()
        expect(console.locator("#visit-number")).to_have_text(gone_number)
        expect(back.get_by_role("alert")).to_have_text(f"Sie sind dran, Nummer {gone_number}! Bitte klicken Sie auf „Jetzt eintreten“.")
        console.locator("h1").click()
        console.keyboard.press("x")
        expect(visit_state(console)).to_have_text(WITHDRAWN)
        expect(back.get_by_role("heading", name="Die Zeit zum Eintreten ist abgelaufen")).to_be_visible()
        expect(kfz.locator(".waiting-count")).to_have_text("Niemand wartet")
        assert console.errors == [] and here.errors == [] and back.errors == []
    finally:
        context.close()


def test_the_visit_fits_a_laptop_and_a_phone_and_its_record_stays_after_it(staff_env: StaffEnv, browser, axe_source) -> None:
    context, console = clerk_console(browser, staff_env.origin, LAPTOP, "buergerbuero",
                                     permissions=["camera", "microphone", "clipboard-read", "clipboard-write"])
    queue = office(console, "buergerbuero")
    citizens: list[Citizen] = []
    try:
        visitor = Citizen(staff_env.origin, "buergerbuero", name="Carla Claus", concern="Abmeldung")
        later = Citizen(staff_env.origin, "buergerbuero", name="Dora Dahinter", concern="Kennzeichen reservieren")
        citizens += [visitor, later]
        expect(queue.get_by_role("button", name=f"{later.number} aufrufen")).to_be_visible()
        queue.get_by_role("button", name=f"{visitor.number} aufrufen").click()
        visitor.wait_for("ticket", lambda t: t["state"] == "called")
        visitor.accept()
        expect(visit_state(console)).to_have_text("Im Gespräch")
        panel = console.frame_locator("#visit-media iframe")
        expect(panel.locator("#exchange-record-make")).to_be_visible(timeout=15_000)  # the frame is in, as staff
        panel.get_by_label("Nachricht", exact=True).fill("Guten Tag!")
        panel.get_by_role("button", name="Senden", exact=True).click()
        expect(panel.locator("#exchange-chat-log")).to_contain_text("Guten Tag!")

        # A laptop: the queue with its call buttons, the video, the chat and the visit's actions at once.
        console.evaluate("window.scrollTo(0, 0)")  # typing in the chat may have scrolled the page
        for target in (queue.get_by_role("button", name=f"{later.number} aufrufen"), console.locator("#visit-media iframe"),
                       console.locator("#finish"), console.locator("#send-back")):
            expect(target).to_be_in_viewport()
        fits(console)
        assert axe_violations(console, axe_source) == []

        # A phone: everything one under the other, nothing wider than the screen.
        console.set_viewport_size(PHONE)
        expect(queue.get_by_role("button", name=f"{later.number} aufrufen")).to_be_visible()
        fits(console)
        console.set_viewport_size(LAPTOP)

        # Finished: the visit page hangs up but stays, with the final record to read and copy.
        console.locator("#finish").click()
        expect(visit_state(console)).to_have_text("Gespräch beendet.")
        assert visitor.wait_for("ended")["reason"] == "finished"
        expect(panel.locator("#ended")).to_be_visible()
        record = panel.locator("#ended #exchange-record")
        expect(record).to_have_value(re.compile(r"Büro: Bürgerbüro"))
        expect(panel.locator("#exchange-record-status")).to_contain_text("letzte Fassung")
        expect(console.locator("#visit-record-kept")).to_be_visible()
        console.wait_for_timeout(1500)  # the panel is looked at more than once a second: still there
        expect(record).to_be_visible()
        panel.get_by_role("button", name="Kopieren").click()
        expect(panel.locator("#exchange-record-status")).to_have_text("Kopiert.")
        assert "Büro: Bürgerbüro" in console.evaluate("navigator.clipboard.readText()")
        assert axe_violations(console, axe_source) == []

        # until the clerk closes it
        console.get_by_role("button", name="Schließen").click()
        expect(console.locator("#visit-media iframe")).to_have_count(0)
        expect(console.locator("#visit-media")).to_contain_text("Hier erscheint das Video")
        expect(console.locator("#visit-empty")).to_be_visible()
        assert console.errors == []
    finally:
        for citizen in citizens:
            citizen.close()
        context.close()
