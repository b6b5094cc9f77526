"""Opening inputs: files, ``-`` for stdin, ``.gz`` by its magic bytes; read-only, streamed, never whole.

Unusable inputs raise :class:`InputError` with one line that says why; damaged ones (a truncated ``.gz``)
yield what could be read and leave a warning on the :class:`~lpdoctor.model.InputSummary`.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import stat
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lpdoctor.model import InputSummary


def _count_newlines(buffer: bytes | bytearray | memoryview, /) -> int:
    return bytes(buffer).count(b"\n")  # (bytes(b) is b itself)


# Every block's lines are counted with this: bytes.count reads a byte at a time; lpdoctor.scan.fastpath puts
# the compiled module's count (16 bytes at a time) here when it is built (the scan layer sits above this one).
_newlines: Callable[[bytes | bytearray | memoryview], int] = _count_newlines


def use_newline_counter(count: Callable[[bytes | bytearray | memoryview], int]) -> None:
    """Count the newlines of every block read from now on with ``count`` (the answer of bytes.count)."""
    global _newlines
    _newlines = count


def count_block_newlines(buffer: bytes | bytearray | memoryview) -> int:
    """The newlines in ``buffer``, counted as every block's are (see :func:`use_newline_counter`)."""
    return _newlines(buffer)


MAX_LINE_BYTES = 1 << 20  # 1 MiB: longer lines are skipped (and counted), not loaded
_GZIP_STEP = 64 << 10
_GZIP_MAGIC = b"\x1f\x8b"

Progress = Callable[[int, int], None]
"""Called now and then while reading with ``(bytes, lines)`` read since the previous call."""


@dataclass(frozen=True)
class Span:
    """Part of an uncompressed file: bytes ``start`` up to ``end``, both at line starts; its first line is
    line ``first_line`` of the file. Lets one big file be read in pieces, each numbered as in the whole."""

    start: int
    end: int
    first_line: int = 1


class InputError(Exception):
    """An input that cannot be used at all. ``str()`` is the one line shown to the user."""


def _describe_kind(mode: int) -> str | None:
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISSOCK(mode):
        return "is a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device"
    return None


KERNEL_TREES = ("/proc/", "/sys/", "/dev/")
_PIPE_PATHS = ("/dev/fd/", "/proc/", "/dev/stdin")  # process substitution and stdin: a pipe with a writer


def open_input(path: str, what: str = "a log file", *, regular_only: bool = False) -> BinaryIO:
    """Open ``path`` (or stdin for ``-``) read-only, in binary. Raises :class:`InputError`.

    The file is opened without blocking and checked on the open descriptor itself, so what is read is what
    was checked (no race with a file swapped for a FIFO in between), and a named pipe without a writer cannot
    hang lpdoctor. ``what`` names the kind of input in messages; ``regular_only`` refuses pipes too (a file
    another file names, such as an include). Every file opened is noted (:func:`note_input`).
    """
    if path == "-":
        return sys.stdin.buffer
    flags = os.O_RDONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not {what}") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket file
            raise InputError(f"{path}: is a socket, not {what}") from None
        raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
        kind = _describe_kind(st.st_mode)
        if kind:
            raise InputError(f"{path}: {kind}, not {what}")
        if stat.S_ISFIFO(st.st_mode) and (regular_only or not path.startswith(_PIPE_PATHS)):
            # A named pipe may have no writer (and lpdoctor would wait forever); a pipe into stdin is fine.
            if regular_only:
                raise InputError(f"{path}: is a named pipe, not {what}")
            if what == "a log file":
                raise InputError(f"{path}: is a named pipe; pipe it into `lpdoctor scan -` instead")
            raise InputError(f"{path}: is a named pipe, not {what}; pipe it into standard input (-) instead")
        if stat.S_ISREG(st.st_mode) and os.path.realpath(path).startswith(KERNEL_TREES):
            # /proc/self/environ is a "regular file" of the environment; /dev/stdin from a file resolves to it
            raise InputError(f"{path}: a kernel file (/proc, /sys), not {what}")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        if stat.S_ISREG(st.st_mode):
            note_input(path)
        return os.fdopen(fd, "rb", buffering=1 << 16)
    except BaseException:
        os.close(fd)
        raise


def _maybe_gunzip(raw: BinaryIO) -> tuple[BinaryIO, bool]:
    peek = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
    if peek == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), True  # type: ignore[return-value]
    return raw, False


def _tell(fh: BinaryIO) -> Callable[[], int] | None:
    try:
        fh.tell()
    except (OSError, ValueError):
        return None  # a pipe
    return fh.tell


_heap_steadied = False


def steady_heap() -> None:
    """Let glibc's malloc keep the blocks' memory (once a process, on Linux with glibc; elsewhere nothing).

    Each block read is a new bytes of about 1 MiB. glibc serves that size with fresh pages from the kernel
    (mmap, or the heap top, which it gives back as soon as two blocks are freed), and touching fresh memory costs
    a page fault every 4 KiB: 0.2 s of system time on a 440 MB log, a tenth of its scan. With the mmap threshold
    at 32 MiB and the trim threshold at 64 MiB the same few MiB of heap are used again; what a scan keeps at
    its peak is unchanged, and up to 64 MiB of freed heap may stay with the process until it exits."""
    global _heap_steadied
    if _heap_steadied:
        return
    _heap_steadied = True
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        if not hasattr(libc, "gnu_get_libc_version"):  # musl and others: their malloc works otherwise
            return
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        return


def iter_blocks(
    path: str,
    summary: InputSummary,
    raw: BinaryIO | None = None,
    *,
    span: Span | None = None,
    progress: Progress | None = None,
) -> Generator[tuple[int, bytes], None, None]:
    """Yield ``(number of its first line, block)``: the input in blocks of whole lines, each ending with a
    newline (only the last line of the input may lack one). ``summary.lines`` counts every line.

    Lines over 1 MiB are skipped and counted, never held. A damaged ``.gz`` stops the stream with a warning
    on ``summary``; every whole line before the damage has been yielded. With ``span``, only that part of an
    uncompressed file is read. ``progress`` hears how far the reading got, in bytes of the file as stored
    (bytes decoded for a pipe), once a block.
    """
    steady_heap()
    fh = raw if raw is not None else open_input(path)
    if span is not None:
        fh.seek(span.start)
        stream, gz = fh, False
        remaining = span.end - span.start  # bytes left to read
    else:
        stream, gz = _maybe_gunzip(fh)
        remaining = sys.maxsize
    # Whole lines of a read are at most one read long: reads of MAX_LINE_BYTES leave only the line that
    # runs on from the previous read to be measured. A .gz is read a decompressed piece at a time (read1),
    # so that what comes before damage is read before the read that meets it.
    step = _GZIP_STEP if gz else MAX_LINE_BYTES
    read = stream.read1 if isinstance(stream, gzip.GzipFile) else stream.read
    line_no = span.first_line - 1 if span is not None else 0
    tell = _tell(fh) if progress is not None else None
    reported_at = tell() if tell is not None else 0
    carry = b""  # the start of a line whose newline is not read yet
    overlong = False  # inside a line over MAX_LINE_BYTES: drop bytes up to its newline

    def skip_overlong() -> None:
        nonlocal line_no
        line_no += 1
        summary.lines += 1
        summary.skip(line_no)
        summary.warnings.append(f"line {line_no} is longer than 1 MiB and was skipped")

    try:
        while remaining > 0:
            try:
                data = read(min(step, remaining))
            except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
                if gz:
                    summary.warnings.append(
                        f"compressed data is damaged or truncated after line {line_no} ({exc}); "
                        f"the {line_no} lines before it were read"
                    )
                else:
                    summary.warnings.append(f"read error after line {line_no}: {exc}")
                return
            if not data:
                break
            remaining -= len(data)
            if progress is not None:
                at = tell() if tell is not None else reported_at + len(data)
                progress(at - reported_at, 0)
                reported_at = at
            if overlong:
                nl = data.find(b"\n")
                if nl < 0:
                    continue
                data = data[nl + 1 :]
                overlong = False
            nl = data.find(b"\n")
            if carry and (nl if nl >= 0 else len(data)) + len(carry) > MAX_LINE_BYTES:
                carry = b""
                skip_overlong()
                if nl < 0:
                    overlong = True
                    continue
                data = data[nl + 1 :]
            last = data.rfind(b"\n")
            if last < 0:
                carry += data
                continue
            block = b"".join((carry, memoryview(data)[: last + 1])) if carry else data[: last + 1]
            carry = data[last + 1 :]
            lines = count_block_newlines(block)
            summary.lines += lines
            if progress is not None:
                progress(0, lines)
            yield line_no + 1, block
            line_no += lines
        if carry:
            if len(carry) > MAX_LINE_BYTES:
                skip_overlong()
            else:
                summary.lines += 1
                if progress is not None:
                    progress(0, 1)
                yield line_no + 1, carry
                line_no += 1
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def block_lines(first: int, block: bytes) -> Iterator[tuple[int, str]]:
    """``(line_no, text)`` of every line of a block from :func:`iter_blocks`: UTF-8 (invalid bytes replaced),
    without its line ending."""
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    for i, raw in enumerate(lines, start=first):
        yield i, decode_line(raw)


def decode_line(raw: bytes) -> str:
    """A line's text as every reader sees it: UTF-8 with invalid bytes replaced, without its line ending."""
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def iter_lines(
    path: str,
    summary: InputSummary,
    raw: BinaryIO | None = None,
    *,
    span: Span | None = None,
    progress: Progress | None = None,
) -> Generator[tuple[int, str], None, None]:
    """Yield ``(line_no, text)`` for every line: :func:`iter_blocks`, a line at a time (same arguments)."""
    blocks = iter_blocks(path, summary, raw, span=span, progress=progress)
    try:
        for first, block in blocks:
            yield from block_lines(first, block)
    finally:
        blocks.close()


_STDIN_CACHE: tuple[object, bytes, bool] | None = None
_STDIN_READ = 64 << 20  # what a config read from stdin may hold (a partial may be larger: it asks for more)


def _stdin_bytes(limit: int) -> tuple[bytes, bool]:
    """Standard input, read once (``max(limit, 64 MiB) + 1`` bytes at most), and whether that was all of it:
    every reader that looks at ``-`` (sniffing the kind of a config, then loading it) sees the same bytes. The
    cache follows ``sys.stdin`` if it is replaced."""
    global _STDIN_CACHE
    stream = sys.stdin
    if _STDIN_CACHE is None or _STDIN_CACHE[0] is not stream:
        count = max(limit, _STDIN_READ) + 1
        buffer = getattr(stream, "buffer", None)
        # a text stream without a buffer: tests
        data = stream.read(count).encode("utf-8", "surrogateescape") if buffer is None else _read_at_most(buffer, count)
        _STDIN_CACHE = (stream, data, len(data) < count)
    return _STDIN_CACHE[1], _STDIN_CACHE[2]


def _read_at_most(fh: BinaryIO, count: int) -> bytes:
    """Up to ``count`` bytes, in blocks (one big read would reserve all of it at once)."""
    parts: list[bytes] = []
    size = 0
    while size < count:
        block = fh.read(min(1 << 20, count - size))
        if not block:
            break
        parts.append(block)
        size += len(block)
    return b"".join(parts)


# ---- every input but logs: one bounded reader


_PIPE_CACHE: dict[str, bytes] = {}  # a pipe can be read once: what it held, for every reader that looks again


def read_input(path: str, limit: int, what: str = "a configuration file", *, included: bool = False) -> bytes:
    """The bytes of a non-log input (a config, an include, a chain file, a scan report, a partial), opened as
    logs are (:func:`open_input`: read-only, without blocking, regular files or a pipe into stdin, ``-`` for
    stdin) and refused past ``limit`` bytes. ``included``: a file another file names: a regular file outside
    /proc, /sys and /dev only. A pipe is read once; later calls get the same bytes. Raises :class:`InputError`.
    """
    shown = "<stdin>" if path == "-" else path
    key = None  # where a pipe's bytes are kept
    if path != "-":
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                key = os.path.abspath(path)
        except (OSError, ValueError):
            pass  # open_input says why
    complete = True
    if path == "-":
        data, complete = _stdin_bytes(limit)
    elif key is not None and key in _PIPE_CACHE:
        data = _PIPE_CACHE[key]
    else:
        fh = open_input(path, what, regular_only=included)
        try:
            data = _read_at_most(fh, limit + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
        finally:
            fh.close()
        if key is not None:
            _PIPE_CACHE[key] = data
    if len(data) > limit or not complete:
        size_text = f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit >> 10} KiB"
        raise InputError(f"{shown}: larger than {size_text}; not {what}")
    return data


# ---- every path a run read, so that no output ever lands on one

_INPUTS: dict[str, str] = {}  # absolute path -> the path as given


def begin_run(declared: Iterable[str]) -> None:
    """Forget the inputs of an earlier run (in this process) and note the paths a command was given."""
    _INPUTS.clear()
    _PIPE_CACHE.clear()
    for path in declared:
        note_input(path)


def note_input(path: str) -> None:
    """Note a file read (a config, an include it followed, a log, an app-server file ...)."""
    if path and path != "-":
        _INPUTS.setdefault(os.path.abspath(path), path)


def input_at(target: str) -> str | None:
    """The input (as given) that ``target`` is the same file as (:func:`os.path.samefile`), if any."""
    try:
        st = os.stat(target)
    except (OSError, ValueError):
        return None  # nothing there yet: it cannot be an input
    if not stat.S_ISREG(st.st_mode):
        return None  # a terminal, /dev/null, a pipe: written to, never replaced
    for absolute, given in list(_INPUTS.items()):
        try:
            other = os.stat(absolute)
        except (OSError, ValueError):
            continue
        if os.path.samestat(st, other):
            return given
    return None


def count_input_lines(path: str) -> int:
    """How many lines an input read with :func:`read_input` has, for its summary: a pipe or stdin from what was
    kept of it (it cannot be read again), a regular file read again; 0 when neither."""
    if path == "-":
        blocks = [_STDIN_CACHE[1]] if _STDIN_CACHE is not None and _STDIN_CACHE[0] is sys.stdin else []
    elif os.path.abspath(path) in _PIPE_CACHE:
        blocks = [_PIPE_CACHE[os.path.abspath(path)]]
    else:
        try:
            fh = open_input(path, regular_only=True)
        except InputError:
            return 0
        with fh:
            blocks = list(iter(lambda: fh.read(1 << 20), b""))
    lines = sum(block.count(b"\n") for block in blocks)
    last = next((block for block in reversed(blocks) if block), b"")
    return lines + (1 if last and not last.endswith(b"\n") else 0)
