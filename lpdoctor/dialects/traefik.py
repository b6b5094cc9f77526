"""Traefik v2/v3 configuration → the hop each router gives a request, with its timers.

Inputs, read together (one :class:`TraefikConfig` from several files): the **static** configuration
(``traefik.yml`` / ``traefik.toml``, or ``--entrypoints...`` flags in a compose ``command:``), the **dynamic**
file provider (``http.routers`` / ``http.services`` / ``http.serversTransports``), and **Docker labels** in a
compose file (``traefik.http.routers.<r>.rule=PathPrefix(`/x`)``,
``traefik.http.services.<s>.loadbalancer.serverstransport=<name>@file``). Keys are case-insensitive, as in
Traefik. TOML needs Python 3.11 (``tomllib``); on 3.10 a clear error says so.

Timers (research: shared/research/timeouts.md table A, traefik ``static_config.go``, ``serverstransport.md``,
``pkg/proxy/httputil/proxy.go``):

- ``serversTransport.forwardingTimeouts.responseHeaderTimeout`` — *until-headers*, **0 = none** by default;
  Traefik answers 504 when it fires. The long-poll timer;
- entryPoint ``transport.respondingTimeouts.writeTimeout`` — Go ``http.Server.WriteTimeout``: *total*, from
  the end of the request headers to the end of the response write, so it includes the hold; **0 = none** by
  default. [E] (Go 1.19) the handler is not cancelled: the client gets an empty reply when the hold ends;
- ``readTimeout`` — **60 s since v2.11.2 and v3.0, 0 before** — bounds reading the *request* (Go clears the read
  deadline once the handler runs: [E] Go 1.19, a 5 s held GET with ReadTimeout 2 s got its 200). A
  third-party report of held requests released at 60 s is unverified; it is a note, not a hop timer;
- ``idleTimeout`` (180 s) is the client keep-alive (``accept_idle``); ``idleConnTimeout`` (90 s) the idle pool
  to the servers (``pool_idle``); ``dialTimeout`` (30 s) bounds the connect only (a note).

Routers are matched as Traefik does: highest ``priority`` first (default: the rule's length), rules over
``Host``, ``HostRegexp``, ``Path``, ``PathPrefix``, ``PathRegexp``, ``Method`` with ``&&``, ``||``, ``!`` and
parentheses; other matchers (``Headers``, ``Query``, ``ClientIP`` ...) are "unknown", and a router whose rule
depends on them is taken as not matching, with a note.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lpdoctor.catalog import default_seconds
from lpdoctor.dialects.base import (
    ConfigReadError,
    Frontend,
    RoutedSource,
    Y,
    go_duration,
    load_documents,
    read_text,
    timer,
)
from lpdoctor.dialects.config_regex import untrusted_match
from lpdoctor.model import Hop, HopKind, Semantics, SourceLocation, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_ROUTE, SCOPE_SERVER, HopFacts
from lpdoctor.text.durations import fmt_s
from lpdoctor.text.safety import compile_untrusted

COMPONENT = "traefik"
DEFAULT_READ_TIMEOUT_S = default_seconds("traefik", "readTimeout")  # v2.11.2+, v3; 0 in v2.10.x-v2.11.1
DEFAULT_IDLE_TIMEOUT_S = 180.0
DEFAULT_DIAL_TIMEOUT_S = 30.0
DEFAULT_IDLE_CONN_TIMEOUT_S = 90.0


class TraefikConfigError(ConfigReadError):
    """A Traefik configuration lpdoctor cannot read."""


@dataclass(slots=True)
class Value:
    raw: str
    seconds: float | None  # None: no limit (0)
    location: SourceLocation


@dataclass(slots=True)
class EntryPoint:
    name: str
    location: SourceLocation
    timers: dict[str, Value] = field(default_factory=dict)  # readtimeout, writetimeout, idletimeout


@dataclass(slots=True)
class Transport:
    name: str
    location: SourceLocation
    timers: dict[str, Value] = field(default_factory=dict)  # dialtimeout, responseheadertimeout, idleconntimeout


@dataclass(slots=True)
class Router:
    name: str
    rule: str
    location: SourceLocation
    service: str | None = None
    entrypoints: list[str] = field(default_factory=list)
    priority: int | None = None


@dataclass(slots=True)
class Service:
    name: str
    location: SourceLocation
    transport: str | None = None
    transport_location: SourceLocation | None = None
    servers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TraefikConfig:
    files: list[str] = field(default_factory=list)
    entrypoints: dict[str, EntryPoint] = field(default_factory=dict)
    default_transport: Transport | None = None  # static serversTransport
    transports: dict[str, Transport] = field(default_factory=dict)
    routers: dict[str, Router] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _facts: dict[str, HopFacts] = field(default_factory=dict)

    @property
    def main_file(self) -> str:
        return self.files[0] if self.files else "traefik"

    def ordered_routers(self) -> list[Router]:
        return sorted(self.routers.values(), key=lambda r: (-(r.priority if r.priority else len(r.rule)), r.name))

    def pick(self, host: str | None, path: str) -> HopFacts | None:
        notes: list[str] = []
        for router in self.ordered_routers():
            verdict = evaluate_rule(router.rule, host, path)
            if verdict is None:
                notes.append(
                    f"{router.location.file}:{router.location.line}: router {router.name} has a rule lpdoctor cannot "
                    f"evaluate here ({router.rule}); it was taken as not matching"
                )
                continue
            if verdict:
                facts = self.facts(router)
                for note in notes:
                    if note not in facts.notes:
                        facts.notes.append(note)
                return facts
        return None

    def facts(self, router: Router) -> HopFacts:
        if router.name not in self._facts:
            self._facts[router.name] = _hop_facts(self, router)
        return self._facts[router.name]

    def source(self) -> RoutedSource:
        probe = [h for r in self.routers.values() for h in _rule_hosts(r.rule)]
        frontend = Frontend(name="traefik", hosts=[], pick=self.pick, probe_hosts=list(dict.fromkeys(probe)))
        return RoutedSource(
            COMPONENT,
            self.main_file,
            [frontend],
            self.warnings,
            every_hop=lambda: (self.facts(r) for r in self.ordered_routers()),
            files=self.files,
            dialect="traefik",
        )


# ---- rules


_TOKEN = re.compile(r"\s*(?:(&&|\|\||[()!,])|`([^`]{0,4096})`|\"((?:[^\"\\]|\\.){0,4096})\"|([A-Za-z]{1,32}))")


class _RuleError(Exception):
    pass


def _tokens(rule: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    rule = rule.strip()
    while pos < len(rule):
        m = _TOKEN.match(rule, pos)
        if m is None or m.end() == pos:
            if rule[pos:].strip() == "":
                break
            raise _RuleError(f"unexpected {rule[pos : pos + 10]!r}")
        if m[1]:
            out.append(("op", m[1]))
        elif m[2] is not None:
            out.append(("str", m[2]))
        elif m[3] is not None:
            out.append(("str", m[3]))
        else:
            out.append(("name", m[4]))
        pos = m.end()
        if len(out) > 512:
            raise _RuleError("rule too long")
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], host: str | None, path: str) -> None:
        self.t = tokens
        self.i = 0
        self.host = host.split(":", 1)[0].lower() if host and not host.startswith("[") else host
        self.path = path.split("?", 1)[0]
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise _RuleError(f"expected {value or 'more'}")
        self.i += 1
        return tok

    def expr(self) -> bool | None:
        self.depth += 1
        if self.depth > 64:
            raise _RuleError("nested too deeply")
        left = self.conj()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.conj()
            left = True if left is True or right is True else (None if left is None or right is None else False)
        self.depth -= 1
        return left

    def conj(self) -> bool | None:
        left = self.unary()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.unary()
            left = False if left is False or right is False else (None if left is None or right is None else True)
        return left

    def unary(self) -> bool | None:
        if self.peek() == ("op", "!"):
            self.take()
            value = self.unary()
            return None if value is None else not value
        if self.peek() == ("op", "("):
            self.take()
            value = self.expr()
            self.take(")")
            return value
        kind, name = self.take()
        if kind != "name":
            raise _RuleError(f"expected a matcher, got {name!r}")
        self.take("(")
        args: list[str] = []
        while self.peek() != ("op", ")"):
            k, v = self.take()
            if k != "str":
                raise _RuleError("matcher arguments are quoted strings")
            args.append(v)
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        return self.matcher(name, args)

    def matcher(self, name: str, args: list[str]) -> bool | None:
        n = name.lower()
        if n == "host":
            if self.host is None:
                return False  # host unknown: only routers without a Host() rule serve it
            return any(a.lower() == self.host for a in args)
        if n == "hostregexp":
            if self.host is None:
                return False
            return _any_regex(args, self.host, fullmatch=True)
        if n == "path":
            if any("{" in a for a in args):
                return _any_regex([_v2_pattern(a) for a in args], self.path, fullmatch=True)
            return self.path in args
        if n == "pathprefix":
            if any("{" in a for a in args):
                return _any_regex([_v2_pattern(a) for a in args], self.path, fullmatch=False, anchored=True)
            return any(self.path.startswith(a) for a in args)
        if n == "pathregexp":
            return _any_regex(args, self.path, fullmatch=False)
        if n == "method":
            return any(a.upper() == "GET" for a in args)
        return None


def _v2_pattern(arg: str) -> str:
    """A Traefik v2 ``{name:regexp}`` path template as a regular expression."""
    out = []
    for part in re.split(r"(\{[^{}]{0,256}\})", arg):
        if part.startswith("{") and part.endswith("}"):
            inner = part[1:-1]
            out.append(f"({inner.split(':', 1)[1]})" if ":" in inner else "([^/]+)")
        else:
            out.append(re.escape(part))
    return "".join(out)


def _any_regex(patterns: list[str], subject: str, *, fullmatch: bool, anchored: bool = False) -> bool | None:
    unknown = False
    for pattern in patterns:
        if len(pattern) > 1024:
            unknown = True
            continue
        rx = compile_untrusted(pattern)
        if rx is None:  # "((((…", "{99999999999}"
            unknown = True
            continue
        m = untrusted_match(rx.pattern, subject, how="fullmatch" if fullmatch else ("match" if anchored else "search"))
        if m:
            return True
        if m is None:
            unknown = True
    return None if unknown else False


def evaluate_rule(rule: str, host: str | None, path: str) -> bool | None:
    """Whether a router rule matches ``GET host path``: True, False, or None (cannot tell)."""
    try:
        parser = _Parser(_tokens(rule), host, path)
        value = parser.expr()
        if parser.peek() is not None:
            return None
        return value
    except _RuleError:
        return None


def _rule_hosts(rule: str) -> list[str]:
    return [m.lower() for m in re.findall(r"Host\(\s*[`\"]([^`\"]{1,253})[`\"]", rule)]


def _rule_paths(rule: str) -> list[str]:
    return re.findall(r"Path(?:Prefix|Regexp)?\(\s*[`\"]([^`\"]{1,1024})[`\"]", rule)


# ---- the hop


def _tv(
    values: dict[str, Value], key: str, setting: str, semantics: Semantics, block: SourceLocation, default: float | None
) -> tuple[Timeout, str]:
    v = values.get(key)
    if v is None:
        note = f"default {fmt_s(default)}"
        return timer(COMPONENT, setting, default, semantics, block, explicit=False, note=note), SCOPE_DEFAULT
    return timer(COMPONENT, setting, v.seconds, semantics, v.location), SCOPE_ROUTE


def _hop_facts(config: TraefikConfig, router: Router) -> HopFacts:
    notes: list[str] = []
    service = config.services.get(_bare(router.service)) if router.service else None
    transport: Transport | None = None
    if service is not None and service.transport:
        transport = config.transports.get(_bare(service.transport))
        if transport is None:
            where = service.transport_location or service.location
            notes.append(
                f"{where.file}:{where.line}: serversTransport {service.transport!r} is not defined in the files "
                "given; lpdoctor used the default transport"
            )
    if transport is None:
        transport = config.default_transport
    t_block = transport.location if transport is not None else router.location
    t_values = transport.timers if transport is not None else {}
    header, header_scope = _tv(
        t_values, "responseheadertimeout", "responseHeaderTimeout", Semantics.UNTIL_HEADERS, t_block, None
    )
    if not header.explicit:
        header.note = "default 0: Traefik waits for the response headers without limit"
    scope_of = {header.setting: header_scope if transport is not config.default_transport else SCOPE_SERVER}
    if not header.explicit:
        scope_of[header.setting] = SCOPE_DEFAULT

    eps = [config.entrypoints[e] for e in router.entrypoints if e in config.entrypoints] or list(
        config.entrypoints.values()
    )
    write: Timeout | None = None
    for ep in eps:
        t, scope = _tv(ep.timers, "writetimeout", "writeTimeout", Semantics.TOTAL, ep.location, None)
        if write is None or (t.value_s is not None and (write.value_s is None or t.value_s < write.value_s)):
            write = t
            scope_of[t.setting] = SCOPE_SERVER if scope == SCOPE_ROUTE else scope
        read = ep.timers.get("readtimeout")
        notes.append(
            f"entryPoint {ep.name} readTimeout "
            + (
                f"{fmt_s(read.seconds)} ({read.location.file}:{read.location.line})"
                if read is not None
                else "unset (60 s since v2.11.2 / v3.0, none before)"
            )
            + " bounds reading the request, not a held response (unverified reports say otherwise: probe it)"
        )
    if write is None:
        write = timer(
            COMPONENT, "writeTimeout", None, Semantics.TOTAL, router.location, explicit=False, note="default 0 (none)"
        )
        scope_of[write.setting] = SCOPE_DEFAULT
    if write.value_s is not None:
        write.note = (
            "Go WriteTimeout: counts from the request headers to the end of the response, hold included; the "
            "client gets an empty reply when the hold ends"
        )
    dial = t_values.get("dialtimeout")
    notes.append(
        f"dialTimeout {fmt_s(dial.seconds if dial else DEFAULT_DIAL_TIMEOUT_S)}"
        + (f" ({dial.location.file}:{dial.location.line})" if dial else " (default)")
        + " bounds the connect to the server only"
    )
    accept = None
    for ep in eps:
        idle = ep.timers.get("idletimeout")
        seconds = idle.seconds if idle is not None else DEFAULT_IDLE_TIMEOUT_S
        if seconds:
            accept = timer(
                COMPONENT,
                "idleTimeout",
                seconds,
                Semantics.IDLE,
                idle.location if idle else ep.location,
                explicit=idle is not None,
            )
            break
    pool_v = t_values.get("idleconntimeout")
    pool = timer(
        COMPONENT,
        "idleConnTimeout",
        pool_v.seconds if pool_v else DEFAULT_IDLE_CONN_TIMEOUT_S,
        Semantics.IDLE,
        pool_v.location if pool_v else t_block,
        explicit=pool_v is not None,
    )
    hop = Hop(
        kind=HopKind.PROXY,
        component=COMPONENT,
        name=f"traefik router {router.name}",
        timeouts=[header, write],
        location=router.location,
    )
    return HopFacts(
        hop=hop,
        block=router.location,
        block_label=f"router {router.name}",
        scope_of=scope_of,
        accept_idle=accept,
        pool_idle=pool if pool.value_s else None,
        pool_owner=t_block,
        route_text=" ".join([router.name, router.rule, router.service or "", *(service.servers if service else [])]),
        catch_all=not _rule_paths(router.rule) or any(p == "/" for p in _rule_paths(router.rule)),
        notes=notes,
    )


def _bare(name: str | None) -> str:
    return (name or "").split("@", 1)[0].lower()


# ---- reading


def looks_like(name: str, text: str) -> bool:
    head = text[:400_000]
    low = head.lower()
    if "traefik.http." in low or "traefik.enable" in low:
        return True
    if name.startswith("traefik") and name.endswith((".yml", ".yaml", ".toml")):
        return True
    return bool(
        re.search(r"(?im)^[ \t]*entryPoints[ \t]*:[ \t]*\n[ \t]+[\w.-]{1,64}[ \t]*:", head)  # a mapping, not a list
        or re.search(r"(?im)^\s*\[\s*entryPoints\b", head)
        or re.search(r"(?i)respondingtimeouts|forwardingtimeouts|serverstransports?\b", head)
        or (re.search(r"(?im)^\s*\[?http\.?(routers|services)\]?", head) and "rule" in low)
        # the file provider's YAML and JSON: ``http:`` with ``routers:`` (or ``services:``) nested under it
        or (
            "rule" in low
            and bool(
                re.search(
                    r"(?m)^http[ \t]*:[ \t]*(?:#[^\n]*)?\n(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]+(routers|services)[ \t]*:",
                    head,
                )
                or re.search(r'"http"\s*:\s*\{\s*"(routers|services)"\s*:', head)
            )
        )
    )


def load_traefik_config(paths: list[str]) -> TraefikConfig:
    """Read static, dynamic and compose files into one configuration. Raises :class:`TraefikConfigError`."""
    config = TraefikConfig()
    for path in paths:
        shown = path if path != "-" else "<stdin>"
        try:
            text = read_text(path)
        except ConfigReadError as exc:
            raise TraefikConfigError(exc.problem, exc.file, exc.line) from None
        add_traefik_text(config, text, shown)
    return config


def load(path: str) -> TraefikConfig:
    return load_traefik_config([path])


def load_source(path: str) -> RoutedSource:
    """The dialect's entry point (:class:`lpdoctor.dialects.base.Dialect`): the file as a proxy source."""
    return load(path).source()


def add_traefik_text(config: TraefikConfig, text: str, file: str) -> None:
    config.files.append(file)
    if file.lower().endswith(".toml") or (not file.lower().endswith((".yml", ".yaml", ".json")) and _is_toml(text)):
        docs = [_toml_tree(text, file)]
    else:
        try:
            docs = load_documents(text, file)
        except ConfigReadError as exc:
            raise TraefikConfigError(exc.problem, exc.file, exc.line) from None
    for doc in docs:
        services = _ci(doc, "services")
        if services is not None and any(_ci(s, "image") or _ci(s, "labels") for _, s in services.items()):
            _compose(doc, config, file)
        else:
            _file_config(doc, config, file)


def _is_toml(text: str) -> bool:
    return bool(re.search(r"(?m)^\s*\[[A-Za-z][\w.\-\"]{0,128}\]\s*$", text[:100_000]))


def _toml_tree(text: str, file: str) -> Y:
    if sys.version_info < (3, 11):
        raise TraefikConfigError("reading TOML needs Python 3.11 or newer (tomllib); convert it to YAML", file)
    import tomllib

    try:
        data = tomllib.loads(text)
        return _to_y(data, (), _toml_lines(text))
    except tomllib.TOMLDecodeError as exc:
        raise TraefikConfigError(f"not valid TOML ({exc})", file) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise TraefikConfigError("not a Traefik configuration (TOML nested too deeply)", file) from None


def _toml_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line of every ``[table]`` header and ``key = value`` (dotted path, lower-case): enough for file:line."""
    out: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for no, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.fullmatch(r"\[\[?\s*([^\]]{1,256}?)\s*\]\]?\s*(?:#.*)?", s)
        if m:
            table = tuple(p.strip().strip('"').lower() for p in m[1].split("."))
            out.setdefault(table, no)
            continue
        k = re.match(r"([\w.\-\" ]{1,256}?)\s*=", s)
        if k:
            key = tuple(p.strip().strip('"').lower() for p in k[1].split("."))
            out.setdefault(table + key, no)
    for path, no in list(out.items()):  # a table only named in dotted keys starts where its first key is
        for i in range(1, len(path)):
            if out.get(path[:i], no + 1) > no:
                out[path[:i]] = no
    return out


def _to_y(value: Any, path: tuple[str, ...], lines: dict[tuple[str, ...], int], depth: int = 0) -> Y:
    line = lines.get(path)
    if depth > 32:
        return Y(None, line, "null")
    if isinstance(value, dict):
        return Y({str(k): _to_y(v, (*path, str(k).lower()), lines, depth + 1) for k, v in value.items()}, line)
    if isinstance(value, list):
        return Y([_to_y(v, path, lines, depth + 1) for v in value], line)
    if isinstance(value, bool):
        return Y("true" if value else "false", line, "bool")
    if isinstance(value, (int, float)):
        return Y(str(value), line, "int" if isinstance(value, int) else "float")
    return Y(str(value), line)


def _ci(node: Y | None, key: str) -> Y | None:
    """A mapping's child by case-insensitive key (Traefik's keys are case-insensitive)."""
    if node is None or not node.is_map:
        return None
    want = key.lower()
    for k, v in node.items():
        if k.lower() == want:
            return v
    return None


def _duration(raw: str, location: SourceLocation, config: TraefikConfig, what: str) -> Value | None:
    seconds = go_duration(raw, bare_unit="s")
    if seconds is None or seconds < 0:
        config.warnings.append(
            f"{location.file}:{location.line}: {what}: {raw!r} is not a duration (like 60s, 1m30s, or seconds)"
        )
        return None
    return Value(raw, seconds or None, location)


def _file_config(doc: Y, config: TraefikConfig, file: str) -> None:
    eps = _ci(doc, "entryPoints")
    for name, ep in eps.items() if eps is not None else []:
        entry = config.entrypoints.setdefault(
            name, EntryPoint(name, SourceLocation(file, ep.line, f"entryPoint {name}"))
        )
        rt = _ci(_ci(ep, "transport"), "respondingTimeouts")
        for key in ("readTimeout", "writeTimeout", "idleTimeout"):
            node = _ci(rt, key)
            if node is not None and node.text() is not None:
                where = SourceLocation(file, node.line, f"entryPoint {name}")
                v = _duration(node.text() or "", where, config, key)
                if v is not None:
                    entry.timers[key.lower()] = v
    st = _ci(doc, "serversTransport")
    if st is not None:
        config.default_transport = _transport("(static configuration)", st, file, config)
    http = _ci(doc, "http")
    if http is None:
        return
    for name, node in (_ci(http, "serversTransports") or Y({})).items():
        config.transports[name.lower()] = _transport(name, node, file, config)
    for name, node in (_ci(http, "routers") or Y({})).items():
        rule = _ci(node, "rule")
        router = Router(
            name=name,
            rule=(rule.text() if rule is not None else None) or "",
            location=SourceLocation(file, node.line, f"router {name}"),
            service=(_ci(node, "service") or Y(None, None, "null")).text(),
            entrypoints=[e.text() or "" for e in (_ci(node, "entryPoints") or Y([])).seq()],
        )
        prio = _ci(node, "priority")
        if prio is not None and (prio.text() or "").isdecimal():
            router.priority = int(prio.text() or "0")
        if not router.rule:
            config.warnings.append(f"{file}:{node.line}: router {name} has no rule (Traefik refuses it)")
            continue
        config.routers[name] = router
    for name, node in (_ci(http, "services") or Y({})).items():
        lb = _ci(node, "loadBalancer")
        service = Service(name=name, location=SourceLocation(file, node.line, f"service {name}"))
        tr = _ci(lb, "serversTransport")
        if tr is not None and tr.text():
            service.transport = tr.text()
            service.transport_location = SourceLocation(file, tr.line, f"service {name}")
        for server in (_ci(lb, "servers") or Y([])).seq():
            url = _ci(server, "url")
            if url is not None and url.text():
                service.servers.append(url.text() or "")
        config.services[name.lower()] = service


def _transport(name: str, node: Y, file: str, config: TraefikConfig) -> Transport:
    transport = Transport(name, SourceLocation(file, node.line, f"serversTransport {name}"))
    ft = _ci(node, "forwardingTimeouts")
    for key in ("dialTimeout", "responseHeaderTimeout", "idleConnTimeout"):
        v = _ci(ft, key)
        if v is not None and v.text() is not None:
            parsed = _duration(v.text() or "", SourceLocation(file, v.line, f"serversTransport {name}"), config, key)
            if parsed is not None:
                transport.timers[key.lower()] = parsed
    return transport


# ---- compose files: labels (dynamic) and the traefik service's flags (static)


def _labels(svc: Y) -> Iterator[tuple[str, str, int | None]]:
    for holder in (svc, _ci(svc, "deploy")):
        labels = _ci(holder, "labels")
        if labels is None:
            continue
        if labels.is_map:
            for key, node in labels.items():
                yield key, node.text() or "", node.line
        for item in labels.seq():
            text = item.text() or ""
            if "=" in text:
                key, value = text.split("=", 1)
                yield key.strip(), value.strip(), item.line


def _compose(doc: Y, config: TraefikConfig, file: str) -> None:
    for svc_name, svc in (_ci(doc, "services") or Y({})).items():
        image = (_ci(svc, "image") or Y("")).text() or ""
        command = _ci(svc, "command")
        if "traefik" in image.lower() and command is not None:
            _static_flags(command, config, file, svc_name)
        routers: dict[str, Router] = {}
        services: dict[str, Service] = {}
        enabled = True
        for key, value, line in _labels(svc):
            low = key.lower()
            where = SourceLocation(file, line, f"compose service {svc_name}")
            if low == "traefik.enable":
                enabled = value.strip().lower() == "true"
            parts = low.split(".")
            if len(parts) >= 5 and parts[:3] == ["traefik", "http", "routers"]:
                rname = key.split(".")[3]
                r = routers.setdefault(rname, Router(rname, "", where))
                attr = parts[4]
                if attr == "rule":
                    r.rule = value
                    r.location = where
                elif attr == "service":
                    r.service = value
                elif attr == "entrypoints":
                    r.entrypoints = [e.strip() for e in value.split(",") if e.strip()]
                elif attr == "priority" and value.isdecimal():
                    r.priority = int(value)
            elif len(parts) >= 5 and parts[:3] == ["traefik", "http", "services"]:
                sname = key.split(".")[3]
                s = services.setdefault(sname, Service(sname, where))
                if parts[4:] == ["loadbalancer", "serverstransport"]:
                    s.transport = value
                    s.transport_location = where
                elif parts[4:] == ["loadbalancer", "server", "port"]:
                    s.servers.append(f"{svc_name}:{value}")
        if not enabled:
            continue
        if not services and routers:
            services[svc_name] = Service(svc_name, SourceLocation(file, svc.line, f"compose service {svc_name}"))
        for s in services.values():
            s.servers = s.servers or [svc_name]
            config.services[s.name.lower()] = s
        for r in routers.values():
            if not r.rule:
                config.warnings.append(
                    f"{r.location.file}:{r.location.line}: router {r.name} has no rule label "
                    "(Traefik's docker provider then uses Host(`<container name>`))"
                )
                r.rule = f"Host(`{svc_name}`)"
            if r.service is None and len(services) == 1:
                r.service = next(iter(services.values())).name
            config.routers[r.name] = r


def _static_flags(command: Y, config: TraefikConfig, file: str, svc_name: str) -> None:
    items = command.seq() or ([command] if command.text() else [])
    for item in items:
        for flag in (item.text() or "").split():
            if not flag.startswith("--") or "=" not in flag:
                continue
            key, value = flag[2:].split("=", 1)
            parts = key.lower().split(".")
            where = SourceLocation(file, item.line, f"compose service {svc_name} command")
            if len(parts) == 5 and parts[0] == "entrypoints" and parts[2:4] == ["transport", "respondingtimeouts"]:
                ep = config.entrypoints.setdefault(parts[1], EntryPoint(parts[1], where))
                v = _duration(value, where, config, parts[4])
                if v is not None:
                    ep.timers[parts[4]] = v
            elif len(parts) == 2 and parts[0] == "entrypoints":
                config.entrypoints.setdefault(parts[1], EntryPoint(parts[1], where))
            elif len(parts) == 3 and parts[:2] == ["serverstransport", "forwardingtimeouts"]:
                if config.default_transport is None:
                    config.default_transport = Transport("(static configuration)", where)
                v = _duration(value, where, config, parts[2])
                if v is not None:
                    config.default_transport.timers[parts[2]] = v
