"""The bot check: a challenge solved as the widget solves it is accepted once; tampered, expired,
wrong, foreign and malformed solutions are refused; the challenge route is limited per address."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import altcha
import httpx
import pytest
import redis.asyncio

from tests.conftest import Clock, RedisServer
from tests.server.conftest import ServerProcess
from virtual_office.server.botcheck import CHALLENGE_SECONDS, USED_PREFIX, BotCheck, BotCheckFailed

SECRET = "test-secret-key-" + "x" * 32
"""The secret tests/server/conftest.py's servers run with."""


def solve(challenge: dict[str, Any]) -> str:
    """What the widget puts into its hidden field: the challenge and the counter it found, base64 JSON."""
    issued = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(issued, timeout=60)
    assert solution is not None
    return altcha.Payload(issued, solution).to_base64()


def rewrite(payload: str, change: Any) -> str:
    data = json.loads(base64.b64decode(payload))
    change(data)
    return base64.b64encode(json.dumps(data).encode()).decode()


@pytest.fixture
def check(redis_client: redis.asyncio.Redis, clock: Clock) -> BotCheck:
    return BotCheck(redis_client, SECRET, cost=20, clock=clock)


async def test_a_solved_challenge_counts_once(check: BotCheck, redis_client: redis.asyncio.Redis, clock: Clock) -> None:
    challenge = check.challenge()
    assert challenge["parameters"]["algorithm"] == "PBKDF2/SHA-256" and challenge["parameters"]["cost"] == 20
    assert challenge["parameters"]["expiresAt"] == int(clock()) + CHALLENGE_SECONDS
    payload = solve(challenge)
    await check.verify(payload)
    with pytest.raises(BotCheckFailed):
        await check.verify(payload)
    [used] = await redis_client.keys(USED_PREFIX + "*")
    assert 0 < await redis_client.ttl(used) <= CHALLENGE_SECONDS + 1  # remembered only as long as it could be used


async def test_the_same_solution_sent_twice_at_once_counts_once(check: BotCheck) -> None:
    payload = solve(check.challenge())
    results = await asyncio.gather(*(check.verify(payload) for _ in range(10)), return_exceptions=True)
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, BotCheckFailed) for r in results if r is not None)


async def test_an_expired_challenge_is_refused(check: BotCheck, clock: Clock) -> None:
    payload = solve(check.challenge())
    clock.advance(CHALLENGE_SECONDS + 1)
    with pytest.raises(BotCheckFailed, match="expired"):
        await check.verify(payload)


@pytest.mark.parametrize("change", [
    pytest.param(lambda d: d["challenge"]["parameters"].update(keyPrefix="0"), id="easier prefix"),
    pytest.param(lambda d: d["challenge"]["parameters"].update(cost=1), id="cheaper cost"),
    pytest.param(lambda d: d["challenge"]["parameters"].update(expiresAt=d["challenge"]["parameters"]["expiresAt"] + 86400), id="later expiry"),
    pytest.param(lambda d: d["challenge"].update(signature="0" * 64), id="forged signature"),
    pytest.param(lambda d: d["challenge"].pop("signature"), id="no signature"),
    pytest.param(lambda d: d["solution"].update(counter=d["solution"]["counter"] + 1), id="wrong counter"),
    pytest.param(lambda d: d["solution"].update(derivedKey="00" * 32), id="wrong key"),
    pytest.param(lambda d: d["solution"].update(counter=-1), id="negative counter"),
])
async def test_a_tampered_or_wrong_solution_is_refused(check: BotCheck, change: Any) -> None:
    payload = solve(check.challenge())
    with pytest.raises(BotCheckFailed):
        await check.verify(rewrite(payload, change))
    await check.verify(payload)  # the untouched one still counts: a refusal remembers nothing


async def test_a_challenge_of_another_deployment_is_refused(redis_client: redis.asyncio.Redis, check: BotCheck) -> None:
    other = BotCheck(redis_client, "another-deployment-secret-" + "y" * 32, cost=20)
    with pytest.raises(BotCheckFailed):
        await check.verify(solve(other.challenge()))


@pytest.mark.parametrize("payload", [None, 42, "", "not base64!", base64.b64encode(b"not json").decode(),
                                     base64.b64encode(b"[1, 2]").decode(), base64.b64encode(b'{"challenge": {}}').decode(), "A" * 5000])
async def test_malformed_solutions_are_refused(check: BotCheck, payload: object) -> None:
    with pytest.raises(BotCheckFailed):
        await check.verify(payload)


@pytest.fixture
async def server(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    process = ServerProcess(tmp_path, {"VO_REDIS_URL": redis_server.url, "VO_BOT_CHECK_COST": "30", "VO_BOT_CHECKS_PER_ADDRESS": "5"})
    process.start()
    yield process
    process.stop()


async def test_the_challenge_route_issues_challenges_the_server_accepts_and_is_limited_per_address(
        server: ServerProcess, redis_client: redis.asyncio.Redis) -> None:
    async with httpx.AsyncClient(base_url=server.url, transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2")) as http:
        answer = await http.get("/api/botcheck")
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
        challenge = answer.json()
        assert challenge["parameters"]["cost"] == 30 and challenge["signature"]
        # a solution to the server's challenge counts with the server's key, once
        deployment = BotCheck(redis_client, SECRET, cost=30)
        payload = solve(challenge)
        await deployment.verify(payload)
        with pytest.raises(BotCheckFailed):
            await deployment.verify(payload)
        for _ in range(4):
            assert (await http.get("/api/botcheck")).status_code == 200
        refused = await http.get("/api/botcheck", headers={"Accept-Language": "en"})
        assert refused.status_code == 429 and refused.json()["error"] == "too_many" and refused.json()["ok"] is False
        assert (await http.post("/api/botcheck")).status_code == 405
    async with httpx.AsyncClient(base_url=server.url, transport=httpx.AsyncHTTPTransport(local_address="127.0.0.3")) as http:
        assert (await http.get("/api/botcheck")).status_code == 200  # another address is not held back
