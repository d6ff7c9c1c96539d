"""The widget bundle: one deterministic, content-addressed, ASCII-only script."""

import gzip
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from virtual_office.widget import build_widget
from virtual_office.widget.bundle import SOCKET_IO_VERSION, VENDOR_SOCKET_IO, WIDGET_DIR


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return build_widget(tmp_path_factory.mktemp("widget"))


def test_files_named_by_content(bundle):
    data = bundle.path.read_bytes()
    assert bundle.path.name == f"widget-{bundle.url_hash}.js"
    assert bundle.url_hash == hashlib.sha256(data).hexdigest()[:12]
    assert bundle.size == len(data)
    assert gzip.decompress(bundle.gzip_path.read_bytes()) == data
    assert bundle.gzip_size == bundle.gzip_path.stat().st_size
    assert bundle.etag == f'"{bundle.url_hash}"'


def test_build_is_deterministic(bundle, tmp_path):
    again = build_widget(tmp_path)
    assert again.url_hash == bundle.url_hash
    assert again.gzip_path.read_bytes() == bundle.gzip_path.read_bytes()


def test_contents(bundle):
    text = bundle.path.read_text("ascii")  # raises if anything is not ASCII
    assert text.startswith("/*! virtual-office widget ")
    assert f"socket.io-client {SOCKET_IO_VERSION}" in text
    assert f"Socket.IO v{SOCKET_IO_VERSION}" in VENDOR_SOCKET_IO.read_text()
    assert "__VO_VERSION__" not in text
    assert "VO_CSS=" in text and ":host{" in text  # stylesheet inlined, minified
    assert "\\u00e4" in text  # German strings kept, escaped as \uXXXX
    assert "console.log" not in text


def test_size_budget(bundle):
    # the widget with its socket.io client must stay light on a city's page
    assert bundle.gzip_size <= 30 * 1024


def test_headers(bundle):
    short = bundle.headers()
    assert short["Content-Type"] == "text/javascript; charset=utf-8"
    assert "immutable" not in short["Cache-Control"]
    assert short["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Content-Encoding" not in short
    pinned = bundle.headers(immutable=True, gzipped=True)
    assert "immutable" in pinned["Cache-Control"]
    assert pinned["Content-Encoding"] == "gzip"


ACORN = Path(__file__).resolve().parents[1] / "browser" / "node_modules" / "acorn"


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_parses_as_es2017(bundle):
    # The widget must run in every browser a citizen might still use: nothing newer than ES2017.
    if ACORN.exists():
        check = (f"require({str(ACORN)!r}).parse(require('fs').readFileSync(process.argv[1], 'utf8'),"
                 " {ecmaVersion: 2017})")
    else:  # without acorn (npm ci --prefix tests/browser) only "is JavaScript" is checked
        check = "new Function(require('fs').readFileSync(process.argv[1], 'utf8'))"
    for path in (bundle.path, WIDGET_DIR / "src" / "widget.js"):
        result = subprocess.run(["node", "-e", check, str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
