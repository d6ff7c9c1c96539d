"""The media server relays end-to-end encrypted frames it cannot decode (docs/e2ee.md).

Two Chromium participants encrypt every frame with the visit page's own worker
(virtual_office/server/visit/static/e2ee-worker.js, under one shared key as the key
exchange would give them) and decode each other; a tap on the same media session, an
aiortc participant that decodes what the server forwards as the server itself would,
receives the same packets and its decoder fails on them: libavcodec refuses nearly every
frame ("Invalid data found"; about nine in ten) and makes something of the odd one whose
clear header it accepts, which cannot be the picture: the rest of that frame is ciphertext.
"""

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from tests.browser.harness import CANVAS_CAMERA
from tests.conftest import free_port
from tests.media.test_chromium import PAGE, chromium, open_participant  # noqa: F401 - the fixture

WORKER = Path(__file__).parents[2] / "virtual_office" / "server" / "visit" / "static" / "e2ee-worker.js"

# Every sender and receiver of the page gets the visit page's transform, as the visit page sets them.
ENCRYPT = """
const worker = new Worker('/e2ee-worker.js');
const raw = new Uint8Array(16).fill(7);
worker.postMessage({type: 'send', id: 42, raw: raw.buffer.slice(0)});
worker.postMessage({type: 'receive', from: 'other', id: 42, raw: raw.buffer.slice(0)});
const transformed = new WeakSet();
const transform = (end, kind, direction) => {
  if (transformed.has(end)) return;
  transformed.add(end);
  end.transform = new RTCRtpScriptTransform(worker, {kind, direction});
};
const addTransceiver = RTCPeerConnection.prototype.addTransceiver;
RTCPeerConnection.prototype.addTransceiver = function (track, init) {
  const tr = addTransceiver.call(this, track, init);
  transform(tr.sender, typeof track === 'string' ? track : track.kind, 'send');
  return tr;
};
const setRemoteDescription = RTCPeerConnection.prototype.setRemoteDescription;
RTCPeerConnection.prototype.setRemoteDescription = async function (description) {
  await setRemoteDescription.call(this, description);
  for (const tr of this.getTransceivers()) transform(tr.receiver, tr.receiver.track.kind, 'receive');
};
window.frameCounts = () => new Promise(resolve => {
  worker.addEventListener('message', e => resolve(e.data.counts), {once: true});
  worker.postMessage({type: 'counts'});
});
"""


@pytest.fixture
async def encrypting_page_url():
    app = web.Application()

    async def index(request):
        return web.Response(text=PAGE, content_type="text/html")

    async def worker(request):
        return web.Response(text=WORKER.read_text(), content_type="text/javascript")

    app.router.add_get("/", index)
    app.router.add_get("/e2ee-worker.js", worker)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/"
    await runner.cleanup()


async def test_the_server_relays_encrypted_frames_that_its_decoder_cannot_read(
        media, visit, chromium, encrypting_page_url, caplog):  # noqa: F811
    await chromium.add_init_script(CANVAS_CAMERA % [220, 30, 30])  # a red picture: the tap can tell it
    await chromium.add_init_script(ENCRYPT)
    session = visit.session
    session.encrypted = True
    clerk_page, clerk = await open_participant(chromium, encrypting_page_url, session, "clerk", visit, media)
    citizen_page, citizen = await open_participant(chromium, encrypting_page_url, session, "citizen", visit, media)
    # The browsers decrypt and decode each other's pictures.
    await citizen.wait_decoded("clerk/camera", count=20)
    await clerk.wait_decoded("citizen/camera", count=20)

    # The tap gets the same packets through the same session and decodes no frame of them.
    caplog.set_level("WARNING", logger="aiortc.rtcrtpreceiver")
    tap = await visit("tap", "blue")
    before = await citizen.decoded()
    seen: set[str] = set()  # every colour the tap's decoder made of the two cameras
    for _ in range(120):
        await asyncio.sleep(0.05)
        seen |= {tap.colours[k] for k in (("clerk", "camera"), ("citizen", "camera")) if k in tap.colours}
    assert await tap.packets_received() > 200
    failed = len([r for r in caplog.records if "failed to decode VP8 frame" in r.getMessage()])
    tapped = tap.frames[("clerk", "camera")] + tap.frames[("citizen", "camera")]
    browser = (await citizen.decoded())["clerk/camera"] - before["clerk/camera"]
    # the browser decoded the clerk's camera all along; the tap got next to nothing of two cameras
    # most frames are refused outright (seen: 169 refused, 41 made into something, while the
    # browser decoded 123 of one camera); none is the red picture
    assert failed > 2 * tapped and failed > 50, (failed, dict(tap.frames), browser)
    assert "red" not in seen, seen
    # meanwhile the browsers went on decoding, and every frame they sent was encrypted
    decoded = await citizen.decoded()
    assert decoded["clerk/camera"] > 40, decoded
    for page in (clerk_page, citizen_page):
        counts = await page.evaluate("frameCounts()")
        assert counts["video"]["encrypted"] > 40 and counts["audio"]["encrypted"] > 100, counts
        # what they dropped is the tap's camera and microphone: sent unencrypted, never decoded here
        assert counts["video"]["dropped"] > 0, counts
    assert media.counters.transcoded == 0
    assert (await citizen.decoded()).get("tap/camera", 0) == 0
