"""Apache httpd (mod_proxy) configuration → the ``ProxyPass`` that serves each request, and its timeout.

Research: shared/research/timeouts.md table A ([E] Apache 2.4.71, Debian). One timer ends a held request: the
socket timeout mod_proxy uses while it waits on the backend — *idle* (it restarts on every read). When it
fires Apache answers **502, not 504**: ``AH01102: error reading status line from remote server`` with
``(70007)The timeout specified has expired``. Its value, most specific first:

1. the worker's ``timeout=N`` on the ``ProxyPass`` line (or on the ``BalancerMember`` of a ``balancer://``);
2. ``ProxyTimeout N`` (virtual host, else server);
3. ``Timeout N`` (virtual host, else server) — **60 s compiled in** (``DEFAULT_TIMEOUT`` in httpd.h); Debian's
   ``apache2.conf`` sets ``Timeout 300``, which a virtual host file given alone does not show (a note says so).

Seconds by default; ``ms`` / ``s`` / ``m`` / ``h`` suffixes are read as such. ``connectiontimeout=`` bounds the
connect only (a note).

Reading: ``Include`` / ``IncludeOptional`` (globs, relative to ``ServerRoot`` or the main file's directory),
``<VirtualHost>`` with ``ServerName`` / ``ServerAlias``, ``<Location>`` / ``<LocationMatch>``, ``<Proxy
balancer://...>``, ``<IfModule>`` / ``<IfDefine>`` (their contents are read as if true), ``\\`` continuations.
A ``ProxyPass`` inside a matching ``<Location>`` is taken first (the last matching section, as sections merge
in order); then the rules outside ``<Location>`` in order (the server's, then the virtual host's), first match
wins, ``!`` excludes. A path matches at a segment boundary (``/poll`` serves ``/poll`` and ``/poll/x``, not
``/polls``).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lpdoctor.dialects.base import ConfigReadError, Frontend, RoutedSource, read_text, timer
from lpdoctor.dialects.config_regex import untrusted_match
from lpdoctor.model import Hop, HopKind, Semantics, SourceLocation, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_GLOBAL, SCOPE_ROUTE, SCOPE_SERVER, HopFacts
from lpdoctor.text.durations import fmt_s

COMPONENT = "apache"
COMPILED_TIMEOUT_S = 60.0
DEBIAN_TIMEOUT_S = 300.0
MAX_INCLUDE_DEPTH = 16
MAX_FILES = 512
_VALUE = re.compile(r"(\d{1,12}(?:\.\d{1,6})?)(ms|s|m|h)?", re.IGNORECASE)
_UNITS = {None: 1.0, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class ApacheConfigError(ConfigReadError):
    """An Apache configuration lpdoctor cannot read."""


def parse_seconds(text: str) -> float | None:
    m = _VALUE.fullmatch(text.strip())
    if m is None:
        return None
    return float(m[1]) * _UNITS[(m[2] or "").lower() or None]


@dataclass(slots=True)
class Directive:
    name: str  # lower-case
    args: list[str]
    file: str
    line: int
    children: list[Directive] | None = None  # for <Section> blocks

    def where(self, context: str | None = None) -> SourceLocation:
        return SourceLocation(self.file, self.line, context)


@dataclass(slots=True)
class Setting:
    value_s: float | None
    raw: str
    location: SourceLocation


@dataclass(slots=True)
class Rule:
    """One ``ProxyPass`` / ``ProxyPassMatch``."""

    path: str
    regex: bool
    url: str | None  # None for "!"
    params: dict[str, str]
    location: SourceLocation
    in_location: bool = False


@dataclass(slots=True)
class Scope:
    """The main server or one ``<VirtualHost>``."""

    label: str
    location: SourceLocation
    names: list[str] = field(default_factory=list)
    timeout: Setting | None = None
    proxy_timeout: Setting | None = None
    rules: list[Rule] = field(default_factory=list)


@dataclass(slots=True)
class ApacheConfig:
    main_file: str
    files: list[str] = field(default_factory=list)
    server: Scope = field(default_factory=lambda: Scope("server config", SourceLocation(None)))
    vhosts: list[Scope] = field(default_factory=list)
    balancers: dict[str, list[Directive]] = field(default_factory=dict)  # name -> BalancerMember lines
    warnings: list[str] = field(default_factory=list)
    _facts: dict[tuple[int, int], HopFacts] = field(default_factory=dict)

    def scopes(self) -> list[Scope]:
        return self.vhosts or [self.server]

    def pick(self, scope: Scope, path: str) -> HopFacts | None:
        only = path.split("?", 1)[0]
        chosen: Rule | None = None
        outside = self.server.rules + (scope.rules if scope is not self.server else [])
        for rule in (r for r in outside if r.in_location):
            if _rule_matches(rule, only):
                chosen = rule  # a <Location>'s ProxyPass is tried first; the last matching section wins
        if chosen is None:
            for rule in (r for r in outside if not r.in_location):
                if _rule_matches(rule, only):
                    chosen = rule
                    break
        if chosen is None or chosen.url is None:
            return None
        key = (id(scope), id(chosen))
        if key not in self._facts:
            self._facts[key] = _hop_facts(self, scope, chosen)
        return self._facts[key]

    def source(self) -> RoutedSource:
        frontends = [
            Frontend(name=s.label, hosts=[n for n in s.names if n], pick=self._picker(s)) for s in self.scopes()
        ]
        return RoutedSource(
            COMPONENT,
            self.main_file,
            frontends,
            self.warnings,
            every_hop=self._every_hop,
            files=self.files,
            dialect="apache",
        )

    def _picker(self, scope: Scope) -> Callable[[str | None, str], HopFacts | None]:
        def pick(host: str | None, path: str) -> HopFacts | None:
            return self.pick(scope, path)

        return pick

    def _every_hop(self) -> list[HopFacts]:
        out = []
        for scope in self.scopes():
            for rule in self.server.rules + (scope.rules if scope is not self.server else []):
                if rule.url is not None:
                    key = (id(scope), id(rule))
                    if key not in self._facts:
                        self._facts[key] = _hop_facts(self, scope, rule)
                    out.append(self._facts[key])
        return out


def _rule_matches(rule: Rule, path: str) -> bool:
    if rule.regex:
        if len(rule.path) > 1024:
            return False
        try:
            return bool(untrusted_match(rule.path, path))
        except re.error:
            return False
    prefix = rule.path
    if not path.startswith(prefix):
        return False
    # a match must end at a path segment boundary (mod_proxy's alias_match)
    return prefix.endswith("/") or len(path) == len(prefix) or path[len(prefix)] == "/"


# ---- the hop


def _hop_facts(config: ApacheConfig, scope: Scope, rule: Rule) -> HopFacts:
    notes: list[str] = []
    t: Timeout
    scope_value = SCOPE_ROUTE
    worker = rule.params.get("timeout")
    member_line: Directive | None = None
    if worker is None and rule.url and rule.url.lower().startswith("balancer://"):
        name = rule.url[len("balancer://") :].split("/", 1)[0].lower()
        for member in config.balancers.get(name, []):
            params = _params(member.args[1:])
            if "timeout" in params:
                worker, member_line = params["timeout"], member
                break
    if worker is not None:
        value = parse_seconds(worker)
        where = member_line.where(f"balancer {rule.url}") if member_line else rule.location
        setting = "BalancerMember timeout" if member_line else "ProxyPass timeout"
        if value is None:
            config.warnings.append(f"{where.file}:{where.line}: timeout={worker}: not a number of seconds")
        else:
            t = timer(COMPONENT, setting, value or None, Semantics.IDLE, where)
            return _finish(config, scope, rule, t, scope_value, notes)
    for s, owner in ((scope.proxy_timeout, scope), (config.server.proxy_timeout, config.server)):
        if s is not None:
            t = timer(COMPONENT, "ProxyTimeout", s.value_s, Semantics.IDLE, s.location)
            scope_value = SCOPE_GLOBAL if owner is config.server else SCOPE_SERVER
            return _finish(config, scope, rule, t, scope_value, notes)
    for s, owner in ((scope.timeout, scope), (config.server.timeout, config.server)):
        if s is not None:
            t = timer(
                COMPONENT,
                "Timeout",
                s.value_s,
                Semantics.IDLE,
                s.location,
                note="ProxyTimeout is unset, so mod_proxy waits Timeout",
            )
            scope_value = SCOPE_GLOBAL if owner is config.server else SCOPE_SERVER
            return _finish(config, scope, rule, t, scope_value, notes)
    t = timer(
        COMPONENT,
        "Timeout",
        COMPILED_TIMEOUT_S,
        Semantics.IDLE,
        scope.location if scope.location.file else rule.location,
        explicit=False,
        note=(
            f"compiled default {fmt_s(COMPILED_TIMEOUT_S)} (httpd.h DEFAULT_TIMEOUT); Debian's apache2.conf sets "
            f"Timeout {DEBIAN_TIMEOUT_S:.0f}: check the main configuration"
        ),
    )
    return _finish(config, scope, rule, t, SCOPE_DEFAULT, notes)


def _finish(config: ApacheConfig, scope: Scope, rule: Rule, t: Timeout, scope_value: str, notes: list[str]) -> HopFacts:
    if t.value_s is not None:
        t.note = ((t.note + "; ") if t.note else "") + "Apache answers 502 (AH01102), not 504, when it fires"
    ct = rule.params.get("connectiontimeout")
    if ct is not None:
        notes.append(f"connectiontimeout={ct} ({rule.location.file}:{rule.location.line}) bounds the connect only")
    label = f"ProxyPass{'Match' if rule.regex else ''} {rule.path}"
    hop = Hop(
        kind=HopKind.PROXY,
        component=COMPONENT,
        name=f"apache {scope.label} {label}",
        timeouts=[t],
        location=rule.location,
    )
    return HopFacts(
        hop=hop,
        block=rule.location,
        block_label=label,
        scope_of={t.setting: scope_value},
        route_text=" ".join([rule.path, rule.url or "", *scope.names]),
        catch_all=rule.path in ("/", "^/", "^/(.*)$", "/(.*)"),
        notes=notes,
    )


def _params(words: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            out[k.strip().lower()] = v.strip()
    return out


# ---- reading


def split_args(text: str) -> list[str]:
    """Apache's argument splitting: blanks, ``"..."`` and ``'...'`` quotes. Never raises."""
    out: list[str] = []
    cur: list[str] = []
    quote: str | None = None
    have = False
    for c in text:
        if quote is not None:
            if c == quote:
                quote = None
            else:
                cur.append(c)
            continue
        if c in "\"'" and not cur:
            quote = c
            have = True
            continue
        if c in " \t":
            if have or cur:
                out.append("".join(cur))
                cur, have = [], False
            continue
        cur.append(c)
    if have or cur:
        out.append("".join(cur))
    return out


def _lines(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not pending:
            start = no
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full and not full.startswith("#"):
            out.append((start, full))
    return out


@dataclass(slots=True)
class _Reader:
    config: ApacheConfig
    root: str  # ServerRoot as the config declares it (a path on the server, not on this machine)
    base: str  # the main file's directory: the tree being checked, where ServerRoot's contents are
    seen: set[str] = field(default_factory=set)

    def read_file(self, path: str, depth: int) -> list[Directive]:
        real = os.path.realpath(path)
        if real in self.seen:
            self.config.warnings.append(f"{path}: included twice (a loop?); read once")
            return []
        if len(self.seen) >= MAX_FILES:
            self.config.warnings.append(f"{path}: more than {MAX_FILES} files; not read")
            return []
        self.seen.add(real)
        try:
            text = read_text(path, included=depth > 0)
        except ConfigReadError as exc:
            if depth == 0:
                raise ApacheConfigError(exc.problem, exc.file, exc.line) from None
            self.config.warnings.append(str(exc))
            return []
        self.config.files.append(path)
        return self.parse(text, path, depth)

    def parse(self, text: str, file: str, depth: int) -> list[Directive]:
        root: list[Directive] = []
        stack: list[tuple[str, list[Directive], int]] = [("", root, 0)]
        # An included file may be anything (Include /etc/app/secrets.xml): its problems are file:line only,
        # never its text.
        echo = depth == 0
        for no, line in _lines(text):
            if line.startswith("</"):
                name = line[2:].rstrip(">").strip().lower()
                if len(stack) > 1 and stack[-1][0] == name:
                    stack.pop()
                else:
                    shown = line if echo else "a closing tag"
                    self.config.warnings.append(f"{file}:{no}: {shown} closes nothing open")
                continue
            if line.startswith("<") and line.endswith(">"):
                words = split_args(line[1:-1])
                if not words:
                    continue
                children: list[Directive] = []
                d = Directive(words[0].lower(), words[1:], file, no, children)
                stack[-1][1].append(d)
                if len(stack) < 64:
                    stack.append((d.name, children, no))
                continue
            words = split_args(line)
            if not words:
                continue
            name = words[0].lower()
            if name in ("include", "includeoptional") and len(words) > 1:
                stack[-1][1].extend(self.include(words[1], name == "includeoptional", file, no, depth))
                continue
            if name == "serverroot" and len(words) > 1:
                self.root = os.path.normpath(words[1])
            stack[-1][1].append(Directive(name, words[1:], file, no))
        if len(stack) > 1:
            name, _, opened = stack[-1]
            shown = f"<{name}>" if echo else "the section opened here"
            self.config.warnings.append(f"{file}:{opened}: {shown} is never closed")
        return root

    def in_tree(self, pattern: str) -> str:
        """Where an ``Include`` pattern is in the tree being checked. Apache reads a relative one under
        ``ServerRoot``, and the tree's main file lives there: the main file's directory stands for it. An
        absolute path under the declared ``ServerRoot`` moves into the tree too, so the checked tree is read,
        never the one of the machine running lpdoctor (which may have its own ``/etc/apache2``). Any other
        absolute path is read as written (a regular file outside /proc, /sys and /dev only)."""
        if not os.path.isabs(pattern):
            return os.path.join(self.base, pattern)
        norm = os.path.normpath(pattern)
        if (
            self.root
            and os.path.isabs(self.root)
            and (norm == self.root or norm.startswith(self.root.rstrip("/") + "/"))
        ):
            return os.path.join(self.base, os.path.relpath(norm, self.root))
        return pattern

    def include(self, pattern: str, optional: bool, file: str, line: int, depth: int) -> list[Directive]:
        if depth >= MAX_INCLUDE_DEPTH:
            self.config.warnings.append(f"{file}:{line}: includes nested too deeply")
            return []
        full = self.in_tree(pattern)
        wildcard = any(c in full for c in "*?[")
        tree = os.path.abspath(self.base)
        if wildcard and not os.path.abspath(full).startswith(tree.rstrip(os.sep) + os.sep):
            # Include /*/*/*/*.conf would walk this machine's whole file system (minutes), for files of no tree
            self.config.warnings.append(
                f"{file}:{line}: Include {pattern}: a wildcard outside the tree being checked; not expanded"
            )
            return []
        paths = sorted(glob.glob(full)) if wildcard else [full]
        if os.path.isdir(full):
            paths = sorted(os.path.join(full, f) for f in os.listdir(full))
        paths = [p for p in paths if os.path.isfile(p)]
        if not paths and not optional and not any(c in full for c in "*?["):
            self.config.warnings.append(f"{file}:{line}: Include {pattern}: no such file (Apache refuses to start)")
        out: list[Directive] = []
        for p in paths:
            out.extend(self.read_file(p, depth + 1))
        return out


def _walk(directives: list[Directive], config: ApacheConfig, scope: Scope, location: str | None) -> None:
    for d in directives:
        if d.children is not None:
            if d.name == "virtualhost":
                vhost = Scope(
                    label=f"<VirtualHost {' '.join(d.args)}>", location=d.where(f"VirtualHost {' '.join(d.args)}")
                )
                _walk(d.children, config, vhost, None)
                config.vhosts.append(vhost)
            elif d.name in ("location", "locationmatch") and d.args:
                path = d.args[-1]
                regex = d.name == "locationmatch" or (len(d.args) > 1 and d.args[0] == "~")
                _walk(d.children, config, scope, ("~" if regex else "") + path)
            elif d.name == "proxy" and d.args and d.args[0].lower().startswith("balancer://"):
                name = d.args[0][len("balancer://") :].rstrip("/").lower()
                config.balancers[name] = [c for c in d.children if c.name == "balancermember"]
            elif d.name in ("ifmodule", "ifdefine", "ifversion", "ifdirective", "iffile", "if", "else", "elseif"):
                _walk(d.children, config, scope, location)
            continue
        context = scope.label
        if d.name == "timeout" and d.args:
            value = parse_seconds(d.args[0])
            if value is None:  # apache2 -t (2.4.71) says Syntax OK: what it then waits for is not known
                raise ApacheConfigError(
                    f"Timeout {d.args[0]}: not a number of seconds; lpdoctor cannot tell how long Apache waits",
                    d.file,
                    d.line,
                )
            else:
                scope.timeout = Setting(value or None, d.args[0], d.where(context))
        elif d.name == "proxytimeout" and d.args:
            value = parse_seconds(d.args[0])
            if value is None:  # apache2 -t: "Proxy Timeout must be at least 1 second."
                raise ApacheConfigError(
                    f"ProxyTimeout {d.args[0]}: not a number of seconds; Apache refuses it", d.file, d.line
                )
            else:
                scope.proxy_timeout = Setting(value or None, d.args[0], d.where(context))
        elif d.name in ("servername", "serveralias"):
            scope.names.extend(a.split("://")[-1].split(":")[0] for a in d.args)
        elif d.name in ("proxypass", "proxypassmatch"):
            regex = d.name == "proxypassmatch"
            args = list(d.args)
            if location is not None:
                path = location.lstrip("~")
                regex = regex or location.startswith("~")
                if args and (args[0] == "!" or "://" in args[0] or args[0].startswith("unix:")):
                    args = [path, *args]
            if len(args) < 2:
                config.warnings.append(f"{d.file}:{d.line}: {d.name} needs a path and a URL")
                continue
            url = None if args[1] == "!" else args[1]
            scope.rules.append(
                Rule(
                    path=args[0],
                    regex=regex,
                    url=url,
                    params=_params(args[2:]),
                    location=d.where(f"{context}" + (f" > Location {location}" if location else "")),
                    in_location=location is not None,
                )
            )
        elif d.name == "rewriterule" and len(d.args) > 2 and re.search(r"\[[^\]]*\bP\b", d.args[2], re.IGNORECASE):
            config.warnings.append(
                f"{d.file}:{d.line}: RewriteRule ... [P] proxies too; lpdoctor reads only ProxyPass (its timeout is "
                "ProxyTimeout / Timeout)"
            )


def looks_like(name: str, text: str) -> bool:
    head = text[:200_000]
    if name in ("httpd.conf", "apache2.conf"):
        return True
    return bool(re.search(r"(?im)^\s*(ProxyPass(Match)?|ProxyTimeout|<VirtualHost)\b", head))


def load_apache_config(path: str) -> ApacheConfig:
    """Read an httpd.conf / apache2.conf / site file with its includes. Raises :class:`ApacheConfigError`."""
    shown = path if path != "-" else "<stdin>"
    config = ApacheConfig(main_file=shown)
    base = (os.path.dirname(path) or ".") if path != "-" else "."
    reader = _Reader(config, base, base)
    if path == "-":
        try:
            text = read_text(path)
        except ConfigReadError as exc:
            raise ApacheConfigError(exc.problem, exc.file, exc.line) from None
        config.files.append(shown)
        directives = reader.parse(text, shown, 0)
    else:
        directives = reader.read_file(path, 0)
    config.server.location = SourceLocation(shown, None, "server config")
    _walk(directives, config, config.server, None)
    return config


def load(path: str) -> ApacheConfig:
    return load_apache_config(path)


def load_source(path: str) -> RoutedSource:
    """The dialect's entry point (:class:`lpdoctor.dialects.base.Dialect`): the file as a proxy source."""
    return load(path).source()
