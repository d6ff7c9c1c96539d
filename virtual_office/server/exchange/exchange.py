"""One visit's exchange as the handlers see it: its files, its remembered state, its record."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from virtual_office.queue import QueueError
from virtual_office.server.exchange.files import VisitFiles
from virtual_office.server.exchange.record import visit_record
from virtual_office.server.exchange.state import VisitState
from virtual_office.server.i18n import catalog
from virtual_office.server.services import Services

EXTRAS_KEY = "exchange"


def staff_room(visit_id: str, lang: str) -> str:
    """The visit's staff in one language (for the visit record)."""
    return f"visit-staff:{visit_id}:{lang}"


@dataclass(frozen=True)
class Exchange:
    services: Services
    files: VisitFiles
    state: VisitState

    async def record(self, visit_id: str, lang: str, now: int) -> dict[str, object] | None:
        """The visit record in ``lang``; None when nothing is known of the visit."""
        meta = await self.state.meta(visit_id)
        office_id = meta.get("office_id")
        if not office_id:
            return None
        try:
            office = await self.services.offices.get(office_id)
            name, zone = office.localized_name(lang), office.hours.zone
        except QueueError:
            name, zone = office_id, None
        files = await asyncio.to_thread(self.files.list, visit_id)
        return visit_record(
            lang,
            office_name=name,
            zone=zone,
            started=int(meta["started"]) if meta.get("started") else None,
            now=now,
            files=files,
            requests=await self.state.requests(visit_id),
            id_checked=meta.get("id_checked") == "1",
        )

    async def clear(self, visit_id: str) -> None:
        """Forget the visit: every file and everything remembered."""
        await asyncio.to_thread(self.files.delete, visit_id)
        await self.state.forget(visit_id)


def script_strings(lang: str) -> dict[str, str]:
    """The strings the panel's script shows (exchange.js.*), in ``lang``."""
    texts, fallback = catalog(lang), catalog("de")
    return {k.removeprefix("exchange.js."): texts.get(k) or fallback[k] for k in fallback if k.startswith("exchange.js.")}


def exchange_for(services: Services) -> Exchange:
    """The process's one Exchange over ``services`` (made on first use)."""
    found = services.extras.get(EXTRAS_KEY)
    if not isinstance(found, Exchange):
        found = Exchange(services, VisitFiles(services.settings.data_dir / "visits"), VisitState(services.redis))
        services.extras[EXTRAS_KEY] = found
    return found


__all__ = ["Exchange", "exchange_for", "script_strings", "staff_room"]
