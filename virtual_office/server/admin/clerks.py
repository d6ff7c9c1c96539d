"""Administration: clerk and administrator accounts, and which offices each one staffs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from virtual_office.queue import ADMIN, CLERK, OPERATOR, Clerk, ClerkDirectory, Office, WeakPassword
from virtual_office.queue.clerks import LOGIN
from virtual_office.queue.passwords import MIN_LENGTH, deployment_context
from virtual_office.server import tenancy
from virtual_office.server.i18n import translate
from virtual_office.server.reauth import confirm_password
from virtual_office.server.sessions import error_page, is_reading, staff_page, start_session
from virtual_office.server.templating import page_language, render


@dataclass
class ClerkForm:
    values: dict[str, str] = field(default_factory=lambda: {"login": "", "name": "", "role": CLERK})
    offices: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, clerk: Clerk) -> ClerkForm:
        return cls(values={"login": clerk.login, "name": clerk.name, "role": clerk.role}, offices=list(clerk.offices))

    @classmethod
    def parse(cls, form: FormData, lang: str, *, editing: Clerk | None, known_offices: list[str], taken: set[str],
              me: Clerk) -> ClerkForm:
        self = cls()

        def err(name: str, key: str, **values: object) -> None:
            self.errors.setdefault(name, translate(lang, f"admin.clerk.error.{key}", **values))

        def text(name: str) -> str:
            value = form.get(name, "")
            return value.strip()[:200] if isinstance(value, str) else ""

        self.values = {"login": editing.login if editing else text("login").lower(), "name": text("name"), "role": text("role")}
        self.offices = [str(o) for o in form.getlist("offices") if str(o) in known_offices]
        password = form.get("password", "")
        self.values["password"] = password if isinstance(password, str) else ""
        if editing is None:
            if not LOGIN.match(self.values["login"]):
                err("login", "login")
            elif self.values["login"] in taken:
                err("login", "login_taken")
        if not self.values["name"]:
            err("name", "name")
        # Only an operator makes an operator (of the provider, for every tenant).
        if self.values["role"] not in ((CLERK, ADMIN, OPERATOR) if me.is_operator else (CLERK, ADMIN)):
            err("role", "role")
        elif editing is not None and editing.id == me.id and self.values["role"] != me.role:
            err("role", "own_role")
        if editing is None and not self.values["password"]:
            err("password", "password", n=MIN_LENGTH)
        return self

    async def check_password(self, request: Request, clerks: ClerkDirectory, offices: list[Office], lang: str) -> None:
        """The password rule, with every reason a new password is refused for (none when it is kept)."""
        password = self.values["password"]
        if not password:
            return
        try:
            await clerks.check_password(password, [self.values["login"], self.values["name"], *password_context(request, offices)])
        except WeakPassword as refused:
            self.errors["password"] = " ".join(
                translate(lang, "admin.clerk.error.password" if r == "too_short" else f"admin.clerk.error.password_{r}",
                          n=MIN_LENGTH) for r in refused.reasons)


log = logging.getLogger(__name__)


async def reauthenticated(request: Request, form: ClerkForm, *, editing: Clerk | None) -> None:
    """Ask for the administrator's current password (server/reauth.py) before they create, make or
    unmake an administrator, or set their own new password."""
    me = request.state.clerk
    own_password = editing is not None and editing.id == me.id and bool(form.values.get("password"))
    admin_change = (editing is None and form.values["role"] != CLERK) or (
        editing is not None and editing.role != form.values["role"])
    if (own_password or admin_change) and not await confirm_password(request, me):
        form.errors["current_password"] = translate(page_language(request), "account.error.password")


def password_context(request: Request, offices: list[Office]) -> list[str]:
    """What no account's password may rest on here: the office names, this server's host."""
    return deployment_context(offices, urlsplit(request.app.state.settings.base_url).hostname)


async def _form_page(request: Request, form: ClerkForm, offices: list, *, editing: Clerk | None, status: int = 200,
                     errors: dict[str, str] | None = None) -> Response:
    form.values.pop("password", None)  # a password is never sent back
    second_factor = await request.app.state.services.second_factors.enrolled(editing.id) if editing else False
    me = request.state.clerk
    return render(request, "admin/clerk_form.html",
                  {"form": form, "offices": offices, "editing": editing, "min_password": MIN_LENGTH,
                   "tenants": await tenancy.tenants(request) if editing is None and me.is_operator else [],
                   "chosen_tenant": await tenancy.chosen_tenant(request, None if is_reading(request) else request.state.form),
                   "roles": (CLERK, ADMIN, OPERATOR) if me.is_operator else (CLERK, ADMIN),
                   "second_factor": second_factor, "action_errors": errors or {}},
                  status_code=status)


def _done(request: Request, key: str) -> Response:
    request.session["flash"] = key
    return RedirectResponse("/admin#clerks", status_code=303)


@staff_page(admin=True)
async def new_clerk(request: Request) -> Response:
    services = request.app.state.services
    if is_reading(request):
        return await _form_page(request, ClerkForm(), await tenancy.offices(request), editing=None)
    # The new account's tenant: the administrator's own, or the one an operator chose; it staffs only its offices.
    tenant = await tenancy.chosen_tenant(request, request.state.form)
    offices = await services.offices.of_tenant(tenant)
    taken = {c.login for c in await services.clerks.all()}  # logins are one namespace for the whole deployment
    form = ClerkForm.parse(request.state.form, page_language(request), editing=None,
                           known_offices=[o.id for o in offices], taken=taken, me=request.state.clerk)
    await form.check_password(request, services.clerks, offices, page_language(request))
    if not form.errors:
        await reauthenticated(request, form, editing=None)
    if form.errors:
        return await _form_page(request, form, offices, editing=None, status=400)
    await services.clerks.add(form.values["login"], form.values["name"], form.values["password"],
                              role=form.values["role"], offices=tuple(form.offices),
                              context=password_context(request, offices), tenant=tenant)
    return _done(request, "admin.flash.clerk_created")


@staff_page(admin=True)
async def edit_clerk(request: Request) -> Response:
    services = request.app.state.services
    clerk = await services.clerks.get(request.path_params["clerk_id"])
    if clerk is None:
        return error_page(request, 404, "staff.error.not_found")
    offices = await services.offices.of_tenant(clerk.tenant)
    if is_reading(request):
        return await _form_page(request, ClerkForm.of(clerk), offices, editing=clerk)
    form = ClerkForm.parse(request.state.form, page_language(request), editing=clerk,
                           known_offices=[o.id for o in offices], taken=set(), me=request.state.clerk)
    await form.check_password(request, services.clerks, offices, page_language(request))
    if not form.errors:
        await reauthenticated(request, form, editing=clerk)
    if form.errors:
        return await _form_page(request, form, offices, editing=clerk, status=400)
    # Staffing of offices that no longer exist is dropped; the rest is what the form says.
    updated = await services.clerks.update(clerk, name=form.values["name"], role=form.values["role"], offices=tuple(form.offices),
                                           password=form.values["password"] or None, context=password_context(request, offices))
    if updated.id == request.state.clerk.id and form.values["password"]:
        await start_session(request, services.clerks, updated)  # a new own password ends the other sessions, not this one
    return _done(request, "admin.flash.clerk_saved")


@staff_page(admin=True)
async def delete_clerk(request: Request) -> Response:
    services = request.app.state.services
    clerk = await services.clerks.get(request.path_params["clerk_id"])
    if clerk is None:
        return error_page(request, 404, "staff.error.not_found")
    if clerk.id == request.state.clerk.id:
        return error_page(request, 400, "admin.clerk.error.delete_self")
    confirm = {"kind": "clerk", "name": clerk.name, "waiting": 0, "reauth": clerk.is_admin,
               "action": f"/admin/clerks/{clerk.id}/delete", "back": f"/admin/clerks/{clerk.id}"}
    if is_reading(request):
        return render(request, "admin/confirm_delete.html", confirm)
    if clerk.is_admin and not await confirm_password(request, request.state.clerk):
        return render(request, "admin/confirm_delete.html", {**confirm, "error": translate(page_language(request), "account.error.password")},
                      status_code=400)
    await services.clerks.delete(clerk)
    await request.app.state.login_throttle.forget_devices(clerk.login)  # a new account of the same login starts untrusted
    for office_id in clerk.offices:
        await services.presence.set(office_id, clerk.id, "offline")
        request.app.state.status.mark(office_id)
    return _done(request, "admin.flash.clerk_deleted")


@staff_page(admin=True)
async def log_out_everywhere(request: Request) -> Response:
    """End every login session of the account (a lost laptop, a shared PC left logged in), and make its
    device cookies worthless: such a browser counts as untrusted at the next login (docs/security.md)."""
    services = request.app.state.services
    clerk = await services.clerks.get(request.path_params["clerk_id"])
    if clerk is None:
        return error_page(request, 404, "staff.error.not_found")
    if not await confirm_password(request, request.state.clerk):
        return await _refused_action(request, clerk)
    await services.clerks.end_sessions(clerk.id)
    await request.app.state.login_throttle.forget_devices(clerk.login)
    if clerk.id == request.state.clerk.id:  # the administrator's own: this session too
        request.session.clear()
        return RedirectResponse("/login?logged_out=1", status_code=303)
    return _done(request, "admin.flash.clerk_logged_out")


@staff_page(admin=True)
async def reset_second_factor(request: Request) -> Response:
    """Remove an account's second factor (a lost phone): it logs in with its password alone and, if
    it must have one, is led to enrol again. Logged with the two account ids only."""
    services = request.app.state.services
    clerk = await services.clerks.get(request.path_params["clerk_id"])
    if clerk is None:
        return error_page(request, 404, "staff.error.not_found")
    if not await confirm_password(request, request.state.clerk):
        return await _refused_action(request, clerk)
    if await services.second_factors.reset(clerk.id):
        log.info("second factor of account %s reset by account %s", clerk.id, request.state.clerk.id)
    return _done(request, "admin.flash.second_factor_reset")


async def _refused_action(request: Request, clerk: Clerk) -> Response:
    """The account's page again, saying the current password was wrong."""
    offices = await request.app.state.services.offices.of_tenant(clerk.tenant)
    return await _form_page(request, ClerkForm.of(clerk), offices, editing=clerk, status=400,
                            errors={"action": translate(page_language(request), "account.error.password")})


routes = [
    Route("/admin/clerks/new", new_clerk, methods=["GET", "POST"]),
    Route("/admin/clerks/{clerk_id}", edit_clerk, methods=["GET", "POST"]),
    Route("/admin/clerks/{clerk_id}/delete", delete_clerk, methods=["GET", "POST"]),
    Route("/admin/clerks/{clerk_id}/logout", log_out_everywhere, methods=["POST"]),
    Route("/admin/clerks/{clerk_id}/second-factor/reset", reset_second_factor, methods=["POST"]),
]
