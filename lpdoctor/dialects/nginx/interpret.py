"""From crossplane's statements to :class:`~lpdoctor.dialects.nginx.model.NginxConfig`: nginx's inheritance of
settings from ``http`` to ``server`` to ``location`` (a 400-line engine, :class:`_Builder`), timer values read as
nginx reads them (or refused with file:line), PCRE location regexes translated to Python's."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import crossplane
import crossplane.analyzer

from lpdoctor.dialects.nginx.directives import NGINX_DIRECTIVES
from lpdoctor.dialects.nginx.model import (
    COMBINED_FORMAT,
    COMPONENT,
    DEFAULT_KEEPALIVE_TIMEOUT_S,
    DEFAULT_NEXT_UPSTREAM,
    DEFAULT_SEND_TIMEOUT_S,
    DEFAULT_UPSTREAM_KEEPALIVE_TIMEOUT_S,
    DEFAULT_UPSTREAM_TIMEOUT_S,
    MEANING,
    NEXT_UPSTREAM_VALUES,
    NGINX_TIME,
    PASS_KINDS,
    AccessLogDef,
    ConditionalDirective,
    ErrorLogDef,
    LogFormatDef,
    NextUpstream,
    NginxConfig,
    NginxConfigError,
    NginxListen,
    NginxLocation,
    NginxServer,
    NginxSetting,
    Stmt,
    Upstream,
    UpstreamServer,
    timer_role,
)
from lpdoctor.model import SourceLocation, Timeout
from lpdoctor.text.durations import DurationError, parse_nginx_time
from lpdoctor.text.safety import compile_untrusted

# --------------------------------------------------------------------------------------------- interpreting


@dataclass(slots=True)
class _Scope:
    label: str
    settings: dict[str, Stmt]
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
        self.maps: dict[str, Stmt] = {}

    def warn(self, stmt: Stmt | None, message: str) -> None:
        key = (stmt.file, stmt.line, message) if stmt else ("", 0, message)
        if key in self._warned:
            return
        self._warned.add(key)
        self.config.warnings.append(f"{stmt.file}:{stmt.line}: {message}" if stmt else message)

    # ---- blocks

    def settings(self, block: list[Stmt]) -> dict[str, Stmt]:
        found: dict[str, Stmt] = {}
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

    def http(self, block: list[Stmt], scope: _Scope) -> None:
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

    def server(self, stmt: Stmt, http: _Scope, index: int) -> NginxServer:
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

    def location(self, server: NginxServer, parent: NginxLocation | None, stmt: Stmt, outer: _Scope) -> None:
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
        stmt: Stmt,
        block: list[Stmt],
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
            loc.regex = compile_location_regex(pattern, modifier == "~*")
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

    def conditional(self, loc: NginxLocation, stmt: Stmt) -> None:
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
        role = timer_role(name) or name
        semantics = MEANING[role][0]
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
        unknown = [v for v in values if v not in NEXT_UPSTREAM_VALUES]
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

    def upstream(self, stmt: Stmt) -> None:
        name = stmt.args[0]
        if name in self.config.upstreams:
            first = self.config.upstreams[name]
            self.warn(
                stmt,
                f'duplicate upstream "{name}" (first at {first.file}:{first.line}); nginx -t refuses this',
            )
            return
        up = Upstream(name=name, file=stmt.file, line=stmt.line)
        keepalive_timeout: Stmt | None = None
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
            semantics, meaning = MEANING["upstream_keepalive_timeout"]
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

    def _upstream_server(self, s: Stmt) -> UpstreamServer:
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

    def log_format(self, stmt: Stmt) -> None:
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

    def logs(self, block: list[Stmt], label: str) -> None:
        for stmt in block:
            if stmt.name == "access_log":
                self._access_log(stmt, label)
            elif stmt.name == "error_log" and stmt.args:
                level = stmt.args[1] if len(stmt.args) > 1 else None
                self.config.error_logs.append(
                    ErrorLogDef(stmt.args[0], level, SourceLocation(stmt.file, stmt.line, label))
                )

    def _access_log(self, stmt: Stmt, label: str) -> None:
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


def _value_note(role: str, value: float | None, stmt: Stmt) -> str | None:
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
    if not NGINX_TIME.fullmatch(text.strip()):
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


def _refuse_misspelled_timeouts(stmts: list[Stmt]) -> None:
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


def _refuse_unreadable_timers(stmts: list[Stmt]) -> None:
    """A timer lpdoctor checks whose value is no nginx time at all (``proxy_read_timeout thirty;``, ``1.5s``):
    nginx -t refuses it, and judging the route by the default instead would pass a config nginx never runs.
    A variable (``$poll_timeout``) is the one invalid value lpdoctor does read: nginx -t refuses it too, and
    the report shows the value inherited in its place, why, and the map that sets the variable."""
    for stmt in stmts:
        if timer_role(stmt.name) is not None and stmt.args and "$" not in stmt.args[0]:
            _, problem = _parse_time(stmt.args[0])
            if problem is not None:
                raise NginxConfigError(
                    f"{stmt.name} {stmt.args[0]!r}: {problem}; nginx -t refuses it", stmt.file, stmt.line
                )
        if stmt.block:
            _refuse_unreadable_timers(stmt.block)


def interpret(tree: list[Stmt], source: str, main_file: str, files: list[str], from_dump: bool) -> NginxConfig:
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


def compile_location_regex(pattern: str, caseless: bool) -> re.Pattern[str] | None:
    return compile_untrusted(pcre_to_python(pattern), re.IGNORECASE if caseless else 0)


def _listen(stmt: Stmt) -> NginxListen:
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
