"""A message as the outbox keeps it, and the e-mail it becomes when it is sent."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any

from virtual_office.mail.errors import InvalidMessage

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
MAX_ADDRESS = 254


def valid_address(address: str) -> bool:
    """A plain ``local@domain`` address of the kind a citizen types (no display name, no comments)."""
    return len(address) <= MAX_ADDRESS and _ADDRESS.fullmatch(address) is not None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    """``maintype/subtype`` with parameters, e.g. ``text/calendar; method=REQUEST``."""
    data: bytes

    def to_json(self) -> dict[str, str]:
        return {"filename": self.filename, "content_type": self.content_type, "data": base64.b64encode(self.data).decode("ascii")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        return cls(filename=data["filename"], content_type=data["content_type"], data=base64.b64decode(data["data"]))


@dataclass(frozen=True)
class Message:
    """One e-mail to send: recipients, subject, a text and an HTML part, attachments.

    ``kind`` (e.g. ``confirmation``) is kept after sending, for the administration; the
    rest is deleted once the mail server accepted the message.
    """

    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    kind: str = "mail"
    language: str = "de"
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    mail_from: str = ""
    """The sender (a tenant's, see Mailer.send); "" for the deployment's."""

    def __post_init__(self) -> None:
        if not self.to:
            raise InvalidMessage("no recipient")
        bad = [i for i, a in enumerate(self.to) if not valid_address(a)]
        if bad:  # the position, not the address: no address in any error or log
            raise InvalidMessage(f"recipient {bad[0] + 1} is not an e-mail address")
        if not self.subject.strip() or "\n" in self.subject or "\r" in self.subject:
            raise InvalidMessage("the subject is empty or has a line break")
        if not re.fullmatch(r"[a-z0-9_-]{1,40}", self.kind):
            raise InvalidMessage("kind: lowercase letters, digits, '-' and '_'")

    def to_json(self) -> dict[str, Any]:
        return {
            "to": list(self.to),
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "kind": self.kind,
            "language": self.language,
            "attachments": [a.to_json() for a in self.attachments],
            **({"mail_from": self.mail_from} if self.mail_from else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        return cls(
            to=tuple(data["to"]),
            subject=data["subject"],
            text=data["text"],
            html=data.get("html"),
            kind=data.get("kind", "mail"),
            language=data.get("language", "de"),
            attachments=tuple(Attachment.from_json(a) for a in data.get("attachments", ())),
            mail_from=data.get("mail_from", ""),
        )

    def email(self, mail_from: str, *, message_id: str, date: float) -> EmailMessage:
        """The MIME message: text, HTML as its alternative, then the attachments.

        The Message-ID is made from the outbox's id, so a message sent again after a crash
        carries the same one (mail clients show it once).
        """
        mail_from = self.mail_from or mail_from  # the tenant's sender, where it has one
        _, sender = parseaddr(mail_from)
        domain = sender.rpartition("@")[2] or "localhost"
        mail = EmailMessage(policy=SMTP)
        mail["From"] = mail_from
        mail["To"] = ", ".join(str(Address(addr_spec=a)) for a in self.to)
        mail["Subject"] = self.subject
        mail["Date"] = format_datetime(datetime.fromtimestamp(date, UTC))
        mail["Message-ID"] = f"<{message_id}@{domain}>"
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies, please
        mail["Content-Language"] = self.language
        mail["X-Virtual-Office-Kind"] = self.kind
        mail.set_content(self.text)
        if self.html is not None:
            mail.add_alternative(self.html, subtype="html")
        for attachment in self.attachments:
            maintype, _, rest = attachment.content_type.partition("/")
            subtype, *params = (p.strip() for p in rest.split(";"))
            mail.add_attachment(
                attachment.data,
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename,
                params=dict(p.split("=", 1) for p in params if "=" in p),
            )
        return mail

