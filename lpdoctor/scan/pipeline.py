"""Logs in, one :class:`ScanAggregate` out: read every input (format given or detected) and aggregate it."""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection

from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.logs import open_log, parse_blocks
from lpdoctor.scan import fastpath
from lpdoctor.scan.aggregate import DEFAULT_MAX_ROUTES, ScanAggregate
from lpdoctor.text.inputs import InputError, Progress, Span


def aggregate_file(
    path: str,
    forced: LogFormat | None = None,
    max_routes: int = DEFAULT_MAX_ROUTES,
    *,
    span: Span | None = None,
    progress: Progress | None = None,
    admit: frozenset[str] | None = None,
    track_refused: bool = False,
    window: tuple[float | None, float | None] = (None, None),
    seen: Collection[str] | None = None,
) -> ScanAggregate:
    """Scan one input (or the ``span`` of it) into a fresh aggregate. Raises InputError when the input cannot
    be opened. ``progress``: see :func:`~lpdoctor.text.inputs.iter_lines`; ``admit``, ``track_refused`` and
    ``seen`` (for pieces of a file): see :class:`ScanAggregate`; ``window``: ``--since``/``--until``, see
    :meth:`ScanAggregate.set_window`."""
    agg = ScanAggregate(max_routes=max_routes, admit=admit, track_refused=track_refused, seen=seen)
    agg.set_window(*window)
    summary, fmt, blocks = open_log(path, forced, span=span, progress=progress)
    # No cyclic garbage collection while reading: records, groups and counters are freed by their reference
    # counts (none is in a cycle), and every collection their allocations set off walks the whole aggregate
    # again (9 % of a scan on the Python path). The collector comes back on at the end, as it was.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        if fmt is not None and fastpath.available(fmt):
            timed = fastpath.aggregate_blocks(blocks, fmt, agg, summary, path)
        else:
            timed = sum(agg.add_parsed(rec) for rec in parse_blocks(blocks, fmt, summary, path))
    finally:
        if was_enabled:
            gc.enable()
    if summary.kind == "access" and summary.parsed:
        summary.has_timing = timed > 0
    summary.first_time, summary.last_time = agg.first_time, agg.last_time
    if summary.lines == 0:
        summary.warnings.append("the input is empty")
    agg.inputs.append(summary)
    return agg


def discover_file(
    path: str,
    fmt: LogFormat,
    limit: int,
    *,
    span: Span | None = None,
    window: tuple[float | None, float | None] = (None, None),
) -> list[str]:
    """The first ``limit`` distinct routes of ``path`` (or of its ``span``), in the order an aggregate meets them
    (see :func:`~lpdoctor.scan.fastpath.discover_routes`; ``fmt`` is one the fast path reads). Raises InputError
    when the input cannot be opened."""
    _, _, blocks = open_log(path, fmt, span=span)
    return fastpath.discover_routes(blocks, fmt, limit, window)


def aggregate_logs(
    paths: list[str],
    forced: LogFormat | None = None,
    max_routes: int = DEFAULT_MAX_ROUTES,
    on_input_error: Callable[[str], None] | None = None,
    window: tuple[float | None, float | None] = (None, None),
) -> tuple[ScanAggregate, list[str]]:
    """Scan every input; unusable ones are reported through ``on_input_error`` and skipped."""
    total = ScanAggregate(max_routes=max_routes)
    total.set_window(*window)
    errors: list[str] = []
    for path in paths:
        try:
            part = aggregate_file(path, forced, max_routes, window=window)
        except InputError as exc:
            errors.append(str(exc))
            if on_input_error:
                on_input_error(str(exc))
            continue
        total.merge(part)
    return total, errors
