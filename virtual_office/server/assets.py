"""The static files of our own pages: each feature's ``static/`` folder, the shared one, and the
vendored socket.io client, under ``/static``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from virtual_office.server.templating import FEATURES
from virtual_office.widget.bundle import VENDOR_SOCKET_IO


async def socketio_client(request: Request) -> Response:
    """The vendored socket.io client (the widget bundles the same file), for our own pages."""
    return FileResponse(VENDOR_SOCKET_IO, media_type="text/javascript", headers={
        "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff",
    })


def static_routes() -> list[BaseRoute]:
    """``/static/<feature>/…`` from each feature's folder; ``/static/…`` from the shared one."""
    features: list[BaseRoute] = [
        Mount(f"/static/{name}", StaticFiles(packages=[(f"virtual_office.server.{name}", "static")])) for name in FEATURES
    ]
    return [
        Route("/static/vendor/socket.io.min.js", socketio_client, methods=["GET"]),
        *features,
        Mount("/static", StaticFiles(packages=[("virtual_office.server", "static")]), name="static"),
    ]


__all__ = ["static_routes"]
