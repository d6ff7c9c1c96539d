"""A visit across two nodes in Chromium and Firefox (docs/cluster.md): the citizen's pages on one `serve`
process, the clerk's console on another, both on one Redis. Each sees the other; then the node
that holds the visit's media is SIGKILLed and started again as a new node (what a proxy in
front would give the pages: another process): both pages start their connections over and see
each other again. Run inside a loopback-only network namespace (see tests/browser/conftest.py).
"""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser import harness
from tests.browser.test_visit import CLERK_LABEL, OFFICE, Visit, peer_state, sees
from virtual_office.server.cluster import keys

MARK = "() => { window.VirtualOfficeVisit.pc().__before = true; }"
"""Marks the page's peer connection of now."""
MARKED = "() => Boolean(window.VirtualOfficeVisit.pc() && window.VirtualOfficeVisit.pc().__before)"
"""Whether the page still uses the marked peer connection."""
RESTARTS = "() => window.VirtualOfficeVisit.restarts ? window.VirtualOfficeVisit.restarts() : null"


class Nodes:
    def __init__(self, redis_server: harness.RedisServer, a: harness.OfficeServer, b: harness.OfficeServer) -> None:
        self.redis = redis_server
        self.a, self.b = a, b


@pytest.fixture
def nodes() -> Iterator[Nodes]:
    """Two nodes and their Redis for each test: a visit left open would be the clerk's next one."""
    redis_server = harness.RedisServer()
    started: list[harness.OfficeServer] = []
    try:
        harness.seed(redis_server.url)
        for _ in range(2):
            started.append(harness.OfficeServer(redis_server.url, [], extra_env={"VO_STATUS_INTERVAL": "0.05"}))
        yield Nodes(redis_server, *started)
    finally:
        for server in started:
            server.close()
        redis_server.close()


def home_pid(redis_url: str, visit_id: str) -> int | None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        node = client.get(keys.home(visit_id))
        info = client.get(keys.node(node)) if node else None
        return int(json.loads(info)["pid"]) if info else None
    finally:
        client.close()


@pytest.mark.engines("chromium", "firefox")
def test_a_visit_across_two_nodes_survives_its_home_node(nodes: Nodes, engine: str, tmp_path_factory: Any, playwright: Any,
                                                         display: Any) -> None:
    env = Visit(nodes.b, tmp_path_factory.mktemp("videos"), playwright, display)
    try:
        # The clerk (blue) works on node B ...
        clerk_context = env.staff_context(engine, "blue", harness.CLERK_LOGIN)
        console = clerk_context.new_page()
        console.goto(f"{nodes.b.origin}/console")
        console.locator(f"input[name=presence-{OFFICE}][value=available]").check()

        # ... the citizen (red) waits on node A.
        citizen = env.context(engine, "red", viewport={"width": 1000, "height": 900}).new_page()
        citizen.goto(f"{nodes.a.origin}/w/{OFFICE}?lang=de")
        citizen.get_by_label("Ich habe das gelesen und bin einverstanden.").check()
        citizen.get_by_role("button", name="Weiter").click()
        citizen.get_by_label("Ihr Name").fill("Rita Rot")
        citizen.locator("#step-details").get_by_role("button", name="Weiter").click()
        citizen.locator("#check-start").click()
        expect(citizen.locator("#connection-check")).to_have_attribute("data-state", "ok", timeout=30_000)
        citizen.locator("#check-next").click()
        citizen.get_by_role("button", name="Jetzt anstellen").click()
        expect(citizen.locator("#number")).not_to_have_text("…", timeout=15_000)

        console.locator(f"section.office[data-office={OFFICE}] .call-next").click()
        citizen.get_by_role("button", name="Jetzt eintreten").click()
        citizen.wait_for_url(re.compile(r"/visit/[0-9a-f]{16}$"))
        visit_id = citizen.url.rsplit("/", 1)[1]
        expect(console.locator("#visit-media iframe")).to_have_attribute("src", re.compile(rf"/visit/{visit_id}\?embed=console"))
        clerk_frame = console.frame(url=re.compile(r"/visit/"))
        assert clerk_frame is not None

        # Each sees the other, whichever node holds the media.
        sees(citizen, CLERK_LABEL, "blue")
        sees(clerk_frame, "Rita Rot", "red")

        # The home node dies and comes back as a new node; the other never stopped.
        home = home_pid(nodes.redis.url, visit_id)
        dead = next(n for n in (nodes.a, nodes.b) if n.proc.pid == home)
        dead.proc.send_signal(signal.SIGKILL)
        dead.proc.wait()
        for page in (citizen, clerk_frame):
            page.evaluate(MARK)
        dead.start()
        try:
            for page in (citizen, clerk_frame):  # each page started a new peer connection ...
                page.wait_for_function(f"() => !({MARKED})() && document.getElementById('connection').dataset.state === 'live'",
                                       timeout=60_000)
            sees(clerk_frame, "Rita Rot", "red")  # ... and receives the other's camera on it
            sees(citizen, CLERK_LABEL, "blue")
        except (AssertionError, PlaywrightTimeout) as exc:
            raise AssertionError(f"{exc}\ncitizen: {peer_state(citizen)} {citizen.evaluate(RESTARTS)}\n"
                                 f"clerk: {peer_state(clerk_frame)} {clerk_frame.evaluate(RESTARTS)}\n"
                                 f"A: {nodes.a.output()}\nB: {nodes.b.output()}") from exc
        assert home_pid(nodes.redis.url, visit_id) not in (None, home)
    finally:
        for context in env.contexts:
            context.close()
        for browser in env.browsers.values():
            browser.close()
