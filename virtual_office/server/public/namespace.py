"""/public: office status for the widget. Read-only, no authentication, origin-checked."""

from __future__ import annotations

from typing import Any

from virtual_office.queue import DEFAULT
from virtual_office.server.i18n import language
from virtual_office.server.protocol import PUBLIC, office_room
from virtual_office.server.public.schemas import WidgetConnect
from virtual_office.server.realtime import Namespace, refuse
from virtual_office.server.security import OriginPolicy, normalize
from virtual_office.server.services import Services
from virtual_office.server.status import StatusBroadcaster

MAX_OFFICES = 100


async def visible_offices(services: Services, policy: OriginPolicy, origin: str | None, requested: object,
                          tenant: str = DEFAULT) -> list[str] | None:
    """The offices of ``tenant`` a page on ``origin`` may see, of those it asked for; None if refused.

    An unknown tenant has no offices and is refused like a website that may not embed.
    """
    if not await services.tenants.exists(tenant):
        return None
    offices = await services.offices.of_tenant(tenant)
    if isinstance(requested, list) and requested:
        wanted = {o for o in requested[:MAX_OFFICES] if isinstance(o, str)}
        offices = [o for o in offices if o.id in wanted]
    if await policy.allows(origin, tenant=tenant):
        return [o.id for o in offices]
    # Not allowed for the whole tenant: only offices that name this website themselves.
    page = normalize(origin or "")
    own = [o.id for o in offices if page in {normalize(e) for e in o.embed_origins}]
    return own or None


async def tenant_look(services: Services, tenant_id: str) -> dict[str, object]:
    """``{"tenant": {"id", "name", "colour"[, "logo"]}}`` for a tenant with a colour or a logo of its own (the
    widget's buttons take the colour; it shows the logo, a path on this server made a whole address); {} otherwise."""
    tenant = await services.tenants.get(tenant_id)
    if not (tenant.colour or tenant.logo):
        return {}
    look: dict[str, str] = {"id": tenant.id, "name": tenant.name, "colour": tenant.colour}
    if tenant.logo:
        look["logo"] = tenant.logo if tenant.logo.startswith("https://") else services.settings.base_url.rstrip("/") + tenant.logo
    return {"tenant": look}


class PublicNamespace(Namespace):
    connect_schema = WidgetConnect
    def __init__(self, services: Services, status: StatusBroadcaster, policy: OriginPolicy) -> None:
        super().__init__(PUBLIC)
        self._services = services
        self._status = status
        self._policy = policy

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: WidgetConnect) -> None:
        lang = language(auth.lang)
        origin = environ.get("HTTP_ORIGIN")
        ids = await visible_offices(self._services, self._policy, origin, auth.offices, auth.tenant)
        if ids is None:
            # The tenant's administration lists who tried (the origin only), to allow it with one click.
            if await self._services.tenants.exists(auth.tenant):
                await self._policy.note_refusal(origin, tenant=auth.tenant)
            raise refuse("origin_not_allowed", lang)
        for office_id in ids:
            await self.enter_room(sid, office_room(office_id, lang))
        offices = [(await self._status.status(i)).to_json(lang) for i in ids]
        await self.emit("offices", {"offices": offices, **await tenant_look(self._services, auth.tenant)}, to=sid)
