"""nginx error logs: the lines that say why a request ended.

Layout (``ngx_http_request.c`` log handler)::

    2026/06/12 10:16:42 [error] 543#0: *664802 upstream timed out (110: Connection timed out) while reading
    response header from upstream, client: 203.0.113.7, server: example.org, request: "GET /p HTTP/1.1",
    upstream: "http://10.0.0.5:8000/p", host: "example.org"

Kinds recognised (see :class:`~lpdoctor.model.ErrorKind`): ``upstream timed out`` (504, the proxy's own read,
send or connect timeout), ``upstream prematurely closed connection`` (502, the upstream closed first),
``client prematurely closed connection`` / ``client closed connection`` (499, at ``[info]`` level),
``no live upstreams`` and ``upstream server temporarily disabled`` (what ``max_fails`` does after timeouts).
The timestamp has no time zone; it is read as UTC and only used to order events.
"""

from __future__ import annotations

import calendar
import re

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.model import ErrorEvent, ErrorKind

_PREFIX = re.compile(
    r"(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2}) \[([a-z]{1,8})\] \d{1,10}#\d{1,10}: (?:\*\d{1,20} )?(.{0,65536})"
)
_FIELD = re.compile(
    r', (client|server|request|upstream|host|referrer|subrequest): ("(?:[^"\\]|\\.){0,65536}"|[^,]{0,4096})'
)
_REQUEST = re.compile(r"([A-Z][A-Z_-]{0,19}) (\S{1,65536})(?: HTTP/[0-9.]{1,5})?")

_KINDS: tuple[tuple[str, ErrorKind], ...] = (
    ("upstream timed out", ErrorKind.UPSTREAM_TIMEOUT),
    ("upstream prematurely closed", ErrorKind.UPSTREAM_CLOSED),
    ("upstream sent no valid", ErrorKind.UPSTREAM_CLOSED),
    (
        "recv() failed (104: Connection reset by peer) while reading response header",
        ErrorKind.UPSTREAM_CLOSED,
    ),
    ("client prematurely closed", ErrorKind.CLIENT_CLOSED),
    ("client closed connection", ErrorKind.CLIENT_CLOSED),
    ("client timed out", ErrorKind.CLIENT_CLOSED),
    ("no live upstreams", ErrorKind.NO_LIVE_UPSTREAMS),
    ("upstream server temporarily disabled", ErrorKind.UPSTREAM_DISABLED),
    ("connect() failed", ErrorKind.CONNECT_FAILED),
)


# What the compiled scanner (shape "nginx_error") looks for, in this order: the fields (", client: ", where the
# request is), then the kinds, as _KINDS orders them. A line with the prefix and none of them is an event of kind
# "other" without a request, which the aggregate only times: the scanner counts and times it without a parse. A
# line with fields in the shape nginx writes them is grouped with the lines alike (the first of the kinds in its
# message, its action, host, server, route and hold); any other goes to this reader.
PYTHON_NEEDLES = (", client: ", *(needle for needle, _ in _KINDS))


def _unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        return v[1:-1]
    return v


def parse_error_line(line: str, line_no: int, source: str) -> Parsed | None:
    if len(line) > 200000:
        return None
    m = _PREFIX.match(line)
    if not m:
        return None
    y, mo, d, hh, mi, ss, level, rest = m.groups()
    try:
        time = float(calendar.timegm((int(y), int(mo), int(d), int(hh), int(mi), int(ss), 0, 0, 0)))
    except (ValueError, OverflowError):
        time = None
    cut = rest.find(", client: ")
    message = rest if cut < 0 else rest[:cut]
    fields: dict[str, str] = {}
    if cut >= 0:
        for fm in _FIELD.finditer(rest, cut):
            fields.setdefault(fm.group(1), _unquote(fm.group(2)))
    kind = ErrorKind.OTHER
    for needle, k in _KINDS:
        if needle in message:
            kind = k
            break
    action = None
    w = message.rfind(" while ")
    if w >= 0:
        action = message[w + 7 :]
    method = target = None
    if "request" in fields:
        rm = _REQUEST.fullmatch(fields["request"])
        if rm:
            method, target = rm.group(1), rm.group(2)
    return ErrorEvent(
        source=source,
        line=line_no,
        proxy="nginx",
        kind=kind,
        message=message,
        time=time,
        level=level,
        action=action,
        method=method,
        target=target,
        host=fields.get("host") or fields.get("server") or None,
        upstream=fields.get("upstream"),
        client=fields.get("client"),
    )


FORMATS: list[LogFormat] = [
    LogFormat(
        name="nginx-error",
        kind="error",
        has_timing=False,
        make_parser=lambda: parse_error_line,
        priority=10,
        fast="nginx_error",
        description="nginx error log",
    )
]
