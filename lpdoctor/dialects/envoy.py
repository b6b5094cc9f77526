"""Envoy configuration (a bootstrap, an admin ``/config_dump``, or xDS resources; YAML or JSON) → hops.

Research: shared/research/timeouts.md table A (envoy ``docs/root/faq/configuration/timeouts.rst``,
``access_log/usage.rst``, ``router.cc``). Per route, the timers that can end a held request:

- route ``timeout`` — **15 s by default**, *total*: it starts when the whole request has been received and
  covers the complete upstream response, so heartbeat bytes do not help ("not compatible with streaming
  responses"); ``0s`` disables it. Envoy answers 504, response flag ``UT``;
- the stream idle timer: route ``idle_timeout`` if set, else the HTTP connection manager's
  ``stream_idle_timeout`` — **5 min by default**, *idle*; ``0s`` disables it. 408 / flag ``SI``;
- ``max_stream_duration`` (route ``max_stream_duration.max_stream_duration``, else the connection manager's
  ``common_http_protocol_options.max_stream_duration``; the cluster's limits the upstream stream, flag
  ``UMSDR``) — *total*, no limit by default;
- ``retry_policy.per_try_timeout`` — *total* per attempt; with ``retry_on`` covering ``5xx`` /
  ``gateway-error`` a timed-out try is retried (still within the route ``timeout``).

The cluster ``connect_timeout`` (5 s default) bounds the TCP connect only; it is a note. Routes are matched
as Envoy does: virtual host by ``domains`` (exact, ``*.suffix``, ``prefix*``, ``*``), then the first route
whose ``prefix`` / ``path`` / ``safe_regex`` / ``path_separated_prefix`` matches; a route with ``headers`` or
``query_parameters`` conditions is taken as matching, with a note. ``redirect`` and ``direct_response``
routes pass nothing upstream.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lpdoctor.catalog import default_seconds
from lpdoctor.dialects.base import (
    ConfigReadError,
    Frontend,
    RoutedSource,
    Y,
    host_matches,
    load_documents,
    read_text,
    timer,
)
from lpdoctor.dialects.config_regex import untrusted_match
from lpdoctor.model import Hop, HopKind, Semantics, SourceLocation, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_ROUTE, SCOPE_SERVER, HopFacts, RetryFacts
from lpdoctor.text.durations import fmt_s

COMPONENT = "envoy"
DEFAULT_ROUTE_TIMEOUT_S = default_seconds("envoy", "route timeout")
DEFAULT_STREAM_IDLE_S = default_seconds("envoy", "stream_idle_timeout")
DEFAULT_CONNECT_TIMEOUT_S = 5.0
HCM_NAMES = ("envoy.filters.network.http_connection_manager", "envoy.http_connection_manager")
_RETRY_ON_TIMEOUT = {"5xx", "gateway-error"}
_PROTO_DURATION = re.compile(r"(-?\d{1,15}(?:\.\d{1,9})?)s")


class EnvoyConfigError(ConfigReadError):
    """An Envoy configuration lpdoctor cannot read."""


def proto_duration(node: Y | None) -> tuple[float | None, bool]:
    """A ``google.protobuf.Duration`` (``"15s"``, ``"0.250s"``, or ``{seconds, nanos}``) → (seconds, valid)."""
    if node is None:
        return None, False
    if node.is_map:
        seconds = node.get("seconds")
        nanos = node.get("nanos")
        try:
            value = float(seconds.text() or 0) if seconds is not None else 0.0
            value += float(nanos.text() or 0) / 1e9 if nanos is not None else 0.0
        except ValueError:
            return None, False
        return value, True
    text = node.text()
    if text is None:
        return None, False
    m = _PROTO_DURATION.fullmatch(text.strip())
    if m is None:
        return None, False
    return float(m[1]), True


@dataclass(slots=True)
class Cluster:
    name: str
    line: int | None
    connect_timeout: tuple[float | None, int | None, bool]  # seconds, line, explicit
    max_stream_duration: tuple[float, int | None] | None = None
    endpoints: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Manager:
    """One HTTP connection manager: its stream timers and where it is."""

    name: str
    line: int | None
    stream_idle: tuple[float | None, int | None] | None  # None: not set
    max_stream_duration: tuple[float | None, int | None] | None
    route_config: Y | None
    rds_name: str | None


@dataclass(slots=True)
class EnvoyConfig:
    file: str
    managers: list[Manager] = field(default_factory=list)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    route_configs: dict[str, Y] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    _facts: dict[int, HopFacts] = field(default_factory=dict)

    def where(self, line: int | None, context: str) -> SourceLocation:
        return SourceLocation(self.file, line, context)

    def route_config_of(self, manager: Manager) -> Y | None:
        if manager.route_config is not None:
            return manager.route_config
        return self.route_configs.get(manager.rds_name) if manager.rds_name is not None else None

    def source(self) -> RoutedSource:
        frontends: list[Frontend] = []
        for manager in self.managers:
            rc = self.route_config_of(manager)
            for vhost in (rc.get("virtual_hosts") or Y([])).seq() if rc is not None else []:
                domains = [d.text() or "" for d in (vhost.get("domains") or Y([])).seq()]
                hosts = [] if "*" in domains or not domains else domains
                frontends.append(
                    Frontend(
                        name=(vhost.get("name") or Y("")).text() or "virtual host",
                        hosts=hosts,
                        pick=self._picker(manager, vhost),
                    )
                )
        return RoutedSource(COMPONENT, self.file, frontends, self.warnings, every_hop=self._every_hop, dialect="envoy")

    def _picker(self, manager: Manager, vhost: Y) -> Callable[[str | None, str], HopFacts | None]:
        def pick(host: str | None, path: str) -> HopFacts | None:
            if host is not None:
                domains = [d.text() or "" for d in (vhost.get("domains") or Y([])).seq()]
                if domains and not any(_domain_matches(d, host) for d in domains):
                    return None
            route = _match_route(vhost, path)
            if route is None:
                return None
            return self._route_facts(manager, vhost, route)

        return pick

    def _every_hop(self) -> Iterator[HopFacts]:
        for manager in self.managers:
            rc = self.route_config_of(manager)
            for vhost in (rc.get("virtual_hosts") or Y([])).seq() if rc is not None else []:
                for route in (vhost.get("routes") or Y([])).seq():
                    facts = self._route_facts(manager, vhost, route)
                    if facts is not None:
                        yield facts

    def _route_facts(self, manager: Manager, vhost: Y, route: Y) -> HopFacts | None:
        key = id(route)
        if key in self._facts:
            return self._facts[key]
        action = route.get("route")
        if action is None:
            return None  # redirect, direct_response, filter_action: nothing goes upstream
        facts = _hop_facts(self, manager, vhost, route, action)
        self._facts[key] = facts
        return facts


def _domain_matches(pattern: str, host: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith("*") and not pattern.startswith("*"):
        return host.lower().split(":", 1)[0].startswith(pattern[:-1].lower())
    return host_matches(pattern, host)


def _match_route(vhost: Y, path: str) -> Y | None:
    only_path = path.split("?", 1)[0]
    for route in (vhost.get("routes") or Y([])).seq():
        match = route.get("match")
        if match is None:
            continue
        cs = match.get("case_sensitive")
        case_sensitive = cs is None or (cs.text() or "true").lower() != "false"
        subject = only_path if case_sensitive else only_path.lower()

        def norm(value: str, case_sensitive: bool = case_sensitive) -> str:
            return value if case_sensitive else value.lower()

        prefix = match.get("prefix")
        exact = match.get("path")
        regex = match.get("safe_regex")
        sep = match.get("path_separated_prefix")
        matched: bool | None = None
        if prefix is not None:
            matched = subject.startswith(norm(prefix.text() or ""))
        elif exact is not None:
            matched = subject == norm(exact.text() or "")
        elif sep is not None:
            p = norm(sep.text() or "")
            matched = subject == p or subject.startswith(p.rstrip("/") + "/")
        elif regex is not None:
            pattern = (regex.get("regex") or Y("")).text() or ""
            if len(pattern) > 1024:
                matched = None
            else:
                try:
                    matched = untrusted_match(pattern, only_path, how="fullmatch")
                except re.error:
                    matched = None
        if matched:
            return route
    return None


def _explicit(config: EnvoyConfig, node: Y | None, setting: str, semantics: Semantics, context: str) -> Timeout | None:
    if node is None:
        return None
    value, valid = proto_duration(node)
    if not valid:
        config.warnings.append(f"{config.file}:{node.line}: {setting}: {node.text()!r} is not a duration like 15s")
        return None
    note = f"{setting}: 0s disables it" if value == 0 else None
    return timer(COMPONENT, setting, value or None, semantics, config.where(node.line, context), note=note)


def _hop_facts(config: EnvoyConfig, manager: Manager, vhost: Y, route: Y, action: Y) -> HopFacts:
    vname = (vhost.get("name") or Y("")).text() or "virtual host"
    match = route.get("match") or Y({})
    match_text = " ".join(
        f"{k} {v.text()}" for k, v in match.items() if k in ("prefix", "path", "path_separated_prefix") and v.text()
    )
    if match.get("safe_regex") is not None:
        match_text = f"regex {(match.get('safe_regex', 'regex') or Y('')).text()}"
    label = f"route {match_text}".strip()
    context = f"virtual_host {vname} > {label}"
    block = config.where(route.line, context)
    timeouts: list[Timeout] = []
    scope_of: dict[str, str] = {}
    notes: list[str] = []

    total = _explicit(config, action.get("timeout"), "route timeout", Semantics.TOTAL, context)
    if total is None:
        total = timer(
            COMPONENT,
            "route timeout",
            DEFAULT_ROUTE_TIMEOUT_S,
            Semantics.TOTAL,
            block,
            explicit=False,
            note="default 15 s (envoy timeouts.rst): a total timer over the whole response; 0s disables it",
        )
        scope_of[total.setting] = SCOPE_DEFAULT
    else:
        scope_of[total.setting] = SCOPE_ROUTE
    timeouts.append(total)

    idle = _explicit(config, action.get("idle_timeout"), "route idle_timeout", Semantics.IDLE, context)
    if idle is not None:
        scope_of[idle.setting] = SCOPE_ROUTE
    elif manager.stream_idle is not None:
        value, line = manager.stream_idle
        idle = timer(
            COMPONENT,
            "stream_idle_timeout",
            value,
            Semantics.IDLE,
            config.where(line, manager.name),
            note="stream_idle_timeout: 0s disables it" if value is None else None,
        )
        scope_of[idle.setting] = SCOPE_SERVER
    else:
        idle = timer(
            COMPONENT,
            "stream_idle_timeout",
            DEFAULT_STREAM_IDLE_S,
            Semantics.IDLE,
            config.where(manager.line, manager.name),
            explicit=False,
            note="default 5 min (envoy timeouts.rst)",
        )
        scope_of[idle.setting] = SCOPE_DEFAULT
    timeouts.append(idle)

    msd = _explicit(
        config,
        action.get("max_stream_duration", "max_stream_duration"),
        "max_stream_duration",
        Semantics.TOTAL,
        context,
    )
    if msd is not None:
        scope_of[msd.setting] = SCOPE_ROUTE
    elif manager.max_stream_duration is not None and manager.max_stream_duration[0]:
        value, line = manager.max_stream_duration
        msd = timer(COMPONENT, "max_stream_duration", value, Semantics.TOTAL, config.where(line, manager.name))
        scope_of[msd.setting] = SCOPE_SERVER
    if msd is not None and msd.value_s is not None:
        timeouts.append(msd)

    cluster_name = (action.get("cluster") or Y("")).text()
    cluster = config.clusters.get(cluster_name or "")
    if cluster is not None and cluster.max_stream_duration is not None:
        value, line = cluster.max_stream_duration
        t = timer(
            COMPONENT,
            "cluster max_stream_duration",
            value,
            Semantics.TOTAL,
            config.where(line, f"cluster {cluster.name}"),
            note="upstream stream limit (response flag UMSDR)",
        )
        timeouts.append(t)
        scope_of[t.setting] = SCOPE_SERVER
    if cluster is not None:
        ct, ct_line, ct_explicit = cluster.connect_timeout
        notes.append(
            f"cluster {cluster.name} connect_timeout {fmt_s(ct)}"
            + (f" ({config.file}:{ct_line})" if ct_explicit else " (default)")
            + " bounds the TCP connect only, not a held request"
        )
    elif cluster_name:
        notes.append(f"cluster {cluster_name!r} is not defined in {config.file} (CDS?)")

    policy = action.get("retry_policy") or vhost.get("retry_policy")
    attempts = 1
    retry: RetryFacts | None = None
    if policy is not None:
        retry_on = (policy.get("retry_on") or Y("")).text() or ""
        conditions = {c.strip() for c in retry_on.split(",") if c.strip()}
        num = (policy.get("num_retries") or Y("1")).text() or "1"
        retries = int(num) if num.isdecimal() else 1
        per_try = _explicit(config, policy.get("per_try_timeout"), "per_try_timeout", Semantics.TOTAL, context)
        on_timeout = per_try is not None and per_try.value_s is not None and bool(conditions & _RETRY_ON_TIMEOUT)
        if per_try is not None and per_try.value_s is not None:
            timeouts.append(per_try)
            scope_of[per_try.setting] = SCOPE_ROUTE
        attempts = retries + 1 if on_timeout else 1
        retry = RetryFacts(
            directive="retry_policy",
            conditions=retry_on,
            location=config.where(policy.line, context),
            explicit=True,
            on_timeout=on_timeout,
            attempts=attempts,
            servers=len(cluster.endpoints) if cluster is not None and cluster.endpoints else None,
            upstream=cluster_name,
        )
        if on_timeout:
            notes.append(
                f"retry_policy retries a try cut by per_try_timeout ({retry_on}), up to {attempts} tries, "
                "all within the route timeout"
            )
    if match.get("headers") is not None or match.get("query_parameters") is not None:
        notes.append(f"{label} also matches on headers or query parameters; lpdoctor took it as matching")

    hop = Hop(
        kind=HopKind.PROXY,
        component=COMPONENT,
        name=f"envoy {vname} {label}",
        timeouts=timeouts,
        attempts=attempts,
        location=block,
    )
    catch_all = match_text in ("prefix /", "prefix ")
    return HopFacts(
        hop=hop,
        block=block,
        block_label=f"{label} (virtual_host {vname})",
        scope_of=scope_of,
        retry=retry,
        route_text=" ".join(
            [match_text, vname, cluster_name or "", *[d.text() or "" for d in (vhost.get("domains") or Y([])).seq()]]
        ),
        catch_all=catch_all,
        notes=notes,
    )


# ---- reading


def looks_like(name: str, text: str) -> bool:
    head = text[:200_000]
    return (
        "http_connection_manager" in head
        or "HttpConnectionManager" in head
        or ("virtual_hosts" in head and "routes" in head and ("prefix" in head or "cluster" in head))
        or ("envoy.admin" in head and "config_dump" in head.lower())
    )


def load_envoy_config(path: str) -> EnvoyConfig:
    try:
        text = read_text(path)
    except ConfigReadError as exc:
        raise EnvoyConfigError(exc.problem, exc.file, exc.line) from None
    return parse_envoy_config(text, path if path != "-" else "<stdin>")


def load(path: str) -> EnvoyConfig:
    return load_envoy_config(path)


def load_source(path: str) -> RoutedSource:
    """The dialect's entry point (:class:`lpdoctor.dialects.base.Dialect`): the file as a proxy source."""
    return load(path).source()


def parse_envoy_config(text: str, file: str) -> EnvoyConfig:
    """Parse a bootstrap, config dump or xDS resources. Raises :class:`EnvoyConfigError` on invalid YAML."""
    try:
        docs = load_documents(text, file)
    except ConfigReadError as exc:
        raise EnvoyConfigError(exc.problem, exc.file, exc.line) from None
    config = EnvoyConfig(file=file)
    for doc in docs:
        _walk(doc, config, 0)
    if not config.managers:
        config.warnings.append(f"{file}: no HTTP connection manager found (nothing is routed)")
    for manager in config.managers:
        if manager.route_config is None and manager.rds_name is not None and config.route_config_of(manager) is None:
            config.warnings.append(
                f"{file}:{manager.line}: {manager.name} takes its routes from RDS ({manager.rds_name!r}), which is "
                "not in this file: give a config_dump (curl localhost:9901/config_dump) that includes them"
            )
    for _ in config._every_hop():  # every route once, so invalid values become warnings now
        pass
    return config


def _walk(node: Y, config: EnvoyConfig, depth: int) -> None:
    """Find listeners, clusters and route configurations wherever a bootstrap or dump puts them."""
    if depth > 24:
        return
    if node.is_map:
        if node.get("filter_chains") is not None:
            _listener(node, config)
            return
        if node.get("virtual_hosts") is not None:
            name = (node.get("name") or Y("")).text() or ""
            config.route_configs[name] = node
            return
        if node.get("connect_timeout") is not None or (
            node.get("name") is not None
            and (node.get("load_assignment") is not None or node.get("type") is not None)
            and node.get("lb_policy") is not None
        ):
            _cluster(node, config)
            return
        for key, child in node.items():
            if key in ("clusters", "static_clusters", "dynamic_active_clusters"):
                for item in child.seq():
                    inner = item.get("cluster") or item
                    _cluster(inner, config)
                continue
            _walk(child, config, depth + 1)
    else:
        for item in node.seq():
            _walk(item, config, depth + 1)


def _cluster(node: Y, config: EnvoyConfig) -> None:
    name = (node.get("name") or Y("")).text() or ""
    if not name:
        return
    ct_node = node.get("connect_timeout")
    value, valid = proto_duration(ct_node)
    ct = (value if valid else DEFAULT_CONNECT_TIMEOUT_S, ct_node.line if ct_node else None, ct_node is not None)
    cluster = Cluster(name=name, line=node.line, connect_timeout=ct)
    for path in (
        (
            "typed_extension_protocol_options",
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            "common_http_protocol_options",
            "max_stream_duration",
        ),
        ("common_http_protocol_options", "max_stream_duration"),
    ):
        msd = node.get(*path)
        v, ok = proto_duration(msd)
        if ok and v:
            cluster.max_stream_duration = (v, msd.line if msd else None)
            break
    for ep in _find_all(node.get("load_assignment"), "socket_address", 0):
        addr = (ep.get("address") or Y("")).text() or ""
        port = (ep.get("port_value") or Y("")).text() or ""
        cluster.endpoints.append(f"{addr}:{port}")
    config.clusters[name] = cluster


def _find_all(node: Y | None, key: str, depth: int) -> Iterator[Y]:
    if node is None or depth > 16:
        return
    for k, v in node.items():
        if k == key:
            yield v
        else:
            yield from _find_all(v, key, depth + 1)
    for item in node.seq():
        yield from _find_all(item, key, depth + 1)


def _listener(node: Y, config: EnvoyConfig) -> None:
    lname = (node.get("name") or Y("listener")).text() or "listener"
    for chain in (node.get("filter_chains") or Y([])).seq():
        for flt in (chain.get("filters") or Y([])).seq():
            fname = (flt.get("name") or Y("")).text() or ""
            typed = flt.get("typed_config") or flt.get("config")
            type_url = ((typed.get("@type") if typed else None) or Y("")).text() or ""
            if fname not in HCM_NAMES and not type_url.endswith("HttpConnectionManager"):
                continue
            if typed is None:
                continue
            stat = (typed.get("stat_prefix") or Y("")).text()
            mname = f"listener {lname} > http_connection_manager" + (f" {stat}" if stat else "")
            si_node = typed.get("stream_idle_timeout")
            stream_idle = None
            if si_node is not None:
                v, ok = proto_duration(si_node)
                if ok:
                    stream_idle = (v or None, si_node.line)
                else:
                    config.warnings.append(f"{config.file}:{si_node.line}: stream_idle_timeout is not a duration")
            msd_node = typed.get("common_http_protocol_options", "max_stream_duration")
            msd = None
            if msd_node is not None:
                v, ok = proto_duration(msd_node)
                if ok:
                    msd = (v or None, msd_node.line)
            rds = typed.get("rds", "route_config_name")
            config.managers.append(
                Manager(
                    name=mname,
                    line=typed.line,
                    stream_idle=stream_idle,
                    max_stream_duration=msd,
                    route_config=typed.get("route_config"),
                    rds_name=rds.text() if rds is not None else None,
                )
            )
