"""Cross-site request forgery: a synchronizer token in the session, and same-origin requests only.

Every state-changing request of the staff pages carries the session's token, in the hidden
form field ``csrf_token`` or the ``X-CSRF-Token`` header. Requests a browser marks as coming
from another origin are refused before the token is even looked at.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request

from virtual_office.server.origins import normalize

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"


def token(request: Request) -> str:
    """The session's token, made on first use (a login starts a new session, so a new token)."""
    value = request.session.get(SESSION_KEY)
    if not isinstance(value, str) or len(value) < 32:
        value = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = value
    return value


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another website."""
    origin = request.headers.get("origin")
    if origin is not None:
        own = {normalize(request.app.state.settings.base_url), normalize(str(request.base_url))}
        return normalize(origin) in own - {None}
    # Without Origin (older browsers on same-origin GET-like posts, non-browser clients),
    # Fetch Metadata still tells a cross-site request apart.
    return request.headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")


def verify(request: Request, form: Mapping[str, object] | None = None) -> None:
    """Refuse (403) a state-changing request without this session's token or from elsewhere."""
    if not same_origin(request):
        raise HTTPException(403, "cross-origin request refused")
    expected = request.session.get(SESSION_KEY)
    supplied = request.headers.get(HEADER)
    if supplied is None and form is not None:
        value = form.get(FIELD)
        supplied = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not supplied or not hmac.compare_digest(expected.encode(), supplied.encode()):
        raise HTTPException(403, "missing or wrong CSRF token")
