"""Bank transfer by GiroCode: a QR decoder (zbar, as a banking app would) reads back the EPC fields."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio

from tests.payments.conftest import OFFICE
from virtual_office.payments import (
    Cashier,
    Charge,
    GiroCodeSettings,
    InvalidFee,
    PaymentError,
    ProviderConfig,
    ProviderDirectory,
    State,
    payment_stats,
    transfer_qr,
)
from virtual_office.payments.girocode import check_digits

RETURN = "https://buergerbuero.example/visit/v/paid"
ACCOUNT = {"kind": "girocode", "recipient": "Stadtkasse Musterstadt", "iban": "DE89 3704 0044 0532 0130 00",
           "bic": "COBADEFFXXX", "reference_prefix": "BB"}


def decode(path: Path) -> list[str]:
    """The QR code's text as zbarimg (Debian's zbar-tools) reads it, one EPC field a line."""
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.fail("zbarimg is missing: scripts/test.sh installs zbar-tools")
    out = subprocess.run([zbarimg, "--raw", "-q", "-Sbinary", str(path)], capture_output=True, check=True, timeout=30).stdout
    # -Sbinary: the bytes as encoded; the EPC header's third line names the character set.
    lines = out.decode("latin-1").rstrip("\n").split("\n")
    charset = {"1": "utf-8", "2": "iso-8859-1"}[lines[2]]
    return out.decode(charset).rstrip("\n").split("\n")


async def test_transfer_requested_with_a_girocode(cashier: Cashier, redis_client: redis.asyncio.Redis, tmp_path: Path) -> None:
    await ProviderDirectory(redis_client).save(OFFICE, ProviderConfig.from_config(ACCOUNT))
    tx = await cashier.request(OFFICE, "visit-7", [Charge("fuehrungszeugnis"), Charge("free", purpose="Gebühr für Größe", amount="2,50")], RETURN)
    assert tx.state is State.TRANSFER_REQUESTED and tx.pay_url == "" and tx.total == 1550
    assert tx.reference.startswith("BB") and tx.reference[-2:] == check_digits(tx.reference[:-2])
    assert tx.platform_id == tx.reference

    transfer_qr(tx.instructions).save(tmp_path / "girocode.png", scale=5)
    fields = decode(tmp_path / "girocode.png")
    assert fields[:8] == ["BCD", "002", fields[2], "SCT", "COBADEFFXXX", "Stadtkasse Musterstadt", "DE89370400440532013000", "EUR15.5"]
    assert fields[8:] == ["", "", f"{tx.reference} Gebuehren"]

    day = datetime.now(ZoneInfo("Europe/Berlin")).date()
    assert (await payment_stats(redis_client, OFFICE, day)).transfers_requested_cents == 1550
    assert await redis_client.zscore(f"vo:{{{OFFICE}}}:pay:due", tx.id) is None, "a transfer is confirmed by hand, not polled"

    paid = await cashier.confirm_transfer(OFFICE, tx.id)
    assert paid.state is State.PAID
    assert (await payment_stats(redis_client, OFFICE, day)).paid_cents == 1550
    with pytest.raises(PaymentError, match="only a requested transfer"):
        await cashier.confirm_transfer(OFFICE, tx.id)


async def test_umlauts_survive_the_code(tmp_path: Path) -> None:
    settings = GiroCodeSettings(recipient="Stadtkasse Großröhrsdorf", iban="DE89370400440532013000")
    transfer_qr({"recipient": settings.recipient, "iban": settings.iban, "amount": "13.00",
                 "text": "BB2600000142 Führungszeugnis"}).save(tmp_path / "q.png", scale=5)
    fields = decode(tmp_path / "q.png")
    assert fields[5] == "Stadtkasse Großröhrsdorf" and fields[7] == "EUR13" and fields[-1] == "BB2600000142 Führungszeugnis"


async def test_cancel_a_requested_transfer(cashier: Cashier, redis_client: redis.asyncio.Redis) -> None:
    await ProviderDirectory(redis_client).save(OFFICE, ProviderConfig.from_config(ACCOUNT))
    tx = await cashier.request(OFFICE, "visit-8", [Charge("beglaubigung")], RETURN)
    assert (await cashier.cancel(OFFICE, tx.id)).state is State.CANCELLED
    with pytest.raises(PaymentError):
        await cashier.confirm_transfer(OFFICE, tx.id)


@pytest.mark.parametrize("change", [{"iban": "DE89370400440532013001"}, {"iban": "kein iban"}, {"bic": "XYZ"},
                                    {"recipient": ""}, {"reference_prefix": "toolong7"}, {"colour": "red"}])
def test_bad_account_settings(change: dict[str, str]) -> None:
    with pytest.raises(InvalidFee):
        ProviderConfig.from_config({**ACCOUNT, **change})


async def test_references_are_unique_and_short(cashier: Cashier, redis_client: redis.asyncio.Redis) -> None:
    await ProviderDirectory(redis_client).save(OFFICE, ProviderConfig.from_config(ACCOUNT))
    references = {(await cashier.request(OFFICE, f"visit-{n}", [Charge("beglaubigung")], RETURN)).reference for n in range(30)}
    assert len(references) == 30 and all(len(r) == 12 for r in references)
