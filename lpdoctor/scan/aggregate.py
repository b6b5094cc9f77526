"""Per-route aggregates: everything the analysis needs, in memory that does not grow with the log.

Durations go into sparse fixed-bin histograms, never into a list: 1 ms bins below 1 s, 10 ms below 10 s,
0.1 s below 100 s, 1 s to 1 h and 10 s above — about 1 % of the value or better from 0.1 s up, and whole
milliseconds for the short API calls around a long-poll (a log's ``0.011`` stays 11 ms in the percentiles). Routes are capped (``max_routes``); requests beyond the cap are counted, not kept. Every aggregate
merges with another of its kind (``merge``) and round-trips through JSON (``to_dict``/``from_dict``), so
files, chunks of a file, or machines can be scanned apart and combined.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from lpdoctor.catalog.holds import HoldMatcher, RequestedHold
from lpdoctor.model import ErrorEvent, ErrorKind, HopKind, InputSummary, Outcome, RequestRecord
from lpdoctor.scan.histogram import Histogram, hist_map_from_dict, hist_map_to_dict, merge_hist_map
from lpdoctor.scan.partial_values import (
    MAX_COUNTER_KEYS,
    MAX_INPUTS,
    MAX_MAX_ROUTES,
    MAX_TIME,
    MAX_WARNINGS,
    MIN_MAX_ROUTES,
    as_count,
    as_duration_or_none,
    as_seconds,
    as_seconds_or_none,
    as_str_or_none,
    as_time,
    as_time_or_none,
    sized,
    stored_counter,
    stored_text,
)
from lpdoctor.scan.routes import RouteCache, split_target
from lpdoctor.scan.time_buckets import NO_DURATION_BIN, OUTCOME_VALUE, Timeline, add_failure_time, failure_bin
from lpdoctor.text.durations import MAX_REQUEST_S, plausible_request_s

DEFAULT_MAX_ROUTES = 5000
# Version 2: histogram bins are keyed in milliseconds (version 1 keyed them in deciseconds).
PARTIAL_VERSION = 3  # 3: RouteStats.ended_by (who ended the failures, as the readers translated it)
OVERFLOW_ROUTE = "(other routes)"

_new_dict = dict.__new__


def _counter() -> Counter[str]:
    """An empty Counter, made without ``Counter.__init__`` (which calls ``update``): :class:`RouteStats` makes
    13 of them for every route (a RouteStats: 9.4 -> 2.9 µs)."""
    return _new_dict(Counter)


# Looked up once per request, so computed once here.
_FAILURE_VALUES = frozenset(o.value for o in Outcome if o.is_failure)
_STATUS_KEY: dict[int | None, str] = {None: "-", **{code: str(code) for code in range(100, 600)}}

Times = Sequence[tuple[float | None, int]]
"""Durations of several requests: ``(seconds or None, how many requests)``."""


@dataclass(slots=True)
class GroupTimes:
    """When the requests of a fast-path group (requests alike in all but their times) were logged, as the C
    scanner counts them: the first and last time, their timeline (one outcome's buckets of ``width`` seconds,
    kept like :class:`Timeline` keeps them, so it merges exactly), and for each duration (seconds, or None
    when the lines had none) the first and last time and how many requests had it."""

    first: float
    last: float
    width: int
    lo: int
    hi: int
    buckets: list[tuple[int, int]]
    spans: list[tuple[float | None, float, float, int]]


At = float | None | Literal["record"] | list[tuple[float | None, int, Times]] | GroupTimes
"""When requests were logged: a time, None (unknown), "record" (the record's own), several times, or a
fast-path group's :class:`GroupTimes`."""

# The Counter fields of RouteStats, in one place for merge and (de)serialisation.
COUNTERS = (
    "statuses",
    "outcomes",
    "methods",
    "hosts",
    "proxies",
    "details",
    "ended_by",
    "holds",
    "hold_source",
    "hold_protocol",
    "attempts",
    "errors",
    "error_timeouts",
    "error_actions",
)
# What the overflow bucket does not keep of a route past the cap: requests there get no hold (add_request),
# and error-log lines are counted as unrouted (add_error).
_NOT_IN_OVERFLOW = ("holds", "hold_source", "hold_protocol", "errors", "error_timeouts", "error_actions")
_IN_OVERFLOW = tuple(name for name in COUNTERS if name not in _NOT_IN_OVERFLOW)


@dataclass(slots=True)
class RouteStats:
    """What is known about one route."""

    route: str
    requests: int = 0
    timed: int = 0
    statuses: Counter[str] = field(default_factory=_counter)
    outcomes: Counter[str] = field(default_factory=_counter)
    methods: Counter[str] = field(default_factory=_counter)
    hosts: Counter[str] = field(default_factory=_counter)
    proxies: Counter[str] = field(default_factory=_counter)
    details: Counter[str] = field(default_factory=_counter)  # "outcome|detail" -> count
    ended_by: Counter[str] = field(default_factory=_counter)  # "outcome|hop" -> failures whose proxy said who
    durations: dict[str, Histogram] = field(default_factory=dict)  # outcome -> histogram
    holds: Counter[str] = field(default_factory=_counter)  # requested hold seconds ("30.0") -> count
    hold_source: Counter[str] = field(default_factory=_counter)  # "matrix-sync: timeout in ms" -> count
    hold_protocol: Counter[str] = field(default_factory=_counter)
    hold_jitter: float = 0.0
    hold_max_s: float | None = None
    # nginx multi-value upstream fields
    retried: int = 0  # requests that tried more than one upstream server
    retried_timeouts: int = 0  # ... of which at least one try timed out (504)
    attempt_timeouts: dict[str, Histogram] = field(default_factory=dict)  # "504" -> per-try response time
    attempts: Counter[str] = field(default_factory=_counter)  # number of tries -> count
    no_header_failures: int = 0  # failures whose upstream never sent headers
    no_live: int = 0  # 502s nginx made up with no server to try: $upstream_addr is the group's name
    interim_final: int = 0  # requests logged with a 1xx status (or a 1xx last upstream status): taken as final
    errors: Counter[str] = field(default_factory=_counter)  # ErrorKind -> count, from error logs
    error_timeouts: Counter[str] = field(default_factory=_counter)  # "30.0" -> count (Sōzune "after 30s")
    error_actions: Counter[str] = field(default_factory=_counter)
    example: str | None = None  # one request target, for the report (redacted on output)
    timeline: Timeline = field(default_factory=Timeline)  # requests by outcome over time
    # failures by coarse duration (failure_bin) -> [first time, last time, count]: when each cut started and stopped
    failure_times: dict[int, list[float]] = field(default_factory=dict)
    first_time: float | None = None  # the first and last time a request of the route was logged
    last_time: float | None = None

    # ------------------------------------------------------------------ adding

    def add_request(
        self,
        rec: RequestRecord,
        hold: RequestedHold | None,
        n: int = 1,
        durations: Times | None = None,
        responses: Times | None = None,
        at: At = "record",
    ) -> None:
        """Add ``rec``, or ``n`` requests alike in everything but their times, ``rec`` the first of them:
        then ``durations`` counts their durations and ``responses`` the response times of their last
        upstream try, as ``(seconds or None, requests)``, and ``at`` is when all of them were logged
        (default: ``rec.time``), or a list of ``(time, requests, their durations)`` when they were logged
        at different times."""
        outcome = OUTCOME_VALUE[rec.outcome]
        failed = outcome in _FAILURE_VALUES
        if isinstance(at, GroupTimes):
            self._add_group_times(at, outcome, failed)
        elif isinstance(at, list):
            for when, count, times in at:
                self._add_time(when, outcome, failed, count, times)
        else:
            self._add_time(rec.time if at == "record" else at, outcome, failed, n, durations or ((rec.duration_s, n),))
        self.requests += n
        self.statuses[_STATUS_KEY.get(rec.status) or str(rec.status)] += n
        self.outcomes[outcome] += n
        if rec.method:
            self.methods[rec.method[:16]] += n
        if rec.host:
            self.hosts[rec.host[:128].lower()] += n
        self.proxies[rec.proxy] += n
        if rec.detail and failed:
            self.details[f"{outcome}|{rec.detail[:40]}"] += n
        if rec.ended_by is not None and failed:
            self.ended_by[f"{outcome}|{rec.ended_by.value}"] += n
        if self.example is None and rec.target:
            self.example = rec.target[:512]
        if hold is not None:
            self.holds[f"{hold.seconds:.3f}"] += n
            self.hold_source[hold.describe()] += n
            if hold.protocol:
                self.hold_protocol[hold.protocol] += n
            self.hold_jitter = max(self.hold_jitter, hold.jitter)
            if hold.max_s is not None:
                self.hold_max_s = hold.max_s
        # no duration, or one no request can have (plausible_request_s), is left out
        timed = [
            (seconds, count)
            for seconds, count in (durations if durations is not None else ((rec.duration_s, 1),))
            if seconds is not None and 0.0 <= seconds <= MAX_REQUEST_S
        ]
        if timed:
            self.timed += sum(count for _, count in timed)
            h = self.durations.get(outcome)
            if h is None:
                h = self.durations[outcome] = Histogram()
            h.add_all(timed)
        if rec.upstream:
            tries = len(rec.upstream)
            if tries > 1:
                self.retried += n
                self.attempts[str(min(tries, 20))] += n
                if any(t.status == 504 for t in rec.upstream):
                    self.retried_timeouts += n
            for i, t in enumerate(rec.upstream):
                if t.status in (504, 502) and t.header_s is None:
                    times = responses if responses is not None and i == tries - 1 else ((t.response_s, n),)
                    for seconds, count in times:
                        if seconds is None or not 0.0 <= seconds <= MAX_REQUEST_S:
                            continue
                        key = str(t.status)
                        ah = self.attempt_timeouts.get(key)
                        if ah is None:
                            ah = self.attempt_timeouts[key] = Histogram()
                        ah.add(seconds, count)
            if failed and rec.upstream[-1].header_s is None:
                self.no_header_failures += n
            last = rec.upstream[-1]
            if last.status == 502 and last.addr and _is_group_name(last.addr):
                self.no_live += n
        if _interim(rec.status) or (rec.upstream and _interim(rec.upstream[-1].status)):
            self.interim_final += n

    def _add_time(self, when: float | None, outcome: str, failed: bool, n: int, durations: Times) -> None:
        if when is None or not -MAX_TIME <= when <= MAX_TIME:
            return
        if self.first_time is None or when < self.first_time:
            self.first_time = when
        if self.last_time is None or when > self.last_time:
            self.last_time = when
        self.timeline.add(when, outcome, n)
        if failed:
            for seconds, count in durations:
                add_failure_time(self.failure_times, failure_bin(seconds), when, when, count)

    def _add_group_times(self, at: GroupTimes, outcome: str, failed: bool) -> None:
        """What :meth:`_add_time` does for each of a group's lines, from what the scanner counted of them."""
        if self.first_time is None or at.first < self.first_time:
            self.first_time = at.first
        if self.last_time is None or at.last > self.last_time:
            self.last_time = at.last
        self.timeline.merge_buckets(at.width, at.lo, at.hi, outcome, at.buckets)
        if failed:
            for seconds, first, last, count in at.spans:
                add_failure_time(self.failure_times, failure_bin(seconds), first, last, count)

    def add_error(self, ev: ErrorEvent, n: int = 1) -> None:
        """``n`` error-log lines like ``ev`` about this route."""
        self.errors[ev.kind.value] += n
        if ev.action:
            self.error_actions[f"{ev.kind.value}|{ev.action[:80]}"] += n
        timeout = plausible_request_s(ev.timeout_s)
        if timeout is not None:
            self.error_timeouts[f"{timeout:.1f}"] += n
        if ev.host:
            self.hosts[ev.host[:128].lower()] += 0  # known host, no request counted
        if self.example is None and ev.target:
            self.example = ev.target[:512]

    # ------------------------------------------------------------------ views

    def all_durations(self) -> Histogram:
        h = Histogram()
        for part in self.durations.values():
            h.merge(part)
        return h

    def failures(self) -> int:
        return sum(n for o, n in self.outcomes.items() if Outcome(o).is_failure)

    def failure_durations(self) -> Histogram:
        h = Histogram()
        for o, part in self.durations.items():
            if Outcome(o).is_failure:
                h.merge(part)
        return h

    def success_durations(self) -> Histogram:
        h = Histogram()
        for o, part in self.durations.items():
            if o == Outcome.OK.value:
                h.merge(part)
        return h

    def requested_hold(self) -> float | None:
        """The hold most requests asked for (a 0 hold — a short poll — does not count)."""
        nonzero = [(n, float(s)) for s, n in self.holds.items() if float(s) > 0]
        if not nonzero:
            return None
        nonzero.sort(reverse=True)
        return nonzero[0][1]

    def top(self, counter: Counter[str]) -> str | None:
        return counter.most_common(1)[0][0] if counter else None

    # ------------------------------------------------------------------ merge / (de)serialise

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (pieces of a file come back from worker processes) with the counters as plain dicts:
        rebuilding thousands of Counters through ``Counter(dict)`` would cost more than the transfer."""
        state = {name: getattr(self, name) for name in _ROUTE_FIELDS}
        for name in COUNTERS:
            state[name] = dict(state[name])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name in COUNTERS:
            counter: Counter[str] = Counter.__new__(Counter)  # Counter.__init__ only calls update()
            dict.update(counter, state[name])
            state[name] = counter
        for name in _ROUTE_FIELDS:
            setattr(self, name, state[name])

    def merge(self, other: RouteStats, requests_only: bool = False) -> None:
        """Add ``other``; with ``requests_only``, without what the overflow bucket does not keep (the holds
        asked for, error-log lines)."""
        self.requests += other.requests
        self.timed += other.timed
        for name in _IN_OVERFLOW if requests_only else COUNTERS:
            theirs = getattr(other, name)
            if theirs:
                getattr(self, name).update(theirs)
        merge_hist_map(self.durations, other.durations)
        merge_hist_map(self.attempt_timeouts, other.attempt_timeouts)
        self.timeline.merge(other.timeline)
        for t in (other.first_time, other.last_time):
            if t is not None:
                self.first_time = t if self.first_time is None else min(self.first_time, t)
                self.last_time = t if self.last_time is None else max(self.last_time, t)
        for key, (first, last, count) in other.failure_times.items():
            add_failure_time(self.failure_times, key, first, last, count)
        if not requests_only:
            self.hold_jitter = max(self.hold_jitter, other.hold_jitter)
            if other.hold_max_s is not None:
                self.hold_max_s = other.hold_max_s
        self.retried += other.retried
        self.retried_timeouts += other.retried_timeouts
        self.no_header_failures += other.no_header_failures
        self.no_live += other.no_live
        self.interim_final += other.interim_final
        if self.example is None:
            self.example = other.example

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a partial: every string in it redacted and printable (:func:`stored_text`)."""
        return {
            "route": stored_text(self.route),
            "requests": self.requests,
            "timed": self.timed,
            "counters": {name: stored_counter(getattr(self, name)) for name in COUNTERS},
            "durations": hist_map_to_dict(self.durations),
            "attempt_timeouts": hist_map_to_dict(self.attempt_timeouts),
            "hold_jitter": self.hold_jitter,
            "hold_max_s": self.hold_max_s,
            "retried": self.retried,
            "retried_timeouts": self.retried_timeouts,
            "no_header_failures": self.no_header_failures,
            "no_live": self.no_live,
            "interim_final": self.interim_final,
            "example": None if self.example is None else stored_text(self.example),
            "timeline": self.timeline.to_dict(),
            "first_time": self.first_time,
            "last_time": self.last_time,
            "failure_times": {str(k): list(v) for k, v in sorted(self.failure_times.items())},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RouteStats:
        rs = cls(route=str(d["route"]), requests=as_count(d["requests"]), timed=as_count(d["timed"]))
        counters = sized(d["counters"], len(COUNTERS))
        for name in COUNTERS:
            entries = sized(counters.get(name, {}), MAX_COUNTER_KEYS)
            getattr(rs, name).update({str(k): as_count(v) for k, v in entries.items()})
        for key in rs.holds:
            as_seconds(key)  # read back as numbers by the analysis
        for key in rs.error_timeouts:
            as_duration_or_none(key)
        rs.durations = hist_map_from_dict(d["durations"])
        rs.attempt_timeouts = hist_map_from_dict(d["attempt_timeouts"])
        unknown = (set(rs.outcomes) | set(rs.durations)) - set(OUTCOME_VALUE.values())
        if unknown:
            raise ValueError(f"unknown outcome {sorted(unknown)[0]!r}")
        rs.hold_jitter = as_seconds(d["hold_jitter"])
        if rs.hold_jitter > 1:
            raise ValueError("hold jitter is a fraction of the hold")
        rs.hold_max_s = as_seconds_or_none(d["hold_max_s"])
        rs.retried = as_count(d["retried"])
        rs.retried_timeouts = as_count(d["retried_timeouts"])
        rs.no_header_failures = as_count(d["no_header_failures"])
        rs.no_live = as_count(d["no_live"])
        rs.interim_final = as_count(d["interim_final"])
        rs.example = as_str_or_none(d["example"])
        if "timeline" in d:  # partials written before lpdoctor kept time have neither
            rs.timeline = Timeline.from_dict(d["timeline"])
        rs.first_time = as_time_or_none(d.get("first_time"))
        rs.last_time = as_time_or_none(d.get("last_time"))
        for key, value in d.get("failure_times", {}).items():
            first, last, count = value
            k = int(key)
            if k != NO_DURATION_BIN and failure_bin(k) != k:
                raise ValueError(f"not a failure bin: {key!r}")
            a, b = as_time(first), as_time(last)
            if a > b:
                raise ValueError("first failure after the last")
            rs.failure_times[k] = [a, b, as_count(count)]
        return rs


_ROUTE_FIELDS = tuple(f.name for f in fields(RouteStats))
_UNKNOWN = object()
_HOLDS_KEPT = 16_384  # (route, query) -> requested hold, remembered by ScanAggregate.hold_of


def _interim(status: int | None) -> bool:
    """A 1xx other than 101 (Switching Protocols): an interim response, never a final one."""
    return status is not None and 100 <= status < 200 and status != 101


def _is_group_name(addr: str) -> bool:
    """Whether ``$upstream_addr`` names an upstream group (``backend``), not a server (``10.0.0.5:8000``,
    ``unix:/run/app.sock``): nginx writes the group's name when it found no live server to try."""
    return ":" not in addr and "/" not in addr


class RouteFilter:
    """The routes turned away at the cap, in fixed memory (1 MiB): a Bloom filter. ``route in f`` is never
    False for a route added; it can be True for one that was not (with 50 000 routes added, 3 lookups in
    10 million; with 500 000, 1 in 500), which only costs the parallel scan a piece scanned again."""

    __slots__ = ("bits",)
    BITS = 1 << 23
    HASHES = 4

    def __init__(self) -> None:
        self.bits = bytearray(self.BITS // 8)

    def _positions(self, route: str) -> list[int]:
        digest = hashlib.blake2b(route.encode("utf-8", "surrogatepass"), digest_size=4 * self.HASHES).digest()
        return [int.from_bytes(digest[4 * i : 4 * i + 4], "little") % self.BITS for i in range(self.HASHES)]

    def add(self, route: str) -> None:
        for p in self._positions(route):
            self.bits[p >> 3] |= 1 << (p & 7)

    def __contains__(self, route: object) -> bool:
        return isinstance(route, str) and all(self.bits[p >> 3] & (1 << (p & 7)) for p in self._positions(route))


class ScanAggregate:
    """All routes of a scan, the inputs they came from, and what could not be placed."""

    def __init__(
        self,
        max_routes: int = DEFAULT_MAX_ROUTES,
        admit: frozenset[str] | None = None,
        track_refused: bool = False,
        seen: Collection[str] | None = None,
    ) -> None:
        """For pieces of a file scanned apart (see :mod:`~lpdoctor.scan.parallel`): ``track_refused`` keeps
        the routes turned away at the cap in :attr:`refused`; ``admit``, when given, is the exact set of
        routes to keep instead of the first ``max_routes``; ``seen``, the distinct routes of the lines before
        the piece (at most ``max_routes``): they count towards the cap from the start, and stay admitted.

        A piece read with ``seen`` turns away only routes that reading the whole file turns away too, or that
        the pieces before keep (:func:`~lpdoctor.scan.parallel.kept_routes` tells), provided every route of
        ``seen`` is one the pieces before keep (:attr:`seen` is kept to check it)."""
        self.max_routes = max_routes
        self.seen: frozenset[str] | None = None if seen is None else frozenset(seen)
        self._new_routes = 0  # with seen: routes of its own not in seen
        self.routes: dict[str, RouteStats] = {}
        self.inputs: list[InputSummary] = []
        self.overflow_requests = 0
        self.unrouted_errors: Counter[str] = Counter()
        self.refused: RouteFilter | None = RouteFilter() if track_refused else None
        # --since/--until (epoch seconds, both included): what lies outside, or has no time, is only counted
        self.since: float | None = None
        self.until: float | None = None
        self.outside = 0
        # the first and last time of any request or error line read (outside the window too)
        self.first_time: float | None = None
        self.last_time: float | None = None
        self._admit = admit
        self._route_cache = RouteCache()
        self._holds = HoldMatcher()
        self._hold_of: dict[tuple[str, str], RequestedHold | None] = {}

    @property
    def hold_matcher(self) -> HoldMatcher:
        """The matcher this aggregate finds requested holds with (the fast path shares its per-route work)."""
        return self._holds

    def hold_of(self, route: str, query: str) -> RequestedHold | None:
        """The requested hold of a (route, query), remembered: groups of the fast path ask again and again (and
        its scanner asks first, for each new route and cut query)."""
        key = (route, query)
        hold = self._hold_of.get(key, _UNKNOWN)
        if hold is _UNKNOWN:
            if len(self._hold_of) >= _HOLDS_KEPT:
                self._hold_of.clear()
            hold = self._hold_of[key] = self._holds.match(route, query)
        return hold  # type: ignore[return-value]

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to and from worker processes) without its caches, which fill again by themselves."""
        state = self.__dict__.copy()
        del state["_route_cache"], state["_holds"], state["_hold_of"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._route_cache = RouteCache()
        self._holds = HoldMatcher()
        self._hold_of = {}

    @property
    def full(self) -> bool:
        """Whether the route cap is reached: a route not seen yet would go to the overflow bucket."""
        if self.seen is not None:
            return len(self.seen) + self._new_routes >= self.max_routes
        return len(self.routes) - (OVERFLOW_ROUTE in self.routes) >= self.max_routes

    def kept_routes(self) -> Callable[[str], bool] | None:
        """None while a route not seen yet can still get stats of its own; from then on (the cap is reached, or
        ``admit`` fixed the routes from the start), whether a route has or gets them: the fast path groups the
        lines of the others as the overflow bucket's."""
        if self._admit is not None or (self.seen is not None and self.full):
            routes, admit = self.routes, self._admit if self._admit is not None else self.seen
            assert admit is not None
            return lambda route: route in routes or route in admit
        return self.routes.__contains__ if self.full else None

    def _stats_for(self, route: str) -> RouteStats | None:
        rs = self.routes.get(route)
        if rs is None:
            if self._admit is not None:
                refuse = route not in self._admit
            elif self.seen is not None and route in self.seen:
                refuse = False
            else:
                refuse = self.full
                if self.seen is not None and not refuse and route != OVERFLOW_ROUTE:
                    self._new_routes += 1
            if refuse:
                if self.refused is not None:
                    self.refused.add(route)
                return None
            rs = self.routes[route] = RouteStats(route=route)
        return rs

    def set_window(self, since: float | None, until: float | None) -> None:
        """Keep only what was logged from ``since`` to ``until`` (epoch seconds, both included, None: open)."""
        self.since, self.until = since, until

    def outside_window(self, t: float | None, n: int) -> bool:
        """Note the time ``t`` of ``n`` lines; True when the window leaves them out."""
        if t is not None and -MAX_TIME <= t <= MAX_TIME:
            if self.first_time is None or t < self.first_time:
                self.first_time = t
            if self.last_time is None or t > self.last_time:
                self.last_time = t
        else:
            t = None
        if self.since is None and self.until is None:
            return False
        if t is None or (self.since is not None and t < self.since) or (self.until is not None and t > self.until):
            self.outside += n
            return True
        return False

    def add_request(
        self,
        rec: RequestRecord,
        n: int = 1,
        durations: Times | None = None,
        responses: Times | None = None,
        at: At = "record",
        *,
        routed: bool = False,
        route: str | None = None,
    ) -> None:
        """Add ``rec`` (or ``n`` requests like it, logged at ``at``: see :meth:`RouteStats.add_request`; when
        ``at`` is a list or a :class:`GroupTimes`, the caller has already asked :meth:`outside_window` about each
        of its times). With ``routed``, ``route`` is the route of ``rec``'s target, made already (the fast path's
        scanner makes it as :func:`~lpdoctor.scan.routes.normalize_path` does), or None: a route this aggregate
        turns away (its :meth:`kept_routes` said so)."""
        if not isinstance(at, list | GroupTimes) and self.outside_window(rec.time if at == "record" else at, n):
            return
        if not rec.target:
            # A TCP session (HAProxy mode tcp) has no request: its route is the stream it went through.
            route, query = (f"(tcp {rec.stream})" if rec.stream else "{unknown}"), ""
        elif not routed:
            path, query = split_target(rec.target)
            route = self._route_cache.route(path)
        elif route is not None:
            query = split_target(rec.target)[1]
        rs = None if route is None else self._stats_for(route)
        if rs is None or route is None:
            self.overflow_requests += n
            rs = self.routes.get(OVERFLOW_ROUTE)
            if rs is None:
                rs = self.routes[OVERFLOW_ROUTE] = RouteStats(route=OVERFLOW_ROUTE)
            rs.add_request(rec, None, n, durations, responses, at)
            return
        hold = self.hold_of(route, query) if rec.target else None
        rs.add_request(rec, hold, n, durations, responses, at)

    def add_parsed(self, rec: RequestRecord | ErrorEvent) -> bool:
        """Add what a reader parsed; True when it was a request with its duration."""
        if isinstance(rec, RequestRecord):
            self.add_request(rec)
            return rec.duration_s is not None
        self.add_error(rec)
        return False

    def add_error(self, ev: ErrorEvent) -> None:
        if self.outside_window(ev.time, 1):
            return
        self.add_errors(ev, 1)

    def add_errors(self, ev: ErrorEvent, n: int) -> None:
        """What :meth:`add_error` does for ``n`` error-log lines alike, within the window (the fast path's groups:
        the scanner noted their times)."""
        if not ev.target:
            if ev.kind is not ErrorKind.OTHER:  # start-up notices and the like are not about requests
                self.unrouted_errors[ev.kind.value] += n
            return
        timeout = plausible_request_s(ev.timeout_s)
        if ev.kind is ErrorKind.UPSTREAM_TIMEOUT and timeout is not None:
            # The line states its own timeout (Sōzune: "after 1 attempt(s): timed out after 30s") and the proxy
            # writes no access line for that request: the error line is the request's only record.
            self.add_request(
                RequestRecord(
                    source=ev.source,
                    line=ev.line,
                    proxy=ev.proxy,
                    target=ev.target,
                    status=504,
                    duration_s=timeout * max(1, ev.attempts or 1),
                    outcome=Outcome.GATEWAY_TIMEOUT,
                    method=ev.method,
                    host=ev.host,
                    time=ev.time,
                    client=ev.client,
                    detail="backend_timeout",
                    ended_by=HopKind.PROXY,  # the proxy's own backend timeout
                ),
                n,
            )
        path, query = split_target(ev.target)
        route = self._route_cache.route(path)
        rs = self._stats_for(route)
        if rs is None:
            self.unrouted_errors[ev.kind.value] += n
            return
        rs.add_error(ev, n)
        if ev.kind in (ErrorKind.UPSTREAM_TIMEOUT, ErrorKind.UPSTREAM_CLOSED) and rs.requests == 0:
            # An error-log-only route still carries the hold its request asked for.
            hold = self._holds.match(route, query)
            if hold is not None:
                rs.holds[f"{hold.seconds:.3f}"] += n
                rs.hold_source[hold.describe()] += n
                if hold.protocol:
                    rs.hold_protocol[hold.protocol] += n

    def merge(self, other: ScanAggregate) -> None:
        """Add ``other``, the aggregate of a later input (or of a later piece of the same input).

        Routes ``other`` brings once this aggregate is full end up where scanning would have put them: their
        requests in the overflow bucket, without a hold; their error-log lines among the unrouted ones.
        """
        for route, rs in other.routes.items():
            mine = self.routes.get(route)
            if mine is None:
                if route != OVERFLOW_ROUTE and self.full:
                    self._overflow(rs)
                    continue
                mine = self.routes[route] = RouteStats(route=route)
            mine.merge(rs)
        self.inputs.extend(other.inputs)
        self.overflow_requests += other.overflow_requests
        self.unrouted_errors.update(other.unrouted_errors)
        self.outside += other.outside
        for t in (other.first_time, other.last_time):
            if t is not None:
                self.first_time = t if self.first_time is None else min(self.first_time, t)
                self.last_time = t if self.last_time is None else max(self.last_time, t)

    def _overflow(self, rs: RouteStats) -> None:
        self.overflow_requests += rs.requests
        self.unrouted_errors.update(rs.errors)
        if rs.requests:
            bucket = self.routes.get(OVERFLOW_ROUTE)
            if bucket is None:
                bucket = self.routes[OVERFLOW_ROUTE] = RouteStats(route=OVERFLOW_ROUTE)
            bucket.merge(rs, requests_only=True)

    def to_dict(self) -> dict[str, Any]:
        """The partial ``scan --save-partial`` writes. A partial is a file that travels: every string in it is
        redacted and made printable as a report would be (:func:`stored_text`); routes that become the same string
        that way are stored as one, merged."""
        routes: dict[str, RouteStats] = {}
        for rs in self.routes.values():  # in order of first appearance
            name = stored_text(rs.route)
            if name != rs.route or name in routes:
                into = routes.get(name)
                if into is None:
                    into = routes[name] = RouteStats(route=name)
                into.merge(rs)
            else:
                routes[name] = rs
        inputs = []
        for i in self.inputs:
            d = i.to_dict()
            d["path"] = stored_text(d["path"])
            warnings = d["warnings"]
            if len(warnings) > MAX_WARNINGS:  # more than a partial may hold
                warnings = [*warnings[: MAX_WARNINGS - 1], f"{len(warnings) - MAX_WARNINGS + 1} more warnings"]
            d["warnings"] = [stored_text(w) for w in warnings]
            inputs.append(d)
        return {
            "lpdoctor_partial": PARTIAL_VERSION,
            "max_routes": self.max_routes,
            "routes": [rs.to_dict() for rs in routes.values()],
            "inputs": inputs,
            "overflow_requests": self.overflow_requests,
            "unrouted_errors": stored_counter(self.unrouted_errors),
            "outside": self.outside,
            "first_time": self.first_time,
            "last_time": self.last_time,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScanAggregate:
        version = d.get("lpdoctor_partial")
        if type(version) is not int or version != PARTIAL_VERSION:  # not True, which equals 1
            raise ValueError(f"partial format {version!r}; this lpdoctor reads version {PARTIAL_VERSION}")
        max_routes = as_count(d.get("max_routes", DEFAULT_MAX_ROUTES), MAX_MAX_ROUTES)
        if max_routes < MIN_MAX_ROUTES:
            raise ValueError(f"max_routes {max_routes}: scan keeps at least {MIN_MAX_ROUTES} routes")
        agg = cls(max_routes=max_routes)
        for r in sized(d["routes"], max_routes + 1):  # the routes kept and the overflow bucket
            rs = RouteStats.from_dict(r)
            if rs.route in agg.routes:
                raise ValueError(f"route {rs.route[:80]!r} twice")
            agg.routes[rs.route] = rs
        for i in sized(d["inputs"], MAX_INPUTS):
            agg.inputs.append(
                InputSummary(
                    path=str(i["path"]),
                    format=str(i["format"]),
                    lines=as_count(i["lines"]),
                    parsed=as_count(i["parsed"]),
                    skipped=as_count(i["skipped"]),
                    skipped_lines=[as_count(n) for n in sized(i["skipped_lines"], InputSummary.MAX_SKIPPED_SHOWN)],
                    warnings=[str(w) for w in sized(i["warnings"], MAX_WARNINGS)],
                    has_timing=bool(i["has_timing"]),
                    kind=str(i["kind"]),
                    first_time=as_time_or_none(i.get("first_time")),
                    last_time=as_time_or_none(i.get("last_time")),
                )
            )
        agg.overflow_requests = as_count(d["overflow_requests"])
        agg.unrouted_errors.update(
            {str(k): as_count(v) for k, v in sized(d["unrouted_errors"], MAX_COUNTER_KEYS).items()}
        )
        agg.outside = as_count(d.get("outside", 0))
        agg.first_time = as_time_or_none(d.get("first_time"))
        agg.last_time = as_time_or_none(d.get("last_time"))
        return agg
