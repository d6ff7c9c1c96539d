"""Who may open which staff page: clerks the console, administrators the administration."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from virtual_office.queue import QueueError
from virtual_office.server.auth import current_clerk
from virtual_office.server.pages import csrf
from virtual_office.server.pages.templating import render, text

MAX_FORM_BYTES = 64 * 1024

Page = Callable[[Request], Awaitable[Response]]


def error_page(request: Request, status: int, key: str) -> Response:
    return render(request, "staff/error.html", {"status": status, "message": text(request, key)}, status_code=status)


async def read_form(request: Request) -> FormData:
    """The posted form, small and without files, after the CSRF check."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, "form too large")
    form = await request.form(max_files=0, max_fields=500)
    csrf.verify(request, form)
    return form


def staff_page(*, admin: bool = False) -> Callable[[Page], Page]:
    """Require a logged-in clerk (or administrator); posts must also pass the CSRF check.

    The handler finds the account in ``request.state.clerk`` and, for posts, the form in
    ``request.state.form``.
    """

    def decorate(handler: Page) -> Page:
        @functools.wraps(handler)
        async def wrapper(request: Request) -> Response:
            try:
                clerk = await current_clerk(request, request.app.state.services.clerks)
            except QueueError:
                return error_page(request, 503, "error.unavailable")
            if clerk is None:
                if request.method == "GET":
                    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
                return error_page(request, 401, "error.not_authenticated")
            request.state.clerk = clerk
            if admin and not clerk.is_admin:
                return error_page(request, 403, "staff.error.admins_only")
            try:
                if request.method == "POST":
                    request.state.form = await read_form(request)
                return await handler(request)
            except HTTPException as exc:
                return refusal(request, exc)
            except QueueError as exc:
                return error_page(request, 503 if exc.code == "unavailable" else 400, f"error.{exc.code}")

        return wrapper

    return decorate


def refusal(request: Request, exc: HTTPException) -> Response:
    keys = {403: "staff.error.csrf", 413: "staff.error.too_large", 404: "staff.error.not_found"}
    return error_page(request, exc.status_code, keys.get(exc.status_code, "error.bad_request"))
