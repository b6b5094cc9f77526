"""Sōzune as a :class:`~lpdoctor.model.hops.ProxySource`: the entrypoint Sōzu picks, as a hop.

Which route serves a request: Sōzu matches the ``Host`` first (exact name, then a ``*.`` wildcard), then the
path rule. Among the routes that match, an exact path wins over a prefix, a longer prefix over a shorter
one, a prefix over a regex; equal rules go by Sōzune's ``priority`` (higher first), then by file order.
This follows Sōzu's router as documented (hostname, then path rule); ties that Sōzu would break by
registration order are only approximated.

Each hop is a :class:`SozuneHopFacts`: the generic facts (``backendTimeout`` with its scope, the
``retry.attempts`` policy, Sōzu's 60 s front idle timeout as the keep-alive it allows clients) plus the
route itself, so Sōzune rules can read it and fixes are written in the route's own syntax
(:meth:`SozuneHopFacts.spell`). When the configuration is a compose file, the app server the same compose
service runs (its ``command:``, read by :mod:`lpdoctor.dialects.app_servers`) is in :attr:`backends`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from lpdoctor.dialects.app_servers import discover_app_servers
from lpdoctor.dialects.sozune.config import SozuneConfig, load_sozune_config
from lpdoctor.dialects.sozune.config import looks_like as looks_like
from lpdoctor.dialects.sozune.routes import (
    SOZU_FRONT_TIMEOUT_S,
    SozuneRoute,
    path_matches,
    setting_line,
    sozune_hop,
    where,
)
from lpdoctor.model import InputSummary, Semantics, SourceLocation, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_ROUTE, HopFacts, RetryFacts
from lpdoctor.text.inputs import count_input_lines

SOZU_DEFAULTS = "Sōzu listener default (Sōzune cannot change it)"


@dataclass(slots=True)
class SozuneHopFacts(HopFacts):
    """The hop of one Sōzune route, with the route and the app server behind it."""

    route: SozuneRoute | None = None
    backends: list[HopFacts] = field(default_factory=list)

    def spell(self, t: Timeout, value: float | None) -> str | None:
        """The line setting ``t`` to ``value`` in the route's own syntax (label list or mapping, annotation,
        file-provider key), with where it goes."""
        if self.route is None:
            return None
        number = 0 if value is None else math.ceil(value)
        return f"{setting_line(self.route, t.setting, number)}  # {where(self.route)}"

    def fix_placeholders(self, t: Timeout, value: float | None) -> dict[str, str]:
        """Fix-template placeholders (:func:`lpdoctor.checks.base.render`): ``{line}`` (:meth:`spell`) and
        ``{retry_line}``, which turns Sōzune's retries off, both in the route's own syntax."""
        line = self.spell(t, value)
        if self.route is None or line is None:
            return {}
        return {"line": line, "retry_line": f"{setting_line(self.route, 'retry.attempts', 1)}  # {where(self.route)}"}


def _host_matches(pattern: str, host: str) -> int:
    """2 for an exact match, 1 for a wildcard match, 0 for none."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".").split(":", 1)[0]
    if pattern == host:
        return 2
    if pattern.startswith("*.") and host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
        return 1
    return 0


def _path_rank(route: SozuneRoute) -> tuple[int, int]:
    if route.path_type == "Exact":
        return (3, len(route.path))
    if route.path_type == "Prefix":
        return (2, len(route.path or "/"))
    return (1, 0)


def route_text(route: SozuneRoute) -> str:
    """What the route says about itself, as words: for matching known long-poll services by name."""
    parts = [route.id, route.service, route.workload or "", route.image or "", *route.hosts, route.path]
    return " ".join(p for p in parts if p)


class SozuneSource:
    """A :class:`SozuneConfig` answering "which hop serves this request"."""

    component = "sozune"

    def __init__(self, config: SozuneConfig, backends: dict[str, list[HopFacts]] | None = None) -> None:
        self.config = config
        self.routes = [r for r in config.routes if r.protocol == "http"]
        self._backends = backends if backends is not None else _compose_backends(config)
        self._facts: dict[int, SozuneHopFacts] = {}

    @property
    def label(self) -> str:
        return self.config.file

    @property
    def dialect(self) -> str:
        return f"sozune-{self.config.form}"

    def input_summary(self) -> InputSummary:
        """The configuration as one input of the report, with the reader's notes."""
        lines = count_input_lines(self.config.path) if self.config.path != "-" else 0
        summary = InputSummary(path=self.config.file, format=self.dialect, lines=lines, parsed=lines, kind="config")
        summary.warnings.extend(self.config.notes)
        return summary

    def warnings(self) -> list[str]:
        return list(self.config.notes)

    def route_for(self, host: str | None, path: str) -> SozuneRoute | None:
        best: tuple[tuple[int, int, int, int, int], SozuneRoute] | None = None
        for index, route in enumerate(self.routes):
            host_rank = 2 if host is None else max((_host_matches(h, host) for h in route.hosts), default=0)
            if host_rank == 0 or not path_matches(route, path):
                continue
            key = (host_rank, *_path_rank(route), route.priority, -index)
            if best is None or key > best[0]:
                best = (key, route)
        return best[1] if best else None

    def hop_for(self, host: str | None, path: str) -> HopFacts | None:
        route = self.route_for(host, path)
        return self.facts(route) if route is not None else None

    def each_server(self, path: str) -> Iterable[tuple[str | None, HopFacts]]:
        seen: set[str] = set()
        for route in self.routes:
            host = route.hosts[0] if route.hosts else None
            winner = self.route_for(host, path)
            if winner is None or winner.id in seen:
                continue
            seen.add(winner.id)
            yield host, self.facts(winner)

    def all_timers(self) -> Iterable[tuple[Timeout, HopFacts]]:
        for route in self.routes:
            facts = self.facts(route)
            for t in facts.hop.timeouts:
                if t.explicit:
                    yield t, facts

    def all_facts(self) -> list[SozuneHopFacts]:
        return [self.facts(r) for r in self.routes]

    def facts(self, route: SozuneRoute) -> SozuneHopFacts:
        key = id(route)
        if key not in self._facts:
            self._facts[key] = self._build(route)
        return self._facts[key]

    def _build(self, route: SozuneRoute) -> SozuneHopFacts:
        hop = sozune_hop(route)
        bt = hop.timeouts[0]
        block_label = (
            f"entrypoint {route.id}" if route.form == "file" else f"sozune.{route.protocol}.{route.service} labels"
        )
        retry_loc = route.location_of("retry.attempts")
        facts = SozuneHopFacts(
            hop=hop,
            block=route.block,
            block_label=block_label,
            scope_of={bt.setting: SCOPE_ROUTE if bt.explicit else SCOPE_DEFAULT},
            retry=RetryFacts(
                directive="retry.attempts" if route.form != "file" else "config.retry.attempts",
                conditions="connection errors and timeouts",
                location=retry_loc,
                explicit="retry.attempts" in route.settings,
                on_timeout=route.retry_attempts > 1,
                attempts=route.retry_attempts,
                servers=None,
            ),
            accept_idle=Timeout(
                "sozu",
                "front_timeout",
                SOZU_FRONT_TIMEOUT_S,
                Semantics.IDLE,
                SourceLocation(None, None, SOZU_DEFAULTS),
                explicit=False,
                note="Sōzu closes a client connection idle for 60 s (sozu command/src/config.rs, 2.1.0)",
            ),
            passes_interim=None,
            route_text=route_text(route),
            catch_all=route.path_type == "Prefix" and route.path in ("", "/"),
            route=route,
            backends=list(self._backends.get(route.workload or "", [])) if route.form == "label" else [],
        )
        if not route.middleware:
            facts.notes.append(
                f"{route.id} does not go through Sōzune's middleware: Sōzu forwards it directly, and its "
                "back_timeout (30 s, idle) is the timer"
            )
        return facts


def _compose_backends(config: SozuneConfig) -> dict[str, list[HopFacts]]:
    """App servers the compose file's services run, by compose service name."""
    if config.form != "compose" or config.path == "-":
        return {}
    found = discover_app_servers([config.path])
    out: dict[str, list[HopFacts]] = {}
    for facts in found.hops:
        loc = facts.hop.location
        context = loc.context if loc is not None else None
        if context and context.startswith("service "):
            out.setdefault(context[len("service ") :], []).append(facts)
    return out


def load_source(path: str) -> SozuneSource:
    """The dialect's entry point (:class:`lpdoctor.dialects.base.Dialect`): the file as a proxy source."""
    return SozuneSource(load_sozune_config(path))
