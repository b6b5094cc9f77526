"""A progress bar for long scans, on standard error only, and only on a terminal.

Bytes read of the total, MB/s and lines/s. It appears once a scan has run for :data:`DELAY_S` (short scans
stay silent) and is cleared when the scan ends, so nothing is left between the command and its report; standard
output, where ``--format json`` goes, is never touched.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

DELAY_S = 1.0


class ScanProgress:
    """``with ScanProgress(total_bytes) as p: ... p.advance(bytes, lines)``; does nothing off a terminal."""

    def __init__(self, total_bytes: int | None, stream: TextIO | None = None, delay_s: float = DELAY_S) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = self._stream.isatty()
        self._total = total_bytes or None
        self._delay_s = delay_s
        self._started = time.monotonic()
        self._bytes = 0
        self._lines = 0
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def advance(self, nbytes: int, nlines: int) -> None:
        self._bytes += nbytes
        self._lines += nlines
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self._started < self._delay_s:
                return
            # rich only when a bar is drawn: a scan into a pipe or a file does not pay for importing it
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("scanning"),
                BarColumn(),
                DownloadColumn(),
                TextColumn("{task.fields[rates]}"),
                TimeRemainingColumn(),
                console=Console(file=self._stream),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("scan", total=self._total, rates="")
        assert self._task is not None
        self._bar.update(self._task, completed=self._bytes, rates=self.rates())

    def rates(self) -> str:
        """``"41.2 MB/s, 253k lines/s"`` since the scan started."""
        elapsed = max(time.monotonic() - self._started, 1e-6)
        return f"{self._bytes / elapsed / 1e6:.1f} MB/s, {self._lines / elapsed / 1000:.0f}k lines/s"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> ScanProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
