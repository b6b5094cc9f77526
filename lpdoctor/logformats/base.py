"""What a log format is: a cheap sniff for auto-detection and a line parser into the model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from lpdoctor.logformats.layout import TextLayout
from lpdoctor.model import ErrorEvent, RequestRecord

Parsed = RequestRecord | ErrorEvent


class LineParser(Protocol):
    """Parses one line. Returns None when the line is not in this format (it is then counted as skipped).

    Must never raise on any input: every byte of a log line is attacker-controlled.
    """

    def __call__(self, line: str, line_no: int, source: str) -> Parsed | None: ...


@dataclass
class LogFormat:
    """One log format lpdoctor can read.

    ``name`` is what the report shows ("nginx-combined", "sozu-access" ...); ``kind`` is "access" or
    "error"; ``has_timing`` says whether request durations are in the lines. ``make_parser`` returns a
    fresh parser (parsers may cache, so each input gets its own). ``priority`` breaks ties in
    auto-detection: the richer format of two that parse the same lines wins.
    ``fast``: which shape of this format the compiled fast path reads (None: none).
    """

    name: str
    kind: str
    has_timing: bool
    make_parser: object  # Callable[[], LineParser]; typed loosely so dataclass stays simple
    priority: int = 0
    description: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)
    # The compiled fast path reads this format too: "combined" (nginx combined, nothing after it), "timing"
    # (combined + $request_time $upstream_response_time $upstream_status) or "kv" (combined + the samples'
    # rt= uct="" uht="" urt="" us="" ua="" tail) or "apache" (Apache combined + %D), ..., or "fields" (any line
    # ``layouts`` describe: an nginx ``log_format``). See lpdoctor/scan/fastpath.py.
    fast: str | None = None
    # For fast == "fields": the line's layouts, which the compiled path tries in order (none for the other shapes).
    layouts: tuple[TextLayout, ...] = ()
    # For fast == "json": a JSON log_format's own keys (key -> nginx variable), looked up as they are before
    # nginx_access.ALIASES (None: only those).
    json_keys: Mapping[str, str] | None = None

    def parser(self) -> LineParser:
        return self.make_parser()  # type: ignore[operator]
