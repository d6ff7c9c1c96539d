"""What the declared schemas cost per inbound event, against the checks they replaced, in one run.

    python benchmarks/schemas.py [--quick]

Both paths start from the decoded payload, as ``realtime.Namespace.trigger_event`` gets it,
and both apply the edge JSON rules (``api.plain_json``). The old path then picked fields
by hand (``realtime.field``, ``chat_text``, as they were before the schemas; copied here);
the new one parses the payload into its model (``schemas.parse``). Writes
``results/schemas.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import timeit
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from virtual_office.queue import InvalidInput
from virtual_office.server.api import plain_json
from virtual_office.server.console.schemas import TicketAction
from virtual_office.server.schemas import parse
from virtual_office.server.visit.exchange.schemas import ChatMessage
from virtual_office.server.visit.schemas import Signal

RESULTS = Path(__file__).parent / "results" / "schemas.json"


def old_field(data: Mapping[str, Any], name: str, *, max_length: int = 200) -> str:
    """``realtime.field`` as it was."""
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise InvalidInput(f"{name} must be a non-empty string")
    return value


def old_chat_text(value: object) -> str:
    """``chat.chat_text`` as it was."""
    if not isinstance(value, str):
        raise InvalidInput("text must be a string")
    text = value.replace("\r\n", "\n").strip()
    if not text or len(text) > 2000:
        raise InvalidInput("text must be 1 to 2000 characters")
    return text


def old_ticket(data: dict[str, Any]) -> None:
    plain_json(data)
    old_field(data, "office_id", max_length=40)
    old_field(data, "ticket_id", max_length=40)


def new_ticket(data: dict[str, Any]) -> None:
    plain_json(data)
    parse(TicketAction, data)


def old_chat(data: dict[str, Any]) -> None:
    plain_json(data)
    old_chat_text(data.get("text"))


def new_chat(data: dict[str, Any]) -> None:
    plain_json(data)
    parse(ChatMessage, data)


def old_signal(data: dict[str, Any]) -> None:
    plain_json(data)  # the shape was left to the media server, which still checks the SDP


def new_signal(data: dict[str, Any]) -> None:
    plain_json(data)
    parse(Signal, data).message()


SDP = "v=0\r\n" + "a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\r\n" * 100  # about 6 KiB, a browser's offer
CASES: dict[str, tuple[dict[str, Any], Callable[[dict[str, Any]], None], Callable[[dict[str, Any]], None]]] = {
    "finish {office_id, ticket_id}": ({"office_id": "buergerbuero", "ticket_id": "0123456789abcdef"}, old_ticket, new_ticket),
    "chat {text} (200 characters)": ({"text": "Guten Tag, " * 18}, old_chat, new_chat),
    "signal offer (6 KiB SDP, 3 sources)": (
        {"type": "offer", "sdp": SDP, "sources": {"0": "microphone", "1": "camera", "2": "screen"}}, old_signal, new_signal),
    "refused: finish with ticket_id 7": ({"office_id": "buergerbuero", "ticket_id": 7}, old_ticket, new_ticket),
}


def per_call_us(function: Callable[[dict[str, Any]], None], data: dict[str, Any], number: int, repeat: int) -> float:
    def once() -> None:
        try:
            function(data)
        except InvalidInput:
            pass

    return min(timeit.repeat(once, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    number, repeat = (2_000, 3) if args.quick else (20_000, 7)
    results = []
    print(f"{'event':40} {'old µs':>8} {'schema µs':>10} {'extra µs':>9}")
    for name, (data, old, new) in CASES.items():
        # Alternate the two paths so that a busy machine slows both alike.
        olds, news = [], []
        for _ in range(3):
            olds.append(per_call_us(old, data, number, repeat))
            news.append(per_call_us(new, data, number, repeat))
        row = {"event": name, "old_us": round(statistics.median(olds), 2), "schema_us": round(statistics.median(news), 2)}
        results.append(row)
        print(f"{name:40} {row['old_us']:8.2f} {row['schema_us']:10.2f} {row['schema_us'] - row['old_us']:9.2f}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"number": number, "repeat": repeat, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
