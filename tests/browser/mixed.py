"""A visit across browsers: a citizen in Firefox, the clerk in Chromium, through the real server.

One visit (:func:`one_visit`): the citizen's connection check, joining, being called, both
opening the visit page until each sees the other's camera colour, a reload of the citizen's tab
until the pictures are back on both sides, and the end. It never raises for the pictures: it
says what each side saw, so that tests/browser/test_mixed.py can assert one visit and
benchmarks/mixed_visits.py can count black video over many.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import socketio

from tests.browser import harness
from tests.browser.test_visit import COLOURS, MEDIAN, colour_name, decoded, peer_state, write_y4m

OFFICE = "buergerbuero"
CITIZEN_COLOUR, CLERK_COLOUR = "red", "blue"
REMOTE_CAMERA = "li.tile[data-source=camera] video"
"""The other side's camera on a visit page (a page shows no tile of its own camera)."""


def launch_pair(playwright: Any, videos: Path) -> tuple[Any, Any]:
    """Firefox for the citizen (its camera painted red per context), Chromium with a blue fake camera for the clerk."""
    path = videos / f"{CLERK_COLOUR}.y4m"
    write_y4m(path, COLOURS[CLERK_COLOUR])
    clerk = playwright.chromium.launch(executable_path=harness.CHROMIUM, headless=True,
                                       args=[*harness.CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={path}"])
    try:
        citizen = harness.launch_firefox(playwright)
    except BaseException:
        clerk.close()
        raise
    return citizen, clerk


def clerk_cookie(origin: str) -> str:
    with httpx.Client(base_url=origin, timeout=10) as http:
        response = http.post("/api/login", json={"login": harness.CLERK_LOGIN, "password": harness.CLERK_PASSWORD})
        assert response.status_code == 200, response.text
        return http.cookies["vo_session"]



def _confirm(origin: str, token: str) -> None:
    """Connect to the ticket once, as the citizen's page would: a ticket takes its place (and can be
    called) only once a page of its citizen has connected."""
    sio = socketio.Client(reconnection=False)
    sio.connect(origin, namespaces=["/citizen"], transports=["polling"], auth={"token": token, "lang": "de"}, wait_timeout=10)
    sio.eio.disconnect(abort=True)

def _accept(origin: str, token: str) -> None:
    client = socketio.Client(reconnection=False)
    client.connect(origin, namespaces=["/citizen"], transports=["polling"], auth={"token": token, "lang": "de"}, wait_timeout=10)
    try:
        assert client.call("accept", {}, namespace="/citizen", timeout=10)["ok"]
    finally:
        client.eio.disconnect(abort=True)  # not waiting for the open long-poll to return


def picture(page: Any) -> dict[str, Any]:
    """What the page shows of the other side: a test colour, "black", "other" or "none" (no picture)."""
    try:
        video = page.locator(REMOTE_CAMERA)
        rgb = video.first.evaluate(MEDIAN) if video.count() == 1 else None
    except Exception:  # noqa: BLE001 - the page is navigating
        rgb = None
    if not rgb:
        seen = "none"
    elif max(rgb) < 40:
        seen = "black"
    else:
        seen = colour_name(rgb) or "other"
    return {"seen": seen, "rgb": rgb}


def wait_for_colour(page: Any, colour: str, timeout: float) -> tuple[dict[str, Any], float | None]:
    """Until the page shows ``colour`` (then the seconds it took) or the time is up (then None)."""
    start = time.monotonic()
    last = picture(page)
    while time.monotonic() - start < timeout:
        last = picture(page)
        if last["seen"] == colour:
            return last, time.monotonic() - start
        time.sleep(0.2)
    return last, None


def both_see(citizen: Any, clerk: Any, timeout: float) -> dict[str, Any]:
    """Waits for both pictures (the citizen sees blue, the clerk red); what each saw and when."""
    start = time.monotonic()
    outcome: dict[str, Any] = {}
    for side, page, colour in (("citizen", citizen, CLERK_COLOUR), ("clerk", clerk, CITIZEN_COLOUR)):
        seen, _ = wait_for_colour(page, colour, max(1.0, timeout - (time.monotonic() - start)))
        ok = seen["seen"] == colour
        outcome[side] = {**seen, "ok": ok, "frames_decoded": _frames(page)}
        if not ok:
            outcome[side]["peer"] = peer_state(page)
    outcome["seconds"] = round(time.monotonic() - start, 3)
    outcome["ok"] = outcome["citizen"]["ok"] and outcome["clerk"]["ok"]
    return outcome


def _frames(page: Any) -> int:
    try:
        return int(decoded(page))
    except Exception:  # noqa: BLE001 - the page is navigating
        return -1


def one_visit(citizen_browser: Any, clerk_browser: Any, origin: str, cookie: str, desk: Any, *, timeout: float = 30) -> dict[str, Any]:
    """One visit from the connection check to the end; returns what happened (never raises for pictures).

    ``desk`` is a :class:`tests.browser.clerk.ClerkClient` available for OFFICE.
    """
    started = time.monotonic()
    citizen_context = citizen_browser.new_context(locale="de-DE")
    citizen_context.add_init_script(harness.CANVAS_CAMERA % list(COLOURS[CITIZEN_COLOUR]))
    clerk_context = clerk_browser.new_context(permissions=["camera", "microphone"], locale="de-DE")
    clerk_context.add_cookies([{"name": "vo_session", "value": cookie, "url": origin}])
    result: dict[str, Any] = {}
    steps: dict[str, float] = {}
    result["steps_s"] = steps

    def step(name: str) -> None:
        steps[name] = round(time.monotonic() - started, 3)

    visit = None
    try:
        citizen, clerk = citizen_context.new_page(), clerk_context.new_page()
        errors: list[str] = []
        citizen.on("pageerror", lambda exc: errors.append(str(exc)))
        citizen.goto(f"{origin}/w/{OFFICE}?lang=de")
        step("waiting_room")
        result["connection_check"] = citizen.evaluate("() => window.VirtualOfficeConnectionCheck().then(r => r.ok)")
        step("connection_check")
        joined = httpx.post(f"{origin}/api/offices/{OFFICE}/tickets", json={"name": "Rita Rot"}, timeout=10).json()
        citizen.evaluate("([k, v]) => sessionStorage.setItem(k, v)", [f"virtual-office.ticket.{OFFICE}", joined["token"]])
        _confirm(origin, joined["token"])
        visit = desk.emit("call_next", {"office_id": OFFICE})["ticket"]["id"]
        _accept(origin, joined["token"])
        step("called")
        clerk.goto(f"{origin}/visit/{visit}?lang=de")
        citizen.goto(f"{origin}/visit/{visit}?lang=de")
        step("visit_pages")
        result["visit"] = both_see(citizen, clerk, timeout)
        step("both_see")
        citizen.reload()
        result["after_reload"] = both_see(citizen, clerk, timeout)
        step("both_see_after_reload")
        desk.emit("finish", {"office_id": OFFICE, "ticket_id": visit})
        visit = None
        step("finished")
        # Firefox reports a WebSocket cut at the reload as a page error; anything else counts
        result["page_errors"] = [e for e in errors if "connection to the server" not in e and "was interrupted" not in e]
    finally:
        if visit is not None:
            try:
                desk.emit("finish", {"office_id": OFFICE, "ticket_id": visit})
            except RuntimeError:
                pass
        citizen_context.close()
        clerk_context.close()
        step("closed")
    result["ok"] = bool(result.get("connection_check")) and result["visit"]["ok"] and result["after_reload"]["ok"]
    result["seconds"] = round(time.monotonic() - started, 3)
    return result
