"""Administration: statistics per office and day (aggregates only), as a table and a bar chart."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.queue import DayStats, recent_stats
from virtual_office.server.sessions import staff_page
from virtual_office.server.templating import page_language, render

PERIODS = (7, 14, 30)
CHART_HEIGHT = 160
BAR_WIDTH = 18
BAR_GAP = 8
LEFT = 36
"""Room left of the first bar for its slanted day label."""


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    value: int
    label: str


def minutes(seconds: float | None, lang: str) -> str:
    """'4,5 Min.' / '4.5 min'; a dash when there were no visits."""
    if seconds is None:
        return "–"
    value = f"{seconds / 60:.1f}"
    return f"{value.replace('.', ',')} Min." if lang == "de" else f"{value} min"


def bars(rows: list[DayStats], lang: str) -> tuple[list[Bar], int]:
    """Visits a day as bars scaled to the busiest day; returns the bars and the chart width."""
    top = max([r.visits for r in rows] + [1])
    out = []
    for i, row in enumerate(rows):
        height = round(row.visits / top * (CHART_HEIGHT - 20))
        label = row.day.strftime("%d.%m." if lang == "de" else "%m/%d")
        out.append(Bar(x=LEFT + i * (BAR_WIDTH + BAR_GAP), y=CHART_HEIGHT - height, height=height, value=row.visits, label=label))
    return out, LEFT + len(rows) * (BAR_WIDTH + BAR_GAP)


@staff_page(admin=True)
async def statistics(request: Request) -> Response:
    services = request.app.state.services
    lang = page_language(request)
    offices = await services.offices.all()
    asked = request.query_params.get("office")
    office = next((o for o in offices if o.id == asked), offices[0] if offices else None)
    try:
        days = int(request.query_params.get("days", "14"))
    except ValueError:
        days = 14
    days = days if days in PERIODS else 14
    rows: list[DayStats] = []
    chart: tuple[list[Bar], int] = ([], 0)
    if office is not None:
        today = office.hours.local(services.room.now()).date()
        rows = await recent_stats(services.redis, office.id, today, days)
        chart = bars(rows, lang)
    return render(request, "admin/stats.html", {
        "offices": offices, "office": office, "days": days, "periods": PERIODS, "rows": rows,
        "bars": chart[0], "chart_width": chart[1], "chart_height": CHART_HEIGHT, "bar_width": BAR_WIDTH,
        "minutes": lambda s: minutes(s, lang),
        "total": sum(r.visits for r in rows),
    })


routes = [Route("/admin/stats", statistics, methods=["GET"])]
