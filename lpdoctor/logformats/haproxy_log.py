"""HAProxy ``option httplog`` lines, raw or behind a syslog header (RFC 3164 or RFC 5424).

The default HTTP log format (haproxy ``doc/configuration.txt`` §8.2.3)::

    %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r

A real line (haproxy 2.6.12, ``timeout server 1s``, backend holding 2 s; see
``tests/fixtures/proxies/haproxy/capture.sh``)::

    127.0.0.1:38454 [21/Nov/2026:20:09:44.590] fe_main be_app/app1 0/0/0/-1/1001 504 198 - - sH-- 1/1/0/0/0 0/0 "GET /hold?s=2 HTTP/1.1"

Timers are milliseconds; any of them is ``-1`` when its phase was never reached (``Tr`` -1: no response
headers came). Before 1.7 the five timers were ``Tq/Tw/Tc/Tr/Tt``; the layout is the same, so both read
alike, the last one being the duration. ``option logasap`` logs at the response headers and prefixes the
last timer and the byte count with ``+`` (a lower bound; for a long-poll, whose headers come at the end of
the hold, it is close to the hold).

The termination state (``%tsc``, 4 characters in HTTP mode) carries HAProxy's verdict: first character
who ended the session (``s`` server-side timeout, ``S`` server abort, ``c`` client-side timeout, ``C`` client
abort ...), second character in which phase (``H`` waiting for response headers, ``D`` data ...).

``option tcplog`` (``mode tcp``, §8.2.2) has no request, three timers and a 2-character state::

    %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq

A real line (haproxy 2.6.12, ``mode tcp``, ``timeout client 2s`` and ``timeout server 2s``, a silent
backend; tests/test_e2e_proxies.py)::

    127.0.0.1:59750 [06/Dec/2026:18:56:52.641] fe be/s1 1/0/2001 0 cD 3/3/2/2/0 0/0

In TCP mode both ``timeout client`` and ``timeout server`` are *idle* timers on the one stream: whichever
ends first closes a silent connection — ``cD`` or ``sD`` — and the client gets a FIN with no byte (an empty
reply, not a 504). Such a session becomes a record with no target, ``stream`` ``frontend/backend``, outcome
RESET and detail ``tcp cD`` (the words the analysis reads as HAProxy's own idle cut).

``%tr`` is HAProxy's local time without an offset: it is read as UTC unless an RFC 5424 (or ISO) syslog
header on the same line gives the offset. ``time`` is the end of the request (start + last timer).
"""

from __future__ import annotations

import re
from typing import Any

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.traefik_log import nonneg_seconds, parse_clf_time, parse_offset, split_request, to_status
from lpdoctor.model import HopKind, Outcome, RequestRecord, outcome_from_status

PROXY = "haproxy"

# The syslog header in front of the payload, when there is one. Every part is bounded.
_PREFIX = re.compile(
    r"(?:<\d{1,3}>)?"
    r"(?:"
    # RFC 5424: VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA
    r"1 (?P<ts5424>\S{1,64}) \S{1,255} \S{1,48} \S{1,128} \S{1,32} (?:-|(?:\[[^\]]{0,2048}\]){1,8}) "
    r"|"
    # RFC 3164 and syslog files: [TIMESTAMP ][HOSTNAME ]TAG[PID]:
    r"(?:(?:[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}|(?P<tsiso>\d{4}-\d{2}-\d{2}T\S{1,40})) )?"
    r"(?:\S{1,255} )?[^\s\[\]:]{1,64}(?:\[\d{1,10}\])?: "
    r")"
)

_HTTPLOG = re.compile(
    r"(?P<client>\S{1,64}):(?P<cport>\d{1,5}) "
    r"\[(?P<date>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\] "
    r"(?P<frontend>\S{1,128}) (?P<backend>[^\s/]{1,128})/(?P<server>\S{1,128}) "
    r"(?P<t_req>-?\d{1,10})/(?P<t_queue>-?\d{1,10})/(?P<t_connect>-?\d{1,10})/(?P<t_resp>-?\d{1,10})"
    r"/(?P<t_total>\+?-?\d{1,10}) "
    r"(?P<status>-?\d{1,4}) (?P<bytes>\+?-?\d{1,20}) (?P<cc>\S{1,512}) (?P<cs>\S{1,512}) "
    r"(?P<tsc>[A-Za-z-]{4}) "
    r"\+?\d{1,10}/\+?\d{1,10}/\+?\d{1,10}/\+?\d{1,10}/\+?\d{1,10} \d{1,10}/\d{1,10}"
    r"(?: \{(?P<hr>[^}]{0,8192})\})?(?: \{[^}]{0,8192}\})?"
    r' "(?P<request>[^"]{0,16384})'
)

# A captured Host header (by convention the first ``capture request header``): name or address, port.
_TCPLOG = re.compile(
    r"(?P<client>\S{1,64}):(?P<cport>\d{1,5}) "
    r"\[(?P<date>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)\] "
    r"(?P<frontend>\S{1,128}) (?P<backend>[^\s/]{1,128})/(?P<server>\S{1,128}) "
    r"(?P<t_queue>-?\d{1,10})/(?P<t_connect>-?\d{1,10})/(?P<t_total>\+?-?\d{1,10}) "
    r"(?P<bytes>\+?-?\d{1,20}) (?P<ts>[A-Za-z-]{2}) "
    r"\+?\d{1,10}/\+?\d{1,10}/\+?\d{1,10}/\+?\d{1,10}/\+?\d{1,10} \d{1,10}/\d{1,10}\Z"
)

_HOSTISH = re.compile(r"(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}))(?::\d{1,5})?")

MAX_LINE = 65536


def outcome_for(tsc: str, status: int | None) -> Outcome:
    """HAProxy's termination state (``sH--``, ``CD--`` ...) in lpdoctor's words."""
    cause, phase = tsc[0], tsc[1]
    if cause == "s" and phase in "HD":
        return Outcome.GATEWAY_TIMEOUT  # timeout server struck before headers / while streaming the body
    if cause == "S" and phase in "HD":
        return Outcome.UPSTREAM_CLOSED  # the server aborted or reset before headers / during the body
    if cause == "C" and phase in "QCHDL":
        # The client aborted while queued, connecting, waiting or reading. CR (a request never completed:
        # browser preconnects, scanners) stays with its status: it was never a held request.
        return Outcome.CLIENT_CLOSED
    if cause == "c" and phase in "HDL":
        return Outcome.CLIENT_CLOSED  # timeout client struck while the client was waiting or reading
    return outcome_from_status(status)


# A termination state whose first letter (the cause) says who ended the session: s HAProxy's own timeout server,
# S the server, c/C the client (its timeout client, or its abort).
_CAUSED = re.compile(r"[cCsS][A-Z-]{1,3}")
_CAUSE_HOP = {"s": HopKind.PROXY, "S": HopKind.SERVER, "c": HopKind.CLIENT, "C": HopKind.CLIENT}


def ended_by(tsc: str) -> HopKind | None:
    """Who ended a request, from its termination state (RequestRecord.ended_by); None: its outcome says."""
    return _CAUSE_HOP[tsc[0]] if _CAUSED.fullmatch(tsc) else None


def _ms(text: str) -> int:
    return int(text.lstrip("+"))


def _host_from_capture(capture: str | None) -> str | None:
    if not capture:
        return None
    m = _HOSTISH.fullmatch(capture.split("|", 1)[0])
    return m[1].lower() if m else None


def _match(line: str, layout: re.Pattern[str]) -> tuple[re.Match[str] | None, float]:
    """``layout`` matched on the raw line, or after a syslog header; with the UTC offset that header states
    (``%tr`` carries none; 0 when nothing says)."""
    if len(line) > MAX_LINE or "[" not in line:
        return None, 0.0
    m = layout.match(line)
    if m is not None:
        return m, 0.0
    p = _PREFIX.match(line)
    if p is None:
        return None, 0.0
    m = layout.match(line, p.end())
    if m is None:
        return None, 0.0
    stamp = p["ts5424"] or p["tsiso"]
    tz = re.search(r"(Z|[+-]\d{2}:?\d{2})\Z", stamp) if stamp else None
    return m, (parse_offset(tz[1]) if tz else 0.0)


def parse_line(line: str, line_no: int, source: str) -> Parsed | None:
    """One HAProxy httplog line → :class:`RequestRecord`, or None when it is not one."""
    m, offset = _match(line, _HTTPLOG)
    if m is None:
        return None
    tsc = m["tsc"]
    status = to_status(m["status"])
    total_ms = _ms(m["t_total"])
    duration = nonneg_seconds(float(total_ms), 1000)
    header = nonneg_seconds(float(_ms(m["t_resp"])), 1000)
    method, target, host = split_request(m["request"])
    start = parse_clf_time(m["date"], default_offset_s=offset)
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=target,
        status=status,
        duration_s=duration,
        outcome=outcome_for(tsc, status),
        method=method,
        host=host or _host_from_capture(m["hr"]),
        time=start + duration if start is not None and duration is not None else start,
        client=m["client"],
        detail=tsc,
        ended_by=ended_by(tsc),
        header_s=header,
    )


def tcp_outcome(ts: str) -> Outcome:
    """The 2-character state of a TCP session: an idle timer (``cD``/``sD``) closes with no reply."""
    if ts[0] in "cs" and ts[1] in "DC":
        return Outcome.RESET  # HAProxy closed a silent stream on timeout client/server: a FIN, no byte
    if ts[0] == "S":
        return Outcome.UPSTREAM_CLOSED
    if ts[0] == "C":
        return Outcome.CLIENT_CLOSED
    return Outcome.OK  # "--": the session ended normally


def parse_tcp_line(line: str, line_no: int, source: str) -> Parsed | None:
    """One HAProxy tcplog line → :class:`RequestRecord` (no target; ``stream`` frontend/backend), else None."""
    m, offset = _match(line, _TCPLOG)
    if m is None:
        return None
    duration = nonneg_seconds(float(_ms(m["t_total"])), 1000)
    start = parse_clf_time(m["date"], default_offset_s=offset)
    ts = m["ts"]
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=None,
        status=None,
        duration_s=duration,
        outcome=tcp_outcome(ts),
        time=start + duration if start is not None and duration is not None else start,
        client=m["client"],
        detail=f"tcp {ts}",
        # timeout client or timeout server closed a silent stream: HAProxy's own idle timers
        ended_by=HopKind.PROXY if ts[0] in "cs" else None,
        stream=f"{m['frontend']}/{m['backend']}",
    )


def _parser() -> Any:
    return parse_line


def _tcp_parser() -> Any:
    return parse_tcp_line


FORMATS: list[LogFormat] = [
    LogFormat(
        name="haproxy-httplog",
        kind="access",
        has_timing=True,
        make_parser=_parser,
        priority=5,
        description="HAProxy option httplog (TR/Tw/Tc/Tr/Ta or legacy Tq/Tw/Tc/Tr/Tt), raw or syslog",
        aliases=("haproxy",),
        fast="haproxy",
    ),
    LogFormat(
        name="haproxy-tcplog",
        kind="access",
        has_timing=True,
        make_parser=_tcp_parser,
        priority=5,
        description="HAProxy option tcplog (mode tcp: Tw/Tc/Tt, 2-character state), raw or syslog",
        aliases=("haproxy-tcp",),
        fast="haproxy_tcp",
    ),
]
