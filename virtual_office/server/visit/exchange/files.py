"""The files of a visit on disk: data_dir/visits/<visit id>/<random id>, gone with the visit.

The client's file name is only ever metadata (shown, offered for download); paths are
built from the visit id (checked hex) and random ids alone.
"""

from __future__ import annotations

import builtins
import json
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

from virtual_office.server.visit.exchange.sniff import HEAD_BYTES, display_name, sniff

_VISIT_ID = re.compile(r"[0-9a-f]{16}")
_FILE_ID = re.compile(r"[0-9a-f]{32}")


class FileRefused(Exception):
    """An upload was refused; nothing of it is kept. ``code`` names why."""

    code = "file_refused"


class TooLarge(FileRefused):
    code = "too_large"


class WrongType(FileRefused):
    code = "file_type"


class EmptyFile(FileRefused):
    code = "empty_file"


class NoSuchFile(Exception):
    pass


@dataclass(frozen=True)
class StoredFile:
    """One file of a visit: what members see of it."""

    id: str
    name: str
    size: int
    type: str
    sender: str
    """The participant who sent it ('citizen' or 'clerk:<id>')."""
    at: int
    """When it arrived (ms)."""
    document: str = ""
    """For a signature: the document it signs."""

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "type": self.type,
            "from": self.sender,
            "at": self.at,
        }
        if self.document:
            body["document"] = self.document
        return body


class VisitFiles:
    """The files of every visit this node holds, under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, visit_id: str) -> Path:
        if not isinstance(visit_id, str) or not _VISIT_ID.fullmatch(visit_id):
            raise NoSuchFile(visit_id)
        return self.root / visit_id

    async def receive(
        self,
        visit_id: str,
        chunks: AsyncIterator[bytes],
        *,
        name: object,
        sender: str,
        at: int,
        limit: int,
        types: tuple[str, ...],
        document: str = "",
    ) -> StoredFile:
        """Store a streamed upload, checking size and type as it arrives.

        At most ``limit`` bytes are written; a longer body stops at the limit. Nothing
        is kept of a refused upload.
        """
        folder = self.folder(visit_id)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_id = secrets.token_hex(16)
        part = folder / f"{file_id}.part"
        size = 0
        head = b""
        kind: str | None = None
        try:
            with open(part, "xb") as out:
                os.chmod(part, 0o600)
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"larger than {limit} bytes")
                    if kind is None:
                        head += chunk[:HEAD_BYTES]
                        if len(head) >= HEAD_BYTES:
                            kind = self._check(head, types)
                    out.write(chunk)
            if size == 0:
                raise EmptyFile("no content")
            if kind is None:
                kind = self._check(head, types)
            stored = StoredFile(file_id, display_name(name, kind), size, kind, sender, at, document)
            self._write_meta(folder, stored)
            part.rename(folder / file_id)
            return stored
        except BaseException:
            part.unlink(missing_ok=True)
            raise

    @staticmethod
    def _check(head: bytes, types: tuple[str, ...]) -> str:
        kind = sniff(head)
        if kind is None or kind not in types:
            raise WrongType("content is not an allowed type")
        return kind

    async def store(self, visit_id: str, data: bytes, **kwargs: object) -> StoredFile:
        """Store bytes already in memory (small: a signature) through the same checks."""

        async def one() -> AsyncIterator[bytes]:
            yield data

        return await self.receive(visit_id, one(), **kwargs)  # type: ignore[arg-type]

    @staticmethod
    def _write_meta(folder: Path, stored: StoredFile) -> None:
        meta = folder / f"{stored.id}.json"
        with open(meta, "x", encoding="utf-8") as out:
            os.chmod(meta, 0o600)
            json.dump(asdict(stored), out, ensure_ascii=False)

    def get(self, visit_id: str, file_id: str) -> tuple[StoredFile, Path]:
        """A file's metadata and path; NoSuchFile for anything unknown or malformed."""
        if not isinstance(file_id, str) or not _FILE_ID.fullmatch(file_id):
            raise NoSuchFile(file_id)
        folder = self.folder(visit_id)
        try:
            meta = json.loads((folder / f"{file_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise NoSuchFile(file_id) from exc
        path = folder / file_id
        if not path.is_file():
            raise NoSuchFile(file_id)
        return StoredFile(**meta), path

    def list(self, visit_id: str) -> list[StoredFile]:
        """The visit's files, oldest first."""
        try:
            folder = self.folder(visit_id)
            names = os.listdir(folder)
        except (NoSuchFile, OSError):
            return []
        files = []
        for name in names:
            if name.endswith(".json"):
                try:
                    files.append(self.get(visit_id, name[:-5])[0])
                except NoSuchFile:
                    continue
        return sorted(files, key=lambda f: f.at)

    def delete(self, visit_id: str) -> bool:
        """Remove every file of the visit; True if there was anything."""
        try:
            folder = self.folder(visit_id)
        except NoSuchFile:
            return False
        if not folder.exists():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return True

    def visit_ids(self) -> builtins.list[str]:  # ``list`` is a method of this class
        """Visits that have a folder here (for the sweep of leftovers)."""
        try:
            return [n for n in os.listdir(self.root) if _VISIT_ID.fullmatch(n)]
        except OSError:
            return []


__all__ = ["EmptyFile", "FileRefused", "NoSuchFile", "StoredFile", "TooLarge", "VisitFiles", "WrongType"]
