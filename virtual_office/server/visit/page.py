"""The video visit page, one for the citizen and for staff.

GET /visit/{visit_id}: the citizen's tab holds the ticket's token in sessionStorage
(the waiting room put it there; the page reads it under the office's key), staff carry
their login cookie. Who may take part is decided by the membership rule when the page's
socket connects, not here: the page itself shows nothing of the visit but the office's name.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.queue import QueueError
from virtual_office.server.i18n import language, request_language, script_strings
from virtual_office.server.protocol import TICKET_STORAGE_PREFIX, waiting_room_url
from virtual_office.server.sessions import read_session
from virtual_office.server.templating import citizen_tenant, render_citizen


async def visit_page(request: Request) -> Response:
    services = request.app.state.services
    visit_id = request.path_params["visit_id"]
    clerk_id = read_session(services.settings, request.headers.get("cookie")).get("clerk_id")
    staff = bool(clerk_id)
    office = ticket = None
    try:
        ticket = await services.room.locate(visit_id)
        office = await services.offices.get(ticket.office_id)
    except QueueError:
        pass  # ended or never existed: the page says so once the socket refuses
    clerk = await services.clerks.get(clerk_id) if isinstance(clerk_id, str) and office is not None else None
    if clerk is not None and clerk.tenant != office.tenant:  # type: ignore[union-attr]
        office = ticket = None  # another municipality's visit is, to its staff, one that does not exist
    if "lang" not in request.query_params and ticket is not None and ticket.language and not staff:
        lang = language(ticket.language)  # what the citizen chose in the waiting room
    else:
        lang = request_language(request)
    embed = request.query_params.get("embed")
    config = {
        "visit_id": visit_id,
        "lang": lang,
        "office_id": office.id if office else None,
        "storage_key": TICKET_STORAGE_PREFIX + office.id if office else None,
        "waiting_room_url": waiting_room_url(office.id, lang) if office else None,
        "ice_servers": services.settings.media.browser_ice_servers(),
        "console": embed == "console",
        "strings": script_strings(lang, "visit.js."),
        "unencrypted_video": office.unencrypted_video if office else "refuse",  # docs/e2ee.md
    }
    ancestors = await request.app.state.origins.frame_ancestors(office)
    tenant = await citizen_tenant(request, office)
    context = {
        "office_name": office.localized_name(lang) if office else "", "embed": embed, "config": config,
        "hotline": office.hotline_link(tenant) if office and not staff else None,  # the citizen's way forward, not staff's
    }
    return render_citizen(request, "visit/visit.html", lang, context, ancestors, tenant=tenant)


routes = [Route("/visit/{visit_id}", visit_page, methods=["GET"])]
