"""A tenant's payment provider stands in for its offices that set none; an office's own wins."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio

from tests.payments.test_girocode import ACCOUNT
from virtual_office.cli import import_offices
from virtual_office.payments import NotConfigured, ProviderConfig, ProviderDirectory


async def test_the_office_provider_wins_and_the_tenant_one_stands_in(redis_client: redis.asyncio.Redis, tmp_path: Path) -> None:
    (tmp_path / "region.toml").write_text(f'''
[[tenant]]
id = "passau"
name = "Stadt Passau"
ags = "09262000"
[tenant.payments.provider]
kind = "girocode"
recipient = "Stadtkasse Passau"
iban = "{ACCOUNT["iban"]}"

[[office]]
id = "pa-meldeamt"
name = "Meldeamt"
tenant = "passau"

[[office]]
id = "pa-kasse"
name = "Kasse"
tenant = "passau"
[office.payments.provider]
kind = "girocode"
recipient = "Eigene Kasse"
iban = "{ACCOUNT["iban"]}"

[[office]]
id = "buergerbuero"
name = "Bürgerbüro"
''', encoding="utf-8")
    url = redis_client.connection_pool.connection_kwargs
    assert await import_offices(f"redis://{url['host']}:{url['port']}/{url.get('db', 0)}", tmp_path / "region.toml") == 3
    providers = ProviderDirectory(redis_client)
    tenant_one = await providers.get("pa-meldeamt", "passau")
    assert tenant_one.to_config()["recipient"] == "Stadtkasse Passau"
    assert (await providers.get("pa-kasse", "passau")).to_config()["recipient"] == "Eigene Kasse"
    assert await providers.find("pa-meldeamt") is None  # the office form shows only the office's own
    with pytest.raises(NotConfigured):
        await providers.get("buergerbuero", "default")  # another tenant's provider is never used
    assert isinstance(tenant_one, ProviderConfig)
