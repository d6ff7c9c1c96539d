"""The citizen's waiting room in Chromium against the real server: joining, waiting, being called,
reloading, the widget's dialog, the keyboard alone, accessibility and a camera the browser refuses."""

from __future__ import annotations

import re

import httpx
import pytest
import socketio
from playwright.sync_api import expect

from tests.browser.citizen_fixtures import SENSES, RoomEnv, citizen, join, room_env  # noqa: F401 - fixtures
from tests.browser.staff_fixtures import axe_violations


def test_two_citizens_wait_are_called_in_turn_and_keep_their_place_on_reload(room_env: RoomEnv, citizen, axe_source) -> None:
    office = "buergerbuero"
    anna, bernd = citizen(), citizen(width=390, notifications=True, init_script=SENSES)  # Bernd on a phone
    number_a = join(anna, room_env.room(office), name="Anna")
    number_b = join(bernd, room_env.room(office), notify=True)
    assert number_a != number_b
    expect(bernd.locator("#position")).to_have_text("2")
    expect(bernd.locator("#ahead")).to_have_text("1")
    expect(bernd.locator("#estimate")).not_to_have_text("…")
    expect(anna.locator("#ahead")).to_have_text("niemand")
    expect(bernd.locator("#announcer")).to_have_text(f"Sie sind im Warteraum. Ihre Nummer: {number_b}. Ihr Platz: 2.")
    assert axe_violations(bernd, axe_source) == []

    # the office speaks to everyone waiting
    room_env.clerk.emit("announce", {"office_id": office, "text": "Heute etwas längere Wartezeiten."})
    expect(bernd.locator("#announcement-list li").first).to_have_text("Heute etwas längere Wartezeiten.")

    # Anna is called; Bernd moves up
    called = room_env.clerk.emit("call_next", {"office_id": office})["ticket"]
    assert called["number"] == number_a
    expect(anna.get_by_role("alert")).to_have_text(f"Sie sind dran, Nummer {number_a}! Bitte klicken Sie auf „Jetzt eintreten“.")
    expect(bernd.locator("#position")).to_have_text("1")
    expect(bernd.locator("#ahead")).to_have_text("niemand")
    expect(bernd.locator("#announcer")).to_have_text("Sie sind als Nächstes dran.")
    anna.get_by_role("button", name="Jetzt eintreten").click()
    anna.wait_for_url(re.compile(rf"/visit/{called['id']}$"))
    room_env.clerk.emit("finish", {"office_id": office, "ticket_id": called["id"]})

    # a reload keeps the place: the token stays in the tab, never in the URL
    bernd.reload()
    assert bernd.url == room_env.room(office)
    expect(bernd.get_by_role("heading", name="Sie sind im Warteraum")).to_be_visible()
    expect(bernd.locator("#number")).to_have_text(number_b)
    expect(bernd.locator("#position")).to_have_text("1")

    # Bernd is called: alert, title, countdown and the big button
    called = room_env.clerk.emit("call_next", {"office_id": office})["ticket"]
    assert called["number"] == number_b
    alert = bernd.get_by_role("alert")
    expect(alert).to_have_text(f"Sie sind dran, Nummer {number_b}! Bitte klicken Sie auf „Jetzt eintreten“.")
    expect(bernd).to_have_title("Sie sind dran!")
    expect(bernd.locator("#countdown")).to_have_text(re.compile(r"^Noch \d+ Sekunden$"))
    button = bernd.get_by_role("button", name="Jetzt eintreten")
    expect(button).to_be_focused()
    assert bernd.evaluate("getComputedStyle(document.getElementById('called')).animationName") == "call-glow"
    assert bernd.evaluate("window.__tones") == 3  # three notes through WebAudio
    assert bernd.evaluate("window.__notes") == [["Sie sind dran!", f"Sie sind dran, Nummer {number_b}! Bitte klicken Sie auf „Jetzt eintreten“."]]
    assert axe_violations(bernd, axe_source) == []
    button.click()
    bernd.wait_for_url(re.compile(rf"/visit/{called['id']}$"))
    assert "token" not in bernd.url
    room_env.clerk.emit("finish", {"office_id": office, "ticket_id": called["id"]})
    assert anna.errors == [] and bernd.errors == []


def test_the_end_of_a_visit_is_explained_and_forgets_the_token(room_env: RoomEnv, citizen) -> None:
    office = "standesamt"
    page = citizen(reduced_motion="reduce")
    join(page, room_env.room(office))
    key = "virtual-office.ticket." + office
    assert page.evaluate("k => sessionStorage.getItem(k)", key)
    called = room_env.clerk.emit("call_next", {"office_id": office})["ticket"]
    expect(page.get_by_role("button", name="Jetzt eintreten")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.getElementById('called')).animationName") == "none"  # reduced motion
    room_env.clerk.emit("send_back", {"office_id": office, "ticket_id": called["id"]})
    expect(page.get_by_role("button", name="Jetzt eintreten")).to_be_hidden()
    expect(page.locator("#call-alert")).to_be_empty()
    expect(page).not_to_have_title("Sie sind dran!")
    # called again, they step in from another tab holding the same ticket; this one follows along
    called = room_env.clerk.emit("call_next", {"office_id": office})["ticket"]
    other_tab = socketio.Client(reconnection=False)
    other_tab.connect(room_env.origin, namespaces=["/citizen"], transports=["polling"],
                      auth={"token": page.evaluate("k => sessionStorage.getItem(k)", key), "lang": "de"}, wait_timeout=10)
    try:
        assert other_tab.call("accept", {}, namespace="/citizen", timeout=10)["ok"]
    finally:
        other_tab.eio.disconnect(abort=True)
    expect(page.locator("#queue-state")).to_have_text("Ihr Gespräch hat begonnen.")
    # the clerk finishes: the page says so and forgets the token
    room_env.clerk.emit("finish", {"office_id": office, "ticket_id": called["id"]})
    expect(page.get_by_role("heading", name="Ihr Besuch ist beendet")).to_be_visible()
    assert page.evaluate("k => sessionStorage.getItem(k)", key) is None
    page.reload()
    expect(page.get_by_role("heading", name="Bevor es losgeht: Ihre Daten")).to_be_visible()


def test_keyboard_alone_through_every_step_without_accessibility_violations(room_env: RoomEnv, citizen, axe_source) -> None:
    page = citizen()
    page.goto(room_env.room("fundbuero"))
    keys = page.keyboard

    def tab_to(selector: str, limit: int = 25) -> None:
        target = page.locator(selector)
        for _ in range(limit):
            keys.press("Tab")
            if target.evaluate("el => el === document.activeElement"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    def focused_is_visible() -> None:
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", "the focused element shows no focus ring"

    assert axe_violations(page, axe_source) == []
    # step 1: continuing without consent says why and stays
    tab_to("#privacy-next")
    focused_is_visible()
    keys.press("Enter")
    expect(page.locator("#consent-error")).to_be_visible()
    expect(page.locator("#consent")).to_be_focused()
    keys.press("Space")
    tab_to("#privacy-next")
    keys.press("Enter")
    # step 2: the details, all optional
    expect(page.locator("#details-heading")).to_be_focused()
    assert axe_violations(page, axe_source) == []
    tab_to("#name")
    keys.type("Frieda")
    tab_to("#step-details button[type=submit]")
    keys.press("Enter")
    # step 3: the device check with the fake camera
    expect(page.locator("#check-heading")).to_be_focused()
    tab_to("#check-start")
    keys.press("Enter")
    expect(page.locator("#preview")).to_be_visible()
    expect(page.locator("#camera-choice option")).not_to_have_count(0)
    expect(page.locator("#microphone-choice option")).not_to_have_count(0)
    page.wait_for_function("() => document.getElementById('preview-video').videoWidth > 0")  # a function: the CSP forbids eval
    expect(page.locator("#connection-check")).to_have_attribute("data-state", "ok", timeout=30_000)  # through the server and back
    assert axe_violations(page, axe_source) == []
    tab_to("#check-next")
    keys.press("Enter")
    # the camera is off again once the check is left
    assert page.evaluate("document.getElementById('preview-video').srcObject") is None
    # step 4: join
    expect(page.locator("#join-heading")).to_be_focused()
    assert axe_violations(page, axe_source) == []
    tab_to("#join")
    keys.press("Enter")
    expect(page.locator("#queue-heading")).to_be_focused()
    expect(page.locator("#number")).to_have_text(re.compile(r"^F-\d+$"))
    assert axe_violations(page, axe_source) == []
    # leaving asks first; "keep waiting" keeps the place
    tab_to("#leave")
    keys.press("Enter")
    expect(page.locator("#leave-no")).to_be_focused()
    keys.press("Enter")
    expect(page.locator("#leave-confirm")).to_be_hidden()
    expect(page.locator("#leave")).to_be_focused()
    keys.press("Enter")
    assert axe_violations(page, axe_source) == []
    tab_to("#leave-yes")
    keys.press("Space")
    expect(page.locator("#ended-heading")).to_have_text("Sie haben den Warteraum verlassen")
    expect(page.locator("#ended-heading")).to_be_focused()
    assert axe_violations(page, axe_source) == []
    assert page.errors == []


def test_a_refused_camera_gets_help_and_the_way_on_without_it(room_env: RoomEnv, citizen, axe_source) -> None:
    page = citizen(camera=False, locale="en-GB")
    page.goto(f"{room_env.origin}/w/fundbuero")
    expect(page.locator("h1")).to_have_text("Virtual waiting room: Lost property")
    page.get_by_label("I have read this and agree.").check()
    page.get_by_role("button", name="Continue").click()
    page.locator("#step-details").get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Test camera and microphone").click()
    help_text = page.locator("#help-denied")
    expect(help_text).to_be_visible()
    expect(help_text.get_by_role("heading")).to_have_text("Camera and microphone are blocked")
    expect(help_text).to_contain_text("click the padlock or camera symbol")
    expect(page.locator("#preview")).to_be_hidden()
    assert axe_violations(page, axe_source) == []
    page.get_by_role("button", name="Continue without testing").click()
    expect(page.get_by_role("heading", name="Join the waiting room")).to_be_focused()


def test_widget_dialog_shows_the_real_waiting_room(room_env: RoomEnv, citizen) -> None:
    page = citizen()
    page.goto(room_env.site.url("/"))
    page.wait_for_selector("virtual-office[data-ready]")
    button = page.locator("li.office[data-office='kfz'] .join")
    expect(button).not_to_have_attribute("aria-disabled", "true", timeout=10_000)
    button.click()
    dialog = page.locator("dialog.room")
    expect(dialog).to_be_visible()
    # the waiting room said `ready` to the page that framed it: no fallback link
    expect(dialog.locator(".frame-status")).to_be_hidden()
    expect(dialog.locator(".fallback")).to_be_hidden()
    frame = page.frame_locator("dialog.room iframe")
    expect(frame.locator("h1")).to_have_text("Virtueller Warteraum: Kfz-Zulassung")

    # join inside the dialog; closing then asks, and leaving gives the place up through the page
    frame.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    frame.get_by_role("button", name="Weiter").click()
    frame.locator("#step-details").get_by_role("button", name="Weiter").click()
    frame.get_by_role("button", name="Ohne Test weiter").click()
    frame.get_by_role("button", name="Jetzt anstellen").click()
    expect(frame.locator("#number")).to_have_text(re.compile(r"^K-\d+$"))
    frame.locator("#leave").focus()
    page.keyboard.press("Escape")  # inside the frame: forwarded to the widget as `escape`
    confirm = dialog.get_by_role("alertdialog")
    expect(confirm).to_be_visible()
    confirm.get_by_role("button", name="Verlassen").click()
    expect(dialog).to_have_count(0)
    # the place is really gone
    with pytest.raises(RuntimeError, match="queue_empty"):
        room_env.clerk.emit("call_next", {"office_id": "kfz"})
    assert page.errors == []


def test_unknown_office_page_in_the_browser(room_env: RoomEnv, citizen) -> None:
    page = citizen()
    response = page.goto(f"{room_env.origin}/w/gibtsnicht?lang=de")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Dieses Amt gibt es nicht")


def test_a_closed_office_says_when_it_opens(room_env: RoomEnv, citizen, axe_source) -> None:
    page = citizen()
    page.goto(room_env.room("ruhetag"))
    opens = re.compile(r"^Das Büro ist gerade geschlossen\. Es öffnet wieder am \w+, \d+\. \w+(,| um) 00:00\.$")
    expect(page.locator("#closed-notice")).to_have_text(opens)
    page.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    page.get_by_role("button", name="Weiter").click()
    page.locator("#step-details").get_by_role("button", name="Weiter").click()
    page.get_by_role("button", name="Ohne Test weiter").click()
    page.get_by_role("button", name="Jetzt anstellen").click()
    expect(page.get_by_role("alert")).to_have_text(opens)  # the server's refusal, translated, with the time
    expect(page.locator("#queue")).to_be_hidden()
    assert axe_violations(page, axe_source) == []
    assert page.evaluate("sessionStorage.getItem('virtual-office.ticket.ruhetag')") is None


def test_a_full_waiting_room_says_so(room_env: RoomEnv, citizen) -> None:
    first = httpx.post(f"{room_env.origin}/api/offices/klein/tickets", json={}, timeout=10)
    assert first.status_code == 201
    page = citizen()
    page.goto(room_env.room("klein"))
    page.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    page.get_by_role("button", name="Weiter").click()
    page.locator("#step-details").get_by_role("button", name="Weiter").click()
    page.get_by_role("button", name="Ohne Test weiter").click()
    page.get_by_role("button", name="Jetzt anstellen").click()
    expect(page.get_by_role("alert")).to_have_text("Der Warteraum ist voll. Bitte versuchen Sie es später noch einmal.")
    httpx.delete(f"{room_env.origin}/api/tickets/me", headers={"Authorization": "Bearer " + first.json()["token"]}, timeout=10)
    # room again: the same button now works
    page.get_by_role("button", name="Jetzt anstellen").click()
    expect(page.locator("#number")).to_have_text(re.compile(r"^L-\d+$"))


def test_a_lost_connection_keeps_the_place(room_env: RoomEnv, citizen) -> None:
    # last in this module: it restarts the server
    page = citizen()
    number = join(page, room_env.room("standesamt"))
    room_env.server.stop()
    try:
        expect(page.get_by_role("status")).to_have_text(re.compile("Die Verbindung ist kurz unterbrochen. Ihr Platz bleibt erhalten"),
                                                         timeout=30_000)
        expect(page.locator("#number")).to_have_text(number)
    finally:
        room_env.server.start()
    expect(page.get_by_role("status")).to_have_text("Wieder verbunden.", timeout=30_000)
    room_env.clerk_on_duty()
    expect(page.locator("#number")).to_have_text(number)
    expect(page.locator("#position")).to_have_text("1")
    assert page.errors == []
