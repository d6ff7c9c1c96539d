"""End-to-end encrypted visits in real browsers (docs/e2ee.md): Chromium, Firefox and the two mixed.

The citizen's camera is red, the clerk's (in the console) blue, a colleague's green, as in
test_visit. Every frame passes the pages' encryption worker: a picture of the right colour can
only come from frames that decrypted. The worker's counts say how many frames each page
encrypted, decrypted and dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.citizen_fixtures import join
from tests.browser.staff_fixtures import axe_violations
from tests.browser.test_visit import (
    ANNOUNCEMENTS,
    CLERK_LABEL,
    COLLEAGUE_LABEL,
    COLLEAGUE_LOGIN,
    COLLEAGUE_NAME,
    Visit,
    _add_colleague,
    sees,
)

OFFICE = "buergerbuero"
CLERK_DECIDES = "kfz"
"""An office whose clerk decides about a browser that cannot encrypt (the others refuse it, the default)."""
PAIRS = [("chromium", "chromium"), ("firefox", "firefox"), ("chromium", "firefox"), ("firefox", "chromium")]
"""(citizen, clerk) browsers."""


async def _clerk_decides(redis_url: str, office_id: str) -> None:
    import dataclasses

    import redis.asyncio

    from virtual_office.queue import OfficeDirectory

    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    try:
        offices = OfficeDirectory(client)
        await offices.save(dataclasses.replace(await offices.get(office_id), unencrypted_video="clerk"))
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
def e2ee_env(tmp_path_factory: pytest.TempPathFactory, playwright: Any, display: Any) -> Iterator[Visit]:
    redis = harness.RedisServer()
    server = None
    try:
        harness.seed(redis.url)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _add_colleague(redis.url)).result(60)
            pool.submit(asyncio.run, _clerk_decides(redis.url, CLERK_DECIDES)).result(60)
        server = harness.OfficeServer(redis.url, [])
        env = Visit(server, tmp_path_factory.mktemp("videos"), playwright, display)
        try:
            yield env
        finally:
            for launched in env.browsers.values():
                launched.close()
    finally:
        if server is not None:
            server.close()
        redis.close()


@pytest.fixture(autouse=True)
def _close_contexts(e2ee_env: Visit) -> Iterator[None]:
    yield
    while e2ee_env.contexts:
        e2ee_env.contexts.pop().close()


def counts(frame: Any) -> dict[str, Any]:
    """What the page's encryption worker did with frames, by kind, and the ids of the keys it holds."""
    return frame.evaluate("() => window.VirtualOfficeVisit.frameCounts()")  # type: ignore[no-any-return]


def safety_code(frame: Any) -> str | None:
    return frame.evaluate("() => window.VirtualOfficeVisit.safetyCode()")  # type: ignore[no-any-return]


def audio_energy(frame: Any) -> float:
    """The energy of all audio the page received and decoded (0 when nothing decodes)."""
    return frame.evaluate("""async () => {
      let energy = 0;
      (await window.VirtualOfficeVisit.pc().getStats()).forEach(s => { if (s.type === 'inbound-rtp' && s.kind === 'audio') energy += s.totalAudioEnergy || 0; });
      return energy;
    }""")  # type: ignore[no-any-return]


def wait_for(check: Any, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.25)


def same_code(*frames: Any, seconds: float = 30) -> str:
    """Wait until every page shows one and the same safety code; return it."""
    last: list[str | None] = []

    def agree() -> bool:
        last[:] = [safety_code(f) for f in frames]
        return last[0] is not None and len(set(last)) == 1

    try:
        wait_for(agree, "", seconds)
    except AssertionError:
        raise AssertionError(f"the safety codes differ: {last}") from None
    return str(last[0])


class Desk:
    """The clerk's console and, once a visit is on, its visit frame."""

    def __init__(self, env: Visit, engine: str, office: str = OFFICE, *, init: str | None = None) -> None:
        self.office = office
        self.context = env.staff_context(engine, "blue", harness.CLERK_LOGIN)
        self.context.add_init_script(ANNOUNCEMENTS)
        if init:
            self.context.add_init_script(init)
        self.console = self.context.new_page()
        self.console.goto(f"{env.server.origin}/console")
        self.console.locator(f"input[name=presence-{office}][value=available]").check()
        expect(self.console.locator("#connection")).to_have_attribute("data-state", "connected")

    def call(self, citizen: Any) -> tuple[str, Any]:
        enter = citizen.get_by_role("button", name="Jetzt eintreten")
        for _ in range(6):  # a ticket is callable once the waiting room's socket has connected; until then the queue is empty
            self.console.locator(f"section.office[data-office={self.office}] .call-next").click()
            try:
                enter.wait_for(timeout=5000)
                break
            except Exception:  # noqa: BLE001 - not called yet: again
                continue
        enter.click()
        citizen.wait_for_url(re.compile(r"/visit/[0-9a-f]{16}$"))
        visit_id = citizen.url.rsplit("/", 1)[1]
        expect(self.console.locator("#visit-media iframe")).to_have_attribute("src", re.compile(rf"/visit/{visit_id}\?embed=console"))
        frame = self.console.frame(url=re.compile(r"/visit/"))
        assert frame is not None
        return visit_id, frame

    def finish(self, frame: Any) -> None:
        self.console.locator("#finish").click()
        expect(frame.locator("#ended")).to_be_visible(timeout=15_000)


def citizen_page(env: Visit, engine: str, office: str = OFFICE, *, init: str | None = None) -> Any:
    page = env.context(engine, "red", viewport={"width": 1000, "height": 900}).new_page()
    page.add_init_script(ANNOUNCEMENTS)
    if init:
        page.add_init_script(init)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(exc))
    join(page, f"{env.server.origin}/w/{office}?lang=de", name="Rita Rot")
    return page


@pytest.mark.parametrize(("citizen_engine", "clerk_engine"), PAIRS, ids=["-".join(p) for p in PAIRS])
def test_a_visit_is_end_to_end_encrypted_both_ways_with_one_safety_code(
        e2ee_env: Visit, citizen_engine: str, clerk_engine: str, axe_source: str) -> None:
    for engine in {citizen_engine, clerk_engine}:
        if not harness.has_engine(engine):
            pytest.skip(f"{engine} is not installed")
    desk = Desk(e2ee_env, clerk_engine)
    citizen = citizen_page(e2ee_env, citizen_engine)
    _, clerk = desk.call(citizen)

    # Each sees the other's colour: frames the other encrypted, decrypted here.
    sees(citizen, CLERK_LABEL, "blue")
    sees(clerk, "Rita Rot", "red")
    code = same_code(citizen, clerk)
    assert re.fullmatch(r"\d{3} \d{3}", code)
    for page in (citizen, clerk):
        expect(page.locator("#e2ee")).to_have_attribute("data-state", "encrypted")
        expect(page.locator("#e2ee-state")).to_have_text(re.compile("^Bild und Ton sind Ende-zu-Ende-verschlüsselt"))
        expect(page.locator("#e2ee-code")).to_have_text(code)
        page.wait_for_function("text => window.__announced.includes(text)",
                               arg=f"Bild und Ton sind Ende-zu-Ende-verschlüsselt. Sicherheitscode: {' '.join(code.replace(' ', ''))}")
        # audio both ways too: decrypted and decoded into sound
        wait_for(lambda page=page: counts(page)["audio"]["decrypted"] > 50 and audio_energy(page) > 0, f"no audio decoded in {page.url}")
        seen = counts(page)
        assert seen["video"]["encrypted"] > 0 and seen["audio"]["encrypted"] > 0, seen
        assert seen["video"]["decrypted"] > 0, seen
    assert axe_violations(citizen, axe_source) == []
    assert axe_violations(clerk, axe_source) == []

    # A reload of the citizen's page: a new key pair, so a new safety code, the same on both sides.
    citizen.reload()
    sees(clerk, "Rita Rot", "red")
    sees(citizen, CLERK_LABEL, "blue")
    reloaded = same_code(citizen, clerk)
    assert reloaded != code

    # The server restarts in the middle (its media sessions are in its memory): the pages keep
    # their keys, connect again and go on encrypted, with the same code.
    keys = counts(clerk)["keys"]
    e2ee_env.server.stop()
    expect(citizen.locator("#connection")).to_have_attribute("data-state", "reconnecting", timeout=15_000)
    e2ee_env.server.start()
    expect(citizen.locator("#connection")).to_have_attribute("data-state", "live", timeout=40_000)
    wait_for(lambda: counts(clerk)["video"]["decrypted"] > 0 and video_frames_decoded(clerk) > 0, "no picture after the restart", 40)
    sees(clerk, "Rita Rot", "red")
    sees(citizen, CLERK_LABEL, "blue")
    assert same_code(citizen, clerk) == reloaded
    assert set(keys) & set(counts(clerk)["keys"])  # the citizen's key of before still decrypts

    desk.finish(clerk)
    expect(citizen.locator("#ended")).to_be_visible()
    # Firefox reports the WebSocket the restart refused as a page error (as in test_visit)
    assert [e for e in citizen.errors if "can’t establish a connection to the server" not in str(e)] == []


def video_frames_decoded(frame: Any) -> int:
    return frame.evaluate("""async () => {
      let n = 0;
      (await window.VirtualOfficeVisit.pc().getStats()).forEach(s => { if (s.type === 'inbound-rtp' && s.kind === 'video') n += s.framesDecoded || 0; });
      return n;
    }""")  # type: ignore[no-any-return]


def keyframe_requests(frame: Any) -> int:
    """The picture-loss and full-intra requests the page's camera got from the server."""
    return frame.evaluate("""async () => {
      let n = 0;
      (await window.VirtualOfficeVisit.pc().getStats()).forEach(s => {
        if (s.type === 'outbound-rtp' && s.kind === 'video') n += (s.pliCount || 0) + (s.firCount || 0);
      });
      return n;
    }""")  # type: ignore[no-any-return]


# The clerk's page hears no more key messages (as if the server kept them back) and the citizen's
# current key is replaced by a wrong one of the same id.
WRONG_KEY = """id => {
  const V = window.VO.visit;
  V.socket.off('key');
  V.e2ee.worker.postMessage({type: 'receive', from: 'citizen', id, raw: crypto.getRandomValues(new Uint8Array(16)).buffer});
}"""


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_member_with_a_wrong_key_decodes_nothing_and_asks_for_no_flood_of_keyframes(e2ee_env: Visit, engine: str) -> None:
    if not harness.has_engine(engine):
        pytest.skip(f"{engine} is not installed")
    desk = Desk(e2ee_env, engine)
    citizen = citizen_page(e2ee_env, engine)
    _, clerk = desk.call(citizen)
    sees(clerk, "Rita Rot", "red")
    same_code(citizen, clerk)
    time.sleep(2)  # the citizen's key of the moment is in use (a new one is used a second after it went out)

    clerk.evaluate(WRONG_KEY, citizen.evaluate("() => window.VO.visit.e2ee.own.id"))
    time.sleep(1)  # frames on their way
    frames, energy, requests = video_frames_decoded(clerk), audio_energy(clerk), keyframe_requests(citizen)
    dropped = counts(clerk)["video"]["dropped"]
    time.sleep(10)
    # Nothing more decoded, picture or sound; the frames came and were dropped before the decoder.
    assert video_frames_decoded(clerk) == frames
    # The decoder's concealment of the missing frames may add a trace (1e-8 was seen); one decoded
    # 20 ms frame even at -40 dBFS adds 2e-6.
    assert audio_energy(clerk) - energy < 1e-6
    assert counts(clerk)["video"]["dropped"] > dropped + 50
    # The citizen's browser was not asked for keyframe after keyframe (a decoder fed ciphertext asks every 0.2-0.4 s).
    assert keyframe_requests(citizen) - requests <= 3
    # The clerk's page says whose picture it cannot decrypt, instead of a dark tile without a word.
    expect(clerk.locator("#e2ee")).to_have_attribute("data-state", "no_key", timeout=15_000)
    assert NO_KEY.match(clerk.locator("#e2ee-state").inner_text()).group(1) == "Rita Rot"  # type: ignore[union-attr]
    expect(clerk.locator("#tiles li.tile[data-participant=citizen] .e2ee-missing")).to_have_text(NO_KEY_TILE)
    clerk.wait_for_function("text => window.__announced.includes(text)", arg=clerk.locator("#e2ee-state").inner_text())
    # The citizen sees the clerk as before.
    sees(citizen, CLERK_LABEL, "blue")
    expect(citizen.locator("#e2ee")).to_have_attribute("data-state", "encrypted")
    desk.finish(clerk)


# The clerk's browser never answers the key messages: every `key` message its pages are sent is
# dropped before the page's own listener (until the test sets window.__dropKeys = false).
DROP_KEYS = """(() => {
  window.__dropKeys = true;
  let real;
  Object.defineProperty(window, 'io', {configurable: true, set: value => { real = value; }, get: () => real && Object.assign(function (...args) {
    const socket = real(...args), on = socket.on.bind(socket);
    socket.on = (event, listener) => on(event, event === 'key' ? (...data) => { if (!window.__dropKeys) listener(...data); } : listener);
    return socket;
  }, real)});
})();"""

NO_KEY = re.compile("^Bild und Ton von (.+) lassen sich hier nicht entschlüsseln: Der passende Schlüssel ist nicht angekommen")

NO_KEY_TILE = "Kein passender Schlüssel angekommen: Bild und Ton lassen sich nicht entschlüsseln."


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_member_whose_key_never_comes_is_named_on_the_page_and_its_tile_and_causes_no_keyframe_flood(
        e2ee_env: Visit, engine: str, axe_source: str) -> None:
    if not harness.has_engine(engine):
        pytest.skip(f"{engine} is not installed")
    desk = Desk(e2ee_env, engine, init=DROP_KEYS)
    citizen = citizen_page(e2ee_env, engine)
    _, clerk = desk.call(citizen)

    # The frames come and are dropped (no key); after a while each page says whose key is missing, instead of a black tile.
    wait_for(lambda: (counts(citizen) or {"video": {"dropped": 0}})["video"]["dropped"] > 30, "the clerk's frames did not reach the citizen")
    for page, other in ((citizen, CLERK_LABEL), (clerk, "Rita Rot")):
        expect(page.locator("#e2ee")).to_have_attribute("data-state", "no_key", timeout=30_000)
        expect(page.locator("#e2ee-state")).to_have_text(NO_KEY)
        assert NO_KEY.match(page.locator("#e2ee-state").inner_text()).group(1) == other  # type: ignore[union-attr]
        expect(page.locator("#e2ee-code-line")).to_be_hidden()
        tile = page.locator("#tiles li.tile[data-source=camera]").filter(has_text=other)
        expect(tile).to_have_attribute("data-e2ee", "no_key")
        expect(tile.locator(".e2ee-missing")).to_have_text(NO_KEY_TILE)
        page.wait_for_function("text => window.__announced.includes(text)", arg=page.locator("#e2ee-state").inner_text())
    assert safety_code(citizen) is None and safety_code(clerk) is None
    assert video_frames_decoded(citizen) == 0 and video_frames_decoded(clerk) == 0  # nothing shown, encrypted or not
    assert axe_violations(citizen, axe_source) == []

    # Neither camera is asked for keyframe after keyframe by a viewer that cannot decrypt it.
    requests = keyframe_requests(citizen), keyframe_requests(clerk)
    dropped = counts(citizen)["video"]["dropped"]
    time.sleep(10)
    assert counts(citizen)["video"]["dropped"] > dropped + 50  # the frames kept coming
    assert keyframe_requests(citizen) - requests[0] <= 3
    assert keyframe_requests(clerk) - requests[1] <= 3

    # The clerk's browser answers again and the citizen opens the page anew (as the page advises): the keys come,
    # the notes go, and each sees the other.
    clerk.evaluate("() => { window.__dropKeys = false; }")
    citizen.reload()
    code = same_code(citizen, clerk, seconds=40)
    for page in (citizen, clerk):
        expect(page.locator("#e2ee")).to_have_attribute("data-state", "encrypted", timeout=15_000)
        expect(page.locator("#tiles .e2ee-missing")).to_have_count(0)
    expect(citizen.locator("#e2ee-code")).to_have_text(code)
    sees(citizen, CLERK_LABEL, "blue")
    sees(clerk, "Rita Rot", "red")

    # The clerk's page loses the citizen's keys (taken back): the citizen's frames keep coming and decrypt no more.
    clerk.evaluate("() => window.VO.visit.e2ee.worker.postMessage({type: 'forget', from: 'citizen'})")
    expect(clerk.locator("#e2ee")).to_have_attribute("data-state", "no_key", timeout=30_000)
    assert NO_KEY.match(clerk.locator("#e2ee-state").inner_text()).group(1) == "Rita Rot"  # type: ignore[union-attr]
    expect(clerk.locator("#tiles li.tile[data-participant=citizen] .e2ee-missing")).to_have_text(NO_KEY_TILE)
    desk.finish(clerk)
    assert citizen.errors == []


# Another public key and a nonce in base64url, and the commitment to them as e2ee.js makes it.
FORGE = """async () => {
  const b64 = bytes => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const pair = await crypto.subtle.generateKey({name: 'ECDH', namedCurve: 'P-256'}, true, ['deriveBits']);
  const public_ = b64(await crypto.subtle.exportKey('raw', pair.publicKey));
  const nonce = b64(crypto.getRandomValues(new Uint8Array(16)));
  const commit = b64(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('virtual-office e2ee commit ' + public_ + '.' + nonce)));
  return {public: public_, nonce, commit};
}"""

# Key messages the test puts in between, as a server that swaps keys would: the clerk's id, a
# commitment to another public key, then that key (the clerk's page hears none of the citizen's answers).
FORGED = """async ([clerk, forged]) => {
  window.VO.visit.e2ee.onKey({from: clerk, kind: 'commit', commit: forged.commit});
  window.VO.visit.e2ee.onKey({from: clerk, kind: 'hello', public: forged.public, nonce: forged.nonce});
}"""


def test_the_safety_code_differs_when_a_forged_key_comes_in_between(e2ee_env: Visit) -> None:
    desk = Desk(e2ee_env, "chromium")
    citizen = citizen_page(e2ee_env, "chromium")
    _, clerk = desk.call(citizen)
    sees(citizen, CLERK_LABEL, "blue")
    code = same_code(citizen, clerk)
    clerk_participant = clerk.evaluate("() => window.VO.visit.me.participant")

    clerk.evaluate("() => window.VO.visit.socket.off('key')")
    citizen.evaluate(FORGED, [clerk_participant, citizen.evaluate(FORGE)])
    wait_for(lambda: safety_code(citizen) != code, "the citizen's code did not change")
    time.sleep(3)
    assert safety_code(clerk) == code != safety_code(citizen)
    expect(citizen.locator("#e2ee-code")).not_to_have_text(code)
    # The citizen dropped the clerk's keys with the swapped public key: the clerk's picture stops.
    time.sleep(1)
    frames = video_frames_decoded(citizen)
    time.sleep(4)
    assert video_frames_decoded(citizen) == frames
    desk.finish(clerk)


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_colleague_gets_the_keys_while_in_the_visit_and_none_once_let_go(e2ee_env: Visit, engine: str) -> None:
    if not harness.has_engine(engine):
        pytest.skip(f"{engine} is not installed")
    origin = e2ee_env.server.origin
    desk = Desk(e2ee_env, engine)
    citizen = citizen_page(e2ee_env, engine)
    visit_id, clerk = desk.call(citizen)
    sees(clerk, "Rita Rot", "red")
    two = same_code(citizen, clerk)

    colleague_context = e2ee_env.staff_context(engine, "green", COLLEAGUE_LOGIN)
    colleague_console = colleague_context.new_page()
    colleague_console.goto(f"{origin}/console")
    expect(colleague_console.locator("#connection")).to_have_attribute("data-state", "connected")
    panel = desk.console.frame_locator("#visit-media iframe")
    panel.get_by_label("Wen hinzuziehen (z. B. Dolmetschen)").select_option(label=COLLEAGUE_NAME)
    panel.get_by_role("button", name="Hinzuziehen").click()
    with colleague_context.expect_page() as opened:
        colleague_console.locator("#invitations .invitation").get_by_role("link", name="Gespräch beitreten").click()
    colleague = opened.value
    colleague.wait_for_url(re.compile(rf"/visit/{visit_id}$"))

    sees(colleague, "Rita Rot", "red")
    sees(colleague, CLERK_LABEL, "blue")
    sees(citizen, COLLEAGUE_LABEL, "green")
    three = same_code(citizen, clerk, colleague)
    assert three != two

    # Let go: the two left renew their media keys; the colleague's page has ended and holds none of them.
    old_keys = {page.evaluate("() => window.VO.visit.e2ee.own.id") for page in (citizen, clerk)}
    panel.get_by_role("button", name=f"{COLLEAGUE_NAME} aus dem Gespräch entlassen").click()
    expect(colleague.locator("#ended")).to_be_visible()
    # a new round for the two: their key pairs are those of before, their nonces new, so a new code
    wait_for(lambda: safety_code(citizen) == safety_code(clerk) not in (None, two, three), "no new code of the two")
    time.sleep(2)  # the new keys are in use
    new_keys = {page.evaluate("() => window.VO.visit.e2ee.own.id") for page in (citizen, clerk)}
    assert not new_keys & old_keys
    held = counts(colleague)
    assert not new_keys & set(held["keys"]), (new_keys, held)
    assert new_keys <= set(counts(clerk)["keys"]) | set(counts(citizen)["keys"])
    sees(clerk, "Rita Rot", "red")
    sees(citizen, CLERK_LABEL, "blue")
    desk.finish(clerk)


# The clerk's page sends, through the server, a public key and nonce it never committed to.
FORGED_REVEAL = """forged => new Promise(resolve => window.VO.visit.socket.emit(
  'key', {to: 'citizen', kind: 'hello', public: forged.public, nonce: forged.nonce}, resolve))"""


def test_a_reveal_that_does_not_match_its_commitment_is_refused_and_the_page_says_so(e2ee_env: Visit) -> None:
    desk = Desk(e2ee_env, "chromium")
    citizen = citizen_page(e2ee_env, "chromium")
    _, clerk = desk.call(citizen)
    sees(citizen, CLERK_LABEL, "blue")
    code = same_code(citizen, clerk)

    assert clerk.evaluate(FORGED_REVEAL, clerk.evaluate(FORGE)) == {"ok": True}  # the relay passes it on: it reads nothing
    expect(citizen.locator("#e2ee")).to_have_attribute("data-state", "refused_key")
    expect(citizen.locator("#e2ee-state")).to_have_text(re.compile("^Die Ende-zu-Ende-Verschlüsselung ist NICHT bestätigt"))
    expect(citizen.locator("#e2ee-code-line")).to_be_hidden()
    assert safety_code(citizen) is None
    citizen.wait_for_function("text => window.__announced.includes(text)", arg=citizen.locator("#e2ee-state").inner_text())
    # The forged key was not taken: the citizen still holds the clerk's keys and sees the clerk.
    time.sleep(2)
    frames = video_frames_decoded(citizen)
    sees(citizen, CLERK_LABEL, "blue")
    wait_for(lambda: video_frames_decoded(citizen) > frames + 20, "the clerk's picture stopped")
    assert safety_code(clerk) == code
    desk.finish(clerk)


# The clerk's page holds back every key message it sends and notes the kinds of those it hears.
HOLD_BACK = """() => {
  const socket = window.VO.visit.socket, emit = socket.emit.bind(socket);
  window.__held = []; window.__heard = [];
  socket.on('key', message => window.__heard.push(message.kind));
  socket.emit = (event, ...args) => event === 'key' ? window.__held.push(args) : emit(event, ...args);
  window.__release = async () => {  // in order, each once the server took the one before, as the page sends them
    socket.emit = emit;
    for (const [message, ack] of window.__held.splice(0)) await new Promise(resolve => emit('key', message, answer => { ack(answer); resolve(); }));
  };
}"""


def test_a_page_reveals_its_key_only_once_it_holds_the_commitment_of_the_other(e2ee_env: Visit) -> None:
    desk = Desk(e2ee_env, "chromium")
    citizen = citizen_page(e2ee_env, "chromium")
    _, clerk = desk.call(citizen)
    sees(citizen, CLERK_LABEL, "blue")
    code = same_code(citizen, clerk)

    # The citizen's page opens anew (a new key pair, a new round); the clerk's commitment does not reach it.
    clerk.evaluate(HOLD_BACK)
    citizen.reload()
    wait_for(lambda: "commit" in clerk.evaluate("() => window.__heard"), "the citizen's new page sent no commitment")
    time.sleep(5)
    assert set(clerk.evaluate("() => window.__heard")) == {"commit"}  # no public key, no nonce, no sealed key
    assert safety_code(citizen) is None
    expect(citizen.locator("#e2ee")).to_have_attribute("data-state", "waiting")
    assert clerk.evaluate("() => window.__held.map(args => args[0].kind)")[:1] == ["commit"]

    # Once it arrives, the citizen reveals, and the two agree on a new code.
    clerk.evaluate("() => window.__release()")
    wait_for(lambda: "hello" in clerk.evaluate("() => window.__heard"), "the citizen did not reveal")
    assert same_code(citizen, clerk) != code
    sees(citizen, CLERK_LABEL, "blue")
    sees(clerk, "Rita Rot", "red")
    desk.finish(clerk)


# A browser without encoded transforms, as an older one is.
CANNOT_ENCRYPT = """
delete window.RTCRtpScriptTransform;
if (window.RTCRtpSender) delete window.RTCRtpSender.prototype.createEncodedStreams;
"""


@pytest.mark.parametrize("engine", ["chromium", "firefox"])
def test_a_browser_that_cannot_encrypt_is_refused_or_the_clerk_decides_and_every_page_says_so(
        e2ee_env: Visit, engine: str, axe_source: str) -> None:
    if not harness.has_engine(engine):
        pytest.skip(f"{engine} is not installed")
    # The office refuses (the default): no video for that browser, and the clerk is told why.
    desk = Desk(e2ee_env, engine)
    citizen = citizen_page(e2ee_env, engine, init=CANNOT_ENCRYPT)
    _, clerk = desk.call(citizen)
    expect(citizen.locator("#video-help-heading")).to_have_text("Mit diesem Browser geht kein verschlüsseltes Video")
    expect(citizen.locator("#e2ee")).to_have_attribute("data-state", "unsupported")
    expect(clerk.locator("#e2ee-ask-text")).to_have_text(
        "Der Browser von Rita Rot kann Bild und Ton nicht Ende-zu-Ende verschlüsseln und bekommt darum kein Video. Chat und Dokumente gehen.")
    expect(clerk.locator("#e2ee-allow")).to_be_hidden()
    assert citizen.evaluate("() => window.VirtualOfficeVisit.pc()") is None  # nothing sent, in the clear or otherwise
    # the clerk may not decide for an office that refuses
    answer = clerk.evaluate("() => new Promise(r => window.VirtualOfficeVisit.socket.emit('allow_unencrypted', {}, r))")
    assert answer["ok"] is False and answer["error"] == "forbidden"
    assert axe_violations(citizen, axe_source) == []
    desk.finish(clerk)
    desk.context.close()

    # The office lets the clerk decide: asked, the clerk goes on unencrypted, and every page says so.
    desk = Desk(e2ee_env, engine, CLERK_DECIDES)
    citizen = citizen_page(e2ee_env, engine, CLERK_DECIDES, init=CANNOT_ENCRYPT)
    _, clerk = desk.call(citizen)
    expect(citizen.locator("#video-help-heading")).to_have_text("Ihr Browser kann nicht verschlüsseln")
    expect(clerk.locator("#e2ee-ask-text")).to_contain_text("Der Browser von Rita Rot kann Bild und Ton nicht Ende-zu-Ende verschlüsseln. Sie entscheiden")
    assert axe_violations(clerk, axe_source) == []
    clerk.get_by_role("button", name="Unverschlüsselt weiter").click()
    for page in (citizen, clerk):
        expect(page.locator("#e2ee")).to_have_attribute("data-state", "plain")
        expect(page.locator("#e2ee-state")).to_have_text(re.compile("^Dieses Gespräch ist NICHT Ende-zu-Ende-verschlüsselt"))
        page.wait_for_function("text => window.__announced.includes(text)", arg=page.locator("#e2ee-state").inner_text())
    sees(citizen, CLERK_LABEL, "blue")
    sees(clerk, "Rita Rot", "red")
    expect(clerk.locator("#e2ee-ask")).to_be_hidden()
    desk.finish(clerk)
    assert citizen.errors == []
