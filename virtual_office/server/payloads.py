"""The JSON shapes sent to clients (docs/events.md), built in one place."""

from __future__ import annotations

from datetime import UTC, datetime

from virtual_office.queue import CALLED, Office, OfficeStatus, QueueError, Ticket
from virtual_office.server import protocol
from virtual_office.server.i18n import translate


def iso(ms: int | None, office: Office) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(office.hours.zone).isoformat()


def visit_url(ticket: Ticket) -> str:
    return protocol.visit_url(ticket.id)


def ticket_for_citizen(
    ticket: Ticket, office: Office, status: OfficeStatus | None, position: int | None, lang: str, now_ms: int
) -> dict[str, object]:
    """What the citizen sees of their own ticket, as read at ``now_ms`` (its ``as_of``: pushes may overtake each other)."""
    call = None
    if ticket.state == CALLED and ticket.deadline is not None:
        call = {
            "expires_at": iso(ticket.deadline, office),
            "seconds_left": max(0, (ticket.deadline - now_ms) // 1000),
            "visit_url": visit_url(ticket),
        }
    estimate = status.estimate_for(position) if status and position else None
    return {
        "number": ticket.number,
        "office": {"id": office.id, "name": office.localized_name(lang)},
        "state": ticket.state,
        "position": position,
        "ahead": position - 1 if position else None,
        "estimate": estimate.to_json() if estimate else None,
        "office_status": status.status if status else None,
        "joined_at": iso(ticket.joined_at, office),
        "call": call,
        "appointment_at": iso(ticket.appointment_at, office),
        "as_of": now_ms,
    }


def ticket_for_clerk(ticket: Ticket, office: Office, position: int | None, now_ms: int) -> dict[str, object]:
    """What a clerk sees of a ticket in their office's queue."""
    recently_seen = ticket.offline_since is None
    return {
        "id": ticket.id,
        "number": ticket.number,
        "state": ticket.state,
        "joined_at": iso(ticket.joined_at, office),
        "queued_at": iso(ticket.queued_at, office),
        "name": ticket.name,
        "concern": ticket.concern,
        "language": ticket.language,
        "online": recently_seen,
        "position": position,
        "clerk_id": ticket.clerk_id or None,
        "deadline": iso(ticket.deadline, office),
        "seconds_left": max(0, (ticket.deadline - now_ms) // 1000) if ticket.deadline else None,
    }


def error(exc: QueueError | str, lang: str, **extra: object) -> dict[str, object]:
    """The refusal acknowledgement: a stable code and a translated message."""
    code = exc if isinstance(exc, str) else exc.code
    return {"ok": False, "error": code, "message": translate(lang, f"error.{code}"), **extra}
