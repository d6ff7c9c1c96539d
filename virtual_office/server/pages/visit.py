"""The video visit page, one for the citizen and for staff, and the connection check.

GET /visit/{visit_id}: the citizen's tab holds the ticket's token in sessionStorage
(the waiting room put it there; the page reads it under the office's key), staff carry
their login cookie. Who may take part is decided by the /visit namespace, not here:
the page itself shows nothing of the visit but the office's name.

POST /api/connection-check: a browser's offer in, the answer of a connection that
echoes its own camera and microphone back (virtual_office.media.MediaServer.connection_check).
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from virtual_office.media import BadSignal, Busy, MediaError
from virtual_office.queue import QueueError, UnknownOffice
from virtual_office.server.i18n import LANGUAGES, catalog, language, preferred, translate
from virtual_office.server.pages.templating import templates
from virtual_office.server.pages.waiting_room import STORAGE_PREFIX, citizen_headers, frame_ancestors
from virtual_office.server.sessions import read_session

log = logging.getLogger(__name__)

MAX_OFFER = 64 * 1024
"""Bytes of a connection check's offer (a browser's audio+video offer is about 6 KiB)."""


def visit_strings(lang: str) -> dict[str, str]:
    """The strings the visit page's script shows."""
    texts, fallback = catalog(lang), catalog("de")
    return {k.removeprefix("visit.js."): texts.get(k) or fallback[k] for k in fallback if k.startswith("visit.js.")}


async def visit_page(request: Request) -> Response:
    services = request.app.state.services
    visit_id = request.path_params["visit_id"]
    staff = bool(read_session(services.settings, request.headers.get("cookie")).get("clerk_id"))
    office = ticket = None
    try:
        ticket = await services.room.locate(visit_id)
        office = await services.offices.get(ticket.office_id)
    except (QueueError, UnknownOffice):
        pass  # ended or never existed: the page says so once the socket refuses
    asked = request.query_params.get("lang")
    if asked:
        lang = language(asked)
    elif ticket is not None and ticket.language and not staff:
        lang = language(ticket.language)  # what the citizen chose in the waiting room
    else:
        lang = preferred(request.headers.get("accept-language"))
    embed = request.query_params.get("embed")
    config = {
        "visit_id": visit_id,
        "lang": lang,
        "office_id": office.id if office else None,
        "storage_key": STORAGE_PREFIX + office.id if office else None,
        "waiting_room_url": f"/w/{office.id}?lang={lang}" if office else None,
        "ice_servers": services.settings.media.browser_ice_servers(),
        "console": embed == "console",
        "strings": visit_strings(lang),
    }
    ancestors = await frame_ancestors(request, office)

    def t(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    def switch_url(code: str) -> str:
        url = request.url.include_query_params(lang=code)
        return f"{url.path}?{url.query}"

    html = templates.get_template("visit/visit.html").render(
        lang=lang, t=t, other_languages=[c for c in LANGUAGES if c != lang], switch_url=switch_url,
        office_name=office.localized_name(lang) if office else "", embed=embed, config=config,
    )
    return HTMLResponse(html, headers=citizen_headers(ancestors))


async def check_settings(request: Request) -> Response:
    """The ICE servers a connection check (and a visit) uses."""
    servers = request.app.state.services.settings.media.browser_ice_servers()
    return JSONResponse({"ice_servers": servers}, headers={"Cache-Control": "no-store"})


async def connection_check(request: Request) -> Response:
    """Echo the browser's media back through the server for a few seconds."""
    lang = language(request.query_params.get("lang"))
    own = request.app.state.services.settings.base_url
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") != own:
        return _refusal("origin_not_allowed", lang, 403)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _refusal("bad_signal", lang, 400)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_OFFER:
            return _refusal("bad_signal", lang, 413)
    try:
        offer = json.loads(body or b"{}")
        answer = await request.app.state.services.media.connection_check(offer)
    except (ValueError, BadSignal):
        return _refusal("bad_signal", lang, 400)
    except Busy:
        return _refusal("busy", lang, 503, {"Retry-After": "10"})
    except MediaError:
        return _refusal("negotiation_failed", lang, 400)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


def _refusal(code: str, lang: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"ok": False, "error": code, "message": translate(lang, f"visit.error.{code}")}
    return JSONResponse(body, status_code=status, headers=headers)


routes = [
    Route("/visit/{visit_id}", visit_page, methods=["GET"]),
    Route("/api/connection-check", check_settings, methods=["GET"]),
    Route("/api/connection-check", connection_check, methods=["POST"]),
]
