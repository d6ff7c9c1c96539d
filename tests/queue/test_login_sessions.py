"""Login sessions and second factors in a real Redis: idle and absolute expiry, the list, ending,
what is stored; TOTP codes accepted once, recovery codes once, reset."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio

from virtual_office.queue import ClerkDirectory, keys, totp
from virtual_office.queue.clerks import SESSION_SECONDS
from virtual_office.queue.second_factor import RECOVERY_CODES, SecondFactors, WrongCode

PASSWORD = "correct horse battery"


async def test_activity_slides_the_idle_time_but_never_past_the_absolute_end(redis_client: redis.asyncio.Redis) -> None:
    clerks = ClerkDirectory(redis_client, idle_seconds=30 * 60)
    anna = await clerks.add("anna", "Anna Amt", PASSWORD)
    start = 1_700_000_000_000
    sid = await clerks.open_session(anna.id, device="firefox/windows", now_ms=start)
    digest = clerks.session_digest(sid)
    assert 29 * 60_000 < await redis_client.pttl(keys.login_session(digest)) <= 30 * 60_000
    # what is kept: who, when, a coarse device; no address, no User-Agent
    assert await redis_client.hgetall(keys.login_session(digest)) == {
        "clerk": anna.id, "started": str(start), "seen": str(start), "ends": str(start + SESSION_SECONDS * 1000),
        "device": "firefox/windows"}
    later = start + 11 * 3600_000 + 50 * 60_000  # 11 h 50 min on, 10 minutes before the end
    assert await clerks.touch_session(sid, now_ms=later)
    assert await redis_client.hget(keys.login_session(digest), "seen") == str(later)
    assert 9 * 60_000 < await redis_client.pttl(keys.login_session(digest)) <= 10 * 60_000  # the end, not 30 minutes
    assert not await clerks.touch_session(sid, now_ms=start + SESSION_SECONDS * 1000)
    assert not await redis_client.exists(keys.login_session(digest))
    assert not await clerks.session_alive(anna.id, sid)


async def test_a_session_without_activity_is_gone_from_redis(redis_client: redis.asyncio.Redis) -> None:
    clerks = ClerkDirectory(redis_client, idle_seconds=1)
    anna = await clerks.add("anna", "Anna Amt", PASSWORD)
    idle, busy = await clerks.open_session(anna.id), await clerks.open_session(anna.id)
    for _ in range(3):
        await asyncio.sleep(0.5)
        assert await clerks.touch_session(busy)
    assert not await clerks.session_alive(anna.id, idle)
    assert not await clerks.touch_session(idle)  # activity cannot bring it back
    assert not await clerks.ended_on_purpose(idle)  # time ended it, not a person
    assert [s.digest for s in await clerks.sessions(anna.id)] == [clerks.session_digest(busy)]
    assert await redis_client.smembers(keys.clerk_sessions(anna.id)) == {clerks.session_digest(busy)}


async def test_sessions_are_listed_and_ended_one_by_one_or_all_but_one(redis_client: redis.asyncio.Redis) -> None:
    clerks = ClerkDirectory(redis_client)
    anna = await clerks.add("anna", "Anna Amt", PASSWORD)
    karl = await clerks.add("karl", "Karl Kfz", PASSWORD)
    now = int(time.time() * 1000)
    here, phone, laptop = [await clerks.open_session(anna.id, device=d, now_ms=now + i) for i, d in
                           enumerate(("firefox/windows", "safari/ios", "chrome/linux"))]
    karls = await clerks.open_session(karl.id)
    listed = await clerks.sessions(anna.id)
    assert [s.device for s in listed] == ["chrome/linux", "safari/ios", "firefox/windows"]  # most recently active first
    assert not await clerks.end_listed(clerks.session_digest(karls), clerk_id=anna.id)  # not another account's
    assert await clerks.session_alive(karl.id, karls)
    assert await clerks.end_listed(clerks.session_digest(phone), clerk_id=anna.id)
    assert await clerks.ended_on_purpose(phone)
    assert await clerks.end_sessions(anna.id, keep=here) == 1
    assert [await clerks.session_alive(anna.id, s) for s in (here, phone, laptop)] == [True, False, False]
    assert [s.digest for s in await clerks.sessions(anna.id)] == [clerks.session_digest(here)]
    await clerks.delete(anna)
    assert not await clerks.session_alive(anna.id, here)


async def test_a_totp_code_is_accepted_once_and_a_recovery_code_once(redis_client: redis.asyncio.Redis) -> None:
    now = [1_700_000_000.0]
    factors = SecondFactors(redis_client, clock=lambda: now[0])
    assert not await factors.enrolled("c1")
    secret = await factors.offer("c1")
    assert await factors.offer("c1") == secret  # the page shown again offers the same
    with pytest.raises(WrongCode):
        await factors.confirm("c1", "000000" if totp.code(secret, now[0]) != "000000" else "111111")
    codes = await factors.confirm("c1", totp.code(secret, now[0]))
    assert len(codes) == len(set(codes)) == RECOVERY_CODES and await factors.enrolled("c1")
    stored = await redis_client.hgetall(keys.second_factor("c1"))
    assert not any(code in str(stored) or code.replace("-", "") in str(stored) for code in codes)  # digests only
    assert "offered" not in stored

    # the code used to confirm is spent; the next step's code works once
    with pytest.raises(WrongCode):
        await factors.verify("c1", totp.code(secret, now[0]))
    now[0] += 30
    assert await factors.verify("c1", totp.code(secret, now[0])) == "totp"
    with pytest.raises(WrongCode):
        await factors.verify("c1", totp.code(secret, now[0]))  # replayed within its step
    with pytest.raises(WrongCode):
        await factors.verify("c1", totp.code(secret, now[0] - 30))  # an older step, though within the drift

    assert await factors.verify("c1", codes[0].upper().replace("-", " ")) == "recovery"  # typed loosely
    with pytest.raises(WrongCode):
        await factors.verify("c1", codes[0])
    assert await factors.recovery_codes_left("c1") == RECOVERY_CODES - 1

    assert await factors.reset("c1")
    assert not await factors.enrolled("c1") and not await redis_client.exists(keys.second_factor("c1"))
    with pytest.raises(WrongCode):
        await factors.verify("c1", codes[1])


async def test_concurrent_uses_of_one_code_accept_it_once(redis_client: redis.asyncio.Redis) -> None:
    now = 1_700_000_000.0
    factors = SecondFactors(redis_client, clock=lambda: now)
    secret = await factors.offer("c1")
    codes = await factors.confirm("c1", totp.code(secret, now - 30))
    results = await asyncio.gather(*(factors.verify("c1", totp.code(secret, now)) for _ in range(10)), return_exceptions=True)
    assert sum(r == "totp" for r in results) == 1 and sum(isinstance(r, WrongCode) for r in results) == 9
    results = await asyncio.gather(*(factors.verify("c1", codes[3]) for _ in range(10)), return_exceptions=True)
    assert sum(r == "recovery" for r in results) == 1
