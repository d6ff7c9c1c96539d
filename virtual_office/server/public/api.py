"""The public JSON API: every office's status, and the health check for load balancers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from virtual_office.server.api import json_route
from virtual_office.server.i18n import request_language


async def list_offices(request: Request) -> Response:
    status = request.app.state.status
    lang = request_language(request)
    offices = [(await status.status(i)).to_json(lang) for i in await request.app.state.services.offices.ids()]
    return JSONResponse({"offices": offices})


async def health(request: Request) -> Response:
    try:
        ok = bool(await request.app.state.services.redis.ping())
    except Exception:  # noqa: BLE001 - health says no instead of failing
        ok = False
    return JSONResponse({"ok": ok, "redis": ok}, status_code=200 if ok else 503)


routes = [json_route("/api/offices", list_offices, methods=["GET"]), Route("/healthz", health, methods=["GET"])]
