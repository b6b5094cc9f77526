"""nginx configuration → effective per-location timeouts, upstreams and log definitions.

Entry point: :func:`load_nginx_config` reads a main ``nginx.conf`` (with its includes) or the output of
``nginx -T`` and returns an :class:`NginxConfig`: every ``server`` with its ``location`` blocks (nested ones
too), each carrying the timeouts nginx would really use there after inheritance
(http → server → location → nested location, built-in defaults where nothing is set), with the
``file:line`` that set each value. :mod:`lpdoctor.dialects.nginx.locations` answers "which location serves
this host and path"; :mod:`lpdoctor.dialects.nginx.ingress` maps ingress-nginx manifests into the same types.

Parsing is crossplane's (nginx's own tokenizer rules, line numbers, include globs). We call
``crossplane.parse(main, single=False, check_ctx=False, check_args=True, strict=False, comments=False)``:

- ``single=False``: crossplane follows includes itself, so each included file is parsed in the context
  it was included from; that context is what makes the argument checks below work inside included files.
  Relative include paths resolve against the main file's directory, as nginx does (its conf prefix).
- ``check_args=True``: the only way a missing ``;`` shows up (``proxy_read_timeout 30s`` followed by
  the next directive becomes one statement with too many arguments, or a directive closed by ``}``).
- ``check_ctx=False``: crossplane's directive table dates from 2020 and is wrong about some contexts.
- ``strict=False``: directives from third-party modules are fine.
- ``comments=False``: comments carry no configuration.

We do not use crossplane's ``combine=True``: it recurses forever on an include loop. Includes are spliced
here instead, with a stack that turns a loop into a clear :class:`NginxConfigError` (nginx itself crashes
on one). An ``nginx -T`` dump is split into its files in a temporary directory that is removed afterwards;
absolute include paths are pointed into that directory so includes resolve against the dump, never the
machine lpdoctor runs on, and every reported file name is the original one.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import glob
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import crossplane
import crossplane.analyzer

from lpdoctor.catalog import default_seconds
from lpdoctor.dialects.nginx.directives import NGINX_DIRECTIVES
from lpdoctor.model import Semantics, SourceLocation, Timeout
from lpdoctor.text.durations import DurationError, parse_nginx_time
from lpdoctor.text.inputs import InputError, note_input, read_input

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
_MEANING = {
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

_NEXT_UPSTREAM_VALUES = frozenset(
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
_NGINX_TIME = re.compile(r"(?:\d{1,12}(?:ms|[yMwdhms])[ \t]{0,8}|\d{1,12}(?:[ \t]{1,8}|$)){1,8}")
_DUMP_MARKER = re.compile(r"# configuration file (/.{1,4096}):")
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
    role = _role(setting)
    return _MEANING[role][1] if role else ""


def _role(setting: str) -> str | None:
    if setting in ("send_timeout", "keepalive_timeout"):
        return setting
    for suffix, role in _ROLE_OF_SUFFIX.items():
        if setting.endswith(suffix) and setting[: -len(suffix)] in PASS_KINDS:
            return role
    return None


# --------------------------------------------------------------------------------------------- loading


@dataclass(slots=True)
class _Stmt:
    """One statement with includes spliced in; ``file`` is the display name of the file it is in."""

    name: str
    args: list[str]
    file: str
    line: int
    block: list[_Stmt] | None = None


def load_nginx_config(path: str) -> NginxConfig:
    """Read a main nginx config (with its includes) or an ``nginx -T`` dump; ``-`` reads stdin.

    Raises :class:`NginxConfigError` (one line, ``file:line: problem``) for what nginx would refuse:
    a syntax error, a missing literal include, an include loop, an unreadable file.
    """
    if path == "-":
        text = _read_all(path)
        if is_nginx_dump(text):
            return _load_dump(text, source="-")
        return _load_text(text, source="-", display="<stdin>", base_dir=os.getcwd())
    regular = _check_readable(path)
    if not regular:  # a pipe such as <(nginx -T): it can be read only once
        text = _read_all(path)
        if is_nginx_dump(text):
            return _load_dump(text, source=path)
        return _load_text(text, source=path, display=path, base_dir=os.getcwd())
    if is_nginx_dump(_read_head(path)):
        return _load_dump(_read_all(path), source=path)
    tree, files = _parse_files(path, display=os.path.normpath, dump=False)
    return _interpret(tree, source=path, main_file=os.path.normpath(path), files=files, from_dump=False)


def is_nginx_dump(text: str) -> bool:
    """True when ``text`` starts like ``nginx -T`` output (test messages may come first)."""
    for raw in text.splitlines()[:50]:
        line = raw.strip()
        if not line or line.startswith("nginx: "):
            continue
        return bool(_DUMP_MARKER.fullmatch(line))
    return False


def split_nginx_dump(text: str) -> list[tuple[str, str]]:
    """Split ``nginx -T`` output into ``(original file name, content)``, main file first.

    nginx writes ``# configuration file NAME:``, the file, then one extra newline; line numbers inside
    each file are therefore the original ones. A name dumped twice keeps its first content.
    """
    files: list[tuple[str, str]] = []
    seen: set[str] = set()
    name: str | None = None
    buf: list[str] = []

    def flush() -> None:
        if name is not None and name not in seen:
            content = "".join(buf)
            if content.endswith("\n"):
                content = content[:-1]  # the newline nginx adds after each file
            files.append((name, content))
            seen.add(name)

    for line in text.splitlines(keepends=True):
        m = _DUMP_MARKER.fullmatch(line.rstrip("\r\n"))
        if m:
            flush()
            name, buf = m.group(1), []
        elif name is not None:
            buf.append(line)
    flush()
    return files


def _check_readable(path: str) -> bool:
    """Raise unless ``path`` can be read; True for a regular file, False for a pipe (``/dev/fd/N``)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NginxConfigError("no such file", path) from None
    except OSError as exc:
        raise NginxConfigError(f"cannot read ({exc.strerror or exc})", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise NginxConfigError("is a directory, not an nginx config file", path)
    if not stat.S_ISREG(st.st_mode):
        return False  # read_input takes a pipe into stdin (``<(nginx -T)``) and refuses the rest
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise NginxConfigError(f"cannot read ({exc.strerror or exc})", path) from None
    return True


def _read_head(path: str, size: int = 65536) -> str:
    with open(path, "rb") as fh:
        return fh.read(size).decode("utf-8", "replace")


def _read_all(path: str) -> str:
    """A config that is not a regular file (stdin, ``<(nginx -T)``), read once, at most 64 MiB (a dump holds
    every file); a named pipe, a device or a socket is refused (:func:`lpdoctor.text.inputs.read_input`)."""
    shown = "<stdin>" if path == "-" else path
    try:
        data = read_input(path, MAX_DUMP_BYTES, "an nginx config")
    except InputError as exc:
        raise NginxConfigError(str(exc).removeprefix(f"{shown}: "), shown) from None
    return data.decode("utf-8", "replace")


MAX_DUMP_BYTES = 64 << 20


def _load_dump(text: str, source: str) -> NginxConfig:
    files = split_nginx_dump(text)
    if not files:
        raise NginxConfigError("looks like `nginx -T` output but holds no configuration file", source)
    with tempfile.TemporaryDirectory(prefix="lpdoctor-nginx-") as tmp:
        root = os.path.realpath(tmp)

        def to_disk(name: str) -> str:
            return root + os.path.normpath(name)

        try:
            for name, content in files:
                disk = to_disk(name)
                os.makedirs(os.path.dirname(disk), exist_ok=True)
                with open(disk, "w", encoding="utf-8", errors="surrogateescape") as fh:
                    fh.write(content)
            for name, content in files:
                _retarget_includes(to_disk(name), content, root)
        except OSError as exc:  # a file name too long, or one that clashes with a directory of the dump
            raise NginxConfigError(
                f"cannot split the `nginx -T` output into its files ({exc.strerror or exc})", source
            ) from None

        def display(p: str) -> str:
            p = os.path.normpath(p)
            return p[len(root) :] if p.startswith(root + os.sep) else p

        tree, read = _parse_files(to_disk(files[0][0]), display=display, dump=True)
    config = _interpret(tree, source=source, main_file=files[0][0], files=read, from_dump=True)
    return config


MAX_MIRRORED_ENTRIES = 10_000


def _load_text(text: str, source: str, display: str, base_dir: str) -> NginxConfig:
    """A plain config read from a pipe: relative includes resolve against ``base_dir`` (the current directory).

    crossplane resolves relative includes against the main file's directory, so the text is written to a
    temp directory that mirrors ``base_dir`` with symlinks (nothing is written to ``base_dir``); names are
    shown as ``base_dir`` paths.
    """
    base = os.path.realpath(base_dir)
    with tempfile.TemporaryDirectory(prefix="lpdoctor-nginx-") as tmp:
        root = os.path.realpath(tmp)
        main = os.path.join(root, ".lpdoctor-stdin.conf")
        try:
            for i, entry in enumerate(os.scandir(base)):
                if i >= MAX_MIRRORED_ENTRIES:
                    break
                if entry.name != os.path.basename(main):
                    os.symlink(entry.path, os.path.join(root, entry.name))
        except OSError:
            pass  # an unreadable current directory: includes then fail with a clear message
        with open(main, "w", encoding="utf-8") as fh:
            fh.write(text)

        def show(p: str) -> str:
            p = os.path.normpath(p)
            if p == main:
                return display
            return base + p[len(root) :] if p.startswith(root + os.sep) else p

        tree, read = _parse_files(main, display=show, dump=False)
    return _interpret(tree, source=source, main_file=display, files=read, from_dump=False)


def _retarget_includes(disk: str, text: str, root: str) -> None:
    """Point absolute include paths of a dumped file (a temp copy) into ``root``, where the dump was split.

    Works on the tokens crossplane's lexer finds, touching only the include argument's own line, so
    line numbers never move. A file that does not lex is left alone (parsing reports the error).
    """
    lines = text.split("\n")
    changed = False
    try:
        tokens = list(crossplane.lex(disk))
    except Exception:
        return
    expect_directive = True
    i = 0
    while i < len(tokens):
        token, line, quoted = tokens[i]
        if not quoted and token in (";", "{", "}"):
            expect_directive = True
            i += 1
            continue
        if expect_directive and not quoted and token.startswith("#"):
            i += 1
            continue
        if expect_directive and token == "include" and i + 1 < len(tokens):
            arg, arg_line, _ = tokens[i + 1]
            new = root + arg if arg.startswith("/") else None
            if new is not None and 0 < arg_line <= len(lines):
                row = lines[arg_line - 1]
                start = row.find("include") + len("include") if arg_line == line else 0
                pos = row.find(arg, max(start, 0))
                if pos >= 0:
                    lines[arg_line - 1] = row[:pos] + new + row[pos + len(arg) :]
                    changed = True
        expect_directive = False
        i += 1
    if changed:
        with open(disk, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))


MAX_CONFIG_FILE_BYTES = 16 << 20
_KERNEL_TREES = ("/proc/", "/sys/", "/dev/")


def _include_problem(path: str) -> OSError | None:
    """Why an included file must not be read: a kernel file under /proc, /sys or /dev (``/dev/zero`` never ends,
    ``/dev/stdin`` waits), not a regular file (a FIFO blocks), or too large. None when it may be read (or does
    not exist: crossplane then reports it as nginx would)."""
    try:
        real = os.path.realpath(path)
        if os.path.abspath(path).startswith(_KERNEL_TREES) or real.startswith(_KERNEL_TREES):
            return OSError(errno.EINVAL, "not a regular file", path)
        st = os.stat(real)
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(st.st_mode):
        return None  # crossplane says "is a directory", as nginx does
    if not stat.S_ISREG(st.st_mode):
        return OSError(errno.EINVAL, "not a regular file", path)
    if st.st_size > MAX_CONFIG_FILE_BYTES:
        return OSError(errno.EFBIG, f"larger than {MAX_CONFIG_FILE_BYTES >> 20} MiB", path)
    return None


def _guarded_lex(filename: str) -> Iterator[tuple[str, int, bool]]:
    problem = _include_problem(filename)
    if problem is not None:
        raise problem
    note_input(filename)  # no output may land on it (commands/common.py)
    yield from crossplane.lexer.lex(filename)


def _guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
    problem = _include_problem(str(file))
    if problem is not None:
        raise problem
    return open(file, *args, **kwargs)


class _BoundedGlob:
    """What crossplane sees as its ``glob`` module: a wildcard in a *directory* of an include outside the
    main file's tree (``include /*/*/*/*.conf;``) would walk this machine's whole file system for minutes,
    and is refused; a wildcard in the file name (``/etc/nginx/conf.d/*.conf``) lists one directory, as before."""

    has_magic = staticmethod(glob.has_magic)

    def __init__(self, tree: str) -> None:
        self.tree = tree.rstrip(os.sep) + os.sep

    def glob(self, pattern: str) -> list[str]:
        inside = os.path.abspath(pattern).startswith(self.tree)
        if not inside and glob.has_magic(os.path.dirname(pattern)):
            raise NginxConfigError(
                f"wildcard include {pattern}: a directory outside the configuration's tree is not expanded "
                "(it would walk this machine's file system)"
            )
        return glob.glob(pattern)


@contextlib.contextmanager
def _guarded_crossplane(main: str) -> Iterator[None]:
    """crossplane opens included files itself: check each one first (an ``include /dev/zero;`` in a config
    under review must not hang CI), and bound what its include wildcards may walk."""
    parser = crossplane.parser
    saved = parser.lex
    parser.lex = _guarded_lex
    parser.open = _guarded_open  # shadows the builtin crossplane uses to check a literal include
    parser.glob = _BoundedGlob(os.path.dirname(os.path.abspath(main)))
    try:
        yield
    finally:
        parser.lex = saved
        parser.glob = glob
        del parser.open


def _parse_files(main: str, display: Callable[[str], str], dump: bool) -> tuple[list[_Stmt], list[str]]:
    try:
        with _guarded_crossplane(main):
            payload = crossplane.parse(
                main,
                onerror=lambda exc: exc,
                catch_errors=True,
                single=False,
                comments=False,
                strict=False,
                check_ctx=False,
                check_args=True,
            )
    except NginxConfigError as exc:
        raise NginxConfigError(exc.problem, exc.file or display(main), exc.line) from None
    except Exception as exc:  # crossplane has no documented exceptions; never show a traceback
        raise NginxConfigError(f"cannot parse ({exc})", display(main)) from None
    configs: list[dict[str, Any]] = payload.get("config", [])
    if payload.get("errors"):
        error = _first_error(payload["errors"], display, dump)
        top = configs[0].get("parsed", []) if configs else []
        if error.problem.startswith("include ") and not any(st.get("directive") == "http" for st in top):
            error = NginxConfigError(
                error.problem + " (relative includes resolve against the main nginx.conf's directory: "
                "pass the main nginx.conf, or its `nginx -T` output)",
                error.file,
                error.line,
            )
        raise error
    files = [display(c["file"]) for c in configs]
    budget = [MAX_STATEMENTS]
    tree = _splice(configs, 0, [(os.path.realpath(configs[0]["file"]), files[0])], files, budget)
    return tree, files


def _first_error(errors: list[dict[str, Any]], display: Callable[[str], str], dump: bool) -> NginxConfigError:
    err = errors[0]
    exc = err.get("callback")
    file = display(err.get("file") or "")
    line = err.get("line")
    if isinstance(exc, OSError) and line:  # a literal include that cannot be opened
        target = display(exc.filename) if isinstance(exc.filename, str) else "?"
        if exc.errno == errno.ENOENT:
            reason = "not in the nginx -T dump" if dump else "no such file"
        elif exc.errno == errno.EISDIR:
            reason = "is a directory"
        else:
            reason = exc.strerror or str(exc)
        problem = f"include {target}: {reason}"
    elif isinstance(exc, OSError):
        problem = f"cannot read ({exc.strerror or exc})"
    elif isinstance(exc, StopIteration) or not str(exc or err.get("error") or ""):
        problem = 'unexpected end of file, expecting ";" or "}"'
        line = line or _count_lines(err.get("file"))
    else:
        problem = getattr(exc, "strerror", None) or _strip_where(str(err.get("error", "")))
        if "number of arguments" in problem or "not terminated" in problem or "no opening" in problem:
            problem += " (missing ';'?)"
        elif "unexpected end of file" in problem:
            problem += " (unbalanced '{')"
        elif 'unexpected "}"' in problem:
            problem += " (unbalanced '}')"
    more = len(errors) - 1
    if more:
        problem += f" (and {more} more problem{'s' if more > 1 else ''})"
    return NginxConfigError(problem, file or None, line)


def _strip_where(message: str) -> str:
    return re.sub(r" in [^ ]{1,4096}$", "", message)


def _count_lines(path: str | None) -> int | None:
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            return fh.read().count(b"\n") + 1
    except OSError:
        return None


def _splice(
    configs: list[dict[str, Any]],
    index: int,
    stack: list[tuple[str, str]],
    files: list[str],
    budget: list[int],
) -> list[_Stmt]:
    """The statements of ``configs[index]`` with every include replaced by the included statements."""
    file = files[index]
    return _convert(configs[index].get("parsed", []), file, configs, stack, files, budget)


def _convert(
    raw: list[dict[str, Any]],
    file: str,
    configs: list[dict[str, Any]],
    stack: list[tuple[str, str]],
    files: list[str],
    budget: list[int],
) -> list[_Stmt]:
    out: list[_Stmt] = []
    for item in raw:
        budget[0] -= 1
        if budget[0] < 0:
            raise NginxConfigError(f"more than {MAX_STATEMENTS} statements after includes", file)
        name = item.get("directive", "")
        line = int(item.get("line") or 0)
        if name == "include" and "includes" in item:
            for idx in item["includes"]:
                real = os.path.realpath(configs[idx]["file"])
                reals = [seen for seen, _ in stack]
                if real in reals:
                    names = [shown for _, shown in stack[reals.index(real) :]] + [files[idx]]
                    base = os.path.dirname(files[0])
                    cycle = [os.path.relpath(n, base) if base and n.startswith(base + os.sep) else n for n in names]
                    raise NginxConfigError(f"include loop: {' → '.join(cycle)} (nginx crashes on this)", file, line)
                out.extend(_splice(configs, idx, [*stack, (real, files[idx])], files, budget))
            continue
        block = None
        if "block" in item:
            block = _convert(item["block"], file, configs, stack, files, budget)
        out.append(_Stmt(name, [str(a) for a in item.get("args", [])], file, line, block))
    return out


# --------------------------------------------------------------------------------------------- interpreting


@dataclass(slots=True)
class _Scope:
    label: str
    settings: dict[str, _Stmt]
    parent: _Scope | None

    def chain(self) -> Iterator[_Scope]:
        scope: _Scope | None = self
        while scope is not None:
            yield scope
            scope = scope.parent


_TRACKED = frozenset(
    {"send_timeout", "keepalive_timeout"}
    | {f"{k}_{t}_timeout" for k in PASS_KINDS for t in ("read", "send", "connect")}
    | {f"{k}_next_upstream" for k in PASS_KINDS}
    | {f"{k}_next_upstream_tries" for k in PASS_KINDS}
    | {f"{k}_next_upstream_timeout" for k in PASS_KINDS}
    | {f"{k}_buffering" for k in PASS_KINDS if k != "grpc"}
)
_PASS_DIRECTIVES = {f"{k}_pass": k for k in PASS_KINDS}


class _Builder:
    def __init__(self, config: NginxConfig) -> None:
        self.config = config
        self._warned: set[tuple[str, int, str]] = set()
        self.maps: dict[str, _Stmt] = {}

    def warn(self, stmt: _Stmt | None, message: str) -> None:
        key = (stmt.file, stmt.line, message) if stmt else ("", 0, message)
        if key in self._warned:
            return
        self._warned.add(key)
        self.config.warnings.append(f"{stmt.file}:{stmt.line}: {message}" if stmt else message)

    # ---- blocks

    def settings(self, block: list[_Stmt]) -> dict[str, _Stmt]:
        found: dict[str, _Stmt] = {}
        for stmt in block:
            if stmt.name in _TRACKED:
                if stmt.name in found:
                    first = found[stmt.name]
                    self.warn(
                        stmt,
                        f'"{stmt.name}" directive is duplicate (first at {first.file}:{first.line}); '
                        "nginx -t refuses this",
                    )
                    continue
                found[stmt.name] = stmt
        return found

    def http(self, block: list[_Stmt], scope: _Scope) -> None:
        for stmt in block:
            if stmt.name == "map" and len(stmt.args) >= 2:
                self.maps[stmt.args[1]] = stmt
            elif stmt.name == "log_format":
                self.log_format(stmt)
            elif stmt.name == "upstream" and stmt.args and stmt.block is not None:
                self.upstream(stmt)
        self.logs(block, scope.label)
        index = 0
        for stmt in block:
            if stmt.name == "server" and stmt.block is not None:
                index += 1
                self.config.servers.append(self.server(stmt, scope, index))

    def server(self, stmt: _Stmt, http: _Scope, index: int) -> NginxServer:
        block = stmt.block or []
        names: list[str] = []
        listens: list[NginxListen] = []
        for s in block:
            if s.name == "server_name":
                names.extend(s.args)
            elif s.name == "listen" and s.args:
                listens.append(_listen(s))
        label = _server_label(names, listens, index)
        server = NginxServer(names=names, listens=listens, file=stmt.file, line=stmt.line, label=label)
        scope = _Scope(label, self.settings(block), http)
        self.logs(block, label)
        server.default = self.location_from(server, None, "", "", stmt, block, scope, server_default=True)
        for s in block:
            if s.name == "location" and s.block is not None:
                self.location(server, None, s, scope)
        for loc in server.locations:
            if loc.try_files_fallback and server.named(loc.try_files_fallback) is None:
                loc.notes.append(f"try_files falls back to {loc.try_files_fallback}, which this server does not define")
        return server

    def location(self, server: NginxServer, parent: NginxLocation | None, stmt: _Stmt, outer: _Scope) -> None:
        modifier, pattern = _location_args(stmt.args)
        if modifier is None:
            self.warn(stmt, f"cannot read location arguments {' '.join(stmt.args)!r}; skipped")
            return
        text = f"{modifier} {pattern}" if modifier and modifier != "@" else f"{modifier}{pattern}"
        label = f"{parent.label if parent else server.label} > location {text}"
        block = stmt.block or []
        scope = _Scope(label, self.settings(block), outer)
        self.logs(block, label)
        loc = self.location_from(server, parent, modifier, pattern, stmt, block, scope, label=label)
        server.locations.append(loc)
        if parent is not None:
            parent.children.append(loc)
        for s in block:
            if s.name == "location" and s.block is not None:
                self.location(server, loc, s, scope)

    def location_from(
        self,
        server: NginxServer,
        parent: NginxLocation | None,
        modifier: str,
        pattern: str,
        stmt: _Stmt,
        block: list[_Stmt],
        scope: _Scope,
        label: str | None = None,
        server_default: bool = False,
    ) -> NginxLocation:
        loc = NginxLocation(
            server=server,
            modifier=modifier,
            pattern=pattern,
            file=stmt.file,
            line=stmt.line,
            label=label or f"{server.label} (no location matched)",
            parent=parent,
            is_server_default=server_default,
        )
        if loc.is_regex:
            loc.regex = _compile_location_regex(pattern, modifier == "~*")
            if loc.regex is None:
                self.warn(stmt, f"location regex {pattern!r} does not compile in Python; it is never matched here")
        for s in block:
            if s.name in _PASS_DIRECTIVES and s.args and not server_default:
                if loc.pass_kind is not None:
                    self.warn(s, f'"{s.name}" directive is duplicate; nginx -t refuses this')
                    continue
                loc.pass_kind = _PASS_DIRECTIVES[s.name]
                loc.pass_target = s.args[0]
                loc.pass_source = SourceLocation(s.file, s.line, loc.label)
            elif s.name == "try_files" and s.args and s.args[-1].startswith("@"):
                loc.try_files_fallback = s.args[-1]
            elif s.name == "if" and s.block is not None:
                self.conditional(loc, s)
        if loc.pass_kind is None:
            conditional_pass = next((c for c in loc.conditional if c.directive in _PASS_DIRECTIVES), None)
            if conditional_pass is not None and conditional_pass.args:
                loc.pass_kind = _PASS_DIRECTIVES[conditional_pass.directive]
                loc.pass_target = conditional_pass.args[0]
                loc.pass_source = conditional_pass.location
                loc.notes.append(
                    f"requests are passed upstream only when if ({conditional_pass.condition}) holds "
                    f"({conditional_pass.location.file}:{conditional_pass.location.line})"
                )
        self.effective(loc, scope)
        if loc.pass_kind is not None and loc.pass_target is not None:
            loc.upstream = self.resolve_upstream(loc, loc.pass_kind, loc.pass_target)
        return loc

    def conditional(self, loc: NginxLocation, stmt: _Stmt) -> None:
        condition = " ".join(stmt.args)
        for s in stmt.block or []:
            where = SourceLocation(s.file, s.line, f"{loc.label} > if ({condition})")
            if s.name in _TRACKED:
                note = (
                    f'"{s.name}" is not allowed inside "if": nginx -t refuses this; '
                    "it would apply only when the condition holds"
                )
                self.warn(s, note)
            elif s.name in _PASS_DIRECTIVES:
                note = "applies only when the condition holds"
            elif s.name in ("return", "rewrite", "set", "break", "add_header", "access_log"):
                note = "applies only when the condition holds"
                if s.name == "access_log":
                    self._access_log(s, where.context or loc.label)
            else:
                continue
            loc.conditional.append(ConditionalDirective(condition, s.name, tuple(s.args), where, note))

    # ---- effective values

    def effective(self, loc: NginxLocation, scope: _Scope) -> None:
        names: list[str] = []
        if loc.pass_kind:
            k = loc.pass_kind
            names += [
                f"{k}_read_timeout",
                f"{k}_send_timeout",
                f"{k}_connect_timeout",
                f"{k}_next_upstream_timeout",
            ]
        names += ["send_timeout", "keepalive_timeout"]
        for name in names:
            loc.timeouts[name] = self.timeout(name, scope, loc)
        for c in loc.conditional:
            if c.directive in loc.timeouts:
                t = loc.timeouts[c.directive]
                at = f"{c.location.file}:{c.location.line}"
                extra = f"if ({c.condition}) at {at} sets {' '.join(c.args)} (rejected by nginx)"
                t.note = f"{t.note}; {extra}" if t.note else extra
        if loc.pass_kind:
            k = loc.pass_kind
            loc.next_upstream = self.next_upstream(k, scope, loc, loc.timeouts[f"{k}_next_upstream_timeout"])
            if k != "grpc":
                loc.buffering = self.setting(f"{k}_buffering", scope, loc, "on")
                if loc.buffering.value not in ("on", "off"):
                    self.warn(None, f"{loc.buffering.location}: {k}_buffering must be on or off")

    def timeout(self, name: str, scope: _Scope, loc: NginxLocation) -> Timeout:
        role = _role(name) or name
        semantics = _MEANING[role][0]
        rejected: list[str] = []
        for sc in scope.chain():
            stmt = sc.settings.get(name)
            if stmt is None:
                continue
            text = stmt.args[0] if stmt.args else ""
            value, problem = _parse_time(text)
            where = SourceLocation(stmt.file, stmt.line, sc.label)
            if problem is not None:
                hint = self._variable_hint(text)
                self.warn(stmt, f"{name} {text!r}: {problem}{hint}")
                rejected.append(f"{name} {text!r} at {stmt.file}:{stmt.line} is invalid ({problem}{hint})")
                continue
            t = Timeout(COMPONENT, name, value, semantics, where, explicit=True)
            t.note = _value_note(role, value, stmt)
            if rejected:
                t.note = "; ".join([*rejected, "the value inherited from here is shown"] + ([t.note] if t.note else []))
            return _finish(t, role)
        default = None if role == "next_upstream_timeout" else _DEFAULTS[role]
        t = Timeout(COMPONENT, name, default, semantics, loc.source, explicit=False, note="built-in default")
        if role == "next_upstream_timeout":
            t.note = "built-in default 0: no limit"
        if rejected:
            t.note = "; ".join([*rejected, "the built-in default is shown"])
        return t

    def _variable_hint(self, text: str) -> str:
        m = re.match(r"\$([A-Za-z0-9_]{1,128})", text)
        stmt = self.maps.get(f"${m.group(1)}") if m else None
        return f"; ${m.group(1)} is set by the map at {stmt.file}:{stmt.line}" if m and stmt else ""

    def setting(self, name: str, scope: _Scope, loc: NginxLocation, default: str) -> NginxSetting:
        for sc in scope.chain():
            stmt = sc.settings.get(name)
            if stmt is not None:
                return NginxSetting(name, " ".join(stmt.args), SourceLocation(stmt.file, stmt.line, sc.label))
        return NginxSetting(name, default, loc.source, explicit=False, note="built-in default")

    def next_upstream(self, kind: str, scope: _Scope, loc: NginxLocation, timeout: Timeout) -> NextUpstream:
        default = " ".join(DEFAULT_NEXT_UPSTREAM)
        cond = self.setting(f"{kind}_next_upstream", scope, loc, default)
        values = tuple(cond.value.split())
        unknown = [v for v in values if v not in _NEXT_UPSTREAM_VALUES]
        if unknown:
            self.warn(
                None,
                f"{cond.location}: {kind}_next_upstream has unknown value(s) {', '.join(unknown)} (missing ';'?)",
            )
        tries_setting = self.setting(f"{kind}_next_upstream_tries", scope, loc, "0")
        try:
            tries = int(tries_setting.value)
        except ValueError:
            self.warn(
                None,
                f"{tries_setting.location}: {kind}_next_upstream_tries {tries_setting.value!r} is not a number",
            )
            tries = 0
            tries_setting = NginxSetting(
                tries_setting.directive,
                tries_setting.value,
                tries_setting.location,
                tries_setting.explicit,
                "not a number: read as 0 (no limit)",
            )
        return NextUpstream(values or DEFAULT_NEXT_UPSTREAM, tries, timeout, cond, tries_setting)

    # ---- upstreams

    def upstream(self, stmt: _Stmt) -> None:
        name = stmt.args[0]
        if name in self.config.upstreams:
            first = self.config.upstreams[name]
            self.warn(
                stmt,
                f'duplicate upstream "{name}" (first at {first.file}:{first.line}); nginx -t refuses this',
            )
            return
        up = Upstream(name=name, file=stmt.file, line=stmt.line)
        keepalive_timeout: _Stmt | None = None
        for s in stmt.block or []:
            if s.name == "server" and s.args:
                up.servers.append(self._upstream_server(s))
            elif s.name == "keepalive" and s.args:
                try:
                    up.keepalive = int(s.args[0])
                except ValueError:
                    self.warn(s, f"keepalive {s.args[0]!r} is not a number")
            elif s.name == "keepalive_timeout" and s.args:
                keepalive_timeout = s
            elif s.name in ("ip_hash", "least_conn", "hash", "random", "least_time", "sticky"):
                up.balancing = " ".join([s.name, *s.args])
        if up.keepalive is not None:
            semantics, meaning = _MEANING["upstream_keepalive_timeout"]
            if keepalive_timeout is not None:
                value, problem = _parse_time(keepalive_timeout.args[0])
                where = SourceLocation(keepalive_timeout.file, keepalive_timeout.line, f"upstream {name}")
                if problem:
                    self.warn(keepalive_timeout, f"keepalive_timeout {keepalive_timeout.args[0]!r}: {problem}")
                    value = DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_S
                up.keepalive_timeout = Timeout(COMPONENT, "keepalive_timeout", value, semantics, where, note=meaning)
            else:
                up.keepalive_timeout = Timeout(
                    COMPONENT,
                    "keepalive_timeout",
                    DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_S,
                    semantics,
                    up.source,
                    explicit=False,
                    note="built-in default; " + meaning,
                )
        if not up.servers:
            up.note = "no server lines"
        self.config.upstreams[name] = up

    def _upstream_server(self, s: _Stmt) -> UpstreamServer:
        server = UpstreamServer(address=s.args[0], file=s.file, line=s.line)
        for param in s.args[1:]:
            key, _, value = param.partition("=")
            try:
                if key == "weight":
                    server.weight = int(value)
                elif key == "max_fails":
                    server.max_fails = int(value)
                elif key == "fail_timeout":
                    parsed, problem = _parse_time(value)
                    if problem or parsed is None:
                        raise ValueError(problem)
                    server.fail_timeout_s = parsed
                elif key == "backup":
                    server.backup = True
                elif key == "down":
                    server.down = True
            except ValueError:
                self.warn(s, f"upstream server parameter {param!r} is invalid")
        return server

    def resolve_upstream(self, loc: NginxLocation, kind: str, target: str) -> Upstream | None:
        if "$" in target:
            loc.notes.append(
                f"{kind}_pass {target} uses a variable: the upstream, and so the number of servers a "
                "timed-out request can be retried on, is decided per request"
            )
            return None
        host, port = _pass_host(kind, target)
        if host in self.config.upstreams and port is None:
            return self.config.upstreams[host]
        if host in self.config.upstreams:
            self.warn(None, f'{loc.pass_source}: upstream "{host}" may not have a port; nginx -t refuses this')
            return self.config.upstreams[host]
        address = f"{host}:{port}" if port is not None else host
        up = Upstream(
            name=address,
            servers=[UpstreamServer(address=address, file=loc.file, line=loc.line)],
            file=loc.pass_source.file if loc.pass_source else loc.file,
            line=loc.pass_source.line if loc.pass_source else loc.line,
            implicit=True,
        )
        if host == "localhost":
            up.note = "localhost usually resolves to two addresses (127.0.0.1 and ::1): nginx then has two servers"
        elif not host.startswith("unix:") and not _is_ip(host):
            up.note = f"{host} is a host name: if it resolves to several addresses, each is a server"
        return up

    # ---- logs

    def log_format(self, stmt: _Stmt) -> None:
        if not stmt.args:
            return
        name, parts = stmt.args[0], stmt.args[1:]
        escape = "default"
        if parts and parts[0].startswith("escape="):
            escape = parts[0].partition("=")[2]
            parts = parts[1:]
        fmt = LogFormatDef(name, "".join(parts), escape, SourceLocation(stmt.file, stmt.line, "http"))
        if name in self.config.log_formats and not self.config.log_formats[name].builtin:
            self.warn(stmt, f'duplicate log_format "{name}"; nginx -t refuses this')
            return
        self.config.log_formats[name] = fmt

    def logs(self, block: list[_Stmt], label: str) -> None:
        for stmt in block:
            if stmt.name == "access_log":
                self._access_log(stmt, label)
            elif stmt.name == "error_log" and stmt.args:
                level = stmt.args[1] if len(stmt.args) > 1 else None
                self.config.error_logs.append(
                    ErrorLogDef(stmt.args[0], level, SourceLocation(stmt.file, stmt.line, label))
                )

    def _access_log(self, stmt: _Stmt, label: str) -> None:
        if not stmt.args:
            return
        where = SourceLocation(stmt.file, stmt.line, label)
        if stmt.args[0] == "off":
            self.config.access_logs.append(AccessLogDef(None, "", where, off=True))
            return
        # access_log path [format [buffer=size] [gzip[=level]] [flush=time] [if=condition]]
        fmt = stmt.args[1] if len(stmt.args) > 1 else "combined"
        options = tuple(stmt.args[2:])
        if fmt not in self.config.log_formats:
            self.warn(stmt, f'access_log uses unknown log format "{fmt}"; nginx -t refuses this')
        self.config.access_logs.append(AccessLogDef(stmt.args[0], fmt, where, options))


_DEFAULTS: dict[str, float] = {
    "read_timeout": DEFAULT_UPSTREAM_TIMEOUT_S,
    "send_timeout_upstream": DEFAULT_UPSTREAM_TIMEOUT_S,
    "connect_timeout": DEFAULT_UPSTREAM_TIMEOUT_S,
    "send_timeout": DEFAULT_SEND_TIMEOUT_S,
    "keepalive_timeout": DEFAULT_KEEPALIVE_TIMEOUT_S,
}


def _finish(t: Timeout, role: str) -> Timeout:
    if role == "next_upstream_timeout" and t.value_s == 0:
        t.value_s = None
    return t


def _value_note(role: str, value: float | None, stmt: _Stmt) -> str | None:
    if value != 0:
        if role == "keepalive_timeout" and len(stmt.args) > 1:
            return f'second argument {stmt.args[1]!r} is only the "Keep-Alive: timeout=" header value'
        return None
    if role == "next_upstream_timeout":
        return "0 means no limit"
    if role == "keepalive_timeout":
        return "0 disables keep-alive client connections"
    return "0 is a zero timeout (nginx gives up at once, 504), not 'no limit'"


def _parse_time(text: str) -> tuple[float | None, str | None]:
    """(seconds, None) or (None, why it is not a valid nginx time)."""
    if "$" in text:
        return None, "nginx reads no variables here (nginx -t fails: invalid value)"
    if not _NGINX_TIME.fullmatch(text.strip()):
        return None, "not an nginx time (whole numbers with ms, s, m, h, d, w, M or y)"
    try:
        return parse_nginx_time(text), None
    except DurationError as exc:
        return None, str(exc)


# Directives whose misspelling silently leaves a default in place that lpdoctor would then report as set.
_TIMING_DIRECTIVES: tuple[str, ...] = (
    *(
        f"{kind}_{suffix}"
        for kind in PASS_KINDS
        for suffix in (
            "read_timeout",
            "send_timeout",
            "connect_timeout",
            "next_upstream",
            "next_upstream_tries",
            "next_upstream_timeout",
            "buffering",
            "pass",
        )
    ),
    "send_timeout",
    "keepalive_timeout",
    "keepalive",
    "client_body_timeout",
    "client_header_timeout",
)


def _refuse_misspelled_timeouts(stmts: list[_Stmt]) -> None:
    """A directive nginx does not know that is one typo away from a timing directive: nginx -t refuses it
    ("unknown directive"), and reading on would judge the route by a default the user meant to change.
    Other unknown directives are left alone: they may belong to third-party modules. Known is what
    crossplane lists or nginx's own source does (:mod:`lpdoctor.dialects.nginx.directives`: crossplane's list
    lacks ``keepalive_time`` and other directives newer than it)."""
    for stmt in stmts:
        name = stmt.name
        known = name in crossplane.analyzer.DIRECTIVES or name in NGINX_DIRECTIVES or name in _TIMING_DIRECTIVES
        if not known:
            close = difflib.get_close_matches(name, _TIMING_DIRECTIVES, n=1, cutoff=0.88)
            if close:
                raise NginxConfigError(
                    f'unknown directive "{name}" (did you mean {close[0]}?); nginx -t refuses it',
                    stmt.file,
                    stmt.line,
                )
        if stmt.block:
            _refuse_misspelled_timeouts(stmt.block)


def _refuse_unreadable_timers(stmts: list[_Stmt]) -> None:
    """A timer lpdoctor checks whose value is no nginx time at all (``proxy_read_timeout thirty;``, ``1.5s``):
    nginx -t refuses it, and judging the route by the default instead would pass a config nginx never runs.
    A variable (``$poll_timeout``) is the one invalid value lpdoctor does read: nginx -t refuses it too, and
    the report shows the value inherited in its place, why, and the map that sets the variable."""
    for stmt in stmts:
        if _role(stmt.name) is not None and stmt.args and "$" not in stmt.args[0]:
            _, problem = _parse_time(stmt.args[0])
            if problem is not None:
                raise NginxConfigError(
                    f"{stmt.name} {stmt.args[0]!r}: {problem}; nginx -t refuses it", stmt.file, stmt.line
                )
        if stmt.block:
            _refuse_unreadable_timers(stmt.block)


def _interpret(tree: list[_Stmt], source: str, main_file: str, files: list[str], from_dump: bool) -> NginxConfig:
    _refuse_misspelled_timeouts(tree)
    _refuse_unreadable_timers(tree)
    config = NginxConfig(source=source, main_file=main_file, files=files, from_dump=from_dump)
    config.log_formats["combined"] = LogFormatDef(
        "combined",
        COMBINED_FORMAT,
        "default",
        SourceLocation(None, None, "built-in log_format combined"),
        builtin=True,
    )
    builder = _Builder(config)
    for stmt in tree:
        if stmt.name == "error_log" and stmt.args:
            level = stmt.args[1] if len(stmt.args) > 1 else None
            config.error_logs.append(ErrorLogDef(stmt.args[0], level, SourceLocation(stmt.file, stmt.line, "main")))
    http_blocks = [s for s in tree if s.name == "http" and s.block is not None]
    if http_blocks:
        for http in http_blocks:
            builder.http(http.block or [], _Scope("http", builder.settings(http.block or []), None))
    elif any(s.name in ("server", "upstream", "location") for s in tree):
        # A site file given on its own (conf.d/app.conf): read its top level as the inside of http {}.
        config.warnings.append(f"{main_file}: no http block; read its top level as if it were inside http {{}}")
        top = [s for s in tree if s.name != "location"]
        if any(s.name == "location" for s in tree):
            config.warnings.append(f"{main_file}: location blocks outside a server block are ignored")
        builder.http(top, _Scope("http", builder.settings(top), None))
    return config


# --------------------------------------------------------------------------------------------- small parsers


def _location_args(args: list[str]) -> tuple[str | None, str]:
    """``location`` arguments → (modifier, pattern); nginx also accepts a modifier glued to the pattern."""
    if len(args) == 2 and args[0] in ("=", "~", "~*", "^~"):
        return args[0], args[1]
    if len(args) != 1 or not args[0]:
        return None, ""
    a = args[0]
    if a.startswith("@"):
        return "@", a[1:]
    for mod in ("^~", "~*", "=", "~"):
        if a.startswith(mod) and len(a) > len(mod):
            return mod, a[len(mod) :]
    return "", a


_PCRE_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_PCRE_NAMED_QUOTE = re.compile(r"\(\?'([A-Za-z_][A-Za-z0-9_]{0,63})'")


def pcre_to_python(pattern: str) -> str:
    """The few PCRE spellings Python's ``re`` lacks: named groups ``(?<n>...)`` and ``(?'n'...)``."""
    pattern = _PCRE_NAMED_GROUP.sub("(?P<", pattern)
    return _PCRE_NAMED_QUOTE.sub(r"(?P<\1>", pattern)


def _compile_location_regex(pattern: str, caseless: bool) -> re.Pattern[str] | None:
    try:
        return re.compile(pcre_to_python(pattern), re.IGNORECASE if caseless else 0)
    except (re.error, RecursionError, OverflowError):
        return None


def _listen(stmt: _Stmt) -> NginxListen:
    address = stmt.args[0]
    flags = stmt.args[1:]
    port: int | None
    if address.startswith("unix:"):
        port = None
    else:
        tail = address.rsplit("]", 1)[-1] if address.startswith("[") else address
        digits = tail.rsplit(":", 1)[-1] if ":" in tail else tail
        port = int(digits) if digits.isdecimal() else 80  # "listen 127.0.0.1;" means port 80
    default = "default_server" in flags or "default" in flags
    return NginxListen(address, port, default, stmt.file, stmt.line)


def _server_label(names: list[str], listens: list[NginxListen], index: int) -> str:
    real = [n for n in names if n and n != "_"]
    if real:
        return f"server {real[0]}"
    if listens:
        port = listens[0].port
        return f"server :{port}" if port is not None else f"server {listens[0].address}"
    return f"server #{index}"


def _pass_host(kind: str, target: str) -> tuple[str, int | None]:
    """``*_pass`` argument → (host or upstream name, port); ``unix:`` sockets keep their path."""
    rest = target
    if "://" in rest:
        rest = rest.split("://", 1)[1]
    if rest.startswith("unix:"):
        # proxy_pass http://unix:/run/app.sock:/uri  |  fastcgi_pass unix:/run/php.sock
        sock = rest[5:].split(":", 1)[0]
        return f"unix:{sock}", None
    hostport = rest.split("/", 1)[0]
    if hostport.startswith("["):
        host, _, after = hostport[1:].partition("]")
        port_text = after[1:] if after.startswith(":") else ""
        return f"[{host}]", int(port_text) if port_text.isdecimal() else None
    host, sep, port_text = hostport.rpartition(":")
    if sep and port_text.isdecimal():
        return host, int(port_text)
    return hostport, None


def _is_ip(host: str) -> bool:
    if host.startswith("["):
        return True
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdecimal() and len(p) <= 3 for p in parts)


def iter_timeouts(config: NginxConfig) -> Iterable[tuple[NginxLocation, Timeout]]:
    """Every (location, effective timeout) pair, server defaults included."""
    for server in config.servers:
        for loc in [*(filter(None, [server.default])), *server.locations]:
            for t in loc.timeouts.values():
                yield loc, t
