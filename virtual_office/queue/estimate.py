"""Wait estimate: learned from the lengths of recent visits and the clerks on duty."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MIN_SAMPLES = 3
"""Fewer finished visits than this and the estimate is unknown: no invented numbers."""


@dataclass(frozen=True)
class Estimate:
    """A range of whole minutes."""

    min: int
    max: int

    def to_json(self) -> dict[str, int]:
        return {"min": self.min, "max": self.max}


def quantile(sorted_values: Sequence[float], q: float) -> float:
    index = q * (len(sorted_values) - 1)
    low, high = math.floor(index), math.ceil(index)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (index - low)


def estimate_wait(durations: Sequence[float], clerks: int, position: int) -> Estimate | None:
    """Estimated wait for the ticket at ``position`` (1 = next), or None if unknown.

    The people ahead are served by ``clerks`` in parallel; each visit takes between the
    lower and upper quartile of recent visit lengths (seconds).
    """
    if len(durations) < MIN_SAMPLES or clerks < 1 or position < 1:
        return None
    values = sorted(durations)
    low, high = quantile(values, 0.25), quantile(values, 0.75)
    rounds_low = (position - 1) / clerks
    # Waits from 1 person ahead up: the next person may wait until the current visit
    # ends, which is at most one full visit.
    rounds_high = math.ceil(position / clerks)
    minimum = math.floor(rounds_low * low / 60)
    maximum = max(minimum + 1, math.ceil(rounds_high * high / 60))
    return Estimate(minimum, maximum)
