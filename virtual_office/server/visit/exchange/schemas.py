"""What members send over /visit for the exchange: chat, signature requests, the ID check, the record."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from virtual_office.server.schemas import MAX_ID, Empty, Events, Payload
from virtual_office.server.visit.exchange.chat import chat_text
from virtual_office.server.visit.exchange.signature import clean_document


def document_name(value: str) -> str:
    """A document's name as one line; ValueError when nothing is left of it."""
    document = clean_document(value)
    if not document:
        raise ValueError("document is empty")
    return document


class ChatMessage(Payload):
    text: Annotated[str, AfterValidator(chat_text)]
    """1-2000 characters once trimmed (line breaks kept)."""


class SignatureRequest(Payload):
    document: Annotated[str, StringConstraints(max_length=500), AfterValidator(document_name)]
    """The document's name, on one line and cut to 120 characters."""


class PaperSignature(Payload):
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]


class IdChecked(Payload):
    checked: bool


EVENTS: Events = {
    "exchange": Empty,
    "chat": ChatMessage,
    "signature_request": SignatureRequest,
    "signed_on_paper": PaperSignature,
    "id_check_request": Empty,
    "id_checked": IdChecked,
    "record": Empty,
}

__all__ = ["EVENTS", "ChatMessage", "IdChecked", "PaperSignature", "SignatureRequest", "document_name"]
