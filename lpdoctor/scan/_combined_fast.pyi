"""Types of the compiled fast path (lpdoctor/scan/_combined_fast.c); see lpdoctor/scan/fastpath.py."""

from collections.abc import Callable, Iterable

SCAN_END: int
SCAN_PYTHON: int
SCAN_FULL: int

GroupKey = tuple[str, int, int, int, int, int]  # route, method, status, upstream status, hold, no header
Group = tuple[bytes, int, int, list[tuple[int, int]], list[tuple[int, int]], GroupKey]

class Scanner:
    pending: int
    def __init__(
        self,
        segment_template: Callable[[str], str],
        route_template: Callable[[str], str],
        hold_key: Callable[[str, str], int],
        hold_names: Callable[[str], Iterable[str]],
        timing: bool,
        kv: bool = False,
    ) -> None: ...
    def scan(self, buffer: bytes, pos: int, line_no: int, /) -> tuple[int, int, int]: ...
    def add_record(self, record: object, /) -> None: ...
    def take(self) -> list[Group | object]: ...
