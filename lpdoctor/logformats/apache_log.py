"""Apache httpd: access logs that carry the request time (``%D``, ``%T/%D``) and the 2.2/2.4 error log.

**Access.** Apache's ``common``/``combined`` layouts are byte-for-byte nginx's ``combined`` (nginx copied
them), so a plain Apache access log cannot be told from an nginx one and carries no timing anyway: those
files are left to the nginx reader. This reader only claims lines that end in a request time written the
way Apache writes it, an integer (``%D``, microseconds) or ``%T/%D`` (seconds/microseconds), the two common
recipes (``LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D"``). nginx writes
``$request_time`` with a decimal point (``0.123``), so it does not match; an nginx format that ends in an
integer (``$request_length``) still would: see the priority note in ``FORMATS``.
A trailing ``%{ms}T`` or a bare ``%T`` cannot be told from ``%D`` and would be misread as microseconds.
A ``%v:%p`` prefix (Debian's ``vhost_combined``) gives the host. ``%t`` is when the request arrived, so
``time`` is that plus the duration (the end, as for the other readers).

A ``ProxyTimeout`` at Apache shows as **502**, not 504 (reproduced on 2.4.71, research/timeouts.md), so a
502 here reads as UPSTREAM_CLOSED; the error log (AH01102 with ``(70007)``) tells the timeouts apart.

**Error log.** The 2.4 default ``ErrorLogFormat``::

    [Fri Jun 12 10:16:12.301234 2026] [proxy_http:error] [pid 1234:tid 140234] (70007)The timeout specified
    has expired: [client 203.0.113.7:51544] AH01102: error reading status line from remote server 127.0.0.1:9002
    [Fri Jun 12 10:16:12.301456 2026] [proxy:error] [pid 1234:tid 140234] [client 203.0.113.7:51544]
    AH00898: Error reading from remote server returned by /d/hold

(each one line). AH01102 names the upstream and, through the APR error in parentheses, the cause: 70007
``APR_TIMEUP`` is a timeout, anything else (``(20014)Internal error``, ``(104)Connection reset by peer``) a
close. The AH00898 line that follows in the same thread names the request path; it takes the kind of the
AH01102 before it. Both become :class:`ErrorEvent`; other well-formed lines become kind OTHER. Error-log
times have no offset and are read as UTC.
"""

from __future__ import annotations

import calendar
import re
from typing import Any

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.traefik_log import nonneg_seconds, parse_clf_time, parse_iso_time, split_request, to_status
from lpdoctor.model import ErrorEvent, ErrorKind, RequestRecord, outcome_from_status

PROXY = "apache"
MAX_LINE = 65536

# A quoted field as Apache writes it: '"' and '\' are backslash-escaped. Each character can only match
# one branch, so this cannot backtrack badly.
_QUOTED = r'"(?:[^"\\]|\\.){0,16384}"'

_ACCESS = re.compile(
    r"(?:(?P<vhost>[A-Za-z0-9._-]{1,253}):(?P<vport>\d{1,5}) )?"
    r"(?P<client>\S{1,256}) \S{1,256} \S{1,256} "
    r"\[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "
    r'"(?P<request>(?:[^"\\]|\\.){0,16384})" (?P<status>\d{3}|-) (?P<size>\d{1,20}|-)'
    r"(?: " + _QUOTED + " " + _QUOTED + ")?"  # "%{Referer}i" "%{User-Agent}i" (combined)
    r" (?:(?P<secs>\d{1,12})/)?(?P<micros>\d{1,18})"  # %D or %T/%D
)


def parse_access_line(line: str, line_no: int, source: str) -> Parsed | None:
    """One Apache access line ending in ``%D`` or ``%T/%D`` → :class:`RequestRecord`, else None."""
    if len(line) > MAX_LINE or not line[-1:].isdecimal():
        return None
    m = _ACCESS.fullmatch(line)
    if not m:
        return None
    method, target, host = split_request(m["request"].replace('\\"', '"'))
    status = to_status(m["status"])
    duration = nonneg_seconds(float(m["micros"]), 1e6)
    start = parse_clf_time(m["time"])
    vhost = m["vhost"].lower() if m["vhost"] else None
    return RequestRecord(
        source=source,
        line=line_no,
        proxy=PROXY,
        target=target,
        status=status,
        duration_s=duration,
        outcome=outcome_from_status(status),
        method=method,
        host=vhost or host,
        time=start + duration if start is not None and duration is not None else start,
        client=m["client"] if m["client"] != "-" else None,
    )


# --- error log ------------------------------------------------------------------------------------

_ERROR = re.compile(
    r"\[(?P<time>[A-Z][a-z]{2} (?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<hms>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<frac>\d{1,6}))? (?P<year>\d{4})"
    r"|(?P<iso>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?))\] "
    r"\[(?:(?P<module>[A-Za-z0-9_]{1,64}):)?"
    r"(?P<level>emerg|alert|crit|error|warn|notice|info|debug|trace[1-8])\] "
    r"(?:\[pid (?P<pid>\d{1,10})(?::tid (?P<tid>\d{1,25}))?\] )?"
)
_ERRNO = re.compile(r"\((?:OS )?(\d{1,10})\)([^:]{0,256}): ")
_CLIENT = re.compile(r"\[(?:client|remote) ([^\]\s]{1,256})\] ")
_STATUS_LINE = re.compile(r"error reading status line from remote server (\S{1,512})")
_RETURNED_BY = re.compile(r"(?:AH00898|proxy): (.{1,512}?) returned by (\S{1,8192})")
_CONNECT = re.compile(
    r"attempt to connect to (\S{1,512}) .{0,512}failed|failed to make connection to backend: (\S{1,512})"
)
_DISABLED = re.compile(r"disabling worker for \((\S{1,512})\)")
_TIMEUP = "70007"  # APR_TIMEUP: "The timeout specified has expired"
_MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}


def _error_time(m: re.Match[str]) -> float | None:
    if m["iso"]:
        return parse_iso_time(m["iso"])
    month = _MONTHS.get(m["mon"])
    if month is None:
        return None
    hour, minute, second = (int(x) for x in m["hms"].split(":"))
    year, day = int(m["year"]), int(m["day"])
    if not (1970 <= year <= 9999 and 1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    if hour > 23 or minute > 59 or second > 60:
        return None
    value = float(calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)))
    if m["frac"]:
        value += int(m["frac"]) / 10 ** len(m["frac"])
    return value


class ApacheErrorParser:
    """Parses Apache error-log lines; remembers each thread's last AH01102 to classify its AH00898."""

    MAX_PENDING = 4096

    def __init__(self) -> None:
        self._pending: dict[tuple[str | None, str | None, str | None], ErrorKind] = {}

    def __call__(self, line: str, line_no: int, source: str) -> Parsed | None:
        if len(line) > MAX_LINE or not line.startswith("["):
            return None
        head = _ERROR.match(line)
        if head is None:
            return None
        rest = line[head.end() :]
        errno = _ERRNO.search(rest, 0, 1024)  # 2.4 puts it before [client ...], 2.2 after
        cause = errno[1] if errno else None
        client_m = _CLIENT.search(rest, 0, 1024)
        client = client_m[1] if client_m else None
        message = rest[: client_m.start()] + rest[client_m.end() :] if client_m else rest
        message = message.split(", referer: ", 1)[0]
        key = (head["pid"], head["tid"], client)
        kind = ErrorKind.OTHER
        upstream = target = action = None

        if sm := _STATUS_LINE.search(rest):
            kind = ErrorKind.UPSTREAM_TIMEOUT if cause == _TIMEUP else ErrorKind.UPSTREAM_CLOSED
            upstream = sm[1].rstrip(",")
            action = "reading status line from remote server"
            if len(self._pending) >= self.MAX_PENDING:
                self._pending.clear()
            self._pending[key] = kind
        elif rb := _RETURNED_BY.search(rest):
            reason, target = rb[1], rb[2].rstrip(",")
            if "timeout" in reason.lower():
                kind = ErrorKind.UPSTREAM_TIMEOUT
            else:
                kind = self._pending.pop(key, ErrorKind.UPSTREAM_CLOSED)
            action = reason
        elif "error reading response" in rest:
            kind = ErrorKind.UPSTREAM_TIMEOUT if cause == _TIMEUP else ErrorKind.UPSTREAM_CLOSED
            action = "reading response"
        elif cm := _CONNECT.search(rest):
            kind = ErrorKind.CONNECT_FAILED
            upstream = cm[1] or cm[2]
        elif dm := _DISABLED.search(rest):
            kind = ErrorKind.UPSTREAM_DISABLED
            upstream = dm[1]
        elif "All workers are in error state" in rest:
            kind = ErrorKind.NO_LIVE_UPSTREAMS

        return ErrorEvent(
            source=source,
            line=line_no,
            proxy=PROXY,
            kind=kind,
            message=message[:2048],
            time=_error_time(head),
            level=head["level"],
            action=action,
            target=target,
            upstream=upstream,
            client=client,
        )


def _access_parser() -> Any:
    return parse_access_line


def _error_parser() -> Any:
    return ApacheErrorParser()


FORMATS: list[LogFormat] = [
    LogFormat(
        name="apache-combined-D",
        kind="access",
        has_timing=True,
        make_parser=_access_parser,
        # The layout is nginx's combined, which nginx-combined (priority 10, no timing) also accepts with
        # any tail: ranking below it would read every Apache %D log as untimed nginx. A trailing integer
        # is never nginx's $request_time (always "0.123"), so rank above nginx-combined and below the
        # nginx formats that read timing (nginx-timing 20, nginx-kv 25, nginx-json 30, log_format 100).
        priority=15,
        description='Apache common/combined (optionally "%v:%p " first) ending in %D or %T/%D',
        aliases=("apache-access", "apache"),
        fast="apache",
    ),
    LogFormat(
        name="apache-error",
        kind="error",
        has_timing=False,
        make_parser=_error_parser,
        priority=5,
        description="Apache httpd 2.2/2.4 error log (mod_proxy AH01102/AH00898 ...)",
    ),
]
