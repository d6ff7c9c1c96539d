"""The clerk's console: one page kept open all day, live over the /clerk namespace."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.server import tenancy
from virtual_office.server.console.appointments import ConsoleAppointments
from virtual_office.server.i18n import Text, script_strings
from virtual_office.server.sessions import staff_page
from virtual_office.server.templating import page_language, render

SHORTCUTS = (("N", "console.shortcut.next"), ("F", "console.shortcut.finish"), ("B", "console.shortcut.back"),
             ("X", "console.shortcut.no_show"))


def _strings(lang: str) -> dict[str, Text]:
    """The strings the console's script shows, and the error messages (``error.<code>``)."""
    errors = {f"error.{k}": v for k, v in script_strings(lang, "error.").items()}
    return {**script_strings(lang, "console.js."), **errors}


@staff_page()
async def console(request: Request) -> Response:
    clerk = request.state.clerk
    services = request.app.state.services
    lang = page_language(request)
    offices = await tenancy.staffed_offices(services, clerk)
    everyone = await services.offices.of_tenant(clerk.tenant)  # a visit is transferred within its municipality
    todays = ConsoleAppointments(request.app.state.sio, services)
    appointments = {o.id: await todays.today(o) for o in offices if o.appointments.takes_appointments}
    config = {
        "clerk_id": clerk.id,
        "lang": lang,
        "offices": [{"id": o.id, "name": o.localized_name(lang)} for o in offices],
        "targets": [{"id": o.id, "name": o.localized_name(lang)} for o in everyone],
        "strings": _strings(lang),
    }
    return render(request, "console/console.html",
                  {"offices": offices, "config": config, "shortcuts": SHORTCUTS, "appointments": appointments})


routes = [Route("/console", console, methods=["GET"])]
