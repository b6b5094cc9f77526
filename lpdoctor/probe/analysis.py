"""What probe measurements mean: the search for the cut-off, and the findings it leads to.

Each measurement is judged against the hold it asked for, using the time from the request being sent:

- **held**: a final response arrived. The chain let the request live that long.
- **cut early**: it failed before the hold ended. Some timer fired at that moment, so the cut is at most the
  failure time: a 504 after 3.0 s on a 5 s hold means the cut is at or below 3.0 s (a *wall*).
- **cut at the hold**: it failed when the hold ended. The server's answer was dropped (Go ``WriteTimeout``
  closes the connection at the handler's end, not at the deadline): the cut lies somewhere below the hold.
  A failure at k × the hold is the same, retried k times by a proxy.
- **cut late**: it failed after the hold. Every attempt was cut before the hold and a proxy retried it
  (``proxy_next_upstream``): the client waited a multiple of the per-attempt cut.
- **refused** (failed at once), **rejected** (4xx), **no answer** (lpdoctor's own limit), **unreachable**:
  not a cut of a hold.

The search keeps a bracket ``(lo, hi]``: the longest request that was held, the lowest bound a failure
gives. A wall (or a wall divided by the number of attempts) is the best estimate; the search confirms it by
trying a hold just below it, and otherwise bisects the bracket until it is narrower than the resolution.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlsplit

from lpdoctor.model import HopKind, Keepalive
from lpdoctor.model import margin as margins
from lpdoctor.probe.measurement import (
    EOF_BEFORE_HEADERS,
    EOF_IN_BODY,
    MAX_TIME,
    OWN_TIMEOUT,
    RESET,
    UNFRAMED,
    Measurement,
)
from lpdoctor.text.durations import fmt_s

INSTANT_S = 0.5  # failures faster than this refuse the request; they do not cut a hold
MAX_ATTEMPTS = 4  # how many retries by a proxy a wall is checked against
MAX_REFUSALS = 3
REFUSAL_BACKOFF_S = (1.0, 2.0, 4.0)
EPS = 0.01


def timing_tolerance(hold_s: float, rtt_s: float = 0.0) -> float:
    """How far from the hold a failure may be and still be "at the hold" (scheduling, server overhead, RTT)."""
    return max(0.1, 0.02 * hold_s) + rtt_s


def default_resolution(high_s: float) -> float:
    return max(0.25, round(0.02 * high_s, 2))


def confirm_offset(cut_s: float, resolution_s: float) -> float:
    """How far below (and above) an estimated cut the search tries a hold to confirm it."""
    return max(resolution_s / 2, 2 * timing_tolerance(cut_s))


class Verdict(str, Enum):
    HELD = "held"
    CUT_EARLY = "cut-early"
    CUT_AT_HOLD = "cut-at-hold"
    CUT_LATE = "cut-late"
    REFUSED = "refused"
    REJECTED = "rejected"
    NO_ANSWER = "no-answer"
    UNREACHABLE = "unreachable"
    INTERIM_ONLY = "interim-only"  # 102 Processing arrived, the final answer never did
    STOPPED = "stopped"  # --max-time ended it: says nothing about the chain

    @property
    def is_cut(self) -> bool:
        return self in (Verdict.CUT_EARLY, Verdict.CUT_AT_HOLD, Verdict.CUT_LATE, Verdict.NO_ANSWER)


@dataclass
class Judged:
    m: Measurement
    verdict: Verdict
    at_s: float  # when it ended or failed, from the moment the request was sent
    wall_s: float | None = None  # a timer fired here (early and late cuts)
    attempts: int = 1  # an at-hold failure that took k × the hold


def _nginx_signed(m: Measurement) -> bool:
    server = (m.interim_server or "").lower()
    return "nginx" in server or "openresty" in server


def judge(m: Measurement) -> Judged:
    """What one measurement says about the chain."""
    at = m.failed_at_s
    hold_over = m.hold_s is None or m.held_s >= m.hold_s - timing_tolerance(m.hold_s, m.rtt_s)
    lost = m.interim and m.failure not in (None, MAX_TIME) and (m.status is None or m.status < 200)
    if lost and (hold_over or _nginx_signed(m)):
        # Interim responses came, the final one did not, although the hold was over (or nginx, which takes a
        # 102 for the final answer, sent the 102 itself): a hop lost it.
        return Judged(m, Verdict.INTERIM_ONLY, m.held_s)
    if m.failure == MAX_TIME:
        return Judged(m, Verdict.STOPPED, m.held_s)
    if m.failure == OWN_TIMEOUT:
        return Judged(m, Verdict.NO_ANSWER, m.held_s)
    if m.failure is not None and m.failure not in (RESET, EOF_BEFORE_HEADERS, EOF_IN_BODY, UNFRAMED):
        return Judged(m, Verdict.UNREACHABLE, at)
    status = m.status
    if m.failure is None and status is not None:
        if status < 300:
            return Judged(m, Verdict.HELD, m.held_s)
        if status < 500 and status != 408:
            return Judged(m, Verdict.REJECTED, at)
    if m.failure in (EOF_IN_BODY, UNFRAMED) or (m.failure == RESET and status is not None):
        at = m.held_s  # the response started, then the connection was cut: it failed at the end
    hold = m.hold_s
    tol = timing_tolerance(hold or 0.0, m.rtt_s)
    if at < INSTANT_S and (hold is None or at < hold - tol):
        return Judged(m, Verdict.REFUSED, at)
    if hold is None or at < hold - tol:
        return Judged(m, Verdict.CUT_EARLY, at, wall_s=at)
    if at <= hold + tol:
        return Judged(m, Verdict.CUT_AT_HOLD, at)
    k = round(at / hold) if hold > 0 else 0
    if 2 <= k <= MAX_ATTEMPTS and abs(at - k * hold) <= tol * k:
        return Judged(m, Verdict.CUT_AT_HOLD, at, attempts=k)
    return Judged(m, Verdict.CUT_LATE, at, wall_s=at)


# ---------------------------------------------------------------------------------------------------------
# The search


@dataclass(frozen=True)
class SearchPlan:
    low_s: float
    high_s: float
    resolution_s: float
    max_requests: int = 12
    concurrency: int = 1
    target_hold_s: float | None = None  # the hold clients use: decides how serious a cut is
    margin_min_s: float = margins.MIN_S  # --margin: a cut needs max(this, 10 % of the hold) above the hold

    def margin(self, hold_s: float) -> float:
        return margins.margin(hold_s, self.margin_min_s)

    def suggest(self, hold_s: float) -> float:
        """A timeout to suggest: the hold plus the margin, rounded up to 5 s."""
        return margins.suggest(hold_s, self.margin(hold_s))

    @property
    def single(self) -> bool:
        return self.high_s - self.low_s < EPS


@dataclass
class Estimate:
    cut_s: float
    attempts: int
    wall_s: float
    support: int


class CutSearch:
    """Chooses the next hold to try and says when the cut is pinned down."""

    def __init__(self, plan: SearchPlan) -> None:
        self.plan = plan
        self.judged: list[Judged] = []
        self.consecutive_refusals = 0
        self.stop_reason: str | None = None

    # -- what is known

    def add(self, m: Measurement) -> Judged:
        j = judge(m)
        self.judged.append(j)
        self.consecutive_refusals = self.consecutive_refusals + 1 if j.verdict is Verdict.REFUSED else 0
        return j

    def of(self, *verdicts: Verdict) -> list[Judged]:
        return [j for j in self.judged if j.verdict in verdicts]

    @property
    def lo(self) -> float | None:
        held = [j.at_s for j in self.of(Verdict.HELD)]
        return max(held) if held else None

    @property
    def hi(self) -> float | None:
        bounds: list[float] = []
        for j in self.judged:
            if j.verdict is Verdict.CUT_EARLY and j.wall_s is not None:
                bounds.append(j.wall_s)
            elif j.verdict in (Verdict.CUT_AT_HOLD, Verdict.CUT_LATE, Verdict.NO_ANSWER) and j.m.hold_s is not None:
                bounds.append(j.m.hold_s)
        return min(bounds) if bounds else None

    def estimate(self) -> Estimate | None:
        """The cut a wall points to: the wall itself, or the wall divided by a proxy's attempts."""
        lo, hi = self.lo, self.hi
        candidates: list[tuple[float, int, float]] = []
        for j in self.judged:
            if j.wall_s is None:
                continue
            for k in range(1, MAX_ATTEMPTS + 1):
                c = j.wall_s / k
                if (hi is None or c <= hi + EPS) and (lo is None or c > lo - EPS):
                    candidates.append((c, k, j.wall_s))
                    break
        if not candidates:
            return None
        best: Estimate | None = None
        for c, k, _wall in candidates:
            near = [x for x in candidates if abs(x[0] - c) <= timing_tolerance(c)]
            support = len(near)
            if best is None or support > best.support or (support == best.support and c < best.cut_s):
                mean_cut = sum(x[0] for x in near) / support
                mean_wall = sum(x[2] for x in near) / support
                best = Estimate(mean_cut, k, mean_wall, support)
        return best

    def tried(self) -> list[float]:
        """Holds already measured. A poll an event answered early says little: its hold may be tried again."""
        out = []
        for j in self.judged:
            hold = j.m.hold_s
            if hold is None:
                continue
            if j.verdict is Verdict.HELD and j.at_s < hold - timing_tolerance(hold, j.m.rtt_s):
                continue
            out.append(hold)
        return out

    # -- when to stop

    def finished(self) -> str | None:
        """Why the search is over (None: more requests would help)."""
        if self.stop_reason:
            return self.stop_reason
        plan = self.plan
        if self.of(Verdict.INTERIM_ONLY):
            return "interim-lost"
        if self.of(Verdict.REJECTED, Verdict.UNREACHABLE):
            return "unusable"
        if self.of(Verdict.STOPPED):
            return "max-time"
        if self.consecutive_refusals >= MAX_REFUSALS:
            return "refused"
        if not self.judged:
            return None
        lo, hi = self.lo, self.hi
        if hi is None:
            if lo is not None and lo >= plan.high_s - timing_tolerance(plan.high_s):
                return "no-cut"
            return "no-cut" if plan.single and self.of(Verdict.HELD) else None
        if lo is not None and lo >= hi - EPS:
            return "inconsistent"
        est = self.estimate()
        if est is not None and plan.single:
            return "cut"
        if est is not None and lo is not None:
            delta = confirm_offset(est.cut_s, plan.resolution_s)
            if lo >= est.cut_s - delta - EPS and hi <= est.cut_s + delta + EPS:
                return "cut"
        if lo is not None and hi - lo <= plan.resolution_s + EPS:
            return "cut"
        if est is None and lo is None and hi <= plan.low_s + EPS:
            return "below-range"
        if plan.single:
            return "cut"
        if len(self.judged) >= plan.max_requests:
            return "max-requests"
        return None

    # -- what to try next

    def pause_s(self) -> float:
        """Wait this long before the next request (after instant refusals: a proxy that marked servers down)."""
        n = self.consecutive_refusals
        return REFUSAL_BACKOFF_S[min(n, len(REFUSAL_BACKOFF_S)) - 1] if n else 0.0

    def next_hold(self, in_flight: Sequence[float] = ()) -> float | None:
        if self.finished() is not None:
            return None
        if len(self.judged) + len(in_flight) >= self.plan.max_requests:
            return None
        if self.consecutive_refusals and self.judged[-1].m.hold_s is not None:
            hold = self.judged[-1].m.hold_s
            return None if in_flight else hold
        res = self.plan.resolution_s
        for hold in self._candidates():
            hold = min(max(round(hold, 2), self.plan.low_s), self.plan.high_s)
            if all(abs(hold - f) > res / 4 for f in in_flight) and all(abs(hold - t) > EPS for t in self.tried()):
                return hold
        return None

    def _candidates(self) -> list[float]:
        plan = self.plan
        low, high = plan.low_s, plan.high_s
        lo, hi = self.lo, self.hi
        if hi is None:
            if lo is not None and lo >= high - timing_tolerance(high):
                return []
            n = max(1, plan.concurrency)
            return [high] + [low + (high - low) * i / n for i in range(n - 1, 0, -1)]
        out: list[float] = []
        est = self.estimate()
        if est is not None:
            delta = confirm_offset(est.cut_s, plan.resolution_s)
            if lo is None or lo < est.cut_s - delta - EPS:
                out.append(est.cut_s - delta)
            if hi > est.cut_s + delta + EPS:
                out.append(est.cut_s + delta)
        if lo is None and est is None:
            out.append(low)  # the cheapest request, and it says whether the cut is in the range at all
        a = lo if lo is not None else low
        if a < hi - EPS:
            n = max(1, plan.concurrency)
            points = [a + (hi - a) * i / (n + 1) for i in range(1, n + 1)]
            points.sort(key=lambda p: abs(p - (a + hi) / 2))
            out.extend(points)
        return out


# ---------------------------------------------------------------------------------------------------------
# Which hop failed, from the response


@dataclass(frozen=True)
class HopGuess:
    hop: HopKind
    component: str  # for the fix template: "nginx", "cloudflare", "*" ...
    reason: str
    idle_s: float | None = None  # an idle timer on the path: it fired after this long without a byte
    alternative: str | None = None  # what else the same evidence fits, and the command that tells them apart


def _silence_before_end(m: Measurement) -> float:
    """How long the connection was silent before it ended (from the request, the headers or the last byte)."""
    last = m.since_sent
    if m.interim:
        last = max(last, m.interim[-1][1])
    if m.header_s is not None:
        last = max(last, m.header_s)
    if m.last_byte_s is not None:
        last = max(last, m.last_byte_s)
    return max(0.0, m.total_s - last)


def _origin_command(m: Measurement) -> str:
    return f"lpdoctor probe 'http://ORIGIN:PORT{urlsplit(m.url).path or '/'}?…' --search …"


def _idle_cut(j: Judged, how: str) -> HopGuess | None:
    """A connection ended after a silence, before the hold was over: an idle timer on the path.

    A timer that follows the handler (Go WriteTimeout) fails at the end of the hold instead, and one that
    fires while bytes are flowing is a total timer: neither is an idle cut.
    """
    m = j.m
    if j.verdict is not Verdict.CUT_EARLY:
        return None
    silence = _silence_before_end(m)
    if silence < max(INSTANT_S, 0.2 * j.at_s):
        return None  # bytes came until shortly before the end: not a silent connection
    idle = round(silence, 2)
    return HopGuess(
        HopKind.EDGE,
        "*",
        f"{how} after {fmt_s(idle)} of silence, before the hold was over: an idle timeout on the path "
        "(a TCP load balancer such as HAProxy mode tcp, a cloud load balancer, a NAT or firewall) closed the "
        "silent connection",
        idle_s=idle,
        alternative=(
            "A server that kills requests at a fixed time (gunicorn --timeout, a supervisor) looks the same from "
            f"the client: probe the origin directly ({_origin_command(m)}) — a cut there is the server's, none "
            "means a hop in between"
        ),
    )


_PROXY_SERVERS = (
    ("nginx", "nginx"),
    ("openresty", "nginx"),
    ("envoy", "envoy"),
    ("haproxy", "haproxy"),
    ("caddy", "caddy"),
    ("traefik", "traefik"),
    ("apache", "apache"),
)


def _server_component(m: Measurement) -> str | None:
    server = (m.server or "").lower()
    for token, component in _PROXY_SERVERS:
        if token in server:
            return component
    return None


def _is_heroku(m: Measurement) -> bool:
    text = " ".join(x for x in (m.server, m.via, m.body_hint) if x).lower()
    return "herokucdn.com" in text or "vegur" in text or "heroku" in text


def guess_hop(j: Judged) -> HopGuess:
    """The hop that ended a request, from how it ended and what the answer says about who sent it."""
    m = j.m
    status = m.status if m.failure is None else None
    server = (m.server or "").lower()
    component = _server_component(m)
    if m.failure == RESET:
        if status is None:
            idle = _idle_cut(j, "the connection was reset (RST, no HTTP answer)")
            if idle is not None:
                return idle
        return HopGuess(
            HopKind.EDGE,
            "*",
            "the connection was reset with no HTTP answer: a load balancer, firewall or NAT in front dropped it",
        )
    if m.failure == EOF_BEFORE_HEADERS:
        idle = _idle_cut(j, "the connection was closed (FIN, no byte of answer)")
        if idle is not None:
            return idle
        if j.verdict is Verdict.CUT_EARLY and m.interim:
            return HopGuess(
                HopKind.UNKNOWN,
                "*",
                "the connection closed (FIN) with no final answer while interim responses were still coming: a "
                "total timer (a worker timeout, a load balancer's request timeout), not an idle one",
                alternative=f"probe the origin directly ({_origin_command(m)}) to tell the server from a hop",
            )
        return HopGuess(
            HopKind.SERVER,
            "*",
            "the connection closed without any answer when the hold ended: the server dropped its own answer "
            "(Go http.Server WriteTimeout closes the connection when the handler returns, past its deadline)",
        )
    if m.failure in (EOF_IN_BODY, UNFRAMED):
        how = (
            "the response started, then the connection closed"
            if m.failure == EOF_IN_BODY
            else f"{m.status} with a body that had neither Content-Length nor chunks, ended by the connection closing"
        )
        idle = _idle_cut(j, how)
        if idle is not None and m.failure == UNFRAMED:
            idle = HopGuess(
                idle.hop,
                idle.component,
                idle.reason + " — the answer only looked complete because its body had no length",
                idle.idle_s,
                idle.alternative,
            )
        if idle is not None:
            return idle
        if m.failure == UNFRAMED:
            return HopGuess(
                HopKind.UNKNOWN,
                "*",
                f"{how}: a cut and a complete answer look the same",
                alternative=(
                    "If the server ends every answer by closing the connection, make it send Content-Length or "
                    "chunked bodies; then probe again"
                ),
            )
        return HopGuess(HopKind.UNKNOWN, "*", f"{how} before the answer was known to be complete")
    if m.failure == OWN_TIMEOUT:
        return HopGuess(
            HopKind.UNKNOWN,
            "*",
            "no answer at all, long after the hold: a hop dropped the connection silently, or the server ignores "
            "the hold parameter",
        )
    if status == 524 or (status is not None and 520 <= status <= 527 and "cloudflare" in server):
        if status == 524:
            return HopGuess(HopKind.EDGE, "cloudflare", "524 is Cloudflare's own timeout waiting for the origin")
        return HopGuess(HopKind.SERVER, "cloudflare", f"{status}: Cloudflare says the origin failed to answer")
    if status == 503 and _is_heroku(m):
        return HopGuess(HopKind.EDGE, "heroku", "503 from the Heroku router (H12 request timeout: 30 s)")
    if status == 504:
        if "awselb" in server:
            return HopGuess(HopKind.EDGE, "aws-alb", "504 from an AWS load balancer: its idle timeout fired")
        hint = (m.body_hint or "").lower()
        if "upstream request timeout" in hint:
            return HopGuess(HopKind.PROXY, "envoy", "504 'upstream request timeout': Envoy's route timeout")
        who = f" ({component})" if component else ""
        return HopGuess(HopKind.PROXY, component or "*", f"504: a proxy{who} gave up waiting for its upstream")
    if status == 502:
        if component == "apache" and j.verdict is Verdict.CUT_EARLY:
            return HopGuess(HopKind.PROXY, "apache", "502 from Apache mod_proxy at a wall: its ProxyTimeout")
        who = f"the proxy ({component}) reports that " if component else ""
        return HopGuess(HopKind.SERVER, "*", f"502: {who}the upstream closed without answering")
    if status == 408:
        return HopGuess(HopKind.PROXY, component or "*", "408: a proxy's idle timer (Envoy stream_idle_timeout)")
    if status is not None and status >= 500:
        hint = (m.body_hint or "").lower()
        if "upstream connect error or disconnect/reset before headers" in hint:
            return HopGuess(HopKind.SERVER, "*", f"{status}: Envoy says the upstream reset before answering")
        return HopGuess(HopKind.SERVER, "*", f"{status}: the server failed the request")
    return HopGuess(HopKind.UNKNOWN, "*", "the request failed")


# ---------------------------------------------------------------------------------------------------------
# Conclusions


@dataclass
class ProbeConclusion:
    state: str  # cut | no-cut | below-range | inconsistent | unusable | refused | incomplete
    cut_s: float | None = None
    lo_s: float | None = None
    hi_s: float | None = None
    attempts: int = 1
    client_wait_s: float | None = None
    measured_by: str | None = None  # "wall" (a failure's own time) or "bracket" (between two holds)
    hop: HopGuess | None = None
    evidence: list[Judged] = field(default_factory=list)
    keepalive: Keepalive | None = None
    stop_reason: str | None = None


def keepalive_seen(judged: Sequence[Judged]) -> Keepalive | None:
    """102 Processing or body bytes during the hold, with the longest silence between them."""
    gaps: list[float] = []
    kind = None
    for j in judged:
        m = j.m
        if m.interim:
            times = [m.since_sent] + [t for _s, t in m.interim]
            gaps.append(max(b - a for a, b in itertools.pairwise(times)))
            kind = "102-processing"
        elif (
            m.body_chunks > 1
            and m.header_s is not None
            and m.longest_silence_s is not None
            and m.held_s - (m.header_s - m.since_sent) >= max(0.5, 0.2 * m.held_s)
        ):
            gaps.append(m.longest_silence_s)
            kind = kind or "bytes"
    if kind is None:
        return None
    return Keepalive(interval_s=round(max(gaps), 2), kind=kind)


def conclude(search: CutSearch) -> ProbeConclusion:
    reason = search.finished() or "incomplete"
    lo, hi = search.lo, search.hi
    keep = keepalive_seen(search.judged)
    base = ProbeConclusion(state=reason, lo_s=lo, hi_s=hi, keepalive=keep, stop_reason=reason)
    if reason in ("unusable", "refused"):
        base.evidence = search.of(Verdict.REJECTED, Verdict.UNREACHABLE, Verdict.REFUSED)
        return base
    if reason == "interim-lost":
        base.evidence = search.of(Verdict.INTERIM_ONLY)
        base.hop = interim_lost_hop(base.evidence[0].m)
        return base
    cuts = search.of(Verdict.CUT_EARLY, Verdict.CUT_AT_HOLD, Verdict.CUT_LATE, Verdict.NO_ANSWER)
    if hi is None or not cuts:
        base.state = "no-cut" if search.of(Verdict.HELD) else "incomplete"
        return base
    est = search.estimate()
    base.evidence = cuts
    if est is not None:
        base.cut_s = round(est.cut_s, 2)
        base.attempts = est.attempts
        base.measured_by = "wall"
        if est.attempts > 1:
            base.client_wait_s = round(est.wall_s, 2)
        walls = [j for j in cuts if j.wall_s is not None and abs(j.wall_s - est.wall_s) <= timing_tolerance(est.wall_s)]
        base.hop = _majority_hop(walls or cuts)
    else:
        base.measured_by = "bracket"
        base.cut_s = round((lo + hi) / 2, 2) if lo is not None else round(hi, 2)
        base.hop = _majority_hop(cuts)
        at_hold = [j.attempts for j in cuts if j.verdict is Verdict.CUT_AT_HOLD and j.attempts > 1]
        if at_hold:
            base.attempts = max(at_hold)
    if reason == "inconsistent":
        base.state = "inconsistent"
    elif reason == "below-range" or (lo is None and est is None):
        base.state = "below-range"
    else:
        base.state = "cut"
    return base


NGINX_102 = (
    "nginx takes an upstream's first 102 for the final response, sends it to the client and loses the real "
    "answer (status 102 in its access log; checked on nginx 1.22.1; nginx/nginx#1427)"
)


def interim_lost_hop(m: Measurement) -> HopGuess:
    """Who lost the final answer after an interim response: nginx signs its 102 with ``Server: nginx``."""
    server = (m.interim_server or "").lower()
    if _nginx_signed(m):
        return HopGuess(HopKind.PROXY, "nginx", f"the 102 came from nginx (Server: {m.interim_server}): {NGINX_102}")
    component = next((c for token, c in _PROXY_SERVERS if token in server), None)
    if component is not None:
        return HopGuess(
            HopKind.PROXY,
            component,
            f"the {m.interim[0][0]} came from {component} (Server: {m.interim_server}), and no final answer after it",
        )
    return HopGuess(
        HopKind.UNKNOWN,
        "*",
        f"an interim {m.interim[0][0]} arrived, the final answer never did: a hop in front does not pass 1xx "
        f"responses on (nginx takes an upstream's 102 for the final response)",
        alternative=f"probe the origin directly ({_origin_command(m)}): if its final answer arrives there, a hop "
        "in between loses it",
    )


def _majority_hop(judged: Sequence[Judged]) -> HopGuess:
    guesses = [guess_hop(j) for j in judged]
    counts = Counter((g.hop, g.component) for g in guesses)
    (hop, component), _n = counts.most_common(1)[0]
    return next(g for g in guesses if g.hop is hop and g.component == component)
