"""The vendored bot check widget works on a page of ours under the pages' own CSP: it fetches a
challenge from /api/botcheck, solves it in its worker and puts a solution the server accepts
(once) into its hidden field, in Chromium and Firefox."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest
import redis.asyncio

from virtual_office.server.botcheck import BotCheck, BotCheckFailed
from virtual_office.server.security import CITIZEN_POLICY

SECRET = "browser-test-secret-key-not-for-production"
"""The secret tests/browser/harness.py's server runs with."""

PAGE = """<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>Bot check</title>
<link rel="stylesheet" href="/static/vendor/altcha/altcha.css">
<script type="module" src="/static/botcheck.js"></script>
</head>
<body>
<main>
<form id="booking" method="post" action="/nowhere">
<altcha-widget challenge="/api/botcheck" auto="onload"></altcha-widget>
<button type="submit">Buchen</button>
</form>
</main>
</body>
</html>
"""


async def verify_twice(redis_url: str, payload: str) -> tuple[bool, bool]:
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    check = BotCheck(client, SECRET, cost=1)
    outcomes = []
    try:
        for _ in range(2):
            try:
                await check.verify(payload)
                outcomes.append(True)
            except BotCheckFailed:
                outcomes.append(False)
    finally:
        await client.aclose()
    return outcomes[0], outcomes[1]


@pytest.mark.engines("chromium", "firefox")
def test_the_vendored_widget_solves_under_our_csp_and_fills_its_field(env, page) -> None:
    origin = env.server.origin
    # A page of our origin with the citizen pages' own policy (the booking pages will be such pages).
    page.route(f"{origin}/botcheck-test", lambda route: route.fulfill(
        status=200, body=PAGE,
        headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CITIZEN_POLICY.format(ancestors="'none'")},
    ))
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(f"{origin}/botcheck-test")
    page.wait_for_function("() => !!document.querySelector('#booking input[name=altcha]')?.value", timeout=60_000)
    payload = page.eval_on_selector("#booking input[name=altcha]", "input => input.value")
    assert page.evaluate("() => window.__violations") == []
    assert page.errors == []
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's own loop runs in this thread
        first, again = pool.submit(asyncio.run, verify_twice(env.redis.url, payload)).result()
    assert (first, again) == (True, False)
