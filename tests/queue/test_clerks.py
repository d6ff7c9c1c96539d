"""Clerk accounts against a real Redis: passwords, lookups, the session stamp."""

from __future__ import annotations

import pytest
import redis.asyncio

from virtual_office.queue import ClerkDirectory, NotAuthorized

PASSWORD = "correct horse battery"


async def test_accounts_are_read_one_by_one_or_many_at_once(redis_client: redis.asyncio.Redis) -> None:
    clerks = ClerkDirectory(redis_client)
    anna = await clerks.add("anna", "Anna Amt", PASSWORD, offices=("buergerbuero",))
    karl = await clerks.add("Karl", "Karl Kfz", PASSWORD, offices=("kfz",))
    assert (await clerks.by_login("KARL")).id == karl.id
    assert await clerks.many([karl.id, "gone", anna.id]) == {karl.id: karl, anna.id: anna}
    assert await clerks.many([]) == {}
    await clerks.delete(karl)
    assert await clerks.many([karl.id]) == {}


async def test_a_new_password_changes_the_session_stamp_and_nothing_else_does(redis_client: redis.asyncio.Redis) -> None:
    clerks = ClerkDirectory(redis_client)
    anna = await clerks.add("anna", "Anna Amt", PASSWORD)
    renamed = await clerks.update(anna, name="Anna Amtmann", offices=("kfz",))
    assert renamed.session_stamp == anna.session_stamp
    changed = await clerks.update(renamed, password="ein ganz neues passwort")
    assert changed.session_stamp != anna.session_stamp
    with pytest.raises(NotAuthorized):
        await clerks.authenticate("anna", PASSWORD)
    assert (await clerks.authenticate("anna", "ein ganz neues passwort")).id == anna.id
