"""Read log files of any known format: pick the format (given, or auto-detected), stream parsed records.

Auto-detection tries every registered format on the first non-blank lines and keeps the one that parses
most of them (ties go to the richer format). The lines used for detection are replayed, not lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from ..model import InputSummary
from .base import LogFormat, Parsed
from .inputs import Progress, Span, iter_lines
from .registry import all_formats

SNIFF_LINES = 50


class UnknownFormat(Exception):
    pass


def detect_format(sample: list[str], candidates: tuple[LogFormat, ...] | list[LogFormat]) -> LogFormat | None:
    best: tuple[int, int, LogFormat] | None = None
    for fmt in candidates:
        parse = fmt.parser()
        hits = 0
        for i, line in enumerate(sample):
            try:
                if parse(line, i + 1, "<sniff>") is not None:
                    hits += 1
            except Exception:  # a parser bug must not stop detection; it just does not win
                continue
        if hits and (best is None or (hits, fmt.priority) > (best[0], best[1])):
            best = (hits, fmt.priority, fmt)
    return best[2] if best else None


def _head(lines: Iterator[tuple[int, str]]) -> list[tuple[int, str]]:
    """The first lines, up to the :data:`SNIFF_LINES`-th non-blank one: what detection looks at."""
    head: list[tuple[int, str]] = []
    non_blank = 0
    for item in lines:
        head.append(item)
        if item[1].strip():
            non_blank += 1
            if non_blank >= SNIFF_LINES:
                break
    return head


def detect_file_format(path: str) -> LogFormat | None:
    """The format :func:`read_log` would detect for ``path``. Raises InputError if it cannot be opened."""
    lines = iter_lines(path, InputSummary(path=path, format="unknown"))
    try:
        return detect_format([t for _, t in _head(lines) if t.strip()], all_formats())
    finally:
        lines.close()


def read_log(
    path: str,
    forced: LogFormat | None = None,
    *,
    span: Span | None = None,
    progress: Progress | None = None,
) -> tuple[InputSummary, Iterator[Parsed]]:
    """Open ``path`` and return its summary (filled in as the iterator is consumed) and the records.

    ``span`` reads only part of an uncompressed file (give ``forced`` then: the format of the whole file);
    ``progress`` is passed to :func:`~lpdoctor.readers.inputs.iter_lines`.
    Raises :class:`~lpdoctor.readers.inputs.InputError` if the file cannot be opened.
    """
    summary = InputSummary(path=path, format="unknown")
    lines = iter_lines(path, summary, span=span, progress=progress)
    head = [] if forced else _head(lines)
    fmt = forced or detect_format([t for _, t in head if t.strip()], all_formats())
    if fmt is None:
        summary.format = "unknown"

        def skip_all() -> Iterator[Parsed]:
            for line_no, text in chain(head, lines):
                if text.strip():
                    summary.skip(line_no)
            return
            yield  # pragma: no cover

        return summary, skip_all()
    summary.format = fmt.name
    summary.has_timing = fmt.has_timing
    summary.kind = fmt.kind
    parse = fmt.parser()

    def records() -> Iterator[Parsed]:
        for line_no, text in chain(head, lines):
            if not text or text.isspace():
                continue
            try:
                rec = parse(text, line_no, path)
            except Exception:  # never let one hostile line end the scan
                rec = None
            if rec is None:
                summary.skip(line_no)
                continue
            summary.parsed += 1
            yield rec

    return summary, records()
