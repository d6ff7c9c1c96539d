"""The clerk's console: one page kept open all day, live over the /clerk namespace."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from virtual_office.queue import UnknownOffice
from virtual_office.server.i18n import catalog
from virtual_office.server.pages.access import staff_page
from virtual_office.server.pages.templating import page_language, render
from virtual_office.widget.bundle import VENDOR_SOCKET_IO

SHORTCUTS = (("N", "console.shortcut.next"), ("F", "console.shortcut.finish"), ("B", "console.shortcut.back"),
             ("X", "console.shortcut.no_show"))


def script_strings(lang: str) -> dict[str, str]:
    """The strings the console's script shows (errors come translated in acknowledgements)."""
    texts = catalog(lang)
    fallback = catalog("de")
    wanted = [k for k in fallback if k.startswith("console.js.") or k.startswith("error.")]
    return {k.removeprefix("console.js."): texts.get(k) or fallback[k] for k in wanted}


@staff_page()
async def console(request: Request) -> Response:
    clerk = request.state.clerk
    services = request.app.state.services
    lang = page_language(request)
    offices = []
    for office_id in clerk.offices:
        try:
            offices.append(await services.offices.get(office_id))
        except UnknownOffice:
            continue  # deleted meanwhile; the administrator fixes the staffing
    everyone = await services.offices.all()
    config = {
        "clerk_id": clerk.id,
        "lang": lang,
        "offices": [{"id": o.id, "name": o.localized_name(lang)} for o in offices],
        "targets": [{"id": o.id, "name": o.localized_name(lang)} for o in everyone],
        "strings": script_strings(lang),
    }
    return render(request, "staff/console.html", {"offices": offices, "config": config, "shortcuts": SHORTCUTS})


async def socketio_client(request: Request) -> Response:
    """The vendored socket.io client (the widget bundles the same file), for our own pages."""
    return FileResponse(VENDOR_SOCKET_IO, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


routes = [
    Route("/console", console, methods=["GET"]),
    Route("/staff/socket.io.min.js", socketio_client, methods=["GET"]),
]
