"""A citizen in Firefox and the clerk in Chromium in one visit: each sees the other's camera.

The stress run of the same visit (30 and more in a row, counting black video) is
benchmarks/mixed_visits.py; its result is in docs/benchmarks.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import harness
from tests.browser.clerk import ClerkClient
from tests.browser.mixed import OFFICE, clerk_cookie, launch_pair, one_visit


class MixedEnv:
    def __init__(self, server: harness.OfficeServer, desk: ClerkClient, citizen: Any, clerk: Any) -> None:
        self.server = server
        self.desk = desk
        self.citizen = citizen
        self.clerk = clerk


@pytest.fixture(scope="module")
def mixed_env(tmp_path_factory: pytest.TempPathFactory, playwright: Any) -> Iterator[MixedEnv]:
    for engine in ("chromium", "firefox"):
        if not harness.has_engine(engine):
            pytest.skip(f"{engine} is not installed (scripts/test.sh installs it)")
    redis = harness.RedisServer()
    server = desk = None
    browsers: tuple[Any, ...] = ()
    try:
        harness.seed(redis.url)
        server = harness.OfficeServer(redis.url, [], extra_env={"VO_STATUS_INTERVAL": "0.05"})
        desk = ClerkClient(server.origin, harness.CLERK_LOGIN, harness.CLERK_PASSWORD)
        desk.presence(OFFICE, "available")
        browsers = launch_pair(playwright, tmp_path_factory.mktemp("videos"))
        yield MixedEnv(server, desk, *browsers)
    finally:
        for browser in browsers:
            browser.close()
        if desk is not None:
            desk.close()
        if server is not None:
            server.close()
        redis.close()


def test_a_firefox_citizen_and_a_chromium_clerk_see_each_other_also_after_a_reload(mixed_env: MixedEnv) -> None:
    result = one_visit(mixed_env.citizen, mixed_env.clerk, mixed_env.server.origin, clerk_cookie(mixed_env.server.origin), mixed_env.desk)
    assert result["connection_check"] is True, result
    for phase in ("visit", "after_reload"):
        for side in ("citizen", "clerk"):
            assert result[phase][side]["ok"], (phase, side, result[phase][side])
            assert result[phase][side]["frames_decoded"] > 0, (phase, side, result[phase][side])
    assert result["page_errors"] == []
