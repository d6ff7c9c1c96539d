"""The JSON HTTP API's plumbing (docs/events.md): bodies in, refusals out, the same for every route.

The routes themselves live with their features (``waiting_room.api``, ``public``, ``login``),
and so do their bodies' schemas; every JSON body is parsed into its model here
(:func:`json_body`, :func:`parse_json`), and one of the wrong shape is a 400 ``bad_request``.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from virtual_office.queue import (
    AppointmentsOnly,
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
from virtual_office.server.i18n import request_language
from virtual_office.server.limits import TooMany
from virtual_office.server.schemas import BadPayload, parse
from virtual_office.server.sessions import Throttled

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024

MAX_DEPTH = 16
"""Nesting of objects and lists in a request or event payload; ours go two or three deep."""
MAX_INTEGER = 2**53
"""Integers beyond this are not exact in a browser's JavaScript either: no client sends them."""

Endpoint = Callable[[Request], Awaitable[Response]]
M = TypeVar("M", bound=BaseModel)

_STATUS = {
    AppointmentsOnly: 409,
    UnknownOffice: 404,
    UnknownTicket: 404,
    OfficeClosed: 409,
    QueueFull: 409,
    NotAuthorized: 401,
    Throttled: 429,
    TooMany: 429,
    StoreUnavailable: 503,
}


def refuse(request: Request, exc: QueueError) -> JSONResponse:
    body = payloads.error(exc, request_language(request))
    if isinstance(exc, BadPayload) and exc.field:
        body["field"] = exc.field
    if isinstance(exc, OfficeClosed) and exc.opens_at is not None:
        body["opens_at"] = exc.opens_at.isoformat()
    return JSONResponse(body, status_code=_STATUS.get(type(exc), 400))


def plain_json(value: object, depth: int = 0) -> None:
    """Refuse (InvalidInput) what ``json.loads`` accepts but nothing downstream can use.

    Nesting beyond ``MAX_DEPTH``, NaN and infinities, integers beyond ``MAX_INTEGER``, and
    lone surrogates (``"\\ud800"`` decodes to a str that cannot be encoded to UTF-8 later,
    in Redis, a log or a page). Applied once at the edge: to every JSON body and to every
    socket.io event's payload.
    """
    if depth > MAX_DEPTH:
        raise InvalidInput("nested too deeply")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("not valid Unicode text") from None
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            raise InvalidInput("number out of range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput("number out of range")
    elif isinstance(value, dict):
        for key, item in value.items():
            plain_json(key, depth + 1)
            plain_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            plain_json(item, depth + 1)
    else:  # bytes (socket.io's binary attachments), anything not JSON
        raise InvalidInput("not JSON")


def parse_json(body: bytes, schema: type[M]) -> M:
    """``body`` as JSON that passed :func:`plain_json`, parsed into ``schema``; InvalidInput otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the parser's stack
        raise InvalidInput("malformed JSON") from exc
    plain_json(data)
    if not isinstance(data, dict):
        raise InvalidInput("expected a JSON object")
    return parse(schema, data)


async def json_body(request: Request, schema: type[M]) -> M:
    """A small JSON object of the shape ``schema`` declares; anything else is InvalidInput.

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
    return parse_json(body or b"{}", schema)


def json_route(path: str, endpoint: Endpoint, *, methods: list[str] | None = None) -> Route:
    """A route of the JSON API: any refusal the handler raises becomes its JSON error and status."""

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except QueueError as exc:
            return refuse(request, exc)
        except RedisError as exc:  # the queue translates its own; this is Redis met elsewhere
            log.warning("%s %s: Redis unavailable (%s)", request.method, path, type(exc).__name__)
            return refuse(request, StoreUnavailable("the store is unavailable"))

    return Route(path, answer, methods=methods)


__all__ = ["json_body", "json_route", "parse_json", "plain_json", "refuse"]
