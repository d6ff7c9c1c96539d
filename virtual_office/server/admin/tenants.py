"""Administration for the provider's operators: the tenants (municipalities) of the deployment.

An operator lists and creates tenants here, then makes each one's first administrator in the
account form (its tenant chosen) and sets its allowed websites and snippet on those pages with
``?tenant=``. A tenant's own administrators do not see this page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from virtual_office.queue import InvalidInput, Tenant
from virtual_office.server.i18n import translate
from virtual_office.server.sessions import error_page, is_reading, staff_page
from virtual_office.server.templating import page_language, render

FIELDS = ("id", "name", "ags", "logo", "colour", "hotline", "privacy_url", "accessibility_url", "mail_from")


@staff_page(admin=True)
async def tenants(request: Request) -> Response:
    if not request.state.clerk.is_operator:
        return error_page(request, 403, "admin.tenants.operators")
    directory = request.app.state.services.tenants
    values = {name: "" for name in FIELDS}
    errors: dict[str, str] = {}
    if not is_reading(request):
        form = request.state.form
        values = {name: str(form.get(name, "")).strip()[:300] for name in FIELDS}
        try:
            tenant = Tenant(**values)
            if await directory.exists(tenant.id):
                errors["id"] = translate(page_language(request), "admin.tenants.error.id_taken")
        except InvalidInput as exc:
            field = _field(str(exc))
            errors[field] = translate(page_language(request), f"admin.tenants.error.{field}")
        if not errors:
            await directory.save(tenant)
            request.session["flash"] = "admin.flash.tenant_created"
            return RedirectResponse(f"/admin/tenants#tenant-{tenant.id}", status_code=303)
    return render(request, "admin/tenants.html", {
        "tenants": await directory.all(), "values": values, "errors": errors, "flash": request.session.pop("flash", None),
    }, status_code=400 if errors else 200)


def _field(message: str) -> str:
    """The form field a refusal of the model (queue/tenants.py) is about."""
    for name in ("ags", "colour", "logo", "privacy_url", "accessibility_url", "mail_from"):
        if message.startswith(f"{name}:"):
            return name
    if message.startswith("tenant id"):
        return "id"
    return "hotline" if "hotline" in message else "name"


routes = [Route("/admin/tenants", tenants, methods=["GET", "POST"])]
