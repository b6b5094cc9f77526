"""Sōzu's ASCII access log (``INFO-ACCESS`` / ``ERROR-ACCESS``) and the few Sōzu ``ERROR`` lines that matter.

Layout of an access line since Sōzu 1.1 / 2.x (``\\t`` is a real TAB; ``INFO-ACCESS`` carries a trailing space,
so two spaces separate it from the tag)::

    {now} {precise_time} {pid} {LEVEL} {tag}\\t[{session} {request} {cluster} {backend}] {session_addr}
    {backend_addr} {request_time}/{service_time}/{response_time}/{client_rtt}/{server_rtt} {bytes_in}
    {bytes_out} [{tags}] {otel} {protocol} {authority} {method} {path} {status}{ | message}

Sōzu 1.0 wrote four durations ``{response_time}/{service_time}/{client_rtt}/{server_rtt}``, no ``otel`` field and
a three-item context ``[{request} {cluster} {backend}]``; both layouts are read. A TCP session has ``-`` instead
of ``{authority} {method} {path} {status}``. Coloured output (``access_logs_colored``) is read after its ANSI
codes are stripped.

Durations carry a unit and adaptive precision: ``Ns`` from 10 s up (**truncated** to whole seconds), ``Nms``
from 10 ms, ``Nμs`` from 10 µs, else ``Nns``; ``-`` when absent. ``RequestRecord.duration_s`` is the
``request_time`` (1.0: ``response_time``) exactly as printed, so a request that lasted 29.97 s is recorded as
29.0 s: **cut detection must allow up to +1 s** on any value of 10 s or more from this reader.

Sources: sozu-proxy/sozu ``command/src/logging/{logs,display,access_logs}.rs`` (2.1.0) and the layouts
summarised in ``research/sozune.md`` §3.2.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.layout import TextField, TextLayout
from lpdoctor.model import (
    ErrorEvent,
    ErrorKind,
    HopKind,
    Outcome,
    RequestRecord,
    UpstreamTry,
    outcome_from_status,
)

PROXY = "sozu"

# Sōzu's request buffers are 16 KiB by default, so a real line is far below this; longer lines are not Sōzu's.
MAX_LINE_CHARS = 65536
# Any duration above ten years is garbage, not a measurement.
_MAX_DURATION_S = 10 * 365 * 86400.0

_ANSI = re.compile(r"\x1b\[[0-9;]{0,32}m")

_ISO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:(Z|z)|([+-])(\d{2}):?(\d{2}))?\Z"
)

# The prompt and the fixed-shape fields up to the opening bracket of the tags. Every quantifier is bounded and
# every variable field stops at a character it cannot contain, so a hostile line cannot make it backtrack.
_ACCESS_HEAD = re.compile(
    r"(?P<now>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z) "
    r"(?P<precise>-?\d{1,40}) (?P<pid>-?\d{1,10}) "
    r"(?P<level>INFO-ACCESS|ERROR-ACCESS) {1,2}(?P<tag>[^\s\[\]]{1,64})[\t ]{1,8}"
    r"\[(?P<context>[^\]\n]{1,400})\] "
    r"(?P<session_addr>\S{1,128}) (?P<backend_addr>\S{1,128}) "
    r"(?P<durations>[^\s/]{1,32}(?:/[^\s/]{1,32}){3,4}) "
    r"(?P<bytes_in>\d{1,20}) (?P<bytes_out>\d{1,20}) \["
)

# A Sōzu log line (not an access line): ``{now} {precise_time} {pid} {LEVEL} {tag}\t{message}``.
_LOG_HEAD = re.compile(
    r"(?P<now>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z) (?P<precise>-?\d{1,40}) (?P<pid>-?\d{1,10}) "
    r"(?P<level>ERROR|WARN) {1,2}(?P<tag>[^\s\[\]]{1,64})\t(?P<message>.{1,8192})\Z"
)
_BACKEND_DOWN = re.compile(r"backend server (?P<backend>\S{1,256}) at (?P<addr>\S{1,128}) is down")
_CONNECT_ERRORS = (
    "backend connection error:",
    "backend retry budget exhausted",
    "Error connecting to backend",
)

_DURATION = re.compile(r"(\d{1,20})(s|ms|μs|µs|us|ns)")
# Each unit's count a second: a duration is its digits divided by it (int / int, the correctly rounded quotient,
# which the compiled path's nanoseconds divided by 10**9 give too).
_PER_SECOND = {"s": 1, "ms": 1000, "μs": 1_000_000, "µs": 1_000_000, "us": 1_000_000, "ns": 1_000_000_000}

_STATUS = re.compile(r"\d{3}")


class _NotSozu(ValueError):
    """The line looked like Sōzu's up to a field that is not: it is skipped, never half-read."""


# --------------------------------------------------------------------------------------------- values


def strip_ansi(text: str) -> str:
    """Remove SGR colour codes (``\\x1b[...m``), as written by Sōzu's and tracing's coloured output."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def rfc3339_epoch(text: str) -> float | None:
    """``2026-06-10T09:14:03.512844Z`` (or with an offset) as Unix epoch seconds; None if it is not a time."""
    m = _ISO_TIME.match(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        return None
    try:
        epoch = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (OverflowError, ValueError):
        return None
    frac = m.group(7)
    value = float(epoch) + (int(frac) / 10 ** len(frac) if frac else 0.0)
    if m.group(9):
        offset = int(m.group(10)) * 3600 + int(m.group(11)) * 60
        value -= offset if m.group(9) == "+" else -offset
    return value


def parse_sozu_duration(token: str) -> float | None:
    """One duration as Sōzu prints it: ``29s``, ``412μs``, ``18ms``, ``950ns``; ``-`` is None.

    Seconds are truncated by Sōzu (``29s`` means 29.0 to 29.999 s); the value is returned as printed.
    Raises ValueError for anything else (``NaNs``, ``1.5s``, ``12``, absurdly large values).
    """
    if token == "-":
        return None
    m = _DURATION.fullmatch(token)
    if not m:
        raise ValueError(f"not a Sōzu duration: {token[:40]!r}")
    value = int(m.group(1)) / _PER_SECOND[m.group(2)]
    if not math.isfinite(value) or value > _MAX_DURATION_S:
        raise ValueError(f"duration out of range: {token[:40]!r}")
    return value


def _durations(text: str) -> list[float | None]:
    try:
        return [parse_sozu_duration(part) for part in text.split("/")]
    except ValueError as exc:
        raise _NotSozu(str(exc)) from None


def _host_of(addr: str) -> str | None:
    """``198.51.100.23:53114`` → ``198.51.100.23``; ``[2001:db8::1]:443`` → ``2001:db8::1``; ``-`` → None."""
    if addr in ("-", ""):
        return None
    if addr.startswith("["):
        end = addr.find("]")
        return addr[1:end] if end > 1 else None
    host, sep, port = addr.rpartition(":")
    if sep and host and port.isdecimal():
        return host
    return addr


def _dash(value: str) -> str | None:
    return None if value in ("-", "") else value


# --------------------------------------------------------------------------------------------- outcome

# The message tokens that say how a request ended, whatever its status (mux 2.1.0 vocabulary, plus the
# documented timeout discriminators of 04039e2d which the explicit mux tokens usually shadow).
_TOKEN_OUTCOME = {
    "H2::ResetFrame": Outcome.CLIENT_CLOSED,  # the client sent RST_STREAM: it cancelled
    "H2::IdleTimeout": Outcome.RESET,  # Sōzu reaped a silent stream (h2 per-stream idle guard, 30 s)
    "H2::WindowStall": Outcome.RESET,  # Sōzu reaped a flow-control stall
    "H2::Reset": Outcome.RESET,  # Sōzu reset the stream itself
    "backend_timeout": Outcome.GATEWAY_TIMEOUT,  # back_timeout fired before the response: 504
    "client_timeout_during_response": Outcome.GATEWAY_TIMEOUT,  # 504 while the response was under way
    "backend_response_timeout": Outcome.RESET,  # back_timeout mid-response: the stream is reset or closed
}


# The tokens that say who ended a request where its outcome alone would not (a RESET is anybody's), first found
# wins: Sōzu's own timers, and the client's RST_STREAM.
_TOKEN_HOP = (
    ("H2::IdleTimeout", HopKind.PROXY),
    ("backend_timeout", HopKind.PROXY),
    ("backend_response_timeout", HopKind.PROXY),
    ("H2::ResetFrame", HopKind.CLIENT),
)


def sozu_ended_by(message: str | None) -> HopKind | None:
    """Who ended a request, when Sōzu's message token says (RequestRecord.ended_by); None: its outcome says."""
    for token, hop in _TOKEN_HOP:
        if message and token in message:
            return hop
    return None


def sozu_outcome(message: str | None, status: int | None, *, tcp: bool = False, error: bool = False) -> Outcome:
    """How a request ended, from Sōzu's message token and status.

    ``H1::Complete``/``H2::Complete`` and unknown tokens defer to the status (a ``504 | H1::Complete`` is Sōzu's
    own gateway-timeout answer). Pipe (WebSocket/TCP) tokens: a socket timeout is a proxy-side cut (RESET); a
    socket error on the frontend side is the client going away, on the backend side the upstream failing.
    """
    token = (message or "").strip()
    known = _TOKEN_OUTCOME.get(token)
    if known is not None:
        return known
    lowered = token.lower()
    if "socket" in lowered:
        if "timeout" in lowered:
            return Outcome.RESET
        if "front" in lowered:
            return Outcome.CLIENT_CLOSED
        if "back" in lowered:
            return Outcome.UPSTREAM_CLOSED
    if tcp and status is None:
        return Outcome.RESET if error else Outcome.OK
    return outcome_from_status(status)


# --------------------------------------------------------------------------------------------- access lines


@dataclass(slots=True)
class SozuAccessLine:
    """The fields of one access line that lpdoctor uses, before they become a :class:`RequestRecord`."""

    time: float | None
    pid: int
    tag: str
    error: bool
    protocol: str
    authority: str | None
    method: str | None
    target: str | None
    status: int | None
    total_s: float | None
    response_s: float | None
    session_addr: str | None
    backend_addr: str | None
    message: str | None
    tcp: bool

    @property
    def embedded(self) -> bool:
        """Written by a Sōzu library whose logger was never set up (pid 0, tag ``UNINITIALIZED``): Sōzune."""
        return self.pid == 0 or self.tag == "UNINITIALIZED"

    def record(self, line_no: int, source: str) -> RequestRecord:
        upstream: tuple[UpstreamTry, ...] = ()
        if self.backend_addr is not None or self.response_s is not None:
            upstream = (UpstreamTry(addr=self.backend_addr, response_s=self.response_s),)
        return RequestRecord(
            source=source,
            line=line_no,
            proxy=PROXY,
            target=self.target,
            status=self.status,
            # Recorded as printed: a truncated whole second from 10 s up (``29s`` is 29.0 to 29.999 s). The
            # midpoint would invent half a second that Sōzu never measured, and would move a cut seen at
            # exactly ``30s`` to 30.5; callers compare with a +1 s allowance instead (see the module docstring).
            duration_s=self.total_s,
            outcome=sozu_outcome(self.message, self.status, tcp=self.tcp, error=self.error),
            method=self.method,
            host=self.authority,
            time=self.time,
            client=_host_of(self.session_addr or "-"),
            upstream=upstream,
            detail=self.message,
            ended_by=sozu_ended_by(self.message),
        )


def _split_tail(rest: str) -> tuple[str, str | None]:
    """``{tags}] {otel} {protocol} {endpoint}{ | message}`` → (``{protocol} {endpoint}``, message)."""
    close = rest.find("]")
    if close < 0 or not rest.startswith(" ", close + 1):
        raise _NotSozu("tags are not closed")
    # The user agent cannot hold "]" (Sōzu writes it as "}"), so the first "]" closes the tags.
    after = rest[close + 2 :]
    if after.startswith("None "):
        after = after[5:]
    elif after.startswith("Some("):
        end = after.find(") ", 5, 5 + 128)
        if end < 0:
            raise _NotSozu("otel field is not closed")
        after = after[end + 2 :]
    # Neither the protocol nor the endpoint fields hold a space, so the first " | " starts the message.
    bar = after.find(" | ")
    if bar < 0:
        return after, None
    return after[:bar], after[bar + 3 :].strip() or None


def parse_access_fields(line: str) -> SozuAccessLine | None:
    """Read one Sōzu access line into its fields, or None if it is not one. May raise on a bug only."""
    if len(line) > MAX_LINE_CHARS:
        return None
    text = strip_ansi(line.lstrip("\x00")).rstrip("\r\n")
    if "\x00" in text:
        return None
    m = _ACCESS_HEAD.match(text)
    if not m:
        return None
    try:
        return _fields(m, text[m.end() :])
    except _NotSozu:
        return None


def _fields(m: re.Match[str], rest: str) -> SozuAccessLine:
    context = m.group("context").split(" ")
    if len(context) not in (3, 4):
        raise _NotSozu("context has neither 3 nor 4 items")
    durations = _durations(m.group("durations"))
    if len(durations) == 5:  # 1.1+ / 2.x: request/service/response/client_rtt/server_rtt
        total_s, response_s = durations[0], durations[2]
    else:  # 1.0: response/service/client_rtt/server_rtt
        total_s, response_s = durations[0], durations[0]
    endpoint, message = _split_tail(rest)
    parts = endpoint.split(" ")
    tcp = len(parts) == 2 and parts[1] == "-"
    if tcp:
        protocol, authority, method, target, status = parts[0], None, None, None, None
    elif len(parts) == 5:
        protocol = parts[0]
        authority, method, target = _dash(parts[1]), _dash(parts[2]), _dash(parts[3])
        if parts[4] == "-":
            status = None
        elif _STATUS.fullmatch(parts[4]) and parts[4][0] != "0":
            status = int(parts[4])
        else:
            raise _NotSozu("status is not a status")
        if method is not None and len(method) > 32:
            raise _NotSozu("method is not a method")
    else:
        raise _NotSozu("endpoint has an unexpected shape")
    if not protocol or len(protocol) > 32:
        raise _NotSozu("protocol is not a protocol")
    return SozuAccessLine(
        time=rfc3339_epoch(m.group("now")),
        pid=int(m.group("pid")),
        tag=m.group("tag"),
        error=m.group("level") == "ERROR-ACCESS",
        protocol=protocol,
        authority=authority,
        method=method,
        target=target,
        status=status,
        total_s=total_s,
        response_s=response_s,
        session_addr=_dash(m.group("session_addr")),
        backend_addr=_dash(m.group("backend_addr")),
        message=message,
        tcp=tcp,
    )


# --------------------------------------------------------------------------------------------- error lines


def parse_error_fields(line: str, line_no: int, source: str) -> tuple[ErrorEvent, int, str] | None:
    """A Sōzu ``ERROR`` line that says a backend could not be reached, with the writer's pid and tag.

    Only the connect failures are kept (``backend server X at A is down``, ``backend connection error: …``,
    ``backend retry budget exhausted``); a backend timeout writes no ``ERROR`` line in Sōzu, only an access
    line. Everything else returns None.
    """
    if len(line) > MAX_LINE_CHARS:
        return None
    text = strip_ansi(line.lstrip("\x00")).rstrip("\r\n")
    if "\x00" in text:
        return None
    m = _LOG_HEAD.match(text)
    if not m:
        return None
    message = m.group("message")
    at = message.find("backend server ")
    down = _BACKEND_DOWN.match(message, at) if at >= 0 else None
    if down is None and not any(marker in message for marker in _CONNECT_ERRORS):
        return None
    # The mux prefix "[session req cluster backend]\tMUX\tSession(...)\t >>> " says nothing about the failure.
    said = message.rpartition(">>> ")[2].strip() or message.strip()
    event = ErrorEvent(
        source=source,
        line=line_no,
        proxy=PROXY,
        kind=ErrorKind.CONNECT_FAILED,
        message=said[:2000],
        time=rfc3339_epoch(m.group("now")),
        level=m.group("level").lower(),
        upstream=down.group("addr") if down else None,
    )
    return event, int(m.group("pid")), m.group("tag")


# --------------------------------------------------------------------------------------------- the format


def parse_sozu_line_unguarded(line: str, line_no: int, source: str) -> Parsed | None:
    """Parse one line of a standalone Sōzu log. Tests call this directly to prove it never raises."""
    fields = parse_access_fields(line)
    if fields is not None:
        return fields.record(line_no, source)
    error = parse_error_fields(line, line_no, source)
    return error[0] if error is not None else None


def parse_sozu_line(line: str, line_no: int, source: str) -> Parsed | None:
    """Parse one line of a Sōzu log; None for anything that is not an access line or a connect error."""
    try:
        return parse_sozu_line_unguarded(line, line_no, source)
    except Exception:  # defence in depth: a hostile line is skipped, never fatal
        return None


def _make_parser() -> Callable[[str, int, str], Parsed | None]:
    return parse_sozu_line


# --------------------------------------------------------------------------------------------- the compiled path

# What the compiled path reads of a 2.x access line (fast == "fields"), a subset of what the reader reads: the
# level as written (``INFO-ACCESS`` then two spaces, ``ERROR-ACCESS`` then one), a TAB after the tag, a context
# of four items, five durations, otel ``None``, an HTTP request with a status or ``-`` (``-`` for the method too)
# and the message after `` | `` or none. Any other line (Sōzu 1.0, a TCP session, otel ``Some(..)``,
# colours, a value outside ASCII) is left to the reader. The reader stays the reference: a test checks that
# wherever a layout matches, the reader reads the same values (tests/test_fastpath_layout.py).
_TAG = r"[!-Z^-~]"  # printable ASCII but a space, "[", "\" and "]" (the reader's [^\s\[\]], narrowed)
_ITEM = r"[!-\\^-~]"  # printable ASCII but a space and "]" (a context item: the reader's [^\]\n], split at " ")


def _access_layout(level: str, message: bool) -> TextLayout:
    fields = [
        TextField("", "now", "iso_utc", chars=r"[0-9TZ:.-]", min=20, max=30),
        TextField(" ", "precise", "skip", chars="digits", min=1, max=40),
        TextField(" ", "pid", "skip", chars="digits", min=1, max=10),
        TextField(f" {level} ", "tag", "skip", chars=_TAG, min=1, max=64),
        TextField("\t[", "session", "skip", chars=_ITEM, max=96),
        TextField(" ", "request", "skip", chars=_ITEM, max=96),
        TextField(" ", "cluster", "skip", chars=_ITEM, max=96),
        TextField(" ", "backend", "skip", chars=_ITEM, max=96),
        TextField("] ", "session_addr", "skip", chars="token", min=1, max=128),
        TextField(" ", "backend_addr", "key", chars="token", min=1, max=128),
        TextField(" ", "request_time", "duration_unit", min=1, max=32),
        TextField("/", "service_time", "check_unit", min=1, max=32),
        TextField("/", "response_time", "response_unit", min=1, max=32),
        TextField("/", "client_rtt", "check_unit", min=1, max=32),
        TextField("/", "server_rtt", "check_unit", min=1, max=32),
        TextField(" ", "bytes_in", "skip", chars="digits", min=1, max=20),
        TextField(" ", "bytes_out", "skip", chars="digits", min=1, max=20),
        TextField(" [", "tags", "skip"),
        TextField("] None ", "protocol", "skip", chars="token", min=1, max=32),
        TextField(" ", "authority", "key", chars="token", min=1, max=1024),
        TextField(" ", "method", "method", chars="token", min=1, max=32),
        TextField(" ", "path", "target", chars="token", min=1, max=16384),
        TextField(" ", "status", "status_http", chars="digits", min=3, max=3, dash=True),
    ]
    if message:
        fields.append(TextField(" | ", "message", "key"))
    return TextLayout(tuple(fields), end="exact")


ACCESS_LAYOUTS = tuple(
    _access_layout(level, message) for level in ("INFO-ACCESS ", "ERROR-ACCESS") for message in (True, False)
)


FORMATS: list[LogFormat] = [
    LogFormat(
        name="sozu-access",
        kind="access",
        has_timing=True,
        make_parser=_make_parser,
        priority=10,
        description="Sōzu ASCII access log (INFO-ACCESS / ERROR-ACCESS lines, 1.0 and 1.1+/2.x layouts)",
        aliases=("sozu",),
        fast="fields",
        layouts=ACCESS_LAYOUTS,
    ),
]
