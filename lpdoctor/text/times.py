"""Points in time as the reports show them (UTC) and as ``--since``/``--until`` take them."""

from __future__ import annotations

import calendar
import re
import time as _time

_RELATIVE = re.compile(r"(\d{1,9}(?:\.\d{1,3})?)\s{0,2}(s|sec|m|min|h|d|w)", re.IGNORECASE)
_UNIT_S = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
# 2026-11-21T14:02:11Z, 2026-11-21 14:02, 2026-11-21T14:02:11.5+01:00, 2026-11-21
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?\s{0,1}(Z|UTC|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
# 21/Nov/2026:14:02:11 +0000 (nginx $time_local, Apache %t), with or without its brackets
_CLF = re.compile(r"\[?(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s{1,2}([+-]\d{4}))?\]?")


class TimeSpecError(ValueError):
    """A --since/--until value that is not a time."""


def _offset(tz: str | None) -> int:
    if not tz or tz.upper() in ("Z", "UTC"):
        return 0
    sign = 1 if tz[0] == "+" else -1
    digits = tz[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4]) * 60)


def parse_when(text: str, now: float | None = None) -> float:
    """Epoch seconds of ``text``: relative to ``now`` (``2h``, ``90m``, ``1d`` ago), ISO 8601 (``2026-11-21
    14:02``, ``…T14:02:11Z``, ``…+01:00``; UTC when no zone is given) or CLF (``21/Nov/2026:14:02:11 +0000``)."""
    value = text.strip()
    now = _time.time() if now is None else now
    m = _RELATIVE.fullmatch(value)
    if m:
        return now - float(m.group(1)) * _UNIT_S[m.group(2).lower()]
    try:
        m = _ISO.fullmatch(value)
        if m:
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
            hh, mi, ss = (int(m.group(i) or 0) for i in (4, 5, 6))
            return float(calendar.timegm((y, mo, d, hh, mi, ss, 0, 0, 0)) - _offset(m.group(7)))
        m = _CLF.fullmatch(value)
        if m and m.group(2).lower() in _MONTHS:
            d, y = int(m.group(1)), int(m.group(3))
            hh, mi, ss = int(m.group(4)), int(m.group(5)), int(m.group(6))
            epoch = calendar.timegm((y, _MONTHS[m.group(2).lower()], d, hh, mi, ss, 0, 0, 0))
            return float(epoch - _offset(m.group(7)))
    except (ValueError, OverflowError):
        pass
    raise TimeSpecError(
        f"not a time: {text[:40]!r} (give e.g. 2h, 30m, 2026-11-21T14:02:11Z or 21/Nov/2026:14:02:11 +0000)"
    )


def _checked(epoch: float) -> tuple[int, ...] | None:
    try:
        return tuple(_time.gmtime(int(epoch)))[:6]
    except (OverflowError, OSError, ValueError):
        return None


def fmt_time(epoch: float) -> str:
    """``2026-11-21 14:02:11`` (UTC)."""
    t = _checked(epoch)
    if t is None:
        return "?"
    return "%04d-%02d-%02d %02d:%02d:%02d" % t  # noqa: UP031 - a fixed shape


def fmt_range(first: float, last: float) -> str:
    """``2026-11-21 14:02:11 to 15:10:40 UTC`` (the date once when both are on the same day)."""
    a, b = fmt_time(first), fmt_time(last)
    if a[:10] == b[:10]:
        b = b[11:]
    return f"{a} to {b} UTC"
