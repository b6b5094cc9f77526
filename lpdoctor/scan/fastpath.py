"""The compiled fast path for the commonest logs: nginx ``combined`` (alone, with the positional timing tail, or
with the samples' ``key=value`` tail ``rt= uct="" uht="" urt="" us="" ua=""``), nginx, Caddy, Traefik and Envoy
JSON lines, Apache combined + ``%D``, HAProxy ``option httplog`` and ``option tcplog``, AWS ALB, Sōzune (its text access lines, and its
JSON ones, ``log.format: json``: a line starting with ``{`` is walked with ``sozune_log.FAST_KEYS``, the others
read as text, in one scanner), and the text formats that state their layouts (``fields``: a user's nginx
``log_format``, ingress-nginx, Traefik CLF, Heroku, Envoy and Istio text, Sōzu). nginx's error log
(``nginx_error``) too: the scanner counts and times the lines that add nothing but their time (no request and
none of the kinds lpdoctor knows: closed keepalive connections, notices), groups the lines about a request in the
shape nginx writes them (by route, requested hold, kind, action, host and server: what
:meth:`~lpdoctor.scan.aggregate.ScanAggregate.add_error` reads), and leaves every other line to the reader.
Caddy's runtime log (``caddy_runtime``) alike: the entries of loggers other than ``http.log.error`` are counted
and timed, the ``http.log.error`` entries with a request target grouped by route, hold, the first of the kinds'
words in their message and their request's host (``caddy_log.RUNTIME_FAST_KEYS``).

Reading a line in Python costs 11-50 µs; a big log has millions. For the formats whose :class:`LogFormat`
names a ``fast`` shape, the C scanner (``lpdoctor/scan/_combined_fast.c``) reads the blocks instead. It
decides nothing itself: it groups the lines that the Python code would treat alike — same route (it asks
:func:`~lpdoctor.scan.routes.segment_template` once per distinct segment shape), method, status, upstream
status (and, for the ``key=value`` tail, whether the upstream sent its header), requested hold (it asks
:class:`~lpdoctor.catalog.holds.HoldMatcher`, once per route and distinct value of the parameters the hold
depends on) and, for HAProxy and JSON, the other fields the reader reads (the termination state, captured
headers; the host and upstream fields, as their bytes) — and counts each group's request and upstream times
and what :class:`~lpdoctor.scan.aggregate.RouteStats` keeps of their lines' times (:class:`GroupTimes`). The
first line of each group goes through the format's own Python parser and the aggregate's own
:meth:`~lpdoctor.scan.aggregate.ScanAggregate.add_request`, once for the whole group. Lines of any other
shape go through the Python parser one by one, in their place. The aggregate is the one the Python path gives
(tests/test_fastpath.py compares them on the same logs, for every shape).

Without the compiled module (a platform without a C compiler at install time), or with ``LPDOCTOR_NO_FAST=1``
in the environment, every line takes the Python path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

from lpdoctor.catalog.holds import HoldMatcher, RequestedHold
from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.caddy_log import FAST_KEYS as CADDY_FAST_KEYS
from lpdoctor.logformats.caddy_log import RUNTIME_FAST_KEYS as CADDY_RUNTIME_FAST_KEYS
from lpdoctor.logformats.envoy_log import FAST_ALIASES as ENVOY_FAST_ALIASES
from lpdoctor.logformats.envoy_log import FAST_KEYS as ENVOY_FAST_KEYS
from lpdoctor.logformats.layout import CHARS, TextLayout, char_class, char_set
from lpdoctor.logformats.logs import parse_line, read_line
from lpdoctor.logformats.nginx_access import ALIASES, FAST_ROLES
from lpdoctor.logformats.nginx_error import PYTHON_NEEDLES as NGINX_ERROR_NEEDLES
from lpdoctor.logformats.sozune_log import FAST_ALIASES as SOZUNE_FAST_ALIASES
from lpdoctor.logformats.sozune_log import FAST_KEYS as SOZUNE_FAST_KEYS
from lpdoctor.logformats.traefik_log import FAST_KEYS as TRAEFIK_FAST_KEYS
from lpdoctor.model import ErrorEvent, InputSummary, RequestRecord
from lpdoctor.scan.aggregate import GroupTimes, ScanAggregate, Times
from lpdoctor.scan.partial_values import MAX_TIME
from lpdoctor.scan.routes import normalize_path, segment_template
from lpdoctor.text.durations import MAX_REQUEST_S
from lpdoctor.text.inputs import decode_line, use_newline_counter

try:
    from lpdoctor.scan import _combined_fast
except ImportError:  # pragma: no cover - only where the extension could not be built
    _combined_fast = None  # type: ignore[assignment]
else:
    use_newline_counter(_combined_fast.newlines)

# Hand the groups to the aggregate when this many are waiting: bounds the memory between two hand-overs
# (about 0.5 kB a waiting group). A group whose key was handed over before costs no parse the next time.
_TAKE_EVERY = 8_192
_TAKE_BATCH = 1_024  # groups made Python values at once by a hand-over
_ALIKE_KEPT = 2_048  # group keys whose first record is kept (for a key that comes back after a hand-over)
# The formats' shapes the scanner reads (LogFormat.fast).
_SHAPES = (
    "combined",
    "timing",
    "kv",
    "apache",
    "haproxy",
    "haproxy_tcp",
    "json",
    "caddy",
    "alb",
    "sozune",
    "traefik",
    "envoy",
    "fields",
    "nginx_error",
    "caddy_runtime",
)
# The scanner's values are whole units of these (milliseconds, microseconds, nanoseconds) a second.
_PER_SECOND = {
    "apache": 1_000_000,
    "json": 1_000_000_000,
    "caddy": 1_000_000_000,
    "alb": 1_000_000,
    "traefik": 1_000_000_000,
    "envoy": 1_000_000_000,
    "fields": 1_000_000_000,
}
# The shapes the scanner walks as JSON with a key table (json_keys), other than nginx's: the reader's table, and
# its aliases (a key the reader reads in place of another: it shares that key's variable, so a line with both
# goes to Python, where the reader's order decides).
_KEY_TABLES: dict[str, tuple[tuple[tuple[str, str, bool, str], ...], dict[str, str]]] = {
    "caddy": (CADDY_FAST_KEYS, {}),
    "caddy_runtime": (CADDY_RUNTIME_FAST_KEYS, {}),
    "traefik": (TRAEFIK_FAST_KEYS, {}),
    "envoy": (ENVOY_FAST_KEYS, ENVOY_FAST_ALIASES),
    "sozune": (SOZUNE_FAST_KEYS, SOZUNE_FAST_ALIASES),  # its JSON lines (its text lines have no table)
}
# The C scanner's J_* roles (_combined_fast.c), by the names nginx_access.FAST_ROLES uses.
_JSON_ROLES = {
    "skip": 0,
    "key": 1,
    "request": 2,
    "status": 3,
    "duration": 4,
    "response": 5,
    "presence": 6,
    "upstream": 7,
    "time": 8,
    "python": 9,
    "object": 10,
    "target": 11,
    "equals": 12,
    "prefix": 13,
    "seconds": 14,
    "epoch": 15,
    "units": 16,
    "start": 17,
    "clf": 18,
    "decimal": 19,
    "clf_start": 20,
    "time_alt": 21,
    "ms_sum": 22,
    "iso_utc": 23,
    "iso_start": 24,
    "method": 25,
    "duration_unit": 26,
    "response_unit": 27,
    "check_unit": 28,
    "status_http": 29,
    "text": 30,
    "int_status": 31,
    "int_units": 32,
    "needles": 33,
    "prefix_flag": 34,
    "one_of": 35,
}


def json_keys(shape: str, exact: Mapping[str, str] | None = None) -> list[tuple[bytes, int, int, bool, bytes, bool]]:
    """What the scanner does with each JSON key the reader reads: ``(name, role, variable, required, expected
    text, exact)``. nginx JSON (``json``): a JSON log_format's own keys (``exact``, key → nginx variable: looked
    up as they are, first), then every key ``nginx_access.ALIASES`` names, lower case (the reader looks those up
    lower-cased), the variable being the one it sets (each its own: a line with one twice keeps the last, as
    the reader does); ``$request`` and ``$status`` are required. Caddy (``caddy``): ``caddy_log.FAST_KEYS``,
    nested keys named ``request.uri``. Traefik (``traefik``): ``traefik_log.FAST_KEYS``. Envoy (``envoy``):
    ``envoy_log.FAST_KEYS``, and each of ``envoy_log.FAST_ALIASES`` with the role and variable of the key it
    stands in for. Sōzune (``sozune``, its JSON lines): ``sozune_log.FAST_KEYS`` and ``FAST_ALIASES`` (the same
    keys under ``fields``). Any other key is not read."""
    if shape in _KEY_TABLES:
        table, aliases = _KEY_TABLES[shape]
        out = [
            (name.encode("ascii"), _JSON_ROLES[role], n, required, expect.encode("ascii"), False)
            for n, (name, role, required, expect) in enumerate(table)
        ]
        index = {name: n for n, (name, *_) in enumerate(table)}
        for alias, name in aliases.items():
            _, role, required, expect = table[index[name]]
            out.append((alias.encode("ascii"), _JSON_ROLES[role], index[name], required, expect.encode("ascii"), False))
        return out
    variables: dict[str, int] = {}
    out = []
    keys = [(name, var, True) for name, var in (exact or {}).items()] + [
        (name, var, False) for name, var in sorted(ALIASES.items())
    ]
    for name, var, is_exact in keys:
        role = FAST_ROLES.get(var, "skip")
        required = var in ("request", "status")
        slot = variables.setdefault(var, len(variables))
        out.append((name.encode("ascii"), _JSON_ROLES[role], slot, required, b"", is_exact))
    return out


def text_layouts(layouts: tuple[TextLayout, ...]) -> list[tuple[list[tuple[Any, ...]], bytes, bool]]:
    """What the scanner does with each field of a format's text layouts (``fast == "fields"``), tried in order: for
    each, its fields, each ``(literal before it, role, variable, multi, chars, dash, min, max, set)`` (a variable a
    number of its own for each field that is read; ``set`` a set's bitmap, or b""), the literal after the last
    field, and whether the line ends there."""
    return [text_fields(layout) for layout in layouts]


def text_fields(layout: TextLayout) -> tuple[list[tuple[Any, ...]], bytes, bool]:
    """One layout of :func:`text_layouts`."""
    read = [field.name for field in layout.fields if field.role != "skip"]
    fields = [
        (
            field.before.encode("ascii"),
            _JSON_ROLES[field.role],
            read.index(field.name) if field.name in read else 0,
            field.multi,
            CHARS.index(char_class(field)),
            field.dash,
            field.min,
            field.max,
            char_set(field),
        )
        for field in layout.fields
    ]
    return fields, layout.after.encode("ascii"), layout.end == "exact"


def compiled() -> bool:
    """Whether the compiled path runs here (the module was built, and ``LPDOCTOR_NO_FAST`` does not turn it off)."""
    return _combined_fast is not None and os.environ.get("LPDOCTOR_NO_FAST", "") in ("", "0")


def available(fmt: LogFormat | None) -> bool:
    """Whether the fast path reads ``fmt`` here."""
    return fmt is not None and fmt.fast in _SHAPES and compiled()


class _Holds:
    """The requested hold of a (route, query) as a small number: requests asking for the same hold group."""

    def __init__(
        self,
        matcher: HoldMatcher | None = None,
        match: Callable[[str, str], RequestedHold | None] | None = None,
    ) -> None:
        """``match``: what finds the hold (default ``matcher.match``): the aggregate's remembering
        :meth:`~lpdoctor.scan.aggregate.ScanAggregate.hold_of`, which then knows the hold of a new route's
        request without a query when its first group is handed over."""
        self._matcher = matcher if matcher is not None else HoldMatcher()
        self._match = match if match is not None else self._matcher.match
        self.names = self._matcher.names
        self.present = self._matcher.present
        self._ids: dict[RequestedHold | None, int] = {None: 0}

    def key(self, route: str, query: str) -> int:
        hold = self._match(route, query)
        n = self._ids.get(hold)
        if n is None:
            n = self._ids[hold] = len(self._ids)
        return n


def _taken(scanner: _combined_fast.Scanner) -> Iterator[object]:
    """Every group and record the scanner holds, a batch of :data:`_TAKE_BATCH` at a time: each batch's Python
    values (up to 262 144 counted durations a hand-over, ~170 bytes each) are freed before the next is made."""
    while batch := scanner.take(_TAKE_BATCH):
        yield from batch


def _new_scanner(fmt: LogFormat, holds: _Holds, since: float | None, until: float | None) -> _combined_fast.Scanner:
    templates: dict[str, str] = {}
    shape = fmt.fast
    assert shape is not None
    layout: dict[str, Any] = {}
    if shape == "fields":
        assert fmt.layouts
        layout = {"text_layouts": text_layouts(fmt.layouts)}
    elif shape == "nginx_error":
        layout = {"needles": [needle.encode("ascii") for needle in NGINX_ERROR_NEEDLES]}
    return _combined_fast.Scanner(
        segment_template=segment_template,
        route_template=lambda path: normalize_path(path, templates),
        hold_key=holds.key,
        hold_names=holds.names,
        hold_present=holds.present,
        shape=shape,
        since=since,
        until=until,
        max_time=MAX_TIME,
        json_keys=json_keys(shape, fmt.json_keys) if shape == "json" or shape in _KEY_TABLES else None,
        fold_case=shape == "json",
        per_second=_PER_SECOND.get(shape, 1000),
        max_duration=MAX_REQUEST_S,
        **layout,
    )


def discover_routes(
    blocks: Iterator[tuple[int, bytes]], fmt: LogFormat, limit: int, window: tuple[float | None, float | None]
) -> list[str]:
    """The first ``limit`` distinct routes of the lines in ``blocks`` (within ``window``), in the order an aggregate
    reading them meets them, or fewer when they hold fewer: the scanner only makes each line's route (no group, no
    hold, no parse). Lines the scanner leaves to the Python parser are passed over, so the list may miss a route
    of theirs (or, past it, hold one more the aggregate would not keep): see
    :class:`~lpdoctor.scan.aggregate.ScanAggregate`'s ``seen``."""
    assert _combined_fast is not None and fmt.fast in _SHAPES
    scanner = _new_scanner(fmt, _Holds(), *window)
    scanner.discover()
    for stop, *_ in _scanned(scanner, blocks):  # a line of another shape is passed over
        if stop == _combined_fast.SCAN_FULL:  # (no groups are made: only records would fill it)
            scanner.take()
        elif stop == _combined_fast.SCAN_END and scanner.route_count >= limit:
            break
    return scanner.routes()[:limit]


def _scanned(
    scanner: _combined_fast.Scanner, blocks: Iterator[tuple[int, bytes]]
) -> Iterator[tuple[int, bytes, int, int, int]]:
    """Run ``scanner`` over ``blocks``, stopping where the caller acts, as ``(stop, block, start, end, line_no)``:
    ``SCAN_FULL`` when its groups must be taken before it scans on; ``SCAN_PYTHON`` for a line of another shape,
    ``block[start:end]`` (line ``line_no``), which the scanner steps over when asked for the next stop; and
    ``SCAN_END`` at the end of each block."""
    assert _combined_fast is not None
    for line_no, block in blocks:
        pos = 0
        while True:
            pos, lines, stop = scanner.scan(block, pos, line_no)
            line_no += lines
            if stop != _combined_fast.SCAN_PYTHON:
                yield stop, block, pos, pos, line_no
                if stop == _combined_fast.SCAN_END:
                    break
                continue
            end = block.find(b"\n", pos)
            end = len(block) if end < 0 else end + 1
            yield stop, block, pos, end, line_no
            pos, line_no = end, line_no + 1


def aggregate_blocks(
    blocks: Iterator[tuple[int, bytes]], fmt: LogFormat, agg: ScanAggregate, summary: InputSummary, source: str
) -> int:
    """Read ``blocks`` (see :func:`~lpdoctor.text.inputs.iter_blocks`) of a ``fmt`` log into ``agg``,
    counting parsed and skipped lines on ``summary``. Returns how many requests had a duration."""
    shape = fmt.fast
    assert _combined_fast is not None and shape in _SHAPES
    parse = fmt.parser()
    per_second = _PER_SECOND.get(shape, 1000)  # int / int: the double nearest the value, as float() reads it
    scanner = _new_scanner(fmt, _Holds(agg.hold_matcher, agg.hold_of), agg.since, agg.until)
    timed = 0
    errors = shape in ("nginx_error", "caddy_runtime")  # error logs: their groups are events
    alike: dict[_combined_fast.GroupKey, RequestRecord | ErrorEvent] = {}
    closed = False

    def close_routes() -> None:
        """Once the aggregate takes no new route (its cap is reached), the scanner groups the lines of the routes
        it turns away as the overflow bucket's: no parse, stats or hold lookup a refused route."""
        nonlocal closed
        kept = agg.kept_routes()
        if kept is not None:
            scanner.close_routes(kept, agg.refused is not None)
            closed = True

    def hand_over() -> None:
        """Take the scanner's groups, and the records of the lines it left to the parser, in their order."""
        nonlocal timed
        for entry in _taken(scanner):
            if isinstance(entry, RequestRecord | ErrorEvent):  # a line of another shape, parsed in Python
                timed += agg.add_parsed(entry)
                continue
            first, line_no, n, request_ms, upstream_ms, key, when = cast("_combined_fast.Group", entry)
            summary.parsed += n
            known = alike.get(key)
            if known is None:
                # The first group with this key: its first line, read by the parser, stands for every line
                # with this key from now on (what add_request reads of it is what the key holds).
                parsed = parse_line(parse, decode_line(first), line_no, source)
                # the scanner only groups lines the parser reads (of an error log, those about a request)
                if errors:
                    if not isinstance(parsed, ErrorEvent) or not parsed.target:
                        raise RuntimeError(f"{source}:{line_no}: the fast path grouped a line without a request")
                elif not isinstance(parsed, RequestRecord):
                    raise RuntimeError(f"{source}:{line_no}: the fast path grouped a line the parser does not read")
                known = parsed
                if n > 1:  # a group of one line (a junk URL, say) is unlikely to come again
                    if len(alike) >= _ALIKE_KEPT:
                        alike.clear()
                    alike[key] = known
            if isinstance(known, ErrorEvent):  # error-log lines alike (the scanner applied the window)
                agg.add_errors(known, n)
                continue
            rec = known
            # The scanner's values are whole units (negative: the line had none); Python divides them as the
            # parser does (1234 / 1000 is the double nearest 1.234, which float("1.234") is too).
            durations: Times = (
                [(v / per_second if v >= 0 else None, k) for v, k, _, _ in request_ms] if request_ms else [(None, n)]
            )
            timed += sum(k for v, k, _, _ in request_ms if v >= 0)
            responses = [(v / per_second if v >= 0 else None, k) for v, k in upstream_ms] if upstream_ms else None
            at: GroupTimes | None = None
            if when is not None:
                lo_t, hi_t, width, lo, hi, buckets = when
                spans: list[tuple[float | None, float, float, int]] = (
                    [
                        (v / per_second if v >= 0 else None, a, b, k)
                        for v, k, a, b in request_ms
                        if a is not None and b is not None
                    ]
                    if request_ms
                    else [(None, lo_t, hi_t, n)]
                )
                at = GroupTimes(lo_t, hi_t, width, lo, hi, buckets, spans)
            agg.add_request(rec, n, durations, responses, at, routed=True, route=key[0])
        if agg.refused is not None:
            for route in scanner.refused():
                agg.refused.add(route)
        if not closed:
            close_routes()
        outside, outside_timed, seen_lo, seen_hi = scanner.window()
        summary.parsed += outside + scanner.quiet()
        timed += outside_timed
        agg.outside += outside
        agg.outside_window(seen_lo, 0)  # the inputs' time range
        agg.outside_window(seen_hi, 0)

    close_routes()
    for stop, block, start, end, line_no in _scanned(scanner, blocks):
        if stop == _combined_fast.SCAN_FULL:
            hand_over()
        elif stop == _combined_fast.SCAN_END:
            if scanner.pending >= _TAKE_EVERY:
                hand_over()
        else:  # a line of another shape: the Python parser reads it, in its place among the groups
            rec = read_line(parse, decode_line(block[start:end]), line_no, source, summary)
            if rec is not None:
                scanner.add_record(rec)
    hand_over()
    return timed
