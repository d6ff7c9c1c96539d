"""A client of FITKO's XBezahldienste v1 (the interface ePayBL, pmPayment, epay21, GiroCheckout offer).

OAuth2 client credentials; ``POST {base}/paymenttransaction/{originatorId}/{endPointId}``
creates a payment from a PaymentRequest, ``GET …/{transactionId}`` reads its status
(there is no webhook). Errors are ``application/problem+json`` with a ``functionalCode``,
mapped here to :class:`ProviderError` codes. Secrets never reach a log or an error text.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx

from virtual_office.payments.errors import InvalidFee, ProviderError
from virtual_office.payments.money import wire
from virtual_office.payments.providers import PaymentRequest, PlatformStatus, PlatformTransaction

log = logging.getLogger(__name__)

KIND = "xbezahldienste"
PATH_ID = re.compile(r"^[\w-]{1,36}$")
STATUSES = {
    "INITIAL": PlatformStatus.INITIAL,
    "PAYED": PlatformStatus.PAID,
    "FAILED": PlatformStatus.FAILED,
    "CANCELED": PlatformStatus.CANCELLED,
}
RETRIABLE_CODES = frozenset({"platform_unreachable", "platform_timeout", "platform_error", "bad_response"})
"""Codes whose request may succeed later; every problem code the platform names is final for that request."""
TOKEN_MARGIN = 30.0
"""Seconds before a token's expiry at which a new one is fetched."""


@dataclass(frozen=True)
class XBezahldiensteSettings:
    """How an office reaches its platform; the platform's operator hands out every value."""

    base_url: str
    """Where ``paymenttransaction/…`` lives, e.g. ``https://payment.example.de/api/xbezahldienste/``."""
    token_url: str
    """The OAuth2 token endpoint."""
    originator_id: str
    """Names the online service (here: the virtual office), ≤ 36 letters, digits, '-', '_'."""
    endpoint_id: str
    """Names the authority (e.g. its AGS), ≤ 36 letters, digits, '-', '_'."""
    client_id: str
    client_secret: str = field(repr=False)
    """Never logged, never shown, never sent to a browser."""
    timeout_seconds: float = 10.0
    """Longest wait for one answer; then the call fails as retriable (``platform_timeout``)."""

    def __post_init__(self) -> None:
        for name in ("base_url", "token_url"):
            url = urlsplit(getattr(self, name))
            if url.scheme not in ("https", "http") or not url.hostname:
                raise InvalidFee(f"xbezahldienste: {name} must be an http(s) address")
        for name in ("originator_id", "endpoint_id"):
            if not PATH_ID.fullmatch(getattr(self, name)):
                raise InvalidFee(f"xbezahldienste: {name} is 1 to 36 letters, digits, '-' or '_'")
        if not self.client_id or not self.client_secret:
            raise InvalidFee("xbezahldienste: client_id and client_secret are needed")
        if not 0.5 <= self.timeout_seconds <= 120:
            raise InvalidFee("xbezahldienste: timeout_seconds is between 0.5 and 120")

    @property
    def transactions_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/paymenttransaction/{self.originator_id}/{self.endpoint_id}"


def payment_request_json(request: PaymentRequest) -> dict[str, Any]:
    """The PaymentRequest body: every amount from the lines' cents, so net + tax = gross by construction."""
    items = []
    for number, line in enumerate(request.lines, start=1):
        single_net, single_tax = line.fee.net_and_tax()
        items.append({
            "id": f"{number}-{line.fee.id}"[:36],
            "reference": request.reference[:36],
            "description": line.fee.purpose,
            "taxRate": float(line.fee.tax_rate),
            "quantity": line.quantity,
            "singleNetAmount": wire(single_net),
            "singleTaxAmount": wire(single_tax),
            "totalNetAmount": wire(single_net * line.quantity),
            "totalTaxAmount": wire(single_tax * line.quantity),
            "bookingData": dict(line.fee.booking_data),
        })
    created = request.created.astimezone(UTC)
    timestamp = created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z"
    return {
        "requestId": request.request_id,
        "requestTimestamp": timestamp,
        "currency": "EUR",
        "grosAmount": wire(request.total),
        "purpose": request.purpose,
        "description": request.description,
        "redirectUrl": request.redirect_url,
        "items": items,
    }


class XBezahldiensteProvider:
    """One office's XBezahldienste platform; holds an HTTP client and a token until ``close``."""

    kind = KIND
    polled = True

    def __init__(self, settings: XBezahldiensteSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(settings.timeout_seconds), follow_redirects=False, transport=transport)
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def close(self) -> None:
        await self._http.aclose()

    async def create(self, request: PaymentRequest) -> PlatformTransaction:
        body = payment_request_json(request)
        response = await self._call("POST", self.settings.transactions_url, body)
        return _transaction(response)

    async def status(self, transaction_id: str) -> PlatformTransaction:
        if not PATH_ID.fullmatch(transaction_id):
            raise ProviderError("bad_response", "the platform's transaction id cannot be asked for")
        response = await self._call("GET", f"{self.settings.transactions_url}/{transaction_id}", None)
        return _transaction(response)

    async def _call(self, method: str, url: str, body: dict[str, Any] | None) -> httpx.Response:
        for attempt in (1, 2):
            token = await self._access_token(fresh=attempt == 2)
            response = await self._send(method, url, json=body, headers={
                "Authorization": f"Bearer {token}", "Accept": "application/json, application/problem+json",
            })
            if response.status_code == 401 and attempt == 1:
                continue  # the token ran out or was revoked early: one more try with a new one
            if response.status_code >= 400:
                raise _problem(response)
            return response
        raise AssertionError("unreachable")

    async def _access_token(self, *, fresh: bool) -> str:
        async with self._token_lock:
            if fresh or self._token is None or time.monotonic() >= self._token_expires:
                self._token = None
                s = self.settings
                response = await self._send("POST", s.token_url, data={
                    "grant_type": "client_credentials", "client_id": s.client_id, "client_secret": s.client_secret,
                }, headers={"Accept": "application/json"})
                if response.status_code in (400, 401, 403):
                    raise ProviderError("token_refused", "the platform refused the client credentials")
                if response.status_code >= 400:
                    raise ProviderError("platform_error", f"token endpoint answered {response.status_code}", retriable=True)
                try:
                    data = response.json()
                    token = data["access_token"]
                    lifetime = float(data.get("expires_in", 300))
                except (ValueError, KeyError, TypeError) as exc:
                    raise ProviderError("bad_response", "the token endpoint's answer has no access_token", retriable=True) from exc
                if not isinstance(token, str) or not token:
                    raise ProviderError("bad_response", "the token endpoint's answer has no access_token", retriable=True)
                self._token = token
                self._token_expires = time.monotonic() + max(0.0, lifetime - TOKEN_MARGIN)
            return self._token

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise ProviderError("platform_timeout", f"no answer within {self.settings.timeout_seconds:g} s", retriable=True) from exc
        except httpx.TransportError as exc:
            raise ProviderError("platform_unreachable", f"the platform cannot be reached ({type(exc).__name__})", retriable=True) from exc


def _json(response: httpx.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)


def _transaction(response: httpx.Response) -> PlatformTransaction:
    try:
        data = _json(response)
        info = data["paymentInformation"]
        transaction_id, status = info["transactionId"], info["status"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError("bad_response", "the platform's answer is not a PaymentTransaction", retriable=True) from exc
    if not isinstance(transaction_id, str) or not PATH_ID.fullmatch(transaction_id) or status not in STATUSES:
        raise ProviderError("bad_response", "the platform's answer has no usable transactionId or status", retriable=True)
    # The pay page: transactionRedirectUrl where a platform sets both (GiroCheckout's
    # transactionUrl is its status resource), else transactionUrl.
    pay_url = info.get("transactionRedirectUrl") or info.get("transactionUrl")
    if not isinstance(pay_url, str) or urlsplit(pay_url).scheme not in ("https", "http"):
        pay_url = None
    detail = info.get("statusDetail")
    return PlatformTransaction(transaction_id=transaction_id, status=STATUSES[status], pay_url=pay_url,
                               detail=detail[:200] if isinstance(detail, str) else "")


def _problem(response: httpx.Response) -> ProviderError:
    """A 4xx/5xx answer as a ProviderError: the problem's functionalCode, lowercased, where it has one."""
    data: Mapping[str, Any] = {}
    try:
        parsed = _json(response)
        if isinstance(parsed, Mapping):
            data = parsed
    except ValueError:
        pass
    code = data.get("functionalCode")
    status = response.status_code
    detail = data.get("detail") if isinstance(data.get("detail"), str) else ""
    if isinstance(code, str) and re.fullmatch(r"[A-Z_]{1,60}", code):
        code = {"NO_VALID_ORIGINATOR_OR_DESTINATION": "NO_VALID_ORIGINATOR_OR_ENDPOINT"}.get(code, code)
        existing = data.get("transactionId")
        if not isinstance(existing, str) or not PATH_ID.fullmatch(existing):
            existing = None
        return ProviderError(code.lower(), f"{code}: {detail}"[:300], retriable=status >= 500 and code == "UNSPECIFIED",
                             transaction_id=existing)
    if status >= 500:
        return ProviderError("platform_error", f"the platform answered {status}", retriable=True)
    if status in (401, 403):
        return ProviderError("forbidden", f"the platform answered {status}")
    if status == 404:
        return ProviderError("not_found", "the platform does not know this transaction")
    return ProviderError("platform_refused", f"the platform answered {status}")
