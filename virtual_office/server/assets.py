"""The static files of our own pages.

Each feature's ``static/`` folder, the shared one and the vendored socket.io client are served
under ``/static``. The scripts of a page go out as one bundle (:data:`SCRIPTS`): webassets joins
the shared helpers (``static/shared.js``) and the page's own modules, in order, into
``<page>-<hash>.js``, built once at start into the data directory and served under ``/assets``
with a content hash in the URL, so browsers may keep it for good. Templates name a bundle with
``{{ script_url('<page>') }}``. The bundles are not minified: they stay readable in a browser's
developer tools, and they are small.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Mapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from webassets import Bundle, Environment

from virtual_office.server.templating import FEATURES, SERVER
from virtual_office.widget.bundle import VENDOR_SOCKET_IO, _write_atomic

SHARED_SCRIPT = "static/shared.js"
"""The helpers every page script uses (``window.VO``); the first part of each bundle."""

SCRIPTS: Mapping[str, tuple[str, ...]] = {
    "waiting_room": tuple(f"waiting_room/static/{name}" for name in (
        "steps.js", "frame.js", "device_check.js", "check.js", "queue.js", "call.js", "waiting_room.js",
    )),
    "visit": tuple(f"visit/static/{name}" for name in (
        "state.js", "e2ee.js", "media.js", "peer.js", "tiles.js", "colleagues.js", "visit.js",
        "exchange.js", "exchange_files.js", "exchange_signature.js", "exchange_record.js", "exchange_payments.js",
        "exchange_connection.js",
    )),
    "console": tuple(f"console/static/{name}" for name in (
        "state.js", "connection.js", "queues.js", "joined.js", "offices.js", "visit.js", "shortcuts.js", "console.js",
        "appointments.js", "visit-panel.js",
    )),
    "admin": ("admin/static/admin.js",),
    "booking": ("booking/static/booking.js",),
}
"""Each page's bundle: its files (relative to ``virtual_office/server``) in the order they run, after the shared helpers."""

ASSETS_PATH = "/assets"


@dataclasses.dataclass(frozen=True)
class Scripts:
    """The built bundles: ``<page>-<hash>.js`` files in one directory."""

    directory: Path
    files: Mapping[str, str]
    """Page name -> the bundle's file name."""

    def url(self, page: str) -> str:
        """The bundle's URL for a template: ``/assets/<page>-<hash>.js``."""
        return f"{ASSETS_PATH}/{self.files[page]}"

    async def serve(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.files.values():  # only what was built, never another file of the directory
            return PlainTextResponse("Not Found", status_code=404)
        return FileResponse(self.directory / name, media_type="text/javascript; charset=utf-8", headers={
            "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff",
        })

    def routes(self) -> list[BaseRoute]:
        return [Route(ASSETS_PATH + "/{name}", self.serve, methods=["GET", "HEAD"])]


def render_scripts(source: Path = SERVER, scripts: Mapping[str, tuple[str, ...]] = SCRIPTS) -> dict[str, bytes]:
    """Each page's bundle as UTF-8 text, its files read from ``source`` (not yet written anywhere)."""
    env = Environment(directory=str(source), url=ASSETS_PATH, cache=False, manifest=False, auto_build=False)
    env.append_path(str(source))
    rendered = {}
    for page, files in scripts.items():
        out = io.StringIO()
        Bundle(SHARED_SCRIPT, *files, output=f"{page}.js", env=env).build(force=True, output=out)
        rendered[page] = out.getvalue().encode("utf-8")
    return rendered


def build_scripts(out_dir: Path, source: Path = SERVER, scripts: Mapping[str, tuple[str, ...]] = SCRIPTS) -> Scripts:
    """Build every page's bundle into ``out_dir`` (created if needed).

    Like the widget's bundle, safe to run from several processes at once: files are named by
    their content and written atomically.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for page, data in render_scripts(source, scripts).items():
        name = f"{page}-{hashlib.sha256(data).hexdigest()[:12]}.js"
        _write_atomic(out_dir / name, data)
        files[page] = name
    return Scripts(directory=out_dir, files=files)


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


__all__ = ["SCRIPTS", "Scripts", "build_scripts", "render_scripts", "static_routes"]
