"""A week of opening ranges as the office form posts it (``<prefix>-<day>-start`` / ``-end``),
for the opening hours and the appointment hours alike (the template's ``staff_macros.week``)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import FormData

from virtual_office.queue import InvalidInput
from virtual_office.queue.hours import WEEKDAYS, parse_time

Week = dict[str, list[tuple[str, str]]]


def read_week(form: FormData, prefix: str, err: Callable[..., None], error_suffix: str = "") -> Week:
    """Each day's ranges as typed (to show again), reporting a bad time, an empty or an
    overlapping range under ``<prefix>-<day><error_suffix>``."""
    week: Week = {}
    for day in WEEKDAYS:
        starts, ends = form.getlist(f"{prefix}-{day}-start"), form.getlist(f"{prefix}-{day}-end")
        # a row with one field missing counts as empty
        rows = [(str(a).strip(), str(b).strip()) for a, b in zip(starts, ends, strict=False) if str(a).strip() or str(b).strip()]
        week[day] = rows
        key = f"{prefix}-{day}{error_suffix}"
        parsed = []
        for start, end in rows:
            try:
                a, b = parse_time(start), parse_time(end)
            except InvalidInput:
                err(key, "time")
                continue
            if not a < b:
                err(key, "range")
            parsed.append((a, b))
        parsed.sort()
        if any(earlier[1] > later[0] for earlier, later in zip(parsed, parsed[1:], strict=False)):
            err(key, "overlap")
    return week
