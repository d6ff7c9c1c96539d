"""Signature requests: the clerk names a document, the citizen signs it on a pad (or on paper).

A request is ``{"id", "document", "state", "at", "by", "lang"}``; its state goes from
``requested`` to ``signed`` (the pad's PNG arrives as a file of the visit, through the
upload route) or ``paper`` (the clerk notes it was signed on paper).
"""

from __future__ import annotations

import re
import secrets

from virtual_office.server.i18n import translate

REQUESTED = "requested"
SIGNED = "signed"
PAPER = "paper"
MAX_DOCUMENT = 120


def new_request(document: str, by: str, lang: str, at: int) -> dict[str, object]:
    return {"id": secrets.token_hex(8), "document": document, "state": REQUESTED, "at": at, "by": by, "lang": lang}


def clean_document(value: str) -> str:
    """A document's name as one line of text."""
    return " ".join(value.split())[:MAX_DOCUMENT]


def signature_file_name(lang: str, document: str) -> str:
    """'Unterschrift – <document>.png', with no path separator in it."""
    safe = re.sub(r"[\\/\x00-\x1f]", "_", document).strip(" .") or "-"
    return translate(lang, "exchange.signature.file_name", document=safe)


def public(request: dict[str, object]) -> dict[str, object]:
    """What members see of a request."""
    return {k: request[k] for k in ("id", "document", "state", "at") if k in request} | (
        {"file_id": request["file_id"]} if request.get("file_id") else {}
    )


__all__ = ["MAX_DOCUMENT", "PAPER", "REQUESTED", "SIGNED", "clean_document", "new_request", "public", "signature_file_name"]
