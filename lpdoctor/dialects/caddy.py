"""Caddy configuration (a ``Caddyfile`` or Caddy's JSON) → the ``reverse_proxy`` that serves each request.

Research: shared/research/timeouts.md table A (caddyserver/website ``reverse_proxy.md``; caddy
``reverseproxy/httptransport.go``, ``reverseproxy.go`` ``statusError``; ``caddyhttp/app.go``). Timers:

- ``reverse_proxy { transport http { response_header_timeout } }`` — *until-headers*, **none** by default;
  Caddy answers 504 when it fires;
- ``transport http { read_timeout }`` — *idle*: the longest wait for the next read from the backend
  (a held request that sends nothing is cut at it), **none** by default; 504;
- the server's ``write`` timeout (global option ``servers { timeouts { write } }``, JSON ``write_timeout``) —
  Go ``http.Server.WriteTimeout``: *total*, hold included; **none** by default;
- ``dial_timeout`` (3 s) bounds the connect only, ``write_timeout`` of the transport bounds each write of the
  request to the backend, ``keepalive`` (2 min) is the idle pool (``pool_idle``), the server ``idle`` timeout
  (5 min) the client keep-alive (``accept_idle``); ``stream_timeout`` applies to WebSockets. Notes, not timers.

Caddyfile: site blocks (``example.org, www.example.org { ... }``, or one site without braces), the global
options block, snippets ``(name) { ... }`` with ``import name``, named matchers (``@poll path /poll*``, or a
block), ``handle`` / ``handle_path`` / ``route`` blocks and ``reverse_proxy [matcher] upstreams { ... }``.
Path matchers are case-insensitive globs (``/poll*`` prefix, ``*.json`` suffix, exact otherwise); among the
``reverse_proxy`` lines that match, the one with the most specific path matcher wins (Caddy sorts them so),
one without a matcher last. Matchers other than ``path``, ``path_regexp``, ``host`` and ``method`` are
"unknown": taken as matching, with a note.

JSON: ``apps.http.servers.*.routes`` in order (``match`` sets OR-ed, matchers inside a set AND-ed; ``subroute``
handlers recursed), durations as Go strings or integer nanoseconds.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lpdoctor.dialects.base import (
    ConfigReadError,
    Frontend,
    RoutedSource,
    Y,
    go_duration,
    host_matches,
    load_documents,
    read_text,
    timer,
)
from lpdoctor.dialects.config_regex import untrusted_match
from lpdoctor.model import Hop, HopKind, Semantics, SourceLocation, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_GLOBAL, SCOPE_ROUTE, HopFacts
from lpdoctor.text.durations import fmt_s

COMPONENT = "caddy"
DEFAULT_DIAL_TIMEOUT_S = 3.0
DEFAULT_KEEPALIVE_S = 120.0
DEFAULT_SERVER_IDLE_S = 300.0
MAX_IMPORT_DEPTH = 8
_TRANSPORT_KEYS = ("dial_timeout", "response_header_timeout", "read_timeout", "write_timeout", "keepalive")


class CaddyConfigError(ConfigReadError):
    """A Caddy configuration lpdoctor cannot read."""


@dataclass(slots=True)
class Value:
    raw: str
    seconds: float | None  # None: no limit
    location: SourceLocation


@dataclass(slots=True)
class Matcher:
    """One matcher set: every condition must hold. ``kind`` path | path_regexp | host | method | other."""

    conditions: list[tuple[str, list[str]]] = field(default_factory=list)

    def evaluate(self, host: str | None, path: str) -> bool | None:
        result: bool | None = True
        only = path.split("?", 1)[0]
        for kind, args in self.conditions:
            if kind == "path":
                value: bool | None = any(path_glob(a, only) for a in args)
            elif kind == "path_regexp":
                value = _regex(args[-1] if args else "", only)
            elif kind == "host":
                value = False if host is None else any(host_matches(a, host) for a in args)
            elif kind == "method":
                value = any(a.upper() == "GET" for a in args)
            elif kind == "not":
                inner = Matcher([(args[0], args[1:])]) if args else Matcher()
                v = inner.evaluate(host, path)
                value = None if v is None else not v
            else:
                value = None
            if value is False:
                return False
            if value is None:
                result = None
        return result

    def specificity(self) -> int:
        paths = [a for kind, args in self.conditions if kind == "path" for a in args]
        if not paths:
            return 0
        return max(len(p) + (1000 if "*" not in p else 0) for p in paths)

    def text(self) -> str:
        return " ".join(f"{k} {' '.join(a)}" for k, a in self.conditions)


def path_glob(pattern: str, path: str) -> bool:
    """Caddy's ``path`` matcher: case-insensitive; ``*`` globs (``/poll*``, ``*.json``, ``/a/*/b``), else exact."""
    p, s = pattern.lower(), path.lower()
    if p == "*":
        return True
    if "*" not in p:
        return p == s
    if p.endswith("*") and "*" not in p[:-1]:
        return s.startswith(p[:-1])
    if p.startswith("*") and "*" not in p[1:]:
        return s.endswith(p[1:])
    return fnmatch.fnmatchcase(s, p)


def _regex(pattern: str, subject: str) -> bool | None:
    if len(pattern) > 1024:
        return None
    try:
        return untrusted_match(pattern, subject)
    except re.error:
        return None


@dataclass(slots=True)
class Proxy:
    """One ``reverse_proxy`` and the matcher chain in front of it."""

    matchers: list[Matcher]  # all must match (site-level handle, then the directive's own)
    location: SourceLocation
    upstreams: list[str]
    transport: dict[str, Value] = field(default_factory=dict)  # response_header_timeout, read_timeout ...
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Site:
    addresses: list[str]
    location: SourceLocation
    proxies: list[Proxy] = field(default_factory=list)

    @property
    def hosts(self) -> list[str]:
        out = []
        for a in self.addresses:
            a = re.sub(r"^[a-z]{2,8}://", "", a)
            host = a.rsplit(":", 1)[0] if a.count(":") == 1 else a
            if host and not host.startswith(":") and host not in ("localhost",):
                out.append(host.split("/", 1)[0])
        return out


@dataclass(slots=True)
class CaddyConfig:
    file: str
    dialect: str  # "caddyfile" | "caddy-json"
    sites: list[Site] = field(default_factory=list)
    server: dict[str, Value] = field(default_factory=dict)  # write, idle (global options / JSON server)
    server_location: SourceLocation | None = None
    warnings: list[str] = field(default_factory=list)
    _facts: dict[int, HopFacts] = field(default_factory=dict)

    def pick(self, site: Site, host: str | None, path: str) -> HopFacts | None:
        best: tuple[int, int, Proxy] | None = None
        unknown: list[Proxy] = []
        for i, proxy in enumerate(site.proxies):
            verdicts = [m.evaluate(host, path) for m in proxy.matchers]
            if any(v is False for v in verdicts):
                continue
            if any(v is None for v in verdicts):
                unknown.append(proxy)
            spec = max((m.specificity() for m in proxy.matchers), default=0)
            key = (spec, -i)
            if best is None or key > best[:2]:
                best = (spec, -i, proxy)
        if best is None:
            return None
        facts = self.facts(site, best[2])
        if best[2] in unknown:
            note = f"{best[2].location.file}:{best[2].location.line}: a matcher lpdoctor cannot evaluate was taken as matching"
            if note not in facts.notes:
                facts.notes.append(note)
        return facts

    def facts(self, site: Site, proxy: Proxy) -> HopFacts:
        key = id(proxy)
        if key not in self._facts:
            self._facts[key] = _hop_facts(self, site, proxy)
        return self._facts[key]

    def source(self) -> RoutedSource:
        frontends = [
            Frontend(
                name=", ".join(s.addresses) or "site",
                hosts=s.hosts,
                pick=self._picker(s),
                probe_hosts=[
                    a
                    for p in s.proxies
                    for m in p.matchers
                    for kind, args in m.conditions
                    if kind == "host"
                    for a in args
                    if "*" not in a and "{" not in a
                ],
            )
            for s in self.sites
        ]
        return RoutedSource(
            COMPONENT,
            self.file,
            frontends,
            self.warnings,
            every_hop=lambda: (self.facts(s, p) for s in self.sites for p in s.proxies),
            dialect=self.dialect,
        )

    def _picker(self, site: Site) -> Callable[[str | None, str], HopFacts | None]:
        def pick(host: str | None, path: str) -> HopFacts | None:
            return self.pick(site, host, path)

        return pick


def _tv(
    values: dict[str, Value], key: str, setting: str, semantics: Semantics, block: SourceLocation, scope: str
) -> tuple[Timeout, str]:
    v = values.get(key)
    if v is None:
        return timer(COMPONENT, setting, None, semantics, block, explicit=False, note="default: none"), SCOPE_DEFAULT
    return timer(COMPONENT, setting, v.seconds, semantics, v.location), scope


def _hop_facts(config: CaddyConfig, site: Site, proxy: Proxy) -> HopFacts:
    header, h_scope = _tv(
        proxy.transport,
        "response_header_timeout",
        "response_header_timeout",
        Semantics.UNTIL_HEADERS,
        proxy.location,
        SCOPE_ROUTE,
    )
    read, r_scope = _tv(proxy.transport, "read_timeout", "read_timeout", Semantics.IDLE, proxy.location, SCOPE_ROUTE)
    write, w_scope = _tv(
        config.server,
        "write",
        "server write timeout",
        Semantics.TOTAL,
        config.server_location or site.location,
        SCOPE_GLOBAL,
    )
    if write.value_s is not None:
        write.note = "Go http.Server WriteTimeout: counts the whole response, hold included"
    notes = list(proxy.notes)
    dial = proxy.transport.get("dial_timeout")
    notes.append(
        f"dial_timeout {fmt_s(dial.seconds if dial else DEFAULT_DIAL_TIMEOUT_S)}"
        + (f" ({dial.location.file}:{dial.location.line})" if dial else " (default)")
        + " bounds the connect only"
    )
    keep = proxy.transport.get("keepalive")
    pool = timer(
        COMPONENT,
        "keepalive",
        keep.seconds if keep else DEFAULT_KEEPALIVE_S,
        Semantics.IDLE,
        keep.location if keep else proxy.location,
        explicit=keep is not None,
    )
    idle = config.server.get("idle")
    accept = timer(
        COMPONENT,
        "server idle timeout",
        idle.seconds if idle else DEFAULT_SERVER_IDLE_S,
        Semantics.IDLE,
        idle.location if idle else (config.server_location or site.location),
        explicit=idle is not None,
    )
    label = " ".join(m.text() for m in proxy.matchers if m.conditions) or "(every request)"
    hop = Hop(
        kind=HopKind.PROXY,
        component=COMPONENT,
        name=f"caddy {', '.join(site.addresses) or 'site'} reverse_proxy {label}",
        timeouts=[header, read, write],
        location=proxy.location,
    )
    return HopFacts(
        hop=hop,
        block=proxy.location,
        block_label=f"reverse_proxy {label}",
        scope_of={header.setting: h_scope, read.setting: r_scope, write.setting: w_scope},
        accept_idle=accept if accept.value_s else None,
        pool_idle=pool if pool.value_s else None,
        pool_owner=proxy.location,
        route_text=" ".join([label, *proxy.upstreams, *site.addresses]),
        catch_all=all(not m.conditions for m in proxy.matchers),
        notes=notes,
    )


# ---- Caddyfile


@dataclass(slots=True)
class Tok:
    text: str
    line: int
    quoted: bool = False


@dataclass(slots=True)
class Node:
    """A directive line: its words, and its block (``{ ... }``) when it has one."""

    words: list[Tok]
    children: list[Node] | None = None

    @property
    def name(self) -> str:
        return self.words[0].text if self.words else ""

    @property
    def line(self) -> int:
        return self.words[0].line if self.words else 0


def tokenize(text: str) -> list[list[Tok]]:
    """Caddyfile lines as token lists (a ``\\`` at the end of a line continues it). Linear; never raises."""
    lines: list[list[Tok]] = []
    current: list[Tok] = []
    i, n, line = 0, len(text), 1
    buf: list[str] = []
    quoted = False
    start_line = 1

    def flush() -> None:
        nonlocal buf, quoted
        if buf or quoted:
            current.append(Tok("".join(buf), start_line, quoted))
        buf = []
        quoted = False

    while i < n:
        c = text[i]
        if c == "\n":
            flush()
            if current:
                lines.append(current)
                current = []
            line += 1
            i += 1
            continue
        if c in " \t\r":
            flush()
            i += 1
            continue
        if c == "\\" and i + 1 < n and text[i + 1] == "\n":
            flush()
            line += 1
            i += 2
            continue
        if c == "#" and not buf:
            while i < n and text[i] != "\n":
                i += 1
            continue
        if not buf:
            start_line = line
        if c in '"`' and not buf:
            quoted = True
            close = c
            i += 1
            while i < n and text[i] != close:
                if text[i] == "\\" and close == '"' and i + 1 < n and text[i + 1] in '"\\':
                    i += 1
                if text[i] == "\n":
                    line += 1
                buf.append(text[i])
                i += 1
            i += 1
            continue
        buf.append(c)
        i += 1
    flush()
    if current:
        lines.append(current)
    return lines


def parse_blocks(lines: list[list[Tok]], warnings: list[str], file: str) -> list[Node]:
    """Nest lines by ``{`` at a line's end and ``}`` alone on a line."""
    root: list[Node] = []
    stack: list[list[Node]] = [root]
    for toks in lines:
        if len(toks) == 1 and toks[0].text == "}" and not toks[0].quoted:
            if len(stack) > 1:
                stack.pop()
            else:
                warnings.append(f"{file}:{toks[0].line}: unexpected '}}'")
            continue
        opens = toks[-1].text == "{" and not toks[-1].quoted
        words = toks[:-1] if opens else toks
        if words and words[-1].text == "}" and not words[-1].quoted and any(t.text == "{" for t in words):
            # one-line block: name { a b }
            i = next(k for k, t in enumerate(words) if t.text == "{")
            inner = words[i + 1 : -1]
            stack[-1].append(Node(words[:i], [Node(inner)] if inner else []))
            continue
        node = Node(words, [] if opens else None)
        stack[-1].append(node)
        if opens:
            if len(stack) > 64:
                warnings.append(f"{file}:{toks[-1].line}: blocks nested too deeply")
                continue
            stack.append(node.children)  # type: ignore[arg-type]
    if len(stack) > 1:
        warnings.append(f"{file}: a '{{' is never closed")
    return root


def _seconds(tok: Tok, file: str, config: CaddyConfig, what: str, context: str) -> Value | None:
    seconds = go_duration(tok.text)
    if seconds is None or seconds < 0:
        config.warnings.append(f"{file}:{tok.line}: {what}: {tok.text!r} is not a duration (like 30s, 2m)")
        return None
    return Value(tok.text, seconds or None, SourceLocation(file, tok.line, context))


def parse_caddyfile(text: str, file: str) -> CaddyConfig:
    config = CaddyConfig(file=file, dialect="caddyfile")
    nodes = parse_blocks(tokenize(text), config.warnings, file)
    snippets: dict[str, list[Node]] = {}
    sites: list[Node] = []
    for node in nodes:
        if not node.words and node.children is not None:
            _global_options(node.children, config, file)
        elif node.words and node.name.startswith("(") and node.name.endswith(")") and node.children is not None:
            snippets[node.name[1:-1]] = node.children
        elif node.children is not None:
            sites.append(node)
    if not sites and nodes and nodes[0].children is None and not any(n.children is not None for n in nodes):
        sites = [Node(nodes[0].words, nodes[1:])]  # a single site without braces
    elif not sites:
        loose = [n for n in nodes if n.children is None]
        if loose and len(loose[0].words) == 1 and ("." in loose[0].name or ":" in loose[0].name):
            sites = [Node(loose[0].words, [n for n in nodes if n is not loose[0] and n.words])]
    for node in sites:
        addresses = [t.text.rstrip(",") for t in node.words if t.text != ","]
        site = Site(addresses=addresses, location=SourceLocation(file, node.line, f"site {' '.join(addresses)}"))
        named: dict[str, Matcher] = {}
        body = _expand(node.children or [], snippets, config, file, 0)
        _collect(body, [], named, site, config, file)
        config.sites.append(site)
    return config


def _expand(
    nodes: list[Node], snippets: dict[str, list[Node]], config: CaddyConfig, file: str, depth: int
) -> list[Node]:
    out: list[Node] = []
    for n in nodes:
        if n.name == "import" and len(n.words) > 1:
            name = n.words[1].text
            if name in snippets and depth < MAX_IMPORT_DEPTH:
                out.extend(_expand(snippets[name], snippets, config, file, depth + 1))
            elif name not in snippets:
                config.warnings.append(f"{file}:{n.line}: import {name}: files are not followed (give them too)")
            continue
        if n.children is not None and depth < MAX_IMPORT_DEPTH:
            n = Node(n.words, _expand(n.children, snippets, config, file, depth + 1))
        out.append(n)
    return out


def _matcher_from(words: list[str]) -> Matcher:
    if not words:
        return Matcher()
    return Matcher([(words[0], words[1:])])


def _named_matcher(node: Node) -> Matcher:
    if node.children is not None:
        return Matcher([(c.name, [t.text for t in c.words[1:]]) for c in node.children if c.words])
    words = [t.text for t in node.words[1:]]
    if words and words[0].startswith("/"):
        return Matcher([("path", words)])
    return _matcher_from(words)


def _inline_matcher(tok: Tok | None, named: dict[str, Matcher]) -> tuple[Matcher | None, bool]:
    """The matcher a directive's first argument names (``/path*``, ``*``, ``@name``), and whether it was one."""
    if tok is None or tok.quoted:
        return None, False
    if tok.text.startswith("@"):
        return named.get(tok.text[1:], Matcher([("unknown", [tok.text])])), True
    if tok.text.startswith("/"):
        return Matcher([("path", [tok.text])]), True
    if tok.text == "*":
        return Matcher(), True
    return None, False


def _collect(
    nodes: list[Node], chain: list[Matcher], named: dict[str, Matcher], site: Site, config: CaddyConfig, file: str
) -> None:
    for n in nodes:
        if n.name.startswith("@"):
            named[n.name[1:]] = _named_matcher(n)
    for n in nodes:
        if n.name in ("handle", "handle_path", "route", "handle_errors") and n.children is not None:
            if n.name == "handle_errors":
                continue
            m, _ = _inline_matcher(n.words[1] if len(n.words) > 1 else None, named)
            _collect(n.children, [*chain, m] if m else chain, dict(named), site, config, file)
        elif n.name == "reverse_proxy":
            args = n.words[1:]
            m, is_matcher = _inline_matcher(args[0] if args else None, named)
            if is_matcher:
                args = args[1:]
            proxy = Proxy(
                matchers=[*chain, m] if m else list(chain),
                location=SourceLocation(file, n.line, f"site {' '.join(site.addresses)}"),
                upstreams=[t.text for t in args],
            )
            for sub in n.children or []:
                if sub.name == "to":
                    proxy.upstreams.extend(t.text for t in sub.words[1:])
                elif sub.name == "transport" and sub.children is not None:
                    for opt in sub.children:
                        key = opt.name
                        if (
                            key
                            in (
                                "dial_timeout",
                                "response_header_timeout",
                                "read_timeout",
                                "write_timeout",
                                "keepalive",
                            )
                            and len(opt.words) > 1
                        ):
                            v = _seconds(opt.words[1], file, config, key, proxy.location.context or "")
                            if v is not None:
                                proxy.transport[key] = v
                elif sub.name == "stream_timeout":
                    proxy.notes.append(f"stream_timeout ({file}:{sub.line}) applies to WebSockets, not to a long-poll")
                elif sub.name in ("lb_try_duration", "lb_retries"):
                    proxy.notes.append(
                        f"{sub.name} ({file}:{sub.line}): Caddy retries failed connections; a request that was sent "
                        "and timed out is not retried unless retry_match allows it"
                    )
            site.proxies.append(proxy)


def _global_options(children: list[Node], config: CaddyConfig, file: str) -> None:
    for n in children:
        if n.name != "servers" or n.children is None:
            continue
        for opt in n.children:
            if opt.name == "timeouts" and opt.children is not None:
                config.server_location = SourceLocation(file, opt.line, "global options servers")
                for t in opt.children:
                    if t.name in ("write", "idle", "read_body", "read_header") and len(t.words) > 1:
                        v = _seconds(t.words[1], file, config, f"servers timeouts {t.name}", "global options servers")
                        if v is not None:
                            config.server[t.name] = v


# ---- JSON


def _json_duration(node: Y | None, file: str, config: CaddyConfig, what: str, context: str) -> Value | None:
    if node is None:
        return None
    text = node.text() or ""
    if node.tag == "int" or re.fullmatch(r"-?\d{1,20}", text):
        seconds: float | None = int(text) / 1e9
    else:
        seconds = go_duration(text)
    if seconds is None or seconds < 0:
        config.warnings.append(f"{file}:{node.line}: {what}: {text!r} is not a duration")
        return None
    return Value(text, seconds or None, SourceLocation(file, node.line, context))


def parse_caddy_json(text: str, file: str) -> CaddyConfig:
    try:
        docs = load_documents(text, file)
    except ConfigReadError as exc:
        raise CaddyConfigError(exc.problem, exc.file, exc.line) from None
    config = CaddyConfig(file=file, dialect="caddy-json")
    servers = docs[0].get("apps", "http", "servers") if docs else None
    for name, server in servers.items() if servers is not None else []:
        context = f"server {name}"
        config.server_location = SourceLocation(file, server.line, context)
        for key, short in (("write_timeout", "write"), ("idle_timeout", "idle")):
            v = _json_duration(server.get(key), file, config, key, context)
            if v is not None:
                config.server[short] = v
        listen = [t.text() or "" for t in (server.get("listen") or Y([])).seq()]
        site = Site(addresses=listen or [name], location=SourceLocation(file, server.line, context))
        _json_routes(server.get("routes"), [], site, config, file, 0)
        config.sites.append(site)
    return config


def _json_matchers(route: Y) -> list[Matcher] | None:
    sets = (route.get("match") or Y([])).seq()
    if not sets:
        return None
    out = []
    for s in sets:
        m = Matcher()
        for kind, v in s.items():
            pattern = v.get("pattern")
            if v.seq():
                args = [x.text() or "" for x in v.seq()]
            else:
                args = [pattern.text() or ""] if pattern is not None else []
            m.conditions.append((kind, args))
        out.append(m)
    return out


def _json_routes(
    routes: Y | None, chain: list[Matcher], site: Site, config: CaddyConfig, file: str, depth: int
) -> None:
    if routes is None or depth > 16:
        return
    for route in routes.seq():
        sets = _json_matchers(route)
        # several match sets are OR-ed: approximate with the first (most configs have one)
        mine = [*chain, sets[0]] if sets else list(chain)
        for handler in (route.get("handle") or Y([])).seq():
            kind = (handler.get("handler") or Y("")).text()
            if kind == "subroute":
                _json_routes(handler.get("routes"), mine, site, config, file, depth + 1)
            elif kind == "reverse_proxy":
                where = SourceLocation(file, handler.line, f"server route {depth}")
                proxy = Proxy(
                    matchers=mine,
                    location=where,
                    upstreams=[
                        (u.get("dial") or Y("")).text() or "" for u in (handler.get("upstreams") or Y([])).seq()
                    ],
                )
                tr = handler.get("transport")
                for key in ("dial_timeout", "response_header_timeout", "read_timeout", "write_timeout"):
                    v = _json_duration(tr.get(key) if tr else None, file, config, key, where.context or "")
                    if v is not None:
                        proxy.transport[key] = v
                ka = _json_duration(
                    tr.get("keep_alive", "idle_timeout") if tr else None, file, config, "keep_alive", ""
                )
                if ka is not None:
                    proxy.transport["keepalive"] = ka
                if sets and len(sets) > 1:
                    proxy.notes.append(f"{file}:{route.line}: several match sets; lpdoctor used the first")
                site.proxies.append(proxy)


# ---- reading


def looks_like(name: str, text: str) -> bool:
    head = text[:200_000]
    if name == "caddyfile" or name.startswith("caddyfile") or name.endswith(".caddyfile"):
        return True
    if '"apps"' in head and '"http"' in head and '"servers"' in head:
        return True
    return bool(re.search(r"(?m)^\s*reverse_proxy\s", head) and not re.search(r"(?m);\s*$", head))


def load_caddy_config(path: str) -> CaddyConfig:
    try:
        text = read_text(path)
    except ConfigReadError as exc:
        raise CaddyConfigError(exc.problem, exc.file, exc.line) from None
    shown = path if path != "-" else "<stdin>"
    if text.lstrip().startswith("{") and '"apps"' in text[:200_000]:
        return parse_caddy_json(text, shown)
    return parse_caddyfile(text, shown)


def load(path: str) -> CaddyConfig:
    return load_caddy_config(path)


def load_source(path: str) -> RoutedSource:
    """The dialect's entry point (:class:`lpdoctor.dialects.base.Dialect`): the file as a proxy source."""
    return load(path).source()


def every_proxy(config: CaddyConfig) -> Iterator[tuple[Site, Proxy]]:
    for site in config.sites:
        for proxy in site.proxies:
            yield site, proxy
