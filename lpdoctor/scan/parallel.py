"""Scan on every core: several inputs at once, and one big uncompressed file in pieces.

A big file is cut into byte ranges that start right after a newline, so no line is split or dropped. Each
piece is read by a worker process (one of them by this process, once it has handed out the others) with the format detected once on the head of the file (or the one the user
forced), numbers its lines from 1 (moved to their place in the file once the pieces before it are read), and
sends back its aggregate. The
aggregates are merged in file order, which keeps first-seen order, so examples, tie-breaks and the route cap
come out as in a single process. Two cases need more than a merge, and get it:

- a piece that filled the route cap on its own may have sent requests of routes the whole file keeps to the
  overflow bucket: once the merge says which routes the file keeps, that piece is scanned again keeping
  exactly those;
- a file with both requests and error-log lines is scanned whole (what an error line adds can depend on the
  requests before it); an error log alone (no line of it is a request) is merged as it is.

:func:`scan_inputs` is :func:`~lpdoctor.scan.pipeline.aggregate_logs` with ``jobs``; with one job it is
the same loop in this process.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import stat
import sys
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

from lpdoctor import catalog
from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.logs import detect_file_format
from lpdoctor.model import InputSummary
from lpdoctor.scan import fastpath
from lpdoctor.scan.aggregate import DEFAULT_MAX_ROUTES, OVERFLOW_ROUTE, ScanAggregate
from lpdoctor.scan.pipeline import aggregate_file, discover_file
from lpdoctor.text.inputs import InputError, Progress, Span, count_block_newlines

AUTO_PARALLEL_BYTES = 32 << 20  # below this much work, worker processes cost more than they save
# A byte of a format the compiled scanner reads costs far less than a byte read in Python (session 3: 0.4-0.5
# CPU s against 9-12 s for 200 000 lines of the same traffic); so such a file goes to several processes only
# from 3 x AUTO_PARALLEL_BYTES (96 MiB, about 600 000 lines of nginx combined, half a second in one process).
# What a second process costs is now about 0.1 s (its start, 0.04 s to count the newlines before its piece,
# the merge): on 1 M lines (155-190 MB) two processes took 0.89-1.34 s against 1.08-1.72 s for one (session 5,
# ids, SPA and Apache traffic); at 256 MiB, the limit before, those files were read in one process.
COMPILED_BYTE_WEIGHT = 1 / 3
MIN_PIECE_BYTES = 1 << 20
# The head of a big file read to see how fast new routes come (see _fills_cap): two halves of this, then, while
# the few routes new in the second half still say "outgrows the cap", four times as much, up to CAP_SAMPLE_MAX_BYTES.
# One MiB is 1 200 Traefik JSON lines: one rare route first seen in its second half made 16 000 routes of a 10 M-line
# file that has 17 (and the bench's SPA log, 66 routes, looked crowded from 10 M lines on), so both were read in one
# process; 16 MiB (45 ms for the scanner) says 17 and 126.
CAP_SAMPLE_BYTES = 1 << 20
CAP_SAMPLE_MAX_BYTES = 16 << 20
# New routes in the second half that make the extrapolation sure enough to stop (Poisson: +-12 %): the bench's own
# log has 117 in its first MiB.
CAP_SURE_NEW = 64
# A file whose routes outgrow the cap is read in seeded pieces up to this size, in one process above it. Each
# process's memory grows with its piece (the bench's own log on two processes: 120 MB PSS at 1 M lines, 165 MB
# at 10 M, over the 150 MB budget; one process: 105 and 119 MB), while one process has by then made up for the
# cap's routes and the report they make (10 M lines: 12.0 s, 7x `grep -c`; two: 8.5 s).
SEED_MAX_BYTES = 512 << 20
_READ_BLOCK = 1 << 20
_POLL_S = 0.2


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Piece:
    """One unit of work: a whole input (``span`` None) or a byte range of one."""

    input: int  # index of the input in the list scanned
    path: str
    span: Span | None = None
    admit: frozenset[str] | None = None
    # A piece of a file whose routes outgrow the cap: the routes of the file's bytes before this offset (its
    # start) are discovered first, and the piece keeps stats only for those and what is left of the cap ...
    seed_end: int | None = None
    # ... or those routes, known already (ScanAggregate's seen)
    seen: frozenset[str] | None = None


# ------------------------------------------------------------------------------------------ planning


def plain_file_size(path: str) -> int | None:
    """The size of ``path`` if it is a regular uncompressed file that can be read in pieces, else None.

    Anything else (stdin, a pipe, a .gz, a file that cannot be opened) is scanned whole, where a plain scan
    reports what is wrong with it.
    """
    if path == "-":
        return None
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        with open(path, "rb") as fh:
            if fh.read(2) == b"\x1f\x8b":
                return None
    except OSError:
        return None
    return st.st_size


def line_starts(path: str, size: int, count: int) -> list[int]:
    """At most ``count`` offsets, from 0, each at the start of a line, cutting ``path`` into near-equal parts."""
    starts = [0]
    for i in range(1, count):
        # on to the byte after the next newline from the cut (a line may be longer than a block)
        at = _line_start_at(path, max(size * i // count, starts[-1]) + 1, size)
        if at >= size:
            break
        if at > starts[-1]:
            starts.append(at)
    return starts


def _line_start_at(path: str, at: int, size: int) -> int:
    """The first line start at or after byte ``at`` (``size`` when none)."""
    if at <= 0:
        return 0
    with open(path, "rb") as fh:
        fh.seek(at - 1)
        while True:
            block = fh.read(_READ_BLOCK)
            if not block:
                return size
            nl = block.find(b"\n")
            if nl >= 0:
                return min(at + nl, size)
            at += len(block)


def _fills_cap(path: str, size: int, fmt: LogFormat | None, max_routes: int) -> bool:
    """Whether reading ``path`` would fill the route cap, judged from its head: the routes of its first
    :data:`CAP_SAMPLE_BYTES`, and as many more as the second half of that brought new ones per line, for every
    line the rest of the file holds (at the head's bytes per line). While that says "fills" on fewer than
    :data:`CAP_SURE_NEW` new routes, a head four times as big is read again, up to :data:`CAP_SAMPLE_MAX_BYTES`:
    a few rare routes first seen late in a small head say little. The compiled scanner finds the routes alone
    (:func:`~lpdoctor.scan.pipeline.discover_file`, a few ms a MiB); other formats are read by their parser, on
    the first head only.

    Cut in plain pieces, such a file is read twice: a later piece fills the cap with routes of its own, turns
    away routes the whole file keeps, and is read again, alone, after all pieces are done (the bench's own
    10 M-line log: 18.3 s on two processes, 14.2 s on one). Its pieces are seeded instead (:class:`Piece`), or,
    without the compiled scanner, it is read in one process."""
    sample = CAP_SAMPLE_BYTES
    compiled = fmt is not None and fastpath.available(fmt)
    while True:
        half = _line_start_at(path, sample // 2, size)
        cut = _line_start_at(path, sample, size)
        # a first head that is the whole file says nothing of the rest; a later one counts every route exactly
        if not (0 < half < cut < size or (sample > CAP_SAMPLE_BYTES and 0 < half < cut == size)):
            return False
        try:
            if compiled and fmt is not None:
                seen: Collection[str] = set(discover_file(path, fmt, sys.maxsize, span=Span(0, half)))
                later = discover_file(path, fmt, sys.maxsize, span=Span(half, cut))
                head_lines, more_lines = count_newlines(path, 0, half), count_newlines(path, half, cut)
            else:
                head = aggregate_file(path, fmt, sys.maxsize, span=Span(0, half))
                more = aggregate_file(path, fmt, sys.maxsize, span=Span(half, cut))
                seen, later = head.routes.keys(), list(more.routes)
                head_lines, more_lines = head.inputs[0].lines, more.inputs[0].lines
        except InputError:
            return False  # the scan of the whole file says why
        new = sum(1 for route in later if route not in seen)
        if not more_lines:
            return False
        rest = size / cut * (head_lines + more_lines) - head_lines - more_lines
        if len(seen) + new + new / more_lines * max(rest, 0.0) < max_routes:
            return False
        if len(seen) + new >= max_routes or new >= CAP_SURE_NEW or sample >= CAP_SAMPLE_MAX_BYTES or not compiled:
            return True  # (in Python, a bigger head would cost a second a MiB: the first one decides)
        sample *= 4


def count_newlines(path: str, start: int, end: int) -> int:
    """The newlines in bytes ``start`` to ``end`` of ``path`` (before a piece of a file: its first line's
    number), read into one buffer again and again and counted 16 bytes at a time where the compiled module is
    built: 220 MB in 0.13 s read a new bytes at a time and counted with bytes.count, 0.03 s so."""
    n = 0
    buf = bytearray(_READ_BLOCK)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        fh.seek(start)
        left = end - start
        while left > 0:
            got = fh.readinto(view[: min(_READ_BLOCK, left)])
            if not got:
                break
            n += count_block_newlines(view[:got])
            left -= got
    return n


Known = dict[str, "LogFormat | None"]
"""The formats detected on the inputs' heads so far, by path: each head is read once a scan."""


def _format_of(path: str, forced: LogFormat | None, known: Known) -> LogFormat | None:
    """``forced``, or the format detected on the head of ``path`` (None: none, or it cannot be read)."""
    if forced is not None:
        return forced
    if path not in known:
        try:
            known[path] = detect_file_format(path)
        except InputError:
            known[path] = None  # the scan of the whole file says why
    return known[path]


def _work(paths: list[str], sizes: list[int | None], forced: LogFormat | None, known: Known | None = None) -> float:
    """How much reading the inputs takes, in bytes read by the Python parser: a file in a format the compiled
    scanner reads counts :data:`COMPILED_BYTE_WEIGHT` of its size (the format detected on its head)."""
    known = {} if known is None else known
    total = 0.0
    for path, size in zip(paths, sizes, strict=True):
        if not size:
            continue
        fmt = _format_of(path, forced, known)
        # (an error log's lines with a request are still parsed in Python: it counts whole)
        compiled = fastpath.available(fmt) and fmt is not None and fmt.kind == "access"
        total += size * (COMPILED_BYTE_WEIGHT if compiled else 1.0)
    return total


def _outgrows_cap(
    path: str, size: int | None, forced: LogFormat | None, max_routes: int, known: Known | None = None
) -> bool:
    """Whether ``path`` would be cut in pieces (an access log of several MiB) and fill the route cap."""
    if size is None or size < 2 * MIN_PIECE_BYTES:
        return False
    fmt = _format_of(path, forced, {} if known is None else known)
    return fmt is not None and fmt.kind == "access" and _fills_cap(path, size, fmt, max_routes)


def _plan(
    path: str, size: int | None, forced: LogFormat | None, count: int, known: Known | None = None
) -> tuple[LogFormat | None, list[int]]:
    """The format to read ``path`` with, and where its pieces start (``[0]``: read it whole)."""
    if size is None or count < 2 or size < 2 * MIN_PIECE_BYTES:
        return forced, [0]
    fmt = _format_of(path, forced, {} if known is None else known)
    if fmt is None or fmt.kind not in ("access", "error"):
        return fmt, [0]  # unknown lines are only counted
    return fmt, line_starts(path, size, min(count, size // MIN_PIECE_BYTES))


# ------------------------------------------------------------------------------------------ workers

_formats: list[LogFormat | None] = []
_window: tuple[float | None, float | None] = (None, None)  # --since/--until, for every piece
_progress: Progress | None = None


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection in this block; what it allocated is left out of later collections.

    Aggregates coming back from workers, their merge and the report built from them are hundreds of thousands
    of new objects, none of them garbage and none in a reference cycle (they are freed as usual when dropped).
    Each collection their allocation triggers would walk all of them again: unpickling the two pieces of the
    1 M-line benchmark took 0.23 s with the collector on, 0.07 s without. At the end they are moved out of
    the collector's generations (:func:`gc.freeze`), or the first collection after the block would walk them
    all once more (40 ms on the benchmark).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _init_worker(
    formats: list[LogFormat | None],
    counters: tuple[Any, Any] | None,
    window: tuple[float | None, float | None] = (None, None),
) -> None:
    """Set up a worker process (forked: the formats, closures that do not pickle, come with the process image)."""
    global _formats, _progress, _window
    _formats = formats
    _window = window
    if counters is not None:
        gc.enable()  # a worker reads with the collector on, even if it was forked while this process paused it
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the main process says "interrupted", once
        _progress = _adder(counters)


def _adder(counters: tuple[Any, Any]) -> Progress:
    """A progress callback that adds to the counters every process shares."""
    done_bytes, done_lines = counters

    def report(nbytes: int, nlines: int) -> None:
        with done_bytes.get_lock():
            done_bytes.value += nbytes
        with done_lines.get_lock():
            done_lines.value += nlines

    return report


class _Relay:
    """Passes the shared progress counters on to ``progress`` in this process, as deltas."""

    def __init__(self, counters: tuple[Any, Any], progress: Progress) -> None:
        self._counters = counters
        self._progress = progress
        self._seen = (0, 0)
        self._add = _adder(counters)
        self._last = 0.0

    def poll(self) -> None:
        now = (self._counters[0].value, self._counters[1].value)
        if now != self._seen:
            self._progress(now[0] - self._seen[0], now[1] - self._seen[1])
            self._seen = now

    def read_here(self, nbytes: int, nlines: int) -> None:
        """What this process read itself: added to the counters, and everything passed on now and then."""
        self._add(nbytes, nlines)
        at = time.monotonic()
        if at - self._last >= _POLL_S:
            self._last = at
            self.poll()


def _scan_piece(piece: Piece, max_routes: int, report: bool = True) -> ScanAggregate:
    fmt = _formats[piece.input]
    seen: Collection[str] | None = piece.seen
    if seen is None and piece.seed_end is not None and fmt is not None and fastpath.available(fmt):
        seen = discover_file(piece.path, fmt, max_routes, span=Span(0, piece.seed_end), window=_window)
    return aggregate_file(
        piece.path,
        fmt,
        max_routes,
        span=piece.span,
        progress=_progress if report else None,
        admit=piece.admit,
        track_refused=piece.span is not None,
        window=_window,
        seen=seen,
    )


def _scan_piece_sent(piece: Piece, max_routes: int, report: bool = True) -> bytes:
    """:func:`_scan_piece` in a worker, its aggregate already pickled: the main process unpickles it when it
    merges, after its own reading, rather than on arrival while it reads (two peaks of memory at once)."""
    return pickle.dumps(_scan_piece(piece, max_routes, report), protocol=pickle.HIGHEST_PROTOCOL)


def _received(result: ScanAggregate | bytes) -> ScanAggregate:
    if isinstance(result, bytes):
        agg: ScanAggregate = pickle.loads(result)
        return agg
    return result


def _scan_for(pool: Executor) -> Callable[..., Any]:
    return _scan_piece_sent if isinstance(pool, _Workers) else _scan_piece


class _Inline(Executor):
    """The single-process case: the same work, done at once in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever reads the result, as a pool would
            future.set_exception(exc)
        return future


class _Workers(Executor):
    """A process pool that can let its workers go (:meth:`release`) and starts a new one if work comes later
    (a piece read again): workers idle during the merge would hold their memory to the end."""

    def __init__(self, start: Callable[[], Executor]) -> None:
        self._start = start
        self._pool: Executor | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._pool is None:
            self._pool = self._start()
        return self._pool.submit(fn, *args, **kwargs)

    def release(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
            self._pool = None


# ------------------------------------------------------------------------------------------ merging


def join_summaries(parts: list[InputSummary]) -> InputSummary:
    """The summary of a whole input from the summaries of its pieces, in order."""
    first = parts[0]
    joined = InputSummary(path=first.path, format=first.format, kind=first.kind, has_timing=first.has_timing)
    for p in parts:
        joined.lines += p.lines
        joined.parsed += p.parsed
        joined.skipped += p.skipped
        joined.skipped_lines.extend(p.skipped_lines)
        joined.warnings.extend(p.warnings)
        for t in (p.first_time, p.last_time):
            if t is not None:
                joined.first_time = t if joined.first_time is None else min(joined.first_time, t)
                joined.last_time = t if joined.last_time is None else max(joined.last_time, t)
    del joined.skipped_lines[InputSummary.MAX_SKIPPED_SHOWN :]
    parsed = [p for p in parts if p.parsed]
    if first.kind == "access" and parsed:
        joined.has_timing = any(p.has_timing for p in parsed)
    return joined


def join_pieces(pieces: list[ScanAggregate]) -> ScanAggregate:
    """The aggregate of a whole input from the aggregates of its pieces, in order (the first one grows)."""
    whole = pieces[0]
    for p in pieces[1:]:
        whole.merge(p)
    whole.inputs = [join_summaries(whole.inputs)]
    return whole


def kept_routes(pieces: list[ScanAggregate], max_routes: int) -> frozenset[str]:
    """The routes that merging ``pieces`` in order keeps: the first ``max_routes`` distinct ones."""
    kept: dict[str, None] = {}
    for p in pieces:
        for route in p.routes:
            if len(kept) >= max_routes:
                return frozenset(kept)
            if route != OVERFLOW_ROUTE:
                kept[route] = None
    return frozenset(kept)


def _turned_away_any(piece: ScanAggregate, keep: frozenset[str]) -> bool:
    """Whether ``piece`` sent to its overflow bucket requests of a route the whole file keeps (or may have)."""
    if not piece.full:
        return False
    return piece.refused is None or any(route in piece.refused for route in keep)


def _saw_errors(agg: ScanAggregate) -> bool:
    return bool(agg.unrouted_errors) or any(rs.errors for rs in agg.routes.values())


def _saw_requests(agg: ScanAggregate) -> bool:
    return bool(agg.overflow_requests) or any(rs.requests for rs in agg.routes.values())


def read_whole_again(parts: list[ScanAggregate]) -> bool:
    """Whether the pieces of one file cannot be merged because of its error lines: an error line adds the hold its
    request asked for only while its route has no request yet, so with requests in the file what it adds depends
    on the lines before it. Without any (an error log: nginx, Apache, Caddy's runtime log), it always adds it,
    and the pieces merge as the lines would have."""
    return any(_saw_errors(p) for p in parts) and any(_saw_requests(p) for p in parts)


# ------------------------------------------------------------------------------------------ the scan


@dataclass
class _Input:
    path: str
    pieces: list[Piece]
    results: list[Future[Any]] = field(default_factory=list)


def scan_inputs(
    paths: list[str],
    forced: LogFormat | None = None,
    max_routes: int = DEFAULT_MAX_ROUTES,
    on_input_error: Callable[[str], None] | None = None,
    *,
    jobs: int | None = None,
    pieces: int | None = None,
    progress: Progress | None = None,
    window: tuple[float | None, float | None] = (None, None),
) -> tuple[ScanAggregate, list[str]]:
    """Scan every input as :func:`~lpdoctor.scan.pipeline.aggregate_logs` does, on ``jobs`` processes.

    ``jobs`` None: every core when the inputs hold more than :data:`AUTO_PARALLEL_BYTES`, else one.
    ``pieces``: how many pieces a big file is cut into (default: ``jobs``). ``progress`` hears
    ``(bytes, lines)`` read as the scan goes, in this process, whichever process read them. ``window``:
    ``--since``/``--until`` (see :meth:`~lpdoctor.scan.aggregate.ScanAggregate.set_window`).
    """
    sizes = [plain_file_size(p) for p in paths]
    known: Known = {}
    seeded: set[int] = set()  # the inputs whose pieces discover the routes before them first
    auto = jobs is None
    if jobs is None:
        jobs = available_cores() if _work(paths, sizes, forced, known) > AUTO_PARALLEL_BYTES else 1
    if jobs > 1 and pieces is None:
        crowded = {
            i
            for i, (p, size) in enumerate(zip(paths, sizes, strict=True))
            if _outgrows_cap(p, size, forced, max_routes, known)
        }
        # Cut in plain pieces, such a file is read twice: each piece after the first fills the cap with routes of
        # its own, turns away routes the whole file keeps, and is read again once all are done. The compiled
        # scanner finds the routes before a piece fast enough for the piece to keep only those and what is left
        # of the cap; without it, or above SEED_MAX_BYTES, such a file is read in one process (unless --jobs
        # says otherwise).
        if all(
            fastpath.available(_format_of(paths[i], forced, known)) and (sizes[i] or 0) <= SEED_MAX_BYTES
            for i in crowded
        ):
            seeded = crowded
        elif auto:
            jobs = 1
    if jobs > 1 and not _can_fork():
        jobs = 1  # workers get the formats by fork
    formats: list[LogFormat | None] = []
    inputs: list[_Input] = []
    for i, (path, size) in enumerate(zip(paths, sizes, strict=True)):
        fmt, starts = _plan(path, size, forced, pieces or jobs, known)
        formats.append(fmt)
        ends = [*starts[1:], size or 0]
        if len(starts) > 1:
            cut = [
                Piece(i, path, Span(a, b), seed_end=a if a > 0 and i in seeded else None)
                for a, b in zip(starts, ends, strict=True)
            ]
            inputs.append(_Input(path, cut))
        else:
            inputs.append(_Input(path, [Piece(i, path)]))

    global _progress
    _init_worker(formats, None, window)  # this process reads standard input, or everything with one job
    if jobs == 1:
        _progress = progress
        try:
            return _run(_Inline(), inputs, max_routes, on_input_error, None, stdin_progress=progress)
        finally:
            _progress = None
    import multiprocessing  # with workers only: a scan in one process does not pay for importing them
    from concurrent.futures import ProcessPoolExecutor

    # What every piece needs and this process needs again for the merge, read once here and inherited by the
    # forked workers instead of read by each of them first thing: the protocol catalog (YAML).
    catalog.protocols()
    catalog.generic_params()
    ctx = multiprocessing.get_context("fork")
    counters = (ctx.Value("q", 0), ctx.Value("q", 0))
    # This process reads too: standard input if it is among the inputs, else the first piece of the first
    # input (which needs no line count), so one worker fewer is started and one aggregate less is sent back.
    here = None if any(inp.path == "-" for inp in inputs) else 0
    workers = jobs - 1 if here is not None else jobs
    pool = _Workers(
        lambda: ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(formats, counters, window)
        )
    )
    relay = _Relay(counters, progress) if progress is not None else None
    try:
        return _run(pool, inputs, max_routes, on_input_error, relay, stdin_progress=progress, here=here)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run(
    pool: Executor,
    inputs: list[_Input],
    max_routes: int,
    on_input_error: Callable[[str], None] | None,
    relay: _Relay | None,
    stdin_progress: Progress | None = None,
    here: int | None = None,
) -> tuple[ScanAggregate, list[str]]:
    """``here``: the input whose first piece this process reads, once every other piece is handed out."""
    # Every piece is read at once, numbered from its own first line as line 1: the pieces after the first learn
    # where they stand in the file's line numbers when the pieces before them are read (_number), instead of
    # waiting for a count of the newlines before them (0.09 s for 408 MB, on the way of every worker).
    for n, inp in enumerate(inputs):
        if inp.path == "-":
            continue  # standard input belongs to this process: read below
        for k, piece in enumerate(inp.pieces):
            if k > 0 or n != here:
                inp.results.append(pool.submit(_scan_for(pool), piece, max_routes))
    for inp in inputs:
        if inp.path == "-":
            read = aggregate_file(
                "-", _formats[inp.pieces[0].input], max_routes, progress=stdin_progress, window=_window
            )
            done: Future[ScanAggregate] = Future()
            done.set_result(read)
            inp.results.append(done)
    if here is not None:
        inputs[here].results.insert(0, _read_here(inputs[here].pieces[0], max_routes, relay))
    # With worker processes, this process only receives and merges aggregates from here on (a piece read again
    # is read by a worker): no garbage collection. Reading in this process (one job) keeps the collector on.
    with nullcontext() if isinstance(pool, _Inline) else gc_paused():
        if relay is not None:
            _watch(relay, [f for inp in inputs for f in inp.results])
        if isinstance(pool, _Workers):
            # Every piece is in: the workers' memory goes back now, not after the merge and the report.
            wait([f for inp in inputs for f in inp.results])
            pool.release()
        total: ScanAggregate | None = None
        errors: list[str] = []
        for inp in inputs:
            try:
                part = _finish(pool, inp, max_routes)
            except InputError as exc:
                errors.append(str(exc))
                if on_input_error:
                    on_input_error(str(exc))
                continue
            if total is None:
                total = part  # what merging it into an empty aggregate would give, without the copy
            else:
                total.merge(part)
    return total or ScanAggregate(max_routes=max_routes), errors


def _finish(pool: Executor, inp: _Input, max_routes: int) -> ScanAggregate:
    """The aggregate of one input from its pieces, scanning again what a merge alone would not get right."""
    parts: list[ScanAggregate] = [_received(f.result()) for f in inp.results]
    if len(parts) == 1:
        return parts[0]
    scan = _scan_for(pool)
    if read_whole_again(parts):
        return _received(pool.submit(scan, Piece(inp.pieces[0].input, inp.path), max_routes, False).result())
    _number(pool, inp, parts, max_routes)
    # A piece read with the routes found before it (Piece.seed_end) is right if all of them are routes the pieces
    # before it keep (the discovery passes over the lines it leaves to the Python parser, and may go on past a
    # route only they bring); else it is read again with exactly those routes.
    for k in range(1, len(parts)):
        seen = parts[k].seen
        if seen is not None and not seen <= (before := kept_routes(parts[:k], max_routes)):
            piece = replace(inp.pieces[k], seed_end=None, seen=before)
            parts[k] = _received(pool.submit(scan, piece, max_routes, False).result())
    keep = kept_routes(parts, max_routes)
    crowded = [k for k, p in enumerate(parts) if k > 0 and _turned_away_any(p, keep)]
    if crowded:
        again = {
            k: pool.submit(scan, replace(inp.pieces[k], admit=keep, seed_end=None, seen=None), max_routes, False)
            for k in crowded
        }
        for k, future in again.items():
            parts[k] = _received(future.result())
    return join_pieces(parts)


def _number(pool: Executor, inp: _Input, parts: list[ScanAggregate], max_routes: int) -> None:
    """Put the pieces after the first, read numbered from 1, at their place in the file's line numbers (from
    the lines of the pieces before them): their skipped lines move; a piece with a warning, which names a line
    in its text (an overlong line, a read error: rare), is read again, numbered. Its :class:`Piece` is numbered
    too, for any later read."""
    first = 1
    for k, part in enumerate(parts):
        summary = part.inputs[0]
        if k > 0:
            piece = inp.pieces[k]
            assert piece.span is not None
            inp.pieces[k] = piece = replace(piece, span=replace(piece.span, first_line=first))
            if summary.warnings:
                parts[k] = _received(pool.submit(_scan_for(pool), piece, max_routes, False).result())
            elif first > 1:
                summary.skipped_lines = [line + first - 1 for line in summary.skipped_lines]
        first += summary.lines


def _read_here(piece: Piece, max_routes: int, relay: _Relay | None) -> Future[ScanAggregate]:
    """Read ``piece`` in this process, as a worker would (its progress through the shared counters)."""
    global _progress
    done: Future[ScanAggregate] = Future()
    _progress = relay.read_here if relay is not None else None
    try:
        done.set_result(_scan_piece(piece, max_routes))
    except Exception as exc:  # an input that cannot be read: reported with the others, in input order
        done.set_exception(exc)
    finally:
        _progress = None
    return done


def _watch(relay: _Relay, futures: list[Future[Any]]) -> None:
    """Pass the shared progress counters on until every piece is done."""
    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=_POLL_S, return_when=FIRST_COMPLETED)
        relay.poll()
    relay.poll()
