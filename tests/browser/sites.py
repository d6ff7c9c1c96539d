"""A tiny static web server playing a city's website: another origin than the office server.

Serves examples/musterstadt/ at / and tests/browser/pages/ at /pages/, replacing
``{{ office_url }}`` in HTML with the office server's origin, as the demo
server does for the example page.
"""

from __future__ import annotations

import http.server
import mimetypes
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MOUNTS = {"/pages/": ROOT / "tests" / "browser" / "pages", "/": ROOT / "examples" / "musterstadt"}


class StaticSite:
    """A threaded HTTP server on 127.0.0.1 in a daemon thread; ``close()`` stops it."""

    def __init__(self, office_url: str, *, extra_headers: dict[str, str] | None = None) -> None:
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                body, ctype = site.lookup(self.path.split("?", 1)[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for name, value in (site.extra_headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.office_url = office_url
        self.extra_headers = extra_headers
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def lookup(self, path: str) -> tuple[bytes | None, str]:
        for prefix, base in MOUNTS.items():
            if not path.startswith(prefix):
                continue
            rel = path[len(prefix):] or "index.html"
            file = (base / rel).resolve()
            if base.resolve() not in file.parents or not file.is_file():
                return None, ""
            ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            data = file.read_bytes()
            if ctype == "text/html":
                data = data.replace(b"{{ office_url }}", self.office_url.encode())
                ctype += "; charset=utf-8"
            elif ctype.startswith("text/"):
                ctype += "; charset=utf-8"
            return data, ctype
        return None, ""

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
