"""The password blocklist: how long loading it takes, how much memory it keeps, how fast a check is.

    python benchmarks/passwords.py

Each load runs in a fresh process (the list is loaded once per process). Writes
results/passwords.json. The memory is what tracemalloc sees kept after the load, and,
for comparison, what a set of the same strings would keep.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROUNDS = 7

MEASURE = r"""
import gzip, json, time, tracemalloc
from virtual_office.queue import passwords
started = time.perf_counter()
size = passwords.load()
load_ms = (time.perf_counter() - started) * 1000
tracemalloc.start()
passwords._blocklist.cache_clear()
passwords.load()
kept = tracemalloc.get_traced_memory()[0]
tracemalloc.stop()
tracemalloc.start()
as_set = frozenset(gzip.decompress(passwords.BLOCKLIST.read_bytes()).decode().split("\n"))
set_kept = tracemalloc.get_traced_memory()[0]
tracemalloc.stop()
samples = ["correct horse battery", "Passwort 2025!!!!", "qwertzuiop123456", "Der Kater schläft auf dem Sofa",
           "ein Satz, der länger als vierundsechzig Zeichen ist, geht natürlich auch gut"]
context = ["anna", "Anna Amt", "Bürgerbüro", "buergerbuero", "buergerbuero.musterstadt.de"]
started = time.perf_counter()
for _ in range(200):
    for sample in samples:
        passwords.check_password(sample, context)
check_us = (time.perf_counter() - started) / (200 * len(samples)) * 1e6
print(json.dumps({"entries": size, "load_ms": load_ms, "kept_bytes": kept, "set_bytes": set_kept, "check_us": check_us,
                  "file_bytes": passwords.BLOCKLIST.stat().st_size}))
"""


def main() -> None:
    runs = [json.loads(subprocess.run([sys.executable, "-c", MEASURE], cwd=ROOT, check=True, capture_output=True, text=True).stdout)
            for _ in range(ROUNDS)]
    result = {
        "rounds": ROUNDS,
        "entries": runs[0]["entries"],
        "file_bytes": runs[0]["file_bytes"],
        "load_ms_median": statistics.median(r["load_ms"] for r in runs),
        "load_ms_max": max(r["load_ms"] for r in runs),
        "kept_bytes": runs[0]["kept_bytes"],
        "set_bytes": runs[0]["set_bytes"],
        "check_us_median": statistics.median(r["check_us"] for r in runs),
    }
    (ROOT / "benchmarks" / "results" / "passwords.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| what | result |\n| --- | --- |")
    print(f"| entries / file | {result['entries']:,} / {result['file_bytes']:,} bytes gzip |")
    print(f"| load, fresh process | median {result['load_ms_median']:.0f} ms, max {result['load_ms_max']:.0f} ms |")
    print(f"| memory kept | {result['kept_bytes'] / 1e6:.2f} MB (a set of the strings: {result['set_bytes'] / 1e6:.1f} MB) |")
    print(f"| check_password, list loaded | median {result['check_us_median']:.0f} µs |")


if __name__ == "__main__":
    main()
