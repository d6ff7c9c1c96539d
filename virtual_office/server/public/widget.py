"""Serves the embeddable widget: one script under a stable URL, revalidated by ETag."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.widget import WidgetBundle


def widget_routes(bundle: WidgetBundle) -> list[Route]:
    """``/widget.js`` (the snippet's URL, short cache) and ``/widget/<hash>.js`` (immutable).

    One request and no loader: a loader would cost a round trip and lose
    ``document.currentScript``, which the widget reads its ``data-`` attributes from.
    """
    plain, packed = bundle.path.read_bytes(), bundle.gzip_path.read_bytes()

    def respond(request: Request, *, immutable: bool) -> Response:
        gzipped = "gzip" in request.headers.get("accept-encoding", "")
        headers = bundle.headers(immutable=immutable, gzipped=gzipped)
        if bundle.etag in request.headers.get("if-none-match", ""):
            headers.pop("Content-Encoding", None)
            return Response(status_code=304, headers=headers)
        return Response(packed if gzipped else plain, headers=headers)

    async def widget(request: Request) -> Response:
        return respond(request, immutable=False)

    async def pinned(request: Request) -> Response:
        if request.path_params["hash"] != bundle.url_hash:
            return Response("unknown widget version", status_code=404)
        return respond(request, immutable=True)

    return [Route("/widget.js", widget), Route("/widget/{hash}.js", pinned)]
