"""Administration: the outbox (what is queued, retrying, given up, and the oldest one stuck),
and in the demo the mails kept in the data directory, each readable as text.

Operators (and the administrator of a single city) see the whole outbox; once a deployment has
other tenants, a tenant's administrator sees the counts of their own tenant's mail only, and not
the demo's kept mails (files that name no tenant).

A kept mail's HTML part is shown as its source text, never rendered: it is the citizen's
mail, not a page of the administration.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.mail import Mailer
from virtual_office.server import tenancy
from virtual_office.server.sessions import error_page, staff_page
from virtual_office.server.templating import render


@staff_page(admin=True)
async def mail_page(request: Request) -> Response:
    mailer: Mailer = request.app.state.mail
    whole = await tenancy.deployment_wide(request)
    directory = mailer.directory if whole else None
    return render(request, "admin/mail.html", {
        "configured": mailer.configured,
        "status": await mailer.outbox.status(None if whole else request.state.clerk.tenant),
        "kept": directory.list() if directory is not None else None,
        "own_tenant": not whole,
    })


def _part(message: EmailMessage, kind: str) -> str | None:
    part = message.get_body((kind,))
    return part.get_content() if isinstance(part, EmailMessage) else None


@staff_page(admin=True)
async def kept_mail(request: Request) -> Response:
    if not await tenancy.deployment_wide(request):
        return error_page(request, 403, "admin.mail.error.operators")
    directory = request.app.state.mail.directory
    if directory is None:
        return error_page(request, 404, "admin.mail.error.not_found")
    try:
        raw = directory.read(request.path_params["name"])
    except (FileNotFoundError, IsADirectoryError):
        return error_page(request, 404, "admin.mail.error.not_found")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage), "the default policy makes EmailMessage"
    attachments = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    return render(request, "admin/mail_message.html", {
        "headers": [(name, str(message.get(name, ""))) for name in ("Date", "From", "To", "Subject")],
        "text": _part(message, "plain"), "html": _part(message, "html"), "attachments": attachments,
    })


routes = [
    Route("/admin/mail", mail_page, methods=["GET"]),
    Route("/admin/mail/{name}", kept_mail, methods=["GET"]),
]

__all__ = ["routes"]
