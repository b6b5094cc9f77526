"""A route's requests and failures over time: buckets that double their width past :data:`TIMELINE_BUCKETS` (so
memory stays bounded and any two timelines merge), and when failures of each duration first and last happened."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lpdoctor.model import Outcome
from lpdoctor.scan.partial_values import (
    MAX_TIME,
    as_bucket,
    as_count,
)

# ------------------------------------------------------------------ time

OUTCOME_VALUE = {o: o.value for o in Outcome}
TIMELINE_BUCKETS = 240
"""The most buckets a route's timeline spans: past it, the buckets double their width (1 s, 2 s, 4 s ...)."""
_MAX_WIDTH = 1 << 40


class Timeline:
    """Requests of one route over time, by outcome, in buckets of ``width`` seconds (a power of two).

    Bounded: the buckets from the first to the last never number more than :data:`TIMELINE_BUCKETS`; when a
    request would make them more, every bucket merges with its neighbour (the width doubles). The width is the
    smallest one that holds every request's time, whatever the order they came in, so two timelines merge
    exactly: each is coarsened to the wider of the two, added, and coarsened again if it has to.
    """

    __slots__ = ("counts", "hi", "lo", "width")

    def __init__(self) -> None:
        self.width = 1
        self.counts: dict[str, dict[int, int]] = {}  # outcome -> bucket (time // width) -> requests
        self.lo: int | None = None
        self.hi: int | None = None

    def __bool__(self) -> bool:
        return bool(self.counts)

    def add(self, t: float, outcome: str, n: int = 1) -> None:
        idx = int(t // self.width)
        if self.lo is None or self.hi is None:
            self.lo = self.hi = idx
        elif idx < self.lo or idx > self.hi:
            self.lo, self.hi = min(self.lo, idx), max(self.hi, idx)
            if self.hi - self.lo >= TIMELINE_BUCKETS:
                self._fit()
                idx = int(t // self.width)
        per = self.counts.get(outcome)
        if per is None:
            per = self.counts[outcome] = {}
        per[idx] = per.get(idx, 0) + n

    def _coarsen(self, factor: int) -> None:
        self.width *= factor
        for outcome, per in self.counts.items():
            merged: dict[int, int] = {}
            for idx, n in per.items():
                k = idx // factor
                merged[k] = merged.get(k, 0) + n
            self.counts[outcome] = merged
        if self.lo is not None and self.hi is not None:
            self.lo, self.hi = self.lo // factor, self.hi // factor

    def _fit(self) -> None:
        """Coarsen (the width doubles) until the buckets from the first to the last fit the cap."""
        assert self.lo is not None and self.hi is not None
        factor = 1
        while (self.hi // factor) - (self.lo // factor) >= TIMELINE_BUCKETS:
            factor *= 2
        if factor > 1:
            self._coarsen(factor)

    def merge(self, other: Timeline) -> None:
        if not other.counts:
            return
        if other.width > self.width:
            self._coarsen(other.width // self.width)
        factor = self.width // other.width
        for outcome, theirs in other.counts.items():
            per = self.counts.get(outcome)
            if per is None:
                per = self.counts[outcome] = {}
            for idx, n in theirs.items():
                k = idx // factor
                per[k] = per.get(k, 0) + n
        assert other.lo is not None and other.hi is not None
        lo, hi = other.lo // factor, other.hi // factor
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)
        self._fit()

    def merge_buckets(self, width: int, lo: int, hi: int, outcome: str, buckets: Iterable[tuple[int, int]]) -> None:
        """:meth:`merge` a timeline of one outcome given as its width, first and last bucket and ``(bucket,
        requests)`` pairs (what the fast path's scanner counts of a group), without making it a Timeline."""
        if width > self.width:
            self._coarsen(width // self.width)
        factor = self.width // width
        per = self.counts.get(outcome)
        if per is None:
            per = self.counts[outcome] = {}
        for idx, n in buckets:
            k = idx // factor
            per[k] = per.get(k, 0) + n
        lo, hi = lo // factor, hi // factor
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)
        self._fit()

    def rows(self) -> list[tuple[float, dict[str, int]]]:
        """``(bucket start, requests by outcome)`` for every bucket from the first to the last, empty ones too."""
        if self.lo is None or self.hi is None:
            return []
        return [
            (float(idx * self.width), {o: per[idx] for o, per in sorted(self.counts.items()) if idx in per})
            for idx in range(self.lo, self.hi + 1)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "counts": {o: {str(k): n for k, n in sorted(per.items())} for o, per in sorted(self.counts.items())},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Timeline:
        tl = cls()
        width = as_count(d["width"], _MAX_WIDTH)
        if width < 1 or width & (width - 1):
            raise ValueError("timeline width is not a power of two")
        tl.width = width
        limit = int(MAX_TIME)
        for outcome, per in d["counts"].items():
            if outcome not in OUTCOME_VALUE.values():
                raise ValueError(f"unknown outcome {outcome!r}")
            buckets = {as_bucket(k, limit): as_count(n) for k, n in per.items()}
            if 0 in buckets.values():
                raise ValueError("empty timeline bucket")
            if buckets:
                tl.counts[str(outcome)] = buckets
                lo, hi = min(buckets), max(buckets)
                tl.lo = lo if tl.lo is None else min(tl.lo, lo)
                tl.hi = hi if tl.hi is None else max(tl.hi, hi)
        if tl.lo is not None and tl.hi is not None and tl.hi - tl.lo >= TIMELINE_BUCKETS:
            raise ValueError("timeline wider than its cap")
        return tl


NO_DURATION_BIN = -1


def failure_bin(seconds: float | None) -> int:
    """The coarse bin of a failure's duration for :attr:`RouteStats.failure_times`: whole seconds below
    10 min, 10 s to an hour, then doubling; :data:`NO_DURATION_BIN` when the line has no duration."""
    if seconds is None:
        return NO_DURATION_BIN
    if seconds < 600.0:
        return int(seconds + 0.5)
    if seconds < 3600.0:
        return int(seconds / 10.0 + 0.5) * 10
    k = 0
    while k < 100 and seconds >= 7200.0 * (1 << k):
        k += 1
    return 3600 * (1 << k)


def add_failure_time(m: dict[int, list[float]], key: int, first: float, last: float, n: float) -> None:
    cur = m.get(key)
    if cur is None:
        m[key] = [first, last, n]
    else:
        if first < cur[0]:
            cur[0] = first
        if last > cur[1]:
            cur[1] = last
        cur[2] += n
