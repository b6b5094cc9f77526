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
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import urlsplit

from lpdoctor import catalog
from lpdoctor.model import Endpoint, Finding, HopKind, Keepalive, Report, Severity
from lpdoctor.model import margin as margins
from lpdoctor.probe.transport import (
    EOF_BEFORE_HEADERS,
    EOF_IN_BODY,
    FAILURE_WORDS,
    MAX_TIME,
    OWN_TIMEOUT,
    RESET,
    UNFRAMED,
    HoldParam,
    Measurement,
    hide_userinfo,
    host_of,
)
from lpdoctor.scan.routes import normalize_path
from lpdoctor.text.durations import fmt_s, nginx_time

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


# ---------------------------------------------------------------------------------------------------------
# The report


@dataclass
class ProbeTarget:
    url: str
    hold: HoldParam | None
    url_hold_s: float | None  # the hold the URL asks for as given


def route_of(url: str) -> str:
    return normalize_path(urlsplit(url).path or "/")


def build_probe_report(target: ProbeTarget, search: CutSearch, conclusion: ProbeConclusion) -> Report:
    """The probe's results in the same Report model scan uses."""
    route = route_of(target.url)
    plan = search.plan
    report = Report(command="probe")
    measurements = [j.m for j in search.judged]
    target_hold = plan.target_hold_s
    held = [j.at_s for j in search.judged]
    statuses = Counter(
        str(j.m.status) if j.m.failure is None and j.m.status is not None else (j.m.failure or "-")
        for j in search.judged
    )
    observed = None
    if held:
        ordered = sorted(held)
        observed = {
            "p50_s": round(ordered[len(ordered) // 2], 3),
            "p95_s": round(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)], 3),
            "max_s": round(ordered[-1], 3),
        }
    cut_reported = conclusion.cut_s if conclusion.state in ("cut", "below-range", "inconsistent") else None
    host = host_of(target.url)
    report.endpoints.append(
        Endpoint(
            route=route,
            host=host,
            requests=len(measurements),
            long_poll=True,
            hold_s=target_hold,
            observed=observed,
            failures=len(conclusion.evidence) if conclusion.state != "no-cut" else 0,
            cutoff_s=cut_reported,
            extra={
                "requested_hold_s": target.url_hold_s,
                "detected_by": "probe",
                "statuses": dict(statuses.most_common(10)),
                "protocol": target.hold.protocol if target.hold else None,
                "hold_param": target.hold.describe() if target.hold else None,
                "bracket_s": [_r(conclusion.lo_s), _r(conclusion.hi_s)],
                "keepalive": _keepalive_dict(conclusion.keepalive),
            },
        )
    )
    report.stats["probe"] = {
        "url": hide_userinfo(target.url),
        "state": conclusion.state,
        "stop_reason": conclusion.stop_reason,
        "cut_s": conclusion.cut_s,
        "bracket_s": [_r(conclusion.lo_s), _r(conclusion.hi_s)],
        "measured_by": conclusion.measured_by,
        "attempts": conclusion.attempts,
        "client_wait_s": conclusion.client_wait_s,
        "hop": conclusion.hop.hop.value if conclusion.hop else None,
        "interim_max": max((len(j.m.interim) for j in search.judged), default=0),
        "search": {"low_s": plan.low_s, "high_s": plan.high_s, "resolution_s": plan.resolution_s},
        "requests": [dict(j.m.as_dict(), verdict=j.verdict.value) for j in search.judged],
    }
    for j in search.judged:
        hold = f"hold {fmt_s(j.m.hold_s)}" if j.m.hold_s is not None else "as given"
        report.notes.append(f"request {j.m.index}: {hold} → {j.m.describe()} [{j.verdict.value}]")
    report.findings.extend(probe_findings(route, host, target, search, conclusion))
    note = _state_note(conclusion, plan)
    if note:
        report.notes.append(note)
    report.findings.sort(key=lambda f: f.sort_key())
    report.stats["routes"] = 1
    report.stats["long_poll_routes"] = 1
    return report


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _keepalive_dict(k: Keepalive | None) -> dict[str, object] | None:
    return None if k is None else {"kind": k.kind, "interval_s": k.interval_s}


KEEPALIVE_WHY = (
    "Idle timers (nginx proxy_read_timeout, HAProxy timeout server, AWS ALB idle timeout, Cloudflare's proxy "
    "read timeout, httpx/requests read timeouts) restart on every byte, so they cannot cut these polls while "
    "the bytes keep coming; total timers (Envoy route timeout, GCP backend timeout, API Gateway, Go "
    "http.Client.Timeout) still can, and so can a hop that does not pass the bytes on."
)


def _keepalive_text(k: Keepalive) -> str:
    what = "102 Processing interim responses" if k.kind == "102-processing" else "bytes (heartbeats)"
    return f"The server sent {what} during the hold (longest silence {fmt_s(k.interval_s)})."


def _state_note(c: ProbeConclusion, plan: SearchPlan) -> str | None:
    if c.state == "no-cut":
        top = fmt_s(c.lo_s) if c.lo_s is not None else "-"
        text = f"No cut: the chain held every poll (longest {top})."
        if c.keepalive:
            text += " " + _keepalive_text(c.keepalive) + " A silent hold may still be cut by an idle timer."
        return text
    if c.stop_reason == "max-requests":
        return f"The search stopped at --max-requests ({plan.max_requests}); the bracket is still wide."
    if c.stop_reason == "max-time":
        if c.state == "incomplete":
            return (
                "The probe stopped at --max-time before it could measure anything about the chain: give it more "
                "time than the hold plus lpdoctor's own margin."
            )
        return "The search stopped at --max-time; the bracket is still wide."
    if c.state == "interim-lost":
        return None  # the keepalive-1xx finding says it
    if c.state == "unusable" and c.evidence:
        j = c.evidence[0]
        if j.verdict is Verdict.REJECTED:
            return (
                f"The endpoint answered {j.m.status} after {fmt_s(round(j.at_s, 2))}: the request itself was "
                "refused (check the URL, the hold parameter and --header); nothing was measured."
            )
        return f"The probe could not measure: {j.m.describe()}" + (f" ({j.m.error})" if j.m.error else "") + "."
    if c.state == "refused":
        return (
            f"Every recent request failed at once ({c.evidence[-1].m.describe() if c.evidence else 'refused'}): "
            "the chain refuses requests rather than cutting them — a proxy that marked its upstream servers down "
            "(nginx max_fails after timeouts), overload or a missing route."
        )
    if c.state == "incomplete":
        return "The probe stopped before it could measure a cut (budget or time limit)."
    if c.keepalive:
        return _keepalive_text(c.keepalive) + " " + KEEPALIVE_WHY
    return None


def probe_findings(route: str, host: str, target: ProbeTarget, search: CutSearch, c: ProbeConclusion) -> list[Finding]:
    findings = _cut_findings(route, host, target, search, c)
    findings += _interim_findings(route, host, search, c)
    return findings


def _cut_findings(route: str, host: str, target: ProbeTarget, search: CutSearch, c: ProbeConclusion) -> list[Finding]:
    if c.state not in ("cut", "below-range", "inconsistent", "max-requests", "max-time") or c.hop is None:
        return []
    plan = search.plan
    hold = plan.target_hold_s
    guess = c.hop
    lo, hi = c.lo_s, c.hi_s
    first = c.evidence[0].m if c.evidence else None
    walls = [j for j in c.evidence if j.wall_s is not None]
    bounded = [j for j in c.evidence if j.m.hold_s is not None]
    example = (
        walls[0]
        if walls and c.measured_by == "wall"
        else min(bounded, key=lambda j: j.m.hold_s or 0.0, default=c.evidence[0] if c.evidence else None)
    )
    held = max(search.of(Verdict.HELD), key=lambda j: j.at_s, default=None)

    proof = []
    if example is not None:
        proof.append(
            f"{_a(fmt_s(example.m.hold_s))} poll got {_ending(example)}" if example.m.hold_s else _ending(example)
        )
    if held is not None:
        proof.append(f"{_a(fmt_s(held.m.hold_s or held.at_s))} poll was answered")
    shown = " and ".join(proof)
    who = guess.reason

    t = c.cut_s
    if c.state == "below-range":
        where = f"below {fmt_s(hi)}" if hi is not None else "below the lowest hold tried"
        lead = f"{route}: the chain cuts every poll tried — the cut lies {where}"
    elif c.state == "inconsistent":
        seen = "; ".join(
            f"{fmt_s(j.m.hold_s) if j.m.hold_s is not None else 'as given'} → {_ending(j)}" for j in search.judged[:12]
        )
        lead = (
            f"{route}: polls are cut inconsistently: a poll held {fmt_s(lo)} succeeded while another failed by "
            f"{fmt_s(hi)} (seen: {seen}); several servers or hops with different timeouts, or a cut that does "
            "not depend on time alone — no cut-off can be trusted, and some polls fail"
        )
        shown = ""
    elif c.measured_by == "wall":
        lead = f"{route}: the chain cuts held requests at {fmt_s(t)}"
    else:
        lead = f"{route}: the chain cuts held requests between {fmt_s(lo)} and {fmt_s(hi)}"
    retry = ""
    if c.attempts > 1 and c.client_wait_s is not None:
        retry = (
            f" Each attempt was cut at {fmt_s(t)} and a proxy retried it on another upstream server: the client got "
            f"its answer only after {fmt_s(c.client_wait_s)} ({c.attempts}×)."
        )
    elif c.attempts > 1:
        retry = f" The proxy retried the dropped request: the client waited {c.attempts}× the hold."
    moved = ""
    if guess.idle_s is not None:
        same = sorted(
            {
                j.m.hold_s
                for j in walls
                if j.m.hold_s is not None and t is not None and abs(j.at_s - t) <= 0.25 + 0.05 * t
            }
        )
        if len(same) >= 2:
            polls = ", ".join(fmt_s(h) for h in same)
            moved = f" The wall did not move with the hold (polls of {polls} all ended at {fmt_s(t)})."
    body = f"{lead}{' — ' + shown if shown else ''}; {who}.{retry}{moved}"

    severity = Severity.ERROR
    reference = t if t is not None else hi
    if c.state == "inconsistent":
        severity = Severity.ERROR  # a CI step must not pass a chain where some polls die
    elif hold is not None and reference is not None:
        if reference <= hold + 0.05:
            body += f" Polls holding {fmt_s(hold)} can never complete."
        elif reference < hold + plan.margin(hold):
            severity = Severity.WARNING
            body += f" That is within {fmt_s(plan.margin(hold))} of the {fmt_s(hold)} hold: a race."
        else:
            severity = Severity.INFO
            body += f" That is above the {fmt_s(hold)} hold with room to spare."
    evidence: dict[str, object] = {
        "measured_by": c.measured_by,
        "requests": len(search.judged),
        "failures": len(c.evidence),
        "bracket_s": [_r(lo), _r(hi)],
        "outcome": first.outcome.value if first else None,
        "statuses": dict(Counter(str(j.m.status) if j.m.failure is None else (j.m.failure or "-") for j in c.evidence)),
    }
    if example is not None:
        evidence["example"] = {
            "hold_s": example.m.hold_s,
            "failed_after_s": round(example.at_s, 3),
            "ending": _ending(example),
        }
    if c.attempts > 1:
        evidence["attempts"] = c.attempts
        if c.client_wait_s is not None:
            evidence["client_wait_s"] = c.client_wait_s
    if first is not None and first.server:
        evidence["server_header"] = first.server
    if c.keepalive:
        evidence["keepalive"] = _keepalive_dict(c.keepalive)
    if target.hold:
        evidence["hold_param"] = target.hold.describe()
    if guess.alternative:
        body += f" {guess.alternative}."
    base_hold = hold if hold is not None else plan.high_s
    suggest = plan.suggest(base_hold)
    max_hold = (reference - plan.margin(reference)) if reference else None
    fix = catalog.render_fix(
        "hold-cut",
        guess.component if guess.component != "*" else "",
        guess.hop,
        route=route,
        cut=fmt_s(reference) if reference else "the cut-off",
        suggest=fmt_s(suggest),
        suggest_nginx=nginx_time(suggest),
        suggest_int=int(suggest),
        max_hold=fmt_s(max_hold) if max_hold and max_hold > 0 else "the cut-off",
    )
    if guess.idle_s is not None:
        every = _floor_s(guess.idle_s)  # a measured silence is a little over the timer: never suggest above it
        fix = (
            f"Keep bytes flowing more often than every {fmt_s(every)} (response headers at once, then a heartbeat "
            f"byte every {fmt_s(_floor_s(every / 2))}), or raise the idle timeout of the LB/edge above "
            f"{fmt_s(suggest)} (HAProxy mode tcp: timeout client and timeout server; a cloud LB's idle timeout)."
        )
        evidence["idle_cut_s"] = guess.idle_s
    if guess.alternative:
        evidence["alternative"] = guess.alternative
    explanation = None
    if c.keepalive:
        explanation = _keepalive_text(c.keepalive) + " " + KEEPALIVE_WHY
    findings = [
        Finding(
            rule="hold-cut",
            severity=severity,
            message=body,
            hop=guess.hop,
            route=route,
            host=host,
            hold_s=hold,
            cutoff_s=t,
            evidence=evidence,
            fix=fix,
            explanation=explanation,
            confidence="measured" if c.measured_by == "wall" else "bracketed",
        )
    ]
    if c.attempts > 1 and guess.hop in (HopKind.PROXY, HopKind.SERVER):
        wait = f" after {fmt_s(c.client_wait_s)}" if c.client_wait_s else ""
        findings.append(
            Finding(
                rule="retry-multiplies-wait",
                severity=Severity.WARNING,
                message=(
                    f"{route}: a poll the chain cut came back only{wait}, {c.attempts}× the "
                    f"{'cut' if c.client_wait_s else 'hold'}: a proxy resent it to another attempt "
                    "(nginx proxy_next_upstream), so clients wait longer and every attempt counts as a failure."
                ),
                hop=HopKind.PROXY,
                route=route,
                host=host,
                hold_s=hold,
                cutoff_s=t,
                evidence={"attempts": c.attempts, "client_wait_s": c.client_wait_s, "measured_by": "probe"},
                fix=catalog.render_fix(
                    "retry-multiplies-wait",
                    guess.component if guess.component != "*" else "nginx",
                    HopKind.PROXY,
                    route=route,
                ),
                confidence="measured",
            )
        )
    return findings


def _floor_s(seconds: float) -> float:
    """Rounded down: to 0.1 s below 10 s, to 1 s above."""
    return float(math.floor(seconds)) if seconds >= 10 else math.floor(seconds * 10) / 10


def _a(number: str) -> str:
    """``a 5 s``, ``an 8 s``, ``an 11 s``, ``an 18.5 s``."""
    spoken_vowel = number.startswith("8") or (number[:2] in ("11", "18") and not number[2:3].isdigit())
    return f"{'an' if spoken_vowel else 'a'} {number}"


def _ending(j: Judged) -> str:
    m = j.m
    if m.failure is None and m.status is not None:
        return f"{m.status} after {fmt_s(round(j.at_s, 2))}"
    word = FAILURE_WORDS.get(m.failure or "", "a failure")
    return f"{word} after {fmt_s(round(j.at_s, 2))}"


GO_MAX_1XX = 5  # golang/go src/net/http/transport.go: max1xxResponses = 5 (checked in Go 1.19.8)


def _interim_findings(route: str, host: str, search: CutSearch, c: ProbeConclusion) -> list[Finding]:
    """What interim (1xx) responses mean for the chain: a hop that loses the answer after them, and clients
    that cannot take many of them."""
    findings: list[Finding] = []
    if c.state == "interim-lost" and c.evidence and c.hop is not None:
        j = c.evidence[0]
        m = j.m
        ended = "lpdoctor stopped waiting" if m.failure == OWN_TIMEOUT else "the connection closed"
        guess = c.hop
        message = (
            f"{route}: an interim {m.interim[0][0]} reached lpdoctor but the final answer never did — {ended} after "
            f"{fmt_s(round(j.at_s, 2))} on {_a(fmt_s(m.hold_s)) + ' poll' if m.hold_s else 'the poll'}; "
            f"{guess.reason}."
        )
        if guess.alternative:
            message += f" {guess.alternative}."
        evidence: dict[str, object] = {
            "interim": len(m.interim),
            "interim_status": m.interim[0][0],
            "ended_after_s": round(j.at_s, 3),
            "ending": m.failure,
        }
        if m.interim_server:
            evidence["interim_server"] = m.interim_server
        findings.append(
            Finding(
                rule="keepalive-1xx",
                severity=Severity.ERROR,
                message=message,
                hop=guess.hop,
                route=route,
                host=host,
                hold_s=search.plan.target_hold_s,
                evidence=evidence,
                fix=(
                    "Send heartbeats as bytes of a 200 body (response headers at once, then a byte every few "
                    "seconds) instead of 102 Processing: "
                    + (
                        "nginx cannot pass interim responses on."
                        if guess.component == "nginx"
                        else "some hop loses them."
                    )
                ),
                confidence="measured",
            )
        )
    most = max(search.judged, key=lambda x: len(x.m.interim), default=None)
    if most is not None and len(most.m.interim) > GO_MAX_1XX:
        n = len(most.m.interim)
        findings.append(
            Finding(
                rule="keepalive-1xx",
                severity=Severity.WARNING,
                message=(
                    f"{route}: a poll got {n} interim {most.m.interim[0][0]} responses before its answer: Go's "
                    f'net/http client before Go 1.24 fails a request at the {GO_MAX_1XX + 1}th ("net/http: too many '
                    f'1xx informational responses"; max1xxResponses = {GO_MAX_1XX} in src/net/http/transport.go, '
                    "golang/go#65035), and so does a Go proxy in between built with an older Go (caddyserver/caddy#5616)."
                ),
                hop=HopKind.CLIENT,
                route=route,
                host=host,
                hold_s=search.plan.target_hold_s,
                evidence={"interim": n, "limit": GO_MAX_1XX, "hold_s": most.m.hold_s},
                fix=(
                    f"Send at most {GO_MAX_1XX} interim responses per poll (one every hold/{GO_MAX_1XX} or less "
                    "often), or heartbeat bytes in a 200 body; Go 1.24 and later bound 1xx responses by header "
                    "bytes instead."
                ),
                confidence="measured",
            )
        )
    return findings
