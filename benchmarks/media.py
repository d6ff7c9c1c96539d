"""Benchmark of the media relay: server CPU per 1:1 session, packets vs frames vs re-encoding.

    python benchmarks/media.py --quick     # a step or two per way (about a minute)
    python benchmarks/media.py             # also the most sessions that keep >= 25 fps
    python benchmarks/media.py --profile   # plus a cProfile of the packet-forwarding server

The three ways are measured in the same run, one after the other, so their
ratios hold even on a machine shared with other load (the load average at the
start and end of each way is recorded):

- ``packets``: RTP packets forwarded as they come (the default).
- ``frames``: encoded frames reassembled by aiortc's jitter buffer and packed
  again (the frame path, as before issue 15; forced here by treating no two
  codecs as the same, which sends every track the way a codec mismatch does,
  minus the decoding).
- ``re-encoding``: decoded and encoded again (``MediaConfig.forward=False``).
- ``encrypted`` (with ``--encrypted``): the packet path of an end-to-end encrypted
  session (``open_session(encrypted=True)``), the clip's frames encrypted as the
  visit page's worker does (AES-GCM; 10 bytes of a VP8 keyframe, 3 of a delta
  frame, 1 of an Opus frame clear; IV and key id at the end; docs/e2ee.md).

Each session is a 1:1 visit: two participants, each sending 640x480 VP8 at
30 fps (moving content, about 1 Mbit/s) and Opus, each receiving the other
through the server. The server (virtual_office.media.MediaServer) runs in its
own process pinned to one core; the participants run in this process, pinned
to the other. To leave the whole core to the relay, the participants send a
pre-encoded clip and count received frames without decoding them. Everything
runs in a fresh network namespace with only loopback: the script re-executes
itself under ``unshare`` unless it is already inside one.

Results: benchmarks/results/media.json and media.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import fractions
import io
import json
import math
import multiprocessing
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.loopback import in_loopback_namespace  # noqa: E402 - needs ROOT on sys.path

RESULTS = ROOT / "benchmarks" / "results"
VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
AUDIO_TIME_BASE = fractions.Fraction(1, 48000)
FPS = 30
MIN_FPS = 25


# --- the server process -------------------------------------------------------


WAYS = ("packets", "frames", "re-encoding")
ENCRYPTED = "encrypted"
ALL_WAYS = (*WAYS, ENCRYPTED)
"""The three ways above, and the packet path of an end-to-end encrypted session (``--encrypted``)."""
LATE_JOINERS: dict[str, dict] = {}


def server_main(way: str, port_queue, profile_path: str | None, cores: list[int]) -> None:
    _pin(0, cores)
    asyncio.run(_serve(way, port_queue, profile_path))


async def _serve(way: str, port_queue, profile_path: str | None) -> None:
    from virtual_office.media import MediaConfig, MediaServer, packets

    if way == "frames":  # no codec counts as the same: every track takes the frame path
        packets.same_codec = lambda a, b: False
    media = MediaServer(MediaConfig(host_addresses=("127.0.0.1",), forward=way != "re-encoding"))
    done = asyncio.Event()
    profiler = cProfile.Profile() if profile_path else None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def send(obj: dict) -> None:
            writer.write(json.dumps(obj).encode() + b"\n")
            await writer.drain()

        while line := await reader.readline():
            request = json.loads(line)
            op = request["op"]
            if op == "open":
                sid = request["session"]

                async def on_signal(pid, message, sid=sid):
                    await send({"session": sid, "participant": pid, "message": message})

                session = media.open_session(sid, on_signal, encrypted=way == ENCRYPTED)
                for pid in request["participants"]:
                    session.admit(pid)
            elif op == "signal":
                session = media.get(request["session"])
                await session.signal(request["participant"], request["message"])
            elif op == "close_all":
                for sid in list(media._sessions):
                    await media.close_session(sid)
                await send({"op": "closed"})
            elif op == "usage":
                times = os.times()
                await send({"op": "usage", "cpu": times.user + times.system, "at": time.monotonic(),
                            "counters": vars(media.counters)})
            elif op == "profile":
                if profiler is not None:
                    if request["on"]:
                        profiler.enable()
                    else:
                        profiler.disable()
                        profiler.dump_stats(profile_path)
                await send({"op": "profile"})
            elif op == "quit":
                done.set()
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_queue.put(server.sockets[0].getsockname()[1])
    await done.wait()
    server.close()
    await media.close()


# --- the participants (this process) -------------------------------------------


def encode_clip(seconds: int = 10) -> tuple[list[bytes], list[bytes]]:
    """A VP8 clip of moving content (a keyframe a second) and an Opus tone, as encoded frames."""
    import av
    import numpy

    video = av.CodecContext.create("libvpx", "w")
    video.width, video.height, video.pix_fmt = 640, 480, "yuv420p"
    video.time_base = fractions.Fraction(1, FPS)
    video.bit_rate = 1_000_000
    # A keyframe a second: the clip cannot answer a keyframe request as a browser
    # does, and the packet path starts each receiver with a keyframe.
    video.gop_size = FPS
    video.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rng = numpy.random.default_rng(1)
    noise = rng.integers(0, 40, (480, 640, 3), dtype=numpy.uint8)
    yy, xx = numpy.mgrid[0:480, 0:640]
    frames = []
    for i in range(seconds * FPS):
        picture = numpy.zeros((480, 640, 3), numpy.uint8)
        picture[..., 0] = (xx + 4 * i) % 256
        picture[..., 1] = (yy + 3 * i) % 256
        picture[..., 2] = 128 + 127 * numpy.sin((xx + yy + 6 * i) / 40.0)
        cx, cy = int(320 + 200 * math.cos(i / 15)), int(240 + 150 * math.sin(i / 11))
        picture[max(cy - 40, 0):cy + 40, max(cx - 40, 0):cx + 40] = 255
        picture = picture + numpy.roll(noise, i * 7, axis=1) // 2
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        frames += [bytes(p) for p in video.encode(frame)]
    frames += [bytes(p) for p in video.encode(None)]

    audio = av.CodecContext.create("libopus", "w")
    audio.sample_rate, audio.layout, audio.format = 48000, "stereo", "s16"
    audio.bit_rate = 32000
    samples = numpy.arange(48000 * 2)
    tone = (8000 * numpy.sin(2 * math.pi * 440 * samples / 48000)).astype(numpy.int16)
    opus = []
    for i in range(0, len(tone) - 960, 960):
        chunk = numpy.repeat(tone[i:i + 960], 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48000, i
        opus += [bytes(p) for p in audio.encode(frame)]
    return frames, opus


def encrypt_clip(clip: tuple[list[bytes], list[bytes]]) -> tuple[list[bytes], list[bytes]]:
    """The clip's frames as the visit page's worker sends them (virtual_office/server/visit/static/e2ee-worker.js)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes, key_id = AESGCM(os.urandom(16)), (42).to_bytes(4, "big")

    def seal(frame: bytes, clear: int) -> bytes:
        iv = os.urandom(12)
        return frame[:clear] + aes.encrypt(iv, frame[clear:], frame[:clear]) + iv + key_id

    video, audio = clip
    # a VP8 frame tag's lowest bit is 0 for a keyframe
    return [seal(f, 10 if not f[0] & 1 else 3) for f in video], [seal(f, 1) for f in audio]


def make_tracks(video_frames: list[bytes], audio_frames: list[bytes]):
    import av
    from aiortc.mediastreams import MediaStreamTrack

    class ClipTrack(MediaStreamTrack):
        """Replays pre-encoded frames in real time (the sender packs them)."""

        def __init__(self, kind, frames, interval, step, time_base):
            super().__init__()
            self.kind = kind
            self._frames, self._interval, self._step, self._time_base = frames, interval, step, time_base
            self._index = 0  # frames sent
            self._position = 0  # where in the clip
            self._start = None

        def skip_to_keyframe(self):
            self._position += -self._position % FPS  # the clip has a keyframe every FPS frames

        async def recv(self):
            if self._start is None:
                self._start = time.monotonic()
            due = self._start + self._index * self._interval
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            packet = av.Packet(self._frames[self._position % len(self._frames)])
            packet.pts = self._index * self._step
            packet.time_base = self._time_base
            self._index += 1
            self._position += 1
            return packet

    return (
        ClipTrack("audio", audio_frames, 0.02, 960, AUDIO_TIME_BASE),
        ClipTrack("video", video_frames, 1 / FPS, 90000 // FPS, VIDEO_TIME_BASE),
    )


class Participant:
    def __init__(self, channel: Channel, sid: str, pid: str, clip) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection

        self.channel, self.sid, self.pid, self.clip = channel, sid, pid, clip
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.video_frames = 0
        self.first_video: dict[int, float] = {}  # SSRC -> when its first frame ended
        self.connected_at: float | None = None
        self.arrivals: list[float] = []
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.tasks: list[asyncio.Task] = [asyncio.ensure_future(self._process())]

        from virtual_office.media.packets import starts_keyframe

        keyframe_started: set[int] = set()

        @self.pc.on("track")
        def on_track(track):
            receiver = next(t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track)
            if track.kind == "video":
                # Count frames by their last packet (RTP marker bit) instead of
                # reassembling, estimating and decoding: the participants' core
                # must not become the limit of the measurement.
                async def count(packet, arrival_time_ms=None):
                    if packet.ssrc not in self.first_video and starts_keyframe("video/vp8", packet.payload):
                        keyframe_started.add(packet.ssrc)
                    if packet.marker:
                        self.video_frames += 1
                        if packet.ssrc in keyframe_started:  # a first picture the browser could show
                            self.first_video.setdefault(packet.ssrc, time.monotonic())

                receiver._handle_rtp_packet = count
            else:
                async def ignore(packet, arrival_time_ms=None):
                    pass

                receiver._handle_rtp_packet = ignore

    async def connect(self) -> None:
        from virtual_office.media import MediaConfig, ice

        @self.pc.on("connectionstatechange")
        def on_state():
            if self.pc.connectionState == "connected" and self.connected_at is None:
                self.connected_at = time.monotonic()

        audio, video = make_tracks(*self.clip)
        self.pc.addTrack(audio)
        sender = self.pc.addTrack(video)
        # Answer a keyframe request as a browser does: the clip goes on from its next keyframe.
        sender._send_keyframe = video.skip_to_keyframe
        with ice.using(MediaConfig(host_addresses=("127.0.0.1",))):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.channel.signal(self.sid, self.pid, {"type": "offer", "sdp": self.pc.localDescription.sdp})

    async def _process(self) -> None:
        # Like a browser: server messages are handled in order, one at a time.
        while True:
            await self.on_message(await self.inbox.get())

    async def on_message(self, message: dict) -> None:
        from aiortc import RTCSessionDescription

        from virtual_office.media import MediaConfig, ice

        await self.pc.setRemoteDescription(RTCSessionDescription(message["sdp"], message["type"]))
        if message["type"] == "offer":
            with ice.using(MediaConfig(host_addresses=("127.0.0.1",))):
                await self.pc.setLocalDescription(await self.pc.createAnswer())
            await self.channel.signal(self.sid, self.pid, {"type": "answer", "sdp": self.pc.localDescription.sdp})

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


class Channel:
    """JSON lines to the server process."""

    def __init__(self, reader, writer) -> None:
        self.reader, self.writer = reader, writer
        self.participants: dict[tuple[str, str], Participant] = {}
        self.replies: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while line := await self.reader.readline():
            data = json.loads(line)
            if "op" in data:
                await self.replies.put(data)
            else:
                participant = self.participants[(data["session"], data["participant"])]
                participant.inbox.put_nowait(data["message"])

    async def send(self, obj: dict) -> None:
        self.writer.write(json.dumps(obj).encode() + b"\n")
        await self.writer.drain()

    async def request(self, obj: dict) -> dict:
        await self.send(obj)
        return await self.replies.get()

    async def signal(self, sid: str, pid: str, message: dict) -> None:
        await self.send({"op": "signal", "session": sid, "participant": pid, "message": message})


async def measure(channel: Channel, clip, sessions: int, warmup: float, seconds: float) -> dict:
    participants = []
    for s in range(sessions):
        sid = f"s{s}"
        await channel.send({"op": "open", "session": sid, "participants": ["a", "b"]})
        for pid in ("a", "b"):
            p = Participant(channel, sid, pid, clip)
            channel.participants[(sid, pid)] = p
            participants.append(p)
    for p in participants:
        await p.connect()
    await asyncio.sleep(warmup)
    first = await channel.request({"op": "usage"})
    cpu0 = sum(os.times()[:2])
    frames0 = [p.video_frames for p in participants]
    await asyncio.sleep(seconds)
    last = await channel.request({"op": "usage"})
    cpu1 = sum(os.times()[:2])
    frames1 = [p.video_frames for p in participants]
    elapsed = last["at"] - first["at"]
    fps = [(b - a) / elapsed for a, b in zip(frames0, frames1, strict=True)]
    await channel.request({"op": "close_all"})
    for p in participants:
        await p.close()
    channel.participants.clear()
    await asyncio.sleep(0.5)
    return {
        "sessions": sessions,
        "server_cpu_percent": round(100 * (last["cpu"] - first["cpu"]) / elapsed, 1),
        "fps_mean": round(statistics.mean(fps), 1),
        "fps_min": round(min(fps), 1),
        "ok": statistics.mean(fps) >= MIN_FPS and min(fps) >= MIN_FPS - 5,
        "participants_cpu_percent": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "forwarded": last["counters"]["forwarded"] - first["counters"]["forwarded"],
        "packets": last["counters"]["packets"] - first["counters"]["packets"],
        "transcoded": last["counters"]["transcoded"] - first["counters"]["transcoded"],
    }


async def late_joiner(channel: Channel, clip, repeats: int) -> dict:
    """A third participant joins a running 1:1 session: seconds from its connection to its
    first complete picture of each of the two others (the first frame whose last packet arrived)."""
    waits: list[float] = []
    for r in range(repeats):
        sid = f"late{r}"
        await channel.send({"op": "open", "session": sid, "participants": ["a", "b", "c"]})
        members = {pid: Participant(channel, sid, pid, clip) for pid in ("a", "b", "c")}
        channel.participants.update({(sid, pid): p for pid, p in members.items()})
        for pid in ("a", "b"):
            await members[pid].connect()
        await asyncio.sleep(3.5)  # past the clip's keyframe of the start: the newcomer must ask
        late = members["c"]
        await late.connect()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (late.connected_at is None or len(late.first_video) < 2):
            await asyncio.sleep(0.01)
        if late.connected_at is not None:
            waits += [at - late.connected_at for at in late.first_video.values()]
            waits += [15.0] * (2 - len(late.first_video))  # none within 15 s
        await channel.request({"op": "close_all"})
        for p in members.values():
            await p.close()
        channel.participants.clear()
        await asyncio.sleep(0.5)
    return {
        "pictures": len(waits),
        "median_s": round(statistics.median(waits), 3) if waits else None,
        "max_s": round(max(waits), 3) if waits else None,
    }


async def run_mode(way: str, clip, steps: list[int], warmup: float, seconds: float) -> list[dict]:
    ctx = multiprocessing.get_context("spawn")
    port_queue = ctx.Queue()
    server = ctx.Process(target=server_main, args=(way, port_queue, None, MACHINE_CORES), daemon=True)
    server.start()
    try:
        port = port_queue.get(timeout=60)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        channel = Channel(reader, writer)
        rows = []
        for n in steps:
            row = await measure(channel, clip, n, warmup, seconds)
            row["mode"] = way
            row["load"] = round(os.getloadavg()[0], 1)
            print(json.dumps(row), flush=True)
            rows.append(row)
            if not row["ok"]:
                break
        if way != "re-encoding":
            joiner = await late_joiner(channel, clip, 3)
            print(json.dumps({"late_joiner": joiner, "mode": way}), flush=True)
            LATE_JOINERS[way] = joiner
        await channel.send({"op": "quit"})
        writer.close()
    finally:
        server.join(30)
        if server.is_alive():
            server.kill()
    return rows


async def profile_forwarding(clip, sessions: int, path: str) -> str:
    ctx = multiprocessing.get_context("spawn")
    port_queue = ctx.Queue()
    server = ctx.Process(target=server_main, args=("packets", port_queue, path, MACHINE_CORES), daemon=True)
    server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port_queue.get(timeout=60))
        channel = Channel(reader, writer)
        participants = []
        for s in range(sessions):
            await channel.send({"op": "open", "session": f"s{s}", "participants": ["a", "b"]})
            for pid in ("a", "b"):
                p = channel.participants[(f"s{s}", pid)] = Participant(channel, f"s{s}", pid, clip)
                participants.append(p)
        for p in participants:
            await p.connect()
        await asyncio.sleep(3)
        await channel.request({"op": "profile", "on": True})
        await asyncio.sleep(8)
        await channel.request({"op": "profile", "on": False})
        await channel.request({"op": "close_all"})
        for p in participants:
            await p.close()
        await channel.send({"op": "quit"})
        writer.close()
    finally:
        server.join(30)
        if server.is_alive():
            server.kill()
    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


MACHINE_CORES = sorted(os.sched_getaffinity(0))
"""The cores this run may use, read before it pins itself: a server process it spawns inherits
the participants' one core and must be told the others (before, both shared that one core)."""


def _pin(core: int, cores: list[int] | None = None) -> None:
    cores = cores or MACHINE_CORES
    if len(cores) >= 2:
        os.sched_setaffinity(0, {cores[core]})


def write_results(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "media.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Media relay benchmark",
        "",
        f"{result['date']}, {result['mode']} run, server pinned to one core, participants to the other;",
        "1:1 sessions, 640x480 VP8 at 30 fps (~1 Mbit/s) + Opus each way. Server CPU: 100% = one core.",
        f"Load average (1 min) of the shared machine while measuring: {result.get('load', '?')}.",
        "",
        "| way | sessions | server CPU | participants' CPU | video fps at receivers (mean / min) | >= 25 fps | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['mode']} | {row['sessions']} | {row['server_cpu_percent']}% | "
            f"{row.get('participants_cpu_percent', '?')}% | "
            f"{row['fps_mean']} / {row['fps_min']} | {'yes' if row['ok'] else 'no'} | {row.get('load', '?')} |"
        )
    summary = result["summary"]
    lines += [""]
    for way in ALL_WAYS:
        if way in summary:
            lines.append(
                f"- {way}: {summary[way]['cpu_per_session_at_30_fps']}% of a core per session at 30 fps "
                f"({summary[way]['sessions_per_core']} sessions per core by that; "
                f"{summary[way]['cpu_per_session']}% per session over the steps at >= 25 fps), "
                f"most sessions measured at >= 25 fps: {summary[way]['max_sessions']}"
            )
    for way, joiner in result.get("late_joiner", {}).items():
        lines.append(
            f"- late joiner, {way}: first picture of each other participant {joiner['median_s']} s "
            f"(median; max {joiner['max_s']} s) after its connection, {joiner['pictures']} pictures"
        )
    if "ratio" in summary:
        lines.append(f"- CPU per session at 30 fps, packets : frames : re-encoding = {summary['ratio']}")
    if result.get("profile"):
        lines += ["", "## Profile of the packet-forwarding server (main thread, cProfile, by own time)", "", "```",
                  result["profile"].strip(), "```"]
    (RESULTS / "media.md").write_text("\n".join(lines) + "\n")


def per_session(rows: list[dict]) -> float:
    """Server CPU per session: the median of CPU/sessions over the steps that kept 25 fps."""
    good = [r for r in rows if r["ok"]] or rows[:1]
    return statistics.median(r["server_cpu_percent"] / r["sessions"] for r in good)


def per_session_at_30_fps(rows: list[dict]) -> float:
    """Server CPU per session delivering 30 fps: CPU over the frames actually delivered.

    On a machine shared with other work a process that waits for its core
    delivers fewer frames and uses less CPU; counting the CPU per frame
    delivered keeps the ways comparable. The median over every step.
    """
    return statistics.median(
        r["server_cpu_percent"] / (r["sessions"] * r["fps_mean"] / FPS) for r in rows if r["fps_mean"] > 0
    )


def summarize(rows: list[dict]) -> dict:
    summary: dict = {}
    for way in ALL_WAYS:
        mine = [r for r in rows if r["mode"] == way]
        if not mine:
            continue
        cpu = per_session(mine)
        at_30 = per_session_at_30_fps(mine)
        summary[way] = {
            "cpu_per_session": round(cpu, 1),
            "cpu_per_session_at_30_fps": round(at_30, 1),
            "sessions_per_core": round(100 / at_30, 1) if at_30 > 0 else None,
            "max_sessions": max((r["sessions"] for r in mine if r["ok"]), default=0),
        }
    if all(w in summary for w in WAYS) and summary["packets"]["cpu_per_session_at_30_fps"]:
        base = summary["packets"]["cpu_per_session_at_30_fps"]
        summary["ratio"] = " : ".join(f"{summary[w]['cpu_per_session_at_30_fps'] / base:.1f}" for w in WAYS)
    return summary


async def main_async(args) -> None:
    _pin(1)
    clip = encode_clip()
    print(f"clip: {len(clip[0])} video frames, {sum(map(len, clip[0])) * 8 / 10 / 1000:.0f} kbit/s", flush=True)
    if args.quick:
        steps, warmup, seconds = {"packets": [1, 8], "frames": [1], "re-encoding": [1]}, 3, 4
    else:
        steps = {
            "packets": [1, 4, 8, 12, 16, 20, 25, 30, 35, 40],
            "frames": [1, 4, 8, 12, 16, 20],
            "re-encoding": [1, 2, 3, 4],
        }
        warmup, seconds = 3, 6
    steps[ENCRYPTED] = steps["packets"]
    if args.steps:
        steps = {way: args.steps for way in ALL_WAYS}
    if args.warmup is not None:
        warmup = args.warmup
    load = [round(os.getloadavg()[0], 1)]
    rows = []
    ways = [*args.ways, *([ENCRYPTED] if args.encrypted and ENCRYPTED not in args.ways else [])]
    for way in ways:
        rows += await run_mode(way, encrypt_clip(clip) if way == ENCRYPTED else clip, steps[way], warmup, seconds)
        load.append(round(os.getloadavg()[0], 1))
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "mode": "quick" if args.quick else "full",
        "load": " -> ".join(map(str, load)),
        "rows": rows,
        "late_joiner": LATE_JOINERS,
        "summary": summarize(rows),
    }
    if args.profile:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            result["profile"] = await profile_forwarding(clip, args.profile_sessions, f"{tmp}/media.prof")
    write_results(result)
    print(json.dumps(result["summary"], indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one step per mode, for a smoke run")
    parser.add_argument("--profile", action="store_true", help="cProfile the forwarding server")
    parser.add_argument("--profile-sessions", type=int, default=8)
    parser.add_argument("--steps", type=int, nargs="+", help="session counts to measure (all ways)")
    parser.add_argument("--warmup", type=float, help="seconds between connecting and measuring")
    parser.add_argument("--ways", nargs="+", choices=ALL_WAYS, default=list(WAYS), help="what to measure (default: the first three)")
    parser.add_argument("--encrypted", action="store_true", help="also an end-to-end encrypted session's packet path")
    parser.add_argument("--rewrite", action="store_true", help="only re-render results/media.md from media.json")
    args = parser.parse_args()
    if args.rewrite:
        result = json.loads((RESULTS / "media.json").read_text())
        result["summary"] = summarize(result["rows"])
        write_results(result)
        return
    in_loopback_namespace(timeout=1800)  # keep every packet on loopback
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
