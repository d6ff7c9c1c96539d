"""The citizen's waiting room in Chromium against the real server: joining, waiting, being called,
reloading, the widget's dialog, the keyboard alone, accessibility and a camera the browser refuses.

In Firefox too: the keyboard alone with the connection check, a closed tab coming back to its place,
a refused camera, microphone or both, and a browser without WebRTC."""

from __future__ import annotations

import re

import pytest
import socketio
from playwright.sync_api import expect

from tests.browser.citizen_fixtures import NO_WEBRTC, SENSES, RoomEnv, citizen, join, room_env, stored_token  # noqa: F401 - fixtures
from tests.browser.staff_fixtures import Citizen, axe_violations


def test_two_citizens_wait_are_called_in_turn_and_keep_their_place_on_reload(room_env: RoomEnv, citizen, axe_source) -> None:
    office = "buergerbuero"
    anna, bernd = citizen(), citizen(width=390, notifications=True, init_script=SENSES)  # Bernd on a phone
    number_a = join(anna, room_env.room(office), name="Anna")
    number_b = join(bernd, room_env.room(office), notify=True)
    assert number_a != number_b
    expect(bernd.locator("#position")).to_have_text("2")
    expect(bernd.locator("#ahead")).to_have_text("1 Person")
    expect(bernd.locator("#estimate")).not_to_have_text("…")
    expect(anna.locator("#ahead")).to_have_text("niemand")
    expect(bernd.locator("#announcer")).to_have_text(f"Sie sind im Warteraum. Ihre Nummer: {number_b}. Ihr Platz: 2.")
    assert axe_violations(bernd, axe_source) == []

    # the office speaks to everyone waiting
    room_env.clerk.emit("announce", {"office_id": office, "text": "Heute etwas längere Wartezeiten."})
    expect(bernd.locator("#announcement-list li").first).to_have_text(re.compile(r"^Um \d\d:\d\d Uhr: Heute etwas längere Wartezeiten\.$"))

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
    assert stored_token(page, office)
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
                      auth={"token": stored_token(page, office), "lang": "de"}, wait_timeout=10)
    try:
        assert other_tab.call("accept", {}, namespace="/citizen", timeout=10)["ok"]
    finally:
        other_tab.eio.disconnect(abort=True)
    expect(page.locator("#queue-state")).to_have_text("Ihr Gespräch hat begonnen.")
    # the clerk finishes: the page says so and forgets the token
    room_env.clerk.emit("finish", {"office_id": office, "ticket_id": called["id"]})
    expect(page.get_by_role("heading", name="Ihr Besuch ist beendet")).to_be_visible()
    assert page.evaluate("k => localStorage.getItem(k) || sessionStorage.getItem(k)", key) is None
    page.reload()
    expect(page.get_by_role("heading", name="Bevor es losgeht: Ihre Daten")).to_be_visible()


@pytest.mark.engines("chromium", "firefox")  # the connection check through the server, in both
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


@pytest.mark.engines("chromium", "firefox")
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
    assert stored_token(page, "ruhetag") is None


def test_a_full_waiting_room_says_so(room_env: RoomEnv, citizen) -> None:
    first = Citizen(room_env.origin, "klein")  # joined, and connected: it holds the one place
    page = citizen()
    page.goto(room_env.room("klein"))
    page.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    page.get_by_role("button", name="Weiter").click()
    page.locator("#step-details").get_by_role("button", name="Weiter").click()
    page.get_by_role("button", name="Ohne Test weiter").click()
    page.get_by_role("button", name="Jetzt anstellen").click()
    expect(page.get_by_role("alert")).to_have_text("Der Warteraum ist voll. Bitte versuchen Sie es später noch einmal.")
    first.leave(room_env.origin)
    first.close()
    # room again: the same button now works
    page.get_by_role("button", name="Jetzt anstellen").click()
    expect(page.locator("#number")).to_have_text(re.compile(r"^L-\d+$"))


@pytest.mark.engines("chromium", "firefox")
def test_a_closed_tab_comes_back_to_its_place_and_every_tab_shows_the_same_ticket(room_env: RoomEnv, citizen, axe_source) -> None:
    office = "standesamt"
    first = citizen(width=390)
    number = join(first, room_env.room(office))
    context = first.context
    errors: list[object] = []
    context.on("weberror", lambda error: errors.append(error.error))
    first.close()  # the tab is gone; the place is kept for the grace period

    again = context.new_page()
    again.goto(room_env.room(office))
    expect(again.get_by_role("heading", name="Sie sind im Warteraum")).to_be_visible()
    expect(again.locator("#number")).to_have_text(number)
    expect(again.locator("#position")).to_have_text("1")
    expect(again.locator("#step-privacy")).to_be_hidden()
    second = context.new_page()  # a second tab of the same browser: the same ticket, no second one
    second.goto(room_env.room(office))
    expect(second.locator("#number")).to_have_text(number)
    assert axe_violations(second, axe_source) == []

    called = room_env.clerk.emit("call_next", {"office_id": office})["ticket"]
    assert called["number"] == number
    for tab in (again, second):
        expect(tab.get_by_role("button", name="Jetzt eintreten")).to_be_visible()
    again.get_by_role("button", name="Jetzt eintreten").click()
    again.wait_for_url(re.compile(rf"/visit/{called['id']}$"))
    # the other tab follows, with the way back into the visit should that tab be closed
    expect(second.locator("#queue-state")).to_have_text("Ihr Gespräch hat begonnen.")
    expect(second.get_by_role("link", name="Zurück ins Gespräch")).to_have_attribute("href", f"/visit/{called['id']}")
    # the visit page is in the visit before the clerk ends it (else it only learns the visit is gone)
    again.wait_for_function("() => window.VirtualOfficeVisit && window.VirtualOfficeVisit.socket && window.VirtualOfficeVisit.socket.connected")
    room_env.clerk.emit("finish", {"office_id": office, "ticket_id": called["id"]})
    expect(second.get_by_role("heading", name="Ihr Besuch ist beendet")).to_be_visible()
    expect(again.locator("#ended-heading")).to_have_text("Das Gespräch ist beendet", timeout=15_000)
    assert stored_token(again, office) is None
    with pytest.raises(RuntimeError, match="queue_empty"):  # there never was a second ticket
        room_env.clerk.emit("call_next", {"office_id": office})

    # a kept token whose ticket is gone: forgotten, and the page starts at step 1 without a fuss
    again.evaluate("""k => localStorage.setItem(k, JSON.stringify({value: 'deadbeefdeadbeef.secret', until: Date.now() + 60000, seconds: 60}))""",
                   "virtual-office.ticket." + office)
    third = context.new_page()
    third.goto(room_env.room(office))
    expect(third.get_by_role("heading", name="Bevor es losgeht: Ihre Daten")).to_be_visible()
    expect(third.locator("#queue")).to_be_hidden()
    third.wait_for_function("k => localStorage.getItem(k) === null", arg="virtual-office.ticket." + office)
    # one past its time is dropped before anything is asked
    third.evaluate("""k => localStorage.setItem(k, JSON.stringify({value: 'x.y', until: Date.now() - 1000, seconds: 60}))""",
                   "virtual-office.ticket." + office)
    third.reload()
    expect(third.get_by_role("heading", name="Bevor es losgeht: Ihre Daten")).to_be_visible()
    assert third.evaluate("k => localStorage.getItem(k)", "virtual-office.ticket." + office) is None
    assert errors == []


DENIED = {
    "camera": ("Die Kamera ist gesperrt", "Das Amt kann Sie hören, aber nicht sehen.", "Ihr Ton kommt an."),
    "microphone": ("Das Mikrofon ist gesperrt", "Das Amt kann Sie sehen, aber nicht hören.", "Ihr Bild kommt an."),
    "both": ("Kamera und Mikrofon sind gesperrt", "Kamera und Mikrofon nicht erlaubt", None),
}


@pytest.mark.engines("chromium", "firefox")  # Firefox refuses through prefs (citizen_fixtures.citizen)
@pytest.mark.parametrize(("allowed", "denied"), [(["microphone"], "camera"), (["camera"], "microphone"), ([], "both")])
def test_camera_or_microphone_or_both_denied_each_get_their_own_words(room_env: RoomEnv, citizen, axe_source,
                                                                        allowed: list[str], denied: str) -> None:
    heading, text, connection = DENIED[denied]
    page = citizen(devices=allowed)
    page.goto(room_env.room("fundbuero"))
    page.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    page.get_by_role("button", name="Weiter").click()
    page.locator("#step-details").get_by_role("button", name="Weiter").click()
    page.get_by_role("button", name="Kamera und Mikrofon testen").click()
    help_box = page.locator("#help-denied")
    expect(help_box.get_by_role("heading")).to_have_text(heading)
    expect(help_box).to_contain_text(text)
    expect(help_box).not_to_contain_text("Ihr Platz")  # there is no place yet to keep
    check = page.locator("#connection-check")
    if connection:
        # what works goes through the server and back; the words say which half
        expect(check).to_have_attribute("data-state", "ok", timeout=30_000)
        expect(check).to_contain_text(connection)
        expect(page.locator("#preview")).to_be_visible()
        if denied == "microphone":
            expect(page.locator("#preview-video")).to_be_visible()
        else:
            expect(page.locator("#preview-video")).to_be_hidden()
        way_on = page.get_by_role("button", name="Weiter", exact=True)
    else:
        expect(page.locator("#preview")).to_be_hidden()
        page.wait_for_timeout(1000)
        expect(check).to_be_empty()  # a permission problem is no firewall
        way_on = page.get_by_role("button", name="Ohne Test weiter")
    expect(page.locator("#step-check")).not_to_contain_text("Firewall")
    # one way on, never two that look alike
    expect(page.locator("#step-check .form-actions button:visible", has_text="weiter")).to_have_count(1)
    assert axe_violations(page, axe_source) == []
    way_on.click()
    expect(page.get_by_role("heading", name="Im Warteraum anstellen")).to_be_focused()
    assert page.errors == []


@pytest.mark.engines("chromium", "firefox")
def test_a_browser_without_webrtc_is_told_so_and_where_to_go(room_env: RoomEnv, citizen, axe_source) -> None:
    page = citizen(init_script=NO_WEBRTC, width=390)
    page.goto(room_env.room("fundbuero"))
    notice = page.locator("#no-webrtc")
    expect(notice.get_by_role("heading")).to_have_text("Mit diesem Browser geht kein Video-Gespräch")
    expect(notice).to_contain_text("in einem anderen Browser")
    expect(notice.locator("#no-webrtc-address")).to_have_text(room_env.room("fundbuero"))
    expect(notice.get_by_role("button", name="Seite neu laden")).to_be_visible()
    assert axe_violations(page, axe_source) == []
    page.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
    page.get_by_role("button", name="Weiter").click()
    page.locator("#step-details").get_by_role("button", name="Weiter").click()
    page.get_by_role("button", name="Kamera und Mikrofon testen").click()
    check = page.locator("#connection-check")
    expect(check).to_have_attribute("data-state", "failed")
    expect(check).to_have_text(re.compile("^Dieser Browser kann keine Video-Gespräche führen"))
    expect(page.locator("#step-check")).not_to_contain_text("Firewall")
    assert page.errors == []


# The call's push, changed, handed to the page's socket handlers as if the server had sent it, read
# ``age`` ms before (negative: after) the ticket the page shows.
DELIVER = """([changes, age]) => {
  const ticket = Object.assign({}, window.__called, changes, {as_of: window.VO.room.last.asOf - age});
  window.VO.room.socket.listeners('ticket').forEach(handler => handler(ticket));
}"""
WAITING = {"state": "waiting", "call": None, "position": 1, "ahead": 0}


@pytest.mark.engines("chromium", "firefox")
def test_a_push_overtaken_on_its_way_neither_hides_the_call_nor_sounds_it_again(room_env: RoomEnv, citizen) -> None:
    page = citizen(notifications=True, init_script=SENSES)
    number = join(page, room_env.room("kfz"), notify=True)
    expect(page.locator("#position")).to_have_text("1")
    page.evaluate("window.VO.room.socket.on('ticket', t => { if (t.state === 'called') window.__called = t; })")
    room_env.clerk.emit("call_next", {"office_id": "kfz"})
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(f"Sie sind dran, Nummer {number}! Bitte klicken Sie auf „Jetzt eintreten“.")
    page.wait_for_function("window.__called && window.__tones === 3")

    # The office's batched update, its tickets read just before the call, arrives after the call's own push.
    page.evaluate(DELIVER, [WAITING, 20])
    page.wait_for_timeout(200)
    expect(page.locator("#called")).to_be_visible()
    expect(alert).to_have_text(f"Sie sind dran, Nummer {number}! Bitte klicken Sie auf „Jetzt eintreten“.")
    expect(page).to_have_title("Sie sind dran!")

    # However a call comes to be shown a second time, it sounds and notifies once.
    page.evaluate(DELIVER, [WAITING, -1])
    expect(page.locator("#called")).to_be_hidden()
    page.evaluate(DELIVER, [{}, -1])
    expect(page.locator("#called")).to_be_visible()
    page.wait_for_timeout(500)  # the sound would start at once
    assert page.evaluate("window.__tones") == 3
    assert len(page.evaluate("window.__notes")) == 1
    ticket = page.evaluate("window.__called.number")
    assert ticket == number
    page.get_by_role("button", name="Jetzt eintreten").click()
    page.wait_for_url(re.compile(r"/visit/[0-9a-f]{16}$"))
    room_env.clerk.emit("finish", {"office_id": "kfz", "ticket_id": page.url.rsplit("/", 1)[1]})
    assert page.errors == []


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
