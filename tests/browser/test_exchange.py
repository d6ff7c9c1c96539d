"""The visit page's exchange panel in Chromium and Firefox: chat, files, a drawn signature, the ID check, the end.

A citizen tab and a clerk tab on the real visit page (/visit/<id>), against a server of
their own with a small upload limit. Run inside a loopback-only network namespace:

    timeout -k 10 900 unshare --net --pid --fork --kill-child --mount-proc -- \\
      sh -c 'ip link set lo up && "$@"' sh python -m pytest tests/browser/test_exchange.py -q
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.clerk import ClerkClient
from tests.browser.sites import StaticSite
from tests.browser.staff_fixtures import Citizen

LIMIT = 60_000
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 500
MARKUP = "<img src=x onerror=window.__pwned=1>"


class ExchangeEnv:
    def __init__(self, server: harness.OfficeServer) -> None:
        self.server = server
        self.clerk = ClerkClient(server.origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
        self.clerk.presence("buergerbuero", "available")


@pytest.fixture(scope="module")
def exchange_env() -> Iterator[ExchangeEnv]:
    redis = harness.RedisServer()
    port = harness.free_port()
    site = StaticSite(f"http://127.0.0.1:{port}")
    server = env = None
    try:
        _aside(harness.seed, redis.url)
        server = harness.OfficeServer(redis.url, [site.origin], port=port, extra_env={
            "VO_STATUS_INTERVAL": "0.05", "VO_MAX_UPLOAD_BYTES": str(LIMIT), "VO_CALL_TIMEOUT_SECONDS": "60",
        })
        env = ExchangeEnv(server)
        yield env
    finally:
        if env is not None:
            env.clerk.close()
        if server is not None:
            server.close()
        site.close()
        redis.close()


def _aside(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run in a thread of its own (sync Playwright keeps an event loop in this one)."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(fn(*args, **kwargs)))
    thread.start()
    thread.join()
    return result[0] if result else None


class VisitPages:
    def __init__(self, visit_id: str, citizen: Any, clerk: Any, person: Citizen) -> None:
        self.id = visit_id
        self.citizen = citizen
        self.clerk = clerk
        self.person = person


@pytest.fixture
def visit(browser: Any, exchange_env: ExchangeEnv) -> Iterator[VisitPages]:
    """A called and accepted citizen, with the visit page open in a citizen and a clerk tab."""
    origin = exchange_env.server.origin
    person = _aside(Citizen, origin, "buergerbuero", name="Erika")
    visit_id = exchange_env.clerk.emit("call_next", {"office_id": "buergerbuero"})["ticket"]["id"]
    _aside(person.accept)
    contexts = []

    def tab(init: str = "") -> Any:
        context = browser.new_context(viewport={"width": 1100, "height": 1000}, locale="de-DE", permissions=["camera", "microphone"],
                                      accept_downloads=True)
        contexts.append(context)
        context.add_init_script(SAVED)
        if init:
            context.add_init_script(init)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(exc))
        return page

    # (not in a new page's first, empty document: Firefox refuses it storage)
    citizen = tab(f"if (location.protocol === 'http:') sessionStorage.setItem('virtual-office.ticket.buergerbuero', {person.token!r});")
    clerk = tab()
    response = clerk.request.post(origin + "/api/login", data={"login": harness.CLERK_LOGIN, "password": harness.CLERK_PASSWORD})
    assert response.ok
    for page in (clerk, citizen):
        page.goto(f"{origin}/visit/{visit_id}?lang=de")
    expect(clerk.locator("#exchange-sign-request")).to_be_visible(timeout=15_000)
    expect(citizen.locator("#exchange-file-limit")).not_to_be_empty(timeout=15_000)
    try:
        yield VisitPages(visit_id, citizen, clerk, person)
    finally:
        try:
            exchange_env.clerk.emit("finish", {"office_id": "buergerbuero", "ticket_id": visit_id})
        except RuntimeError:
            pass  # the test finished it
        _aside(person.close)
        for context in contexts:
            context.close()


# Each file the page saves for the person: a fetched blob handed to an <a download> (the citizen's token
# cannot go into a link). Firefox driven over WebDriver BiDi (Playwright 1.64, Debian's Firefox ESR) reports
# no download for a blob: URL, so there the test reads what the page handed over (as a data: URL).
SAVED = """
window.__saved = [];
const blobs = new Map();
const createObjectURL = URL.createObjectURL;
URL.createObjectURL = function (blob) { const url = createObjectURL.call(URL, blob); blobs.set(url, blob); return url; };
const click = HTMLAnchorElement.prototype.click;
HTMLAnchorElement.prototype.click = function () {
  const blob = this.download && blobs.get(this.href);
  if (blob) {
    const name = this.download, reader = new FileReader();
    reader.onload = () => window.__saved.push([name, reader.result]);
    reader.readAsDataURL(blob);
  }
  return click.call(this);
};
"""


def saved(page: Any, engine: str, link: Any) -> bytes:
    """The bytes of the file the page saves when ``link`` is clicked."""
    if engine == "chromium":
        with page.expect_download() as download:
            link.click()
        return Path(download.value.path()).read_bytes()
    before = page.evaluate("window.__saved.length")
    link.click()
    page.wait_for_function("n => window.__saved.length > n", arg=before)
    url = page.evaluate("window.__saved[window.__saved.length - 1][1]")
    return base64.b64decode(url.split(",", 1)[1])


def send_file(page: Any, name: str, data: bytes, mime: str = "application/octet-stream") -> None:
    page.locator("#exchange-file").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.get_by_role("button", name="Datei senden").click()


def chat(page: Any, text: str) -> None:
    page.get_by_label("Nachricht", exact=True).fill(text)
    page.locator("#exchange-chat-form").get_by_role("button", name="Senden").click()


@pytest.mark.engines("chromium", "firefox")
def test_chat_and_files_both_ways_as_text_and_gone_after_finish(visit: VisitPages, exchange_env: ExchangeEnv, engine: str) -> None:
    citizen, clerk = visit.citizen, visit.clerk
    chat(citizen, MARKUP + " https://example.org")
    expect(clerk.locator("#exchange-chat-log")).to_contain_text(MARKUP + " https://example.org")
    # Keyboard alone: Enter sends (Shift+Enter would start a new line).
    clerk.get_by_label("Nachricht", exact=True).focus()
    clerk.keyboard.type("Guten Tag, wie kann ich helfen?")
    clerk.keyboard.press("Enter")
    expect(citizen.locator("#exchange-chat-log")).to_contain_text("Guten Tag, wie kann ich helfen?")
    expect(citizen.locator("#exchange-chat-log")).to_contain_text("Erika Mustermann (Sachbearbeitung)")

    send_file(citizen, MARKUP + ".pdf", PDF, "application/pdf")
    expect(clerk.locator("#exchange-files a", has_text=MARKUP + ".pdf")).to_be_visible()
    send_file(clerk, "bescheid.png", PNG, "image/png")
    expect(clerk.locator("#exchange-file-status")).to_have_text("Gesendet: bescheid.png")
    link = citizen.locator("#exchange-files a", has_text="bescheid.png")
    expect(link).to_be_visible()
    assert saved(citizen, engine, link) == PNG
    assert saved(clerk, engine, clerk.locator("#exchange-files a", has_text=MARKUP)) == PDF

    # Markup stays text everywhere: no element made of it, no script run.
    for page in (citizen, clerk):
        assert page.locator("#exchange img").count() == 0
        assert page.evaluate("window.__pwned") is None

    send_file(citizen, "gross.pdf", PDF + b"0" * LIMIT, "application/pdf")
    expect(citizen.locator("#exchange-file-error")).to_contain_text("zu groß")
    send_file(citizen, "antrag.pdf", EXE, "application/pdf")
    expect(citizen.locator("#exchange-file-error")).to_contain_text("nicht angenommen")
    expect(clerk.locator("#exchange-files a")).to_have_count(2)

    folder = Path(exchange_env.server.data_dir) / "visits" / visit.id
    assert folder.exists()
    hrefs = clerk.locator("#exchange-files a").evaluate_all("links => links.map(a => a.href)")
    exchange_env.clerk.emit("finish", {"office_id": "buergerbuero", "ticket_id": visit.id})
    for page in (citizen, clerk):
        expect(page.locator("#exchange-ended")).to_have_text("Das Gespräch ist beendet. Chat und Dateien wurden gelöscht.")
        expect(page.locator("#exchange-files a")).to_have_count(0)
    # The clerk keeps the final visit record (sent just before the end) to copy it.
    record = clerk.get_by_label("Notiz zum Übernehmen in Ihr Fachverfahren (wird nicht gespeichert)")
    expect(record).to_be_visible()
    expect(record).to_have_value(re.compile("Ausgetauschte Dokumente: .*bescheid.png"))
    assert "Identität geprüft: nein" in record.input_value()
    assert not folder.exists()
    for href in hrefs:
        assert clerk.request.get(href).status == 404
    assert citizen.errors == [] and clerk.errors == []


PIXELS = """async (href) => {
  const blob = await (await fetch(href)).blob();
  const image = await createImageBitmap(blob);
  const canvas = document.createElement('canvas');
  canvas.width = image.width; canvas.height = image.height;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const data = ctx.getImageData(0, 0, image.width, image.height).data;
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] < 128 && data[i + 1] < 128) dark++;
  return {type: blob.type, width: image.width, dark};
}"""


def axe_violations(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """WCAG 2.1 AA problems inside the exchange panel."""
    page.evaluate("source => { (0, eval)(source); }", axe_source)
    return page.evaluate("""async (tags) => {
        const r = await axe.run('#exchange', {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target)}));
    }""", ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])


@pytest.mark.engines("chromium", "firefox")
def test_signature_drawn_on_the_pad_arrives_as_an_image_and_the_id_check(visit: VisitPages, axe_source: str) -> None:
    citizen, clerk = visit.citizen, visit.clerk
    clerk.get_by_label("Name des Dokuments").fill("Antrag auf Wohngeld")
    clerk.get_by_role("button", name="Unterschrift anfordern").click()
    pad = citizen.get_by_role("img", name="Unterschriftenfeld")
    expect(pad).to_be_visible()
    expect(citizen.locator("#exchange-pad-title")).to_have_text("Bitte unterschreiben Sie: Antrag auf Wohngeld")
    assert pad.evaluate("el => getComputedStyle(el).touchAction") == "none"
    assert axe_violations(citizen, axe_source) == []
    assert axe_violations(clerk, axe_source) == []

    citizen.get_by_role("button", name="Unterschrift senden").click()
    expect(citizen.locator("#exchange-pad-error")).to_contain_text("zuerst")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    # a zigzag across the pad, inside its box (Firefox refuses a pointer moved beyond the viewport)
    citizen.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.7)
    citizen.mouse.down()
    for step in range(1, 30):
        citizen.mouse.move(box["x"] + box["width"] * (0.1 + 0.8 * step / 29), box["y"] + box["height"] * (0.7 - 0.4 * ((step % 6) / 6)), steps=2)
    citizen.mouse.up()
    citizen.get_by_role("button", name="Unterschrift senden").click()

    link = clerk.locator("#exchange-files a", has_text="Unterschrift – Antrag auf Wohngeld.png")
    expect(link).to_be_visible()
    expect(clerk.locator("#exchange-signatures")).to_contain_text("unterschrieben")
    expect(citizen.locator("#exchange-pad-box")).to_be_hidden()
    pixels = clerk.evaluate(PIXELS, link.get_attribute("href"))
    assert pixels["type"] == "image/png" and pixels["width"] > 100 and pixels["dark"] > 100

    # Without a pointer: the clerk notes a paper signature instead.
    clerk.get_by_label("Name des Dokuments").fill("Vollmacht")
    clerk.get_by_role("button", name="Unterschrift anfordern").click()
    expect(citizen.locator("#exchange-pad-title")).to_have_text("Bitte unterschreiben Sie: Vollmacht")
    clerk.get_by_role("button", name="Auf Papier unterschrieben").click()
    expect(citizen.locator("#exchange-signatures")).to_contain_text("Vollmacht – auf Papier unterschrieben")
    expect(citizen.locator("#exchange-pad-box")).to_be_hidden()

    clerk.get_by_role("button", name="Ausweis zeigen lassen").click()
    expect(citizen.locator("#exchange-id-instruction")).to_be_visible()
    clerk.get_by_role("button", name="Video der Person vergrößern").click()
    expect(clerk.locator("#exchange-id-enlarge")).to_have_attribute("aria-pressed", "true")
    clerk.get_by_label("Identität geprüft").check()
    expect(citizen.locator("#exchange-id-done")).to_be_visible()
    expect(citizen.locator("#exchange-id-instruction")).to_be_hidden()

    clerk.get_by_role("button", name="Notiz erstellen").click()
    record = clerk.locator("#exchange-record")
    expect(record).to_have_value(re.compile("Identität geprüft: ja"))
    value = record.input_value()
    assert "Antrag auf Wohngeld (digital)" in value and "Vollmacht (auf Papier)" in value and "Büro: Bürgerbüro" in value
    assert citizen.locator("#exchange-record").is_hidden()
    assert citizen.errors == [] and clerk.errors == []
