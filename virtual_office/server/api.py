"""The JSON HTTP API (docs/events.md): office status, joining and leaving, login."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from virtual_office.queue import (
    InvalidInput,
    NotAuthorized,
    OfficeClosed,
    QueueError,
    QueueFull,
    StoreUnavailable,
    UnknownOffice,
    UnknownTicket,
)
from virtual_office.server import payloads
from virtual_office.server.auth import Throttled, current_clerk, log_in, log_out
from virtual_office.server.i18n import language, preferred

MAX_BODY = 16 * 1024

_STATUS = {
    UnknownOffice: 404,
    UnknownTicket: 404,
    OfficeClosed: 409,
    QueueFull: 409,
    NotAuthorized: 401,
    Throttled: 429,
    StoreUnavailable: 503,
}


def _lang(request: Request) -> str:
    return language(request.query_params.get("lang")) if "lang" in request.query_params else preferred(request.headers.get("accept-language"))


def refuse(request: Request, exc: QueueError) -> JSONResponse:
    body = payloads.error(exc, _lang(request))
    if isinstance(exc, OfficeClosed) and exc.opens_at is not None:
        body["opens_at"] = exc.opens_at.isoformat()
    return JSONResponse(body, status_code=_STATUS.get(type(exc), 400))


async def json_body(request: Request) -> dict[str, Any]:
    """A small JSON object; anything else is InvalidInput.

    Requiring application/json also keeps other websites' plain form posts out: a
    browser sends JSON across origins only after a CORS preflight we never grant.
    """
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise InvalidInput("send application/json")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise InvalidInput("the request is too large")
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise InvalidInput("malformed JSON") from exc
    if not isinstance(data, dict):
        raise InvalidInput("expected a JSON object")
    return data


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _handles_errors(handler):  # type: ignore[no-untyped-def]
    async def wrapper(request: Request) -> JSONResponse:
        try:
            return await handler(request)
        except QueueError as exc:
            return refuse(request, exc)

    wrapper.__name__ = handler.__name__
    return wrapper


@_handles_errors
async def list_offices(request: Request) -> JSONResponse:
    services = request.app.state.services
    broadcaster = request.app.state.broadcaster
    lang = _lang(request)
    offices = [(await broadcaster.status(i)).to_json(lang) for i in await services.offices.ids()]
    return JSONResponse({"offices": offices})


@_handles_errors
async def join(request: Request) -> JSONResponse:
    services = request.app.state.services
    data = await json_body(request)
    joined = await services.room.join(
        request.path_params["office_id"], name=data.get("name"), concern=data.get("concern"), language=data.get("language")
    )
    ticket = await request.app.state.broadcaster.citizen_view(joined.ticket, _lang(request))
    return JSONResponse({"token": joined.token, "ticket": ticket}, status_code=201)


@_handles_errors
async def my_ticket(request: Request) -> JSONResponse:
    services = request.app.state.services
    ticket = await services.room.ticket(_bearer(request))
    return JSONResponse(await request.app.state.broadcaster.citizen_view(ticket, _lang(request)))


@_handles_errors
async def leave(request: Request) -> JSONResponse:
    services = request.app.state.services
    ticket = await services.room.leave(_bearer(request))
    await request.app.state.broadcaster.ended(ticket.id, ticket.office_id, ticket.clerk_id, "left")
    return JSONResponse({"ok": True})


@_handles_errors
async def login(request: Request) -> JSONResponse:
    services = request.app.state.services
    data = await json_body(request)
    try:
        clerk = await log_in(request, services.clerks, request.app.state.login_throttle, data.get("login"), data.get("password"))
    except NotAuthorized:
        return JSONResponse(payloads.error("login_failed", _lang(request)), status_code=401)
    return JSONResponse({"ok": True, "clerk": {"id": clerk.id, "name": clerk.name, "role": clerk.role, "offices": list(clerk.offices)}})


async def logout(request: Request) -> JSONResponse:
    log_out(request)
    return JSONResponse({"ok": True})


@_handles_errors
async def me(request: Request) -> JSONResponse:
    clerk = await current_clerk(request, request.app.state.services.clerks)
    if clerk is None:
        return JSONResponse(payloads.error("not_authenticated", _lang(request)), status_code=401)
    return JSONResponse({"id": clerk.id, "name": clerk.name, "role": clerk.role, "offices": list(clerk.offices)})


async def health(request: Request) -> JSONResponse:
    try:
        ok = bool(await request.app.state.services.redis.ping())
    except Exception:  # noqa: BLE001 - health says no instead of failing
        ok = False
    return JSONResponse({"ok": ok, "redis": ok}, status_code=200 if ok else 503)


routes = [
    Route("/api/offices", list_offices),
    Route("/api/offices/{office_id}/tickets", join, methods=["POST"]),
    Route("/api/tickets/me", my_ticket, methods=["GET"]),
    Route("/api/tickets/me", leave, methods=["DELETE"]),
    Route("/api/login", login, methods=["POST"]),
    Route("/api/logout", logout, methods=["POST"]),
    Route("/api/me", me),
    Route("/healthz", health),
]
