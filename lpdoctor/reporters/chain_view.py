"""Chains as data and as one time axis: every hop's timeout against the hold, first cut obvious."""

from __future__ import annotations

import os
from typing import Any

from lpdoctor.model import Chain, Timeout
from lpdoctor.text.durations import fmt_s


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


def _where(t: Timeout) -> str:
    loc = t.location
    if loc is None or loc.file is None:
        return "" if t.explicit else "  (default)"
    name = os.path.basename(loc.file)
    return f"  {name}:{loc.line}" if loc.line else f"  {name}"


def _reset(c: Chain, t: Timeout) -> bool:
    """An idle timer that heartbeat bytes, sent more often than it fires, keep from firing."""
    ka = c.keepalive
    return (
        ka is not None
        and ka.kind == "bytes"
        and t.semantics.value == "idle"
        and t.value_s is not None
        and ka.interval_s < t.value_s
    )


def axis_rows(c: Chain, width: int = 48) -> list[tuple[str, str, str, bool]]:
    """(label, bar, value, cuts_first) per timeout, on one axis scaled to the largest value.

    Hops without any timer get a "no limit" row; the hold (and the keepalive interval, when declared) come last.
    """
    values: list[tuple[str, float | None, Timeout | None]] = []
    for hop in c.hops:
        if not hop.timeouts:
            values.append((f"{hop.kind.value}: {hop.component}", None, None))
        for timer in hop.timeouts:
            values.append((f"{hop.kind.value}: {hop.component} {timer.setting}", timer.value_s, timer))
    bounded = [v for _, v, _ in values if v is not None]
    hold = c.hold.seconds if c.hold else None
    top = max([*bounded, hold or 0.0, 1.0]) * 1.1
    live = [v for _, v, x in values if v is not None and x is not None and not _reset(c, x)]
    first = min(live) if live else None
    rows = []
    for label, value, t in values:
        if value is None or t is None:
            bar = "─" * width + "▶"
            rows.append((label, bar, "no limit" + (_where(t) if t is not None else ""), False))
            continue
        n = max(1, round(value / top * width))
        reset = _reset(c, t)
        bar = ("▁" if reset else "█") * n
        text = f"{fmt_s(value)} {t.semantics.value}{' (reset by the keepalive)' if reset else ''}{_where(t)}"
        rows.append((label, bar, text, value == first and not reset))
    if hold is not None:
        n = max(1, round(hold / top * width))
        rows.append(("hold", "░" * n, fmt_s(hold), False))
    if c.keepalive is not None:
        n = max(1, round(c.keepalive.interval_s / top * width))
        rows.append(("keepalive", "▒" * n, f"every {fmt_s(c.keepalive.interval_s)} ({c.keepalive.kind})", False))
    return rows
