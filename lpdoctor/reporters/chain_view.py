"""Chains as data and as one time axis: every hop's timeout against the hold, first cut obvious."""

from __future__ import annotations

from typing import Any

from ..durations import fmt_s
from ..model import Chain, Timeout


def timeout_dict(t: Timeout) -> dict[str, Any]:
    return {
        "component": t.component,
        "setting": t.setting,
        "value_s": t.value_s,
        "semantics": t.semantics.value,
        "explicit": t.explicit,
        "file": t.location.file if t.location else None,
        "line": t.location.line if t.location else None,
        "note": t.note,
    }


def chain_dict(c: Chain) -> dict[str, Any]:
    return {
        "route": c.route,
        "host": c.host,
        "hold_s": c.hold.seconds if c.hold else None,
        "hold_source": c.hold.source if c.hold else None,
        "keepalive": {"interval_s": c.keepalive.interval_s, "kind": c.keepalive.kind} if c.keepalive else None,
        "hops": [
            {
                "kind": h.kind.value,
                "component": h.component,
                "name": h.name,
                "attempts": h.attempts,
                "timeouts": [timeout_dict(t) for t in h.timeouts],
            }
            for h in c.hops
        ],
    }


def axis_rows(c: Chain, width: int = 48) -> list[tuple[str, str, str, bool]]:
    """(label, bar, value, cuts_first) per bounded timeout, on one axis scaled to the largest value."""
    values: list[tuple[str, float | None, Timeout]] = []
    for hop in c.hops:
        for t in hop.timeouts:
            values.append((f"{hop.kind.value}: {hop.component} {t.setting}", t.value_s, t))
    bounded = [v for _, v, _ in values if v is not None]
    hold = c.hold.seconds if c.hold else None
    top = max([*bounded, hold or 0.0, 1.0]) * 1.1
    first = min(bounded) if bounded else None
    rows = []
    for label, value, t in values:
        if value is None:
            bar = "─" * width + "▶"
            rows.append((label, bar, "no limit", False))
            continue
        n = max(1, round(value / top * width))
        bar = "█" * n
        rows.append((label, bar, f"{fmt_s(value)} {t.semantics.value}", value == first))
    if hold is not None:
        n = max(1, round(hold / top * width))
        rows.append(("hold", "░" * n, fmt_s(hold), False))
    return rows
