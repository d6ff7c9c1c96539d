"""What a file really is, by its first bytes: the name and the browser's word are not trusted."""

from __future__ import annotations

import unicodedata

SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
HEAD_BYTES = max(len(magic) for magic, _ in SIGNATURES)
"""Bytes needed to tell the types apart."""

EXTENSIONS = {"application/pdf": (".pdf",), "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg")}

MAX_NAME = 120


def sniff(head: bytes) -> str | None:
    """The MIME type the content starts like, or None when it is none we know."""
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            return kind
    return None


def display_name(name: object, kind: str) -> str:
    """A file name safe to offer for download: no path, no control characters, and an
    extension that matches the content (``x.exe`` holding a PNG becomes ``x.exe.png``, so
    opening it opens an image). Anything else stays as sent: it is shown as text, and
    the download header carries it percent-encoded."""
    text = unicodedata.normalize("NFC", name if isinstance(name, str) else "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if unicodedata.category(c)[0] != "C")
    text = text.strip(" .")
    extensions = EXTENSIONS.get(kind, ())
    if extensions and not text.lower().endswith(extensions):
        stem = text[: MAX_NAME - len(extensions[0])] or "datei"
        return stem + extensions[0]
    if len(text) > MAX_NAME and extensions:
        ext = next(e for e in extensions if text.lower().endswith(e))
        text = text[: MAX_NAME - len(ext)] + ext
    return text or "datei"


__all__ = ["EXTENSIONS", "HEAD_BYTES", "display_name", "sniff"]
