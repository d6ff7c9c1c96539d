"""Tenants: the municipalities one deployment serves, each seeing only its own offices and staff.

A deployment with one city has one tenant, :data:`DEFAULT`, which exists without being stored:
offices and accounts written before tenants existed carry no tenant and belong to it.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from redis.asyncio import Redis

from virtual_office.queue import keys
from virtual_office.queue.errors import InvalidInput, QueueError
from virtual_office.queue.hotline import Hotline, check_hotline

DEFAULT = "default"
"""The tenant of a single-city deployment, and of everything stored without a tenant."""
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
AGS = re.compile(r"^[0-9]{8}$")
"""The official municipality key (Amtlicher Gemeindeschlüssel): eight digits."""
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class UnknownTenant(QueueError):
    code = "unknown_tenant"


def _check_link(name: str, value: str, *, relative: bool = False) -> None:
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.netloc:
        return
    if relative and value.startswith("/") and not value.startswith("//"):
        return
    raise InvalidInput(f"{name}: an https:// address{' or a path on this server' if relative else ''}")


@dataclass(frozen=True)
class Tenant:
    """One municipality or authority: its name, key, branding and contacts.

    Empty fields mean "as the deployment has it": no logo, the default colour, the
    office's own hotline, the deployment's mail sender.
    """

    id: str
    name: str = ""
    ags: str = ""
    """Amtlicher Gemeindeschlüssel, eight digits; "" for the default tenant that names none."""
    logo: str = ""
    """The logo's address (https:// or a path on this server), shown on the citizen pages and the widget."""
    colour: str = ""
    """The accent colour as #rrggbb."""
    hotline: str = ""
    """The phone number for citizens whose video cannot work, where an office names none."""
    privacy_url: str = ""
    """The tenant's privacy statement (Datenschutzerklärung)."""
    accessibility_url: str = ""
    """The tenant's accessibility statement (Erklärung zur Barrierefreiheit)."""
    mail_from: str = ""
    """The sender of the tenant's mail; "" for the deployment's."""

    def __post_init__(self) -> None:
        if not TENANT_ID.match(self.id):
            raise InvalidInput("tenant id: lowercase letters, digits and '-', at most 40")
        if self.id != DEFAULT and not self.name.strip():
            raise InvalidInput("a tenant needs a name")
        if self.ags and not AGS.match(self.ags):
            raise InvalidInput("ags: the official municipality key has eight digits")
        if self.id != DEFAULT and not self.ags:
            raise InvalidInput("ags: the official municipality key has eight digits")
        if self.colour and not COLOUR.match(self.colour):
            raise InvalidInput("colour: #rrggbb")
        if self.hotline:
            check_hotline(self.hotline)
        if self.logo:
            _check_link("logo", self.logo, relative=True)
        for name in ("privacy_url", "accessibility_url"):
            if getattr(self, name):
                _check_link(name, getattr(self, name))
        if self.mail_from and ("@" not in self.mail_from or any(c in self.mail_from for c in "\r\n")):
            raise InvalidInput("mail_from: an e-mail address")

    def hotline_link(self) -> Hotline | None:
        return Hotline(self.hotline) if self.hotline else None

    def to_config(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_config(cls, data: Mapping[str, object]) -> Tenant:
        """Build from the JSON/TOML form (docs/configuration.md); raises InvalidInput."""
        if not isinstance(data, Mapping):
            raise InvalidInput("a tenant must be a table of fields")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InvalidInput(f"unknown tenant fields: {', '.join(sorted(unknown))}")
        raw: Mapping[str, Any] = data
        if not all(isinstance(v, str) for v in raw.values()):
            raise InvalidInput("tenant fields are text")
        return cls(**raw)


class TenantDirectory:
    """Reads and writes tenants in Redis (a few, read rarely: no local copy)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def save(self, tenant: Tenant) -> None:
        await self._redis.hset(keys.TENANTS, tenant.id, json.dumps(tenant.to_config()))

    async def delete(self, tenant_id: str) -> None:
        """Forget a tenant (the caller checks that it holds no office and no account)."""
        await self._redis.hdel(keys.TENANTS, tenant_id)

    async def get(self, tenant_id: object) -> Tenant:
        if not isinstance(tenant_id, str) or not TENANT_ID.match(tenant_id):
            raise UnknownTenant("no such tenant")
        raw = cast(str | None, await self._redis.hget(keys.TENANTS, tenant_id))
        if raw is None:
            if tenant_id == DEFAULT:
                return Tenant(DEFAULT)
            raise UnknownTenant("no such tenant")
        return Tenant.from_config(json.loads(raw))

    async def exists(self, tenant_id: object) -> bool:
        try:
            await self.get(tenant_id)
        except UnknownTenant:
            return False
        return True

    async def all(self) -> list[Tenant]:
        """Every tenant, the default one first."""
        stored = {k: Tenant.from_config(json.loads(v)) for k, v in (await self._redis.hgetall(keys.TENANTS)).items()}
        default = stored.pop(DEFAULT, Tenant(DEFAULT))
        return [default, *sorted(stored.values(), key=lambda t: t.name.lower())]
