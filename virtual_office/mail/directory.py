"""The demo's mailbox: each message written as an ``.eml`` file instead of sent, and listed for the administration."""

from __future__ import annotations

import email
import email.policy
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from virtual_office.mail.errors import DeliveryFailed


@dataclass(frozen=True)
class StoredMail:
    """One ``.eml`` file, as a list shows it."""

    name: str
    """The file's name in the directory (``<time>-<message id>.eml``)."""
    subject: str
    to: str
    date: datetime | None
    kind: str


class MailDirectory:
    """A directory of ``.eml`` files: a transport (write) and the list of what was written."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[MailDirectory]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: cannot create the mail directory") from exc
        yield self

    async def send(self, mail: EmailMessage) -> None:
        """Write the message atomically, so a listing never shows half a file."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        message_id = str(mail.get("Message-ID", "")).strip("<>").split("@")[0] or "mail"
        target = self.directory / f"{stamp}-{message_id}.eml"
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".part")
            with os.fdopen(fd, "wb") as out:
                out.write(mail.as_bytes())
            os.replace(tmp, target)
        except OSError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: cannot write the message") from exc

    def list(self) -> list[StoredMail]:
        """Every message written, newest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.glob("*.eml"), reverse=True):
            with path.open("rb") as fh:
                headers = email.message_from_binary_file(fh, policy=email.policy.default)
            date = headers.get("Date")
            found.append(StoredMail(
                name=path.name,
                subject=str(headers.get("Subject", "")),
                to=str(headers.get("To", "")),
                date=parsedate_to_datetime(str(date)) if date else None,
                kind=str(headers.get("X-Virtual-Office-Kind", "")),
            ))
        return found

    def read(self, name: str) -> bytes:
        """One file's bytes by the name :meth:`list` gave; FileNotFoundError for any other name."""
        if "/" in name or "\\" in name or not name.endswith(".eml") or name.startswith("."):
            raise FileNotFoundError(name)
        return (self.directory / name).read_bytes()
