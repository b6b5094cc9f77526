"""HAProxy's configuration as lpdoctor models it: sections (:class:`Proxy`), their timers, ACLs and
``use_backend`` rules with their lines, HAProxy's time syntax and its defaults."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lpdoctor.dialects.base import ConfigReadError
from lpdoctor.model import SourceLocation

COMPONENT = "haproxy"
SECTION_KEYWORDS = ("global", "defaults", "frontend", "backend", "listen")
OTHER_SECTIONS = (
    "resolvers",
    "peers",
    "userlist",
    "program",
    "http-errors",
    "ring",
    "mailers",
    "cache",
    "fcgi-app",
    "crt-store",
    "traces",
    "log-forward",
)
TIMER_NAMES = (
    "server",
    "client",
    "connect",
    "http-request",
    "http-keep-alive",
    "queue",
    "tunnel",
    "client-fin",
    "server-fin",
    "tarpit",
    "check",
)
BACKEND_SIDE = {"server", "connect", "queue", "tunnel", "server-fin", "check"}
FRONTEND_SIDE = {"client", "http-request", "http-keep-alive", "client-fin"}
LEGACY_TIMERS = {"clitimeout": "client", "srvtimeout": "server", "contimeout": "connect"}
DEFAULT_RETRIES = 3
DEFAULT_RETRY_ON = "conn-failure"
RETRY_ON_TIMEOUT = {"response-timeout", "all-retryable-errors"}

_TIME = re.compile(r"(\d{1,12})(us|ms|s|m|h|d)?")
_UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1e-3}
_SECTION_LINE = re.compile(r"\s*(\S+)")


class HaproxyConfigError(ConfigReadError):
    """An HAProxy configuration lpdoctor cannot read."""


# ---- tokenizing


def split_words(line: str) -> list[str]:
    """A config line's words as HAProxy splits them: blanks, ``"..."`` / ``'...'`` quoting, ``\\`` escapes,
    ``#`` comments. Linear; never raises."""
    words: list[str] = []
    cur: list[str] = []
    have = False
    quote: str | None = None
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if quote is not None:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"' and i + 1 < n:
                i += 1
                cur.append(line[i])
            else:
                cur.append(c)
            i += 1
            continue
        if c == "\\" and i + 1 < n:
            cur.append(line[i + 1])
            have = True
            i += 2
            continue
        if c in "\"'":
            quote = c
            have = True
            i += 1
            continue
        if c == "#":
            break
        if c in " \t":
            if have:
                words.append("".join(cur))
                cur = []
                have = False
            i += 1
            continue
        cur.append(c)
        have = True
        i += 1
    if have:
        words.append("".join(cur))
    return words


def parse_time(text: str) -> tuple[float | None, str | None]:
    """HAProxy's time syntax → (seconds, problem). A bare number is milliseconds; ``0`` → (0.0, None).

    Returns (None, problem) when HAProxy would refuse the value; (seconds, warning) when 2.6 accepts it with
    a warning (trailing characters after the unit: ``1m30s`` is read as ``1m``).
    """
    m = _TIME.match(text)
    if m is None:
        return None, f"{text!r} is not a time (HAProxy expects a number with an optional unit us/ms/s/m/h/d)"
    value = int(m[1]) * _UNIT_S[m[2]]
    rest = text[m.end() :]
    if rest:
        return value, (
            f"{text!r}: HAProxy reads only {text[: m.end()]!r} and warns about {rest[0]!r} "
            "(one number and one unit: us, ms, s, m, h, d)"
        )
    return value, None


# ---- the model


@dataclass(slots=True)
class Line:
    file: str
    line: int
    words: list[str]

    def where(self, context: str | None = None) -> SourceLocation:
        return SourceLocation(self.file, self.line, context)


@dataclass(slots=True)
class Setting:
    """One timer as configured: seconds (None = no limit), the raw text, where, and whether written."""

    name: str  # "timeout server"
    value_s: float | None
    raw: str
    location: SourceLocation
    explicit: bool = True


@dataclass(slots=True)
class Acl:
    criterion: str
    flags: list[str]
    values: list[str]
    line: Line


@dataclass(slots=True)
class UseBackend:
    backend: str
    cond_kind: str | None  # "if" | "unless" | None
    cond: list[str]
    line: Line


@dataclass(slots=True)
class Proxy:
    """A ``defaults``, ``frontend``, ``backend`` or ``listen`` section."""

    kind: str
    name: str | None
    header: Line
    parent: Proxy | None = None  # the defaults section it inherits from
    timers: dict[str, Setting] = field(default_factory=dict)  # own settings, "server" -> Setting
    mode: str | None = None
    retries: tuple[int, Line] | None = None
    retry_on: tuple[list[str], Line] | None = None
    redispatch: Line | None = None
    acls: dict[str, list[Acl]] = field(default_factory=dict)
    use_backends: list[UseBackend] = field(default_factory=list)
    default_backend: tuple[str, Line] | None = None
    servers: list[tuple[str, str, Line]] = field(default_factory=list)  # name, address, line
    binds: list[Line] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" if self.name else self.kind

    @property
    def context(self) -> str:
        return (
            f"defaults section {self.name}"
            if self.kind == "defaults" and self.name
            else ("defaults section" if self.kind == "defaults" else self.label)
        )

    @property
    def location(self) -> SourceLocation:
        return self.header.where(self.context)

    @property
    def has_frontend(self) -> bool:
        return self.kind in ("frontend", "listen", "defaults")

    @property
    def has_backend(self) -> bool:
        return self.kind in ("backend", "listen", "defaults")

    def chain(self) -> Iterator[Proxy]:
        node: Proxy | None = self
        depth = 0
        while node is not None and depth < 32:
            yield node
            node = node.parent
            depth += 1

    def setting(self, name: str) -> tuple[Setting | None, Proxy | None]:
        """The effective timer ``name`` and the section that set it (self or a defaults section)."""
        for node in self.chain():
            if name in node.timers:
                return node.timers[name], node
        return None, None

    def effective_mode(self) -> str:
        for node in self.chain():
            if node.mode:
                return node.mode
        return "tcp"  # HAProxy's own default mode

    def effective_retries(self) -> tuple[int, Line | None]:
        for node in self.chain():
            if node.retries is not None:
                return node.retries[0], node.retries[1]
        return DEFAULT_RETRIES, None

    def effective_retry_on(self) -> tuple[list[str], Line | None]:
        for node in self.chain():
            if node.retry_on is not None:
                return node.retry_on[0], node.retry_on[1]
        return [DEFAULT_RETRY_ON], None

    def effective_redispatch(self) -> Line | None:
        for node in self.chain():
            if node.redispatch is not None:
                return node.redispatch
        return None


def parse_acl(words: list[str], line: Line) -> Acl:
    criterion = words[0]
    flags: list[str] = []
    i = 1
    while i < len(words) and words[i].startswith("-") and len(words[i]) > 1:
        flag = words[i]
        if flag == "--":
            i += 1
            break
        flags.append(flag)
        if flag in ("-m", "-f", "-M") and i + 1 < len(words):
            flags.append(words[i + 1])
            i += 2
            continue
        i += 1
    return Acl(criterion, flags, words[i:], line)
