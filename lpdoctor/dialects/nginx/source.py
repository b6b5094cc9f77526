"""nginx as a :class:`~lpdoctor.model.hops.ProxySource`: the location nginx really picks, as a hop.

:func:`lpdoctor.dialects.nginx.locations.match_location` applies nginx's own matching rules (exact, ``^~``,
regexes in order, longest prefix, nested locations); this module turns the chosen location into
:class:`~lpdoctor.model.hops.HopFacts`: its ``<kind>_read_timeout`` (the only nginx timer that ends a
silent long-poll), where that value was set (location, server or http block, or the built-in default),
the ``proxy_next_upstream`` retry policy with the number of servers, the upstream keep-alive pool and the
client ``keepalive_timeout``. ``proxy_buffering`` is not taken as holding heartbeat bytes back: [E] nginx 1.22.1
with ``proxy_buffering on`` forwarded 1-byte chunks as they arrived.

A location that passes nothing upstream itself but falls back to a named location (``try_files ... @app``)
is judged by that named location. A location that passes nothing at all (``return``, static files) is not a
proxy hop: :meth:`NginxSource.hop_for` returns None.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from lpdoctor.dialects.nginx.locations import match_in_server, match_location
from lpdoctor.dialects.nginx.model import NginxConfig, NginxLocation
from lpdoctor.model import Hop, HopKind, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_GLOBAL, SCOPE_ROUTE, SCOPE_SERVER, HopFacts, RetryFacts

# nginx (up to at least 1.29) handles no 1xx from an upstream but 101 and 103: a 102 is taken as the final
# response ([E] nginx 1.22.1: the 102 went to the client and the real 200 became its body; nginx/nginx#1427).
NGINX_PASSES_INTERIM = False


def short_label(loc: NginxLocation) -> str:
    """``location ~ ^/_matrix/`` (or ``server example.org`` for the server's fallback)."""
    return loc.label.split(" > ")[-1] if " > " in loc.label else loc.label


def scope_of(t: Timeout) -> str:
    """Where an effective nginx timer came from, read off its :class:`SourceLocation` context."""
    if not t.explicit:
        return SCOPE_DEFAULT
    context = t.location.context if t.location else None
    if not context or context == "http":
        return SCOPE_GLOBAL
    if " > location " in context:
        return SCOPE_ROUTE
    return SCOPE_SERVER


class NginxSource:
    """An :class:`NginxConfig` answering "which hop serves this request"."""

    def __init__(self, config: NginxConfig) -> None:
        self.config = config
        self._facts: dict[int, HopFacts | None] = {}

    @property
    def component(self) -> str:
        return self.config.dialect  # "nginx", or "ingress-nginx" for manifests

    @property
    def label(self) -> str:
        return self.config.main_file

    def warnings(self) -> list[str]:
        return list(self.config.warnings)

    def location_for(self, host: str | None, path: str) -> NginxLocation | None:
        """The location nginx picks for ``path`` (after a ``try_files`` fallback to a named location)."""
        loc = match_location(self.config, host, path)
        if loc is None:
            return None
        return _serving(loc)

    def hop_for(self, host: str | None, path: str) -> HopFacts | None:
        """The hop nginx uses for ``path`` on ``host``; with the port unknown, the first server for that host
        (on any port) that passes the path upstream — not a ``return 301`` twin on port 80."""
        loc = match_location(self.config, host, path)
        facts = self.facts(loc) if loc is not None else None
        if facts is not None or host is None:
            return facts
        ports = sorted(
            {p for server in self.config.servers for p in server.ports}, key=lambda p: (p not in (443, 80), p)
        )
        for port in ports:
            loc = match_location(self.config, host, path, port)
            facts = self.facts(loc) if loc is not None else None
            if facts is not None:
                return facts
        return None

    def each_server(self, path: str) -> Iterable[tuple[str | None, HopFacts]]:
        for server in self.config.servers:
            loc = match_in_server(server, path)
            facts = self.facts(loc) if loc is not None else None
            if facts is not None:
                yield host_name(server.names), facts

    def facts(self, loc: NginxLocation) -> HopFacts | None:
        key = id(loc)
        if key not in self._facts:
            self._facts[key] = _hop_facts(loc)
        return self._facts[key]

    def all_timers(self) -> Iterable[tuple[Timeout, HopFacts]]:
        for server in self.config.servers:
            for loc in [*([server.default] if server.default else []), *server.locations]:
                facts = self.facts(loc) if loc.pass_kind else None
                if facts is None:
                    continue
                for t in facts.hop.timeouts:
                    if t.explicit:
                        yield t, facts


def host_name(names: list[str]) -> str | None:
    """A host name a server answers to: its first plain ``server_name``, a wildcard made concrete, else None."""
    for name in names:
        if name and name != "_" and not name.startswith("~") and "*" not in name and not name.startswith("."):
            return name
    for name in names:
        if name.startswith("*."):
            return "www" + name[1:]
        if name.startswith("."):
            return name[1:]
        if name.endswith(".*"):
            return name[:-1] + "com"
    return None


def _serving(loc: NginxLocation) -> NginxLocation:
    if loc.pass_kind is None and loc.try_files_fallback:
        named = loc.server.named(loc.try_files_fallback)
        if named is not None and named.pass_kind is not None:
            return named
    return loc


def _route_text(matched: NginxLocation, serving: NginxLocation) -> str:
    parts: list[str] = []
    node: NginxLocation | None = matched
    while node is not None:
        parts.append(node.pattern)
        node = node.parent
    if serving is not matched:
        parts.append(serving.pattern)
    parts.append(serving.pass_target or "")
    if serving.upstream is not None:
        parts.append(serving.upstream.name)
    parts.extend(matched.server.names)
    return " ".join(p for p in parts if p)


def _hop_facts(matched: NginxLocation) -> HopFacts | None:
    loc = _serving(matched)
    read = loc.read_timeout
    if loc.pass_kind is None or read is None:
        return None
    read = dataclasses.replace(read)  # the config's objects stay untouched
    hop = Hop(
        kind=HopKind.PROXY,
        component=read.component,
        name=f"nginx {loc.label}",
        timeouts=[read],
        attempts=loc.max_attempts_on_timeout("GET") or 1,
        location=loc.source,
    )
    facts = HopFacts(
        hop=hop,
        block=loc.source,
        block_label=short_label(loc),
        scope_of={read.setting: scope_of(read)},
        passes_interim=NGINX_PASSES_INTERIM,
        route_text=_route_text(matched, loc),
        catch_all=matched.is_server_default or (matched.modifier == "" and matched.pattern == "/"),
        notes=list(loc.notes),
    )
    nu = loc.next_upstream
    if nu is not None:
        up = loc.upstream
        servers = max(1, up.primary_count + up.backup_count) if up is not None and up.servers else None
        cond = nu.conditions_setting
        facts.retry = RetryFacts(
            directive=cond.directive,
            conditions=cond.value,
            location=cond.location,
            explicit=cond.explicit,
            on_timeout=nu.retries("GET"),
            attempts=loc.max_attempts_on_timeout("GET"),
            servers=servers,
            upstream=up.name if up is not None else None,
            upstream_location=up.source if up is not None and not up.implicit else None,
        )
    up = loc.upstream
    if up is not None:
        if up.keepalive_timeout is not None:
            facts.pool_idle = dataclasses.replace(up.keepalive_timeout)
            facts.pool_owner = up.source
        if up.note:
            facts.notes.append(up.note)
    client_idle = loc.keepalive_timeout
    if client_idle.value_s:  # 0 turns client keep-alive off: nothing to race with
        facts.accept_idle = dataclasses.replace(client_idle)
    return facts
