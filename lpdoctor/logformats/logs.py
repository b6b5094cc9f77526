"""Read log files of any known format: pick the format (given, or auto-detected), stream parsed records.

Auto-detection tries every registered format on the first non-blank lines and keeps the one that parses
most of them (ties go to the richer format). The lines used for detection are replayed, not lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

from lpdoctor.logformats.base import LineParser, LogFormat, Parsed
from lpdoctor.logformats.registry import all_formats
from lpdoctor.model import InputSummary
from lpdoctor.text.inputs import Progress, Span, block_lines, iter_blocks

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


def _sample(blocks: Iterator[tuple[int, bytes]]) -> tuple[list[str], list[tuple[int, bytes]]]:
    """The first :data:`SNIFF_LINES` non-blank lines (what detection looks at), and the blocks read for them."""
    sample: list[str] = []
    read: list[tuple[int, bytes]] = []
    for first, block in blocks:
        read.append((first, block))
        for _, text in block_lines(first, block):
            if text.strip():
                sample.append(text)
                if len(sample) >= SNIFF_LINES:
                    return sample, read
    return sample, read


def detect_file_format(path: str) -> LogFormat | None:
    """The format :func:`read_log` would detect for ``path``. Raises InputError if it cannot be opened."""
    blocks = iter_blocks(path, InputSummary(path=path, format="unknown"))
    try:
        return detect_format(_sample(blocks)[0], all_formats())
    finally:
        blocks.close()


def open_log(
    path: str,
    forced: LogFormat | None = None,
    *,
    span: Span | None = None,
    progress: Progress | None = None,
) -> tuple[InputSummary, LogFormat | None, Iterator[tuple[int, bytes]]]:
    """Open ``path``: its summary (filled in as the blocks are read), its format (``forced``, or detected on
    its first lines; None when no format reads them) and its blocks of lines (see
    :func:`~lpdoctor.text.inputs.iter_blocks`; those read for detection come again).

    ``span`` reads only part of an uncompressed file (give ``forced`` then: the format of the whole file).
    Raises :class:`~lpdoctor.text.inputs.InputError` if the file cannot be opened (when read, if forced).
    """
    summary = InputSummary(path=path, format="unknown")
    blocks: Iterator[tuple[int, bytes]] = iter_blocks(path, summary, span=span, progress=progress)
    fmt = forced
    if fmt is None:
        sample, read = _sample(blocks)
        fmt = detect_format(sample, all_formats())
        blocks = chain(read, blocks)
    if fmt is not None:
        summary.format = fmt.name
        summary.has_timing = fmt.has_timing
        summary.kind = fmt.kind
    return summary, fmt, blocks


def parse_blocks(
    blocks: Iterator[tuple[int, bytes]], fmt: LogFormat | None, summary: InputSummary, source: str
) -> Iterator[Parsed]:
    """The records of every line, with ``fmt``'s parser: unparsed lines are counted on ``summary`` (all of
    them when ``fmt`` is None), blank ones are neither."""
    parse = fmt.parser() if fmt is not None else None
    for first, block in blocks:
        for line_no, text in block_lines(first, block):
            rec = read_line(parse, text, line_no, source, summary)
            if rec is not None:
                yield rec


def read_line(parse: LineParser | None, text: str, line_no: int, source: str, summary: InputSummary) -> Parsed | None:
    """One line through ``parse``, counted on ``summary`` as parsed or skipped (a blank line as neither)."""
    if not text or text.isspace():
        return None
    rec = parse_line(parse, text, line_no, source) if parse is not None else None
    if rec is None:
        summary.skip(line_no)
    else:
        summary.parsed += 1
    return rec


def parse_line(parse: LineParser, text: str, line_no: int, source: str) -> Parsed | None:
    """``parse(text)``, or None when it raises: one hostile line must never end the scan."""
    try:
        return parse(text, line_no, source)
    except Exception:
        return None


def read_log(
    path: str,
    forced: LogFormat | None = None,
    *,
    span: Span | None = None,
    progress: Progress | None = None,
) -> tuple[InputSummary, Iterator[Parsed]]:
    """Open ``path`` and return its summary (filled in as the iterator is consumed) and the records.
    Arguments as for :func:`open_log`."""
    summary, fmt, blocks = open_log(path, forced, span=span, progress=progress)
    return summary, parse_blocks(blocks, fmt, summary, path)
