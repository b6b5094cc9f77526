"""When: the time facts of a scan report — each long-poll route's requests and failures over time, and when
its cut-offs started and stopped — from the aggregate's timelines and failure times."""

from __future__ import annotations

from typing import Any

from lpdoctor.model import Outcome
from lpdoctor.scan.aggregate import RouteStats, ScanAggregate
from lpdoctor.scan.cutoff import Cut, tolerance
from lpdoctor.scan.time_buckets import NO_DURATION_BIN
from lpdoctor.text.durations import fmt_s
from lpdoctor.text.times import fmt_range, fmt_time

_FAILURES = tuple(o.value for o in Outcome if o.is_failure)


def timeline_dict(rs: RouteStats) -> dict[str, Any] | None:
    """The route's timeline for the report: every bucket from the first to the last (at most 240)."""
    rows = rs.timeline.rows()
    if not rows:
        return None
    failures = {o: [per.get(o, 0) for _, per in rows] for o in _FAILURES if o in rs.timeline.counts}
    return {
        "start": rows[0][0],
        "width_s": rs.timeline.width,
        "requests": [sum(per.values()) for _, per in rows],
        "failures": [sum(per.get(o, 0) for o in _FAILURES) for _, per in rows],
        "failures_by_outcome": failures,
    }


def cut_times(rs: RouteStats, cut: Cut | None) -> dict[str, Any] | None:
    """When the failures the cut explains were logged: the first, the last, how many; and whether the route's
    requests went on after the last one."""
    if cut is None or not rs.failure_times:
        return None
    if cut.seconds is None:
        keys = [k for k in rs.failure_times if k == NO_DURATION_BIN] or list(rs.failure_times)
    else:
        lo, hi = cut.spread if cut.spread is not None else (cut.seconds, cut.seconds)
        slack = tolerance(cut.seconds)
        keys = [k for k in rs.failure_times if k != NO_DURATION_BIN and lo - slack <= k <= hi + slack]
    if not keys:
        return None
    first = min(rs.failure_times[k][0] for k in keys)
    last = max(rs.failure_times[k][1] for k in keys)
    count = int(sum(rs.failure_times[k][2] for k in keys))
    at = f"cut-offs at {fmt_s(cut.seconds)}" if cut.seconds is not None else "cut-offs"
    end = rs.last_time
    if end is not None and end > last:
        after = f"none after (the route's requests go on to {fmt_time(end)})"
    else:
        after = "still cut at the end of the logs"
    return {
        "first": first,
        "last": last,
        "count": count,
        "route_last": end,
        "stopped": end is not None and end > last,
        "summary": f"{at} from {fmt_range(first, last)} ({count}); {after}",
    }


def time_range(agg: ScanAggregate) -> dict[str, Any] | None:
    """The inputs' time range, and the --since/--until window when one was given."""
    out: dict[str, Any] = {}
    if agg.first_time is not None and agg.last_time is not None:
        out = {"first": agg.first_time, "last": agg.last_time, "summary": fmt_range(agg.first_time, agg.last_time)}
    if agg.since is not None or agg.until is not None:
        out["window"] = {
            "since": agg.since,
            "until": agg.until,
            "outside": agg.outside,
            "summary": (
                f"only what was logged from {fmt_time(agg.since) if agg.since is not None else 'the start'} "
                f"to {fmt_time(agg.until) + ' UTC' if agg.until is not None else 'the end'}; "
                f"{agg.outside} lines left out"
            ),
        }
    return out or None
