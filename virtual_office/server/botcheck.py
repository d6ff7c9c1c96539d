"""The bot check, without third parties: ALTCHA's proof of work, issued and verified here.

A challenge (``GET /api/botcheck``) is signed with a key derived from the deployment's
secret and expires after :data:`CHALLENGE_SECONDS`; the browser's widget (the vendored
``altcha`` in ``static/vendor/altcha/``) finds a counter whose PBKDF2 key starts with the
challenge's prefix and puts the solution into its form's hidden ``altcha`` field. A
solution counts once: its challenge is remembered in Redis until the challenge expires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import altcha
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from virtual_office.queue import QueueError
from virtual_office.server import limits
from virtual_office.server.api import json_route

ALTCHA_VERSION = "3.2.2"
"""The vendored widget's version (scripts/vendor_altcha.sh keeps it)."""
ALGORITHM = "PBKDF2/SHA-256"
"""Built into the widget; its worker is vendored beside it."""
CHALLENGE_SECONDS = 600
MAX_PAYLOAD = 4096
"""A solution is a few hundred characters of base64."""
USED_PREFIX = "vo:botcheck:used:"
"""String (expires with the challenge): a challenge whose solution was accepted, by its signature."""


class BotCheckFailed(QueueError):
    """No solution, a wrong, tampered or expired one, or one used before."""

    code = "bot_check_failed"


class BotCheck:
    """Issue challenges and accept each solution once."""

    def __init__(self, redis: Redis, secret_key: str, *, cost: int, seconds: int = CHALLENGE_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        assert secret_key, "the bot check signs with the deployment's secret"
        self._redis = redis
        # A key of its own: a signed challenge is worth nothing as a session cookie, and back.
        self._key = hmac.new(secret_key.encode(), b"virtual-office bot check", hashlib.sha256).hexdigest()
        self.cost = cost
        self.seconds = seconds
        self._clock = clock

    def challenge(self) -> dict[str, Any]:
        """A new challenge, as the widget fetches it (``{"parameters": …, "signature": …}``)."""
        issued = altcha.create_challenge(ALGORITHM, self.cost, expires_at=int(self._clock()) + self.seconds, hmac_secret=self._key)
        return issued.to_dict()

    async def verify(self, payload: object) -> None:
        """Accept the widget's field value once; BotCheckFailed otherwise (nothing is remembered then)."""
        if not isinstance(payload, str) or not payload or len(payload) > MAX_PAYLOAD:
            raise BotCheckFailed("no solution")
        try:
            data = json.loads(base64.b64decode(payload, validate=True))
            challenge = data["challenge"]
            signature, expires = challenge["signature"], challenge["parameters"]["expiresAt"]
        except (ValueError, TypeError, KeyError, binascii.Error, RecursionError):
            raise BotCheckFailed("not a solution") from None
        if not isinstance(signature, str) or not isinstance(expires, int) or expires <= self._clock():
            raise BotCheckFailed("expired")
        used = USED_PREFIX + signature[:128]
        if await self._redis.exists(used):  # before the key derivation, which costs a few milliseconds
            raise BotCheckFailed("used before")
        result = altcha.verify_solution(payload, self._key)
        if not result.verified:
            raise BotCheckFailed("expired" if result.expired else "wrong solution")
        if not await self._redis.set(used, 1, nx=True, exat=expires + 1):
            raise BotCheckFailed("used before")  # the same solution, sent twice at once


async def challenge(request: Request) -> Response:
    """``GET /api/botcheck``: a fresh challenge, limited per address like the other anonymous actions."""
    app = request.app.state
    await limits.take(app.services.redis, limits.bot_checks(app.settings), limits.client_address(request))
    return JSONResponse(app.botcheck.challenge(), headers={"Cache-Control": "no-store"})


routes = [json_route("/api/botcheck", challenge, methods=["GET"])]

__all__ = ["BotCheck", "BotCheckFailed", "routes"]
