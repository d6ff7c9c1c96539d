"""Re-authentication for sensitive actions (OWASP ASVS V3.7.1): the current password, asked again.

One rule everywhere, not "a recent login": a browser left logged in at a counter is the case to
guard against, and a recent login says nothing about who sits there now. Asked for before a
staff member changes their own password, ends sessions ("log out everywhere", one of their own
sessions), enrols or resets a second factor, and before an administrator account is created,
made, unmade or deleted. Wrong passwords here count against the login lock-out like wrong
logins (server/lockout.py), so a session left open is no way to guess the password.
"""

from __future__ import annotations

from starlette.requests import Request

from virtual_office.queue import Clerk, NotAuthorized
from virtual_office.server.limits import client_address

CURRENT_PASSWORD = "current_password"
"""The form field that carries it."""


async def confirm_password(request: Request, clerk: Clerk) -> bool:
    """True if the checked form (``request.state.form``) carries ``clerk``'s current password; raises
    Throttled while the lock-out pauses this browser."""
    value = request.state.form.get(CURRENT_PASSWORD)
    if not isinstance(value, str) or not value or len(value) > 1000:
        return False
    throttle = request.app.state.login_throttle
    attempt = await throttle.attempt(request, clerk.login, client_address(request))
    await throttle.check(attempt)
    try:
        confirmed = await request.app.state.services.clerks.authenticate(clerk.login, value)
    except NotAuthorized:
        await throttle.failed(attempt)
        return False
    await throttle.succeeded(attempt)
    return confirmed.id == clerk.id


__all__ = ["CURRENT_PASSWORD", "confirm_password"]
