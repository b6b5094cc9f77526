"""Where a route's requests are cut, and by which hop — from duration histograms alone.

Two shapes give a cut-off ``T`` away:

- a **wall**: failures (504, 499, 502, resets ...) cluster at one duration. A proxy's read timeout or a
  client's read timeout fires at the same moment for every request it ends.
- a **ceiling**: successes never last longer than ``T`` while the failures all lie beyond it. A Go
  ``http.Server`` with ``WriteTimeout`` 10 s lets a 15 s poll run to its end and then drops it, so the 502s
  spread between 10 s and the hold while no request longer than 10 s ever succeeds.

The hop follows from who the proxy said ended the requests, as its reader translated its word
(``RequestRecord.ended_by``: HAProxy's termination state, Sōzu's ``H2::IdleTimeout``), else from how they
failed (:class:`~lpdoctor.model.Outcome`): the proxy gave up (504), the upstream closed (502), the client left
(499). No proxy's vocabulary is read here. Retries visible in nginx's multi-value upstream fields turn
one timeout into a client wait of N × T; the cut-off reported is the per-attempt T.

Evidence is weighed in one order, whatever proxy wrote it:

1. per-attempt times before client-visible ones (nginx's ``$upstream_response_time``; failures of one kind
   at T, 2T, 3T are one timer retried — Go's transport under Caddy resends a GET cut on a reused connection);
2. the proxy's own statement (its error log: "upstream timed out", Apache ``AH01102`` with ``(70007)``,
   Caddy ``i/o timeout``) before the status code (Apache answers its own ``ProxyTimeout`` with 502);
3. the earliest wall before the most numerous: a proxy that cuts at 2 s makes the clients that stay
   connected through its retries give up later, so they outnumber the cut that caused it;
4. the status code, last (504 → proxy, 502 → server, 499 → client).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lpdoctor.model import HopKind, Outcome
from lpdoctor.scan.aggregate import RouteStats
from lpdoctor.scan.histogram import Histogram

INSTANT_S = 0.5  # failures faster than this are refusals (no live upstreams ...), not cuts of a hold
MIN_FAILURES = 3

_OUTCOME_HOP = {
    Outcome.GATEWAY_TIMEOUT: HopKind.PROXY,
    Outcome.CLIENT_CLOSED: HopKind.CLIENT,
    Outcome.UPSTREAM_CLOSED: HopKind.SERVER,
    Outcome.SERVER_ERROR: HopKind.SERVER,
    Outcome.RESET: HopKind.UNKNOWN,
}


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
    """Who ended the failures of ``outcome``: what most of those whose proxy said (the readers translated its
    word into RequestRecord.ended_by), else what the outcome implies; and the proxy's commonest word for them."""
    prefix = outcome.value + "|"
    details = [(n, key[len(prefix) :]) for key, n in rs.details.items() if key.startswith(prefix)]
    detail = max(details)[1] if details else None
    said = [(n, key[len(prefix) :]) for key, n in rs.ended_by.items() if key.startswith(prefix)]
    if said:
        return HopKind(max(said)[1]), detail
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
    earlier = _earlier_timeout_wall(by_outcome, rs, wall, outcome)
    if earlier is not None:
        outcome, hist, wall = earlier
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
        return _weigh_statement(_with_retries(_with_resends(cut, hist), rs), rs)
    if ceiling is not None and (max_success or 0) >= INSTANT_S:
        return _weigh_statement(_with_retries(ceiling, rs), rs)
    return None


def _timeouts_stated(rs: RouteStats) -> int:
    """Error-log lines in which the proxy itself says it timed out waiting for the upstream, on this route."""
    return rs.errors.get("upstream-timeout", 0)


def _earlier_timeout_wall(
    by_outcome: dict[Outcome, Histogram],
    rs: RouteStats,
    wall: tuple[float, float, int, float] | None,
    outcome: Outcome,
) -> tuple[Outcome, Histogram, tuple[float, float, int, float]] | None:
    """A wall of the proxy's own timeouts (504s) below the wall of the most numerous failures, when there is one.

    The earliest timer to fire is the cut: the requests it ends first are the evidence, even when what it sets
    off later (clients that stay through a retry and give up, Caddy's ``"status":0``) outnumbers them. The wall
    needs :data:`MIN_FAILURES` requests, or two when the error log says the proxy timed out."""
    if outcome is Outcome.GATEWAY_TIMEOUT:
        return None
    hist = by_outcome.get(Outcome.GATEWAY_TIMEOUT)
    if hist is None:
        return None
    window = densest_window(hist)
    if window is None or _one_timer(hist, window[3]) < 0.5 * hist.count:
        return None
    needed = 2 if _timeouts_stated(rs) >= 2 else MIN_FAILURES
    # The per-attempt timer is the earliest of its clusters (T before the resent 2T, 3T).
    for k in (4, 3, 2):
        t = window[3] / k
        tol = max(0.1, 0.03 * t)
        if t >= INSTANT_S and (n := hist.count_between(t - tol, t + tol)) >= needed:
            window = (t - tol, t + tol, n, t)
            break
    if window[2] < needed:
        return None
    if wall is not None and window[3] >= wall[3] - tolerance(wall[3]):
        return None
    return Outcome.GATEWAY_TIMEOUT, hist, window


def _one_timer(hist: Histogram, centre: float) -> int:
    """How many of ``hist`` one timer explains: the failures at ``centre`` and at its multiples and fractions
    k×T, T/k (k up to 4) — a timer whose attempts are resent ends them at T, 2T, 3T (:func:`_with_resends`),
    so which of those clusters is the densest depends on how many connections happened to be reused."""
    per_try = [centre / k for k in (4, 3, 2)] + [centre * k for k in (1, 2, 3, 4)]
    total = 0
    for t in per_try:
        if t < INSTANT_S:
            continue
        tol = max(0.1, 0.03 * t)
        total += hist.count_between(t - tol, t + tol)
    return total


def _with_resends(cut: Cut, hist: Histogram) -> Cut:
    """Failures of one kind at T, 2T (, 3T ...): one timer, resent. The per-attempt T is the cut.

    Caddy's ``reverse_proxy`` runs on Go's ``http.Transport``, which resends an idempotent request whose first
    response byte failed on a *reused* connection (``transportReadFromServerError``); with ``read_timeout`` T the
    client sees 504 at T on a fresh connection and at 2T on a reused one (measured on Caddy 2.6.2)."""
    if cut.seconds is None or cut.outcome is not Outcome.GATEWAY_TIMEOUT or cut.client_wait_s is not None:
        return cut
    found = None
    for k in (2, 3, 4):
        per_try = cut.seconds / k
        if per_try < INSTANT_S:
            break
        tol = max(0.1, 0.03 * per_try)  # log precision: the tries of one timer end within milliseconds of k×T
        count = hist.count_between(per_try - tol, per_try + tol)
        if count >= max(2, 0.1 * hist.count):
            found = (k, per_try, tol, count)
    if found is not None:
        k, per_try, tol, count = found
        lo, hi = per_try - tol, per_try + tol
        weighted = sum(v * n for v, n in hist.items() if lo <= v <= hi)
        cut.client_wait_s = cut.seconds
        cut.attempts = k
        cut.seconds = round(weighted / count, 1)
        cut.evidence["resent"] = f"{count} failures at {cut.seconds:g} s, {cut.at_cut} at {cut.client_wait_s:g} s"
        cut.at_cut += count
    return cut


def _weigh_statement(cut: Cut, rs: RouteStats) -> Cut:
    """The proxy's own statement before the status code: bad gateways the error log calls timeouts are the
    proxy's timer (Apache answers its ``ProxyTimeout`` with 502: ``AH01102`` ``(70007)``, then ``AH00898``)."""
    stated = _timeouts_stated(rs)
    closes = rs.errors.get("upstream-closed", 0)
    if (
        cut.outcome in (Outcome.UPSTREAM_CLOSED, Outcome.SERVER_ERROR)
        and stated >= max(MIN_FAILURES, 0.5 * cut.at_cut)
        and stated > closes
    ):
        cut.evidence["proxy_statement"] = f"{stated} error-log lines say the proxy timed out waiting for the upstream"
        cut.outcome = Outcome.GATEWAY_TIMEOUT
        cut.hop = HopKind.PROXY
    return cut


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
