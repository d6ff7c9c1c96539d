"""The booking's refusals in the citizen's words: the engine's codes, translated for booking."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse

from virtual_office.queue import Office, QueueError
from virtual_office.server.api import refuse
from virtual_office.server.i18n import catalog, request_language, translate

CONSENT_REQUIRED = "consent_required"
MAIL_UNAVAILABLE = "mail_unavailable"


class ConsentMissing(QueueError):
    """The privacy notice was not agreed to."""

    code = CONSENT_REQUIRED


class NoAppointments(QueueError):
    """The office takes no appointments (or there is no such office)."""

    code = "no_appointments"


class MailUnavailable(QueueError):
    """This deployment sends no mail, so it takes no bookings (``serve`` without VO_SMTP_URL)."""

    code = MAIL_UNAVAILABLE


_STATUS = {"slot_full": 409, "cancelled": 410, "expired": 410, "not_found": 404, "no_appointments": 404,
           "too_early": 409, MAIL_UNAVAILABLE: 503}


def message(code: str, lang: str) -> str:
    """The booking's own sentence for ``code`` where the waiting room's would mislead (``expired``)."""
    key = f"booking.error.{code}"
    return translate(lang, key if key in catalog("de") else f"error.{code}")


def refuse_booking(request: Request, exc: QueueError, office: Office | None = None) -> JSONResponse:
    """The API's refusal (api.refuse) with the booking's sentence, the field at fault and the next free times."""
    response = refuse(request, exc)
    lang = request_language(request)
    body: dict[str, object] = {"ok": False, "error": exc.code, "message": message(exc.code, lang)}
    field = exc.details.get("field") or getattr(exc, "field", None)
    if field:
        body["field"] = field
    at = exc.details.get("at")
    if isinstance(at, datetime) and office is not None:
        body["at"] = at.astimezone(office.appointment_hours.zone).isoformat()
    free = exc.details.get("next_free")
    if isinstance(free, list) and office is not None:
        zone = office.appointment_hours.zone
        body["next_free"] = [t.astimezone(zone).isoformat() for t in free if isinstance(t, datetime)]
    status = _STATUS.get(exc.code, response.status_code)
    return JSONResponse(body, status_code=status)


__all__ = ["CONSENT_REQUIRED", "ConsentMissing", "MailUnavailable", "NoAppointments", "message", "refuse_booking"]
