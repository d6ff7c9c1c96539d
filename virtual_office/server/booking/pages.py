"""The booking page (``/b/<office>``) and the pages of the citizen's links.

The links carry the booking's token in their path (``/b/confirm/<token>`` …): they come
from the citizen's mailbox. Opening one changes nothing; its page asks, and a button
(a form posted to the same address) acts, so a mail program that opens links to check
them confirms or cancels nothing. Every page sends ``Referrer-Policy: no-referrer``, so
the token never leaves in a Referer header, and the access log is off (cli.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.mail.templates import format_when
from virtual_office.queue import Office, QueueError, UnknownOffice
from virtual_office.queue.appointment_settings import REFUSE
from virtual_office.queue.bookings import CANCELLED, CHECKED_IN, CONFIRMED, HELD, Booking
from virtual_office.queue.slots import day_end
from virtual_office.server.booking import mails
from virtual_office.server.booking.refusals import message
from virtual_office.server.i18n import Text, language, request_language, script_strings, translate
from virtual_office.server.protocol import TICKET_STORAGE_PREFIX
from virtual_office.server.templating import citizen_tenant, render_citizen
from virtual_office.server.waiting_room.page import KEEP_MARGIN_SECONDS


def _strings(lang: str) -> dict[str, Text]:
    return script_strings(lang, "booking.js.")


def _no_referrer(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _details(office: Office, booking: Booking, lang: str) -> list[tuple[str, str]]:
    zone = office.appointment_hours.zone
    rows = [
        (translate(lang, "booking.details.when"), format_when(booking.start.astimezone(zone), lang)),
        (translate(lang, "booking.details.office"), office.localized_name(lang)),
        (translate(lang, "booking.details.services"), ", ".join(
            s.localized_name(lang) for s in office.appointments.services if s.id in booking.services) or booking.concern),
        (translate(lang, "booking.details.reference"), booking.reference),
    ]
    return rows


async def booking_page(request: Request) -> Response:
    """``GET /b/<office>``: choose services, a day, a time; the contact; consent; the bot check."""
    app = request.app.state
    lang = request_language(request)
    embedded = request.query_params.get("embed") == "1"
    try:
        office: Office | None = await app.services.offices.get(request.path_params["office_id"])
    except UnknownOffice:
        office = None
    if office is None or not office.appointments.takes_appointments:
        ancestors = await app.origins.frame_ancestors(office)
        page = LinkPage(heading=translate(lang, "booking.none.heading"), texts=[translate(lang, "booking.none.text")])
        return await _render_link(request, lang, office, page, ancestors, embedded=embedded, status_code=404)
    ancestors = await app.origins.frame_ancestors(office)
    return _no_referrer(render_citizen(request, "booking/booking.html", lang, _picker_context(
        request, office, lang, embedded, ancestors, mode="book", mail=app.mail.configured,
    ), ancestors, tenant=await citizen_tenant(request, office)))


def _picker_context(request: Request, office: Office, lang: str, embedded: bool, ancestors: list[str], *,
                    mode: str, mail: bool, booking: Booking | None = None, token: str | None = None) -> dict[str, Any]:
    settings = office.appointments
    config = {
        "mode": mode,
        "office_id": office.id,
        "lang": lang,
        "timezone": office.appointment_hours.timezone,
        "embedded": embedded,
        "frame_ancestors": [a for a in ancestors if a != "'self'"],
        "services": list(booking.services) if booking else [],
        "token": token,
        "strings": _strings(lang),
    }
    return {
        "office": office,
        "office_name": office.localized_name(lang),
        "services": [(s.id, s.localized_name(lang), s.minutes) for s in settings.services],
        "mode": mode,
        "embedded": embedded,
        "mail": mail,
        "booking": booking,
        "details": _details(office, booking, lang) if booking else [],
        "waiting_room": settings.mode != "only",
        "hold_minutes": settings.hold_minutes,
        "config": config,
    }


@dataclass
class LinkPage:
    """What a link's page says: a heading, sentences, the booking, and what one can do next."""

    heading: str
    texts: list[str] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    action: str | None = None
    """The button's label: the form posts to this page's own address."""
    danger: bool = False
    links: list[tuple[str, str]] = field(default_factory=list)
    enter: dict[str, Any] | None = None
    """The check-in's configuration for the page script (enter link, inside the window)."""
    tone: str = "notice"
    """notice | warn | error: how the first sentence is framed."""


async def _render_link(request: Request, lang: str, office: Office | None, page: LinkPage, ancestors: list[str], *,
                 embedded: bool = False, status_code: int = 200) -> Response:
    context = {
        "office_name": office.localized_name(lang) if office else "",
        "page": page,
        "embedded": embedded,
        "config": {"mode": "link", "lang": lang, "embedded": embedded, "enter": page.enter,
                   "frame_ancestors": [a for a in ancestors if a != "'self'"], "strings": _strings(lang)},
    }
    return _no_referrer(render_citizen(request, "booking/link.html", lang, context, ancestors, status_code=status_code,
                                       tenant=await citizen_tenant(request, office)))


class _Link:
    """One opened link: its token, the booking, its office and the page's language."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.app = request.app.state
        self.token: str = request.path_params["token"]
        self.booking: Booking | None = None
        self.office: Office | None = None
        self.lang = request_language(request)

    async def load(self) -> Response | None:
        """The booking; or the page that says the link is no good (None: go on)."""
        try:
            self.booking = await self.app.services.appointments.booking(self.token)
            self.office = await self.app.services.offices.get(self.booking.office_id)
        except QueueError:
            return await self.refused("not_found", status_code=404)
        if "lang" not in self.request.query_params and self.booking.language:
            self.lang = language(self.booking.language)
        return None

    def details(self) -> list[tuple[str, str]]:
        assert self.booking and self.office, "load() first"
        return _details(self.office, self.booking, self.lang)

    def book_again(self) -> list[tuple[str, str]]:
        if self.office is None or not self.office.appointments.takes_appointments:
            return []
        return [(f"/b/{self.office.id}?lang={self.lang}", translate(self.lang, "booking.link.book_again"))]

    async def render(self, page: LinkPage, status_code: int = 200) -> Response:
        ancestors = await self.app.origins.frame_ancestors(self.office)
        return await _render_link(self.request, self.lang, self.office, page, ancestors, status_code=status_code)

    async def refused(self, code: str, *, status_code: int = 410, texts: list[str] | None = None) -> Response:
        """The booking cannot be used for this (cancelled, over, unknown): say so, offer to book again."""
        page = LinkPage(
            heading=translate(self.lang, f"booking.link.{code}.heading"),
            texts=texts or [message(code, self.lang)],
            details=self.details() if self.booking and code != "not_found" else [],
            links=self.book_again(),
            tone="warn",
        )
        return await self.render(page, status_code)

    async def over(self) -> Response | None:
        """The page for a booking that is cancelled or over; None while it is held, confirmed or checked in."""
        assert self.booking and self.office
        if self.booking.state == CANCELLED:
            return await self.refused("cancelled")
        # Its day over, the sweeper closes it soon: the link says so already.
        day_over = self.app.services.appointments.now() >= day_end(self.office.appointment_hours, date.fromisoformat(self.booking.day))
        if self.booking.state not in (HELD, CONFIRMED, CHECKED_IN) or (day_over and self.booking.state != CHECKED_IN):
            return await self.refused("expired")
        return None

    def when(self, moment: datetime) -> str:
        assert self.office
        return format_when(moment.astimezone(self.office.appointment_hours.zone), self.lang)

    def clock(self, moment: datetime) -> str:
        assert self.office
        return moment.astimezone(self.office.appointment_hours.zone).strftime("%H:%M")


async def confirm(request: Request) -> Response:
    """``/b/confirm/<token>``: GET asks, POST confirms and sends the confirmation with the calendar file."""
    link = _Link(request)
    if (refused := await link.load()) or (refused := await link.over()):
        return refused
    assert link.booking and link.office
    lang, booking = link.lang, link.booking
    if request.method == "POST" and booking.state == HELD:
        try:
            booking = link.booking = await link.app.services.appointments.confirm(link.token)
        except QueueError as exc:
            return await link.refused(exc.code if exc.code in ("cancelled", "expired") else "not_found")
        await mails.send_confirmation(link.app.mail, link.app.settings.base_url, link.office, booking, link.token)
    if booking.state == HELD:
        return await link.render(LinkPage(
            heading=translate(lang, "booking.confirm.heading"),
            texts=[translate(lang, "booking.confirm.text", until=link.clock(booking.hold_until or booking.start))],
            details=link.details(), action=translate(lang, "booking.confirm.action"),
        ))
    return await link.render(LinkPage(
        heading=translate(lang, "booking.confirmed.heading"),
        texts=[translate(lang, "booking.confirmed.text", email=booking.email) if booking.email
               else translate(lang, "booking.confirmed.heading")],
        details=link.details(),
        links=[(mails.link("", "enter", link.token, lang), translate(lang, "booking.link.enter")),
               (mails.link("", "calendar", link.token, lang), translate(lang, "booking.link.calendar")),
               (mails.link("", "move", link.token, lang), translate(lang, "booking.link.move")),
               (mails.link("", "cancel", link.token, lang), translate(lang, "booking.link.cancel"))],
    ))


async def cancel(request: Request) -> Response:
    """``/b/cancel/<token>``: GET asks "really cancel?", POST cancels and sends the cancellation."""
    link = _Link(request)
    if (refused := await link.load()) or (refused := await link.over()):
        return refused
    assert link.booking and link.office
    lang = link.lang
    if link.booking.state == CHECKED_IN:
        return await link.refused("checked_in", status_code=409)
    if request.method == "POST":
        try:
            before = await link.app.services.appointments.cancel(link.token)
        except QueueError as exc:
            return await link.refused(exc.code if exc.code in ("cancelled", "expired") else "not_found")
        await mails.send_cancelled(link.app.mail, link.app.settings.base_url, link.office, before, link.token)
        return await link.render(LinkPage(
            heading=translate(lang, "booking.cancelled.heading"),
            texts=[translate(lang, "booking.cancelled.text")],
            details=link.details(), links=link.book_again(),
        ))
    return await link.render(LinkPage(
        heading=translate(lang, "booking.cancel.heading"),
        texts=[translate(lang, "booking.cancel.question")],
        details=link.details(), action=translate(lang, "booking.cancel.action"), danger=True,
        links=[(mails.link("", "move", link.token, lang), translate(lang, "booking.cancel.keep"))],
    ))


async def move_page(request: Request) -> Response:
    """``GET /b/move/<token>``: choose another day and time, as when booking."""
    link = _Link(request)
    if (refused := await link.load()) or (refused := await link.over()):
        return refused
    assert link.booking and link.office
    if link.booking.state == CHECKED_IN:
        return await link.refused("checked_in", status_code=409)
    ancestors = await link.app.origins.frame_ancestors(link.office)
    return _no_referrer(render_citizen(request, "booking/booking.html", link.lang, _picker_context(
        request, link.office, link.lang, False, ancestors, mode="move", mail=True, booking=link.booking,
        token=link.token,
    ), ancestors, tenant=await citizen_tenant(request, link.office)))


async def enter(request: Request) -> Response:
    """``GET /b/enter/<token>``: the way into the office's waiting room on the day.

    Too early: when to come back, and the calendar file. Inside the check-in window: a button
    whose script checks in (``POST /api/bookings/check-in``), keeps the ticket's token as the
    waiting room keeps its own (localStorage, per office) and opens the waiting room. Too
    late: the office's rule (joins as a walk-in, or refused).
    """
    link = _Link(request)
    if (refused := await link.load()) or (refused := await link.over()):
        return refused
    assert link.booking and link.office
    lang, booking, office = link.lang, link.booking, link.office
    settings = office.appointments
    if booking.state == HELD:
        return await link.refused("not_confirmed", status_code=409,
                                  texts=[translate(lang, "booking.error.not_confirmed")])
    now = link.app.services.appointments.now()
    opens = booking.start - timedelta(minutes=settings.early_check_in_minutes)
    late_after = booking.start + timedelta(minutes=settings.late_minutes)
    calendar = (mails.link("", "calendar", link.token, lang), translate(lang, "booking.link.calendar"))
    if booking.state != CHECKED_IN and now < opens:
        return await link.render(LinkPage(
            heading=translate(lang, "booking.enter.early.heading"),
            texts=[translate(lang, "booking.enter.early.text", time=link.clock(opens), when=link.when(opens))],
            details=link.details(), links=[calendar], tone="warn",
        ))
    if booking.state != CHECKED_IN and now > late_after and settings.late == REFUSE:
        return await link.refused("too_late", texts=[translate(lang, "booking.enter.refused.text", time=link.clock(booking.start))])
    texts = [translate(lang, "booking.enter.text", time=link.clock(booking.start))]
    if booking.state != CHECKED_IN and now > late_after:
        texts.append(translate(lang, "booking.enter.late.text"))
    return await link.render(LinkPage(
        heading=translate(lang, "booking.enter.heading", office=office.localized_name(lang)),
        texts=texts, details=link.details(),
        enter={"token": link.token, "office_id": office.id,
               "storage_key": TICKET_STORAGE_PREFIX + office.id,
               "keep_seconds": link.app.services.settings.grace_seconds + KEEP_MARGIN_SECONDS},
    ))


async def calendar(request: Request) -> Response:
    """``GET /b/calendar/<token>.ics``: the appointment for one's calendar (METHOD:PUBLISH-like REQUEST)."""
    from virtual_office.mail import ics

    link = _Link(request)
    if (refused := await link.load()) or (refused := await link.over()):
        return refused
    assert link.booking and link.office
    event = mails.calendar_event(link.app.settings.base_url, link.app.mail, link.office, link.booking, link.token,
                                 link.lang, with_attendee=False)
    return Response(ics(event), media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="termin.ics"', "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
    })


routes = [
    Route("/b/confirm/{token}", confirm, methods=["GET", "POST"]),
    Route("/b/cancel/{token}", cancel, methods=["GET", "POST"]),
    Route("/b/move/{token}", move_page, methods=["GET"]),
    Route("/b/enter/{token}", enter, methods=["GET"]),
    Route("/b/calendar/{token}.ics", calendar, methods=["GET"]),
    Route("/b/{office_id}", booking_page, methods=["GET"]),
]
