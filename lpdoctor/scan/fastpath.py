"""The compiled fast path for the commonest logs: nginx ``combined``, alone, with the positional timing tail, or with
the samples' ``key=value`` tail (``rt= uct="" uht="" urt="" us="" ua=""``).

Reading a line in Python costs about 11 µs; a big log has millions. For the formats whose :class:`LogFormat`
names a ``fast`` shape, the C scanner (``lpdoctor/scan/_combined_fast.c``) reads the blocks instead. It
decides nothing itself: it groups the lines that the Python code would treat alike — same route (it asks
:func:`~lpdoctor.scan.routes.segment_template` once per distinct segment shape), method, status, upstream
status (and, for the ``key=value`` tail, whether the upstream sent its header) and requested hold (it asks
:class:`~lpdoctor.catalog.holds.HoldMatcher`, once per route and distinct value of the parameters the hold
depends on) — and counts each group's request and upstream times. Here, the first line of each group goes through the format's own Python parser and the
aggregate's own :meth:`~lpdoctor.scan.aggregate.ScanAggregate.add_request`, once for the whole group.
Lines of any other shape go through the Python parser one by one, in their place. The aggregate is the one
the Python path gives (tests/test_fastpath.py compares them on the same logs).

Without the compiled module (a platform without a C compiler at install time), or with ``LPDOCTOR_NO_FAST=1``
in the environment, every line takes the Python path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any, cast

from lpdoctor.catalog.holds import HoldMatcher, RequestedHold
from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.logs import parse_line, read_line
from lpdoctor.logformats.nginx_access import _TimeCache
from lpdoctor.model import ErrorEvent, InputSummary, RequestRecord
from lpdoctor.scan.aggregate import ScanAggregate, Times
from lpdoctor.scan.routes import normalize_path, segment_template
from lpdoctor.text.inputs import decode_line

try:
    from lpdoctor.scan import _combined_fast
except ImportError:  # pragma: no cover - only where the extension could not be built
    _combined_fast = None  # type: ignore[assignment]

# Hand the groups to the aggregate when this many are waiting: bounds the memory between two hand-overs
# (about 0.5 kB a waiting group). A group whose key was handed over before costs no parse the next time.
_TAKE_EVERY = 8_192
_ALIKE_KEPT = 2_048

# Times: the scanner's groups do not carry the time of their lines, so each block is cut into runs of lines
# logged in the same second (the same ``[$time_local]``, read where the parser reads it: after the first three
# space-free fields; looser than the parser in its lengths, so every line the parser reads matches), and the
# groups are handed over at the end of each run, all of them with the run's time.
_FIELD = rb"[^ \n]{1,1024} [^ \n]{1,1024} [^ \n]{1,1024} \["
_RUN = re.compile(_FIELD + rb"([^\]\n]{1,256})\] [^\n]*(?:\n|\Z)(?:" + _FIELD + rb"\1\] [^\n]*(?:\n|\Z))*")
_TIMES_KEPT = 4_096
_RUNS_KEPT = 65_536  # (group, time) pairs kept between two hand-overs: bounds their memory


def available(fmt: LogFormat | None) -> bool:
    """Whether the fast path reads ``fmt`` here."""
    return (
        fmt is not None
        and fmt.fast in ("combined", "timing", "kv")
        and _combined_fast is not None
        and os.environ.get("LPDOCTOR_NO_FAST", "") in ("", "0")
    )


class _Holds:
    """The requested hold of a (route, query) as a small number: requests asking for the same hold group."""

    def __init__(self) -> None:
        self._matcher = HoldMatcher()
        self.names = self._matcher.names
        self._ids: dict[RequestedHold | None, int] = {None: 0}

    def key(self, route: str, query: str) -> int:
        hold = self._matcher.match(route, query)
        n = self._ids.get(hold)
        if n is None:
            n = self._ids[hold] = len(self._ids)
        return n


def aggregate_blocks(
    blocks: Iterator[tuple[int, bytes]], fmt: LogFormat, agg: ScanAggregate, summary: InputSummary, source: str
) -> int:
    """Read ``blocks`` (see :func:`~lpdoctor.text.inputs.iter_blocks`) of a ``fmt`` log into ``agg``,
    counting parsed and skipped lines on ``summary``. Returns how many requests had a duration."""
    assert _combined_fast is not None and fmt.fast in ("combined", "timing", "kv")
    parse = fmt.parser()
    templates: dict[str, str] = {}
    holds = _Holds()
    scanner = _combined_fast.Scanner(
        segment_template=segment_template,
        route_template=lambda path: normalize_path(path, templates),
        hold_key=holds.key,
        hold_names=holds.names,
        timing=fmt.fast in ("timing", "kv"),
        kv=fmt.fast == "kv",
    )
    timed = 0
    alike: dict[_combined_fast.GroupKey, RequestRecord] = {}
    times: dict[bytes, float | None] = {}  # a run's $time_local -> the time the parser reads in it
    clock = _TimeCache()  # the parser's own reading of $time_local (the only time a fast-path line states)

    # What the runs gave since the last hand-over, in the order the scanner would give it: each group key once,
    # at its first place, with its lines' times run by run; each line of another shape at its place.
    pending: dict[Any, Any] = {}

    runs = 0  # (group, time) pairs waiting in pending

    def collect(stamp: bytes | None) -> None:
        """Take the scanner's groups after a run of lines logged at one time (``stamp``)."""
        nonlocal timed, runs
        at: float | None = None
        if stamp is not None:
            if stamp in times:
                at = times[stamp]
            else:  # what the parser makes of the same ``$time_local``, once per distinct one
                if len(times) >= _TIMES_KEPT:
                    times.clear()
                at = times[stamp] = clock.local(decode_line(stamp))
        windowed = agg.since is not None or agg.until is not None
        noted = windowed  # the run's time counted in the inputs' time range (by outside_window)
        for entry in scanner.take():
            if isinstance(entry, RequestRecord | ErrorEvent):  # a line of another shape, parsed in Python
                pending[len(pending), None] = entry
                continue
            first, line_no, n, request_ms, upstream_ms, key = cast("_combined_fast.Group", entry)
            summary.parsed += n
            if request_ms:
                timed += n
            when = at
            if stamp is None:  # not a line of the run shape: cannot happen (the parser reads every grouped line)
                again = parse_line(parse, decode_line(first), line_no, source)
                when = again.time if again is not None else None
                noted = False
            if not noted:
                agg.outside_window(when, 0)
                noted = stamp is not None
            if windowed and agg.outside_window(when, n):
                continue
            acc = pending.get(key)
            if acc is None:
                acc = pending[key] = [first, line_no, 0, {}, {} if upstream_ms else None, []]
            acc[2] += n
            if request_ms:
                counts = acc[3]
                for ms, k in request_ms:
                    counts[ms] = counts.get(ms, 0) + k
            if upstream_ms and acc[4] is not None:
                counts = acc[4]
                for ms, k in upstream_ms:
                    counts[ms] = counts.get(ms, 0) + k
            acc[5].append((when, n, request_ms))
            runs += 1
        if len(pending) >= _TAKE_EVERY or runs >= _RUNS_KEPT:
            hand_over()

    def hand_over() -> None:
        nonlocal timed, runs
        for key, entry in pending.items():
            if isinstance(entry, RequestRecord | ErrorEvent):
                timed += agg.add_parsed(entry)
                continue
            first, line_no, n, request_counts, response_counts, runs_of = entry
            durations = [(ms / 1000, k) for ms, k in request_counts.items()] if request_counts else [(None, n)]
            responses = (
                [(ms / 1000 if ms >= 0 else None, k) for ms, k in response_counts.items()] if response_counts else None
            )
            rec = alike.get(key)
            if rec is None:
                # The first group with this key: its first line, read by the parser, stands for every line
                # with this key from now on (what add_request reads of it is what the key holds).
                parsed = parse_line(parse, decode_line(first), line_no, source)
                if not isinstance(parsed, RequestRecord):  # the scanner only groups lines the parser reads
                    raise RuntimeError(f"{source}:{line_no}: the fast path grouped a line the parser does not read")
                rec = parsed
                if n > 1:  # a group of one line (a junk URL, say) is unlikely to come again
                    if len(alike) >= _ALIKE_KEPT:
                        alike.clear()
                    alike[key] = rec
            at: list[tuple[float | None, int, Times]]
            if rec.outcome.is_failure:  # the failures' durations, run by run, say when each cut happened
                at = [(w, k, [(ms / 1000, c) for ms, c in raw] if raw else [(None, k)]) for w, k, raw in runs_of]
            else:
                at = [(w, k, ()) for w, k, _ in runs_of]
            agg.add_request(rec, n, durations, responses, at)
        pending.clear()
        runs = 0

    def scan_run(block: bytes, line_no: int, stamp: bytes | None) -> int:
        pos = 0
        while True:
            pos, lines, stop = scanner.scan(block, pos, line_no)
            line_no += lines
            if stop == _combined_fast.SCAN_END:
                return line_no
            if stop == _combined_fast.SCAN_FULL:
                collect(stamp)
                continue
            # A line of another shape: the Python parser reads it, in its place among the groups.
            end = block.find(b"\n", pos)
            end = len(block) if end < 0 else end + 1
            rec = read_line(parse, decode_line(block[pos:end]), line_no, source, summary)
            if rec is not None:
                scanner.add_record(rec)
            pos, line_no = end, line_no + 1

    for first, whole in blocks:
        line_no, start = first, 0
        while start < len(whole):
            m = _RUN.match(whole, start)
            if m is not None:
                end, stamp = m.end(), m.group(1)
            else:  # a line of another shape: a run of its own
                end = whole.find(b"\n", start)
                end, stamp = (len(whole) if end < 0 else end + 1), None
            block = whole[start:end] if start or end < len(whole) else whole
            start = end
            line_no = scan_run(block, line_no, stamp)
            collect(stamp)
    hand_over()
    return timed
