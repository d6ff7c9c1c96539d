"""The password rule (NIST SP 800-63B-4), and passwords set and checked in their NFKC form, against a real Redis."""

from __future__ import annotations

import unicodedata

import pytest
import redis.asyncio
from argon2 import PasswordHasher

from tests.passwords import NEW_PASSWORD, PASSWORD, REFUSED
from virtual_office.queue import ClerkDirectory, NotAuthorized, Office, WeakPassword, keys
from virtual_office.queue.passwords import MAX_LENGTH, MIN_LENGTH, REASONS, check_password, deployment_context, describe, load

CONTEXT = ["anna", "Anna Amt", "Bürgerbüro", "buergerbuero", "buergerbuero.musterstadt.de"]


@pytest.mark.parametrize("reason", REASONS)
def test_each_reason_refuses_on_its_own(reason: str) -> None:
    assert check_password(REFUSED[reason], CONTEXT) == [reason]


@pytest.mark.parametrize("password", [
    PASSWORD, NEW_PASSWORD,
    "Der Kater schläft auf dem Sofa",  # any language, spaces, no digits or symbols needed
    "ß ist kein großes Problem für Ämter",
    "🦔 igel mögen 🍎 im garten",  # emoji are characters like any other
    "ein Satz, der länger als vierundsechzig Zeichen ist, geht natürlich auch gut",
    "x" + "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(MAX_LENGTH - 1)),  # exactly the longest allowed
    "annas garten hinter der alten mühle",  # the name inside a long sentence: enough remains
])
def test_long_uncommon_passwords_are_accepted(password: str) -> None:
    assert check_password(password, CONTEXT) == []


def test_the_length_counts_characters_after_normalising() -> None:
    assert MIN_LENGTH == 15
    assert check_password("fünfzehn zeiche", []) == []  # 15 characters, "ü" one of them
    assert check_password("vierzehn zeich", []) == ["too_short"]
    # fullwidth letters are plain ones after NFKC: the blocklist sees through them
    assert check_password("ｐａｓｓｗｏｒｄ１２３４５６７８９", []) == ["common"]
    assert check_password("q" + "y" * MAX_LENGTH, []) == ["too_long"]


@pytest.mark.parametrize("password", [
    "password123456789", "PASSWORD123456789", "p a s s w o r d 1 2 3 4 5 6 7 8 9",  # case and spaces do not matter
    "Passwort 2025!!!!!!!",  # a listed word with digits and symbols added
    "bundesverfassungsgericht",  # a long German word from the list
    "1qaz2wsx3edc4rfv",  # a keyboard walk people use
])
def test_common_and_breached_passwords_are_refused(password: str) -> None:
    assert "common" in check_password(password, [])


@pytest.mark.parametrize("password", [
    "virtual-office rocks!", "VirtualOffice 2025 !!!", "anna anna anna anna", "buergerbuero.musterstadt.de",
    "Musterstadt Musterstadt 1",
])
def test_passwords_built_on_the_context_are_refused(password: str) -> None:
    assert "context" in check_password(password, CONTEXT) or "repetitive" in check_password(password, CONTEXT)


@pytest.mark.parametrize(("password", "reason"), [
    (" " * 20, "repetitive"), ("a" * 20, "repetitive"), ("abababababababababab", "repetitive"),
    ("x                y", "repetitive"),
    ("1234567890123456789", "sequential"), ("9876543210987654", "sequential"), ("abcdefghijklmnopq", "sequential"),
    ("qwertzuiopasdfghjkl", "sequential"), ("qwertyuiop1234567", "sequential"), ("zyxwvutsrqponmlkj", "sequential"),
])
def test_repetitions_and_sequences_are_refused(password: str, reason: str) -> None:
    assert reason in check_password(password, [])


def test_control_characters_are_refused_but_every_printable_character_is_allowed() -> None:
    assert check_password("zeile eins\tzeile zwei", []) == ["unprintable"]
    assert check_password("null\x00byte im passwort", []) == ["unprintable"]
    assert check_password("nicht umbrechendes\u00a0leerzeichen", []) == []


def test_the_reasons_read_as_english_for_the_command_line() -> None:
    assert describe(["too_short", "common"]) == (
        "the password needs at least 15 characters; not a common or breached password")


def test_the_context_of_a_deployment_is_its_offices_and_its_host() -> None:
    office = Office.from_config({"id": "kfz", "name": "Kfz-Zulassungsstelle", "name_en": "Vehicle Registration", "hours": {}})
    assert deployment_context([office], "termine.musterstadt.de") == [
        "kfz", "Kfz-Zulassungsstelle", "Vehicle Registration", "termine.musterstadt.de"]
    assert "context" in check_password("Kfz-Zulassungsstelle 1", deployment_context([office], None))
    assert "context" in check_password("musterstadt termine 12", deployment_context([], "termine.musterstadt.de"))


def test_the_list_is_shipped_and_large() -> None:
    assert load() > 100_000


async def test_every_way_of_setting_a_password_applies_the_rule(redis_client: redis.asyncio.Redis) -> None:
    clerks = ClerkDirectory(redis_client)
    with pytest.raises(WeakPassword) as refused:
        await clerks.add("anna", "Anna Amt", "Anna Amt 123456789")
    assert refused.value.reasons == ["context"] and refused.value.code == "weak_password"
    assert await clerks.by_login("anna") is None  # nothing was stored
    with pytest.raises(WeakPassword):
        await clerks.add("karl", "Karl", "Kfz-Zulassung 2025", context=["Kfz-Zulassung"])
    anna = await clerks.add("anna", "Anna Amt", PASSWORD)
    with pytest.raises(WeakPassword) as refused:
        await clerks.update(anna, password="passwort1234567890")
    assert refused.value.reasons == ["common"]
    assert (await clerks.authenticate("anna", PASSWORD)).id == anna.id  # unchanged


async def test_passwords_are_hashed_and_checked_in_their_nfkc_form(redis_client: redis.asyncio.Redis) -> None:
    clerks = ClerkDirectory(redis_client)
    typed_on_a_mac = unicodedata.normalize("NFD", "Käsekuchen für die Äbtissin")  # ä as a + combining diaeresis
    anna = await clerks.add("anna", "Anna Amt", typed_on_a_mac)
    assert (await clerks.authenticate("anna", unicodedata.normalize("NFC", typed_on_a_mac))).id == anna.id
    assert (await clerks.authenticate("anna", typed_on_a_mac)).id == anna.id
    with pytest.raises(NotAuthorized):
        await clerks.authenticate("anna", "Kasekuchen fur die Abtissin")


async def test_accounts_from_before_the_rule_still_log_in(redis_client: redis.asyncio.Redis) -> None:
    """Older passwords were hashed as typed (not normalised) and needed 10 characters: both still work."""
    clerks = ClerkDirectory(redis_client)
    anna = await clerks.add("anna", "Anna Amt", PASSWORD)
    karl = await clerks.add("karl", "Karl Kfz", PASSWORD)
    for clerk, old_password in ((anna, "ﬁnf ﬂiegen ﬁx"), (karl, "zehn zeich")):  # "ﬁ" is "fi" after NFKC
        await redis_client.hset(keys.CLERKS, clerk.id, clerk.to_json().replace(clerk.password_hash, PasswordHasher().hash(old_password)))
        assert (await clerks.authenticate(clerk.login, old_password)).id == clerk.id
    with pytest.raises(NotAuthorized):
        await clerks.authenticate("anna", "finf fliegen fix")
