"""The second factor (OWASP ASVS V4.3.1 for administrators): enrolling an authenticator app.

The page shows the secret as a QR code (inline SVG, segno) and as text; a code from the app and
the current password confirm it; the 10 recovery codes are then shown once. With
VO_ADMIN_MFA=required an administrator without one is led here right after logging in, and
this is the only page such a session may use; clerks may enrol of their own accord.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.queue import Clerk
from virtual_office.queue.second_factor import WrongCode
from virtual_office.queue.totp import provisioning_uri
from virtual_office.server.reauth import confirm_password
from virtual_office.server.sessions import ENROL_PAGE, staff_page, start_session
from virtual_office.server.templating import render, text

log = logging.getLogger(__name__)


def _grouped(secret: str) -> str:
    """The secret in groups of four, as one types it into an app."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


async def _page(request: Request, clerk: Clerk, *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    factors = request.app.state.services.second_factors
    secret = await factors.offer(clerk.id)
    issuer = urlsplit(request.app.state.settings.base_url).hostname or "virtual-office"
    uri = provisioning_uri(secret, clerk.login, issuer)
    qr = segno.make(uri, error="m").svg_inline(scale=4, border=4, title=text(request, "account.second_factor.qr"))
    return render(request, "account/second_factor.html", {
        "enrolled": await factors.enrolled(clerk.id),
        "left": await factors.recovery_codes_left(clerk.id),
        "required": bool(request.session.get("enrol")),
        "qr": qr,
        "secret": _grouped(secret),
        "errors": errors or {},
    }, status_code=status)


@staff_page(enrolling=True)
async def second_factor_page(request: Request) -> Response:
    return await _page(request, request.state.clerk)


@staff_page(enrolling=True)
async def enrol(request: Request) -> Response:
    clerk = request.state.clerk
    errors = {}
    if not await confirm_password(request, clerk):
        errors["current_password"] = text(request, "account.error.password")
    code = request.state.form.get("code")
    if errors or not isinstance(code, str):
        errors.setdefault("code", text(request, "error.wrong_code"))
        return await _page(request, clerk, errors=errors, status=400)
    try:
        codes = await request.app.state.services.second_factors.confirm(clerk.id, code)
    except WrongCode:
        return await _page(request, clerk, errors={"code": text(request, "error.wrong_code")}, status=400)
    log.info("second factor enrolled by account %s", clerk.id)
    if request.session.get("enrol"):
        # The session that could only enrol is over; a full one takes its place.
        clerks = request.app.state.services.clerks
        await clerks.end_session(request.session.get("sid"))
        await start_session(request, clerks, clerk)
    home = "/admin" if clerk.is_admin and not clerk.offices else "/console"
    return render(request, "account/recovery_codes.html", {"codes": codes, "home": home})


routes = [
    Route(ENROL_PAGE, second_factor_page, methods=["GET"]),
    Route(ENROL_PAGE, enrol, methods=["POST"]),
]
