"""The public JSON API: every office's status, the health check for load balancers, and the site icon."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from virtual_office.queue import DEFAULT, UnknownTenant
from virtual_office.server.api import json_route
from virtual_office.server.i18n import request_language
from virtual_office.server.public.namespace import tenant_look, visible_offices


async def list_offices(request: Request) -> Response:
    """The status of one tenant's offices (``?tenant=``, the default tenant without); a website that
    may embed the widget may read it from its own pages too (the widget's fallback while it cannot
    hold a live connection), the offices it may show."""
    status = request.app.state.status
    services = request.app.state.services
    lang = request_language(request)
    origin = request.headers.get("origin")
    tenant = request.query_params.get("tenant") or DEFAULT
    if not await services.tenants.exists(tenant):
        return JSONResponse({"ok": False, "error": "unknown_tenant"}, status_code=404)
    ids = [o.id for o in await services.offices.of_tenant(tenant)]
    headers = {}
    if origin is not None:
        allowed = await visible_offices(services, request.app.state.origins, origin, None, tenant)
        if allowed is not None:
            ids = allowed
            headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    offices = [(await status.status(i)).to_json(lang) for i in ids]
    return JSONResponse({"offices": offices, **await tenant_look(services, tenant)}, headers=headers)


async def health(request: Request) -> Response:
    try:
        ok = bool(await request.app.state.services.redis.ping())
    except Exception:  # noqa: BLE001 - health says no instead of failing
        ok = False
    return JSONResponse({"ok": ok, "redis": ok}, status_code=200 if ok else 503)


async def tenant_colour(request: Request) -> Response:
    """The tenant's colour for its citizen pages, as a style sheet (the pages run no inline styles)."""
    try:
        tenant = await request.app.state.services.tenants.get(request.path_params["tenant_id"])
    except UnknownTenant:
        return JSONResponse({"ok": False, "error": "unknown_tenant"}, status_code=404)
    colour = tenant.colour or "#0a4f8c"
    dark = "#" + "".join(f"{int(int(colour[i:i + 2], 16) * 0.75):02x}" for i in (1, 3, 5))  # hover and pressed
    return Response(f":root {{ --brand: {colour}; --brand-dark: {dark}; }}\n", media_type="text/css",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})


FAVICON = Path(__file__).parent.parent / "static" / "favicon.svg"


async def favicon(request: Request) -> Response:
    """/favicon.ico, which browsers ask for on their own: the same SVG the pages link as their icon."""
    return Response(FAVICON.read_bytes(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


routes = [
    json_route("/api/offices", list_offices, methods=["GET"]),
    Route("/healthz", health, methods=["GET"]),
    Route("/favicon.ico", favicon, methods=["GET"]),
    Route("/tenants/{tenant_id}/colour.css", tenant_colour, methods=["GET"]),
]
