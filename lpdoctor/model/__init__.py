"""The one model every reader writes into and every analysis and reporter reads.

Readers (log formats, config dialects, the probe) turn their input into these types; nothing downstream
knows which proxy wrote a line or which dialect a config was in.

- :class:`RequestRecord` — one request from an access log (or one probe attempt).
- :class:`ErrorEvent` — one line of an error log that says why a request ended.
- :class:`Timeout`, :class:`Hop`, :class:`Chain` — what configuration says about each hop of a route.
- :class:`Finding` — what lpdoctor concludes, with evidence, location and fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class HopKind(str, Enum):
    """Where in the chain a timeout sits, from the outside in."""

    CLIENT = "client"
    EDGE = "edge"
    PROXY = "proxy"
    SERVER = "server"
    APP = "app"
    UNKNOWN = "unknown"

    @property
    def order(self) -> int:
        return ["client", "edge", "proxy", "server", "app", "unknown"].index(self.value)


class Semantics(str, Enum):
    """What resets a timer: any byte (idle), nothing (total), or the response headers (until-headers)."""

    IDLE = "idle"
    TOTAL = "total"
    UNTIL_HEADERS = "until-headers"


class Outcome(str, Enum):
    """How a request ended, in words common to every proxy.

    Readers translate their own vocabulary (nginx 504/499, HAProxy ``sH``/``CD``, Envoy ``UT``/``DC``,
    Sōzu ``H2::ResetFrame`` ...) into one of these; cut detection only looks at this.
    """

    OK = "ok"  # 1xx-3xx
    CLIENT_ERROR = "client-error"  # 4xx other than the client-abort codes
    GATEWAY_TIMEOUT = "gateway-timeout"  # the proxy gave up waiting (nginx 504, HAProxy sH, Envoy UT, CF 524)
    UPSTREAM_CLOSED = "upstream-closed"  # the upstream closed or failed without a response (502)
    CLIENT_CLOSED = "client-closed"  # the client went away first (nginx 499, ALB 460, HAProxy CD, Envoy DC)
    RESET = "reset"  # no status at all: a reset or close with nothing sent
    SERVER_ERROR = "server-error"  # other 5xx (500, 503 ...)

    @property
    def is_failure(self) -> bool:
        return self not in (Outcome.OK, Outcome.CLIENT_ERROR)


def outcome_from_status(status: int | None) -> Outcome:
    """The generic mapping used by proxies that speak plain HTTP status codes."""
    if status is None or status == 0:
        return Outcome.RESET
    if status in (499, 460):
        return Outcome.CLIENT_CLOSED
    if status in (504, 524, 598, 408):
        return Outcome.GATEWAY_TIMEOUT if status != 408 else Outcome.CLIENT_ERROR
    if status in (502, 520, 521, 522, 523):
        return Outcome.UPSTREAM_CLOSED
    if status >= 500:
        return Outcome.SERVER_ERROR
    if status >= 400:
        return Outcome.CLIENT_ERROR
    return Outcome.OK


@dataclass(frozen=True, slots=True)
class UpstreamTry:
    """One attempt at one upstream server, from nginx's multi-value ``$upstream_*`` fields."""

    addr: str | None = None
    status: int | None = None
    connect_s: float | None = None
    header_s: float | None = None
    response_s: float | None = None


@dataclass(slots=True)
class RequestRecord:
    """One request as an access log (or the probe) saw it."""

    source: str
    line: int
    proxy: str
    target: str | None  # request target as sent: path plus query string, undecoded
    status: int | None  # None when no response was sent
    duration_s: float | None  # client-side duration: first byte in to last byte out
    outcome: Outcome
    method: str | None = None
    host: str | None = None
    time: float | None = None  # Unix epoch seconds
    client: str | None = None
    upstream: tuple[UpstreamTry, ...] = ()
    redirects: int = 0  # internal redirects (" : " groups in $upstream_*)
    detail: str | None = None  # the proxy's own word for the ending: "sH--", "UT", "H2::ResetFrame"
    # Who ended the request, when the proxy's own word says it and the outcome alone would not (its reader
    # translates: HAProxy's termination state, Sōzu's H2::IdleTimeout ...); None: the outcome says.
    ended_by: HopKind | None = None
    header_s: float | None = None  # time to the upstream's response headers, when the proxy logs it
    stream: str | None = None  # a TCP session with no request (HAProxy mode tcp): "frontend/backend"


class ErrorKind(str, Enum):
    UPSTREAM_TIMEOUT = "upstream-timeout"
    UPSTREAM_CLOSED = "upstream-closed"
    CLIENT_CLOSED = "client-closed"
    NO_LIVE_UPSTREAMS = "no-live-upstreams"
    UPSTREAM_DISABLED = "upstream-disabled"
    CONNECT_FAILED = "connect-failed"
    OTHER = "other"


@dataclass(slots=True)
class ErrorEvent:
    """One error-log line that explains how some request ended."""

    source: str
    line: int
    proxy: str
    kind: ErrorKind
    message: str
    time: float | None = None
    level: str | None = None
    action: str | None = None  # nginx: "reading response header from upstream" ...
    method: str | None = None
    target: str | None = None
    host: str | None = None
    upstream: str | None = None
    client: str | None = None
    timeout_s: float | None = None  # when the line states the timeout itself (Sōzune: "after 30s")
    attempts: int | None = None


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where something was configured: a file and line, or a named default."""

    file: str | None
    line: int | None = None
    context: str | None = None  # e.g. "server example.org > location /_matrix/"

    def __str__(self) -> str:
        if self.file is None:
            return self.context or "built-in default"
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} ({self.context})" if self.context else where


@dataclass(slots=True)
class Timeout:
    """One timer on one hop. ``value_s`` None means no limit at all."""

    component: str  # "nginx", "sozune", "gunicorn", "aws-alb" ...
    setting: str  # the component's own name: "proxy_read_timeout", "backendTimeout" ...
    value_s: float | None
    semantics: Semantics
    location: SourceLocation | None = None
    explicit: bool = True  # False when a built-in default applies
    note: str | None = None


@dataclass(slots=True)
class Hop:
    """One component on a route, with every timer that can end a held request there."""

    kind: HopKind
    component: str
    name: str  # what the user calls it: "nginx location /_matrix/", "gunicorn (sync)"
    timeouts: list[Timeout] = field(default_factory=list)
    attempts: int = 1  # how many times this hop tries the next one on a timeout (proxy_next_upstream)
    location: SourceLocation | None = None

    def first_cut(self) -> Timeout | None:
        bounded = [t for t in self.timeouts if t.value_s is not None]
        return min(bounded, key=lambda t: t.value_s or 0.0) if bounded else None


@dataclass(slots=True)
class Hold:
    """How long the server holds a long-poll before answering empty."""

    seconds: float
    source: str  # "protocol", "query", "option", "chain-file", "scan", "observed"
    protocol: str | None = None  # catalog id, e.g. "matrix-sync"
    detail: str | None = None  # e.g. "timeout=30000 (ms)"


@dataclass(slots=True)
class Keepalive:
    """Bytes the server sends during a hold: they reset idle timers, never total ones."""

    interval_s: float
    kind: str  # "102-processing" or "bytes"


@dataclass(slots=True)
class Chain:
    """The hops one long-poll route crosses, outermost first, and the hold they must all outlast."""

    route: str
    hold: Hold | None
    hops: list[Hop] = field(default_factory=list)
    host: str | None = None
    keepalive: Keepalive | None = None


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding does not count: an inline comment (``inSource``, with its reason) or the baseline
    (``external``)."""

    kind: str  # "inSource" or "external" (SARIF's words)
    justification: str = ""
    location: SourceLocation | None = None  # where the comment is


@dataclass(slots=True)
class Finding:
    """A conclusion, with the numbers behind it and the change that fixes it."""

    rule: str
    severity: Severity
    message: str
    hop: HopKind = HopKind.UNKNOWN
    route: str | None = None
    host: str | None = None
    hold_s: float | None = None
    cutoff_s: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    fix: str | None = None
    location: SourceLocation | None = None
    configured_s: float | None = None
    explanation: str | None = None  # longer why, shown under the message
    confidence: str | None = None  # "measured", "configured", "inferred" ...
    suppression: Suppression | None = None  # set on a finding a comment or the baseline set aside

    def sort_key(self) -> tuple[int, str, str]:
        return (-self.severity.rank, self.route or "", self.rule)


@dataclass(slots=True)
class InputSummary:
    """What one input was, and how much of it was understood."""

    path: str
    format: str
    lines: int = 0
    parsed: int = 0
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)  # the first few, by line number
    warnings: list[str] = field(default_factory=list)
    has_timing: bool = True
    kind: str = "access"  # "access", "error", "config"
    first_time: float | None = None  # the first and last time a line states (epoch seconds)
    last_time: float | None = None

    MAX_SKIPPED_SHOWN = 10

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of an input, shared by reports and partial aggregates."""
        d: dict[str, Any] = {
            "path": self.path,
            "format": self.format,
            "lines": self.lines,
            "parsed": self.parsed,
            "skipped": self.skipped,
            "skipped_lines": list(self.skipped_lines),
            "warnings": list(self.warnings),
            "has_timing": self.has_timing,
            "kind": self.kind,
        }
        if self.first_time is not None:  # a log whose lines state their time
            d["first_time"] = self.first_time
            d["last_time"] = self.last_time
        return d

    def skip(self, line_no: int) -> None:
        self.skipped += 1
        if len(self.skipped_lines) < self.MAX_SKIPPED_SHOWN:
            self.skipped_lines.append(line_no)


@dataclass(slots=True)
class Endpoint:
    """One route as the report shows it."""

    route: str
    host: str | None
    requests: int
    long_poll: bool
    hold_s: float | None
    observed: dict[str, float] | None
    failures: int
    cutoff_s: float | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Report:
    """Everything a reporter renders."""

    command: str
    inputs: list[InputSummary] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    chains: list[Chain] = field(default_factory=list)
    histograms: dict[str, list[tuple[float, int, int]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    suppressed: list[Finding] = field(default_factory=list)  # set aside by a comment or the baseline
    config_files: list[str] = field(default_factory=list)  # every config file read (includes too)
