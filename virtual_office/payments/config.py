"""An office's payment provider and its settings, kept in Redis beside the office (not in it).

The office's own JSON is read by every page; this key is read only by the payments
component, holds the platform's client secret, and is never sent to a browser or logged:
:meth:`ProviderConfig.public` is what an administration page may show.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from virtual_office.payments import keys
from virtual_office.payments.errors import InvalidFee, NotConfigured
from virtual_office.payments.girocode import GiroCodeProvider, GiroCodeSettings
from virtual_office.payments.providers import Provider
from virtual_office.payments.xbezahldienste import XBezahldiensteProvider, XBezahldiensteSettings

SETTINGS: dict[str, type[XBezahldiensteSettings] | type[GiroCodeSettings]] = {
    "xbezahldienste": XBezahldiensteSettings,
    "girocode": GiroCodeSettings,
}
SECRET_FIELDS = frozenset({"client_secret"})


@dataclass(frozen=True)
class ProviderConfig:
    """Which platform an office uses, and how it reaches it."""

    kind: str
    settings: XBezahldiensteSettings | GiroCodeSettings

    def open(self) -> Provider:
        """A provider for these settings (the caller closes it)."""
        if isinstance(self.settings, XBezahldiensteSettings):
            return XBezahldiensteProvider(self.settings)
        return GiroCodeProvider(self.settings)

    def to_config(self) -> dict[str, object]:
        """The stored form, secrets included: for Redis only."""
        return {"kind": self.kind, **dataclasses.asdict(self.settings)}

    def public(self) -> dict[str, object]:
        """What may be shown to an administrator: every setting, a secret only as whether it is set."""
        return {k: (bool(v) if k in SECRET_FIELDS else v) for k, v in self.to_config().items()}

    @classmethod
    def from_config(cls, data: object) -> ProviderConfig:
        """From the TOML/JSON form (``[office.payments.provider]``, docs/payments.md); raises InvalidFee."""
        if not isinstance(data, Mapping):
            raise InvalidFee("provider must be a table with a kind and its settings")
        raw: Mapping[str, Any] = data
        kind = raw.get("kind")
        if kind not in SETTINGS:
            raise InvalidFee(f"provider kind is one of {', '.join(SETTINGS)}")
        settings_type = SETTINGS[kind]
        names = {f.name for f in dataclasses.fields(settings_type)}
        unknown = set(raw) - names - {"kind"}
        if unknown:
            raise InvalidFee(f"unknown {kind} settings: {', '.join(sorted(map(str, unknown)))}")
        values = {k: v for k, v in raw.items() if k != "kind"}
        try:
            if "timeout_seconds" in values:
                values["timeout_seconds"] = float(values["timeout_seconds"])
            for k, v in values.items():
                if k != "timeout_seconds" and not isinstance(v, str):
                    raise InvalidFee(f"{kind}: {k} is text")
            return cls(kind=kind, settings=settings_type(**values))
        except TypeError as exc:
            raise InvalidFee(f"{kind}: {exc}") from exc
        except ValueError as exc:
            raise InvalidFee(f"{kind}: not a number") from exc


def take_provider(office: Mapping[str, Any]) -> tuple[dict[str, Any], ProviderConfig | None]:
    """Split an imported office's table: the office without ``payments.provider``, and that provider.

    The provider is stored apart from the office (its secret must not be in the office's JSON).
    """
    rest = dict(office)
    payments = rest.get("payments")
    if not isinstance(payments, Mapping) or "provider" not in payments:
        return rest, None
    rest["payments"] = {k: v for k, v in payments.items() if k != "provider"}
    return rest, ProviderConfig.from_config(payments["provider"])


class ProviderDirectory:
    """Reads and writes each office's provider configuration, and each tenant's for its offices without one."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def save(self, office_id: str, config: ProviderConfig) -> None:
        await self._redis.set(keys.provider(office_id), json.dumps(config.to_config()))

    async def delete(self, office_id: str) -> None:
        await self._redis.delete(keys.provider(office_id))

    async def find(self, office_id: str) -> ProviderConfig | None:
        raw = await self._redis.get(keys.provider(office_id))
        return None if raw is None else ProviderConfig.from_config(json.loads(raw))

    async def save_for_tenant(self, tenant_id: str, config: ProviderConfig) -> None:
        await self._redis.set(keys.tenant_provider(tenant_id), json.dumps(config.to_config()))

    async def delete_for_tenant(self, tenant_id: str) -> None:
        await self._redis.delete(keys.tenant_provider(tenant_id))

    async def find_for_tenant(self, tenant_id: str) -> ProviderConfig | None:
        """The tenant's own provider (the one its offices without one use); None if it has none."""
        raw = await self._redis.get(keys.tenant_provider(tenant_id))
        return None if raw is None else ProviderConfig.from_config(json.loads(raw))

    async def for_office(self, office_id: str, tenant_id: str | None = None) -> ProviderConfig | None:
        """The provider an office's payments go through: its own, else its tenant's; None if neither is set."""
        own = await self.find(office_id)
        if own is not None or tenant_id is None:
            return own
        return await self.find_for_tenant(tenant_id)

    async def get(self, office_id: str, tenant_id: str | None = None) -> ProviderConfig:
        """As :meth:`for_office`; NotConfigured if neither the office nor its tenant has a provider."""
        config = await self.for_office(office_id, tenant_id)
        if config is None:
            raise NotConfigured("this office has no payment provider")
        return config
