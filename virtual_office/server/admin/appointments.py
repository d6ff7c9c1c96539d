"""Administration: each office's upcoming appointments by day, and cancelling by the office.

Lists show time, reference, services, state and the name where the citizen gave one (the
office may need to say whom it expects); never the e-mail address or phone number. When the
office cancels a booking, or every booking of a day (a clerk is ill), each citizen is
e-mailed with a link to book again (server/appointment_mail.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from virtual_office.queue import AppointmentNotFound, Booking, Office, QueueError, UnknownOffice
from virtual_office.queue.bookings import CONFIRMED, HELD
from virtual_office.server import tenancy
from virtual_office.server.appointment_mail import cancel_by_office
from virtual_office.server.i18n import translate
from virtual_office.server.sessions import error_page, is_reading, staff_page
from virtual_office.server.templating import page_language, render

CANCELLABLE = (HELD, CONFIRMED)
MAX_REASON = 300


async def _office(request: Request) -> Office | Response:
    try:
        return await request.app.state.services.offices.get(request.path_params["office_id"])  # type: ignore[no-any-return]
    except UnknownOffice:
        return error_page(request, 404, "error.unknown_office")


def _day(request: Request) -> date | None:
    try:
        return date.fromisoformat(request.path_params["day"])
    except ValueError:
        return None


def _reason(request: Request) -> str:
    value = request.state.form.get("reason", "")
    return " ".join(value.split())[:MAX_REASON] if isinstance(value, str) else ""


@staff_page(admin=True)
async def overview(request: Request) -> Response:
    """Offices that take appointments, and the chosen one's days ahead with their counts."""
    services = request.app.state.services
    offices = [o for o in await tenancy.offices(request) if o.appointments.takes_appointments]
    asked = request.query_params.get("office")
    office = next((o for o in offices if o.id == asked), offices[0] if offices else None)
    days: list[tuple[date, Counter[str]]] = []
    if office is not None:
        for day in await services.appointments.days(office.id):
            counts = Counter(b.state for b in await services.appointments.live(office.id, day))
            if counts:
                days.append((day, counts))
    return render(request, "admin/appointments.html", {
        "offices": offices, "office": office, "days": days, "flash": request.session.pop("flash", None),
    })


async def _day_page(request: Request, office: Office, day: date, *, error: str | None = None,
                    reason: str = "", status: int = 200) -> Response:
    bookings = await request.app.state.services.appointments.live(office.id, day)
    return render(request, "admin/appointment_day.html", {
        "office": office, "day": day, "bookings": bookings, "cancellable": CANCELLABLE,
        "zone": office.appointment_hours.zone, "error": error, "reason": reason,
        "open": sum(1 for b in bookings if b.state in CANCELLABLE),
        "mail_configured": request.app.state.mail.configured,
        "flash": request.session.pop("flash", None),
    }, status_code=status)


@staff_page(admin=True)
async def day_page(request: Request) -> Response:
    office, day = await _office(request), _day(request)
    if isinstance(office, Response):
        return office
    if day is None:
        return error_page(request, 404, "admin.appointments.error.day")
    return await _day_page(request, office, day)


async def _cancel(request: Request, office: Office, bookings: list[Booking], reason: str) -> int:
    """Cancel each booking and mail its citizen; returns how many were cancelled (a booking that
    changed meanwhile, checked in or cancelled by its citizen, is left as it is)."""
    services = request.app.state.services
    cancelled = 0
    for booking in bookings:
        try:
            await cancel_by_office(services.appointments, request.app.state.mail, office, booking.id, reason,
                                   services.settings.base_url)
            cancelled += 1
        except QueueError:
            continue
    return cancelled


def _back(request: Request, office: Office, day: date, key: str, n: int) -> Response:
    request.session["flash"] = [key, n]
    return RedirectResponse(f"/admin/appointments/{office.id}/{day.isoformat()}", status_code=303)


@staff_page(admin=True)
async def cancel_day(request: Request) -> Response:
    """Cancel every held and confirmed booking of the day, with a reason."""
    office, day = await _office(request), _day(request)
    if isinstance(office, Response):
        return office
    if day is None:
        return error_page(request, 404, "admin.appointments.error.day")
    reason = _reason(request)
    if not reason:
        return await _day_page(request, office, day, status=400,
                               error=translate(page_language(request), "admin.appointments.error.reason"))
    bookings = [b for b in await request.app.state.services.appointments.live(office.id, day) if b.state in CANCELLABLE]
    return _back(request, office, day, "admin.appointments.cancelled", await _cancel(request, office, bookings, reason))


@staff_page(admin=True)
async def cancel_one(request: Request) -> Response:
    """Ask for the reason, then cancel one booking."""
    office, day = await _office(request), _day(request)
    if isinstance(office, Response):
        return office
    if day is None:
        return error_page(request, 404, "admin.appointments.error.day")
    appointments = request.app.state.services.appointments
    try:
        booking: Booking = await appointments.get(office.id, request.path_params["booking_id"])
    except AppointmentNotFound:
        return error_page(request, 404, "admin.appointments.error.booking")
    context = {"office": office, "day": day, "booking": booking, "zone": office.appointment_hours.zone,
               "cancellable": booking.state in CANCELLABLE and booking.day == day.isoformat(), "error": None}
    if is_reading(request) or not context["cancellable"]:
        return render(request, "admin/appointment_cancel.html", context)
    reason = _reason(request)
    if not reason:
        context["error"] = translate(page_language(request), "admin.appointments.error.reason")
        return render(request, "admin/appointment_cancel.html", context, status_code=400)
    return _back(request, office, day, "admin.appointments.cancelled", await _cancel(request, office, [booking], reason))


routes = [
    Route("/admin/appointments", overview, methods=["GET"]),
    Route("/admin/appointments/{office_id}/{day}", day_page, methods=["GET"]),
    Route("/admin/appointments/{office_id}/{day}/cancel", cancel_day, methods=["POST"]),
    Route("/admin/appointments/{office_id}/{day}/{booking_id}/cancel", cancel_one, methods=["GET", "POST"]),
]

__all__ = ["routes"]
