"""What hold a request asks for: from the known-protocol catalog, or from a generic parameter.

Matrix ``/sync?timeout=30000`` asks for 30 s (milliseconds), Consul ``?index=7&wait=5m`` for 5 min,
ElectricSQL ``/v1/shape?live=true`` gets the server's fixed 20 s. A generic ``timeout``/``wait``/``hold``
parameter is read with its unit inferred (``15s`` is a duration; ``30000`` is milliseconds, ``25`` seconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_plus

from lpdoctor import catalog
from lpdoctor.text.durations import DurationError, parse_duration


@dataclass(frozen=True, slots=True)
class RequestedHold:
    seconds: float  # 0 means a short poll (e.g. Matrix's first /sync)
    protocol: str | None  # catalog id, or None for a generic parameter
    param: str | None
    unit: str | None
    max_s: float | None = None
    jitter: float = 0.0

    def describe(self) -> str:
        if self.protocol and self.param:
            return f"{self.protocol}: {self.param} in {self.unit}"
        if self.protocol:
            return f"{self.protocol}: server-side hold"
        return f"{self.param}= ({self.unit})"


def parse_query(query: str, limit: int = 64) -> dict[str, str]:
    out: dict[str, str] = {}
    if not query:
        return out
    for i, part in enumerate(query.split("&")):
        if i >= limit:
            break
        name, _, value = part.partition("=")
        if name and name not in out:
            out[unquote_plus(name)[:128]] = value[:256]
    return out


def _read_value(raw: str, unit: str) -> tuple[float, str] | None:
    value = unquote_plus(raw).strip()
    if not value or len(value) > 32:
        return None
    try:
        if unit == "duration":
            return parse_duration(value, default_unit="s"), "duration"
        if unit in ("ms", "s"):
            return parse_duration(value, default_unit=unit), unit
        # auto: a unit suffix wins; a bare number is ms from 1000 up, seconds below.
        if value.replace(".", "", 1).isdecimal():
            number = float(value)
            if number >= 1000:
                return number / 1000.0, "ms"
            return number, "s"
        return parse_duration(value, default_unit="s"), "duration"
    except (DurationError, ValueError, OverflowError):
        return None


_GLOBAL_FLAGS = re.compile(r"\(\?([ims]+)\)")
_FLAG_OF = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


def any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One regular expression that finds a match (``search``) in a text exactly when one of ``patterns`` does:
    each is an alternative of its own, its leading global flags (``(?i)``) made the group's. None when one of
    them cannot be put in a group so (flags given to re.compile, ``(?x)``, a flag elsewhere): then each is
    tried on its own."""
    parts = []
    for p in patterns:
        text, flags = p.pattern, p.flags & ~re.UNICODE
        lead = _GLOBAL_FLAGS.match(text)
        if lead is None and flags == 0:
            parts.append(f"(?:{text})")
        elif lead is not None and sum({_FLAG_OF[c] for c in lead.group(1)}) == flags:
            parts.append(f"(?{lead.group(1)}:{text[lead.end() :]})")
        else:
            return None
    try:
        return re.compile("|".join(parts) or "(?!)")
    except re.error:
        return None


class HoldMatcher:
    """Finds the requested hold of a request. Protocol candidates are computed once per route."""

    def __init__(self) -> None:
        self._protocols = catalog.protocols()
        # Most routes are no protocol's: one search says so, instead of one a protocol.
        self._any_path = any_of([p.path for p in self._protocols])
        self._generic = catalog.generic_params()
        self._by_route: dict[str, tuple[catalog.Protocol, ...]] = {}
        # Any generic parameter name, as a substring: most queries have none, and then need no parsing.
        self._generic_names = re.compile("|".join(re.escape(g.name) for g in self._generic) or "(?!)")

    def _candidates(self, route: str) -> tuple[catalog.Protocol, ...]:
        c = self._by_route.get(route)
        if c is None:
            if len(self._by_route) > 16384:
                self._by_route.clear()
            if self._any_path is not None and self._any_path.search(route) is None:
                c = ()
            else:
                c = tuple(p for p in self._protocols if p.path.search(route))
            self._by_route[route] = c
        return c

    def names(self, route: str) -> frozenset[str]:
        """The query parameters :meth:`match` reads for ``route``, when the query has no ``%``-escape and at
        most 64 parameters: then every other parameter can be left out of the query without changing what it
        returns (the fast path groups queries by these alone)."""
        names = {g.name for g in self._generic}
        for proto in self._candidates(route):
            names.update(proto.require)
            if proto.param:
                names.add(proto.param)
        return frozenset(names)

    def present(self, route: str) -> frozenset[str]:
        """Those of :meth:`names` whose value :meth:`match` reads only as empty or not, in a query without a
        line break: a protocol requires them with ``.+`` (a Consul ``index``) and nothing reads them otherwise (no
        candidate's hold parameter, no generic parameter). The fast path groups their values as one."""
        read = {g.name for g in self._generic}
        only: set[str] = set()
        for proto in self._candidates(route):
            if proto.param:
                read.add(proto.param)
            for name, rx in proto.require.items():
                (only if rx.pattern == ".+" else read).add(name)
        return frozenset(only - read)

    def match(self, route: str, query: str) -> RequestedHold | None:
        candidates = self._candidates(route)
        params: dict[str, str] | None = None
        for proto in candidates:
            if proto.require or proto.param:
                if params is None:
                    params = parse_query(query)
                if any(name not in params or not rx.search(params[name]) for name, rx in proto.require.items()):
                    continue
            if proto.param and params is not None and proto.param in params:
                read = _read_value(params[proto.param], proto.unit or "auto")
                if read is None:
                    continue
                seconds = read[0]
                if proto.max_s is not None:
                    seconds = min(seconds, proto.max_s)
                return RequestedHold(seconds, proto.id, proto.param, proto.unit, proto.max_s, proto.jitter)
            if proto.default_s is None:
                continue
            return RequestedHold(float(proto.default_s), proto.id, proto.param, proto.unit, proto.max_s, proto.jitter)
        if not query:
            return None
        if "%" not in query and not self._generic_names.search(query):
            return None  # no generic parameter can be in it (only %-escapes could hide a name)
        if params is None:
            params = parse_query(query)
        for g in self._generic:
            if g.name in params:
                read = _read_value(params[g.name], g.unit)
                if read is not None and read[0] <= 86400:
                    return RequestedHold(read[0], None, g.name, read[1])
        return None
