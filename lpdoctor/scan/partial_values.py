"""What a partial (``scan --save-partial``) may hold, checked when it is read: counts, durations, times, list and
map sizes within what a scan writes, so a damaged or forged partial is refused (exit 2), never trusted."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from lpdoctor.text.durations import plausible_request_s
from lpdoctor.text.safety import safe

_MAX_COUNT = 1 << 53  # counts stay exact as floats (quantiles multiply them)
_MAX_SECONDS = 1e35  # more than any hold or sum of durations a scan can count, far from overflowing
# List and map sizes a partial may hold: more than any scan writes (routes: --max-routes plus the overflow
# bucket; skipped line numbers: InputSummary.MAX_SKIPPED_SHOWN), so that a forged partial cannot make the
# merge build (and the report print) millions of entries.
MIN_MAX_ROUTES = 10  # scan --max-routes' own minimum: 0 would put every route in the overflow bucket
MAX_MAX_ROUTES = 10_000_000
MAX_INPUTS = 100_000
MAX_WARNINGS = 1000
MAX_COUNTER_KEYS = 1_000_000


def as_count(value: Any, limit: int = _MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected a count, got {type(value).__name__}")
    n = int(value)
    if not 0 <= n <= limit:
        raise ValueError(f"count out of range: {value!r}")
    return n


def as_seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected seconds, got {type(value).__name__}")
    try:
        f = float(value)
    except OverflowError:
        raise ValueError(f"not a duration: {value!r}") from None
    if not math.isfinite(f) or not 0 <= f <= _MAX_SECONDS:
        raise ValueError(f"not a duration: {value!r}")
    return f


def as_seconds_or_none(value: Any) -> float | None:
    return None if value is None else as_seconds(value)


def as_duration_or_none(value: Any) -> float | None:
    """A request's duration: at most :data:`~lpdoctor.text.durations.MAX_REQUEST_S`."""
    if value is None:
        return None
    seconds = as_seconds(value)
    if plausible_request_s(seconds) is None:
        raise ValueError(f"not a duration a request can have: {value!r}")
    return seconds


def sized(value: Any, limit: int) -> Any:
    """``value`` (a list or a map from a partial) when it holds at most ``limit`` entries."""
    if not isinstance(value, list | dict):
        raise TypeError(f"expected a list or a map, got {type(value).__name__}")
    if len(value) > limit:
        raise ValueError(f"{len(value)} entries where a scan writes at most {limit}")
    return value


def as_bucket(value: Any, limit: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"expected a bucket, got {type(value).__name__}")
    n = int(value)
    if not -limit <= n <= limit:
        raise ValueError(f"bucket out of range: {value!r}")
    return n


def as_time(value: Any) -> float:
    """A timestamp read back from a partial (epoch seconds)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a time, got {type(value).__name__}")
    f = float(value)
    if not math.isfinite(f) or abs(f) > MAX_TIME:
        raise ValueError(f"not a time: {value!r}")
    return f


def as_time_or_none(value: Any) -> float | None:
    return None if value is None else as_time(value)


def as_str_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected a string, got {type(value).__name__}")


def stored_text(text: str) -> str:
    """A string as a partial stores it: credentials redacted, control and invisible characters escaped, whole."""
    return safe(text, max(len(text), 1))


def stored_counter(counter: Counter[str]) -> dict[str, int]:
    """A counter as a partial stores it: keys :func:`stored_text`; keys that become the same add up."""
    out: dict[str, int] = {}
    if len(counter) > MAX_COUNTER_KEYS:  # more than a partial may hold: the most common ones
        counter = Counter(dict(counter.most_common(MAX_COUNTER_KEYS)))
    for key, n in counter.items():
        k = stored_text(key)
        out[k] = out.get(k, 0) + n
    return out


MAX_TIME = 1e13  # epoch seconds (year 318857): beyond any timestamp a log line states
