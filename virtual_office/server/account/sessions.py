"""My sessions (OWASP ASVS V3.3.4): the account's active login sessions, and ending them.

Each is listed with when it started, when it was last active and a coarse device ("Firefox on
Windows", server/devices.py); the browser asking is marked. Ending one, or every other one,
needs the current password (server/reauth.py).
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from virtual_office.queue.clerks import LoginSession
from virtual_office.server import devices
from virtual_office.server.reauth import confirm_password
from virtual_office.server.sessions import forget_session, staff_page
from virtual_office.server.templating import render, text

PAGE = "/account/sessions"


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).astimezone().strftime("%d.%m.%Y %H:%M")


def _row(request: Request, session: LoginSession, mine: str | None) -> dict[str, object]:
    browser, system = devices.parts(session.device)
    if browser and system:
        device = text(request, "account.sessions.device", browser=browser, system=system)
    else:
        device = browser or system or text(request, "account.sessions.device_unknown")
    return {"digest": session.digest, "started": _when(session.started), "seen": _when(session.seen), "device": device,
            "this": session.digest == mine}


async def _page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    clerks = request.app.state.services.clerks
    clerk = request.state.clerk
    mine = clerks.session_digest(request.session.get("sid"))
    rows = [_row(request, s, mine) for s in await clerks.sessions(clerk.id)]
    rows.sort(key=lambda r: not r["this"])  # this device first
    flash = request.session.pop("flash", None)
    return render(request, "account/sessions.html",
                  {"sessions": rows, "error": error, "flash": text(request, flash) if isinstance(flash, str) else None},
                  status_code=status)


@staff_page()
async def sessions_page(request: Request) -> Response:
    return await _page(request)


@staff_page()
async def end_others(request: Request) -> Response:
    if not await confirm_password(request, request.state.clerk):
        return await _page(request, error=text(request, "account.error.password"), status=400)
    clerks = request.app.state.services.clerks
    await clerks.end_sessions(request.state.clerk.id, keep=request.session.get("sid"))
    request.session["flash"] = "account.sessions.flash.others_ended"
    return RedirectResponse(PAGE, status_code=303)


@staff_page()
async def end_one(request: Request) -> Response:
    if not await confirm_password(request, request.state.clerk):
        return await _page(request, error=text(request, "account.error.password"), status=400)
    clerks = request.app.state.services.clerks
    digest = request.path_params["digest"]
    if not await clerks.end_listed(digest, clerk_id=request.state.clerk.id):
        return await _page(request, error=text(request, "account.sessions.error.gone"), status=404)
    if digest == clerks.session_digest(request.session.get("sid")):  # this browser's own
        forget_session(request)
        return RedirectResponse("/login?logged_out=1", status_code=303)
    request.session["flash"] = "account.sessions.flash.ended"
    return RedirectResponse(PAGE, status_code=303)


routes = [
    Route(PAGE, sessions_page, methods=["GET"]),
    Route(PAGE + "/end-others", end_others, methods=["POST"]),
    Route(PAGE + "/{digest:str}/end", end_one, methods=["POST"]),
]
