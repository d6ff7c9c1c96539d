"""The administration's overview page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.server import tenancy
from virtual_office.server.sessions import staff_page
from virtual_office.server.templating import render


@staff_page(admin=True)
async def overview(request: Request) -> Response:
    offices = await tenancy.offices(request)
    clerks = await tenancy.accounts(request)
    staff = {o.id: [c for c in clerks if c.staffs(o.id)] for o in offices}
    names = {o.id: o for o in offices}
    return render(request, "admin/index.html", {
        "offices": offices, "clerks": clerks, "staff": staff, "office_by_id": names,
        "flash": request.session.pop("flash", None),
    })


routes = [Route("/admin", overview, methods=["GET"])]
