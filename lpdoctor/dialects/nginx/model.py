"""nginx's configuration as lpdoctor models it: the settings, locations, servers, upstreams and log formats
of a configuration (:class:`NginxConfig`), nginx's defaults and what each timer means."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lpdoctor.catalog import default_seconds
from lpdoctor.model import Semantics, SourceLocation, Timeout

COMPONENT = "nginx"

# Modules whose *_pass hands a request to an upstream; each has its own timeout family.
PASS_KINDS: tuple[str, ...] = ("proxy", "fastcgi", "uwsgi", "scgi", "grpc")

DEFAULT_UPSTREAM_TIMEOUT_S = default_seconds("nginx", "proxy_read_timeout")  # *_read/_send/_connect_timeout
DEFAULT_SEND_TIMEOUT_S = default_seconds("nginx", "send_timeout")
DEFAULT_KEEPALIVE_TIMEOUT_S = default_seconds("nginx", "keepalive_timeout")
DEFAULT_NEXT_UPSTREAM = ("error", "timeout")
DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_S = default_seconds("nginx", "upstream_keepalive_timeout")
DEFAULT_MAX_FAILS = 1
DEFAULT_FAIL_TIMEOUT_S = 10.0

COMBINED_FORMAT = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
)

# What each timer measures, for reporters (wording after the nginx module documentation).
MEANING = {
    "read_timeout": (
        Semantics.IDLE,
        "idle: only between two successive read operations from the upstream, not for the whole response",
    ),
    "send_timeout_upstream": (
        Semantics.IDLE,
        "idle: only between two successive write operations to the upstream, not for the whole request",
    ),
    "connect_timeout": (
        Semantics.TOTAL,
        "establishing a connection with the upstream (usually at most 75 s)",
    ),
    "next_upstream_timeout": (
        Semantics.TOTAL,
        "total time during which a request may be passed to the next upstream server; 0 means no limit",
    ),
    "send_timeout": (
        Semantics.IDLE,
        "idle: only between two successive write operations to the client, not for the whole response",
    ),
    "keepalive_timeout": (
        Semantics.IDLE,
        "idle keep-alive client connection between requests; no effect on a request in flight",
    ),
    "upstream_keepalive_timeout": (
        Semantics.IDLE,
        "idle time of a cached connection to the upstream servers",
    ),
}

_ROLE_OF_SUFFIX = {
    "_read_timeout": "read_timeout",
    "_send_timeout": "send_timeout_upstream",
    "_connect_timeout": "connect_timeout",
    "_next_upstream_timeout": "next_upstream_timeout",
}

NEXT_UPSTREAM_VALUES = frozenset(
    {
        "error",
        "timeout",
        "invalid_header",
        "http_500",
        "http_502",
        "http_503",
        "http_504",
        "http_403",
        "http_404",
        "http_429",
        "non_idempotent",
        "off",
    }
)
NON_IDEMPOTENT_METHODS = frozenset({"POST", "LOCK", "PATCH"})

# nginx time syntax (ngx_parse_time): whole numbers with units ms, s, m, h, d, w, M, y; parts may be
# separated by spaces ("1h 30m", which must be quoted in the file). Bounded: no catastrophic backtracking.
# A bare number must be followed by a blank or the end, so each digit run has one reading: the older
# "(?:\d{1,12}(?:ms|[yMwdhms])?[ \t]{0,8}){1,8}" could split a long digit run eight ways and took seconds on
# 30 digits and a stray character.
NGINX_TIME = re.compile(r"(?:\d{1,12}(?:ms|[yMwdhms])[ \t]{0,8}|\d{1,12}(?:[ \t]{1,8}|$)){1,8}")
DUMP_MARKER = re.compile(r"# configuration file (/.{1,4096}):")
MAX_STATEMENTS = 500_000  # spliced statements: guards against include fan-out blowing up memory


# --------------------------------------------------------------------------------------------- errors


class NginxConfigError(Exception):
    """A configuration nginx itself would refuse, or one that cannot be read.

    ``str()`` is one line, ``file:line: problem``, ready to show the user.
    """

    def __init__(self, problem: str, file: str | None = None, line: int | None = None) -> None:
        self.problem = problem
        self.file = file
        self.line = line
        where = f"{file}:{line}" if file and line else (file or "")
        super().__init__(f"{where}: {problem}" if where else problem)


# --------------------------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class NginxSetting:
    """A directive's effective value at one place, and where it came from."""

    directive: str
    value: str  # the arguments joined by spaces, or the built-in default
    location: SourceLocation
    explicit: bool = True
    note: str | None = None


@dataclass(slots=True)
class NextUpstream:
    """``*_next_upstream``, ``*_next_upstream_tries`` and ``*_next_upstream_timeout`` at one location."""

    conditions: tuple[str, ...]  # ("error", "timeout") by default; ("off",) disables retries
    tries: int  # 0 = no limit
    timeout: Timeout  # value_s None = no limit
    conditions_setting: NginxSetting
    tries_setting: NginxSetting

    @property
    def on_timeout(self) -> bool:
        """Whether a timed-out request is passed to the next upstream server."""
        return "timeout" in self.conditions and "off" not in self.conditions

    def retries(self, method: str = "GET") -> bool:
        """Whether a timed-out request with this method is retried (POST, LOCK, PATCH only with ``non_idempotent``)."""
        if not self.on_timeout:
            return False
        return method.upper() not in NON_IDEMPOTENT_METHODS or "non_idempotent" in self.conditions


@dataclass(slots=True)
class UpstreamServer:
    """One ``server`` line of an ``upstream`` block (or the single address of a literal ``*_pass``)."""

    address: str
    file: str | None = None
    line: int | None = None
    weight: int = 1
    max_fails: int = DEFAULT_MAX_FAILS
    fail_timeout_s: float = DEFAULT_FAIL_TIMEOUT_S
    backup: bool = False
    down: bool = False


@dataclass(slots=True)
class Upstream:
    """An ``upstream NAME {}`` block, or the implicit one-server group of ``proxy_pass http://ADDR``."""

    name: str
    servers: list[UpstreamServer] = field(default_factory=list)
    file: str | None = None
    line: int | None = None
    implicit: bool = False  # a literal address in *_pass, not an upstream block
    keepalive: int | None = None  # cached idle connections per worker (``keepalive N``)
    keepalive_timeout: Timeout | None = None  # only when ``keepalive`` is set
    balancing: str = "round-robin"
    note: str | None = None

    @property
    def primary_count(self) -> int:
        return sum(1 for s in self.servers if not s.backup and not s.down)

    @property
    def backup_count(self) -> int:
        return sum(1 for s in self.servers if s.backup and not s.down)

    @property
    def source(self) -> SourceLocation:
        return SourceLocation(self.file, self.line, f"upstream {self.name}")


@dataclass(frozen=True, slots=True)
class ConditionalDirective:
    """A directive inside an ``if`` block: it applies only when the condition holds."""

    condition: str
    directive: str
    args: tuple[str, ...]
    location: SourceLocation
    note: str


@dataclass(frozen=True, slots=True)
class NginxListen:
    address: str  # as written: "80", "127.0.0.1:8080", "[::]:443", "unix:/run/x.sock"
    port: int | None
    default_server: bool
    file: str
    line: int


@dataclass(eq=False)
class NginxLocation:
    """One ``location`` block (or a server's fallback for URIs no location matches), fully resolved.

    ``timeouts`` holds the effective timers by directive name: for a location that passes requests on
    (``pass_kind`` set) the family's ``<kind>_read_timeout``, ``<kind>_send_timeout``,
    ``<kind>_connect_timeout`` and ``<kind>_next_upstream_timeout``; always ``send_timeout`` and
    ``keepalive_timeout`` (client side).
    """

    server: NginxServer = field(repr=False)
    modifier: str  # "", "=", "~", "~*", "^~", "@"
    pattern: str
    file: str
    line: int
    label: str  # "server example.org > location /_matrix/"
    parent: NginxLocation | None = field(default=None, repr=False)
    pass_kind: str | None = None  # "proxy", "fastcgi", "uwsgi", "scgi", "grpc"
    pass_target: str | None = None  # the *_pass argument as written
    pass_source: SourceLocation | None = None
    upstream: Upstream | None = None  # None when there is no pass, or it goes through a variable
    timeouts: dict[str, Timeout] = field(default_factory=dict)
    next_upstream: NextUpstream | None = None
    buffering: NginxSetting | None = None  # <kind>_buffering (proxy_buffering ...); grpc has none
    children: list[NginxLocation] = field(default_factory=list, repr=False)
    conditional: list[ConditionalDirective] = field(default_factory=list)
    try_files_fallback: str | None = None  # "@app" when the last try_files argument names a location
    notes: list[str] = field(default_factory=list)
    is_server_default: bool = False
    regex: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    @property
    def source(self) -> SourceLocation:
        return SourceLocation(self.file, self.line, self.label)

    @property
    def is_regex(self) -> bool:
        return self.modifier in ("~", "~*")

    @property
    def is_named(self) -> bool:
        return self.modifier == "@"

    def _family(self, suffix: str) -> Timeout | None:
        return self.timeouts.get(f"{self.pass_kind}{suffix}") if self.pass_kind else None

    @property
    def read_timeout(self) -> Timeout | None:
        """``<kind>_read_timeout``: the timer that cuts a silent long-poll (504)."""
        return self._family("_read_timeout")

    @property
    def upstream_send_timeout(self) -> Timeout | None:
        return self._family("_send_timeout")

    @property
    def connect_timeout(self) -> Timeout | None:
        return self._family("_connect_timeout")

    @property
    def client_send_timeout(self) -> Timeout:
        return self.timeouts["send_timeout"]

    @property
    def keepalive_timeout(self) -> Timeout:
        return self.timeouts["keepalive_timeout"]

    def max_attempts_on_timeout(self, method: str = "GET") -> int | None:
        """How many upstream servers a request can try when each one times out: 1 = no retry.

        Bounded by the live servers (backups included: nginx moves on to them) and by
        ``*_next_upstream_tries``. An upper bound when the number of servers is unknown; None when
        nothing bounds it (a variable upstream and no tries limit).
        """
        if self.pass_kind is None or self.next_upstream is None:
            return 1
        if not self.next_upstream.retries(method):
            return 1
        tries = self.next_upstream.tries
        servers = None
        if self.upstream is not None and self.upstream.servers:
            servers = max(1, self.upstream.primary_count + self.upstream.backup_count)
        if servers is None:
            return tries or None
        return min(servers, tries) if tries else servers


@dataclass(eq=False)
class NginxServer:
    """One ``server`` block."""

    names: list[str]
    listens: list[NginxListen]
    file: str
    line: int
    label: str  # "server example.org"
    locations: list[NginxLocation] = field(default_factory=list)  # all, nested included, config order
    default: NginxLocation | None = field(default=None, repr=False)  # for URIs that match no location

    @property
    def top_locations(self) -> list[NginxLocation]:
        return [loc for loc in self.locations if loc.parent is None]

    @property
    def ports(self) -> list[int]:
        return [x.port for x in self.listens if x.port is not None]

    @property
    def source(self) -> SourceLocation:
        return SourceLocation(self.file, self.line, self.label)

    def named(self, name: str) -> NginxLocation | None:
        """The named location ``@name`` (``name`` given with or without the ``@``)."""
        want = name.lstrip("@")
        return next((loc for loc in self.locations if loc.is_named and loc.pattern == want), None)


@dataclass(frozen=True, slots=True)
class LogFormatDef:
    """A ``log_format``: its parts concatenated as nginx does."""

    name: str
    format: str
    escape: str  # "default", "json" or "none"
    location: SourceLocation
    builtin: bool = False


@dataclass(frozen=True, slots=True)
class AccessLogDef:
    """An ``access_log`` directive and where it applies."""

    path: str | None  # None for ``access_log off``
    format: str  # the log_format name ("combined" when not given)
    location: SourceLocation  # the directive; ``location.context`` is where it applies
    options: tuple[str, ...] = ()  # buffer=, gzip, flush=, if=
    off: bool = False


@dataclass(frozen=True, slots=True)
class ErrorLogDef:
    path: str
    level: str | None
    location: SourceLocation


@dataclass(eq=False)
class NginxConfig:
    """Everything lpdoctor reads from one nginx configuration."""

    source: str  # what was loaded: a path, "-", or a dump file
    main_file: str  # display name of the main file (original name for a dump)
    files: list[str] = field(default_factory=list)  # every file read, display names, in load order
    servers: list[NginxServer] = field(default_factory=list)
    upstreams: dict[str, Upstream] = field(default_factory=dict)
    log_formats: dict[str, LogFormatDef] = field(default_factory=dict)  # "combined" always present
    access_logs: list[AccessLogDef] = field(default_factory=list)
    error_logs: list[ErrorLogDef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    from_dump: bool = False
    dialect: str = "nginx"  # "ingress-nginx" for configs built from Kubernetes manifests

    @property
    def locations(self) -> list[NginxLocation]:
        return [loc for server in self.servers for loc in server.locations]


def log_formats(config: NginxConfig) -> dict[str, LogFormatDef]:
    """Every ``log_format`` by name, plus nginx's built-in ``combined``."""
    return dict(config.log_formats)


def access_logs(config: NginxConfig) -> list[AccessLogDef]:
    """Every ``access_log`` directive, in configuration order."""
    return list(config.access_logs)


def describe_timeout(setting: str) -> str:
    """What a timer measures, in one phrase (for reports): idle vs total and between what."""
    role = timer_role(setting)
    return MEANING[role][1] if role else ""


def timer_role(setting: str) -> str | None:
    if setting in ("send_timeout", "keepalive_timeout"):
        return setting
    for suffix, role in _ROLE_OF_SUFFIX.items():
        if setting.endswith(suffix) and setting[: -len(suffix)] in PASS_KINDS:
            return role
    return None


@dataclass(slots=True)
class Stmt:
    """One statement with includes spliced in; ``file`` is the display name of the file it is in."""

    name: str
    args: list[str]
    file: str
    line: int
    block: list[Stmt] | None = None
