"""Sparse fixed-bin duration histograms (1 ms bins below 1 s, 10 ms below 10 s, 0.1 s below 100 s, 1 s up to an
hour, 10 s above): bounded, mergeable, exact percentiles at the bins' resolution."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lpdoctor.scan.partial_values import as_count, as_duration_or_none, as_seconds, sized
from lpdoctor.text.durations import MAX_REQUEST_S


def bin_key(seconds: float) -> int:
    """Histogram bin of a duration: the bin's value in whole milliseconds, rounded at the bin's resolution."""
    if seconds < 1.0:
        return int(seconds * 1000.0 + 0.5)
    if seconds < 10.0:
        return int(seconds * 100.0 + 0.5) * 10
    if seconds < 100.0:
        return int(seconds * 10.0 + 0.5) * 100
    if seconds < 3600.0:
        return int(seconds + 0.5) * 1000
    if seconds < 10_000_000.0:
        return int(seconds / 10.0 + 0.5) * 10_000
    return 10_000_000_000


def bin_value(key: int) -> float:
    return key / 1000.0


class Histogram:
    """A sparse histogram of durations with exact count, min and max."""

    __slots__ = ("bins", "count", "max", "min", "total")

    def __init__(self) -> None:
        self.bins: dict[int, int] = {}
        self.count = 0
        self.total = 0.0
        self.min: float | None = None
        self.max: float | None = None

    def add(self, seconds: float, n: int = 1) -> None:
        self.add_all(((seconds, n),))

    def add_all(self, times: Iterable[tuple[float, int]]) -> None:
        """:meth:`add` each ``(seconds, requests)`` of ``times``, in order (the same sums, one call)."""
        bins, count, total, lo, hi = self.bins, self.count, self.total, self.min, self.max
        for seconds, n in times:
            k = bin_key(seconds)
            bins[k] = bins.get(k, 0) + n
            count += n
            total += seconds * n
            if lo is None or seconds < lo:
                lo = seconds
            if hi is None or seconds > hi:
                hi = seconds
        self.count, self.total, self.min, self.max = count, total, lo, hi

    def merge(self, other: Histogram) -> None:
        bins = self.bins
        if not bins:
            bins.update(other.bins)  # the same counts, in the same order, without a lookup each
        else:
            get = bins.get
            for k, v in other.bins.items():
                bins[k] = get(k, 0) + v
        self.count += other.count
        self.total += other.total
        if other.min is not None and (self.min is None or other.min < self.min):
            self.min = other.min
        if other.max is not None and (self.max is None or other.max > self.max):
            self.max = other.max

    def items(self) -> list[tuple[float, int]]:
        return [(k / 1000.0, v) for k, v in sorted(self.bins.items())]  # bin_value(k), inlined

    def quantile(self, q: float) -> float | None:
        if self.count == 0:
            return None
        target = q * self.count
        seen = 0
        bins = self.bins
        key = 0
        for key in sorted(bins):  # (items() would make a pair of every bin: 3 quantiles a route)
            seen += bins[key]
            if seen >= target:
                break
        last = bin_value(key)
        if self.max is not None:
            last = min(last, self.max)
        if self.min is not None:
            last = max(last, self.min)
        return last

    def count_between(self, lo: float, hi: float) -> int:
        return sum(n for v, n in self.items() if lo <= v <= hi)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bins": {str(k): v for k, v in sorted(self.bins.items())},
            "count": self.count,
            "total": self.total,
            "min": self.min,
            "max": self.max,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Histogram:
        h = cls()
        h.bins = {as_count(k, MAX_BIN_KEY): as_count(v) for k, v in sized(d["bins"], MAX_BIN_KEY + 1).items()}
        h.count = as_count(d["count"])
        h.total = as_seconds(d["total"])
        h.min = as_duration_or_none(d["min"])
        h.max = as_duration_or_none(d["max"])
        if 0 in h.bins.values() or h.count != sum(h.bins.values()) or (h.min is None) != (h.count == 0):
            raise ValueError("histogram counts do not add up")
        if h.total > h.count * MAX_REQUEST_S:
            raise ValueError("histogram total above what its requests can have lasted")
        if h.min is not None and h.max is not None and h.min > h.max:
            raise ValueError("histogram minimum above its maximum")
        return h


# Reading an aggregate back (from_dict): a partial is a file, so every number is checked to be one the
# analysis can use, and anything else raises ValueError or TypeError ("damaged partial", not a crash later).


def hist_map_to_dict(m: dict[str, Histogram]) -> dict[str, Any]:
    return {k: h.to_dict() for k, h in sorted(m.items())}


def hist_map_from_dict(d: dict[str, Any]) -> dict[str, Histogram]:
    return {k: Histogram.from_dict(v) for k, v in d.items()}


def merge_hist_map(a: dict[str, Histogram], b: dict[str, Histogram]) -> None:
    for k, h in b.items():
        if k in a:
            a[k].merge(h)
        else:
            n = Histogram()
            n.merge(h)
            a[k] = n


MAX_BIN_KEY = bin_key(MAX_REQUEST_S)
