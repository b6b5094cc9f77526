"""AWS Application Load Balancer access logs (and Classic ELB ones, which lack the leading ``type``).

Space-separated, strings in double quotes; AWS appends fields over time, so the known prefix is read by
position and anything after it is tolerated (https://docs.aws.amazon.com/elasticloadbalancing/latest/
application/load-balancer-access-logs.html)::

    type time elb client:port target:port request_processing_time target_processing_time
    response_processing_time elb_status_code target_status_code received_bytes sent_bytes "request"
    "user_agent" ssl_cipher ssl_protocol target_group_arn "trace_id" "domain_name" "chosen_cert_arn"
    matched_rule_priority request_creation_time "actions_executed" "redirect_url" "error_reason" ...

The three processing times are seconds, ``-1`` when the load balancer could not dispatch the request or
the target did not answer before the idle timeout (``target_status_code`` is ``-`` then). ``time`` is when
the load balancer answered, ``request_creation_time`` when the request arrived: their difference is the
client-side duration. Without ``request_creation_time`` (older logs, Classic ELB) the duration is the sum
of the processing times when none is -1, else unknown.

``elb_status_code`` is what the client got: 460 (the client closed first) → CLIENT_CLOSED, 504 (the target
did not answer within the idle timeout, ``target_processing_time`` -1) → GATEWAY_TIMEOUT, 502 →
UPSTREAM_CLOSED. ``target_processing_time`` (time until the target's response headers began) becomes
``header_s``; ``error_reason`` becomes ``detail``.
"""

from __future__ import annotations

import re
from typing import Any

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.traefik_log import nonneg_seconds, parse_iso_time, split_request, to_float, to_status
from lpdoctor.model import RequestRecord, outcome_from_status

PROXY = "aws-alb"
MAX_LINE = 65536

_NUM = r"-?\d{1,10}(?:\.\d{1,9})?"
_LINE = re.compile(
    r"(?:(?P<type>https?|h2|grpcs?|wss?) )?"
    r"(?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z) "
    r"(?P<elb>[^\s\"]{1,256}) (?P<client>[^\s\"]{1,64}|-) (?P<target>[^\s\"]{1,300}|-) "
    rf"(?P<req_t>{_NUM}) (?P<target_t>{_NUM}) (?P<resp_t>{_NUM}) "
    r"(?P<elb_status>\d{3}|-) (?P<target_status>\d{3}|-) (?P<rx>\d{1,20}|-) (?P<tx>\d{1,20}|-) "
    r'"(?P<request>[^"]{0,16384})"'
    r'(?: "(?P<ua>[^"]{0,8192})"(?P<rest> .{0,16384})?)?'
)
# The rest: one field per token, a token being a quoted string or a run of non-space characters.
_TOKEN = re.compile(r'"([^"]{0,8192})"|([^\s"]{1,8192})')
# Positions in the rest (0 = ssl_cipher) of the fields lpdoctor uses.
_DOMAIN, _CREATED, _ERROR_REASON = 4, 7, 10


def _client(text: str) -> str | None:
    if text == "-":
        return None
    host, sep, port = text.rpartition(":")
    return host if sep and port.isdecimal() and host else text


def parse_line(line: str, line_no: int, source: str) -> Parsed | None:
    """One ALB (or Classic ELB) access-log line → :class:`RequestRecord`, or None."""
    if len(line) > MAX_LINE:
        return None
    m = _LINE.match(line)
    if not m:
        return None
    rest: list[str] = []
    if m["rest"]:
        for tok in _TOKEN.finditer(m["rest"]):
            rest.append(tok[1] if tok[1] is not None else tok[2])
            if len(rest) > _ERROR_REASON:
                break

    def field(i: int) -> str | None:
        value = rest[i] if i < len(rest) else None
        return value if value and value != "-" else None

    times = [to_float(m[k]) for k in ("req_t", "target_t", "resp_t")]
    end = parse_iso_time(m["time"])
    created = parse_iso_time(field(_CREATED))
    duration: float | None = None
    if end is not None and created is not None and end >= created:
        duration = round(end - created, 6)  # both carry microseconds
    elif all(t is not None and t >= 0 for t in times):
        duration = nonneg_seconds(round(sum(t for t in times if t is not None), 6), 1)

    status = to_status(m["elb_status"])
    target_t = times[1]
    # 460 → CLIENT_CLOSED, 502 → UPSTREAM_CLOSED, 504 (target_processing_time -1: no answer within the
    # idle timeout) → GATEWAY_TIMEOUT: the generic mapping already speaks ALB.
    outcome = outcome_from_status(status)

    method, target, host = split_request(m["request"])
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=target,
        status=status,
        duration_s=duration,
        outcome=outcome,
        method=method,
        host=(field(_DOMAIN) or "").lower() or host,
        time=end,
        client=_client(m["client"]),
        detail=field(_ERROR_REASON),
        header_s=nonneg_seconds(target_t, 1),
    )


def _parser() -> Any:
    return parse_line


FORMATS: list[LogFormat] = [
    LogFormat(
        name="aws-alb",
        kind="access",
        has_timing=True,
        make_parser=_parser,
        priority=5,
        description="AWS ALB / Classic ELB access log (processing times in seconds, -1 on failure)",
        aliases=("alb", "aws-elb", "elb"),
        fast="alb",
    ),
]
