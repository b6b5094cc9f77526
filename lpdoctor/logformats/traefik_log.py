"""Traefik access logs: the JSON format (``accessLog.format: json``) and the default CLF-like format.

JSON fields (traefik ``docs/content/observability/access-logs.md``): ``Duration`` and ``OriginDuration`` in
**nanoseconds**, ``DownstreamStatus`` (what the client got), ``OriginStatus`` (what the upstream sent; 0 when
Traefik answered itself), ``RequestMethod``, ``RequestPath`` (path and query), ``RequestHost``,
``ClientHost``, ``StartUTC``. Traefik maps upstream failures in ``pkg/proxy/httputil/proxy.go``
(``ComputeStatusCode``): a timeout → 504, ``context.Canceled`` (the client left) → 499, anything else → 502.

The default (CLF) format appends a request counter, the router name, the server URL and the duration::

    203.0.113.7 - - [12/Jun/2026:10:15:12 +0000] "GET /api/poll HTTP/1.1" 504 15 "-" "curl/8.5.0" \
        42 "api@docker" "http://10.0.0.5:8000" 30001ms

The CLF status is ``DownstreamStatus`` in current Traefik but was ``OriginStatus`` in older releases
(``pkg/middlewares/accesslog/logger_formatters.go``), where a request Traefik answered itself (timeout,
client gone) shows as status ``0``: read as "no upstream status" (outcome RESET, detail ``OriginStatus 0``).

The small text helpers the other proxy readers share (timestamps, request lines, JSON, numbers) live here
too: :func:`parse_iso_time`, :func:`parse_clf_time`, :func:`split_request`, :func:`split_target`,
:func:`load_json_object`, :func:`to_float`, :func:`to_status`. They would sit better in a shared module.
"""

from __future__ import annotations

import calendar
import json
import math
import re
from typing import Any

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.layout import TextField, TextLayout, layout_regex
from lpdoctor.model import RequestRecord, outcome_from_status

PROXY = "traefik"

# --- shared helpers -------------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}

# 2026-06-12T10:15:12.301Z, 2026-06-12T10:15:12.301234567+02:00, 2026-06-12 10:15:12 (UTC assumed).
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
# 12/Jun/2026:10:15:12 +0000, and HAProxy's 12/Jun/2026:10:15:12.301 (milliseconds, no offset).
_CLF = re.compile(
    r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2})"  # 12/Jun/2026:10:15:12
    r"(?:\.(\d{1,9}))?(?: ([+-])(\d{2})(\d{2}))?"  # .301 and/or +0000
)


def _epoch(parts: tuple[int, int, int, int, int, int], frac: str | None, offset_s: float) -> float | None:
    year, month, day, hour, minute, second = parts
    if not (1970 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    if not (hour <= 23 and minute <= 59 and second <= 60):
        return None
    if day > calendar.monthrange(year, month)[1]:
        return None
    value = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset_s
    if frac:
        value += int(frac) / 10 ** len(frac)
    return float(value)


def parse_offset(text: str | None) -> float:
    """``Z``, ``+02:00``, ``-0530``, ``+02`` → seconds east of UTC (0 for None or junk)."""
    if not text or text in ("Z", "z"):
        return 0.0
    digits = text[1:].replace(":", "")
    if not digits.isdecimal() or len(digits) not in (2, 4):
        return 0.0
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        return 0.0
    sign = -1 if text[0] == "-" else 1
    return float(sign * (hours * 3600 + minutes * 60))


def parse_iso_time(text: str | None) -> float | None:
    """An RFC 3339 / ISO 8601 timestamp (any number of fraction digits up to 9) → epoch seconds.

    No offset means UTC. Returns None for anything else, never raises.
    """
    if not text or len(text) > 64:
        return None
    m = _ISO.fullmatch(text.strip())
    if not m:
        return None
    parts = (int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]))
    return _epoch(parts, m[7], parse_offset(m[8]))


def parse_clf_time(text: str | None, default_offset_s: float = 0.0) -> float | None:
    """``12/Jun/2026:10:15:12 +0000`` (or with a fraction, or without an offset) → epoch seconds.

    ``default_offset_s`` applies when the text carries no offset (HAProxy writes local time without one).
    """
    if not text or len(text) > 64:
        return None
    m = _CLF.fullmatch(text.strip())
    if not m or m[2] not in _MONTHS:
        return None
    offset = default_offset_s
    if m[8]:
        offset = parse_offset(f"{m[8]}{m[9]}{m[10]}")
    parts = (int(m[3]), _MONTHS[m[2]], int(m[1]), int(m[4]), int(m[5]), int(m[6]))
    return _epoch(parts, m[7], offset)


_METHOD = re.compile(r"[A-Z][A-Z0-9_-]{0,31}")
_PROTOCOL = re.compile(r"[A-Za-z][A-Za-z0-9/._-]{0,15}")  # HTTP/1.1, HTTP/2.0, and Traefik's "http"
_ABSOLUTE = re.compile(r"(?i)(?:https?|wss?|grpcs?|h2c?)://([^/?#\s]{1,300})(.*)")
_HOSTPORT = re.compile(r"(\[[0-9A-Fa-f:.]{2,45}\]|[^:\s\[\]]{1,253})(?::\d{1,5})?")


def split_target(target: str) -> tuple[str | None, str]:
    """An origin-form or absolute-form request target → ``(host or None, path-and-query)``.

    ``https://api.example.com:443/poll?x=1`` → ``("api.example.com", "/poll?x=1")``; the port is dropped
    like nginx's ``$host`` does; a missing path becomes ``/``.
    """
    m = _ABSOLUTE.fullmatch(target)
    if not m:
        return None, target
    authority = m[1].rpartition("@")[2]  # never keep userinfo
    hm = _HOSTPORT.fullmatch(authority)
    host = hm[1].lower() if hm else None
    path = m[2] or "/"
    if not path.startswith("/"):
        path = "/" + path
    return host, path


def split_request(text: str | None) -> tuple[str | None, str | None, str | None]:
    """An HTTP request line ``GET /x HTTP/1.1`` → ``(method, target, host from an absolute target)``.

    Anything that is not a request line (``-``, ``<BADREQ>``, garbage) gives ``(None, None, None)``.
    A request line truncated by the proxy (no protocol) still gives its method and target.
    """
    if not text or len(text) > 65536:
        return None, None, None
    parts = text.split(" ")
    if len(parts) not in (2, 3) or not _METHOD.fullmatch(parts[0]) or not parts[1]:
        return None, None, None
    if len(parts) == 3 and not _PROTOCOL.fullmatch(parts[2]):
        return None, None, None
    host, target = split_target(parts[1])
    return parts[0], target, host


def load_json_object(line: str) -> dict[str, Any] | None:
    """The JSON object on this line, or None. Never raises (deep nesting, bad escapes, huge numbers).

    A short prefix that ends in a space and holds no quote or brace is skipped: a syslog header
    (``Jul  4 23:37:51 app2 caddy[2140]: {...}``), ``docker compose logs`` (``caddy-1  | {...}``) or a
    Kubernetes CRI line (``2026-06-12T10:15:42.301Z stdout F {...}``).
    """
    text = line.strip()
    if not text.startswith("{"):
        brace = text.find("{", 0, 300)
        if brace <= 0 or text[brace - 1] != " " or '"' in text[:brace]:
            return None
        text = text[brace:]
    if not text.startswith("{") or not text.endswith("}"):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def to_float(value: object) -> float | None:
    """A finite float from a JSON number or numeric string; None for bools, NaN, inf and junk."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            out = float(value)
        except (OverflowError, ValueError):
            return None
        return out if math.isfinite(out) else None
    if isinstance(value, str) and 0 < len(value) <= 32:
        try:
            out = float(value)
        except ValueError:
            return None
        return out if math.isfinite(out) else None
    return None


def to_status(value: object) -> int | None:
    """An HTTP status from a number or string; None for 0, missing or out-of-range values."""
    number = to_float(value)
    if number is None or number != int(number) or not (100 <= number <= 999):
        return None
    return int(number)


def nonneg_seconds(value: float | None, per_second: float) -> float | None:
    """``value / per_second`` (1000 for milliseconds ...) when ``value`` is a sane non-negative number."""
    if value is None or value < 0:
        return None
    out = value / per_second
    return out if math.isfinite(out) and out < 1e9 else None


def first_client(text: str | None) -> str | None:
    """The first address in an ``X-Forwarded-For``-style list, or None for ``-`` / empty."""
    if not text:
        return None
    first = text.split(",", 1)[0].strip()
    return first if first and first != "-" and len(first) <= 256 else None


# --- Traefik --------------------------------------------------------------------------------------


def _str(value: object, limit: int = 65536) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= limit else None


# What parse_json_line reads of each key, for the compiled path (lpdoctor/scan/fastpath.py; roles as
# caddy_log.FAST_KEYS, plus "units" (a non-negative integer number: a duration in whole units of the expected
# text, here nanoseconds) and "start" (an RFC 3339 UTC time, "...T...Z": the line's time is it plus the
# duration)): (key, role, required, expected text). StartUTC is required there: without it the reader reads
# ``time``, which that path leaves to Python. ``time`` is not read when StartUTC and Duration are valid, and
# ClientHost/ClientAddr not at all (the aggregate does not read a request's client). OriginStatus decides the
# detail ("OriginStatus 0"): its bytes go in the group key.
FAST_KEYS: tuple[tuple[str, str, bool, str], ...] = (
    ("DownstreamStatus", "status", True, ""),
    ("Duration", "units", True, "ns"),
    ("StartUTC", "start", True, ""),
    ("RequestPath", "target", True, ""),
    ("RequestHost", "key", False, ""),
    ("RequestMethod", "key", False, ""),
    ("OriginStatus", "key", False, ""),
)


def parse_json_line(line: str, line_no: int, source: str) -> Parsed | None:
    if '"DownstreamStatus"' not in line:
        return None
    obj = load_json_object(line)
    if obj is None or "DownstreamStatus" not in obj or "Duration" not in obj:
        return None
    status = to_status(obj.get("DownstreamStatus"))
    origin_raw = obj.get("OriginStatus")
    duration = nonneg_seconds(to_float(obj.get("Duration")), 1e9)
    target = _str(obj.get("RequestPath"))
    start = parse_iso_time(_str(obj.get("StartUTC"), 64))
    end = parse_iso_time(_str(obj.get("time"), 64))
    if start is not None and duration is not None:
        end = start + duration
    detail = None
    if status is not None and status >= 499 and to_float(origin_raw) == 0:
        detail = "OriginStatus 0"  # Traefik answered itself: the upstream never did
    host, path = split_target(target) if target else (None, None)
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=path,
        status=status,
        duration_s=duration,
        # Traefik answers 499 when the client left, 504 on an upstream timeout and 502 on other upstream
        # failures (OriginStatus 0 then): exactly the generic mapping.
        outcome=outcome_from_status(status),
        method=_str(obj.get("RequestMethod"), 32),
        host=_str(obj.get("RequestHost"), 300) or host,
        time=end,
        client=_str(obj.get("ClientHost"), 256) or _str(obj.get("ClientAddr"), 256),
        detail=detail,
    )


# <client> - <user> [<start>] "<request>" <status> <size> "<referer>" "<ua>" <count> "<router>" "<url>" <n>ms: the
# one description of the line, from which the reader's regex and the compiled path's walk are both made. The
# reader reads the client, the start, the request, the status and the milliseconds; the aggregate does not read
# a request's client.
CLF_LAYOUT = TextLayout(
    (
        TextField("", "client", "skip", chars="token", min=1, max=256),
        TextField(" ", "ident", "skip", chars="token", min=1, max=256),
        TextField(" ", "user", "skip", chars="token", min=1, max=256),
        TextField(" [", "time", "clf_start", min=20, max=40),
        TextField('] "', "request", "request", max=16384),
        TextField('" ', "status", "status", chars="digits", min=1, max=3, dash=True),
        TextField(" ", "size", "skip", chars="digits", min=1, max=20, dash=True),
        TextField(' "', "referer", "skip", max=8192),
        TextField('" "', "ua", "skip", max=8192),
        TextField('" ', "count", "skip", chars="digits", min=1, max=20, dash=True),
        TextField(' "', "router", "skip", max=1024),
        TextField('" "', "url", "skip", max=2048),
        TextField('" ', "ms", "units", chars="digits", min=1, max=15),
    ),
    after="ms",
    end="exact",
)
_CLF_LINE = layout_regex(CLF_LAYOUT)
_CLF_GROUP = {field.name: f"v{n}" for n, field in enumerate(CLF_LAYOUT.fields)}


def parse_clf_line(line: str, line_no: int, source: str) -> Parsed | None:
    if not line.endswith("ms") or len(line) > 65536:
        return None
    m = _CLF_LINE.match(line)
    if not m:
        return None
    g = _CLF_GROUP
    method, target, host = split_request(m[g["request"]])
    status = to_status(m[g["status"]])
    duration = nonneg_seconds(float(m[g["ms"]]), 1000)
    start = parse_clf_time(m[g["time"]])
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=target,
        status=status,
        duration_s=duration,
        outcome=outcome_from_status(status),
        method=method,
        host=host,
        time=start + duration if start is not None and duration is not None else start,
        client=m[g["client"]] if m[g["client"]] != "-" else None,
        detail="OriginStatus 0" if m[g["status"]] == "0" else None,
    )


def _json_parser() -> Any:
    return parse_json_line


def _clf_parser() -> Any:
    return parse_clf_line


FORMATS: list[LogFormat] = [
    LogFormat(
        name="traefik-json",
        kind="access",
        has_timing=True,
        make_parser=_json_parser,
        fast="traefik",
        priority=5,
        description="Traefik JSON access log (accessLog.format: json); Duration in ns",
        aliases=("traefik",),
    ),
    LogFormat(
        name="traefik-clf",
        kind="access",
        has_timing=True,
        make_parser=_clf_parser,
        fast="fields",
        layouts=(CLF_LAYOUT,),
        # nginx-combined (priority 10) also accepts these lines, ignoring the tail; the trailing "<n>ms"
        # is Traefik's alone, so win the tie.
        priority=15,
        description="Traefik's default access log: CLF plus count, router, server URL and <n>ms",
    ),
]
