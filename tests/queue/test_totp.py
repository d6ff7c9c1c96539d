"""RFC 6238 (TOTP) and RFC 4226 (HOTP) against the test vectors the RFCs publish."""

from __future__ import annotations

import base64

import pytest

from virtual_office.queue import totp

HOTP_VECTORS = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
"""RFC 4226 Appendix D: secret "12345678901234567890", counters 0-9, 6 digits."""

KEYS = {"sha1": b"12345678901234567890", "sha256": b"12345678901234567890123456789012",
        "sha512": b"1234567890123456789012345678901234567890123456789012345678901234"}
TOTP_VECTORS = [  # RFC 6238 Appendix B: time, code with SHA-1, SHA-256, SHA-512 (8 digits, 30 s steps)
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("counter", "expected"), enumerate(HOTP_VECTORS))
def test_hotp_matches_rfc_4226(counter: int, expected: str) -> None:
    assert totp.hotp(KEYS["sha1"], counter) == expected


@pytest.mark.parametrize(("when", "sha1", "sha256", "sha512"), TOTP_VECTORS)
def test_totp_matches_rfc_6238(when: int, sha1: str, sha256: str, sha512: str) -> None:
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp.hotp(KEYS[digest], totp.step(when), digits=8, digest=digest) == expected
    # and the six-digit code an app shows is the same number's last six digits
    secret = base64.b32encode(KEYS["sha1"]).decode().rstrip("=")
    assert totp.code(secret, when) == sha1[-6:]


def test_a_code_matches_its_step_and_the_neighbouring_ones_only() -> None:
    secret = totp.new_secret()
    now = 1_700_000_000
    assert totp.matching_step(secret, totp.code(secret, now), now) == totp.step(now)
    assert totp.matching_step(secret, totp.code(secret, now - 30), now) == totp.step(now) - 1  # typed a moment late
    assert totp.matching_step(secret, totp.code(secret, now + 30), now) == totp.step(now) + 1  # a phone's clock ahead
    assert totp.matching_step(secret, totp.code(secret, now - 90), now) is None
    for wrong in ("", "12345", "1234567", "abcdef", "１２３４５６", None):
        assert totp.matching_step(secret, wrong, now) is None  # type: ignore[arg-type]


def test_the_provisioning_uri_names_issuer_account_and_secret() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", "ada@stadt", "buergerbuero.example")
    assert uri == ("otpauth://totp/buergerbuero.example:ada@stadt?secret=JBSWY3DPEHPK3PXP&issuer=buergerbuero.example"
                   "&digits=6&period=30")
