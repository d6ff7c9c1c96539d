"""The embeddable widget in a real Chromium, against the real office server."""

from __future__ import annotations

import re
import socket

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.clerk import ClerkClient
from tests.browser.harness import CLERK_LOGIN, CLERK_PASSWORD
from tests.browser.staff_fixtures import Citizen

READY = "virtual-office[data-ready]"


def row(page, office_id: str):
    # Playwright's CSS engine pierces open shadow roots.
    return page.locator(f"li.office[data-office='{office_id}']")


@pytest.fixture
def clerk(env):
    client = ClerkClient(env.server.origin, CLERK_LOGIN, CLERK_PASSWORD)
    try:
        yield client
    finally:
        client.close()


def test_example_page_shows_live_status(env, page):
    page.goto(env.site.url("/"))
    page.wait_for_selector(READY)
    offices = page.locator("li.office")
    expect(offices).to_have_count(2)
    assert offices.evaluate_all("rows => rows.map(r => r.dataset.office)") == ["buergerbuero", "kfz"]
    buergerbuero = row(page, "buergerbuero")
    expect(buergerbuero.locator(".name")).to_have_text("Bürgerbüro")
    # nobody on duty: closed, joining not possible, and the reason is given in words
    expect(buergerbuero).to_have_attribute("data-status", "closed")
    expect(buergerbuero.locator(".status-label")).to_have_text("Geschlossen")
    expect(buergerbuero.locator(".hours")).to_have_text("Heute: 00:00–24:00")
    expect(buergerbuero.locator(".waiting")).to_have_text("Niemand wartet")
    expect(buergerbuero.locator(".estimate")).to_be_hidden()  # no estimate for a closed office
    join = buergerbuero.get_by_role("button", name=re.compile("Warteraum betreten"))
    expect(join).to_have_attribute("aria-disabled", "true")
    expect(join).to_have_accessible_description(re.compile("sobald jemand im Dienst ist"))
    # within opening hours "closed" means nobody is on duty, and the widget says so
    expect(buergerbuero.locator(".status-detail")).to_have_text(re.compile("gerade ist niemand im Dienst"))
    # one global, no socket.io `io` leaking into the page, nothing thrown
    assert page.evaluate("typeof window.VirtualOffice === 'object' && typeof window.io === 'undefined'")
    assert page.errors == []


def test_status_change_shows_without_reload(env, page, clerk):
    page.goto(env.site.url("/"))
    page.wait_for_selector(READY)
    page.evaluate("window.__sameDocument = true")
    buergerbuero = row(page, "buergerbuero")
    expect(buergerbuero).to_have_attribute("data-status", "closed")

    clerk.presence("buergerbuero", "available")
    try:
        expect(buergerbuero).to_have_attribute("data-status", "open", timeout=10_000)
        expect(buergerbuero.locator(".status-label")).to_have_text("Geöffnet")
        expect(buergerbuero.locator(".estimate")).to_contain_text("Wartezeit")
        join = buergerbuero.get_by_role("button", name=re.compile("Warteraum betreten"))
        expect(join).not_to_have_attribute("aria-disabled", "true")
        # the change is announced politely, once
        live = page.locator("[aria-live=polite]")
        expect(live).to_have_text("Bürgerbüro: Geöffnet", timeout=5_000)
        # the other office did not change
        expect(row(page, "kfz")).to_have_attribute("data-status", "closed")

        # someone joins (and their page connects): the count changes on screen, but that is not worth an announcement
        someone = Citizen(env.server.origin, "buergerbuero", language="de")
        try:
            expect(buergerbuero.locator(".waiting")).to_have_text("1 Person wartet", timeout=10_000)
            page.wait_for_timeout(2_000)  # longer than the announcement batching
            expect(live).to_have_text("Bürgerbüro: Geöffnet")
            left = httpx.delete(f"{env.server.origin}/api/tickets/me", headers={"Authorization": f"Bearer {someone.token}"}, timeout=10)
            assert left.status_code == 200, left.text
        finally:
            someone.close()
        expect(buergerbuero.locator(".waiting")).to_have_text("Niemand wartet", timeout=10_000)
    finally:
        clerk.presence("buergerbuero", "offline")
    expect(buergerbuero).to_have_attribute("data-status", "closed", timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True
    assert page.errors == []


def _look(page, path: str):
    page.goto(path)
    page.wait_for_selector(READY)
    host = page.locator("virtual-office")
    styles = host.evaluate("""host => {
        const pick = el => { const s = getComputedStyle(el);
          return [s.fontSize, s.fontFamily, s.color, s.backgroundColor, s.display, s.letterSpacing,
                  s.textTransform, s.lineHeight, s.padding, s.margin, s.borderTopWidth, s.direction].join('|'); };
        const root = host.shadowRoot;
        return [host, ...root.querySelectorAll('.office, .name, .badge, .hours, .waiting, .join')].map(pick);
    }""")
    return styles, host.screenshot(animations="disabled")


def test_hostile_page_css_does_not_change_the_widget(env, page):
    plain_styles, plain_shot = _look(page, env.site.url("/pages/plain.html"))
    hostile_styles, hostile_shot = _look(page, env.site.url("/pages/hostile.html"))
    assert hostile_styles == plain_styles
    assert hostile_shot == plain_shot
    expect(page.locator("li.office .join").first).to_be_visible()
    assert page.errors == []


def test_page_on_foreign_origin_gets_no_status_only_a_line_for_its_webmaster(env, page):
    page.goto(env.foreign.url("/pages/plain.html"))
    host = page.locator("virtual-office")
    expect(host).to_have_attribute("data-state", "refused", timeout=10_000)
    assert host.evaluate("h => h.shadowRoot.querySelectorAll('li.office').length") == 0
    assert "Kfz-Zulassung" not in host.evaluate("h => h.shadowRoot.textContent")
    # one polite line in the widget's own box, saying where the website can be allowed
    notice = page.locator(".notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_text(re.compile("Diese Website ist für das virtuelle Bürgerbüro noch nicht freigegeben"))
    expect(notice).to_contain_text(env.server.origin + "/admin/origins")
    expect(notice).to_have_attribute("role", "status")
    warnings = [text for kind, text in page.errors.console if kind == "warning"]
    assert any(text.startswith("[virtual-office]") and "not allowed" in text for text in warnings)
    assert page.errors == []


def test_no_accessibility_violations_on_example_page(env, page, axe_source):
    page.goto(env.site.url("/"))
    page.wait_for_selector(READY)
    page.add_script_tag(content=axe_source)
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return {violations: r.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target)})),
                shadow: r.passes.some(p => p.nodes.some(n => Array.isArray(n.target[0])))};
    }""")
    assert result["violations"] == []
    assert result["shadow"], "axe did not look inside the widget's shadow root"


def test_fits_a_phone_screen(env, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    try:
        page = context.new_page()
        page.goto(env.site.url("/"))
        page.wait_for_selector(READY)
        overflow = page.locator("virtual-office").evaluate(
            "h => [...h.shadowRoot.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow === 'visible' && e.clientWidth > 0).map(e => e.className)")
        assert overflow == []
        box = page.locator("virtual-office").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        join = page.locator("li.office .join").first.bounding_box()
        assert join["height"] >= 44  # a comfortable touch target
    finally:
        context.close()


def _hold_connection(port: int) -> tuple[socket.socket, bytes]:
    """A WebSocket connection to Engine.IO from this machine's address, and the answer's status line."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return sock, answer.split(b"\r\n", 1)[0]


def test_a_network_at_the_connection_cap_still_sees_the_status(env, page):
    """Every connection this address may hold is taken (a city hall behind one NAT address, say):
    the widget's own is refused, and it shows the offices from the status route instead."""
    port = int(env.server.origin.rsplit(":", 1)[1])
    held: list[socket.socket] = []
    try:
        for _ in range(300):  # the cap is 200 a process; whatever this address holds already counts
            sock, status = _hold_connection(port)
            held.append(sock)
            if b" 101 " not in status + b" ":
                break
        else:
            raise AssertionError("no connection was refused")
        page.goto(env.site.url("/"))
        page.wait_for_selector(READY, timeout=30_000)
        expect(page.locator("li.office")).to_have_count(2)
        expect(row(page, "buergerbuero").locator(".status-label")).to_have_text("Geschlossen")
        expect(page.locator("virtual-office")).to_have_attribute("data-state", "live")
    finally:
        for sock in held:
            sock.close()
