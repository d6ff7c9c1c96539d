"""The `virtual-office` command for a region: tenants, their administrators, operators."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio

from tests.conftest import RedisServer
from tests.passwords import PASSWORD
from tests.test_cli import run
from virtual_office.queue import ClerkDirectory, OfficeDirectory, TenantDirectory, keys


async def test_a_tenant_its_offices_and_accounts_from_the_command_line(redis_server: RedisServer, redis_client: redis.asyncio.Redis,
                                                                      tmp_path: Path) -> None:
    env = {"VO_REDIS_URL": redis_server.url, "PW": PASSWORD}
    made = run("add-tenant", "passau", "--name", "Stadt Passau", "--ags", "09262000", "--colour", "#8a1538",
               "--website", "https://www.passau.de/", data_dir=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    assert (await TenantDirectory(redis_client).get("passau")).colour == "#8a1538"
    assert await redis_client.smembers(keys.allowed_origins("passau")) == {"https://www.passau.de"}
    toml = tmp_path / "passau.toml"
    toml.write_text('[[tenant]]\nid = "passau"\nname = "Stadt Passau"\nags = "09262000"\n\n'
                    '[[office]]\nid = "pa-meldeamt"\nname = "Meldeamt"\ntenant = "passau"\n\n'
                    '[[office]]\nid = "buergerbuero"\nname = "Bürgerbüro"\n', encoding="utf-8")
    assert run("import-offices", str(toml), data_dir=tmp_path, env=env).returncode == 0
    offices = OfficeDirectory(redis_client)
    assert (await offices.get("pa-meldeamt")).tenant == "passau" and (await offices.get("buergerbuero")).tenant == "default"
    admin = run("add-admin", "pia", "--name", "Pia Passau", "--tenant", "passau", "--password-env", "PW", data_dir=tmp_path, env=env)
    assert admin.returncode == 0, admin.stderr
    across = run("add-clerk", "paul", "--name", "Paul Passau", "--tenant", "passau", "--offices", "buergerbuero",
                 "--password-env", "PW", data_dir=tmp_path, env=env)
    assert across.returncode == 1 and "unknown offices: buergerbuero (of the tenant 'passau')" in across.stderr
    nowhere = run("add-admin", "nora", "--name", "Nora", "--tenant", "nowhere", "--password-env", "PW", data_dir=tmp_path, env=env)
    assert nowhere.returncode == 1 and "unknown tenant" in nowhere.stderr
    operator = run("add-operator", "olga", "--name", "Olga Betrieb", "--password-env", "PW", data_dir=tmp_path, env=env)
    assert operator.returncode == 0, operator.stderr
    clerks = ClerkDirectory(redis_client)
    assert (await clerks.by_login("pia")).tenant == "passau"  # type: ignore[union-attr]
    assert (await clerks.by_login("olga")).is_operator  # type: ignore[union-attr]
    assert await clerks.by_login("paul") is None and await clerks.by_login("nora") is None
    bad = run("add-tenant", "linz", "--name", "Linz", "--ags", "4021", data_dir=tmp_path, env=env)
    assert bad.returncode == 1 and "eight digits" in bad.stderr
