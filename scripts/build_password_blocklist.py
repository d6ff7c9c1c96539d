"""Rebuild virtual_office/queue/data/common-passwords.txt.gz, the list of passwords nobody may choose.

Sources (MIT, see virtual_office/queue/data/README.md): the common and breached
passwords of ``@zxcvbn-ts/language-common`` and the German common words,
Wikipedia words, first and last names of ``@zxcvbn-ts/language-de``, fetched
with ``npm pack`` from the npm registry. Every entry is folded the way
``virtual_office.queue.passwords.fold`` folds a password (NFKC, case-folded,
no whitespace), so the file holds exactly what a lookup compares against.

    python scripts/build_password_blocklist.py
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from virtual_office.queue.passwords import BLOCKLIST, fold  # noqa: E402 - after the path is set

PACKAGES = {
    "@zxcvbn-ts/language-common@4.1.3": ["passwords.json", "diceware.json"],
    "@zxcvbn-ts/language-de@3.0.2": ["commonWords.json", "firstnames.json", "lastnames.json", "wikipedia.json"],
}


def fetch(spec: str, into: Path) -> Path:
    """The unpacked package directory of ``spec`` (npm pack, no install scripts run)."""
    name = subprocess.run(["npm", "pack", "--silent", spec], cwd=into, check=True, capture_output=True, text=True).stdout.split()[-1]
    target = into / name.removesuffix(".tgz")
    with tarfile.open(into / name) as archive:
        archive.extractall(target, filter="data")
    return target / "package" / "src"


def main() -> None:
    entries: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        for spec, files in PACKAGES.items():
            source = fetch(spec, Path(tmp))
            for file in files:
                words = json.loads((source / file).read_text(encoding="utf-8"))
                folded = {fold(w) for w in words if isinstance(w, str)}
                print(f"{spec} {file}: {len(words)} entries", file=sys.stderr)
                entries |= {w for w in folded if w}
    data = "\n".join(sorted(entries)).encode() + b"\n"
    # mtime 0: the same sources give the same bytes.
    BLOCKLIST.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"{len(entries)} entries, {BLOCKLIST.stat().st_size} bytes -> {BLOCKLIST.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
