"""The visit record: a few lines for the clerk to copy into the case system.

Which office, when, how long, which documents were exchanged and signed (names only),
whether the identity was checked, and the fees asked for with how each payment stands. Built on request and once more as the visit
ends; never stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from virtual_office.payments import Transaction, format_amount
from virtual_office.server.i18n import translate
from virtual_office.server.protocol import CITIZEN_ROLE
from virtual_office.server.visit.exchange.files import StoredFile


def visit_record(
    lang: str,
    *,
    office_name: str,
    zone: ZoneInfo | None,
    started: int | None,
    now: int,
    files: list[StoredFile],
    requests: list[dict[str, object]],
    id_checked: bool,
    payments: list[Transaction] | None = None,
) -> dict[str, object]:
    """The record as data and as text in ``lang``."""

    def t(key: str, **values: object) -> str:
        return translate(lang, f"exchange.record.{key}", **values)

    begin = datetime.fromtimestamp((started or now) / 1000, UTC)
    if zone is not None:
        begin = begin.astimezone(zone)
    minutes = max(0, round((now - (started or now)) / 60000))
    exchanged = [f for f in files if not f.document]
    signed = [r for r in requests if r.get("state") in ("signed", "paper")]
    open_requests = [r for r in requests if r.get("state") == "requested"]

    def sender(f: StoredFile) -> str:
        return t("from_citizen") if f.sender == CITIZEN_ROLE else t("from_office")

    lines = [
        t("title"),
        t("office", office=office_name),
        t("start", when=begin.strftime("%d.%m.%Y %H:%M")),
        t("duration", minutes=minutes),
        t("documents", names=", ".join(f"{f.name} ({sender(f)})" for f in exchanged) or t("none")),
        t("signed", names="; ".join(f"{r['document']} ({t('signed_' + str(r['state']))})" for r in signed) or t("none")),
    ]
    if open_requests:
        lines.append(t("unsigned", names="; ".join(str(r["document"]) for r in open_requests)))
    lines.append(t("identity_yes") if id_checked else t("identity_no"))
    payments = payments or []

    def fees(tx: Transaction) -> str:
        return ", ".join(f"{line.quantity} × {line.fee.localized_name(lang)}" if line.quantity > 1 else line.fee.localized_name(lang)
                         for line in tx.lines)

    for tx in payments:
        lines.append(t("payment", fees=fees(tx), amount=format_amount(tx.total, lang), reference=tx.reference,
                       state=translate(lang, f"exchange.js.payments.state.{tx.state.value}")))
    return {
        "office": office_name,
        "started": begin.isoformat(),
        "minutes": minutes,
        "documents": [f.name for f in exchanged],
        "signed": [{"document": r["document"], "how": r["state"]} for r in signed],
        "identity_checked": id_checked,
        "payments": [{"reference": tx.reference, "total": tx.total, "state": tx.state.value} for tx in payments],
        "text": "\n".join(lines),
    }


__all__ = ["visit_record"]
