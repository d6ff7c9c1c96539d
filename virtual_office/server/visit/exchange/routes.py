"""HTTP routes for a visit's files: upload (streamed, checked by size and content) and download.

Only members of the visit may use them, by the same rules as the /visit namespace: the
citizen with the ticket token (``Authorization: Bearer``), the serving clerk and guests
with their login session. Anyone else, and anything after the visit, gets 404.

Uploads need the header ``X-Requested-With: XMLHttpRequest`` and, when the browser
names one, our own Origin: another website's form can neither set the header nor
pass the Origin check, so a clerk's cookie cannot be used to post into a visit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from virtual_office.queue import QueueError
from virtual_office.server import payloads
from virtual_office.server.i18n import request_language, translate
from virtual_office.server.protocol import CITIZEN_ROLE, VISIT, visit_room
from virtual_office.server.security import DOWNLOAD_HEADERS, is_own_origin
from virtual_office.server.visit.exchange.exchange import Exchange
from virtual_office.server.visit.exchange.files import EmptyFile, FileRefused, NoSuchFile, TooLarge, WrongType
from virtual_office.server.visit.exchange.signature import SIGNED, public, signature_file_name
from virtual_office.server.visit.membership import Member

if TYPE_CHECKING:
    from virtual_office.server.visit import Visits

log = logging.getLogger(__name__)

TYPE_NAMES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}
MAX_FILES = 100
"""Files per visit: with the size limit, what one visit can put on the disk at most."""


def _refuse(request: Request, status: int, code: str, **values: object) -> JSONResponse:
    message = translate(request_language(request), f"exchange.error.{code}", **values)
    return JSONResponse({"ok": False, "error": code, "message": message}, status_code=status, headers={"Cache-Control": "no-store"})


async def _member(request: Request, visit_id: str) -> Member:
    """The member this request's credentials make; a QueueError for anyone else."""
    visits: Visits = request.app.state.visits
    _, member = await visits.membership.authorize_request(request, visit_id)
    return member


def _exchange(request: Request) -> Exchange:
    visits: Visits = request.app.state.visits
    return visits.exchange


async def _emit(request: Request, event: str, data: dict[str, object], visit_id: str) -> None:
    await request.app.state.sio.emit(event, data, room=visit_room(visit_id), namespace=VISIT)


async def upload(request: Request) -> Response:
    settings = request.app.state.settings
    exchange = _exchange(request)
    visit_id = request.path_params["visit_id"]
    if request.headers.get("x-requested-with") != "XMLHttpRequest":
        return _refuse(request, 400, "header")
    if not is_own_origin(request.headers.get("origin"), settings.base_url):
        return _refuse(request, 403, "origin")
    try:
        member = await _member(request, visit_id)
    except QueueError:
        return _refuse(request, 404, "not_found")
    limit = settings.max_upload_bytes
    megabytes = f"{limit / 1_000_000:.3g}"
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        return _refuse(request, 413, "too_large", mb=megabytes)

    if len(await asyncio.to_thread(exchange.files.list, visit_id)) >= MAX_FILES:
        return _refuse(request, 409, "too_many", n=MAX_FILES)

    name: object = unquote(request.headers.get("x-file-name", ""))
    types, document, sign_request = tuple(settings.upload_types), "", None
    request_id = request.headers.get("x-signature-request")
    if request_id:
        sign_request = await exchange.state.request(visit_id, request_id[:40])
        if member.role != CITIZEN_ROLE or sign_request is None:
            return _refuse(request, 403, "forbidden")
        if sign_request["state"] == SIGNED:
            return _refuse(request, 409, "already_signed")
        types, document = ("image/png",), str(sign_request["document"])
        name = signature_file_name(str(sign_request.get("lang", "de")), document)

    if sign_request is None:
        return await _store(request, exchange, visit_id, member, name, types, document, None)
    # One upload per request at a time: two at the same instant would both be kept.
    if not await exchange.state.claim_signature(visit_id, sign_request["id"]):
        return _refuse(request, 409, "already_signed")
    response: Response | None = None
    try:
        response = await _store(request, exchange, visit_id, member, name, types, document, sign_request)
        return response
    finally:
        if response is None or response.status_code != 201:
            await exchange.state.release_signature(visit_id, sign_request["id"])  # the citizen may try again


async def _store(
    request: Request, exchange: Exchange, visit_id: str, member: Member, name: object, types: tuple[str, ...], document: str,
    sign_request: dict[str, Any] | None,
) -> Response:
    """Receive the body as a file of the visit (and as the signature of ``sign_request``)."""
    limit = request.app.state.settings.max_upload_bytes
    megabytes = f"{limit / 1_000_000:.3g}"
    body = request.stream()
    now = request.app.state.services.room.now_ms()
    try:
        stored = await exchange.files.receive(
            visit_id, body, name=name, sender=member.participant, at=now, limit=limit, types=types, document=document
        )
    except TooLarge:
        return _refuse(request, 413, "too_large", mb=megabytes)
    except WrongType:
        # Read (and drop) the rest, up to the limit, so that the browser sees our answer.
        drained = 0
        async for chunk in body:
            drained += len(chunk)
            if drained > limit:
                break
        allowed = ", ".join(TYPE_NAMES.get(t, t) for t in types)
        return _refuse(request, 415, "file_type", types=allowed)
    except EmptyFile:
        return _refuse(request, 400, "empty")
    except FileRefused:
        return _refuse(request, 400, "header")
    except OSError:
        # The visit ended (and its folder went) while the file arrived, or the disk failed.
        log.warning("storing a visit's file failed")
        stored = None

    try:
        await _member(request, visit_id)  # the visit may have ended while the file arrived
    except QueueError:
        await exchange.clear(visit_id)
        return _refuse(request, 404, "not_found")
    if stored is None:
        return JSONResponse(payloads.error("internal", request_language(request)), status_code=500)
    await _emit(request, "file", stored.to_json(), visit_id)
    if sign_request is not None:
        sign_request = {**sign_request, "state": SIGNED, "file_id": stored.id}
        await exchange.state.save_request(visit_id, sign_request)
        await _emit(request, "signature", {**public(sign_request), "file": stored.to_json()}, visit_id)
    return JSONResponse({"ok": True, "file": stored.to_json()}, status_code=201)


async def download(request: Request) -> Response:
    exchange = _exchange(request)
    visit_id = request.path_params["visit_id"]
    try:
        await _member(request, visit_id)
        stored, path = exchange.files.get(visit_id, request.path_params["file_id"])
    except (QueueError, NoSuchFile):
        return _refuse(request, 404, "not_found")
    return FileResponse(
        path,
        media_type=stored.type,
        filename=stored.name,
        content_disposition_type="attachment",
        headers=DOWNLOAD_HEADERS,
    )


routes = [
    Route("/visit/{visit_id}/files", upload, methods=["POST"]),
    Route("/visit/{visit_id}/files/{file_id}", download, methods=["GET"]),
]

__all__ = ["routes"]
