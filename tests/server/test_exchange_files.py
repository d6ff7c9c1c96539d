"""The file store and type sniffing of a visit's exchange, on a real temporary disk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from virtual_office.server.visit.exchange.files import EmptyFile, NoSuchFile, TooLarge, VisitFiles, WrongType
from virtual_office.server.visit.exchange.sniff import display_name, sniff

VISIT = "0123456789abcdef"
TYPES = ("application/pdf", "image/png", "image/jpeg")


def test_sniff_goes_by_content() -> None:
    assert sniff(b"%PDF-1.7 ...") == "application/pdf"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff(b"\xff\xd8\xff\xe0..JFIF") == "image/jpeg"
    assert sniff(b"MZ\x90\x00") is None
    assert sniff(b"<html><script>") is None
    assert sniff(b"%PD") is None


def test_display_name_keeps_the_name_but_not_a_path_and_fits_the_content() -> None:
    assert display_name("<img src=x onerror=alert(1)>.pdf", "application/pdf") == "<img src=x onerror=alert(1)>.pdf"
    assert display_name("../../etc/passwd", "application/pdf") == "passwd.pdf"
    assert display_name("C:\\Users\\x\\scan.JPG", "image/jpeg") == "scan.JPG"
    assert display_name("bild.exe", "image/png") == "bild.exe.png"
    assert display_name("a\x00b\nc.pdf", "application/pdf") == "abc.pdf"
    assert display_name("", "application/pdf") == "datei.pdf"
    assert display_name(None, "image/png") == "datei.png"
    assert len(display_name("x" * 500 + ".pdf", "application/pdf")) <= 120


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_store_streams_checks_and_keeps_nothing_refused(tmp_path: Path) -> None:
    files = VisitFiles(tmp_path)
    kwargs = {"sender": "citizen", "at": 1, "limit": 100, "types": TYPES}
    stored = await files.receive(VISIT, _chunks(b"%P", b"DF-1.4 ", b"x" * 20), name="a.pdf", **kwargs)
    meta, path = files.get(VISIT, stored.id)
    assert meta == stored and path.read_bytes() == b"%PDF-1.4 " + b"x" * 20 and path.name == stored.id
    with pytest.raises(TooLarge):
        await files.receive(VISIT, _chunks(b"%PDF-", b"x" * 60, b"x" * 60), name="b.pdf", **kwargs)
    with pytest.raises(WrongType):
        await files.receive(VISIT, _chunks(b"MZ\x90\x00\x03\x00\x00\x00\x04"), name="c.pdf", **kwargs)
    with pytest.raises(WrongType):
        await files.receive(VISIT, _chunks(b"%PD"), name="short.pdf", **kwargs)
    with pytest.raises(EmptyFile):
        await files.receive(VISIT, _chunks(), name="d.pdf", **kwargs)
    assert sorted(p.name for p in (tmp_path / VISIT).iterdir()) == sorted([stored.id, stored.id + ".json"])
    assert [f.id for f in files.list(VISIT)] == [stored.id]
    for visit, file_id in ((VISIT, "../x"), ("../../etc", stored.id), (VISIT, "f" * 32)):
        with pytest.raises(NoSuchFile):
            files.get(visit, file_id)
    assert files.visit_ids() == [VISIT]
    assert files.delete(VISIT) and not (tmp_path / VISIT).exists() and files.list(VISIT) == []
