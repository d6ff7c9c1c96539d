"""Tenants on the staff side: whose offices and accounts a login may see, checked once for every staff page.

An administrator sees their own tenant's things; an operator of the provider sees every tenant's.
A page that names an office or an account of another tenant answers as if it did not exist
(:func:`in_scope`, applied by :func:`virtual_office.server.sessions.staff_page`), and every list is
read through :func:`offices` and :func:`accounts`.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from virtual_office.queue import DEFAULT, Clerk, Office, Tenant, UnknownOffice


def sees_account(viewer: Clerk, account: Clerk) -> bool:
    """An operator sees every account; an administrator their tenant's, but no operator's."""
    return viewer.is_operator or (viewer.tenant == account.tenant and not account.is_operator)


async def in_scope(request: Request, clerk: Clerk) -> str | None:
    """None if the page's ``office_id`` and ``clerk_id`` (when it names them) are ``clerk``'s to see;
    else the message key of the page that says they do not exist."""
    services = request.app.state.services
    params = request.path_params
    if "office_id" in params:
        try:
            office = await services.offices.get(params["office_id"])
        except UnknownOffice:
            office = None  # the page itself says so
        if office is not None and not clerk.sees(office.tenant):
            return "error.unknown_office"
    if "tenant_id" in params and not clerk.sees(str(params["tenant_id"])):
        return "admin.tenants.error.not_found"
    if "clerk_id" in params:
        account = await services.clerks.get(params["clerk_id"])
        if account is not None and not sees_account(clerk, account):
            return "staff.error.not_found"
    return None


async def staffed_offices(services: Any, clerk: Clerk) -> list[Office]:
    """The offices ``clerk`` staffs that exist and belong to their tenant: what the console shows and
    pushes (queues, appointments), whatever the account's list of offices holds."""
    found = []
    for office_id in clerk.offices:
        try:
            office = await services.offices.get(office_id)
        except UnknownOffice:
            continue  # deleted meanwhile; the administrator fixes the staffing
        if office.tenant == clerk.tenant:  # staffing never crosses municipalities
            found.append(office)
    return found


async def offices(request: Request) -> list[Office]:
    """The offices the logged-in administrator may see."""
    return await request.app.state.services.offices.of_tenant(request.state.clerk.scope)  # type: ignore[no-any-return]


async def accounts(request: Request) -> list[Clerk]:
    """The accounts the logged-in administrator may see."""
    me: Clerk = request.state.clerk
    return [c for c in await request.app.state.services.clerks.all(me.scope) if sees_account(me, c)]


async def tenants(request: Request) -> list[Tenant]:
    """The tenants an operator chooses from in the forms; only their own for anyone else."""
    me: Clerk = request.state.clerk
    directory = request.app.state.services.tenants
    return await directory.all() if me.is_operator else [await directory.get(me.tenant)]  # type: ignore[no-any-return]


async def chosen_tenant(request: Request, form: FormData | None = None, *, default: str | None = None) -> str:
    """The tenant a new office or account belongs to: the administrator's own; an operator's choice
    (the form's or the query's ``tenant``, when it exists), else ``default`` or the default tenant."""
    me: Clerk = request.state.clerk
    if not me.is_operator:
        return me.tenant
    asked = (form.get("tenant") if form is not None else None) or request.query_params.get("tenant")
    if isinstance(asked, str) and await request.app.state.services.tenants.exists(asked):
        return asked
    return default or DEFAULT


async def deployment_wide(request: Request) -> bool:
    """True for a login that may see what belongs to the whole deployment (the outbox): an operator,
    or the administrator of a single city (no tenant but the default exists)."""
    me: Clerk = request.state.clerk
    if me.is_operator:
        return True
    return me.tenant == DEFAULT and [t.id for t in await request.app.state.services.tenants.all()] == [DEFAULT]
