"""Running one fuzz input: a hard time limit, and a verdict (fine, expected error, crash, too slow).

The limit is a ``SIGALRM`` timer (main thread, Unix), so a regular expression that backtracks forever is
interrupted too (CPython's ``re`` checks for signals while matching). A timer already running (pytest-timeout
uses one) is saved and re-armed afterwards, minus the time spent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


class InputTimeout(Exception):
    """One input took longer than its limit."""


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`InputTimeout` in the block after ``seconds`` (best effort where SIGALRM is missing)."""
    if not _can_alarm():
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise InputTimeout(f"over {seconds:g} s")

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), previous_interval)


@dataclass
class Verdict:
    target: str
    kind: str  # "ok", "error" (an allowed, clear error), "crash", "slow", "hang"
    seconds: float
    detail: str = ""
    data: object = None


@dataclass
class Budget:
    """A fixed amount of wall-clock time shared by everything that draws on it."""

    seconds: float
    started: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def spent(self) -> bool:
        return self.left() <= 0


def run_one(name: str, func: Callable[[], None], limit_s: float, slow_s: float, data: object = None) -> Verdict:
    """Run ``func`` (one input through one target) under ``limit_s``; judge it.

    ``func`` raises ``AssertionError`` (a broken invariant) or anything unexpected on a bug; the target itself
    swallows the one error type its reader may raise (after checking its message).
    """
    started = time.perf_counter()
    try:
        with time_limit(limit_s):
            func()
    except InputTimeout:
        return Verdict(name, "hang", time.perf_counter() - started, f"no answer within {limit_s:g} s", data)
    except Exception as exc:  # RecursionError and MemoryError too: a reader must turn them into its own error
        detail = f"{type(exc).__name__}: {str(exc)[:300]}\n{_frames(exc)}"
        return Verdict(name, "crash", time.perf_counter() - started, detail, data)
    elapsed = time.perf_counter() - started
    if elapsed > slow_s:
        return Verdict(name, "slow", elapsed, f"{elapsed:.2f} s (limit {slow_s:g} s)", data)
    return Verdict(name, "ok", elapsed, "", data)


def _frames(exc: BaseException) -> str:
    """The last frames of the traceback (file, line, code), without the message again."""
    return "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)[-8:]))


def pwned_sentinel() -> str:
    """A file a YAML ``!!python/object/apply`` payload in the mutations would create if it ever ran."""
    return os.path.join(os.environ.get("TMPDIR", "/tmp"), "lpdoctor-pwned")
