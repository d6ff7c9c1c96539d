"""`virtual-office import-offices`: the fee catalogue goes into the office, its provider apart from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis.asyncio

from tests.conftest import RedisServer
from virtual_office.cli import import_offices
from virtual_office.payments import ProviderDirectory, XBezahldiensteSettings
from virtual_office.queue import InvalidInput, OfficeDirectory

TOML = '''
[[office]]
id = "buergerbuero"
name = "Bürgerbüro"

[office.payments]
free_amount = true

[[office.payments.fees]]
id = "fuehrungszeugnis"
name = "Führungszeugnis"
amount = "13,00"
purpose = "Fuehrungszeugnis"
booking_data = { Haushaltsstelle = "1.1220.1100" }

[office.payments.provider]
kind = "xbezahldienste"
base_url = "https://payment.example.de/api/xbezahldienste/"
token_url = "https://payment.example.de/oauth/token"
originator_id = "virtuelles-buergerbuero"
endpoint_id = "09362000"
client_id = "vo"
client_secret = "the-client-secret"
'''


async def test_import_keeps_the_secret_out_of_the_office(redis_server: RedisServer, redis_client: redis.asyncio.Redis,
                                                         tmp_path: Path) -> None:
    (tmp_path / "offices.toml").write_text(TOML)
    assert await import_offices(redis_server.url, tmp_path / "offices.toml") == 1
    office = await OfficeDirectory(redis_client).get("buergerbuero")
    assert office.payments.fee("fuehrungszeugnis").amount == 1300 and office.payments.free_amount
    assert "the-client-secret" not in await redis_client.get("vo:{buergerbuero}:office")
    provider = await ProviderDirectory(redis_client).get("buergerbuero")
    assert isinstance(provider.settings, XBezahldiensteSettings) and provider.settings.client_secret == "the-client-secret"
    assert provider.public()["client_secret"] is True
    assert "the-client-secret" not in repr(provider)


async def test_a_bad_provider_imports_nothing(redis_server: RedisServer, redis_client: redis.asyncio.Redis, tmp_path: Path) -> None:
    (tmp_path / "offices.toml").write_text(TOML.replace('kind = "xbezahldienste"', 'kind = "giropay"'))
    with pytest.raises(InvalidInput, match="provider kind"):
        await import_offices(redis_server.url, tmp_path / "offices.toml")
    assert await redis_client.keys("vo:{buergerbuero}:*") == []
