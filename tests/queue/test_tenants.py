"""Tenants against a real Redis: the default tenant without a step, the model's checks, what belongs to whom."""

from __future__ import annotations

import json

import pytest
import redis.asyncio

from tests.conftest import ALWAYS
from virtual_office.queue import (
    DEFAULT,
    OPERATOR,
    ClerkDirectory,
    InvalidInput,
    Office,
    OfficeDirectory,
    Tenant,
    TenantDirectory,
    UnknownTenant,
    keys,
)

PASSWORD = "correct horse battery"
REGENSBURG = Tenant("regensburg", "Stadt Regensburg", "09362000", colour="#004f9f", hotline="0941 507-0",
                    privacy_url="https://www.regensburg.de/datenschutz", accessibility_url="https://www.regensburg.de/barrierefreiheit")


async def test_data_written_before_tenants_belongs_to_the_default_tenant(redis_client: redis.asyncio.Redis) -> None:
    # An office and an account as a deployment of last release stored them: no tenant field.
    await redis_client.set(keys.office("buergerbuero"), json.dumps({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS}))
    await redis_client.zadd(keys.OFFICES, {"buergerbuero": 0})
    await redis_client.hset(keys.CLERKS, "c1", json.dumps({"id": "c1", "login": "anna", "name": "Anna", "role": "clerk",
                                                          "offices": ["buergerbuero"], "password_hash": ""}))
    office = await OfficeDirectory(redis_client).get("buergerbuero")
    clerk = await ClerkDirectory(redis_client).get("c1")
    assert office.tenant == DEFAULT and clerk is not None and clerk.tenant == DEFAULT
    # The default tenant exists without being stored, and saving an office of it writes no tenant field.
    tenants = TenantDirectory(redis_client)
    assert [t.id for t in await tenants.all()] == [DEFAULT] and not await redis_client.exists(keys.TENANTS)
    assert "tenant" not in office.to_config()


async def test_offices_and_accounts_are_listed_per_tenant(redis_client: redis.asyncio.Redis) -> None:
    tenants = TenantDirectory(redis_client)
    await tenants.save(REGENSBURG)
    assert await tenants.get("regensburg") == REGENSBURG
    assert [t.id for t in await tenants.all()] == [DEFAULT, "regensburg"]
    with pytest.raises(UnknownTenant):
        await tenants.get("passau")
    offices = OfficeDirectory(redis_client, max_age=0)
    await offices.save(Office.from_config({"id": "buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS}))
    await offices.save(Office.from_config({"id": "rgb-buergerbuero", "name": "Bürgerbüro", "hours": ALWAYS, "tenant": "regensburg"}))
    assert [o.id for o in await offices.of_tenant("regensburg")] == ["rgb-buergerbuero"]
    assert [o.id for o in await offices.of_tenant(DEFAULT)] == ["buergerbuero"]
    assert len(await offices.of_tenant(None)) == 2
    # Every key of the tenant's office keeps the office's own hash tag.
    assert keys.office("rgb-buergerbuero") == "vo:{rgb-buergerbuero}:office"
    clerks = ClerkDirectory(redis_client)
    ada = await clerks.add("ada", "Ada", PASSWORD, role="admin", tenant="regensburg")
    op = await clerks.add("op", "Olga Betrieb", PASSWORD, role=OPERATOR)
    anna = await clerks.add("anna", "Anna", PASSWORD, offices=("buergerbuero",))
    assert [c.id for c in await clerks.all("regensburg")] == [ada.id]
    assert ada.is_admin and ada.scope == "regensburg" and not ada.sees(DEFAULT)
    assert op.is_admin and op.is_operator and op.scope is None and op.sees("regensburg")
    assert not anna.is_admin and anna.sees(DEFAULT) and not anna.sees("regensburg")
    assert (await clerks.get(ada.id)) == ada  # the tenant is stored with the account


@pytest.mark.parametrize("fields", [
    {"ags": "0936200"}, {"ags": "0936200x"}, {"ags": ""}, {"name": " "}, {"colour": "blue"}, {"hotline": "call us"},
    {"logo": "http://example.de/logo.png"}, {"logo": "//example.de/logo.png"}, {"privacy_url": "javascript:alert(1)"},
    {"mail_from": "no address"}, {"id": "Regensburg"},
])
def test_a_tenant_is_checked(fields: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        Tenant(**{**REGENSBURG.to_config(), **fields})  # type: ignore[arg-type]


def test_a_tenant_reads_from_its_configuration_and_refuses_unknown_fields() -> None:
    assert Tenant.from_config(REGENSBURG.to_config()) == REGENSBURG
    with pytest.raises(InvalidInput):
        Tenant.from_config({**REGENSBURG.to_config(), "colour_name": "blue"})
    with pytest.raises(InvalidInput):
        Tenant.from_config({**REGENSBURG.to_config(), "ags": 9362000})


def test_the_office_hotline_wins_and_the_tenant_number_stands_in() -> None:
    own = Office.from_config({"id": "a", "name": "A", "hotline": "0941 1", "tenant": "regensburg"})
    bare = Office.from_config({"id": "b", "name": "B", "tenant": "regensburg"})
    other = Office.from_config({"id": "c", "name": "C"})
    assert own.hotline_link(REGENSBURG) is not None and own.hotline_link(REGENSBURG).number == "0941 1"  # type: ignore[union-attr]
    assert bare.hotline_link(REGENSBURG) is not None and bare.hotline_link(REGENSBURG).number == "0941 507-0"  # type: ignore[union-attr]
    assert bare.hotline_link() is None
    assert other.hotline_link(REGENSBURG) is None  # another tenant's number is never shown
