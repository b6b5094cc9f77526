"""The one margin policy, used by scan, check-config and probe alike.

A timer (or an observed cut-off) must clear what it has to outlast — the hold, or a keepalive interval — by a
margin of ``max(--margin, 10 % of it)`` (``--margin`` defaults to 5 s): at or below it is an error (the hold can
never complete), above it by less than the margin a warning (holds that run a little long are cut, a race).
The value lpdoctor suggests clears it by the margin, rounded up to a multiple of 5 s.
"""

from __future__ import annotations

import math

from lpdoctor.model import Severity

MIN_S = 5.0  # the default of --margin
FRACTION = 0.10  # of what the timer must outlast
STEP_S = 5.0  # suggestions are rounded up to this


def margin(seconds: float, min_s: float = MIN_S) -> float:
    """How far above ``seconds`` a timer must be."""
    return max(min_s, FRACTION * seconds)


def judge(value: float, wait: float, margin_s: float) -> Severity | None:
    """Error when the timer fires at or before ``wait``; warning when within ``margin_s`` after it."""
    if value <= wait:
        return Severity.ERROR
    if value < wait + margin_s:
        return Severity.WARNING
    return None


def suggest(wait: float, margin_s: float) -> float:
    """A value that clears ``wait`` by the margin, rounded up to 5 s."""
    return float(math.ceil((wait + margin_s) / STEP_S) * STEP_S)
