"""Offices: what the administrator defines, stored as JSON in Redis."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from redis.asyncio import Redis

from virtual_office.payments.errors import PaymentError
from virtual_office.payments.fees import FeeCatalogue
from virtual_office.queue import keys
from virtual_office.queue.appointment_settings import AppointmentSettings
from virtual_office.queue.errors import InvalidInput, UnknownOffice
from virtual_office.queue.hotline import Hotline, check_hotline
from virtual_office.queue.hours import OpeningHours
from virtual_office.queue.tenants import DEFAULT, TENANT_ID, Tenant

OFFICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
UNENCRYPTED_VIDEO = ("refuse", "clerk")
"""What a visit does with a browser that cannot encrypt end to end: refuse its video, or the clerk decides."""


@dataclass(frozen=True)
class Office:
    """One virtual office (e.g. the Bürgerbüro) and its rules for the waiting room."""

    id: str
    name: str
    name_en: str = ""
    description: str = ""
    description_en: str = ""
    services: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("de",)
    hours: OpeningHours = field(default_factory=OpeningHours)
    max_queue: int = 50
    early_queue_minutes: int = 0
    """Citizens may join this many minutes before the office opens."""
    prefix: str = ""
    """Display number prefix, e.g. 'B' for B-017; default: the name's first letter."""
    embed_origins: tuple[str, ...] = ()
    """Websites allowed to embed this office, besides the deployment-wide list."""
    order: int = 0
    appointments: AppointmentSettings = field(default_factory=AppointmentSettings)
    """Whether and how the office takes appointments (queue/appointment_settings.py)."""
    hotline: str = ""
    """A phone number as people write it ("0941 400-1234"), for citizens whose video cannot work; "" for none."""
    payments: FeeCatalogue = field(default_factory=FeeCatalogue)
    """The fees a clerk may charge in a visit (payments/fees.py); the provider is kept apart (payments/config.py)."""
    tenant: str = DEFAULT
    """The municipality the office belongs to (queue/tenants.py); offices stored without one belong to the default."""
    unencrypted_video: str = "refuse"
    """A browser that cannot encrypt a visit end to end (docs/e2ee.md): "refuse" its video, or let the serving "clerk" decide."""

    def __post_init__(self) -> None:
        if not OFFICE_ID.match(self.id):
            raise InvalidInput("office id: lowercase letters, digits and '-', at most 40")
        if not self.name.strip():
            raise InvalidInput("an office needs a name")
        if not 1 <= self.max_queue <= 10_000:
            raise InvalidInput("maximum queue length must be between 1 and 10000")
        if not 0 <= self.early_queue_minutes <= 240:
            raise InvalidInput("early queueing must be between 0 and 240 minutes")
        if self.hotline:
            check_hotline(self.hotline)
        if self.unencrypted_video not in UNENCRYPTED_VIDEO:
            raise InvalidInput("unencrypted video: 'refuse' or 'clerk'")
        if not TENANT_ID.match(self.tenant):
            raise InvalidInput("tenant id: lowercase letters, digits and '-', at most 40")

    @property
    def number_prefix(self) -> str:
        return (self.prefix or self.name.strip()[0]).upper()

    def localized_name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name

    def localized_description(self, lang: str) -> str:
        return self.description_en if lang == "en" and self.description_en else self.description

    def hotline_link(self, tenant: Tenant | None = None) -> Hotline | None:
        """The hotline citizens are shown, None when there is none: pages read it only here.

        The office's own number wins; without one, its tenant's.
        """
        if self.hotline:
            return Hotline(self.hotline)
        return tenant.hotline_link() if tenant is not None and tenant.id == self.tenant else None

    def can_join_at(self, at: datetime) -> bool:
        """Open now, or within the early-queue window before the next opening."""
        if self.hours.is_open(at):
            return True
        if not self.early_queue_minutes:
            return False
        opens = self.hours.next_opening(at, horizon_days=2)
        return opens is not None and opens - at <= timedelta(minutes=self.early_queue_minutes)

    @property
    def appointment_hours(self) -> OpeningHours:
        """When appointments can be booked: their own weekly hours or the opening hours, minus closed days."""
        return self.appointments.hours(self.hours)

    def to_config(self) -> dict[str, object]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "hours"}
        data["appointments"] = self.appointments.to_config()
        data["payments"] = self.payments.to_config()
        for name in ("services", "languages", "embed_origins"):
            data[name] = list(data[name])
        data.update(self.hours.to_config())
        if self.tenant == DEFAULT:
            del data["tenant"]  # a single city's offices read as they always did
        return data

    @classmethod
    def from_config(cls, data: Mapping[str, object]) -> Office:
        """Build from the JSON/TOML form (see docs/configuration.md); raises InvalidInput."""
        if not isinstance(data, Mapping):
            raise InvalidInput("an office must be a table of fields")
        known = {f.name for f in dataclasses.fields(cls)} | {"timezone", "hours", "closed_days"}
        unknown = set(data) - known
        if unknown:
            raise InvalidInput(f"unknown office fields: {', '.join(sorted(unknown))}")
        # Any JSON/TOML value may stand here: a value of the wrong kind raises
        # TypeError or ValueError below, which is reported as InvalidInput.
        raw: Mapping[str, Any] = data
        try:
            hours = OpeningHours.from_config(
                str(raw.get("timezone", "Europe/Berlin")),
                raw.get("hours", {}),
                raw.get("closed_days", ()),
            )
            values = {k: v for k, v in raw.items() if k not in ("timezone", "hours", "closed_days")}
            for name in ("services", "languages", "embed_origins"):
                if name in values:
                    values[name] = tuple(str(v) for v in values[name])
            for name in ("max_queue", "early_queue_minutes", "order"):
                if name in values:
                    values[name] = int(values[name])
            if "appointments" in values:
                values["appointments"] = AppointmentSettings.from_config(values["appointments"])
            if "payments" in values:
                try:
                    values["payments"] = FeeCatalogue.from_config(values["payments"])
                except PaymentError as exc:
                    raise InvalidInput(f"office {data.get('id')!r}: payments: {exc}") from exc
            return cls(hours=hours, **values)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"office {data.get('id')!r}: {exc}") from exc


class OfficeDirectory:
    """Reads and writes offices in Redis.

    Keeps a copy for a few seconds: status updates read offices many times a second,
    and an administrator's change made in another process shows up after at most
    ``max_age`` seconds.
    """

    def __init__(self, redis: Redis, *, max_age: float = 5.0) -> None:
        self._redis = redis
        self._max_age = max_age
        self._cache: dict[str, Office] = {}
        self._order: list[str] | None = None
        self._loaded = time.monotonic()

    def forget(self) -> None:
        """Drop the local copy."""
        self._cache.clear()
        self._order = None
        self._loaded = time.monotonic()

    def _expire(self) -> None:
        if time.monotonic() - self._loaded > self._max_age:
            self.forget()

    async def save(self, office: Office) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(keys.office(office.id), json.dumps(office.to_config()))
            pipe.zadd(keys.OFFICES, {office.id: office.order})
            await pipe.execute()
        self.forget()

    async def delete(self, office_id: str) -> None:
        """Remove the office and everything kept under its hash tag (end its tickets first)."""
        if not OFFICE_ID.match(office_id):  # also keeps glob characters out of the pattern below
            raise InvalidInput("not an office id")
        own = [key async for key in self._redis.scan_iter(match=f"{keys.tag(office_id)}:*", count=500)]
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.office(office_id), *own)
            pipe.zrem(keys.OFFICES, office_id)
            await pipe.execute()
        self.forget()

    async def ids(self) -> list[str]:
        self._expire()
        if self._order is None:
            # Without scores, from a client that decodes responses: office ids.
            self._order = cast(list[str], await self._redis.zrange(keys.OFFICES, 0, -1))
        return list(self._order)

    async def get(self, office_id: str) -> Office:
        if not isinstance(office_id, str) or not OFFICE_ID.match(office_id):
            raise UnknownOffice(f"no office {office_id!r}")
        self._expire()
        office = self._cache.get(office_id)
        if office is None:
            raw = await self._redis.get(keys.office(office_id))
            if raw is None:
                raise UnknownOffice(f"no office {office_id!r}")
            office = Office.from_config(json.loads(raw))
            self._cache[office_id] = office
        return office

    async def all(self) -> list[Office]:
        return [await self.get(i) for i in await self.ids()]

    async def of_tenant(self, tenant_id: str | None) -> list[Office]:
        """The offices of one tenant in their order; every office for None (the provider's operators)."""
        return [o for o in await self.all() if tenant_id is None or o.tenant == tenant_id]
