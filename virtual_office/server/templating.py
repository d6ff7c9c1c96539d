"""Jinja2 for every page of ours: one environment over the features' template folders.

A feature's templates are named after it (``console/console.html`` is
``server/console/templates/console.html``); ``base.html`` and what the staff pages
share live in ``server/templates``. Staff pages go through :func:`render`, citizen
pages through :func:`render_citizen`: each sends the security headers of its kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates

from virtual_office.queue import Office, QueueError, Tenant
from virtual_office.server.i18n import LANGUAGES, preferred, translate
from virtual_office.server.security import CSRF_FIELD, citizen_headers, csrf_token, staff_headers

SERVER = Path(__file__).resolve().parent
FEATURES = ("waiting_room", "booking", "console", "visit", "admin", "account")
"""The feature packages that bring templates (``<feature>/templates``) and static files (``<feature>/static``)."""


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


def _switch_url(request: Request, code: str) -> str:
    """This page's path and query in language ``code`` (a relative link, never another host)."""
    url = request.url.include_query_params(lang=code)
    return f"{url.path}?{url.query}"


def _language_context(request: Request, lang: str) -> dict[str, Any]:
    def t(key: str, **values: object) -> str:
        return translate(lang, key, **values)

    return {
        "lang": lang,
        "t": t,
        "other_languages": [code for code in LANGUAGES if code != lang],
        "switch_url": lambda code: _switch_url(request, code),
    }


def _staff_context(request: Request) -> dict[str, Any]:
    has_session = "session" in request.scope
    return {
        **_language_context(request, page_language(request)),
        "csrf_token": (lambda: csrf_token(request)) if has_session else (lambda: ""),
        "csrf_field": CSRF_FIELD,
        "path": request.url.path,
        "clerk": getattr(request.state, "clerk", None),
        "session_idle_seconds": _idle_seconds(request),
    }


def _idle_seconds(request: Request) -> int:
    settings = getattr(request.app.state, "settings", None)
    return int(settings.session_idle_minutes * 60) if settings else 1800


def _environment() -> jinja2.Environment:
    features = {name: jinja2.FileSystemLoader(str(SERVER / name / "templates")) for name in FEATURES}
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(SERVER / "templates")), jinja2.PrefixLoader(features)]),
        autoescape=True,  # every value is text unless a template says otherwise
        trim_blocks=True,
        lstrip_blocks=True,
    )


templates = Jinja2Templates(env=_environment(), context_processors=[_staff_context])


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200, framing: str | None = None
) -> Response:
    """A staff page, with the headers every staff page carries.

    ``framing`` replaces the frame-ancestors rule (the embed preview is framed by our own admin page).
    """
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code, headers=staff_headers(framing))


def render_citizen(
    request: Request, name: str, lang: str, context: dict[str, Any], ancestors: list[str], *, status_code: int = 200,
    tenant: Tenant | None = None,
) -> Response:
    """A citizen page in ``lang``, framable by ``ancestors``, in the look of the office's ``tenant``
    (its logo, colour and statements; see :func:`citizen_tenant`). It sets no cookie."""
    html = templates.env.get_template(name).render(**_language_context(request, lang), **context, tenant=tenant)
    logo = urlsplit(tenant.logo) if tenant is not None and tenant.logo else None
    images = [f"{logo.scheme}://{logo.netloc}"] if logo is not None and logo.netloc else []
    return HTMLResponse(html, status_code=status_code, headers=citizen_headers(ancestors, images))


async def citizen_tenant(request: Request, office: Office | None) -> Tenant | None:
    """The tenant whose look a citizen page of ``office`` takes; None for the deployment's own look
    (no office, or the tenant cannot be read: the page is shown all the same)."""
    if office is None:
        return None
    try:
        return await request.app.state.services.tenants.get(office.tenant)  # type: ignore[no-any-return]
    except (QueueError, RedisError):
        return None


def text(request: Request, key: str, **values: object) -> str:
    """One translated string in the page's language."""
    return translate(page_language(request), key, **values)


__all__ = ["FEATURES", "citizen_tenant", "page_language", "render", "render_citizen", "templates", "text"]
