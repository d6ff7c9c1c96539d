"""The declared shape of every inbound payload: the base model, the shared types, and the one parse.

Each feature declares its socket.io events (``EVENTS``: event name -> model) and its JSON
bodies in its own ``schemas.py``; ``realtime.Namespace`` and ``api.json_body`` parse every
payload into its model before a handler runs, so a handler sees only data of the right
shape. Models are strict (no ``"1"`` taken for ``1``, nor ``1`` for ``"1"``), frozen, and
refuse fields they do not declare: the protocol is ours, and a client that sends more
has misunderstood it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, RootModel, StringConstraints, ValidationError

from virtual_office.queue import InvalidInput

MAX_ID = 40
"""Office, ticket, clerk and request ids are shorter (an office id is at most 40 characters)."""

OfficeId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]
TicketId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]
ClerkId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID)]


def one_line(max_length: int) -> Callable[[str], str]:
    """A validator: the text on one line (runs of blanks made one space), at most ``max_length``."""

    def check(value: str) -> str:
        value = " ".join(value.split())
        if len(value) > max_length:
            raise ValueError(f"at most {max_length} characters")
        return value

    return check


class Payload(BaseModel):
    """A payload of our protocol: strict types, no undeclared fields, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, hide_input_in_errors=True)


class Empty(Payload):
    """An event that carries nothing (``{}`` or no payload at all)."""


Secret = Annotated[str, StringConstraints(max_length=200)]
"""A ticket's or booking's token as the page keeps it (checked by the queue, not here)."""


class Connect(Payload):
    """What every page sends when it connects (socket.io's ``auth``): its language at least.

    The language is a tag as the page has it ("en-GB"); :func:`i18n.language` picks ours.
    """

    lang: Annotated[str, StringConstraints(max_length=35)] | None = None


Schema = type[Payload] | type[RootModel[Any]]
"""A declared payload: a model, or a root model (a union chosen by a discriminator field)."""

Events = Mapping[str, Schema]
"""A namespace's declared events: name -> schema."""

M = TypeVar("M", bound=BaseModel)


class BadPayload(InvalidInput):
    """A payload not of its declared shape; ``field`` names the declared field at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def members(schema: type[BaseModel]) -> list[type[BaseModel]]:
    """The models a payload of ``schema`` may be: itself, or each member of a root union."""
    if not issubclass(schema, RootModel):
        return [schema]
    union = schema.model_fields["root"].annotation
    return [m for m in getattr(union, "__args__", ()) if isinstance(m, type) and issubclass(m, BaseModel)]


def field_names(schema: type[BaseModel]) -> set[str]:
    """The fields ``schema`` declares, by the names they have on the wire."""
    return {info.alias or name for member in members(schema) for name, info in member.model_fields.items()}


def parse(schema: type[M], data: object) -> M:
    """``data`` as an instance of ``schema``; BadPayload otherwise.

    The error names the declared field at fault, never the value (it may be a name or a
    concern), nor an undeclared field's name (it is the sender's text).
    """
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False, include_context=True)[0]
        known = field_names(schema)
        loc = error["loc"][1:] if issubclass(schema, RootModel) else error["loc"]  # a union's first step is the tag
        field = next((str(part) for part in loc if isinstance(part, str) and part in known), None)
        if field is None and error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field = str(error.get("ctx", {}).get("discriminator", "")).strip("'") or None
        raise BadPayload(f"{error['type']}", field) from None


__all__ = [
    "MAX_ID", "BadPayload", "ClerkId", "Connect", "Empty", "Events", "OfficeId", "Payload", "Schema", "Secret", "TicketId",
    "field_names", "members", "one_line", "parse",
]
