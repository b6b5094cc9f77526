"""What the edge and platform readers share: a hop that spells its own fix, and routes matched by host and path.

Every timer of these hops comes either from the line where it is written (explicit) or from the platform's
default, documented in ``rules/components.yaml`` with its source; a default keeps the location where the
setting *would* be written (the Ingress ``annotations:`` line, the BackendConfig ``spec:``, the Terraform
resource), so a finding on a missing setting points at the line to edit. Fixes are written in the platform's
own syntax by :meth:`EdgeHopFacts.fix_placeholders` (the ``{line}`` placeholder of the fix templates in
``rules/checks/*.yaml``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lpdoctor import catalog
from lpdoctor.dialects.base import Frontend, RoutedSource
from lpdoctor.model import Hop, HopKind, Semantics, SourceLocation, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_ROUTE, HopFacts
from lpdoctor.text.durations import fmt_s

Speller = Callable[[int], str]  # whole seconds -> the line to write, with where it goes


@dataclass(slots=True)
class EdgeHopFacts(HopFacts):
    """An edge or platform hop whose fixes are written in the platform's syntax (annotation, field, attribute)."""

    spellers: dict[str, Speller] = field(default_factory=dict)  # Timeout.setting -> speller

    def fix_placeholders(self, t: Timeout, value: float | None) -> dict[str, str]:
        speller = self.spellers.get(t.setting)
        if speller is None:
            return {}
        return {"line": speller(0 if value is None else math.ceil(value))}


def default_timer(
    component: str, catalog_setting: str, setting: str, where: SourceLocation, *, value_s: float | None = None
) -> Timeout:
    """A timer nothing set: the catalog's default (value and source) at the place it would be written."""
    entry = catalog.default_timeout(component, catalog_setting)
    value = value_s if value_s is not None else (None if entry.value_s is None else float(entry.value_s))
    return Timeout(
        component=component,
        setting=setting,
        value_s=value,
        semantics=entry.semantics,
        location=where,
        explicit=False,
        note=f"not set: default {fmt_s(value)} ({entry.source})",
    )


def set_timer(
    component: str,
    catalog_setting: str,
    setting: str,
    value_s: float | None,
    where: SourceLocation,
    note: str | None = None,
) -> Timeout:
    entry = catalog.default_timeout(component, catalog_setting)
    return Timeout(component, setting, value_s, entry.semantics, where, explicit=True, note=note)


def edge_hop(
    kind: HopKind,
    component: str,
    name: str,
    block: SourceLocation,
    timers: list[tuple[Timeout, Speller]],
    *,
    route_text: str = "",
    catch_all: bool = False,
    notes: list[str] | None = None,
) -> EdgeHopFacts:
    hop = Hop(kind=kind, component=component, name=name, timeouts=[t for t, _ in timers], location=block)
    return EdgeHopFacts(
        hop=hop,
        block=block,
        block_label=name,
        scope_of={t.setting: SCOPE_ROUTE if t.explicit else SCOPE_DEFAULT for t, _ in timers},
        route_text=route_text,
        catch_all=catch_all,
        notes=list(notes or []),
        spellers={t.setting: s for t, s in timers},
    )


@dataclass(slots=True)
class PathRule:
    """One path a route serves: ``prefix`` (path elements or plain prefix), ``exact``, or ``regex``."""

    kind: str
    value: str

    def matches(self, path: str) -> tuple[int, int] | None:
        """How well it matches (kind rank, length) for longest-match ordering; None when it does not."""
        if self.kind == "exact":
            return (3, len(self.value)) if path == self.value else None
        if self.kind == "regex":
            import re

            try:
                return (1, len(self.value)) if re.match(self.value, path) else None
            except re.error:
                return None
        prefix = self.value or "/"
        if prefix == "/" or path == prefix or path.startswith(prefix.rstrip("/") + "/") or path.startswith(prefix):
            return (2, len(prefix))
        return None


@dataclass(slots=True)
class EdgeRoute:
    hosts: list[str]
    paths: list[PathRule]
    facts: HopFacts


def routed(
    component: str,
    label: str,
    routes: list[EdgeRoute],
    files: list[str],
    warnings: list[str],
    *,
    in_series: bool = False,
) -> RoutedSource:
    """Routes as a :class:`RoutedSource`: one frontend per host set, the longest matching path wins.

    ``in_series``: every route is a hop of its own that every request crosses (Terraform: a CDN, then a load
    balancer, then the platform), one frontend each, in order.
    """
    groups: dict[tuple[str, ...], list[EdgeRoute]] = {}
    for i, r in enumerate(routes):
        key = tuple(sorted(h.lower() for h in r.hosts))
        groups.setdefault((*key, f"#{i}") if in_series else key, []).append(r)

    def picker(members: list[EdgeRoute]) -> Callable[[str | None, str], HopFacts | None]:
        def pick(_host: str | None, path: str) -> HopFacts | None:
            best: tuple[tuple[int, int], HopFacts] | None = None
            for r in members:
                for p in r.paths:
                    score = p.matches(path)
                    if score is not None and (best is None or score > best[0]):
                        best = (score, r.facts)
            return best[1] if best else None

        return pick

    frontends = [
        Frontend(name=", ".join(m[0].hosts) or "*", hosts=list(m[0].hosts), pick=picker(m)) for m in groups.values()
    ]

    def every_hop() -> list[HopFacts]:
        return [r.facts for r in routes]

    return RoutedSource(
        component, label, frontends, warnings=warnings, every_hop=every_hop, files=files, dialect=component
    )


MAX_NESTING = 64
_NOT_BRACKET = re.compile(r"[^\[\]{}()]+")


def too_deep(text: str, limit: int = MAX_NESTING) -> bool:
    """Whether brackets nest deeper than ``limit`` (quotes ignored: an over-estimate). Manifests and Terraform
    nest a dozen levels; thousands make the YAML composer and the HCL grammar take seconds, then recurse out."""
    depth = 0
    for ch in _NOT_BRACKET.sub("", text):
        if ch in "[{(":
            depth += 1
            if depth > limit:
                return True
        elif depth:
            depth -= 1
    return False


SEMANTICS_WORD = {Semantics.IDLE: "idle", Semantics.TOTAL: "total", Semantics.UNTIL_HEADERS: "until the headers"}
