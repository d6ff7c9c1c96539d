"""The citizen's waiting room for one office: privacy notice, details, device check, queue, call.

Rendered on the server's own origin, alone in a tab or framed by a city's website
through the widget's dialog. Which websites may frame it is the embed allowlist
(the deployment's, the administrator's and the office's own), sent as the CSP
``frame-ancestors`` rule. The page sets no cookie: the ticket's token lives in the
tab's sessionStorage and only ever travels in a request body or the socket.io auth.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from virtual_office.queue import Office, QueueError, UnknownOffice
from virtual_office.server.i18n import LANGUAGES, catalog, language, preferred, translate
from virtual_office.server.origins import normalize
from virtual_office.server.pages.templating import templates
from virtual_office.widget.bundle import VENDOR_SOCKET_IO

log = logging.getLogger(__name__)

CITIZEN_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; frame-src 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors {ancestors}"
)
"""Only our own scripts; framed only by websites allowed to embed the office."""

PERMISSIONS = "camera=(self), microphone=(self), display-capture=(self), autoplay=(self), geolocation=(), payment=(), usb=()"

STORAGE_PREFIX = "virtual-office.ticket."
"""sessionStorage key of an office's ticket token (per tab; the visit page reads it too)."""


def citizen_language(request: Request) -> str:
    """?lang= else Accept-Language; nothing is remembered (the waiting room keeps no cookie)."""
    asked = request.query_params.get("lang")
    return language(asked) if asked else preferred(request.headers.get("accept-language"))


def script_strings(lang: str) -> dict[str, str]:
    """The strings the waiting room's script shows."""
    texts, fallback = catalog(lang), catalog("de")
    strings = {k.removeprefix("citizen.js."): texts.get(k) or fallback[k] for k in fallback if k.startswith("citizen.js.")}
    strings["closed"] = translate(lang, "error.closed")  # the same words as the server's refusal
    return strings


async def frame_ancestors(request: Request, office: Office | None) -> list[str]:
    """Who may frame the page: our own origin plus every origin allowed to embed the office."""
    settings = request.app.state.settings
    allowed = {normalize(o) for o in settings.allowed_origins}
    allowed |= {normalize(o) for o in (office.embed_origins if office else ())}
    try:
        allowed |= await request.app.state.origins.administered()
    except Exception:  # noqa: BLE001 - Redis away: the configured list still holds
        log.warning("administered embed origins unavailable; framing limited to the configured ones")
    allowed.discard(None)
    if "*" in allowed:
        return ["*"]
    return ["'self'", *sorted(o for o in allowed if o)]


def citizen_headers(ancestors: list[str]) -> dict[str, str]:
    """Security headers of the pages citizens use, framable only by ``ancestors``."""
    return {
        "Content-Security-Policy": CITIZEN_POLICY.format(ancestors=" ".join(ancestors)),
        "Permissions-Policy": PERMISSIONS,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def _page(request: Request, name: str, lang: str, context: dict[str, Any], ancestors: list[str], status_code: int = 200) -> Response:
    def t(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    def switch_url(code: str) -> str:
        url = request.url.include_query_params(lang=code)
        return f"{url.path}?{url.query}"

    html = templates.get_template(name).render(
        lang=lang, t=t, other_languages=[c for c in LANGUAGES if c != lang], switch_url=switch_url, **context
    )
    return HTMLResponse(html, status_code=status_code, headers=citizen_headers(ancestors))


async def waiting_room(request: Request) -> Response:
    services = request.app.state.services
    lang = citizen_language(request)
    embedded = request.query_params.get("embed") == "1"
    try:
        office = await services.offices.get(request.path_params["office_id"])
    except UnknownOffice:
        return _page(request, "citizen/not_found.html", lang, {"embedded": embedded}, await frame_ancestors(request, None), 404)
    try:
        status = await request.app.state.broadcaster.status(office.id)
    except QueueError:
        status = None  # shown without the closed notice; joining answers for itself
    ancestors = await frame_ancestors(request, office)
    config = {
        "office_id": office.id,
        "office_name": office.localized_name(lang),
        "lang": lang,
        "timezone": office.hours.timezone,
        "embedded": embedded,
        "frame_ancestors": [a for a in ancestors if a != "'self'"],
        "storage_key": STORAGE_PREFIX + office.id,
        "can_join": status.can_join if status else True,
        "opens_at": status.opens_at.isoformat() if status and status.opens_at else None,
        "strings": script_strings(lang),
    }
    context = {
        "office": office,
        "office_name": office.localized_name(lang),
        "description": office.localized_description(lang),
        "services": list(office.services),
        "languages": [c for c in office.languages if c in LANGUAGES] or [lang],
        "embedded": embedded,
        "closed": bool(status and not status.can_join),
        "config": config,
    }
    return _page(request, "citizen/waiting_room.html", lang, context, ancestors)


async def socketio_client(request: Request) -> Response:
    """The vendored socket.io client (the widget bundles the same file), for the citizen pages."""
    return FileResponse(VENDOR_SOCKET_IO, media_type="text/javascript", headers={
        "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff",
    })


routes = [
    Route("/w/{office_id}", waiting_room, methods=["GET"]),
    Route("/static/vendor/socket.io.min.js", socketio_client, methods=["GET"]),
]
