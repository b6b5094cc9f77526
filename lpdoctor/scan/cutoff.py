"""Where a route's requests are cut, and by which hop — from duration histograms alone.

Two shapes give a cut-off ``T`` away:

- a **wall**: failures (504, 499, 502, resets ...) cluster at one duration. A proxy's read timeout or a
  client's read timeout fires at the same moment for every request it ends.
- a **ceiling**: successes never last longer than ``T`` while the failures all lie beyond it. A Go
  ``http.Server`` with ``WriteTimeout`` 10 s lets a 15 s poll run to its end and then drops it, so the 502s
  spread between 10 s and the hold while no request longer than 10 s ever succeeds.

The hop follows from how the requests failed (:class:`~lpdoctor.model.Outcome`): the proxy gave up (504),
the upstream closed (502), the client left (499). Retries visible in nginx's multi-value upstream fields turn
one timeout into a client wait of N × T; the cut-off reported is the per-attempt T.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lpdoctor.model import HopKind, Outcome
from lpdoctor.scan.aggregate import Histogram, RouteStats

INSTANT_S = 0.5  # failures faster than this are refusals (no live upstreams ...), not cuts of a hold
MIN_FAILURES = 3

_OUTCOME_HOP = {
    Outcome.GATEWAY_TIMEOUT: HopKind.PROXY,
    Outcome.CLIENT_CLOSED: HopKind.CLIENT,
    Outcome.UPSTREAM_CLOSED: HopKind.SERVER,
    Outcome.SERVER_ERROR: HopKind.SERVER,
    Outcome.RESET: HopKind.UNKNOWN,
}

# A proxy's own word for an ending that overrides the status-based guess.
_DETAIL_HOPS = {
    "H2::IdleTimeout": HopKind.PROXY,
    "backend_timeout": HopKind.PROXY,
    "backend_response_timeout": HopKind.PROXY,
    "H2::ResetFrame": HopKind.CLIENT,
}


_TERMINATION_STATE = re.compile(r"[cCsS][A-Z-][A-Z-]{0,2}")


def tolerance(seconds: float) -> float:
    """How close two durations must be to count as the same moment (log precision, scheduling)."""
    return max(1.0, 0.03 * seconds)


@dataclass
class Cut:
    seconds: float | None  # None: the logs show a cut but no durations (combined format + error log)
    kind: str  # "wall", "ceiling" or "error-log"
    outcome: Outcome
    hop: HopKind
    failures: int  # failures of the route (not instant)
    at_cut: int  # failures that the cut explains
    spread: tuple[float, float] | None = None
    max_success_s: float | None = None
    client_wait_s: float | None = None  # what clients waited when retries multiplied the cut
    attempts: int | None = None
    detail: str | None = None
    evidence: dict[str, object] = field(default_factory=dict)


def densest_window(h: Histogram) -> tuple[float, float, int, float] | None:
    """The window of width :func:`tolerance` holding the most of ``h``: (lo, hi, count, weighted centre)."""
    items = h.items()
    if not items:
        return None
    best: tuple[float, float, int, float] | None = None
    j = 0
    running = 0
    weighted = 0.0
    for i, (v, n) in enumerate(items):
        running += n
        weighted += v * n
        while items[j][0] < v - tolerance(v):
            running -= items[j][1]
            weighted -= items[j][0] * items[j][1]
            j += 1
        if best is None or running > best[2]:
            best = (items[j][0], v, running, weighted / running)
        _ = i
    return best


def _without_instant(h: Histogram) -> Histogram:
    out = Histogram()
    for v, n in h.items():
        if v >= INSTANT_S:
            out.add(v, n)
    if out.count and h.max is not None and h.max >= INSTANT_S:
        out.max = h.max
    return out


def _hop_for(outcome: Outcome, rs: RouteStats) -> tuple[HopKind, str | None]:
    details = [(n, key.split("|", 1)[1]) for key, n in rs.details.items() if key.startswith(outcome.value + "|")]
    detail = max(details)[1] if details else None
    if detail:
        for token, hop in _DETAIL_HOPS.items():
            if token in detail:
                return hop, detail
        if _TERMINATION_STATE.fullmatch(detail):
            # HAProxy: the first letter says who ended it (s: its own server timeout, S: the server,
            # c/C: the client).
            return {"s": HopKind.PROXY, "S": HopKind.SERVER}.get(detail[0], HopKind.CLIENT), detail
    return _OUTCOME_HOP.get(outcome, HopKind.UNKNOWN), detail


def infer_cut(rs: RouteStats) -> Cut | None:
    """The cut-off of one route, or None when its failures show no consistent one."""
    by_outcome: dict[Outcome, Histogram] = {}
    for o, h in rs.durations.items():
        outcome = Outcome(o)
        if outcome.is_failure:
            trimmed = _without_instant(h)
            if trimmed.count:
                by_outcome[outcome] = trimmed
    success = rs.success_durations()
    max_success = success.max if success.count else None

    if not by_outcome:
        return _cut_from_error_log(rs, max_success)

    total = sum(h.count for h in by_outcome.values())
    if total < MIN_FAILURES:
        return None
    outcome, hist = max(by_outcome.items(), key=lambda kv: kv[1].count)
    window = densest_window(hist)
    wall: tuple[float, float, int, float] | None = None
    if window and window[2] >= MIN_FAILURES and window[2] >= 0.5 * hist.count:
        wall = window
    hop, detail = _hop_for(outcome, rs)

    failures_all = Histogram()
    for h in by_outcome.values():
        failures_all.merge(h)

    ceiling: Cut | None = None
    if max_success is not None and success.count >= MIN_FAILURES:
        tol = tolerance(max_success)
        beyond = sum(n for v, n in failures_all.items() if v >= max_success - tol)
        if beyond >= 0.9 * failures_all.count:
            # The cut lies between the longest success and the shortest failure beyond it: take the middle.
            first_failure = min((v for v, _ in failures_all.items() if v >= max_success), default=max_success)
            estimate = (max_success + min(first_failure, max_success + tol)) / 2
            ceiling = Cut(
                seconds=round(estimate, 1),
                kind="ceiling",
                outcome=outcome,
                hop=hop,
                failures=total,
                at_cut=beyond,
                spread=(failures_all.min or 0.0, failures_all.max or 0.0),
                max_success_s=max_success,
                detail=detail,
            )

    if wall is not None:
        lo, hi, count, centre = wall
        # A wall well above every success, made of upstream closes, is where the upstream finally wrote,
        # not where it was cut: the ceiling is the cut (Go WriteTimeout drops the poll when it answers).
        closes = outcome in (Outcome.UPSTREAM_CLOSED, Outcome.SERVER_ERROR, Outcome.RESET)
        if ceiling is not None and closes and max_success is not None and lo > max_success + tolerance(max_success):
            return _with_retries(ceiling, rs)
        cut = Cut(
            seconds=round(centre, 1),
            kind="wall",
            outcome=outcome,
            hop=hop,
            failures=total,
            at_cut=count,
            spread=(lo, hi),
            max_success_s=max_success,
            detail=detail,
        )
        return _with_retries(cut, rs)
    if ceiling is not None and (max_success or 0) >= INSTANT_S:
        return _with_retries(ceiling, rs)
    return None


def _with_retries(cut: Cut, rs: RouteStats) -> Cut:
    """If nginx retried timed-out attempts, the per-attempt timeout is the cut; clients waited longer."""
    attempt = rs.attempt_timeouts.get("504")
    if not rs.retried_timeouts or attempt is None or not attempt.count or cut.seconds is None:
        return cut
    window = densest_window(attempt)
    if window is None:
        return cut
    per_attempt = round(window[3], 1)
    if per_attempt <= 0:
        return cut
    ratio = cut.seconds / per_attempt
    if ratio < 0.8:
        return cut
    cut.client_wait_s = cut.seconds
    cut.attempts = max(1, round(ratio))
    cut.seconds = per_attempt
    cut.hop = HopKind.PROXY
    return cut


def _cut_from_error_log(rs: RouteStats, max_success: float | None) -> Cut | None:
    """No durations: the error log alone may still say a hop gave up (and, for Sōzune, after how long)."""
    timeouts = rs.errors.get("upstream-timeout", 0)
    closes = rs.errors.get("upstream-closed", 0)
    fail_statuses = sum(n for s, n in rs.statuses.items() if s in ("504", "502", "499", "524"))
    if timeouts + closes == 0 and fail_statuses < MIN_FAILURES:
        return None
    seconds = None
    if rs.error_timeouts:
        seconds = float(rs.error_timeouts.most_common(1)[0][0])
    if timeouts >= closes and (timeouts or rs.statuses.get("504", 0)):
        outcome, hop = Outcome.GATEWAY_TIMEOUT, HopKind.PROXY
        at = max(timeouts, rs.statuses.get("504", 0))
    elif closes or rs.statuses.get("502", 0):
        outcome, hop = Outcome.UPSTREAM_CLOSED, HopKind.SERVER
        at = max(closes, rs.statuses.get("502", 0))
    else:
        outcome, hop = Outcome.CLIENT_CLOSED, HopKind.CLIENT
        at = rs.statuses.get("499", 0)
    return Cut(
        seconds=seconds,
        kind="error-log",
        outcome=outcome,
        hop=hop,
        failures=max(at, timeouts + closes),
        at_cut=at,
        max_success_s=max_success,
    )
