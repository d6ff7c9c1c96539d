"""Administration: which websites may embed the widget, and the snippet to paste into them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from virtual_office.queue import DEFAULT
from virtual_office.server import tenancy
from virtual_office.server.security import normalize
from virtual_office.server.sessions import is_reading, staff_page
from virtual_office.server.templating import page_language, render, templates


def snippet(base_url: str, office_ids: list[str], *, preview: bool = False, tenant: str = DEFAULT) -> str:
    """What a webmaster pastes into the city's page (``preview``: a widget that opens no waiting room);
    a tenant other than the default one is named by ``data-tenant``."""
    offices = f' data-offices="{",".join(office_ids)}"' if office_ids else ""
    chosen = f' data-tenant="{tenant}"' if tenant != DEFAULT else ""
    return f'<script src="{base_url}/widget.js"{chosen}{offices}{" data-preview" if preview else ""} async></script>'


@staff_page(admin=True)
async def origins(request: Request) -> Response:
    policy = request.app.state.origins
    settings = request.app.state.settings
    tenant = await tenancy.chosen_tenant(request, None if is_reading(request) else request.state.form)
    bad: list[str] = []
    saved = False
    if not is_reading(request):
        lines = [line.strip() for line in str(request.state.form.get("origins", "")).splitlines() if line.strip()]
        # Check everything first: a list with a mistake is not saved at all, and the input stays.
        bad = [line for line in lines if normalize(line) is None]
        if not bad:
            await policy.set_administered(lines, tenant)
            saved = True
        text = "\n".join(lines)
    else:
        text = "\n".join(sorted(await policy.administered(tenant)))
    return render(request, "admin/origins.html",
                  {"text": text, "bad": bad, "saved": saved, "configured": sorted(policy.configured(tenant)), "own": settings.base_url,
                   "refused": await policy.refused(tenant=tenant), "flash": request.session.pop("flash", None),
                   "tenant": tenant},
                  status_code=400 if bad else 200)


@staff_page(admin=True)
async def allow_origin(request: Request) -> Response:
    """One click on a website that tried to embed the widget: it joins the administrator's list."""
    tenant = await tenancy.chosen_tenant(request, request.state.form)
    allowed = await request.app.state.origins.allow(str(request.state.form.get("origin", "")), tenant)
    request.session["flash"] = "admin.flash.origin_allowed" if allowed else "admin.flash.origin_invalid"
    return RedirectResponse("/admin/origins" + (f"?tenant={tenant}" if tenant != DEFAULT else ""), status_code=303)


async def _chosen(request: Request) -> tuple[list, list[str], str]:
    """The tenant's offices, those the snippet names, and the tenant (an operator's ``?tenant=``)."""
    tenant = await tenancy.chosen_tenant(request)
    offices = await request.app.state.services.offices.of_tenant(tenant)
    known = [o.id for o in offices]
    asked = request.query_params.getlist("offices")
    if len(asked) == 1 and "," in asked[0]:
        asked = asked[0].split(",")
    chosen = [o for o in asked if o in known]
    return offices, chosen, tenant


@staff_page(admin=True)
async def embed(request: Request) -> Response:
    offices, chosen, tenant = await _chosen(request)
    base = request.app.state.settings.base_url
    query = "&".join([*([f"offices={','.join(chosen)}"] if chosen else []), *([f"tenant={tenant}"] if tenant != DEFAULT else [])])
    preview = "/admin/embed/preview" + (f"?{query}" if query else "")
    return render(request, "admin/embed.html",
                  {"offices": offices, "chosen": chosen, "snippet": snippet(base, chosen, tenant=tenant), "preview": preview,
                   "tenant": tenant})


@staff_page(admin=True)
async def embed_preview(request: Request) -> Response:
    """The snippet on a page of our own origin (always allowed to embed), framed by the embed page."""
    _, chosen, tenant = await _chosen(request)
    # data-preview: the widget shows the offices live but opens no waiting room, so no one takes a ticket here.
    html = templates.get_template("admin/embed_preview.html").render(
        lang=page_language(request), snippet=snippet("", chosen, preview=True, tenant=tenant), title="Vorschau"
    )
    return HTMLResponse(html, headers={
        "Content-Security-Policy": "frame-ancestors 'self'", "X-Frame-Options": "SAMEORIGIN", "Cache-Control": "no-store",
    })


routes = [
    Route("/admin/origins", origins, methods=["GET", "POST"]),
    Route("/admin/origins/allow", allow_origin, methods=["POST"]),
    Route("/admin/embed", embed, methods=["GET"]),
    Route("/admin/embed/preview", embed_preview, methods=["GET"]),
]
