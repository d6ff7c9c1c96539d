"""The device and connection check before joining: the browser's media echoed back through the server.

GET /api/connection-check: the ICE servers a check (and a visit) uses.
POST /api/connection-check: a browser's offer in, the answer of a connection that
echoes its own camera and microphone back (virtual_office.media.MediaServer.connection_check).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from virtual_office.media import BadSignal, Busy, MediaError
from virtual_office.queue import InvalidInput
from virtual_office.server import limits, payloads
from virtual_office.server.api import parse_json
from virtual_office.server.i18n import language, translate
from virtual_office.server.schemas import BadPayload
from virtual_office.server.security import is_own_origin
from virtual_office.server.waiting_room.schemas import CheckOffer

MAX_OFFER = 64 * 1024
"""Bytes of a connection check's offer (a browser's audio+video offer is about 6 KiB)."""


async def check_settings(request: Request) -> Response:
    """The ICE servers a connection check (and a visit) uses."""
    servers = request.app.state.services.settings.media.browser_ice_servers()
    return JSONResponse({"ice_servers": servers}, headers={"Cache-Control": "no-store"})


async def connection_check(request: Request) -> Response:
    """Echo the browser's media back through the server for a few seconds."""
    lang = language(request.query_params.get("lang"))
    if not is_own_origin(request.headers.get("origin"), request.app.state.settings.base_url):
        return _refusal("origin_not_allowed", lang, 403)
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _refusal("bad_signal", lang, 400)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_OFFER:
            return _refusal("bad_signal", lang, 413)
    services = request.app.state.services
    try:
        await limits.take(services.redis, limits.connection_checks(services.settings), limits.client_address(request))
    except limits.TooMany as exc:
        return JSONResponse(payloads.error(exc, lang), status_code=429, headers={"Retry-After": "60"})
    try:
        offer = parse_json(body or b"{}", CheckOffer)
    except InvalidInput as exc:  # not an offer at all; what its SDP says is the media server's to judge
        return JSONResponse(payloads.error(exc, lang, **({"field": exc.field} if isinstance(exc, BadPayload) and exc.field else {})), status_code=400)
    try:
        answer = await services.media.connection_check(offer.model_dump())
    except BadSignal:
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
    Route("/api/connection-check", check_settings, methods=["GET"]),
    Route("/api/connection-check", connection_check, methods=["POST"]),
]
