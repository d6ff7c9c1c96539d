"""A real Chromium speaks the media signaling: perfect negotiation against the server."""

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

pytest.importorskip("playwright.async_api")
from playwright.async_api import async_playwright  # noqa: E402

from tests.conftest import free_port  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--allow-loopback-in-peer-connection",
]
PAGE = Path(__file__).with_name("participant.html").read_text()


@pytest.fixture
async def page_url():
    app = web.Application()
    async def index(request):
        return web.Response(text=PAGE, content_type="text/html")

    app.router.add_get("/", index)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/"
    await runner.cleanup()


@pytest.fixture
async def chromium():
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        context = await browser.new_context(permissions=["camera", "microphone"])
        yield context
        await context.close()
        await browser.close()


async def open_participant(chromium, url, session, participant_id, visit, media):
    page = await chromium.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    async def send_signal(message):
        await session.signal(participant_id, message)

    async def check_connection(offer):
        return await media.connection_check(offer)

    await page.expose_function("sendSignal", send_signal)
    await page.expose_function("checkConnection", check_connection)
    await page.goto(url)

    class Browser:
        async def close(self):
            await page.close()

        async def on_signal(self, message):
            await page.evaluate("(m) => onSignal(m)", message)

        async def decoded(self):
            return await page.evaluate("decoded()")

        async def wait_decoded(self, key, count=5, timeout=30):
            async def reached():
                while (await self.decoded()).get(key, 0) < count:
                    assert not errors, errors
                    await asyncio.sleep(0.2)

            try:
                await asyncio.wait_for(reached(), timeout)
            except TimeoutError:
                raise AssertionError(f"no {count} frames of {key}: {await self.decoded()}") from None

    browser = Browser()
    visit.clients[participant_id] = browser
    session.admit(participant_id)
    await page.evaluate("start()")
    return page, browser


async def test_chromium_clerk_with_aiortc_citizen_colleague_and_screen(media, visit, chromium, page_url):
    session = visit.session
    page, clerk = await open_participant(chromium, page_url, session, "clerk", visit, media)
    citizen = await visit("citizen", "blue")
    await clerk.wait_decoded("citizen/camera")
    await citizen.wait_for_frames(("clerk", "camera"), timeout=30)
    await citizen.wait_for_frames(("clerk", "microphone"), timeout=30)

    # A colleague joins while the clerk starts sharing the screen: both sides
    # want to offer at about the same time.
    await asyncio.gather(visit("colleague", "green"), page.evaluate("shareScreen()"))
    colleague = visit.clients["colleague"]
    await clerk.wait_decoded("colleague/camera")
    await citizen.wait_for_frames(("clerk", "screen"), timeout=30)
    await colleague.wait_for_frames(("clerk", "screen"), timeout=30)
    assert citizen.colours[("clerk", "screen")] == "green"

    await session.remove("colleague")

    async def colleague_gone():
        while "colleague/camera" in await clerk.decoded():
            await asyncio.sleep(0.1)

    await asyncio.wait_for(colleague_gone(), 15)
    before = (await clerk.decoded())["citizen/camera"]
    await clerk.wait_decoded("citizen/camera", count=before + 10)


async def test_chromium_connection_check_gets_its_video_back(media, visit, chromium, page_url):
    page, _ = await open_participant(chromium, page_url, visit.session, "citizen", visit, media)
    assert await page.evaluate("connectionCheck()") > 0
    assert media.counters.forwarded > 0
