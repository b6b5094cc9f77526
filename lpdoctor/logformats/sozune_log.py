"""Sōzune's stdout: its own access and error lines (text or JSON) mixed with the embedded Sōzu's lines.

Sōzune (kemeter/sozune) writes through ``tracing``; ``log.format: json`` switches to tracing-subscriber's JSON.
The embedded Sōzu workers write straight to stdout in Sōzu's own ASCII layout (see :mod:`.sozu_log`) with a
logger that was never set up: pid ``0``, tag ``UNINITIALIZED``, and only ``ERROR`` / ``ERROR-ACCESS`` lines.
One stream therefore holds:

- Sōzune access lines (target ``access``), written only for middleware-routed requests that got a response.
  Text: ``2026-04-27T17:45:07.300344Z  INFO access: 192.0.2.10 GET api.example.com /v1/users 200 12ms
  (backend) trace=-``, optionally with a ``proxy.request{...}:`` span prefix and trailing ``key=value`` fields
  (tracing-subscriber's Full format), optionally ANSI-coloured. JSON: ``{"level":"INFO","target":"access",
  "client_ip":...,"status":200,"duration_ms":12,"phase":"backend",...}`` (fields flattened or under ``fields``).
  The path has no query string. ``duration_ms`` runs from handler entry to the response headers.
- Sōzune error lines: ``Failed to forward request to {uri} after {N} attempt(s): {err}`` — ``{err}`` is
  ``timed out after {N}s`` when ``backendTimeout`` fired; no access line is written then, so this line is the
  only trace of the cut. Its URI is the *forwarded* one (backend address, path after stripPrefix, query string
  kept: the query carries the hold, e.g. ``timeout=30000``). Also ``No backends configured for host '{host}'``
  and ``circuit breaker open for host '{host}', short-circuiting``; and the older wordings
  ``Backend request to {uri} timed out`` and ``Failed to forward request to {uri}: {err}``.
- Sōzu ``ERROR-ACCESS`` lines (``H2::ResetFrame``, ``H2::IdleTimeout``, pipe timeouts, ...) and Sōzu ``ERROR``
  lines about unreachable backends. Sōzu lines from a standalone Sōzu (real pid and tag) are left to the
  ``sozu-access`` format, so a plain Sōzu log is never mistaken for Sōzune's.
- Everything else (start-up messages, debug lines) is noise and returns None.

Sources: kemeter/sozune ``src/middleware/proxy.rs``, ``documentation/advanced/access-logs.md``; the summary and
examples in ``research/sozune.md`` §3.1, §3.3, §3.4 and §4.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.sozu_log import (
    MAX_LINE_CHARS,
    parse_access_fields,
    parse_error_fields,
    rfc3339_epoch,
    strip_ansi,
)
from lpdoctor.model import ErrorEvent, ErrorKind, RequestRecord, outcome_from_status

PROXY = "sozune"

_MAX_FIELD = 16384
_MAX_DURATION_MS = 10 * 365 * 86400 * 1000

# tracing-subscriber's Full text format: timestamp, the level right-aligned in five columns, then
# ``span{fields}:...: target: message fields``.
_TEXT_HEAD = re.compile(
    r"(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) {1,2}"
    r"(?P<level>TRACE|DEBUG|INFO|WARN|ERROR) "
)

# ``{client_ip} {method} {host} {path} {status} {duration_ms}ms ({phase}) trace={trace_id}``; the phase and
# trace id came in later versions. No field holds a space, so no field can run into the next.
_ACCESS_MSG = re.compile(
    r"(?P<client>[^\s]{1,64}) (?P<method>[A-Za-z][A-Za-z_-]{0,31}) (?P<host>[^\s]{1,255}) "
    r"(?P<path>[^\s]{1,16384}) (?P<status>[1-9]\d{2}) (?P<ms>\d{1,15})ms"
    r"(?: \((?P<phase>[a-z-]{1,32})\))?(?: trace=(?P<trace>[0-9A-Za-z-]{1,64}))?(?=\s|\Z)"
)
_ACCESS_TARGETS = ("access: ", "sozune::middleware::proxy: ")

_FORWARD_FAILED = re.compile(
    r"Failed to forward request to (?P<uri>\S{1,16384}) after (?P<attempts>\d{1,6}) attempt\(s\): (?P<err>.{0,4096})"
)
_FORWARD_FAILED_OLD = re.compile(r"Failed to forward request to (?P<uri>\S{1,16384}): (?P<err>.{0,4096})")
_TIMED_OUT_OLD = re.compile(r"Backend request to (?P<uri>\S{1,16384}) timed out")
_NO_BACKENDS = re.compile(r"No backends configured for host '(?P<host>[^'\s]{1,255})'")
_BREAKER_OPEN = re.compile(r"circuit breaker open for host '(?P<host>[^'\s]{1,255})'")
_TIMED_OUT_AFTER = re.compile(r"timed out after (?P<n>\d{1,9}(?:\.\d{1,9})?) ?(?P<unit>ms|s)\b")
_ERROR_MARKERS = (
    "Failed to forward request to ",
    "Backend request to ",
    "No backends configured for host '",
    "circuit breaker open for host '",
)

_SPAN_HOST = re.compile(r"server\.address=\"?(?P<v>[^\s}\",]{1,255})")
_SPAN_METHOD = re.compile(r"http\.request\.method=\"?(?P<v>[A-Za-z][A-Za-z_-]{0,31})")


# --------------------------------------------------------------------------------------------- helpers


def _split_uri(uri: str) -> tuple[str | None, str | None]:
    """``http://172.20.0.4:8008/_matrix/client/v3/sync?timeout=30000`` → (authority, path with query)."""
    scheme_end = uri.find("://")
    rest = uri[scheme_end + 3 :] if 0 < scheme_end <= 16 else uri
    if scheme_end <= 0 and rest.startswith("/"):
        return None, rest
    cut = len(rest)
    for sep in "/?#":
        at = rest.find(sep)
        if 0 <= at < cut:
            cut = at
    authority = rest[:cut] or None
    target = rest[cut:].split("#", 1)[0]
    if not target:
        target = "/"
    elif target.startswith("?"):
        target = "/" + target
    return authority, target


def _error_kind(err: str) -> tuple[ErrorKind, float | None]:
    """Sōzune's ``{err}``: the timeout it states, or the hyper client error (connect vs. closed)."""
    m = _TIMED_OUT_AFTER.search(err)
    if m:
        value = float(m.group("n")) * (0.001 if m.group("unit") == "ms" else 1.0)
        return ErrorKind.UPSTREAM_TIMEOUT, value if math.isfinite(value) else None
    lowered = err.lower()
    if "timed out" in lowered or "timeout" in lowered:
        return ErrorKind.UPSTREAM_TIMEOUT, None
    # "connection closed before message completed" says "connect" too: closed/reset wins.
    if any(w in lowered for w in ("closed", "reset", "incomplete", "broken pipe", "eof", "sendrequest")):
        return ErrorKind.UPSTREAM_CLOSED, None
    if any(w in lowered for w in ("connect", "refused", "dns", "unreachable", "no route")):
        return ErrorKind.CONNECT_FAILED, None
    return ErrorKind.UPSTREAM_CLOSED, None


def _error_event(
    message: str,
    *,
    line_no: int,
    source: str,
    time: float | None,
    level: str,
    host: str | None,
    method: str | None,
) -> ErrorEvent | None:
    """Classify one Sōzune error message; None if it is not one lpdoctor uses."""
    start = -1
    for marker in _ERROR_MARKERS:
        at = message.find(marker)
        if at >= 0 and (start < 0 or at < start):
            start = at
    if start < 0:
        return None
    said = message[start:].rstrip()

    def event(kind: ErrorKind, **extra: Any) -> ErrorEvent:
        return ErrorEvent(
            source=source,
            line=line_no,
            proxy=PROXY,
            kind=kind,
            message=said[:2000],
            time=time,
            level=level,
            method=method,
            host=extra.pop("host", host),
            **extra,
        )

    m = _FORWARD_FAILED.match(said) or _FORWARD_FAILED_OLD.match(said)
    if m:
        upstream, target = _split_uri(m.group("uri"))
        kind, timeout_s = _error_kind(m.group("err"))
        attempts = int(m.group("attempts")) if "attempts" in m.groupdict() and m.group("attempts") else None
        return event(kind, target=target, upstream=upstream, timeout_s=timeout_s, attempts=attempts)
    m = _TIMED_OUT_OLD.match(said)
    if m:
        upstream, target = _split_uri(m.group("uri"))
        return event(ErrorKind.UPSTREAM_TIMEOUT, target=target, upstream=upstream)
    m = _NO_BACKENDS.match(said)
    if m:
        return event(ErrorKind.NO_LIVE_UPSTREAMS, host=m.group("host"))
    m = _BREAKER_OPEN.match(said)
    if m:
        return event(ErrorKind.OTHER, host=m.group("host"))
    return None


def _access_record(
    *,
    line_no: int,
    source: str,
    time: float | None,
    client: str,
    method: str,
    host: str,
    path: str,
    status: int,
    duration_ms: float,
    phase: str | None,
) -> RequestRecord:
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=path,  # Sōzune logs the path only; the query string (and any hold parameter) is not there
        status=status,
        duration_s=duration_ms / 1000.0,  # handler entry to response headers out; the body may still stream
        outcome=outcome_from_status(status),
        method=method,
        host=host,
        time=time,
        client=None if client == "-" else client,
        detail=phase,
    )


def _message_record(a: re.Match[str], line_no: int, source: str, time: float | None) -> RequestRecord:
    """The request of an access message (``_ACCESS_MSG``), in the text or the JSON format's message."""
    return _access_record(
        line_no=line_no,
        source=source,
        time=time,
        client=a.group("client"),
        method=a.group("method"),
        host=a.group("host"),
        path=a.group("path"),
        status=int(a.group("status")),
        duration_ms=float(a.group("ms")),
        phase=a.group("phase"),
    )


# --------------------------------------------------------------------------------------------- text lines


def _parse_text(text: str, line_no: int, source: str) -> Parsed | None:
    m = _TEXT_HEAD.match(text)
    if not m:
        return None
    level = m.group("level")
    rest = text[m.end() :]
    time = rfc3339_epoch(m.group("ts"))
    if level == "INFO":
        for marker in _ACCESS_TARGETS:
            start = 0
            for _ in range(8):  # a span field could repeat the marker; the real target follows "}: "
                at = rest.find(marker, start)
                if at < 0:
                    break
                start = at + 1
                if at != 0 and rest[at - 2 : at] != ": ":
                    continue
                a = _ACCESS_MSG.match(rest, at + len(marker))
                if a is None:
                    continue
                return _message_record(a, line_no, source, time)
        return None
    if level not in ("ERROR", "WARN"):
        return None
    host_m = _SPAN_HOST.search(rest, 0, 4096)
    method_m = _SPAN_METHOD.search(rest, 0, 4096)
    return _error_event(
        rest,
        line_no=line_no,
        source=source,
        time=time,
        level=level.lower(),
        host=host_m.group("v") if host_m else None,
        method=method_m.group("v") if method_m else None,
    )


# --------------------------------------------------------------------------------------------- JSON lines


def _str(value: Any, limit: int = _MAX_FIELD) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= limit and "\x00" not in value:
        return value
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdecimal() and len(value) <= 15):
        f = float(value)
    else:
        return None
    return f if math.isfinite(f) and f >= 0 else None


def _span_field(obj: dict[str, Any], key: str) -> str | None:
    span = obj.get("span")
    if isinstance(span, dict) and _str(span.get(key), 255):
        return str(span[key])
    spans = obj.get("spans")
    if isinstance(spans, list):
        for item in reversed(spans[:32]):
            if isinstance(item, dict) and _str(item.get(key), 255):
                return str(item[key])
    return None


# The compiled path (scan/fastpath.py, ``_combined_fast.c``'s parse_sozune_json_line) reads a JSON line that
# _parse_json makes an access record of from its fields: (key, role, required, expected text), as
# envoy_log.FAST_KEYS. Only "INFO" and "access" (a lower-case level, the other target: Python). "text": a string of
# 1 to `expected` bytes without escapes, its bytes in the group key (method, host and phase: the record's method,
# host and detail); "int_status", "int_units": an integer number token (a string, a float: Python); "iso_utc": the
# timestamp, "...Z" or "...+00:00" (any other form: Python; none: no time). The client and the message are not read
# (the aggregate reads no client, and the message only stands in for invalid fields, which go to Python).
FAST_KEYS: tuple[tuple[str, str, bool, str], ...] = (
    ("level", "equals", True, "INFO"),
    ("target", "equals", True, "access"),
    ("timestamp", "iso_utc", False, ""),
    ("fields", "object", False, ""),
    ("status", "int_status", True, ""),
    ("duration_ms", "int_units", True, str(_MAX_DURATION_MS)),
    ("method", "text", True, "32"),
    ("host", "text", True, "255"),
    ("path", "target", True, ""),
    ("phase", "text", False, "32"),
)
# get(key): a key under "fields" when the line has none at the top level. Each shares its key's variable, so a
# line with both goes to Python.
FAST_ALIASES: dict[str, str] = {
    f"fields.{key}": key for key in ("status", "duration_ms", "method", "host", "path", "phase")
}


def _parse_json(text: str, line_no: int, source: str) -> Parsed | None:
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    fields = obj.get("fields")
    if not isinstance(fields, dict):
        fields = {}

    def get(key: str) -> Any:
        return obj[key] if key in obj else fields.get(key)

    level = _str(obj.get("level"), 8)
    target = _str(obj.get("target"), 256)
    ts = _str(obj.get("timestamp"), 64)
    time = rfc3339_epoch(ts) if ts else None
    message = _str(get("message"))
    if level is None:
        return None
    level = level.upper()
    if level == "INFO" and target in ("access", "sozune::middleware::proxy"):
        status = _number(get("status"))
        duration_ms = _number(get("duration_ms"))
        method, host, path = _str(get("method"), 32), _str(get("host"), 255), _str(get("path"))
        if (
            status is not None
            and 100 <= status <= 999
            and status == int(status)
            and duration_ms is not None
            and duration_ms <= _MAX_DURATION_MS
            and method
            and host
            and path
        ):
            return _access_record(
                line_no=line_no,
                source=source,
                time=time,
                client=_str(get("client_ip"), 64) or "-",
                method=method,
                host=host,
                path=path,
                status=int(status),
                duration_ms=duration_ms,
                phase=_str(get("phase"), 32),
            )
        if message is None:
            return None
        a = _ACCESS_MSG.match(message)
        if a is None:
            return None
        return _message_record(a, line_no, source, time)
    if level not in ("ERROR", "WARN") or message is None:
        return None
    method = _span_field(obj, "http.request.method")
    return _error_event(
        message,
        line_no=line_no,
        source=source,
        time=time,
        level=level.lower(),
        host=_span_field(obj, "server.address"),
        method=method if method and len(method) <= 32 else None,
    )


# --------------------------------------------------------------------------------------------- the format


def parse_sozune_line_unguarded(line: str, line_no: int, source: str) -> Parsed | None:
    """Parse one line of Sōzune's stdout. Tests call this directly to prove it never raises."""
    if len(line) > MAX_LINE_CHARS:
        return None
    text = strip_ansi(line.lstrip("\x00")).strip()
    if not text or "\x00" in text:
        return None
    if text.startswith("{"):
        return _parse_json(text, line_no, source)
    sozu = parse_access_fields(text)
    if sozu is not None:
        # A standalone Sōzu (real pid and tag) is the sozu-access format's; see the module docstring.
        return sozu.record(line_no, source) if sozu.embedded else None
    sozu_error = parse_error_fields(text, line_no, source)
    if sozu_error is not None:
        event, pid, tag = sozu_error
        return event if pid == 0 or tag == "UNINITIALIZED" else None
    return _parse_text(text, line_no, source)


def parse_sozune_line(line: str, line_no: int, source: str) -> Parsed | None:
    """Parse one line of Sōzune's stdout; None for noise and for anything not understood."""
    try:
        return parse_sozune_line_unguarded(line, line_no, source)
    except Exception:  # defence in depth: a hostile line is skipped, never fatal
        return None


def _make_parser() -> Callable[[str, int, str], Parsed | None]:
    return parse_sozune_line


FORMATS: list[LogFormat] = [
    LogFormat(
        name="sozune",
        kind="access",
        has_timing=True,
        make_parser=_make_parser,
        # Higher than sozu-access: a Sōzune stream whose first lines are all embedded-Sōzu lines parses the
        # same count in both formats, and only this one goes on to read Sōzune's "timed out after 30s" lines.
        # Higher than nginx-json (30) too, which reads Sōzune's JSON access lines (without their duration_ms):
        # a JSON stream whose first lines are all access lines is Sōzune's. No nginx JSON line has "level" and
        # "target", so this reads none of them.
        priority=35,
        description="Sōzune stdout: Sōzune access/error lines (text or JSON) and the embedded Sōzu's lines",
        aliases=("sozune-stdout",),
        fast="sozune",
    ),
]
