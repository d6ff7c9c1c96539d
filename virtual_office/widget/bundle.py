"""Build the widget bundle: socket.io client + widget script + stylesheet in one file.

The stylesheet is minified and inlined as a string so the widget costs one
request. The socket.io client is wrapped in a closure (it sees a local
CommonJS ``module``), so the page gets no ``io`` global; the only global is
``window.VirtualOffice``.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from webassets import Bundle, Environment

from virtual_office import __version__

WIDGET_DIR = Path(__file__).resolve().parent
SOCKET_IO_VERSION = "4.8.4"
VENDOR_SOCKET_IO = WIDGET_DIR / "vendor" / "socket.io.min.js"

_HEADER = (
    "/*! virtual-office widget {version} | AGPL-3.0-or-later"
    " | includes socket.io-client {sio} (MIT, (c) Guillermo Rauch and contributors) */\n"
)
# CommonJS shims make the UMD build of socket.io export into the closure, not window.
_PROLOGUE = "(function(){var module={exports:{}},exports=module.exports,define=void 0;\n"
_EPILOGUE = "\n})();\n"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@dataclasses.dataclass(frozen=True)
class WidgetBundle:
    """A built widget: the script, its gzip twin and the content hash naming both."""

    path: Path
    """``widget-<hash>.js``: the complete script, UTF-8 safe (pure ASCII)."""
    gzip_path: Path
    """The same bytes gzip-compressed (level 9), to send as ``Content-Encoding: gzip``."""
    url_hash: str
    """Content hash (12 hex digits); use as ETag and in ``/widget/<hash>.js``."""
    size: int
    gzip_size: int

    @property
    def etag(self) -> str:
        return f'"{self.url_hash}"'

    def headers(self, *, immutable: bool = False, gzipped: bool = False) -> dict[str, str]:
        """Response headers for serving the bundle to any (cross-origin) page."""
        headers = {
            "Content-Type": "text/javascript; charset=utf-8",
            "ETag": self.etag,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
            # host pages may run with COEP: require-corp
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Cache-Control": (
                "public, max-age=31536000, immutable"
                if immutable
                else "public, max-age=300, stale-while-revalidate=3600"
            ),
        }
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        return headers


def _minify(directory: Path) -> tuple[str, str]:
    """Minify widget.js (rjsmin) and widget.css (rcssmin) through webassets."""
    env = Environment(directory=str(directory), url="/widget", cache=False, manifest=False)
    env.append_path(str(WIDGET_DIR / "src"))
    env.config["RJSMIN_KEEP_BANG_COMMENTS"] = False
    bundles = {
        "js": Bundle("widget.js", filters="rjsmin", output="widget.min.js"),
        "css": Bundle("widget.css", filters="rcssmin", output="widget.min.css"),
    }
    for name, bundle in bundles.items():
        env.register(name, bundle)
        bundle.build(force=True)
    return (
        (directory / "widget.min.js").read_text(encoding="utf-8"),
        (directory / "widget.min.css").read_text(encoding="utf-8"),
    )


def render_widget() -> str:
    """The complete widget script as text (not yet written anywhere)."""
    with tempfile.TemporaryDirectory(prefix="vo-widget-") as tmp:
        js, css = _minify(Path(tmp))
    vendor = VENDOR_SOCKET_IO.read_text(encoding="utf-8")
    js = js.replace("__VO_VERSION__", __version__)
    text = "".join([
        _HEADER.format(version=__version__, sio=SOCKET_IO_VERSION),
        _PROLOGUE,
        vendor,
        "\n;var VO_IO=module.exports,VO_CSS=",
        json.dumps(css),
        ";\n",
        js,
        _EPILOGUE,
    ])
    # Pure ASCII: the script then decodes the same whatever charset the page declares.
    # Non-ASCII only occurs in string literals and comments, where \\uXXXX means the same.
    return _NON_ASCII.sub(lambda m: "\\u%04x" % ord(m.group()), text)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_widget(out_dir: Path) -> WidgetBundle:
    """Build the bundle into ``out_dir`` (created if needed) and describe it.

    Idempotent and safe to run from several processes at once: files are
    named by content and written atomically.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = render_widget().encode("ascii")
    url_hash = hashlib.sha256(data).hexdigest()[:12]
    packed = gzip.compress(data, compresslevel=9, mtime=0)
    path = out_dir / f"widget-{url_hash}.js"
    gzip_path = out_dir / f"widget-{url_hash}.js.gz"
    _write_atomic(path, data)
    _write_atomic(gzip_path, packed)
    return WidgetBundle(path=path, gzip_path=gzip_path, url_hash=url_hash,
                        size=len(data), gzip_size=len(packed))
