"""Chains: for every long-poll route, the hops it crosses (outermost first) and the hold they must outlast.

Holds come from :class:`HoldSpec` values (``--hold``, the chain file, a scan's endpoints or logs, the
known-protocol catalog). For each one, every :class:`~lpdoctor.model.hops.ProxySource` says which of its
blocks serves the route by its own matching rules; the chain file and app-server discovery add the client,
edges, other proxies and the app server. The result, a :class:`RouteChain`, is what :mod:`lpdoctor.checks`
judge; its :class:`~lpdoctor.model.Chain` is what the report draws on one time axis.

Hop order: client, edges (as listed, outermost first), proxies declared in the chain file (in front of the
configuration's proxy), the configuration's proxy hops (one per source, in the order given), app servers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lpdoctor.chains.protocol_routes import served_by
from lpdoctor.dialects.chain_file import Hops
from lpdoctor.model import Chain, Hold, Keepalive, SourceLocation
from lpdoctor.model import margin as margins
from lpdoctor.model.hops import HopFacts, ProxySource
from lpdoctor.scan.routes import normalize_path

# Which hold wins when several sources name the same route (lower first).
HOLD_PRIORITY = {"option": 0, "chain-file": 1, "scan": 2, "observed": 2, "query": 2, "protocol": 3}


@dataclass(slots=True)
class HoldSpec:
    """One route and the hold it must survive."""

    route: str  # as the user or the source named it (a path, a prefix, or a route template)
    path: str  # the request path to match in the proxy configuration
    host: str | None
    hold: Hold
    keepalive: Keepalive | None = None
    origin: SourceLocation | None = None  # where the hold was declared
    hints: tuple[str, ...] = ()  # catalog requests: count a proxy only when its block names the service
    hops: Hops | None = None  # chain-file hops for this route

    @property
    def priority(self) -> int:
        return HOLD_PRIORITY.get(self.hold.source, 2)


@dataclass(slots=True)
class RouteChain:
    """A :class:`~lpdoctor.model.Chain` with the facts behind each hop (``facts[i]`` is ``chain.hops[i]``)."""

    spec: HoldSpec
    chain: Chain
    facts: list[HopFacts]
    margin_min_s: float = margins.MIN_S

    @property
    def hold_s(self) -> float:
        hold = self.chain.hold
        assert hold is not None
        return hold.seconds

    @property
    def route(self) -> str:
        return self.chain.route

    def margin(self, seconds: float) -> float:
        return margins.margin(seconds, self.margin_min_s)

    def proxies(self) -> list[HopFacts]:
        return [f for f in self.facts if f.hop.kind.value == "proxy"]


@dataclass(slots=True)
class ChainInputs:
    sources: list[ProxySource] = field(default_factory=list)
    specs: list[HoldSpec] = field(default_factory=list)
    defaults: Hops = field(default_factory=Hops)
    app_hops: list[HopFacts] = field(default_factory=list)  # discovered with --app: every route
    discovered: dict[str, list[HopFacts]] = field(default_factory=dict)  # app_from path -> hops
    margin_min_s: float = margins.MIN_S


def merge_specs(specs: list[HoldSpec]) -> list[HoldSpec]:
    """One spec per (host, route template): the highest-priority hold wins, the longest among equals."""
    best: dict[tuple[str, str], HoldSpec] = {}
    order: list[tuple[str, str]] = []
    for spec in specs:
        key = ((spec.host or "").lower(), normalize_path(spec.path))
        current = best.get(key)
        if current is None:
            best[key] = spec
            order.append(key)
        elif (spec.priority, -spec.hold.seconds) < (current.priority, -current.hold.seconds):
            if spec.hops is None:
                spec.hops = current.hops
            if spec.keepalive is None:
                spec.keepalive = current.keepalive
            best[key] = spec
    return [best[k] for k in order]


def _serving_hops(source: ProxySource, spec: HoldSpec) -> list[tuple[str | None, HopFacts]]:
    """The hop(s) of ``source`` that serve ``spec``: on its host, or on every server that serves the path."""
    if spec.host is not None:
        facts = source.hop_for(spec.host, spec.path)
        if facts is None or (spec.hints and not served_by(spec.hints, facts.route_text)):
            return []
        return [(spec.host, facts)]
    found = list(source.each_server(spec.path))
    if spec.hints:
        return [(h, f) for h, f in found if served_by(spec.hints, f.route_text)]
    specific = [(h, f) for h, f in found if not f.catch_all]
    return specific or found


def _pick(spec: HoldSpec, inputs: ChainInputs, section: str) -> object:
    own = getattr(spec.hops, section) if spec.hops is not None else None
    return own if own is not None else getattr(inputs.defaults, section)


def _app_hops(spec: HoldSpec, inputs: ChainInputs) -> list[HopFacts]:
    app = _pick(spec, inputs, "app")
    if isinstance(app, HopFacts):
        return [app]
    app_from = _pick(spec, inputs, "app_from")
    if isinstance(app_from, list):
        hops: list[HopFacts] = []
        for path, _where in app_from:
            hops.extend(inputs.discovered.get(path, []))
        if hops:
            return hops
    return list(inputs.app_hops)


def build_chains(inputs: ChainInputs) -> tuple[list[RouteChain], list[str]]:
    """Every route's chain, and notes on routes that could not be placed."""
    chains: list[RouteChain] = []
    notes: list[str] = []
    for spec in merge_specs(inputs.specs):
        placed: list[tuple[str | None, list[HopFacts]]] = []
        for source in inputs.sources:
            for host, found in _serving_hops(source, spec):
                for existing in placed:
                    if existing[0] == host:
                        existing[1].append(found)
                        break
                else:
                    placed.append((host, [found]))
        if not placed:
            if spec.hints:
                continue  # a catalog protocol this configuration does not serve
            if inputs.sources:
                notes.append(
                    f"{spec.route}: no proxy block passes it upstream"
                    + (f" on {spec.host}" if spec.host else "")
                    + " (a static or return location, or no server for it)"
                )
            placed = [(spec.host, [])]
        client = _pick(spec, inputs, "client")
        edges = _pick(spec, inputs, "edges")
        proxies = _pick(spec, inputs, "proxies")
        apps = _app_hops(spec, inputs)
        for host, proxy_hops in placed:
            facts: list[HopFacts] = []
            if isinstance(client, HopFacts):
                facts.append(client)
            facts.extend(edges if isinstance(edges, list) else [])
            facts.extend(proxies if isinstance(proxies, list) else [])
            facts.extend(proxy_hops)
            # no app server given: the one a proxy hop knows is behind it (a compose service's own command)
            facts.extend(apps or [b for p in proxy_hops for b in getattr(p, "backends", ())])
            if not facts:
                notes.append(f"{spec.route}: nothing is known about the hops it crosses")
                continue
            chain = Chain(
                route=spec.route,
                hold=spec.hold,
                hops=[f.hop for f in facts],
                host=host,
                keepalive=spec.keepalive,
            )
            chains.append(RouteChain(spec=spec, chain=chain, facts=facts, margin_min_s=inputs.margin_min_s))
    return _dedupe(chains), notes


def _dedupe(chains: list[RouteChain]) -> list[RouteChain]:
    """One chain per (host, route): a catalog request and a logged route for the same path become one."""
    best: dict[tuple[str, str], RouteChain] = {}
    for rc in chains:
        key = ((rc.chain.host or "").lower(), normalize_path(rc.spec.path))
        current = best.get(key)
        if current is None or (rc.spec.priority, -rc.hold_s) < (current.spec.priority, -current.hold_s):
            best[key] = rc
    return [rc for rc in chains if best.get(((rc.chain.host or "").lower(), normalize_path(rc.spec.path))) is rc]
