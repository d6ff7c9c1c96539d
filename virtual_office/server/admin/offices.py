"""Administration: creating, editing and deleting offices."""

from __future__ import annotations

from dataclasses import replace

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from virtual_office.queue import Office, UnknownOffice
from virtual_office.queue.appointment_settings import GRIDS
from virtual_office.queue.hours import WEEKDAYS
from virtual_office.server import tenancy
from virtual_office.server.admin.office_form import OfficeForm
from virtual_office.server.sessions import error_page, is_reading, staff_page
from virtual_office.server.templating import page_language, render
from virtual_office.server.visit.lifecycle import REMOVED


async def _form_page(request: Request, form: OfficeForm, *, creating: bool, status: int = 200) -> Response:
    return render(
        request,
        "admin/office_form.html",
        {"form": form, "creating": creating, "weekdays": WEEKDAYS, "grids": GRIDS,
         "mail_configured": request.app.state.mail.configured,
         "tenants": await tenancy.tenants(request) if creating and request.state.clerk.is_operator else []},
        status_code=status,
    )


async def _save_provider(request: Request, office_id: str, form: OfficeForm) -> None:
    """Store the office's payment provider apart from the office (payments/config.py), or remove it."""
    providers = request.app.state.cashier.providers
    provider = form.payments.provider.config()
    if provider is None:
        await providers.delete(office_id)
    else:
        await providers.save(office_id, provider)


async def _tenant_kind(request: Request, office: Office) -> str:
    """The kind of the tenant's provider when the office has none of its own (its payments go through it), else ""."""
    providers = request.app.state.cashier.providers
    if await providers.find(office.id) is not None:
        return ""
    tenant_provider = await providers.find_for_tenant(office.tenant)
    return "" if tenant_provider is None else tenant_provider.kind


def _done(request: Request, key: str) -> Response:
    request.session["flash"] = key
    return RedirectResponse("/admin", status_code=303)


@staff_page(admin=True)
async def new_office(request: Request) -> Response:
    if is_reading(request):
        return await _form_page(request, OfficeForm.empty(), creating=True)
    services = request.app.state.services
    lang = page_language(request)
    # Office ids are one namespace across tenants (their keys are): every id counts as taken.
    form = OfficeForm.parse(request.state.form, lang, office_id=None, taken=set(await services.offices.ids()),
                            mail_configured=request.app.state.mail.configured)
    if "appt_more" in request.state.form or "pay_more" in request.state.form:  # more rows: the same form again, nothing saved
        form.errors.clear()
        return await _form_page(request, form, creating=True)
    office = form.office(lang)
    if office is None:
        return await _form_page(request, form, creating=True, status=400)
    office = replace(office, tenant=await tenancy.chosen_tenant(request, request.state.form))
    await services.offices.save(office)
    await _save_provider(request, office.id, form)
    request.app.state.status.mark(office.id)
    return _done(request, "admin.flash.office_created")


@staff_page(admin=True)
async def edit_office(request: Request) -> Response:
    services = request.app.state.services
    providers = request.app.state.cashier.providers
    try:
        existing = await services.offices.get(request.path_params["office_id"])
    except UnknownOffice:
        return error_page(request, 404, "error.unknown_office")
    if is_reading(request):
        form = OfficeForm.of(existing, await providers.find(existing.id))
        form.payments.provider.tenant_kind = await _tenant_kind(request, existing)
        return await _form_page(request, form, creating=False)
    lang = page_language(request)
    form = OfficeForm.parse(request.state.form, lang, office_id=existing.id, taken=set(),
                            mail_configured=request.app.state.mail.configured, existing=existing,
                            provider=await providers.find(existing.id))
    form.payments.provider.tenant_kind = await _tenant_kind(request, existing)
    if "appt_more" in request.state.form or "pay_more" in request.state.form:  # more rows: the same form again, nothing saved
        form.errors.clear()
        return await _form_page(request, form, creating=False)
    office = form.office(lang, existing)
    if office is None:
        return await _form_page(request, form, creating=False, status=400)
    await services.offices.save(office)
    await _save_provider(request, office.id, form)
    request.app.state.status.mark(office.id)
    return _done(request, "admin.flash.office_saved")


@staff_page(admin=True)
async def delete_office(request: Request) -> Response:
    services = request.app.state.services
    try:
        office = await services.offices.get(request.path_params["office_id"])
    except UnknownOffice:
        return error_page(request, 404, "error.unknown_office")
    tickets = [*await services.room.waiting(office.id), *await services.room.with_clerks(office.id)]
    waiting = len(tickets)
    if is_reading(request):
        return render(request, "admin/confirm_delete.html",
                      {"kind": "office", "name": office.localized_name(page_language(request)), "waiting": waiting,
                       "action": f"/admin/offices/{office.id}/delete", "back": f"/admin/offices/{office.id}"})
    # Everyone still there is told, and every visit ends, before the office goes.
    for ticket in tickets:
        if await services.room.remove(ticket, REMOVED):
            await request.app.state.visits.end(ticket, REMOVED)
    await services.offices.delete(office.id)
    # Nobody staffs an office that no longer exists.
    for clerk in await services.clerks.all(office.tenant):
        if clerk.staffs(office.id):
            await services.clerks.update(clerk, offices=tuple(o for o in clerk.offices if o != office.id))
    return _done(request, "admin.flash.office_deleted")


routes = [
    Route("/admin/offices/new", new_office, methods=["GET", "POST"]),
    Route("/admin/offices/{office_id}", edit_office, methods=["GET", "POST"]),
    Route("/admin/offices/{office_id}/delete", delete_office, methods=["GET", "POST"]),
]
