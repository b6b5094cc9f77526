"""Caddy v2 JSON access logs (logger ``http.log.access...``, message ``handled request``).

A real line (from the eris project's sample messages, syslog-wrapped, headers shortened here)::

    Jul  4 23:37:51 app2 caddy[2140]: {"level":"info","ts":1751672271.1656768,
    "logger":"http.log.access.log7","msg":"handled request","request":{"remote_ip":"172.69.176.57",
    "remote_port":"44552","client_ip":"172.69.176.57","proto":"HTTP/2.0","method":"GET",
    "host":"skepticampdc.org","uri":"/","headers":{...}},"bytes_read":0,"user_id":"",
    "duration":0.000712397,"size":1642,"status":200,"resp_headers":{...}}

``duration`` is float seconds by default. Caddy can be told to write it in nanoseconds (an integer) or as a
Go duration string (``"1.5s"``): an integer of 1000 or more is read as nanoseconds (no request lasts 1000 s
with a whole-second duration, none lasts under 1 µs), a string as a Go duration. ``ts`` is when the line was
written (the end of the request): float epoch seconds, or a string with ``time_format iso8601``.

``reverse_proxy`` answers 504 when the upstream timed out, 499 when the client went away and 502 for other
upstream failures (``modules/caddyhttp/reverseproxy/reverseproxy.go`` ``statusError``). Caddy 2.6.2 logs a
client that went away during a hold as ``"status":0`` (measured: a client whose read timeout ends before the
upstream answers; nothing was written to it), so status 0 reads as CLIENT_CLOSED here, detail ``status 0``.

**Runtime log.** Caddy's default logger (stderr, or the global ``log { output file ... }``) gets one JSON
entry per failed proxied request from logger ``http.log.error[.<name>]`` (measured on 2.6.2)::

    {"level":"error","ts":1796583380.677615,"logger":"http.log.error.log0",
    "msg":"read tcp 127.0.0.1:48474->127.0.0.1:34157: i/o timeout","request":{...,"uri":"/sync?timeout=8000"},
    "duration":2.004652532,"status":504,"err_id":"iahmmh64h","err_trace":"reverseproxy.statusError (...)"}

``i/o timeout`` is ``transport http { read_timeout }``, ``net/http: timeout awaiting response headers`` is
``response_header_timeout``, ``context canceled`` the client leaving, ``EOF`` / ``connection reset`` the
upstream closing, ``dial tcp`` / ``connection refused`` a failed connect, ``no upstreams available`` every
upstream down. These become :class:`ErrorEvent` s (``action`` names the Caddy setting when it is a timer);
every other well-formed runtime entry is kind OTHER, so the whole file reads as Caddy's.
"""

from __future__ import annotations

from typing import Any

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.traefik_log import (
    load_json_object,
    nonneg_seconds,
    parse_iso_time,
    split_target,
    to_float,
    to_status,
)
from lpdoctor.model import ErrorEvent, ErrorKind, Outcome, RequestRecord, outcome_from_status
from lpdoctor.text.durations import DurationError, parse_duration

PROXY = "caddy"
MAX_LINE = 1 << 20


def _duration(value: object) -> float | None:
    if isinstance(value, str):
        try:
            return parse_duration(value, default_unit="s")
        except DurationError:
            return None
    number = to_float(value)
    if isinstance(value, int) and number is not None and number >= 1000:
        return nonneg_seconds(number, 1e9)
    return nonneg_seconds(number, 1)


def _time(value: object) -> float | None:
    if isinstance(value, str):
        return parse_iso_time(value)
    number = to_float(value)
    return number if number is not None and 0 <= number < 1e11 else None


def _str(value: object, limit: int = 65536) -> str | None:
    return value if isinstance(value, str) and value and len(value) <= limit else None


# What parse_line reads of each key, for the compiled path (lpdoctor/scan/fastpath.py; roles as
# nginx_access.FAST_ROLES, plus "object" (a nested object, its keys named "request.uri"), "target" (a request
# target alone), "equals"/"prefix" (a string parse_line checks: the expected text), "seconds" (a number of
# seconds; an integer of 1000 or more, nanoseconds, or a string, a Go duration, go to Python) and "epoch" (epoch
# seconds, a number)): (key, role, required, expected text). Keys are matched as they are (obj.get).
FAST_KEYS: tuple[tuple[str, str, bool, str], ...] = (
    ("msg", "equals", True, "handled request"),
    ("logger", "prefix", False, "http.log.access"),
    ("request", "object", True, ""),
    ("request.uri", "target", True, ""),
    ("request.host", "key", False, ""),
    ("request.method", "key", False, ""),
    ("status", "status", True, ""),
    ("duration", "seconds", True, ""),
    ("ts", "epoch", False, ""),
)


def parse_line(line: str, line_no: int, source: str) -> Parsed | None:
    """One Caddy access-log JSON line → :class:`RequestRecord`, or None when it is not one."""
    if len(line) > MAX_LINE or "handled request" not in line:
        return None
    obj = load_json_object(line)
    if obj is None or obj.get("msg") != "handled request":
        return None
    logger = obj.get("logger")
    request = obj.get("request")
    if not isinstance(request, dict) or (isinstance(logger, str) and not logger.startswith("http.log.access")):
        return None
    if "status" not in obj or "duration" not in obj:
        return None
    status = to_status(obj.get("status"))
    uri = _str(request.get("uri"))
    host, target = split_target(uri) if uri else (None, None)
    req_host = _str(request.get("host"), 300)
    if req_host:
        host = split_target(f"http://{req_host}/")[0] or host
    raw_status = obj.get("status")
    gone = status is None and isinstance(raw_status, int) and not isinstance(raw_status, bool) and raw_status == 0
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=target,
        status=status,
        duration_s=_duration(obj.get("duration")),
        outcome=Outcome.CLIENT_CLOSED if gone else outcome_from_status(status),
        detail="status 0" if gone else None,
        method=_str(request.get("method"), 32),
        host=host,
        time=_time(obj.get("ts")),
        client=_str(request.get("client_ip"), 256) or _str(request.get("remote_ip"), 256),
    )


# What Caddy's (Go's) error text says, first match wins: (substring, kind, the Caddy timer it names).
_ERROR_WORDS: tuple[tuple[str, ErrorKind, str | None], ...] = (
    ("timeout awaiting response headers", ErrorKind.UPSTREAM_TIMEOUT, "response_header_timeout"),
    ("i/o timeout", ErrorKind.UPSTREAM_TIMEOUT, "read_timeout"),
    ("context deadline exceeded", ErrorKind.UPSTREAM_TIMEOUT, None),
    ("context canceled", ErrorKind.CLIENT_CLOSED, None),
    ("no upstreams available", ErrorKind.NO_LIVE_UPSTREAMS, None),
    ("connection refused", ErrorKind.CONNECT_FAILED, None),
    ("dial tcp", ErrorKind.CONNECT_FAILED, None),
    ("EOF", ErrorKind.UPSTREAM_CLOSED, None),
    ("connection reset", ErrorKind.UPSTREAM_CLOSED, None),
    ("broken pipe", ErrorKind.UPSTREAM_CLOSED, None),
)
_LEVELS = frozenset(("debug", "info", "warn", "error", "dpanic", "panic", "fatal"))
_ERROR_LOGGER = "http.log.error"
_MESSAGE_CHARS = 2048

# What parse_runtime_line reads of each key, for the compiled path (roles as FAST_KEYS, plus "one_of" (a string
# that must be one of the '|'-separated words), "needles" (a string keyed by the first of the '|'-separated
# words it holds, in _ERROR_WORDS' order) and "prefix_flag" (whether a string starts with the text)). A line from
# a logger other than _ERROR_LOGGER adds only its time; one from it with a request target is grouped.
RUNTIME_FAST_KEYS: tuple[tuple[str, str, bool, str], ...] = (
    ("level", "one_of", True, "|".join(sorted(_LEVELS))),
    ("ts", "epoch", True, ""),
    ("msg", "needles", True, "|".join(words for words, _, _ in _ERROR_WORDS)),
    ("logger", "prefix_flag", False, _ERROR_LOGGER),
    ("request", "object", False, ""),
    ("request.uri", "target", False, ""),
    ("request.host", "key", False, ""),
)


def parse_runtime_line(line: str, line_no: int, source: str) -> Parsed | None:
    """One entry of Caddy's runtime (default) log → :class:`ErrorEvent`, or None when it is not one.

    Access entries ("handled request") are left to :func:`parse_line`."""
    if len(line) > MAX_LINE or '"ts"' not in line or "handled request" in line:
        return None
    obj = load_json_object(line)
    if obj is None or "ts" not in obj or not isinstance(obj.get("msg"), str):
        return None
    level = obj.get("level")
    if not isinstance(level, str) or level not in _LEVELS:
        return None
    message = obj["msg"][:_MESSAGE_CHARS]
    logger = obj.get("logger")
    request = obj.get("request")
    kind, action, target, host, method, client = ErrorKind.OTHER, None, None, None, None, None
    if isinstance(logger, str) and logger.startswith(_ERROR_LOGGER) and isinstance(request, dict):
        uri = _str(request.get("uri"))
        host, target = split_target(uri) if uri else (None, None)
        req_host = _str(request.get("host"), 300)
        if req_host:
            host = split_target(f"http://{req_host}/")[0] or host
        method = _str(request.get("method"), 32)
        client = _str(request.get("client_ip"), 256) or _str(request.get("remote_ip"), 256)
        for words, found, setting in _ERROR_WORDS:
            if words in message:
                kind, action = found, setting
                break
    return ErrorEvent(
        source=source,
        line=line_no,
        proxy=PROXY,
        kind=kind,
        message=message,
        time=_time(obj.get("ts")),
        level=level,
        action=action,
        method=method,
        target=target,
        host=host,
        client=client,
    )


def _parser() -> Any:
    return parse_line


def _runtime_parser() -> Any:
    return parse_runtime_line


FORMATS: list[LogFormat] = [
    LogFormat(
        name="caddy-json",
        kind="access",
        has_timing=True,
        make_parser=_parser,
        fast="caddy",
        priority=5,
        description='Caddy v2 JSON access log ("handled request"); duration in seconds',
        aliases=("caddy",),
    ),
    LogFormat(
        name="caddy-runtime",
        kind="error",
        has_timing=False,
        make_parser=_runtime_parser,
        priority=3,
        description="Caddy v2 runtime log (JSON; reverse_proxy errors from http.log.error)",
        aliases=("caddy-error",),
        fast="caddy_runtime",
    ),
]
