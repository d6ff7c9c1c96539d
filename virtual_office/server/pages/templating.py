"""The Jinja2 environment of the server's own pages, the page language and the shared context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from virtual_office.server.i18n import LANGUAGES, preferred, translate
from virtual_office.server.pages import csrf

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

STAFF_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
"""The staff pages run only our own scripts and may not be framed by anyone."""


def page_language(request: Request) -> str:
    """?lang= (remembered in the session), else the remembered choice, else Accept-Language."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        if "session" in request.scope:
            request.session["lang"] = asked
        return asked
    remembered = request.session.get("lang") if "session" in request.scope else None
    if remembered in LANGUAGES:
        return str(remembered)
    return preferred(request.headers.get("accept-language"))


def _context(request: Request) -> dict[str, Any]:
    lang = page_language(request)

    def t(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    return {
        "lang": lang,
        "other_languages": [code for code in LANGUAGES if code != lang],
        "t": t,
        "csrf_token": (lambda: csrf.token(request)) if "session" in request.scope else (lambda: ""),
        "csrf_field": csrf.FIELD,
        "path": request.url.path,
        "clerk": getattr(request.state, "clerk", None),
        "switch_url": lambda code: _with_query(request, lang=code),
    }


def _with_query(request: Request, **params: str) -> str:
    """This page's path and query with ``params`` changed (a relative link, never another host)."""
    url = request.url.include_query_params(**params)
    return f"{url.path}?{url.query}"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every value is text unless a template says otherwise
        trim_blocks=True,
        lstrip_blocks=True,
    )


templates = Jinja2Templates(env=_environment(), context_processors=[_context])


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200, framing: str | None = None
) -> Response:
    """A staff page, with the headers every staff page carries.

    ``framing`` replaces the frame-ancestors rule (the embed preview is framed by our own admin page).
    """
    policy = STAFF_POLICY if framing is None else STAFF_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {framing}")
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    if framing is None:
        headers["X-Frame-Options"] = "DENY"
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code, headers=headers)


def text(request: Request, key: str, **values: object) -> str:
    """One translated string in the page's language."""
    return translate(page_language(request), key, **values)


__all__ = ["page_language", "render", "templates", "text"]
