"""What the config rules need to know about one hop, beyond the model's :class:`~lpdoctor.model.Hop`.

A :class:`HopFacts` wraps a ``Hop`` (its timers that can end a held request) with the facts some rules need:
where a fix line goes (``block``), at which scope each timer was set, the retry policy, the idle timeouts
of kept-alive connections on either side, response buffering, whether 1xx interim responses pass through.

Every proxy dialect plugs in through :class:`ProxySource`: given a host and a request path it returns the
hop that serves it. nginx's adapter is :mod:`lpdoctor.dialects.nginx.source`; chain files and app-server
discovery build :class:`HopFacts` for clients, edges and servers directly. Nothing in :mod:`lpdoctor.checks`
knows which proxy a hop came from, except through ``Timeout.component`` (used to pick fix templates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from lpdoctor.model import Hop, SourceLocation, Timeout

# Where a timer's value was set, relative to the route it is judged on.
SCOPE_ROUTE = "route"  # the block that serves the route (or a block nested around it)
SCOPE_SERVER = "server"  # a virtual-server-wide block (nginx ``server``)
SCOPE_GLOBAL = "global"  # the whole proxy (nginx ``http``)
SCOPE_DEFAULT = "default"  # nothing set: the component's built-in default


@dataclass(frozen=True, slots=True)
class Setting:
    """A non-timer setting as written (``proxy_buffering off``) and where."""

    directive: str
    value: str
    location: SourceLocation
    explicit: bool = True


@dataclass(slots=True)
class RetryFacts:
    """How a proxy resends a request whose attempt timed out (nginx ``proxy_next_upstream``)."""

    directive: str  # "proxy_next_upstream"
    conditions: str  # "error timeout" as configured (or the default)
    location: SourceLocation  # the directive, or the block where the default applies
    explicit: bool
    on_timeout: bool  # whether a timed-out attempt is resent at all
    attempts: int | None  # servers a timed-out GET can try; None = not bounded by anything known
    servers: int | None  # servers in the upstream group (primary + backup), None = unknown
    upstream: str | None = None
    upstream_location: SourceLocation | None = None


@dataclass(slots=True)
class HopFacts:
    """One hop of a route, with what the rules need beyond its timers."""

    hop: Hop
    block: SourceLocation | None = None  # where a fix line goes: the block serving the route
    block_label: str | None = None  # "location ~ ^/_matrix/" (short, for messages)
    scope_of: dict[str, str] = field(default_factory=dict)  # setting -> SCOPE_*
    retry: RetryFacts | None = None
    pool_idle: Timeout | None = None  # idle timeout of connections this hop keeps open to the next hop
    pool_owner: SourceLocation | None = None  # the block that owns that pool (nginx ``upstream``)
    # Idle keep-alive this hop allows on connections from the previous hop; None when unknown or when it
    # never closes an idle connection first (keep-alive off, no limit).
    accept_idle: Timeout | None = None
    # Holds streamed bytes back until the response ends (a chain-file proxy with buffering: true). Not set from
    # nginx's proxy_buffering: [E] nginx 1.22.1 with proxy_buffering on forwarded 1-byte chunks as they came
    # (only gzip held them to the end, and lpdoctor does not read gzip settings yet).
    buffering: Setting | None = None
    passes_interim: bool | None = None  # whether 1xx interim responses (102) reach the outer hops
    worker_class: str | None = None  # app servers with worker models (gunicorn)
    route_text: str = ""  # what the serving block says about itself: patterns, upstream and server names
    catch_all: bool = False  # the block serves every path (``location /``, a server without locations)
    notes: list[str] = field(default_factory=list)

    @property
    def component(self) -> str:
        return self.hop.component


class ProxySource(Protocol):
    """A proxy configuration that can say which of its blocks serves a request."""

    @property
    def label(self) -> str:
        """The configuration as the user named it ("nginx.conf")."""
        ...

    @property
    def component(self) -> str:
        """The catalog component name ("nginx", "sozune" ...)."""
        ...

    def hop_for(self, host: str | None, path: str) -> HopFacts | None:
        """The hop that serves ``path`` on ``host``; None when the configuration passes it nowhere."""
        ...

    def each_server(self, path: str) -> Iterable[tuple[str | None, HopFacts]]:
        """For every virtual server: a host name it answers to (None if it has none) and the hop serving ``path``."""
        ...

    def all_timers(self) -> Iterable[tuple[Timeout, HopFacts]]:
        """Every explicitly set timer that can end a request, with the hop it belongs to (for config-wide rules)."""
        ...

    def warnings(self) -> list[str]:
        """What the reader noticed that nginx (or the proxy) would refuse or ignore, ``file:line: ...``."""
        ...
