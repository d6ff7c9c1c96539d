"""A local XBezahldienste platform: the suite's counterpart, and the demo's way to show paying.

Written from FITKO's published v1 contract, not from our client (it imports nothing of
it): an OAuth2 token endpoint that checks client credentials (RFC 6749 §2.3.1: HTTP
Basic or the form body); ``POST /paymenttransaction/{originatorId}/{endPointId}`` that
checks the bearer token, the schema, that the sums add up and the purpose's length, and
refuses with the spec's problem codes; ``GET …/{transactionId}``; and a pay page with
"Bezahlen" and "Abbrechen" that sends the citizen back to ``redirectUrl``. No money moves.

A test steers it through attributes: ``delay`` (seconds before answering),
``hold_after_create`` (store, then wait before answering: the caller may be gone),
``names_existing`` (whether a PAYMENT_EXISTS problem names the transaction), ``required_booking_data``.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

ID = re.compile(r"[\w-]{1,36}", re.ASCII)
PURPOSE = re.compile(r"[\w\s-]{1,27}", re.ASCII)
DESCRIPTION = re.compile(r"[\w\s\-,.\u00C0-\u017F]{0,250}", re.ASCII)
CENT = Decimal("0.01")


@dataclass
class Client:
    secret: str
    originators: set[tuple[str, str]]
    """(originatorId, endPointId) pairs this client may create payments for."""


@dataclass
class Payment:
    id: str
    originator: str
    endpoint: str
    request: dict[str, Any]
    status: str = "INITIAL"
    created: float = field(default_factory=time.time)


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra

    def response(self) -> JSONResponse:
        body = {"type": "about:blank", "status": self.status, "title": _TITLES.get(self.status, "Error"),
                "detail": self.detail, "functionalCode": self.code, **self.extra}
        return JSONResponse(body, status_code=self.status, media_type="application/problem+json")


_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Entity"}


class SandboxPlatform:
    """The platform's state and its Starlette app (``app``); ``base_url`` is set by whoever serves it."""

    def __init__(self, *, token_lifetime: int = 300) -> None:
        self.clients: dict[str, Client] = {}
        self.payments: dict[str, Payment] = {}
        self.by_request: dict[tuple[str, str, str], str] = {}
        self.tokens: dict[str, tuple[str, float]] = {}
        self.token_lifetime = token_lifetime
        self.base_url = ""
        self.delay = 0.0
        self.hold_after_create = 0.0
        self.names_existing = True
        self.required_booking_data: set[str] = set()
        self.token_requests = 0
        self.create_requests = 0
        self.app = Starlette(routes=[
            Route("/oauth/token", self.token, methods=["POST"]),
            Route("/paymenttransaction/{originator}/{endpoint}", self.create, methods=["POST"]),
            Route("/paymenttransaction/{originator}/{endpoint}/{transaction}", self.read, methods=["GET"]),
            Route("/pay/{transaction}", self.pay_page, methods=["GET", "POST"]),
        ])

    def add_client(self, client_id: str, secret: str, originator: str, endpoint: str) -> None:
        client = self.clients.setdefault(client_id, Client(secret, set()))
        client.secret = secret
        client.originators.add((originator, endpoint))

    def revoke_tokens(self) -> None:
        """Every token issued so far is refused from now on (as after a platform restart)."""
        self.tokens.clear()

    # -- OAuth2 client credentials ---------------------------------------------------

    async def token(self, request: Request) -> Response:
        self.token_requests += 1
        await self._wait()
        form = await request.form()
        client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                client_id = secret = ""
        client = self.clients.get(client_id)
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if client is None or not secrets.compare_digest(client.secret, secret):
            return JSONResponse({"error": "invalid_client"}, status_code=401, headers={"WWW-Authenticate": "Basic"})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (client_id, time.time() + self.token_lifetime)
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime},
                            headers={"Cache-Control": "no-store"})

    def _client(self, request: Request) -> str:
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        found = self.tokens.get(token)
        if found is None or found[1] < time.time():
            raise Problem(401, "FORBIDDEN", "Kein gueltiges Zugriffstoken")
        return found[0]

    # -- payment transactions --------------------------------------------------------

    async def create(self, request: Request) -> Response:
        self.create_requests += 1
        await self._wait()
        try:
            client_id = self._client(request)
            originator, endpoint = request.path_params["originator"], request.path_params["endpoint"]
            if (originator, endpoint) not in self.clients[client_id].originators:
                raise Problem(404, "NO_VALID_ORIGINATOR_OR_ENDPOINT", "Mandant nicht ermittelbar")
            try:
                body = json.loads(await request.body(), parse_float=Decimal)
            except ValueError as exc:
                raise Problem(400, "VALIDATION_ERROR", "Kein JSON") from exc
            _validate(body, self.required_booking_data)
            key = (originator, endpoint, body["requestId"])
            if key in self.by_request:
                extra = {"transactionId": self.by_request[key]} if self.names_existing else {}
                raise Problem(409, "PAYMENT_EXISTS", "Zu dieser requestId gibt es bereits eine Transaktion", **extra)
        except Problem as problem:
            return problem.response()
        payment = Payment(secrets.token_hex(12), originator, endpoint, body)
        self.payments[payment.id] = payment
        self.by_request[key] = payment.id
        await self._hold("hold_after_create")
        return self._transaction(payment, status_code=201)

    async def read(self, request: Request) -> Response:
        await self._wait()
        try:
            client_id = self._client(request)
            payment = self.payments.get(request.path_params["transaction"])
            pair = (request.path_params["originator"], request.path_params["endpoint"])
            if pair not in self.clients[client_id].originators:
                raise Problem(404, "NO_VALID_ORIGINATOR_OR_ENDPOINT", "Mandant nicht ermittelbar")
            if payment is None or (payment.originator, payment.endpoint) != pair:
                raise Problem(404, "UNSPECIFIED", "Transaktion unbekannt")
        except Problem as problem:
            return problem.response()
        return self._transaction(payment)

    def _transaction(self, payment: Payment, status_code: int = 200) -> Response:
        base = self.base_url.rstrip("/")
        info = {
            "transactionUrl": f"{base}/paymenttransaction/{payment.originator}/{payment.endpoint}/{payment.id}",
            "transactionRedirectUrl": f"{base}/pay/{payment.id}",
            "transactionId": payment.id,
            "transactionTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(payment.created)),
            "status": payment.status,
        }
        if payment.status == "PAYED":
            info["paymentMethod"] = "CREDITCARD"
        text = json.dumps({"paymentInformation": info, "paymentRequest": payment.request}, default=str)
        return Response(text, status_code=status_code, media_type="application/json")

    # -- the pay page ----------------------------------------------------------------

    async def pay_page(self, request: Request) -> Response:
        payment = self.payments.get(request.path_params["transaction"])
        if payment is None:
            return HTMLResponse("<!doctype html><title>Unbekannt</title><p>Diese Zahlung gibt es nicht.</p>", status_code=404)
        if request.method == "POST":
            action = (await request.form()).get("action")
            if payment.status == "INITIAL" and action in ("pay", "cancel"):
                payment.status = "PAYED" if action == "pay" else "CANCELED"
            return RedirectResponse(payment.request["redirectUrl"], status_code=303)
        r = payment.request
        rows = "".join(f"<tr><td>{html.escape(str(i.get('description', '')))}</td><td>{i['quantity']}</td>"
                       f"<td>{_euro(i['totalNetAmount'] + i['totalTaxAmount'])}</td></tr>" for i in r["items"])
        done = "" if payment.status == "INITIAL" else f"<p role='status'>Status: {payment.status}</p>"
        buttons = ("<form method='post'><button name='action' value='pay'>Bezahlen</button> "
                   "<button name='action' value='cancel'>Abbrechen</button></form>") if payment.status == "INITIAL" else ""
        return HTMLResponse(
            "<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Bezahlen – Testplattform</title></head><body>"
            "<main><p><strong>Testplattform – hier wird kein Geld bewegt.</strong></p>"
            f"<h1>Bezahlen</h1><p>{html.escape(str(r.get('description') or r['purpose']))}</p>"
            f"<table><caption>Positionen</caption><tr><th>Position</th><th>Anzahl</th><th>Betrag</th></tr>{rows}</table>"
            f"<p>Gesamt: <strong>{_euro(r['grosAmount'])}</strong></p>{done}{buttons}</main></body></html>"
        )

    async def _wait(self) -> None:
        await self._hold("delay")

    async def _hold(self, setting: str) -> None:
        """Wait as long as the setting says; setting it to 0 lets every waiting request go on."""
        start = time.monotonic()
        while time.monotonic() - start < getattr(self, setting):
            await asyncio.sleep(0.02)


def _euro(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",") + " €"


def _validate(body: Any, required_booking_data: set[str]) -> None:
    """The PaymentRequest schema and its arithmetic; raises the matching Problem."""

    def fail(detail: str) -> Problem:
        return Problem(400, "VALIDATION_ERROR", detail)

    if not isinstance(body, dict):
        raise fail("PaymentRequest ist kein Objekt")
    for name in ("requestId", "requestTimestamp", "currency", "grosAmount", "purpose", "redirectUrl", "items"):
        if name not in body:
            raise fail(f"{name} fehlt")
    if not isinstance(body["requestId"], str) or not ID.fullmatch(body["requestId"]):
        raise fail("requestId ungueltig")
    if body["currency"] != "EUR":
        raise fail("Nur EUR")
    if not isinstance(body["purpose"], str) or not PURPOSE.fullmatch(body["purpose"]):
        raise fail("purpose: hoechstens 27 Zeichen aus Buchstaben, Ziffern, Leerzeichen und -")
    description = body.get("description", "")
    if not isinstance(description, str) or not DESCRIPTION.fullmatch(description):
        raise fail("description ungueltig")
    url = body["redirectUrl"]
    if not isinstance(url, str) or not 0 < len(url) <= 2082 or not url.startswith(("https://", "http://")):
        raise fail("redirectUrl ungueltig")
    items = body["items"]
    if not isinstance(items, list) or not 1 <= len(items) <= 99:
        raise fail("items: 1 bis 99 Positionen")
    gros = _amount(body["grosAmount"], "grosAmount")
    if gros > 999999:
        raise fail("grosAmount zu gross")
    total = Decimal(0)
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise fail(f"Position {number} ist kein Objekt")
        if not isinstance(item.get("id"), str) or not ID.fullmatch(item["id"]):
            raise fail(f"Position {number}: id ungueltig")
        quantity = item.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise fail(f"Position {number}: quantity ungueltig")
        rate = _amount(item.get("taxRate"), "taxRate")
        single_net, single_tax = _amount(item.get("singleNetAmount"), "singleNetAmount"), _amount(item.get("singleTaxAmount"), "singleTaxAmount")
        total_net, total_tax = _amount(item.get("totalNetAmount"), "totalNetAmount"), _amount(item.get("totalTaxAmount"), "totalTaxAmount")
        booking = item.get("bookingData", {})
        if not isinstance(booking, dict) or not all(isinstance(v, str) for v in booking.values()):
            raise fail(f"Position {number}: bookingData ungueltig")
        missing = required_booking_data - set(booking)
        if missing:
            raise Problem(422, "BOOKING_DATA_MISSING", f"Position {number}: es fehlt {', '.join(sorted(missing))}")
        expected_tax = (single_net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if (single_net * quantity != total_net or single_tax * quantity != total_tax
                or abs(single_tax - expected_tax) > CENT):
            raise Problem(422, "CALCULATION_ERROR", f"Position {number}: Betraege passen nicht zusammen")
        total += total_net + total_tax
    if total != gros:
        raise Problem(422, "CALCULATION_ERROR", "grosAmount ist nicht die Summe der Positionen")


def _amount(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Problem(400, "VALIDATION_ERROR", f"{name} ist keine Zahl")
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise Problem(400, "VALIDATION_ERROR", f"{name} ist keine Zahl") from exc
    if amount < 0 or amount != amount.quantize(CENT):
        raise Problem(400, "VALIDATION_ERROR", f"{name}: hoechstens zwei Nachkommastellen, nicht negativ")
    return amount
