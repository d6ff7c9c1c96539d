"""Entering the waiting room from the widget: dialog, handshake, new-tab fallbacks, languages."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.clerk import ClerkClient
from tests.browser.harness import CLERK_LOGIN, CLERK_PASSWORD

READY = "virtual-office[data-ready]"

# Stands in for the waiting room page (served by the office server at /w/<office>):
# it speaks the widget's postMessage protocol and records what it receives.
WAITING_ROOM = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Warteraum</title></head>
<body><main><h1>Warteraum</h1><button id="esc">Esc</button></main><script>
  const parentOrigin = new URL(document.referrer).origin;
  window.received = [];
  addEventListener('message', e => {
    if (e.origin !== parentOrigin || !e.data || e.data.source !== 'virtual-office') return;
    window.received.push(e.data.type);
    if (e.data.type === 'leave') parent.postMessage({source: 'virtual-office', type: 'left'}, parentOrigin);
  });
  parent.postMessage({source: 'virtual-office', type: 'ready'}, parentOrigin);
  parent.postMessage({source: 'virtual-office', type: 'state', in_queue: true}, parentOrigin);
</script></body></html>"""


@pytest.fixture
def open_office(env):
    """The Bürgerbüro with a clerk on duty, so citizens may join."""
    clerk = ClerkClient(env.server.origin, CLERK_LOGIN, CLERK_PASSWORD)
    clerk.presence("buergerbuero", "available")
    try:
        yield clerk
    finally:
        clerk.presence("buergerbuero", "offline")
        clerk.close()


def join_button(page):
    button = page.locator("li.office[data-office='buergerbuero'] .join")
    expect(button).not_to_have_attribute("aria-disabled", "true", timeout=10_000)
    return button


def shadow_focus(page) -> str:
    return page.evaluate("""() => { const a = document.activeElement;
        const inner = a && a.shadowRoot ? a.shadowRoot.activeElement : a;
        return inner ? inner.className || inner.tagName : ''; }""")


def test_dialog_handshake_escape_confirmation_and_focus_return(env, page, open_office):
    page.route(re.compile(r".*/w/buergerbuero\?.*"), lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=WAITING_ROOM))
    page.goto(env.site.url("/"))
    page.wait_for_selector(READY)
    button = join_button(page)
    button.click()

    dialog = page.locator("dialog.room")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_accessible_name("Warteraum: Bürgerbüro")
    iframe = dialog.locator("iframe")
    assert iframe.get_attribute("allow") == "camera; microphone; display-capture; autoplay"
    assert iframe.get_attribute("title") == "Virtueller Warteraum: Bürgerbüro"
    assert iframe.get_attribute("src") == f"{env.server.origin}/w/buergerbuero?lang=de&embed=1"
    assert shadow_focus(page) == "close"
    frame = page.frame_locator("dialog.room iframe")
    expect(frame.locator("h1")).to_have_text("Warteraum")
    expect(dialog.locator(".frame-status")).to_be_hidden()
    assert page.frames[1].evaluate("window.received") == ["hello"]

    # in the queue: Escape asks first, "keep waiting" keeps the dialog open
    page.keyboard.press("Escape")
    confirm = dialog.get_by_role("alertdialog")
    expect(confirm).to_be_visible()
    assert shadow_focus(page) == "confirm-no"
    confirm.get_by_role("button", name="Weiter warten").click()
    expect(confirm).to_be_hidden()
    expect(dialog).to_be_visible()

    # leaving tells the waiting room, which confirms; focus goes back to the button
    page.keyboard.press("Escape")
    confirm.get_by_role("button", name="Verlassen").click()
    expect(dialog).to_have_count(0)
    assert shadow_focus(page) == "join"
    assert page.errors == []


def test_page_forbidding_frames_gets_a_new_tab_link(env, page, open_office):
    page.goto(env.site.url("/pages/csp.html"))
    page.wait_for_selector(READY)
    join_button(page).click()
    link = page.get_by_role("link", name="Warteraum in neuem Tab öffnen")
    expect(link).to_be_visible(timeout=10_000)
    assert link.get_attribute("href") == f"{env.server.origin}/w/buergerbuero?lang=de"
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel")
    expect(page.locator("dialog.room iframe")).to_be_hidden()
    assert page.errors == []


def test_data_open_tab_opens_the_waiting_room_in_a_new_tab(env, page, open_office):
    page.goto(env.site.url("/pages/tab.html"))
    page.wait_for_selector(READY)
    button = join_button(page)
    expect(button).to_have_accessible_name(re.compile(r"öffnet in neuem Tab"))
    with page.context.expect_page() as new_tab:
        button.click()
    assert new_tab.value.url == f"{env.server.origin}/w/buergerbuero?lang=de"
    expect(page.locator("dialog.room")).to_have_count(0)


def test_two_snippets_one_global_and_languages(env, page):
    page.goto(env.site.url("/pages/two.html"))
    hosts = page.locator("virtual-office[data-ready]")
    expect(hosts).to_have_count(2, timeout=10_000)
    assert page.evaluate("window.VirtualOffice.widgets.length") == 2
    vehicles = page.locator("section[aria-label='Vehicles'] li.office")
    expect(vehicles).to_have_count(1)
    expect(vehicles.locator(".status-label")).to_have_text("Closed")
    expect(vehicles.locator(".join")).to_contain_text("Enter waiting room")
    expect(vehicles.locator(".name")).to_have_text("Vehicle registration")
    compact = page.locator("#compact li.office")
    expect(compact).to_have_count(2)
    expect(compact.first.locator(".join")).to_contain_text("Warteraum betreten")
    assert page.locator("#compact .vo").get_attribute("class") == "vo vo-compact"
    assert page.errors == []


def test_unreachable_server_shows_a_quiet_notice(env, page):
    # the script arrives (e.g. from the browser cache), but its server does not answer
    bundle = httpx.get(env.server.origin + "/widget.js", timeout=10).content
    page.route("http://127.0.0.1:9/widget.js", lambda route: route.fulfill(
        status=200, content_type="text/javascript; charset=utf-8", body=bundle))
    page.goto(env.site.url("/pages/unreachable.html"))
    host = page.locator("virtual-office")
    expect(host).to_have_attribute("data-state", "unavailable", timeout=20_000)
    expect(page.locator(".notice")).to_have_text("Der Live-Status ist gerade nicht verfügbar.")
    expect(page.locator("li.office")).to_have_count(0)
    assert page.errors == []


def test_server_restart_shows_a_calm_notice_and_recovers(env, page):
    page.goto(env.site.url("/"))
    page.wait_for_selector(READY)
    host = page.locator("virtual-office")
    env.server.stop()
    try:
        expect(host).to_have_attribute("data-state", "reconnecting", timeout=30_000)
        expect(page.locator(".notice")).to_have_text("Verbindung unterbrochen – wird wiederhergestellt …")
        expect(page.locator("li.office")).to_have_count(2)  # the last known state stays visible
    finally:
        env.server.start()
    expect(host).to_have_attribute("data-state", "live", timeout=60_000)
    expect(page.locator(".notice")).to_be_hidden()
    assert page.errors == []


def test_no_accessibility_violations_with_the_dialog_open(env, page, open_office, axe_source):
    page.route(re.compile(r".*/w/buergerbuero\?.*"), lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=WAITING_ROOM))
    page.goto(env.site.url("/"))
    page.wait_for_selector(READY)
    join_button(page).click()
    expect(page.locator("dialog.room .frame-status")).to_be_hidden()
    page.add_script_tag(content=axe_source)
    violations = page.evaluate("""async () => (await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations
        .map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)}))""")
    assert violations == []
