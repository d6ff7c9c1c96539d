"""Time-based one-time passwords (RFC 6238, TOTP over RFC 4226's HOTP): the codes of authenticator apps."""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20
"""160 bits, the length RFC 4226 recommends for HMAC-SHA1."""


def new_secret() -> str:
    """A random secret in base32 without padding, as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: HMAC of the counter, dynamically truncated to ``digits`` decimal digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step(unix_seconds: float) -> int:
    """The time step a moment falls in (T in RFC 6238, with T0 = 0)."""
    return int(unix_seconds // STEP_SECONDS)


def code(secret: str, unix_seconds: float) -> str:
    """The code an authenticator app shows for ``secret`` at ``unix_seconds``."""
    return hotp(_key(secret), step(unix_seconds))


def matching_step(secret: str, candidate: str, unix_seconds: float, *, drift: int = 1) -> int | None:
    """The time step whose code ``candidate`` is, within ``drift`` steps of now (a phone's clock is off
    by a few seconds, and typing takes some); None if none matches."""
    if not (isinstance(candidate, str) and len(candidate) == DIGITS and candidate.isascii() and candidate.isdigit()):
        return None
    key = _key(secret)
    now = step(unix_seconds)
    found = None
    for counter in range(now - drift, now + drift + 1):
        if hmac.compare_digest(hotp(key, counter), candidate):  # every step compared: the time tells nothing
            found = counter
    return found


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an app reads from the QR code (Key Uri Format)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS})
