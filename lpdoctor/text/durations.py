"""Durations as people and components write them: ``30s``, ``1m30s``, ``500ms``, ``30000`` (ms), ``412μs``."""

from __future__ import annotations

import math
import re

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
    "y": 31536000.0,
    "M": 2592000.0,
}

# One or more number+unit parts ("1m30s", "1h 30m", "2.5s"); bounded so it cannot backtrack badly.
_PART = re.compile(r"(\d{1,15}(?:\.\d{1,9})?)\s?(ns|us|µs|μs|ms|secs|sec|min|s|m|h|d|w|y|M)")
_NUMBER = re.compile(r"\d{1,15}(?:\.\d{1,9})?")


class DurationError(ValueError):
    pass


# The longest duration a log line or a partial may state for one request (or one upstream try, or one error's
# timeout): 30 days. A long-poll holds for seconds to minutes and the longest default timeout lpdoctor knows
# (rules/components.yaml) is 10 min; WebSocket connections logged by a proxy can last days. Past this a number
# is damage or a forgery ("rt=1e308"), and believing it gave "cut at 10000000 s" with the fix
# "proxy_read_timeout 11000000s": such a request is counted, without a duration.
MAX_REQUEST_S = 30 * 86400.0


def plausible_request_s(seconds: float | None) -> float | None:
    """``seconds`` when it can be the duration of one request (0 to :data:`MAX_REQUEST_S`), else None."""
    if seconds is None or not 0.0 <= seconds <= MAX_REQUEST_S:  # NaN fails both comparisons
        return None
    return seconds


def parse_duration(text: str, default_unit: str = "s") -> float:
    """Parse a duration into seconds. A bare number is read in ``default_unit``.

    >>> parse_duration("1m30s")
    90.0
    >>> parse_duration("30000", default_unit="ms")
    30.0
    """
    s = text.strip()
    if not s:
        raise DurationError("empty duration")
    if len(s) > 64:
        raise DurationError(f"duration too long: {s[:20]}…")
    if _NUMBER.fullmatch(s):
        value = float(s) * _UNITS[default_unit]
    else:
        pos = 0
        value = 0.0
        compact = s.replace(" ", "")
        while pos < len(compact):
            m = _PART.match(compact, pos)
            if not m:
                raise DurationError(f"not a duration: {text!r}")
            value += float(m.group(1)) * _UNITS[m.group(2)]
            pos = m.end()
    if not math.isfinite(value) or value < 0:
        raise DurationError(f"not a duration: {text!r}")
    return value


def parse_nginx_time(text: str) -> float:
    """nginx time syntax: ``30``, ``30s``, ``1m``, ``500ms``, ``1h 30m``; a bare number is seconds."""
    return parse_duration(text, default_unit="s")


def fmt_s(seconds: float | None) -> str:
    """A duration the way a person reads it: ``30 s``, ``1.5 s``, ``5 min``, ``no limit``."""
    if seconds is None:
        return "no limit"
    if seconds >= 120 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 10:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    if seconds >= 1:
        return f"{seconds:.3g} s"
    return f"{seconds * 1000:.0f} ms"


def nginx_time(seconds: float) -> str:
    """Seconds in nginx's own syntax, rounded up to whole seconds: ``65s``, ``10m``."""
    whole = math.ceil(seconds - 1e-9)
    if whole >= 600 and whole % 60 == 0:
        return f"{whole // 60}m"
    return f"{whole}s"
