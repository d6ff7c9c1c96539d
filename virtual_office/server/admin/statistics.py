"""Administration: statistics per office and day (aggregates only), as a table and a bar chart,
the office's appointments per day (booked, cancelled, no-shows, lead time) and its fees per day
(counts and sums by outcome, never who paid or what for).

The chart is a bar a day, one under the other, each as long as its share of the busiest day: it fits
a phone's width however many days it shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.payments import PaymentStats, format_amount, recent_payment_stats
from virtual_office.queue import DayStats, recent_stats
from virtual_office.queue.stats import AppointmentStats, appointment_stats
from virtual_office.server import tenancy
from virtual_office.server.sessions import staff_page
from virtual_office.server.templating import page_language, render

PERIODS = (7, 14, 30)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    share: float
    """Percent of the busiest day's visits."""


def minutes(seconds: float | None, lang: str) -> str:
    """'4,5 Min.' / '4.5 min'; a dash when there were no visits."""
    if seconds is None:
        return "–"
    value = f"{seconds / 60:.1f}"
    return f"{value.replace('.', ',')} Min." if lang == "de" else f"{value} min"


def lead_time(minutes_: float | None, lang: str) -> str:
    """How long ahead appointments were booked, on average: '26,5 Std.' / '26.5 h'; a dash for none."""
    if minutes_ is None:
        return "–"
    value = f"{minutes_ / 60:.1f}"
    return f"{value.replace('.', ',')} Std." if lang == "de" else f"{value} h"


def bars(rows: list[DayStats], lang: str) -> list[Bar]:
    """Visits a day as bars scaled to the busiest day."""
    top = max([r.visits for r in rows] + [1])
    return [Bar(label=row.day.strftime("%d.%m." if lang == "de" else "%m/%d"), value=row.visits, share=round(row.visits / top * 100, 1))
            for row in rows]


@staff_page(admin=True)
async def statistics(request: Request) -> Response:
    services = request.app.state.services
    lang = page_language(request)
    offices = await tenancy.offices(request)
    asked = request.query_params.get("office")
    office = next((o for o in offices if o.id == asked), offices[0] if offices else None)
    try:
        days = int(request.query_params.get("days", "14"))
    except ValueError:
        days = 14
    days = days if days in PERIODS else 14
    rows: list[DayStats] = []
    appointments: list[AppointmentStats] = []
    fees: list[PaymentStats] = []
    if office is not None:
        today = office.hours.local(services.room.now()).date()
        rows = await recent_stats(services.redis, office.id, today, days)
        # Appointments count on their own day: booked, cancelled, no-shows, lead time (counts only).
        appointments = [await appointment_stats(services.redis, office.id, row.day) for row in rows]
        # The cashier counts a payment on the day it reached its state, in the office's time zone too.
        fees = await recent_payment_stats(services.redis, office.id, today, days)
    return render(request, "admin/stats.html", {
        "offices": offices, "office": office, "days": days, "periods": PERIODS, "rows": rows,
        "bars": bars(rows, lang),
        "minutes": lambda s: minutes(s, lang),
        "total": sum(r.visits for r in rows),
        "appointments": appointments if any(a.booked or a.expired for a in appointments) else [],
        "lead": lambda m: lead_time(m, lang),
        "fees": fees if any(f.paid or f.transfers_requested or f.failed or f.cancelled or f.abandoned or f.unresolved
                            for f in fees) else [],
        "euros": lambda cents: format_amount(cents, lang),
    })


routes = [Route("/admin/stats", statistics, methods=["GET"])]
