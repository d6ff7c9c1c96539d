"""The citizen's waiting room for one office: privacy notice, details, device check, queue, call.

Rendered on the server's own origin, alone in a tab or framed by a city's website
through the widget's dialog. Which websites may frame it is the embed allowlist
(the deployment's, the administrator's and the office's own), sent as the CSP
``frame-ancestors`` rule. The page sets no cookie: the ticket's token lives in the
browser's localStorage (this tab's sessionStorage where that is off), dropped once the
grace period could have passed (``keep_seconds``), and only ever travels in a request body
or the socket.io auth.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.queue import QueueError, UnknownOffice
from virtual_office.server.i18n import LANGUAGES, Text, request_language, script_strings, translate
from virtual_office.server.protocol import TICKET_STORAGE_PREFIX
from virtual_office.server.templating import citizen_tenant, render_citizen

KEEP_MARGIN_SECONDS = 60
"""How much longer than the grace period a browser keeps a ticket's token after its last page went."""


def _strings(lang: str) -> dict[str, Text]:
    """The strings the waiting room's script shows."""
    strings = script_strings(lang, "citizen.js.")
    strings["closed"] = translate(lang, "error.closed")  # the same words as the server's refusal
    return strings


async def waiting_room(request: Request) -> Response:
    services = request.app.state.services
    lang = request_language(request)
    embedded = request.query_params.get("embed") == "1"
    try:
        office = await services.offices.get(request.path_params["office_id"])
    except UnknownOffice:
        ancestors = await request.app.state.origins.frame_ancestors(None)
        return render_citizen(request, "waiting_room/not_found.html", lang, {"embedded": embedded}, ancestors, status_code=404)
    try:
        status = await request.app.state.status.status(office.id)
    except QueueError:
        status = None  # shown without the closed notice; joining answers for itself
    ancestors = await request.app.state.origins.frame_ancestors(office)
    tenant = await citizen_tenant(request, office)
    config = {
        "office_id": office.id,
        "office_name": office.localized_name(lang),
        "lang": lang,
        "timezone": office.hours.timezone,
        "embedded": embedded,
        "frame_ancestors": [a for a in ancestors if a != "'self'"],
        "storage_key": TICKET_STORAGE_PREFIX + office.id,
        "keep_seconds": services.settings.grace_seconds + KEEP_MARGIN_SECONDS,
        "can_join": status.can_join if status else True,
        "opens_at": status.opens_at.isoformat() if status and status.opens_at else None,
        "strings": _strings(lang),
    }
    context = {
        "office": office,
        "office_name": office.localized_name(lang),
        "description": office.localized_description(lang),
        "services": list(office.services),
        "languages": [c for c in office.languages if c in LANGUAGES] or [lang],
        "embedded": embedded,
        "closed": bool(status and not status.can_join),
        "hotline": office.hotline_link(tenant),
        "config": config,
    }
    return render_citizen(request, "waiting_room/waiting_room.html", lang, context, ancestors, tenant=tenant)


routes = [Route("/w/{office_id}", waiting_room, methods=["GET"])]
