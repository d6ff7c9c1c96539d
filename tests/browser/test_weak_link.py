"""A citizen on a weak link still gets a picture (docs/media.md, "On a weak link").

A real visit, clerk and citizen in the same engine; both cameras paint noise, so each encoder
wants all the bitrate it may have. Then, in the test's own network namespace, the one hop from the
server's media port to the citizen's (found from the citizen page's selected candidate pair) goes
through a narrow link: an htb class of 320 kbit/s with a queue of about a second, as a mobile
link's buffer. The citizen's browser sees the delay grow and lowers its estimate (REMB: the
server's offer has no transport-wide feedback), the server passes the estimate on to the clerk's
browser, and the clerk's encoder sends less: the citizen keeps decoding. The other way,
citizen→clerk, is not narrowed and keeps its rate. Once the link is wide again the clerk's rate
comes back. The rates are printed; only generous bounds are asserted.

A policer that drops without queueing (nftables' ``limit rate over ... drop``) is not used: the
receiving browsers' REMB is delay-based and stays high under loss alone (docs/media.md).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_e2ee import Desk, citizen_page
from tests.browser.test_visit import Visit, _close_contexts, peer_state, visit_env

__all__ = ["_close_contexts", "visit_env"]  # the fixtures, used by name

RATE = "320kbit"
"""The narrowed hop's rate: 40 kB/s, audio included."""
QUEUE = 30
"""Packets the narrowed hop's queue holds (about a second of them at that rate)."""

# A camera of random pixels that never repeat in a way an encoder could predict: every
# encoder on it wants as many bits as its bandwidth estimate allows.
NOISE_CAMERA = """(() => {
  if (typeof MediaDevices === 'undefined') return;
  const original = MediaDevices.prototype.getUserMedia;
  MediaDevices.prototype.getUserMedia = async function (constraints) {
    const stream = await original.call(this, constraints);
    if (!constraints || !constraints.video) return stream;
    const canvas = document.createElement('canvas');
    canvas.width = 640; canvas.height = 480;
    const ctx = canvas.getContext('2d');
    const frames = [];
    for (let f = 0; f < 7; f++) {
      const image = ctx.createImageData(640, 480), words = new Uint32Array(image.data.buffer);
      for (let i = 0; i < words.length; i++) words[i] = (Math.random() * 0x1000000) | 0xff000000;
      frames.push(image);
    }
    let n = 0;
    const paint = () => { ctx.putImageData(frames[n % frames.length], 0, 0); n += 1; };
    paint();
    const track = canvas.captureStream(15).getVideoTracks()[0];
    const timer = setInterval(paint, 1000 / 15);
    const stop = track.stop.bind(track);
    track.stop = () => { clearInterval(timer); stop(); };
    for (const fake of stream.getVideoTracks()) { fake.stop(); stream.removeTrack(fake); }
    stream.addTrack(track);
    return stream;
  };
})();"""

# The page's video numbers: frames decoded and bytes received, bytes sent, the encoder's target
# and the transport's estimate where the engine reports them (Chromium), the ports of the
# selected candidate pair, and whether each side's description offers REMB / transport-wide cc.
STATS = """async () => {
  const pc = window.VirtualOfficeVisit && window.VirtualOfficeVisit.pc();
  if (!pc) return null;
  const stats = await pc.getStats(), out = {decoded: 0, received: 0, sent: 0, target: null, available: null,
    local: null, remote: null, at: performance.now(),
    remb: [pc.localDescription, pc.remoteDescription].map(d => !!d && d.sdp.includes('goog-remb')),
    twcc: [pc.localDescription, pc.remoteDescription].map(d => !!d && d.sdp.includes('transport-cc'))};
  let pair = null;
  stats.forEach(s => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') { out.decoded += s.framesDecoded || 0; out.received += s.bytesReceived || 0; }
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.sent += s.bytesSent || 0;
      if (s.targetBitrate !== undefined) out.target = (out.target || 0) + s.targetBitrate;
    }
    if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
  });
  if (!pair) stats.forEach(s => { if (s.type === 'candidate-pair' && (s.selected || (s.nominated && s.state === 'succeeded'))) pair = pair || s; });
  if (pair) {
    out.available = pair.availableOutgoingBitrate === undefined ? null : pair.availableOutgoingBitrate;
    out.local = stats.get(pair.localCandidateId).port;
    out.remote = stats.get(pair.remoteCandidateId).port;
  }
  return out;
}"""


def stats(frame: Any) -> dict[str, Any]:
    found = frame.evaluate(STATS)
    assert found is not None, "the page has no peer connection"
    return found  # type: ignore[no-any-return]


def kbit(bytes_: float, ms: float) -> float:
    return round(bytes_ * 8 / ms, 1)  # bytes per millisecond × 8 = kbit/s


def measure(citizen: Any, clerk: Any, seconds: float, phase: str) -> dict[str, Any]:
    """Rates over ``seconds``: the clerk's video sent, the citizen's received and sent; the longest
    wait between two new frames decoded on the citizen's page."""
    first_citizen, first_clerk = stats(citizen), stats(clerk)
    last_decoded, last_new = first_citizen["decoded"], time.monotonic()
    longest = 0.0
    citizen_now, clerk_now = first_citizen, first_clerk
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.2)
        citizen_now = stats(citizen)
        if citizen_now["decoded"] > last_decoded:
            last_decoded, last_new = citizen_now["decoded"], time.monotonic()
        longest = max(longest, time.monotonic() - last_new)
    clerk_now = stats(clerk)
    ms_citizen = citizen_now["at"] - first_citizen["at"]
    ms_clerk = clerk_now["at"] - first_clerk["at"]
    rates = {
        "clerk sends": kbit(clerk_now["sent"] - first_clerk["sent"], ms_clerk),
        "citizen receives": kbit(citizen_now["received"] - first_citizen["received"], ms_citizen),
        "citizen sends": kbit(citizen_now["sent"] - first_citizen["sent"], ms_citizen),
        "clerk's target": None if clerk_now["target"] is None else round(clerk_now["target"] / 1000, 1),
        "clerk's estimate": None if clerk_now["available"] is None else round(clerk_now["available"] / 1000, 1),
        "citizen fps": round((citizen_now["decoded"] - first_citizen["decoded"]) * 1000 / ms_citizen, 1),
        "longest wait for a frame (s)": round(longest, 2),
    }
    print(f"{phase}: {rates}")
    return rates


@pytest.fixture
def link() -> Iterator[Any]:
    """Narrows one UDP hop while the test holds it; widened again at the end in any case."""
    if [name for _, name in socket.if_nameindex()] != ["lo"]:
        pytest.skip("changes the loopback's queueing: runs only in the loopback-only namespace of scripts/test.sh")
    tc = shutil.which("tc")
    assert tc, "iproute2's tc is needed"
    narrowed: list[bool] = []

    def run(*args: str) -> None:
        subprocess.run([tc, *args], check=True, capture_output=True)

    def narrow(source_port: int, destination_port: int) -> None:
        # Everything else on the loopback goes through an unlimited class; the one hop through a
        # narrow one with a queue that holds about a second, as a mobile link's buffer does.
        run("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "1", "r2q", "1000")
        run("class", "add", "dev", "lo", "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit")
        run("class", "add", "dev", "lo", "parent", "1:", "classid", "1:2", "htb", "rate", RATE, "ceil", RATE)
        run("qdisc", "add", "dev", "lo", "parent", "1:2", "handle", "20:", "pfifo", "limit", str(QUEUE))
        run("filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "u32",
            "match", "ip", "protocol", "17", "0xff",
            "match", "ip", "sport", str(source_port), "0xffff",
            "match", "ip", "dport", str(destination_port), "0xffff", "flowid", "1:2")
        narrowed.append(True)

    def widen() -> None:
        if narrowed:
            run("qdisc", "del", "dev", "lo", "root")
            narrowed.clear()

    narrow.widen = widen  # type: ignore[attr-defined]
    yield narrow
    widen()


@pytest.mark.engines("chromium", "firefox")
def test_a_citizen_on_a_weak_link_keeps_a_picture_as_the_clerk_sends_less(
        visit_env: Visit, engine: str, link: Any) -> None:
    desk = Desk(visit_env, engine, init=NOISE_CAMERA)
    citizen = citizen_page(visit_env, engine, init=NOISE_CAMERA)
    _, clerk = desk.call(citizen)
    try:
        narrowed_and_widened(citizen, clerk, engine, link)
    finally:
        desk.finish(clerk)  # the clerk is free again for the next test's call


def narrowed_and_widened(citizen: Any, clerk: Any, engine: str, link: Any) -> None:
    deadline = time.monotonic() + 30
    while any((s := page.evaluate(STATS)) is None or s["decoded"] < 30 for page in (citizen, clerk)):
        assert time.monotonic() < deadline, f"no video both ways: {peer_state(citizen)}, {peer_state(clerk)}"
        time.sleep(0.5)
    seen = stats(citizen)
    print(f"{engine}: REMB offered (citizen's local, remote): {seen['remb']}; transport-cc: {seen['twcc']}")
    assert seen["remb"][1], "the server's description offers no goog-remb"

    time.sleep(10)  # the encoders ramp up to what the link takes
    before = measure(citizen, clerk, 8, f"{engine} before")
    assert before["clerk sends"] > 450, f"the clerk sends too little for the limit to matter: {before}"

    link(seen["remote"], seen["local"])  # from the server's media port to the citizen's
    time.sleep(10)  # the citizen's estimate goes down, the clerk's encoder follows
    during = measure(citizen, clerk, 12, f"{engine} narrowed to {RATE}")
    link.widen()
    after = None
    for attempt in range(5):
        after = measure(citizen, clerk, 8, f"{engine} widened, {attempt * 8}-{attempt * 8 + 8} s")
        if after["clerk sends"] > 2 * during["clerk sends"]:
            break

    # The citizen keeps getting a picture, at a lower rate ...
    assert during["citizen fps"] > 1, during
    assert during["longest wait for a frame (s)"] < 5, during
    # ... because the clerk's browser sends less: its bitrate came down to what the link takes
    # (40 kB/s is 320 kbit/s, audio included) ...
    assert during["clerk sends"] < 0.6 * before["clerk sends"], (before, during)
    assert during["clerk sends"] < 400, during
    # ... while the way that is not narrowed keeps its rate ...
    assert during["citizen sends"] > 0.6 * before["citizen sends"], (before, during)
    # ... and once the link is wide again, the clerk's rate comes back.
    assert after is not None and after["clerk sends"] > 2 * during["clerk sends"], (during, after)
    assert stats(citizen)["decoded"] > 0
