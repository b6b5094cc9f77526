"""Types of the compiled fast path (lpdoctor/scan/_combined_fast.c); see lpdoctor/scan/fastpath.py."""

from collections.abc import Callable, Iterable
from typing import Any

SCAN_END: int
SCAN_PYTHON: int
SCAN_FULL: int

# route (None: the overflow bucket's, see close_routes), method, status, upstream status, hold, no header, the rest
# (HAProxy: termination state, captures)
GroupKey = tuple[str | None, int, int, int, int, int, bytes]
# (first time, last time, timeline width, first bucket, last bucket, [(bucket, requests)])
When = tuple[float, float, int, int, int, list[tuple[int, int]]]
# (first line, its number, lines, [(request time, lines, first time, last time)], [(upstream time, lines)], key,
# when); times in whole units (ms, µs or ns, negative: none), or a float: the mean of folded values (folded_items)
Group = tuple[
    bytes,
    int,
    int,
    list[tuple[int | float, int, float | None, float | None]],
    list[tuple[int, int]],
    GroupKey,
    When | None,
]

class Scanner:
    pending: int
    route_count: int
    def __init__(
        self,
        segment_template: Callable[[str], str],
        route_template: Callable[[str], str],
        hold_key: Callable[[str, str], int],
        hold_names: Callable[[str], Iterable[str]],
        shape: str,  # LogFormat.fast: combined, timing, kv, apache, haproxy, json, caddy, alb, sozune, ..., fields
        since: float | None = None,
        until: float | None = None,
        max_time: float = 1e13,
        # the JSON shapes only: (name, role, variable, required, expected text, exact)
        json_keys: list[tuple[bytes, int, int, bool, bytes, bool]] | None = None,
        fold_case: bool = False,
        hold_present: Callable[[str], Iterable[str]] | None = None,  # a subset of hold_names: values read as "" or not
        per_second: int = 0,  # durations' units a second; > 0: many distinct ones are folded (durations_add)
        max_duration: float = 2592000.0,  # MAX_REQUEST_S
        # fields only: the layouts, tried in order: (fields, literal after, exact), each field (literal before, role,
        # variable, multi, chars, dash, min, max, set) (fastpath.text_layouts)
        text_layouts: list[tuple[list[tuple[Any, ...]], bytes, bool]] | None = None,
        # nginx_error: a line holding one of these goes to the Python parser (nginx_error.PYTHON_NEEDLES)
        needles: list[bytes] | None = None,
    ) -> None: ...
    def scan(self, buffer: bytes, pos: int, line_no: int, /) -> tuple[int, int, int]: ...
    def add_record(self, record: object, /) -> None: ...
    def template(self, segment: bytes, /) -> str: ...
    def take(self, limit: int = -1, /) -> list[Group | object]: ...
    def close_routes(self, admitted: Callable[[str], bool], track: bool = False, /) -> None: ...
    def refused(self) -> list[str]: ...
    def window(self) -> tuple[int, int, float | None, float | None]: ...
    def quiet(self) -> int: ...
    def discover(self) -> None: ...
    def routes(self, start: int = 0, /) -> list[str]: ...

def newlines(buffer: bytes | bytearray | memoryview, /) -> int: ...
