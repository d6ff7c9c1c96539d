"""The page a payment platform sends the citizen back to: says how it went, and reads the status at once.

``GET /visit/{visit_id}/payments/return?office=…&lang=…&sig=…`` (the ``redirectUrl`` of every
payment of the visit, signed by this server). Platforms have no webhook: the reconciler would
read the status only after its backoff, so this page reads the open payments of the visit now,
and the visit's pages learn of the result through the cashier's push. It opens in the tab the
pay page was in; the citizen closes it and goes back to the visit.
"""

from __future__ import annotations

import hmac
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from virtual_office.payments import Cashier, PaymentError, State
from virtual_office.server.i18n import language
from virtual_office.server.templating import render_citizen
from virtual_office.server.visit.payments.events import return_signature

log = logging.getLogger(__name__)

OUTCOMES = {
    State.PAID: "paid", State.TRANSFER_REQUESTED: "paid", State.CANCELLED: "cancelled",
    State.FAILED: "failed", State.ABANDONED: "failed", State.UNRESOLVED: "pending",
    State.OPEN: "pending", State.CREATING: "pending",
}


async def payment_return(request: Request) -> Response:
    visit_id = request.path_params["visit_id"]
    office_id = request.query_params.get("office", "")
    lang = language(request.query_params.get("lang"))
    expected = return_signature(request.app.state.settings.secret_key, office_id, visit_id)
    if not hmac.compare_digest(expected, request.query_params.get("sig", "")):
        return render_citizen(request, "visit/payment_return.html", lang, {"outcome": "unknown"}, [], status_code=404)
    cashier: Cashier = request.app.state.cashier
    outcome = "unknown"
    try:
        found = await cashier.store.for_visit(office_id, visit_id)
        for tx in found:
            if tx.state is State.OPEN:
                await cashier.refresh(tx)  # a change is pushed to the visit by the cashier's listener
        if found:
            latest = await cashier.store.get(office_id, found[-1].id)
            outcome = OUTCOMES[latest.state]
    except PaymentError as exc:
        log.warning("payment return for office %s: status not read: %s", office_id, exc.code)
        outcome = "pending"
    status = 404 if outcome == "unknown" else 200
    return render_citizen(request, "visit/payment_return.html", lang, {"outcome": outcome}, [], status_code=status)


routes = [Route("/visit/{visit_id}/payments/return", payment_return, methods=["GET"])]

__all__ = ["routes"]
