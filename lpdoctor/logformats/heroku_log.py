"""Heroku router lines (``heroku logs``, log drains, Papertrail-style syslog), in logfmt.

A real line (miguelgrinberg/Flask-SocketIO#974)::

    2019-05-15T22:42:42.334662+00:00 heroku[router]: at=error code=H12 desc="Request timeout" method=GET
    path="/socket.io/?EIO=3&transport=polling&t=MgzgGQD&sid=2c4d..." host=mypage.herokuapp.com
    request_id=d9e26fe7-... fwd="186.22.250.42" dyno=web.1 connect=1ms service=30001ms status=503
    bytes=0 protocol=http

(one line). The router gives the app 30 s to send the first byte, then a rolling 55 s window
(https://devcenter.heroku.com/articles/request-timeout). ``connect`` + ``service`` is the duration; the
line is written when the request ends, so its timestamp is ``time``.

Error codes (https://devcenter.heroku.com/articles/error-codes) become outcomes: H12 "Request timeout" and
H15 "Idle connection" → GATEWAY_TIMEOUT (the router answers 503); H13 "Connection closed without response"
and H18 "Server Request Interrupted" → UPSTREAM_CLOSED; H27 "Client Request Interrupted" →
CLIENT_CLOSED. Other lines go by their status. The code is kept as ``detail``.
"""

from __future__ import annotations

import re
from typing import Any

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.layout import TextField, TextLayout
from lpdoctor.logformats.traefik_log import first_client, parse_iso_time, split_target, to_status
from lpdoctor.model import Outcome, RequestRecord, outcome_from_status

PROXY = "heroku"
MAX_LINE = 65536

# Where the router's message starts: "heroku[router]: " (heroku logs), "heroku/router: " (syslog
# forwarders), or an RFC 5424 header with app "heroku" and proc "router" (log drains).
_MARKER = re.compile(r"heroku\[router\]: |heroku/router: | heroku router - ")
_STAMP = re.compile(r"(?:\d{1,6} )?(?:<\d{1,3}>1 )?(\d{4}-\d{2}-\d{2}T[0-9:.]{8,20}(?:Z|[+-]\d{2}:?\d{2})?) ")
_KV = re.compile(r'([A-Za-z_][A-Za-z0-9_.-]{0,63})=("(?:[^"\\]|\\.){0,16384}"|[^\s"]{0,16384})')
_MS = re.compile(r"(\d{1,12})ms")

_OUTCOMES = {
    "H12": Outcome.GATEWAY_TIMEOUT,
    "H15": Outcome.GATEWAY_TIMEOUT,
    "H13": Outcome.UPSTREAM_CLOSED,
    "H18": Outcome.UPSTREAM_CLOSED,
    "H27": Outcome.CLIENT_CLOSED,
}


def _ms(text: str | None) -> int | None:
    m = _MS.fullmatch(text) if text else None
    return int(m[1]) if m else None


def parse_line(line: str, line_no: int, source: str) -> Parsed | None:
    """One Heroku router line → :class:`RequestRecord`, or None when it is not one."""
    if len(line) > MAX_LINE:
        return None
    marker = _MARKER.search(line, 0, 400)
    if marker is None:
        return None
    fields: dict[str, str] = {}
    for count, kv in enumerate(_KV.finditer(line, marker.end())):
        if count >= 64:  # the router writes about 15; a bound keeps hostile lines cheap
            break
        value = kv[2]
        if value.startswith('"'):
            value = value[1:-1].replace('\\"', '"')
        fields.setdefault(kv[1], value)
    # Every router line has at= and a status or an error code; H15 lines may lack method and path.
    if "at" not in fields or not ("status" in fields or "code" in fields):
        return None
    if not ("path" in fields or "method" in fields or "dyno" in fields):
        return None
    stamp = _STAMP.match(line)
    connect, service = _ms(fields.get("connect")), _ms(fields.get("service"))
    duration = None if connect is None and service is None else ((connect or 0) + (service or 0)) / 1000
    status = to_status(fields.get("status"))
    code = fields.get("code")
    code = code if code and len(code) <= 8 else None
    outcome = _OUTCOMES.get(code or "", outcome_from_status(status))
    host, target = split_target(fields["path"]) if fields.get("path") else (None, None)
    method = fields.get("method")
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=target or None,
        status=status,
        duration_s=duration,
        outcome=outcome,
        method=method if method and len(method) <= 32 else None,
        host=(fields.get("host") or "").lower()[:300] or host,
        time=parse_iso_time(stamp[1]) if stamp else None,
        client=first_client(fields.get("fwd")),
        detail=code,
    )


def _parser() -> Any:
    return parse_line


# What the compiled path reads: the router's at=info line with its fields in the order the router writes them
# (heroku logs; the samples and Heroku's docs), which parse_line reads field by field (its logfmt values are
# exactly these fields' text: a bare value has no blank or quote, a quoted one no escape), and its at=error line
# (ERROR_LAYOUT, below). Any other line (an H15 line without a request, a syslog or drain header, another order,
# an escape) is parse_line's alone. The aggregate does not read the client, so fwd is not read.
INFO_LAYOUT = TextLayout(
    (
        TextField("", "time", "iso_utc", chars="token", min=20, max=36),
        TextField(" heroku[router]: at=info method=", "method", "key", chars="bare", min=1, max=32),
        TextField(' path="', "path", "target", chars="quoted", min=1, max=16384),
        TextField('" host=', "host", "key", chars="bare", max=300),
        TextField(" request_id=", "request_id", "skip", chars="bare", max=16384),
        TextField(' fwd="', "fwd", "skip", chars="quoted", max=16384),
        TextField('" dyno=', "dyno", "skip", chars="bare", max=16384),
        TextField(" connect=", "connect", "ms_sum", chars="digits", min=1, max=12),
        TextField("ms service=", "service", "ms_sum", chars="digits", min=1, max=12),
        TextField("ms status=", "status", "status", chars="digits", min=3, max=3),
        TextField(" bytes=", "bytes", "skip", chars="bare", max=16384),
        TextField(" protocol=", "protocol", "skip", chars="bare", max=16384),
    ),
    end="exact",
)

# The router's error line for a request it cut or that ended without an answer (H12 its 30 s timeout, H13, H18,
# H27 ...): the at=info fields after the code and its description. The code is in the group key (it decides the
# outcome and is the record's detail); a code over 8 characters, which the reader drops, is the reader's.
ERROR_LAYOUT = TextLayout(
    (
        INFO_LAYOUT.fields[0],
        TextField(" heroku[router]: at=error code=", "code", "key", chars="bare", min=1, max=8),
        TextField(' desc="', "desc", "skip", chars="quoted", max=16384),
        TextField('" method=', "method", "key", chars="bare", min=1, max=32),
        *INFO_LAYOUT.fields[2:],
    ),
    end="exact",
)


FORMATS: list[LogFormat] = [
    LogFormat(
        name="heroku-router",
        kind="access",
        has_timing=True,
        make_parser=_parser,
        fast="fields",
        layouts=(INFO_LAYOUT, ERROR_LAYOUT),
        priority=5,
        description="Heroku router logfmt lines (connect/service in ms, H12/H13/H15/H18 codes)",
        aliases=("heroku",),
    ),
]
