"""Administration: which websites may embed the widget, and the snippet to paste into them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from virtual_office.server.security import normalize
from virtual_office.server.sessions import is_reading, staff_page
from virtual_office.server.templating import page_language, render, templates


def snippet(base_url: str, office_ids: list[str], *, preview: bool = False) -> str:
    """What a webmaster pastes into the city's page (``preview``: a widget that opens no waiting room)."""
    offices = f' data-offices="{",".join(office_ids)}"' if office_ids else ""
    return f'<script src="{base_url}/widget.js"{offices}{" data-preview" if preview else ""} async></script>'


@staff_page(admin=True)
async def origins(request: Request) -> Response:
    policy = request.app.state.origins
    settings = request.app.state.settings
    bad: list[str] = []
    saved = False
    if not is_reading(request):
        lines = [line.strip() for line in str(request.state.form.get("origins", "")).splitlines() if line.strip()]
        # Check everything first: a list with a mistake is not saved at all, and the input stays.
        bad = [line for line in lines if normalize(line) is None]
        if not bad:
            await policy.set_administered(lines)
            saved = True
        text = "\n".join(lines)
    else:
        text = "\n".join(sorted(await policy.administered()))
    return render(request, "admin/origins.html",
                  {"text": text, "bad": bad, "saved": saved, "configured": settings.allowed_origins, "own": settings.base_url,
                   "refused": await policy.refused(), "flash": request.session.pop("flash", None)},
                  status_code=400 if bad else 200)


@staff_page(admin=True)
async def allow_origin(request: Request) -> Response:
    """One click on a website that tried to embed the widget: it joins the administrator's list."""
    allowed = await request.app.state.origins.allow(str(request.state.form.get("origin", "")))
    request.session["flash"] = "admin.flash.origin_allowed" if allowed else "admin.flash.origin_invalid"
    return RedirectResponse("/admin/origins", status_code=303)


async def _chosen(request: Request) -> tuple[list, list[str]]:
    offices = await request.app.state.services.offices.all()
    known = [o.id for o in offices]
    asked = request.query_params.getlist("offices")
    if len(asked) == 1 and "," in asked[0]:
        asked = asked[0].split(",")
    chosen = [o for o in asked if o in known]
    return offices, chosen


@staff_page(admin=True)
async def embed(request: Request) -> Response:
    offices, chosen = await _chosen(request)
    base = request.app.state.settings.base_url
    preview = "/admin/embed/preview" + (f"?offices={','.join(chosen)}" if chosen else "")
    return render(request, "admin/embed.html",
                  {"offices": offices, "chosen": chosen, "snippet": snippet(base, chosen), "preview": preview})


@staff_page(admin=True)
async def embed_preview(request: Request) -> Response:
    """The snippet on a page of our own origin (always allowed to embed), framed by the embed page."""
    _, chosen = await _chosen(request)
    # data-preview: the widget shows the offices live but opens no waiting room, so no one takes a ticket here.
    html = templates.get_template("admin/embed_preview.html").render(
        lang=page_language(request), snippet=snippet("", chosen, preview=True), title="Vorschau"
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
