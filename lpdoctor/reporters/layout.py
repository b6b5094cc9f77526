"""Laying a report out for a terminal (text and rich): narrow widths, long routes, repeated findings, numbers.

- :func:`elide_middle` shortens a route by its middle, so ``/_matrix/client/v3/profile/{id}`` and
  ``/_matrix/client/v3/presence/{id}/status`` stay apart at any width (their ends differ, not their starts);
  :func:`elide_label` a chain row's label at a word boundary of its setting.
- :func:`group_findings` folds findings that say the same thing about different routes (the same rule, place,
  message and fix but for the route) into one, with every route listed.
- :func:`count` writes a count with thousands separators; :func:`status_counts` the failing statuses of a
  route (``504×1,024``), where ``-`` stands for a request that ended with no status (logged as 0 or ``-``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field

from lpdoctor.model import Chain, Finding
from lpdoctor.reporters.chain_view import axis_rows

WIDTH = 80
ELLIPSIS = "…"
NO_STATUS_NOTE = "-: no status (0 or -): the connection ended before any response was sent"


def elide_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters: the middle replaced by ``…`` (more of the end than the start)."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width <= 2:
        return text[:width]
    by_segments = _elide_segments(text, width)
    if by_segments is not None:
        return by_segments
    keep = width - 1
    head = keep * 2 // 5
    tail = keep - head
    return text[:head] + ELLIPSIS + text[len(text) - tail :]


_BOUNDARIES = ("/ :", ".", "_-")  # strongest first: a path or annotation segment, a dotted name, a word


def elide_label(label: str, width: int) -> str:
    """A chain row's label (``edge: aws-alb idle_timeout.timeout_seconds``) in at most ``width`` characters: the
    hop and component kept whole, the setting shortened from its start at a word boundary (``edge: aws-alb
    …timeout_seconds``), never cut inside a word; :func:`elide_middle` when even that does not fit."""
    if len(label) <= width:
        return label
    words = label.split(" ", 2)
    if len(words) == 3:
        head, setting = f"{words[0]} {words[1]}", words[2]
        for boundaries in _BOUNDARIES:  # the longest tail that fits, after the strongest boundary that gives one
            for k, c in enumerate(setting):
                tail = setting[k + 1 :]
                if c in boundaries and tail and len(head) + 2 + len(tail) <= width:
                    return f"{head} {ELLIPSIS}{tail}"
    return elide_middle(label, width)


def _elide_segments(path: str, width: int) -> str | None:
    """A path with whole middle segments replaced by ``…``: the longest that fits, keeping more of the end, and
    never ending in placeholders alone (``/_matrix/…/{id}`` would name no route)."""
    parts = path.split("/")
    if len(parts) < 4:
        return None
    best: tuple[int, int, str] | None = None
    for head in range(1, len(parts) - 1):
        for tail in range(1, len(parts) - head):
            kept = parts[len(parts) - tail :]
            if all(p.startswith("{") or not p for p in kept):
                continue
            candidate = "/".join(parts[:head]) + f"/{ELLIPSIS}/" + "/".join(kept)
            if len(candidate) <= width and (best is None or (len(candidate), tail) > best[:2]):
                best = (len(candidate), tail, candidate)
    return best[2] if best else None


def count(n: int | float) -> str:
    """``1,234``; a float that is a whole number is written as one."""
    if isinstance(n, float) and not n.is_integer():
        return f"{n:,.1f}"
    return f"{int(n):,}"


def status_counts(statuses: dict[str, int], wanted: Iterable[str] | None = None) -> tuple[str, bool]:
    """``504×106, -×46`` for the failing statuses (5xx, 499 and no status), and whether ``-`` is among them."""
    parts = []
    for k, v in statuses.items():
        if wanted is not None and k not in wanted:
            continue
        if wanted is None and not (k[:1] in ("5", "-") or k == "499"):
            continue
        parts.append(f"{k}×{count(v)}")
    return ", ".join(parts), "-" in statuses and (wanted is None or "-" in wanted)


def wrap(text: str, indent: str, width: int = WIDTH, first: str | None = None) -> list[str]:
    """``text`` wrapped to ``width`` with ``indent`` (``first`` before its first line instead, when given)."""
    lead = indent if first is None else first
    return textwrap.wrap(
        text,
        width=max(20, width),
        initial_indent=lead,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [lead.rstrip()]


@dataclass(slots=True)
class FindingGroup:
    """One finding as shown, and every route it was reported for (the first is the finding's own)."""

    finding: Finding
    routes: list[str] = field(default_factory=list)


def _without_route(text: str | None, route: str | None) -> str:
    if not text:
        return ""
    return text.replace(route, "\x00") if route else text


def group_findings(findings: list[Finding]) -> list[FindingGroup]:
    """Findings alike but for their route, folded together in the order they came."""
    groups: dict[tuple[object, ...], FindingGroup] = {}
    out: list[FindingGroup] = []
    for f in findings:
        key = (
            f.rule,
            f.severity,
            f.hop,
            f.host,
            str(f.location) if f.location else None,
            _without_route(f.message, f.route),
            _without_route(f.fix, f.route),
            _without_route(f.explanation, f.route),
        )
        group = groups.get(key) if f.route else None
        if group is None:
            group = FindingGroup(f, [f.route] if f.route else [])
            if f.route:
                groups[key] = group
            out.append(group)
        elif f.route and f.route not in group.routes:
            group.routes.append(f.route)
    return out


@dataclass(slots=True)
class ChainGroup:
    """One chain as shown, and every route whose chain is the same hop for hop (the first is its own)."""

    chain: Chain
    routes: list[str] = field(default_factory=list)


def group_chains(chains: list[Chain]) -> list[ChainGroup]:
    """Chains with the same hops, timers and hold folded together, in the order they came."""
    groups: dict[tuple[object, ...], ChainGroup] = {}
    out: list[ChainGroup] = []
    for c in chains:
        key = (c.host, tuple(axis_rows(c, 40)))
        group = groups.get(key)
        if group is None:
            group = groups[key] = ChainGroup(c, [c.route])
            out.append(group)
        elif c.route not in group.routes:
            group.routes.append(c.route)
    return out
