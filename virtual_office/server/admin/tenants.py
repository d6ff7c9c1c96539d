"""Administration for the provider's operators: the tenants (municipalities) of the deployment.

An operator lists and creates tenants here, then makes each one's first administrator in the
account form (its tenant chosen) and sets its allowed websites and snippet on those pages with
``?tenant=``. A tenant's own administrators do not see the list.

Each tenant is edited at ``/admin/tenants/<id>``: an operator changes every field but the id
(it is in every snippet and key); a tenant's administrator changes the fields citizens see
(:data:`CITIZEN_FIELDS`), the allowed websites and the payment provider of their own tenant only.
The tenant's payment provider is the one its offices without their own pay through; its fields
are the office form's (admin/provider_form.py), stored apart from the tenant (payments/config.py).
Only an empty tenant (no offices, no accounts) can be deleted, by an operator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from virtual_office.queue import DEFAULT, Clerk, InvalidInput, Tenant, UnknownTenant
from virtual_office.server.admin.provider_form import ProviderForm
from virtual_office.server.i18n import translate
from virtual_office.server.security import normalize
from virtual_office.server.sessions import error_page, is_reading, staff_page
from virtual_office.server.templating import page_language, render

FIELDS = ("id", "name", "ags", "logo", "colour", "hotline", "privacy_url", "accessibility_url", "mail_from")
CITIZEN_FIELDS = ("logo", "colour", "hotline", "privacy_url", "accessibility_url", "mail_from")
"""What a tenant's own administrator may change: what citizens see and get; never the id, name or AGS."""


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


def _provider_error(errors: dict[str, str], lang: str) -> Callable[..., None]:
    """Records a refusal of the provider's fields in the office form's words (the fields are the same)."""
    def err(name: str, key: str, **params: object) -> None:
        errors.setdefault(name, translate(lang, f"admin.office.error.{key}", **params))
    return err


def _editable(me: Clerk) -> tuple[str, ...]:
    return ("name", "ags", *CITIZEN_FIELDS) if me.is_operator else CITIZEN_FIELDS


@staff_page(admin=True)
async def edit_tenant(request: Request) -> Response:
    """One tenant's fields, allowed websites and payment provider (another tenant's is refused by ``in_scope`` as unknown)."""
    me: Clerk = request.state.clerk
    services = request.app.state.services
    policy = request.app.state.origins
    providers = request.app.state.cashier.providers
    try:
        tenant = await services.tenants.get(request.path_params["tenant_id"])
    except UnknownTenant:
        return error_page(request, 404, "admin.tenants.error.not_found")
    editable = _editable(me)
    values = {name: str(getattr(tenant, name)) for name in FIELDS}
    origins = "\n".join(sorted(await policy.administered(tenant.id)))
    stored_provider = await providers.find_for_tenant(tenant.id)
    provider = ProviderForm.of(stored_provider)
    errors: dict[str, str] = {}
    if not is_reading(request):
        form = request.state.form
        values.update({name: str(form.get(name, "")).strip()[:300] for name in editable})
        lines = [line.strip() for line in str(form.get("origins", "")).splitlines() if line.strip()]
        origins = "\n".join(lines)
        bad = [line for line in lines if normalize(line) is None]
        if bad:
            errors["origins"] = translate(page_language(request), "admin.tenants.error.origins", origins=", ".join(bad)[:200])
        try:
            changed = dataclasses.replace(tenant, **{name: values[name] for name in editable})
        except InvalidInput as exc:
            field = _field(str(exc))
            errors[field] = translate(page_language(request), f"admin.tenants.error.{field}")
        provider = ProviderForm.parse(form, _provider_error(errors, page_language(request)), provider=stored_provider)
        if not errors:
            # Checked together, saved together: a form with one mistake changes nothing.
            await services.tenants.save(changed)
            await policy.set_administered(lines, tenant.id)
            chosen = provider.config()  # the stored one when the form posts no provider fields
            if chosen is None:
                await providers.delete_for_tenant(tenant.id)
            else:
                await providers.save_for_tenant(tenant.id, chosen)
            request.session["flash"] = "admin.flash.tenant_saved"
            return RedirectResponse(f"/admin/tenants/{tenant.id}", status_code=303)
    return render(request, "admin/tenant_form.html", {
        "tenant": tenant, "values": values, "editable": editable, "errors": errors, "origins": origins, "provider": provider,
        "refused": await policy.refused(tenant=tenant.id), "flash": request.session.pop("flash", None),
        "deletable": me.is_operator and tenant.id != DEFAULT,
    }, status_code=400 if errors else 200)


@staff_page(admin=True)
async def delete_tenant(request: Request) -> Response:
    """An operator deletes a tenant that holds nothing any more: no office, no account."""
    if not request.state.clerk.is_operator:
        return error_page(request, 403, "admin.tenants.operators")
    services = request.app.state.services
    try:
        tenant = await services.tenants.get(request.path_params["tenant_id"])
    except UnknownTenant:
        return error_page(request, 404, "admin.tenants.error.not_found")
    confirm = {"kind": "tenant", "name": tenant.name or tenant.id, "waiting": 0,
               "action": f"/admin/tenants/{tenant.id}/delete", "back": f"/admin/tenants/{tenant.id}"}
    in_use = tenant.id == DEFAULT or bool(await services.offices.of_tenant(tenant.id)) or bool(await services.clerks.all(tenant.id))
    if in_use:
        return render(request, "admin/confirm_delete.html",
                      {**confirm, "error": translate(page_language(request), "admin.tenants.error.not_empty")}, status_code=409)
    if is_reading(request):
        return render(request, "admin/confirm_delete.html", confirm)
    await services.tenants.delete(tenant.id)
    await request.app.state.origins.set_administered([], tenant.id)
    await request.app.state.cashier.providers.delete_for_tenant(tenant.id)  # a new tenant of that id starts without it
    request.session["flash"] = "admin.flash.tenant_deleted"
    return RedirectResponse("/admin/tenants", status_code=303)


routes = [
    Route("/admin/tenants", tenants, methods=["GET", "POST"]),
    Route("/admin/tenants/{tenant_id}", edit_tenant, methods=["GET", "POST"]),
    Route("/admin/tenants/{tenant_id}/delete", delete_tenant, methods=["GET", "POST"]),
]
