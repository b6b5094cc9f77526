"""What a log format is: a cheap sniff for auto-detection and a line parser into the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from lpdoctor.model import ErrorEvent, RequestRecord

Parsed = RequestRecord | ErrorEvent


class LineParser(Protocol):
    """Parses one line. Returns None when the line is not in this format (it is then counted as skipped).

    Must never raise on any input: every byte of a log line is attacker-controlled.
    """

    def __call__(self, line: str, line_no: int, source: str) -> Parsed | None: ...


@dataclass(frozen=True)
class TextField:
    """One field of a :class:`TextLayout`: the literal text before it, the name of its value (an nginx variable,
    say), what the reader does with that value (``role``: the compiled path's vocabulary, see
    ``lpdoctor/scan/fastpath.py`` ``TEXT_ROLES``), and whether it may hold several values joined by ``", "`` or
    ``" : "`` (``multi``)."""

    before: str
    name: str
    role: str
    multi: bool = False


@dataclass(frozen=True)
class TextLayout:
    """A text line as fixed literals between fields: ``fields[0].before``, field 0, ``fields[1].before``, ...,
    the last field, ``after``; then up to 16 blanks. A field followed by a literal runs to the first byte of
    that literal (a ``multi`` one: values of ``[^ ,"]{0,256}`` joined by ``", "`` or ``" : "``); the last one,
    with nothing after it, to the end of the line. The reader's regex and the compiled path both come from
    it (``nginx_access.layout_regex``; ``fastpath.text_fields``)."""

    fields: tuple[TextField, ...]
    after: str = ""


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
    # ``layout`` describes: an nginx ``log_format``). See lpdoctor/scan/fastpath.py.
    fast: str | None = None
    # For fast == "fields": the line's layout, which the compiled path walks (None for the other shapes).
    layout: TextLayout | None = None

    def parser(self) -> LineParser:
        return self.make_parser()  # type: ignore[operator]
