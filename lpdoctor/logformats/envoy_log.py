"""Envoy access logs: the default text format (and Istio's longer one) and JSON access logs.

Default format (envoy ``docs/root/configuration/observability/access_log/usage.rst``)::

    [%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
    %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
    %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
    "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"

Istio's default inserts ``%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
"%UPSTREAM_TRANSPORT_FAILURE_REASON%"`` after the flags and appends more fields; both read here (up to three
extra fields after the flags, anything after the upstream host).

``%DURATION%`` is milliseconds from the first request byte to the last response byte; the upstream
service time (``x-envoy-upstream-service-time``, set when the upstream's headers arrive) becomes
``header_s``. Unset values print ``-``. ``%RESPONSE_CODE%`` 0 means nothing was sent (status None).

JSON access logs (Envoy Gateway, Istio, Contour ...) use their own key names; the usual ones are accepted
(``response_code``, ``response_flags``, ``duration``, ``path``/``x-envoy-origin-path``, ``authority``/
``:authority``, ``start_time``/``@timestamp`` ...). A JSON line needs ``response_code`` and
``response_flags`` to be claimed.

Response flags decide the outcome: ``UT`` (route timeout, 504), ``SI`` (stream idle timeout, 408),
``UMSDR`` (upstream max stream duration) and ``DT`` (max connection/stream duration) → GATEWAY_TIMEOUT;
``DC`` (downstream disconnect, usually code 0) → CLIENT_CLOSED; ``UC``/``UR`` (upstream connection
termination / remote reset, 503) → UPSTREAM_CLOSED. ``time`` is ``START_TIME`` plus the duration.
"""

from __future__ import annotations

import re
from typing import Any

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.layout import TextField, TextLayout
from lpdoctor.logformats.traefik_log import (
    first_client,
    load_json_object,
    nonneg_seconds,
    parse_iso_time,
    split_target,
    to_float,
    to_status,
)
from lpdoctor.model import Outcome, RequestRecord, outcome_from_status

PROXY = "envoy"
MAX_LINE = 65536

_TEXT = re.compile(
    r"\[(?P<start>[0-9T:.+Z-]{10,40})\] "
    r'"(?P<method>[A-Z][A-Z0-9_-]{0,31}|-) (?P<path>[^\s"]{1,16384}) (?P<proto>[A-Za-z0-9/._-]{1,16})" '
    r"(?P<code>\d{1,3}) (?P<flags>[A-Za-z,_-]{1,256}) "
    r'(?:(?:"[^"]{0,1024}"|[^\s"]{1,512}) ){0,3}'  # Istio: details, termination details, failure reason
    r"(?P<rx>\d{1,20}) (?P<tx>\d{1,20}) (?P<dur>\d{1,20}|-) (?P<ust>\d{1,20}|-) "
    r'"(?P<xff>[^"]{0,4096})" "[^"]{0,8192}" "[^"]{0,1024}" "(?P<authority>[^"]{0,1024})" "[^"]{0,1024}"'
)

# Short flags and the long names %RESPONSE_FLAGS_LONG% prints.
_TIMEOUT_FLAGS = frozenset(
    {
        "UT",
        "SI",
        "UMSDR",
        "DT",
        "UpstreamRequestTimeout",
        "StreamIdleTimeout",
        "UpstreamMaxStreamDurationReached",
        "DurationTimeout",
    }
)
_CLIENT_FLAGS = frozenset({"DC", "DownstreamConnectionTermination"})
_UPSTREAM_FLAGS = frozenset({"UC", "UR", "UpstreamConnectionTermination", "UpstreamRemoteReset"})


def outcome_for(flags: str | None, status: int | None) -> Outcome:
    """Envoy's response flags (``UT``, ``DC``, ``UC,URX`` ...) in lpdoctor's words."""
    if flags and flags != "-":
        parts = set(flags.split(","))
        if parts & _TIMEOUT_FLAGS:
            return Outcome.GATEWAY_TIMEOUT
        if parts & _CLIENT_FLAGS:
            return Outcome.CLIENT_CLOSED
        if parts & _UPSTREAM_FLAGS:
            return Outcome.UPSTREAM_CLOSED
    return outcome_from_status(status)


def _record(
    source: str,
    line_no: int,
    *,
    method: str | None,
    path: str | None,
    code: int | None,
    flags: str | None,
    duration_ms: float | None,
    upstream_ms: float | None,
    authority: str | None,
    start: float | None,
    client: str | None,
) -> RequestRecord:
    host, target = split_target(path) if path else (None, None)
    if authority and authority != "-":
        host = split_target(f"http://{authority}/")[0] or host
    duration = nonneg_seconds(duration_ms, 1000)
    flag_text = flags if flags and flags != "-" else None
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=target,
        status=code,
        duration_s=duration,
        outcome=outcome_for(flag_text, code),
        method=method if method and method != "-" else None,
        host=host,
        time=start + duration if start is not None and duration is not None else start,
        client=client,
        detail=flag_text,
        header_s=nonneg_seconds(upstream_ms, 1000),
    )


def parse_text_line(line: str, line_no: int, source: str) -> Parsed | None:
    """One Envoy default-format (or Istio) line → :class:`RequestRecord`, or None."""
    if len(line) > MAX_LINE or not line.startswith("["):
        return None
    m = _TEXT.match(line)
    if not m:
        return None
    return _record(
        source,
        line_no,
        method=m["method"],
        path=m["path"] if m["path"] != "-" else None,
        code=to_status(m["code"]),
        flags=m["flags"],
        duration_ms=to_float(m["dur"]),
        upstream_ms=to_float(m["ust"]),
        authority=m["authority"],
        start=parse_iso_time(m["start"]),
        client=first_client(m["xff"]),
    )


def _pick(obj: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = obj.get(key)
        if value is not None and value != "-":
            return value
    return None


def _text(value: object, limit: int = 16384) -> str | None:
    if isinstance(value, str) and value and len(value) <= limit:
        return value
    return None


def _address(value: object) -> str | None:
    text = _text(value, 256)
    if not text:
        return None
    host, sep, port = text.rpartition(":")
    return host.strip("[]") if sep and port.isdecimal() and host else text


# What parse_json_line reads of each key, for the compiled path (lpdoctor/scan/fastpath.py; roles as
# traefik_log.FAST_KEYS: "units" here milliseconds): (key, role, required, expected text). response_code and
# response_flags go in the group key as their bytes (the status, the outcome and the detail are functions of
# them). The upstream service time (header_s) and the client are not read (the aggregate reads neither).
FAST_KEYS: tuple[tuple[str, str, bool, str], ...] = (
    ("response_code", "key", True, ""),
    ("response_flags", "key", True, ""),
    ("method", "key", False, ""),
    ("path", "target", False, ""),
    ("authority", "key", False, ""),
    ("start_time", "start", False, ""),
    ("duration", "units", False, "ms"),
)
# The other keys _pick reads in place of a FAST_KEYS key. The compiled path gives them that key's role and
# variable: a line with one of them reads as the reader reads it (_pick takes the only one there; a "-" or null
# goes to Python), a line with two goes to Python (the reader's order, and its skipping "-" and null, decide).
FAST_ALIASES: dict[str, str] = {
    "x-envoy-origin-path": "path",
    "x-envoy-original-path": "path",
    "request_path": "path",
    ":authority": "authority",
    "host": "authority",
    "@timestamp": "start_time",
    "timestamp": "start_time",
}


def parse_json_line(line: str, line_no: int, source: str) -> Parsed | None:
    """One Envoy JSON access-log line → :class:`RequestRecord`, or None."""
    if len(line) > (1 << 20) or "response_flags" not in line:
        return None
    obj = load_json_object(line)
    if obj is None or "response_code" not in obj or "response_flags" not in obj:
        return None
    flags = _text(obj.get("response_flags"), 256)
    return _record(
        source,
        line_no,
        method=_text(obj.get("method"), 32),
        path=_text(_pick(obj, "path", "x-envoy-origin-path", "x-envoy-original-path", "request_path")),
        code=to_status(obj.get("response_code")),
        flags=flags,
        duration_ms=to_float(obj.get("duration")),
        upstream_ms=to_float(
            _pick(obj, "upstream_service_time", "x-envoy-upstream-service-time", "upstream-service-time")
        ),
        authority=_text(_pick(obj, "authority", ":authority", "host"), 1024),
        start=parse_iso_time(_text(_pick(obj, "start_time", "@timestamp", "timestamp"), 64)),
        client=first_client(_text(_pick(obj, "x_forwarded_for", "x-forwarded-for"), 4096))
        or _address(obj.get("downstream_remote_address")),
    )


def _text_parser() -> Any:
    return parse_text_line


def _json_parser() -> Any:
    return parse_json_line


# What the compiled path reads: Envoy's default line with nothing between the flags and the byte counts, and
# Istio's (ISTIO_LAYOUT, below); other lines (anything else between them or after the upstream host) are _TEXT's
# alone. _TEXT then matches it with no
# optional field (a test checks its values are this layout's, over 20 000 mutations): the four tokens before the
# first quote are the counts and times. The aggregate reads neither the client nor the upstream service time.
TEXT_LAYOUT = TextLayout(
    (
        TextField("[", "start", "iso_start", chars="[0-9T:.+Z-]", min=10, max=40),
        TextField('] "', "method", "method", chars="[A-Z0-9_-]", min=1, max=32),
        TextField(" ", "path", "target", chars="bare", min=1, max=16384),
        TextField(" ", "proto", "skip", chars="[A-Za-z0-9/._-]", min=1, max=16),
        # (its bytes in the group key, as the JSON line's response_code: code 0, a client gone, is read too)
        TextField('" ', "code", "key", chars="digits", min=1, max=3),
        TextField(" ", "flags", "key", chars="[A-Za-z,_-]", min=1, max=256),
        TextField(" ", "rx", "skip", chars="digits", min=1, max=20),
        TextField(" ", "tx", "skip", chars="digits", min=1, max=20),
        TextField(" ", "dur", "units", chars="digits", min=1, max=20, dash=True),
        TextField(" ", "ust", "skip", chars="digits", min=1, max=20, dash=True),
        TextField(' "', "xff", "skip", max=4096),
        TextField('" "', "ua", "skip", max=8192),
        TextField('" "', "request_id", "skip", max=1024),
        TextField('" "', "authority", "key", max=1024),
        TextField('" "', "upstream", "skip", max=1024),
    ),
    after='"',
    end="exact",
)

# Istio's default line (its proxies' meshConfig.accessLogFile): Envoy's fields with Istio's three between the flags
# and the byte counts (%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
# which _TEXT's optional group reads as two bare tokens and a quoted one, trying them first), then its fields after
# the upstream host (cluster, addresses, SNI, route name), which _TEXT does not read. Sources: Istio's
# "Envoy Access Logs" task and its mesh config reference (the default text format).
ISTIO_LAYOUT = TextLayout(
    (
        *TEXT_LAYOUT.fields[:6],
        TextField(" ", "details", "skip", chars="bare", min=1, max=512),
        TextField(" ", "termination", "skip", chars="bare", min=1, max=512),
        TextField(' "', "failure", "skip", max=1024),
        TextField('" ', "rx", "skip", chars="digits", min=1, max=20),
        *TEXT_LAYOUT.fields[7:],
        TextField('" ', "istio", "skip"),
    ),
    end="exact",
)

FORMATS: list[LogFormat] = [
    LogFormat(
        name="envoy-default",
        kind="access",
        has_timing=True,
        make_parser=_text_parser,
        fast="fields",
        layouts=(TEXT_LAYOUT, ISTIO_LAYOUT),
        priority=5,
        description="Envoy default access log format (also Istio's); DURATION in ms, RESPONSE_FLAGS",
        aliases=("envoy", "istio"),
    ),
    LogFormat(
        name="envoy-json",
        kind="access",
        has_timing=True,
        make_parser=_json_parser,
        fast="envoy",
        priority=5,
        description="Envoy JSON access log (Envoy Gateway, Istio, Contour key names)",
    ),
]
