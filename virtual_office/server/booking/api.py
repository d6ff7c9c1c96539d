"""The booking's JSON API: free times, holding a time, moving it, checking in on the day."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from virtual_office.mail import valid_address
from virtual_office.queue import Office, QueueError, StoreUnavailable
from virtual_office.queue.appointments import LANGUAGES
from virtual_office.queue.bookings import CONFIRMED, Booking
from virtual_office.queue.errors import InvalidAppointment, UnknownOffice
from virtual_office.server import limits
from virtual_office.server.api import Endpoint, json_body
from virtual_office.server.booking import mails
from virtual_office.server.booking.refusals import ConsentMissing, MailUnavailable, NoAppointments, refuse_booking
from virtual_office.server.booking.schemas import Hold, Move, Token
from virtual_office.server.i18n import request_language
from virtual_office.server.protocol import TICKET_STORAGE_PREFIX
from virtual_office.server.schemas import Payload
from virtual_office.server.waiting_room.page import KEEP_MARGIN_SECONDS

log = logging.getLogger(__name__)


class CheckIn(Payload):
    """``POST /api/bookings/check-in``: the enter link's token."""

    token: Token


def booking_route(path: str, endpoint: Endpoint, *, methods: list[str]) -> Route:
    """A route of the booking API: a refusal becomes its JSON error in the citizen's language."""

    @functools.wraps(endpoint)
    async def answer(request: Request) -> Response:
        try:
            return await endpoint(request)
        except QueueError as exc:
            return refuse_booking(request, exc, getattr(request.state, "office", None))
        except RedisError as exc:
            log.warning("%s %s: Redis unavailable (%s)", request.method, path, type(exc).__name__)
            return refuse_booking(request, StoreUnavailable("the store is unavailable"))

    return Route(path, answer, methods=methods)


async def office_taking_appointments(request: Request, office_id: str) -> Office:
    """The office (kept on the request for the refusal's next free times), if it takes appointments."""
    try:
        office = await request.app.state.services.offices.get(office_id)
    except UnknownOffice:
        raise NoAppointments("no such office") from None
    if not office.appointments.takes_appointments:
        raise NoAppointments("the office takes no appointments")
    request.state.office = office
    return office


def parse_start(value: str) -> datetime:
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidAppointment("not a time", field="start") from None
    if start.tzinfo is None:
        raise InvalidAppointment("a start time needs its offset", field="start")
    return start


def booking_view(office: Office, booking: Booking) -> dict[str, object]:
    """What the citizen's page shows of their booking (their own address included: it says where the mail went)."""
    zone = office.appointment_hours.zone
    return {
        "reference": booking.reference,
        "state": booking.state,
        "start": booking.start.astimezone(zone).isoformat(),
        "end": booking.end.astimezone(zone).isoformat(),
        "services": list(booking.services),
        "email": booking.email,
        "hold_until": booking.hold_until.astimezone(zone).isoformat() if booking.hold_until else None,
        "hold_minutes": office.appointments.hold_minutes,
    }


async def free_times(request: Request) -> Response:
    """``GET /api/offices/{id}/free-times?services=a,b``: every day within the horizon with free start times."""
    services = request.app.state.services
    office = await office_taking_appointments(request, request.path_params["office_id"])
    chosen = [s for s in request.query_params.get("services", "").split(",") if s]
    today = office.appointment_hours.local(services.appointments.now()).date()
    days = await services.appointments.free_days(office.id, chosen, today,
                                                 today + timedelta(days=office.appointments.horizon_days))
    zone = office.appointment_hours.zone
    return JSONResponse({
        "timezone": office.appointment_hours.timezone,
        "days": [{"date": day.isoformat(), "times": [t.astimezone(zone).isoformat() for t in times]}
                 for day, times in days.items() if times],
    }, headers={"Cache-Control": "no-store"})


async def hold(request: Request) -> Response:
    """``POST /api/offices/{id}/bookings``: hold the time and send the opt-in mail (a repeated request: the same booking)."""
    app = request.app.state
    services = app.services
    data = await json_body(request, Hold)
    office = await office_taking_appointments(request, request.path_params["office_id"])
    if not app.mail.configured:
        raise MailUnavailable("this server sends no mail")
    # Everything that needs no store first: a typo costs the citizen no bot check.
    if not data.consent:
        raise ConsentMissing("the privacy notice was not agreed to", field="consent")
    if not valid_address(data.email):  # the mail's own rule: an address it could not send to is refused here
        raise InvalidAppointment("not an e-mail address", field="email")
    if data.language not in LANGUAGES:
        raise InvalidAppointment("language is de or en", field="language")
    start = parse_start(data.start)
    services.appointments.minutes(office, data.services)
    again = await services.appointments.requested(office.id, data.request_key)
    if not again:
        await limits.take(services.redis, limits.bookings(), limits.client_address(request))
        await app.botcheck.verify(data.altcha)
    held = await services.appointments.hold(
        office.id, data.services, start, email=data.email, name=data.name, phone=data.phone,
        language=data.language, request_key=data.request_key,
    )
    if held.token:
        await mails.send_opt_in(app.mail, app.settings.base_url, office, held.booking, held.token)
    log.info("booking %s held at office %s", held.booking.id, office.id)
    return JSONResponse({"ok": True, "booking": booking_view(office, held.booking)}, status_code=200 if held.again else 201)


async def move(request: Request) -> Response:
    """``POST /api/bookings/move``: another time, atomically; a confirmed booking's confirmation goes out again."""
    app = request.app.state
    services = app.services
    data = await json_body(request, Move)
    booking = await services.appointments.booking(data.token)
    office = await services.offices.get(booking.office_id)
    request.state.office = office
    moved = await services.appointments.move(data.token, parse_start(data.start))
    if moved.state == CONFIRMED:
        await mails.send_confirmation(app.mail, app.settings.base_url, office, moved, data.token)
    log.info("booking %s moved", moved.id)
    return JSONResponse({"ok": True, "booking": booking_view(office, moved)})


async def check_in(request: Request) -> Response:
    """``POST /api/bookings/check-in``: on the day, the booking becomes a ticket in the office's waiting room."""
    app = request.app.state
    services = app.services
    data = await json_body(request, CheckIn)
    booking = await services.appointments.booking(data.token)
    office = await services.offices.get(booking.office_id)
    request.state.office = office
    checked = await services.appointments.check_in(data.token)
    ticket = await app.status.citizen_view(checked.joined.ticket, request_language(request))
    return JSONResponse({
        "ok": True,
        "token": checked.joined.token,
        "ticket": ticket,
        "priority": checked.priority,
        "storage_key": TICKET_STORAGE_PREFIX + office.id,
        "keep_seconds": services.settings.grace_seconds + KEEP_MARGIN_SECONDS,
        "room_url": f"/w/{office.id}",
    }, status_code=200 if checked.again else 201)


routes = [
    booking_route("/api/offices/{office_id}/free-times", free_times, methods=["GET"]),
    booking_route("/api/offices/{office_id}/bookings", hold, methods=["POST"]),
    booking_route("/api/bookings/move", move, methods=["POST"]),
    booking_route("/api/bookings/check-in", check_in, methods=["POST"]),
]
