"""HAProxy configuration (``haproxy.cfg``) → the hop that serves each request, with its timers.

What the reader understands (haproxy ``doc/configuration.txt``; research: shared/research/timeouts.md table A):

- sections ``global``, ``defaults [name] [from name]``, ``frontend|backend|listen name [from name]``; a proxy
  inherits every setting it does not set from the last ``defaults`` before it (or the named one);
- timers ``timeout server|client|connect|http-request|http-keep-alive|queue|tunnel|...`` in HAProxy's time
  syntax: a bare number is **milliseconds**, units ``us ms s m h d`` (``1m30s`` is not one: 2.6 reads ``1m``
  and warns). ``0`` or unset is **no limit** (HAProxy warns "missing timeouts" at startup);
- routing: ``use_backend <be> if|unless <condition>`` in order, then ``default_backend``; conditions over named
  ``acl`` lines and anonymous ``{ ... }`` ACLs, with ``!``, AND by juxtaposition and ``||``/``or``. Fetches
  understood: ``path``, ``path_beg``, ``path_end``, ``path_sub``, ``path_dir``, ``path_reg``, ``url*``,
  ``base*``, ``hdr(host)`` and friends, ``method``; the predefined ``TRUE``/``FALSE``/``METH_GET``/``HTTP``.
  Anything else is "unknown": a rule that depends on it is taken as not matching, with a note.

Which timers end a held GET:

- ``timeout server`` (backend side, idle: any byte from the server resets it) — **the** long-poll timer:
  [E] HAProxy 2.6 answered 504 with ``sH--`` and ``Tr=-1`` when it struck before the response headers;
- ``timeout client`` did **not** cut a held GET in tests ([E] 2.6, 5 s hold, ``timeout client 2s``: 200),
  so it is not a hop timer; ``timeout tunnel`` applies only to upgraded connections (WebSocket), not to a
  long-poll; ``timeout http-request`` bounds receiving the request headers, ``timeout connect`` the TCP
  connect: neither can end a request already held. They are kept on :class:`Proxy` and shown as notes.
- ``retries`` re-sends a request on a new connection only for the ``retry-on`` conditions (default
  ``conn-failure``); with ``response-timeout`` (or ``all-retryable-errors``) in it, each timed-out attempt
  is replayed, so the client waits up to (retries + 1) × ``timeout server``. ``option redispatch`` lets the
  retry go to another server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lpdoctor.dialects.base import ConfigReadError, Frontend, RoutedSource, read_text, timer
from lpdoctor.dialects.config_regex import untrusted_match
from lpdoctor.model import Hop, HopKind, Semantics, SourceLocation, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_GLOBAL, SCOPE_ROUTE, HopFacts, RetryFacts
from lpdoctor.text.durations import fmt_s

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
_RETRY_ON_TIMEOUT = {"response-timeout", "all-retryable-errors"}

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


@dataclass(slots=True)
class HaproxyConfig:
    files: list[str]
    proxies: dict[str, Proxy] = field(default_factory=dict)  # frontend/backend/listen by name
    defaults: list[Proxy] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _facts: dict[tuple[str, str], HopFacts] = field(default_factory=dict)

    @property
    def main_file(self) -> str:
        return self.files[0] if self.files else "haproxy.cfg"

    def frontends(self) -> list[Proxy]:
        return [p for p in self.proxies.values() if p.kind in ("frontend", "listen") and p.binds]

    def backend(self, name: str) -> Proxy | None:
        p = self.proxies.get(name)
        return p if p is not None and p.has_backend else None

    # -- routing

    def route(
        self, frontend: Proxy, host: str | None, path: str, method: str = "GET"
    ) -> tuple[Proxy | None, list[str]]:
        """The backend HAProxy picks for ``method host path`` on ``frontend``, and notes on rules it could
        not evaluate."""
        notes: list[str] = []
        if frontend.effective_mode() != "http":
            target = frontend.default_backend[0] if frontend.default_backend else None
            if target is None and frontend.kind == "listen":
                return frontend, notes
            return (self.backend(target) if target else None), notes
        req = _Request(host=host, path=path, method=method)
        for rule in frontend.use_backends:
            verdict = _condition(rule.cond_kind, rule.cond, frontend, req)
            if verdict is None:
                notes.append(
                    f"{rule.line.file}:{rule.line.line}: use_backend {rule.backend} has a condition lpdoctor "
                    "cannot evaluate; it was taken as not matching"
                )
                continue
            if verdict:
                if "%[" in rule.backend:
                    notes.append(
                        f"{rule.line.file}:{rule.line.line}: use_backend {rule.backend} picks its backend at "
                        "run time; lpdoctor cannot tell which"
                    )
                    return None, notes
                return self.backend(rule.backend), notes
        if frontend.default_backend is not None:
            return self.backend(frontend.default_backend[0]), notes
        if frontend.kind == "listen":
            return frontend, notes
        return None, notes

    def hop_facts(self, frontend: Proxy, backend: Proxy, notes: list[str], catch_all: bool) -> HopFacts:
        key = (frontend.label, backend.label)
        cached = self._facts.get(key)
        if cached is None:
            cached = _hop_facts(frontend, backend, catch_all)
            self._facts[key] = cached
        for note in notes:
            if note not in cached.notes:
                cached.notes.append(note)
        return cached

    def pick(self, frontend: Proxy, host: str | None, path: str) -> HopFacts | None:
        backend, notes = self.route(frontend, host, path)
        if backend is None:
            return None
        catch_all = frontend.default_backend is not None and backend.name == frontend.default_backend[0]
        if frontend.kind == "listen" and backend is frontend:
            catch_all = True
        return self.hop_facts(frontend, backend, notes, catch_all)

    def source(self) -> RoutedSource:
        frontends = [
            Frontend(name=fe.label, hosts=[], pick=self._picker(fe), probe_hosts=_host_values(fe))
            for fe in self.frontends()
        ]
        return RoutedSource(
            COMPONENT,
            self.main_file,
            frontends,
            self.warnings,
            every_hop=self._every_hop,
            files=self.files,
            dialect="haproxy",
        )

    def _picker(self, fe: Proxy) -> Callable[[str | None, str], HopFacts | None]:
        def pick(host: str | None, path: str) -> HopFacts | None:
            return self.pick(fe, host, path)

        return pick

    def _every_hop(self) -> Iterator[HopFacts]:
        for fe in self.frontends():
            names = [u.backend for u in fe.use_backends]
            if fe.default_backend:
                names.append(fe.default_backend[0])
            for name in dict.fromkeys(names):
                be = self.backend(name)
                if be is not None:
                    yield self.hop_facts(fe, be, [], name == (fe.default_backend or ("",))[0])
            if fe.kind == "listen" and not names:
                yield self.hop_facts(fe, fe, [], True)


# ---- reading


_SECTION_HEADER = re.compile(r"(?m)^[ \t]*(?:frontend|backend|listen|defaults)(?:[ \t]+[^\s;{}#]{1,128}){0,3}[ \t]*$")
_HAPROXY_DIRECTIVE = re.compile(
    r"(?m)^[ \t]*(?:timeout[ \t]+(?:server|client|connect)|default_backend|use_backend|mode[ \t]+(?:http|tcp)"
    r"|bind[ \t]+\S{1,256}|server[ \t]+\S{1,128}[ \t]+\S{1,256})[^;{}\n]{0,512}$"
)
_SEMICOLON_LINE = re.compile(r"(?m);[ \t]*(?:#[^\n]{0,512})?$")


def looks_like(name: str, text: str) -> bool:
    """Whether a file is an HAProxy configuration (for dispatching by content). nginx files, whose lines end
    in ``;`` and whose ``listen``/``server`` lines would look alike, are never taken."""
    head = text[:200_000]
    if len(_SEMICOLON_LINE.findall(head)) >= 3:
        return False
    return bool(_SECTION_HEADER.search(head) and _HAPROXY_DIRECTIVE.search(head))


def load_haproxy_config(path: str) -> HaproxyConfig:
    """Read one file, or every ``*.cfg`` of a directory in name order (as ``haproxy -f DIR`` does).

    Raises :class:`HaproxyConfigError` only when nothing can be read; anything HAProxy would warn about or
    refuse becomes a ``file:line: ...`` warning on the result.
    """
    files: list[str]
    if path != "-" and os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith(".cfg"))
        if not files:
            raise HaproxyConfigError("directory without *.cfg files", path)
    else:
        files = [path]
    texts = []
    for f in files:
        try:
            texts.append((f if f != "-" else "<stdin>", read_text(f)))
        except ConfigReadError as exc:
            raise HaproxyConfigError(exc.problem, exc.file, exc.line) from None
    return parse_haproxy_config(texts)


def parse_haproxy_config(texts: list[tuple[str, str]]) -> HaproxyConfig:
    """Parse ``(file name, text)`` pairs in order. Never raises on content."""
    config = HaproxyConfig(files=[f for f, _ in texts])
    named_defaults: dict[str, Proxy] = {}
    last_defaults: Proxy | None = None
    for file, text in texts:
        current: Proxy | None = None
        for no, raw in enumerate(text.splitlines(), start=1):
            if len(raw) > 65536:
                config.warnings.append(f"{file}:{no}: line longer than 64 KiB ignored")
                continue
            words = split_words(raw)
            if not words:
                continue
            line = Line(file, no, words)
            key = words[0]
            if key in SECTION_KEYWORDS or key in OTHER_SECTIONS:
                current = None
                if key in ("global",) or key in OTHER_SECTIONS:
                    continue
                name = words[1] if len(words) > 1 and words[1] != "from" else None
                parent_name = None
                if "from" in words:
                    i = words.index("from")
                    parent_name = words[i + 1] if i + 1 < len(words) else None
                parent = last_defaults
                if parent_name is not None:
                    parent = named_defaults.get(parent_name)
                    if parent is None:
                        config.warnings.append(
                            f"{file}:{no}: {key} {name or ''} inherits from defaults section {parent_name!r}, "
                            "which is not defined before it (HAProxy refuses this)"
                        )
                proxy = Proxy(kind=key, name=name, header=line, parent=parent)
                if key == "defaults":
                    if parent_name is None:
                        proxy.parent = None
                    last_defaults = proxy
                    if name:
                        named_defaults[name] = proxy
                    config.defaults.append(proxy)
                else:
                    if name is None:
                        config.warnings.append(f"{file}:{no}: {key} without a name (HAProxy refuses this)")
                        continue
                    if name in config.proxies and config.proxies[name].has_backend == proxy.has_backend:
                        config.warnings.append(
                            f"{file}:{no}: {key} {name} is defined twice (also {config.proxies[name].header.file}:"
                            f"{config.proxies[name].header.line}); lpdoctor reads the last one"
                        )
                    config.proxies[name] = proxy
                current = proxy
                continue
            if current is None:
                continue
            current.lines.append(line)
            _directive(current, line, config)
    _check(config)
    return config


def _directive(p: Proxy, line: Line, config: HaproxyConfig) -> None:
    w = line.words
    key = w[0]
    where = f"{line.file}:{line.line}"
    if key == "timeout" and len(w) >= 2:
        name = w[1]
        if name not in TIMER_NAMES:
            config.warnings.append(f"{where}: unknown timeout {name!r} (HAProxy refuses it)")
            return
        if len(w) < 3:
            config.warnings.append(f"{where}: timeout {name} without a value (HAProxy refuses it)")
            return
        _set_timer(p, name, w[2], line, config)
        return
    if key in LEGACY_TIMERS:
        config.warnings.append(
            f"{where}: {key} was removed in HAProxy 2.1; write 'timeout {LEGACY_TIMERS[key]} {w[1] if len(w) > 1 else ''}'"
        )
        if len(w) > 1:
            _set_timer(p, LEGACY_TIMERS[key], w[1], line, config, legacy=key)
        return
    if key == "mode" and len(w) > 1:
        p.mode = w[1]
    elif key == "retries" and len(w) > 1:
        if w[1].isdecimal():
            p.retries = (int(w[1]), line)
        else:
            config.warnings.append(f"{where}: retries expects a number, got {w[1]!r}")
    elif key == "retry-on" and len(w) > 1:
        p.retry_on = (w[1:], line)
    elif key == "option" and len(w) > 1 and w[1] == "redispatch":
        p.redispatch = line
    elif key == "no" and len(w) > 2 and w[1] == "option" and w[2] == "redispatch":
        p.redispatch = None
    elif key == "acl" and len(w) > 2:
        p.acls.setdefault(w[1], []).append(_acl(w[2:], line))
    elif key == "use_backend" and len(w) > 1:
        cond_kind = w[2] if len(w) > 2 and w[2] in ("if", "unless") else None
        p.use_backends.append(UseBackend(w[1], cond_kind, w[3:] if cond_kind else [], line))
    elif key == "default_backend" and len(w) > 1:
        p.default_backend = (w[1], line)
    elif key == "server" and len(w) > 2:
        p.servers.append((w[1], w[2], line))
    elif key == "server-template" and len(w) > 3:
        count = w[2].split("-")[-1]
        for i in range(min(int(count) if count.isdecimal() else 1, 1024)):
            p.servers.append((f"{w[1]}{i + 1}", w[3], line))
    elif key == "bind":
        p.binds.append(line)


def _set_timer(p: Proxy, name: str, raw: str, line: Line, config: HaproxyConfig, legacy: str | None = None) -> None:
    where = f"{line.file}:{line.line}"
    value, problem = parse_time(raw)
    if value is None:  # HAProxy refuses to start; the default in its place would pass what never runs
        raise HaproxyConfigError(f"timeout {name}: {problem}; HAProxy refuses to start", line.file, line.line)
    if problem:
        config.warnings.append(f"{where}: timeout {name}: {problem}")
    if name in BACKEND_SIDE and not p.has_backend:
        config.warnings.append(
            f"{where}: 'timeout {name}' will be ignored because {p.label} has no backend capability "
            "(HAProxy says the same); set it in the backend or defaults section"
        )
        return
    if name in FRONTEND_SIDE and not p.has_frontend:
        config.warnings.append(
            f"{where}: 'timeout {name}' will be ignored because {p.label} has no frontend capability "
            "(HAProxy says the same); set it in the frontend or defaults section"
        )
        return
    p.timers[name] = Setting(
        name=f"timeout {name}",
        value_s=value if value > 0 else None,
        raw=raw if legacy is None else f"{legacy} {raw}",
        location=line.where(p.context),
    )


def _acl(words: list[str], line: Line) -> Acl:
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


def _check(config: HaproxyConfig) -> None:
    """What HAProxy itself says at startup about timeouts and dangling backends."""
    for p in config.proxies.values():
        if p.effective_mode() not in ("http", "tcp"):
            continue
        missing = []
        if p.has_frontend and p.kind != "backend":
            s, _ = p.setting("client")
            if s is None or s.value_s is None:
                missing.append("client")
        if p.has_backend and p.kind != "frontend":
            for name in ("connect", "server"):
                s, _ = p.setting(name)
                if s is None or s.value_s is None:
                    missing.append(name)
        if missing:
            config.warnings.append(
                f"{p.header.file}:{p.header.line}: missing timeouts for {p.label} ({', '.join(missing)}): "
                "HAProxy warns at startup and waits forever on them"
            )
        for rule in p.use_backends:
            if "%[" not in rule.backend and config.backend(rule.backend) is None:
                config.warnings.append(
                    f"{rule.line.file}:{rule.line.line}: use_backend {rule.backend}: no such backend (HAProxy refuses this)"
                )
        if p.default_backend and config.backend(p.default_backend[0]) is None:
            line = p.default_backend[1]
            config.warnings.append(
                f"{line.file}:{line.line}: default_backend {p.default_backend[0]}: no such backend (HAProxy refuses this)"
            )


# ---- ACL evaluation (three-valued: True, False, None = cannot tell)


@dataclass(slots=True)
class _Request:
    host: str | None
    path: str
    method: str

    @property
    def path_only(self) -> str:
        return self.path.split("?", 1)[0]


_PREDEFINED: dict[str, bool | None] = {
    "TRUE": True,
    "FALSE": False,
    "HTTP": True,
    "HTTP_1.1": True,
    "METH_GET": True,
    "METH_POST": False,
    "METH_HEAD": False,
    "METH_PUT": False,
    "METH_DELETE": False,
    "METH_OPTIONS": False,
    "METH_CONNECT": False,
    "METH_TRACE": False,
    "LOCALHOST": None,
}

_HOST_FETCH = re.compile(r"(?:req\.)?hdr(_beg|_end|_sub|_dom|_reg|_str)?\((?i:host)(?:,-?\d{1,3})?\)")
_FETCH_MATCH = {
    "path": ("path", "str"),
    "path_beg": ("path", "beg"),
    "path_end": ("path", "end"),
    "path_sub": ("path", "sub"),
    "path_dir": ("path", "dir"),
    "path_reg": ("path", "reg"),
    "path_len": ("path", "len"),
    "url": ("url", "str"),
    "url_beg": ("url", "beg"),
    "url_end": ("url", "end"),
    "url_sub": ("url", "sub"),
    "url_dir": ("url", "dir"),
    "url_reg": ("url", "reg"),
    "base": ("base", "str"),
    "base_beg": ("base", "beg"),
    "base_end": ("base", "end"),
    "base_sub": ("base", "sub"),
    "base_dir": ("base", "dir"),
    "base_reg": ("base", "reg"),
    "method": ("method", "str"),
}


def _fetch(criterion: str, req: _Request) -> tuple[str | None, str, bool]:
    """(sample, match method, known). ``sample`` None with known=True means "absent"."""
    m = _HOST_FETCH.fullmatch(criterion)
    if m:
        method = (m[1] or "_str")[1:]
        host = req.host.split(":", 1)[0] if req.host and not req.host.startswith("[") else req.host
        return host, method, req.host is not None
    if criterion in _FETCH_MATCH:
        what, method = _FETCH_MATCH[criterion]
        if what == "path":
            return req.path_only, method, True
        if what == "url":
            return req.path, method, True
        if what == "method":
            return req.method, method, True
        if req.host is None:
            return None, method, False
        return f"{req.host}{req.path_only}", method, True
    return None, "str", False


def _match(sample: str, method: str, pattern: str, icase: bool) -> bool | None:
    if icase and method != "reg":
        sample, pattern = sample.lower(), pattern.lower()
    if method == "str":
        return sample == pattern
    if method == "beg":
        return sample.startswith(pattern)
    if method == "end":
        return sample.endswith(pattern)
    if method == "sub":
        return pattern in sample
    if method == "dir":
        return pattern.strip("/") in [part for part in sample.split("/") if part] if pattern.strip("/") else False
    if method == "dom":
        return pattern.strip(".") in [part for part in re.split(r"[./?]", sample) if part] or (
            "." in pattern and ("." + pattern.strip(".") + ".") in ("." + sample + ".")
        )
    if method == "reg":
        if len(pattern) > 512:
            return None
        try:
            return untrusted_match(pattern, sample, flags=re.IGNORECASE if icase else 0)
        except re.error:
            return None
    if method == "len":
        return str(len(sample)) == pattern
    if method == "found":
        return True
    return None


def _eval_acl(acl: Acl, req: _Request) -> bool | None:
    if acl.criterion in _PREDEFINED and not acl.values:
        return _PREDEFINED[acl.criterion]
    if acl.criterion in ("always_true",):
        return True
    if acl.criterion in ("always_false",):
        return False
    sample, method, known = _fetch(acl.criterion, req)
    if not known:
        return None
    icase = "-i" in acl.flags
    if "-m" in acl.flags:
        i = acl.flags.index("-m")
        method = acl.flags[i + 1] if i + 1 < len(acl.flags) else method
    if "-f" in acl.flags or "-M" in acl.flags:
        return None  # patterns in a file lpdoctor was not given
    if sample is None:
        return False
    if method == "found":
        return True
    results = [_match(sample, method, v, icase) for v in acl.values]
    if any(r is True for r in results):
        return True
    if any(r is None for r in results):
        return None
    return False


def _named(name: str, frontend: Proxy, req: _Request) -> bool | None:
    acls = frontend.acls.get(name)
    if acls is None:
        return _PREDEFINED.get(name)
    results = [_eval_acl(a, req) for a in acls]
    if any(r is True for r in results):
        return True
    if any(r is None for r in results):
        return None
    return False


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _condition(kind: str | None, words: list[str], frontend: Proxy, req: _Request) -> bool | None:
    if kind is None:
        return True
    result: bool | None = False
    term: bool | None = True
    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        if w in ("||", "or"):
            result = _or(result, term)
            term = True
            i += 1
            continue
        negate = False
        if w.startswith("!"):
            negate = True
            w = w[1:]
            if not w:
                i += 1
                w = words[i] if i < n else ""
        if w == "{":
            j = i + 1
            inner: list[str] = []
            while j < n and words[j] != "}":
                inner.append(words[j])
                j += 1
            value = _eval_acl(_acl(inner, Line("", 0, inner)), req) if inner else None
            i = j + 1
        else:
            value = _named(w, frontend, req)
            i += 1
        if negate and value is not None:
            value = not value
        term = _and(term, value)
    result = _or(result, term)
    if kind == "unless" and result is not None:
        return not result
    return result


def _host_values(frontend: Proxy) -> list[str]:
    """Concrete host names the frontend's host ACLs test (for "which backend serves this path on any host")."""
    out: list[str] = []
    acls = [a for group in frontend.acls.values() for a in group]
    for rule in frontend.use_backends:
        if "{" in rule.cond:
            start = rule.cond.index("{") + 1
            end = rule.cond.index("}") if "}" in rule.cond else len(rule.cond)
            inner = rule.cond[start:end]
            if inner:
                acls.append(_acl(inner, rule.line))
    for acl in acls:
        m = _HOST_FETCH.fullmatch(acl.criterion)
        if m and (m[1] or "_str") in ("_str", "_dom", "_end") and "-m" not in acl.flags:
            out.extend(v.lower().lstrip(".") for v in acl.values if "*" not in v)
    return list(dict.fromkeys(out))


# ---- the hop


def _rule_values(frontend: Proxy, backend: Proxy) -> list[str]:
    """The ACL patterns of the rules that send requests to ``backend`` (what the block says it serves)."""
    out: list[str] = []
    for rule in frontend.use_backends:
        if rule.backend != backend.name:
            continue
        for word in rule.cond:
            name = word.lstrip("!")
            for acl in frontend.acls.get(name, []):
                out.extend(acl.values)
            if name not in frontend.acls and name not in ("{", "}", "||", "or"):
                out.append(name)
    return out


def _timeout_of(backend: Proxy, name: str, semantics: Semantics, default_note: str) -> tuple[Timeout, str]:
    setting, owner = backend.setting(name)
    if setting is None:
        return (
            timer(
                COMPONENT,
                f"timeout {name}",
                None,
                semantics,
                backend.location,
                explicit=False,
                note=default_note,
            ),
            SCOPE_DEFAULT,
        )
    note = None
    if setting.value_s is None:
        note = f"'timeout {name} {setting.raw}': 0 means no limit in HAProxy (it warns 'missing timeouts' at startup)"
    elif setting.raw.isdecimal() and setting.value_s < 1:
        note = (
            f"'timeout {name} {setting.raw}' is {fmt_s(setting.value_s)}: HAProxy reads a bare number as "
            f"milliseconds (write {setting.raw}s for seconds)"
        )
    scope = SCOPE_ROUTE if owner is backend else SCOPE_GLOBAL
    return timer(COMPONENT, setting.name, setting.value_s, semantics, setting.location, note=note), scope


TCP_IDLE_NOTE = "mode tcp: an idle timer on the stream; a silent connection is closed with no byte (an empty reply)"


def _hop_facts(frontend: Proxy, backend: Proxy, catch_all: bool) -> HopFacts:
    server, server_scope = _timeout_of(
        backend,
        "server",
        Semantics.IDLE,
        "unset: HAProxy waits forever for the server (and warns 'missing timeouts' at startup)",
    )
    name = f"haproxy {backend.label}" + (f" (via {frontend.label})" if frontend is not backend else "")
    notes: list[str] = []
    timeouts = [server]
    scope_of = {server.setting: server_scope}
    tcp = backend.effective_mode() != "http"
    if tcp:
        # [E] HAProxy 2.6.12, mode tcp, timeout client 2s / server 2s, a silent backend: every session ended
        # at 2 s with state cD and no byte (tests/test_e2e_proxies.py). Both are idle timers on the one stream.
        client_t, client_scope = _timeout_of(frontend, "client", Semantics.IDLE, "unset: HAProxy waits forever")
        for t in (server, client_t):
            t.note = TCP_IDLE_NOTE + (f"; {t.note}" if t.note else "")
        timeouts.append(client_t)
        scope_of[client_t.setting] = client_scope
        notes.append(
            f"{backend.label} runs in mode tcp: HAProxy sees a byte stream, not requests; timeout client and "
            "timeout server both close a silent stream (clients get an empty reply, not a 504)"
        )
    tunnel, _ = backend.setting("tunnel")
    if tunnel is not None:
        notes.append(
            f"timeout tunnel {tunnel.raw} ({tunnel.location.file}:{tunnel.location.line}) applies only to "
            "upgraded connections (WebSocket, CONNECT), not to a long-poll: timeout server governs it"
        )
    client, _ = frontend.setting("client")
    if client is not None and client.value_s is not None and not tcp:
        notes.append(
            f"timeout client {client.raw} ({client.location.file}:{client.location.line}) does not end a held "
            "GET whose request was fully received (HAProxy 2.6, tested): only timeout server does"
        )
    connect, _ = backend.setting("connect")
    if connect is None or connect.value_s is None:
        notes.append("timeout connect is unset: a server that never accepts is waited on forever")

    retries, retries_line = backend.effective_retries()
    retry_on, retry_on_line = backend.effective_retry_on()
    on_timeout = any(c in _RETRY_ON_TIMEOUT for c in retry_on) or "all" in retry_on
    if "none" in retry_on:
        on_timeout = False
    attempts = (retries + 1) if on_timeout else 1
    servers = len(backend.servers) or None
    hop = Hop(
        kind=HopKind.PROXY,
        component=COMPONENT,
        name=name,
        timeouts=timeouts,
        attempts=attempts,
        location=backend.location,
    )
    retry_where = retry_on_line or retries_line
    retry = RetryFacts(
        directive="retry-on",
        conditions=" ".join(retry_on),
        location=retry_where.where(backend.context) if retry_where else backend.location,
        explicit=retry_on_line is not None,
        on_timeout=on_timeout,
        attempts=attempts,
        servers=servers,
        upstream=backend.name,
        upstream_location=backend.location,
    )
    if on_timeout:
        redispatch = backend.effective_redispatch()
        notes.append(
            f"retry-on {' '.join(retry_on)} with retries {retries}: a request cut by timeout server is sent "
            f"again, up to {attempts} attempts"
            + (" (option redispatch: the last one may go to another server)" if redispatch else "")
        )
    accept_idle = None
    for name_ in ("http-keep-alive", "http-request", "client"):
        s, _ = frontend.setting(name_)
        if s is not None:
            if s.value_s:
                accept_idle = timer(COMPONENT, s.name, s.value_s, Semantics.IDLE, s.location)
            break
    route_text = " ".join([frontend.name or "", backend.name or "", *_rule_values(frontend, backend)])
    route_text += " " + " ".join(s[0] for s in backend.servers)
    return HopFacts(
        hop=hop,
        block=backend.location,
        block_label=backend.label,
        scope_of=scope_of,
        retry=retry,
        accept_idle=accept_idle,
        route_text=route_text,
        catch_all=catch_all,
        notes=notes,
    )


def load(path: str) -> HaproxyConfig:
    """The reader's entry point for :func:`lpdoctor.dialects.registry.load_config_source`."""
    return load_haproxy_config(path)


def load_source(path: str) -> RoutedSource:
    """The dialect's entry point (:class:`lpdoctor.dialects.base.Dialect`): the file as a proxy source."""
    return load(path).source()
