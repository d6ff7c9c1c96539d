"""The `virtual-office` command: administration without a browser, and a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port
from tests.passwords import PASSWORD

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(*args: str, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "virtual_office", *args, "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_import_offices_and_add_accounts(tmp_path: Path) -> None:
    imported = run("import-offices", str(EXAMPLES / "offices.toml"), data_dir=tmp_path)
    assert imported.returncode == 0 and "2 office(s) imported" in imported.stdout
    added = run("add-clerk", "m.mueller", "--name", "Maria Müller", "--offices", "buergerbuero,kfz",
                "--password-env", "PW", data_dir=tmp_path, env={"PW": PASSWORD})
    assert added.returncode == 0, added.stderr
    unknown = run("add-clerk", "x.y", "--name", "X", "--offices", "nope", "--password-env", "PW",
                  data_dir=tmp_path, env={"PW": PASSWORD})
    assert unknown.returncode != 0 and "unknown offices: nope" in unknown.stderr
    short = run("add-admin", "root", "--name", "Root", "--password-env", "PW", data_dir=tmp_path, env={"PW": "short"})
    assert short.returncode != 0 and "at least 15 characters" in short.stderr
    # The rule of the administration's form: the list of common passwords, the offices' names as context.
    refused = {"Passwort 12345678": "not a common or breached password",
               "Maria Müller im Bürgerbüro": "at least 15 characters besides the login, the name, the offices and the server's name",
               "qwertzuiop1234567": "not a sequence"}
    for password, reason in refused.items():
        answer = run("add-clerk", "maria", "--name", "Maria Müller", "--password-env", "PW", data_dir=tmp_path, env={"PW": password})
        assert answer.returncode != 0 and f"virtual-office: the password needs {reason}" in answer.stderr, answer.stderr
        assert password not in answer.stderr
    # The administration commands stop the embedded Redis they started.
    pid = int((tmp_path / "redis" / "redis.pid").read_text()) if (tmp_path / "redis" / "redis.pid").exists() else None
    assert pid is None or not alive(pid)


def test_sigterm_stops_the_server_and_its_embedded_redis(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "virtual_office", "demo", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        offices = httpx.get(f"http://127.0.0.1:{port}/api/offices").json()["offices"]
        assert [o["id"] for o in offices] == ["buergerbuero", "kfz", "standesamt"]
        assert httpx.get(f"http://127.0.0.1:{port}/example/").status_code == 200
        redis_pid = int((tmp_path / "redis" / "redis.pid").read_text())
        assert alive(redis_pid)
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
        assert "sachbearbeitung" in output  # the demo printed its accounts
        for _ in range(100):
            if not alive(redis_pid):
                break
            time.sleep(0.05)
        assert not alive(redis_pid), "the embedded Redis outlived the server"
    finally:
        if server.poll() is None:
            server.kill()


def _start(command: str, tmp_path: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "virtual_office", command, "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(process.communicate()[0])


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=30)[0]


async def _echoed_colour(base: str) -> str:
    """A 'browser' (aiortc) runs the connection check: its own video comes back through the server."""
    import asyncio

    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from tests.media.peers import LOOPBACK, ColourTrack, colour_of
    from virtual_office.media import ice

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(ColourTrack("green"))
    received: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @pc.on("track")
    def on_track(track: object) -> None:
        async def first() -> None:
            frame = await track.recv()  # type: ignore[attr-defined]
            if not received.done():
                received.set_result(colour_of(frame))

        asyncio.ensure_future(first())

    try:
        with ice.using(LOOPBACK):  # the browser's side may use loopback; the server's must offer it itself
            await pc.setLocalDescription(await pc.createOffer())
        async with httpx.AsyncClient(base_url=base) as http:
            answer = await http.post("/api/connection-check", json={"type": "offer", "sdp": pc.localDescription.sdp})
        assert answer.status_code == 200, answer.text
        assert " 127.0.0.1 " in answer.json()["sdp"]
        await pc.setRemoteDescription(RTCSessionDescription(answer.json()["sdp"], "answer"))
        return await asyncio.wait_for(received, 20)
    finally:
        await pc.close()


def test_the_demo_on_a_loopback_only_host_offers_loopback_for_media(tmp_path: Path) -> None:
    """The suite runs in a namespace with only loopback: exactly the host where video once never connected."""
    import asyncio

    from virtual_office.media import ice

    assert ice.discovered_addresses() == [], "this test needs a host (namespace) with only loopback"
    demo, port = _start("demo", tmp_path / "demo")
    try:
        assert asyncio.run(_echoed_colour(f"http://127.0.0.1:{port}")) == "green"
    finally:
        output = _stop(demo)
    assert "media is offered on the loopback address" in output

    # `serve` does not guess: it names the setting, once, at start.
    serve, _ = _start("serve", tmp_path / "serve")
    output = _stop(serve)
    assert "VO_MEDIA_HOST_ADDRESSES" in output and "video will not connect" in output


def test_the_data_directory_is_private_from_the_first_write(tmp_path: Path) -> None:
    data = tmp_path / "data"
    demo, _ = _start("demo", data)
    _stop(demo)
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600
    # Redis's data holds names and concerns; the built scripts beside it are public anyway.
    written = [p for p in (data / "redis").rglob("*") if p.is_file()]
    assert any(".aof" in p.name for p in written)
    for path in written:
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
