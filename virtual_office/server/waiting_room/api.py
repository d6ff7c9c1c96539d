"""The citizen's JSON API: join an office's waiting room, read one's ticket, leave."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from virtual_office.server import limits
from virtual_office.server.api import json_body, json_route
from virtual_office.server.i18n import request_language
from virtual_office.server.visit.lifecycle import LEFT
from virtual_office.server.visit.membership import bearer_token
from virtual_office.server.waiting_room.schemas import Join


async def join(request: Request) -> Response:
    services = request.app.state.services
    data = await json_body(request, Join)
    await limits.take(services.redis, limits.joins(services.settings), limits.client_address(request))
    joined = await services.room.join(
        request.path_params["office_id"], name=data.name, concern=data.concern, language=data.language
    )
    ticket = await request.app.state.status.citizen_view(joined.ticket, request_language(request))
    return JSONResponse({"token": joined.token, "ticket": ticket}, status_code=201)


async def my_ticket(request: Request) -> Response:
    ticket = await request.app.state.services.room.ticket(bearer_token(request))
    return JSONResponse(await request.app.state.status.citizen_view(ticket, request_language(request)))


async def leave(request: Request) -> Response:
    ticket = await request.app.state.services.room.leave(bearer_token(request))
    await request.app.state.visits.end(ticket, LEFT)
    return JSONResponse({"ok": True})


routes = [
    json_route("/api/offices/{office_id}/tickets", join, methods=["POST"]),
    json_route("/api/tickets/me", my_ticket, methods=["GET"]),
    json_route("/api/tickets/me", leave, methods=["DELETE"]),
]
