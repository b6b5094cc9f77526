"""nginx's error log on the compiled path: the scanner counts and times the lines that add nothing but their time
(no request, none of the kinds lpdoctor knows: closed keepalive connections, start-up notices ...) and hands every
other line to the reader, in its place. The aggregate, the input's summary and the report are the Python path's,
on real lines, odd ones at every boundary of what the scanner takes, seeded mutations and --since/--until
windows."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from bench import traffic as bench_traffic
from lpdoctor.logformats.nginx_error import PYTHON_NEEDLES
from lpdoctor.logformats.registry import get_format
from lpdoctor.scan import fastpath
from lpdoctor.scan.parallel import scan_inputs
from tests.test_fastpath import _write, assert_same, both, built, counted_parses, mutated_lines

FIXTURE = Path(__file__).parent / "fixtures" / "logformats" / "nginx-error.log"
FORMAT = get_format("nginx-error")
QUIET = "2026/06/12 10:16:42 [info] 2211#2211: *1143568 client 203.0.113.7 closed keepalive connection"
ODD_ERROR_LINES = [
    QUIET,
    "2026/06/12 10:16:42 [notice] 21204#21204: start worker process 21205",  # no connection id
    "2026/06/12 10:16:42 [a] 1#1: ",  # the shortest prefix, no message
    "2026/06/12 10:16:42 [abcdefgh] 1234567890#1234567890: *12345678901234567890 x",  # every bound at its most
    "2026/06/12 10:16:42 [abcdefghi] 1#1: nine letters",  # the reader refuses these: skipped
    "2026/06/12 10:16:42 [Info] 1#1: upper case",
    "2026/06/12 10:16:42 [] 1#1: no level",
    "2026/06/12 10:16:42 [info] 12345678901#1: eleven digits",
    "2026/06/12 10:16:42 [info] 1#: no thread",
    "2026/06/12 10:16:42 [info] 1#1 no colon",
    "2026/06/12 10:16:42 [info] 1#1:no space",
    " 2026/06/12 10:16:42 [info] 1#1: a space before",
    "2026/13/12 10:16:42 [info] 1#1: month 13 (timegm refuses it: no time)",
    "2026/00/12 10:16:42 [info] 1#1: month 0",
    "0000/06/12 10:16:42 [info] 1#1: year 0",
    "2026/06/00 10:16:42 [info] 1#1: day 0 (the day before the 1st)",
    "2026/06/99 99:99:99 [info] 1#1: day and time past their range (timegm adds them up)",
    "２０２６/06/12 10:16:42 [info] 1#1: full-width digits",
    "2026/06/12 10:16:42 [info] 1#1: *5 client 203.0.113.7 closed keepalive connection\r",
    "2026/06/12 10:16:42 [info] 1#1: *5 bytes \x00 and \x7f and é and \udcff in the message",
    "2026/06/12 10:16:42 [info] 1#1: *5 " + "x" * 70_000,  # longer than the scanner takes
    "2026/06/12 10:16:42 [info] 1#1: *5 " + "x" * 59_950,  # just under
    "2026/06/12 10:16:42 [info] 1#1: *5 " + "x" * 70_000 + " upstream timed out",  # past the reader's 65 536
    # a kind without a request: unrouted, counted by kind
    "2026/06/12 10:16:42 [error] 1#1: *5 no live upstreams while connecting to upstream",
    '2026/06/12 10:16:42 [error] 1#1: *5 open() "/srv/x.png" failed (2: No such file or directory), client: 1.2.3.4, '
    'server: a, request: "GET /x.png HTTP/1.1", host: "a"',
    "2026/06/12 10:16:42 [error] 1#1: *5 upstream timed out (110: Connection timed out) while reading response "
    'header from upstream, client: 1.2.3.4, server: a, request: "GET /_matrix/client/v3/sync?timeout=30000 '
    'HTTP/1.1", upstream: "http://10.0.0.5:8008/_matrix/client/v3/sync?timeout=30000", host: "a"',
    "2026/06/12 10:16:42 [info] 1#1: *5 client timed out (110: Connection timed out) while waiting for request",
    "2026/06/12 10:16:42 [info] 1#1: *5 a message that says , client: in its middle",
    "",
    "   ",
    "not an nginx line",
]


def _lines(n: int, seed: int) -> list[str]:
    return list(bench_traffic.lines("nginx-error", "ids", n, seed=seed))


def _restamped(lines: list[str], rnd: random.Random) -> list[str]:
    """Times spread over two days and out of order (the lines of the same second come together)."""
    out = []
    for line in lines:
        if len(line) > 19 and line[4] == "/" and line[:4].isascii():
            stamp = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(1_795_132_800 + rnd.randrange(0, 2 * 86_400)))
            line = stamp + line[19:]
        out.append(line)
    return out


def test_the_reader_hands_the_scanner_the_needles_it_reads() -> None:
    assert FORMAT is not None and FORMAT.fast == "nginx_error"
    assert PYTHON_NEEDLES[0] == ", client: " and "upstream timed out" in PYTHON_NEEDLES


@built
def test_real_odd_and_generated_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = FIXTURE.read_text().splitlines() + ODD_ERROR_LINES * 3 + _lines(20_000, seed=8)
    log = _write(tmp_path / "error.log", lines, raw_tail=b"2026/06/12 10:16:42 [info] 1#1: \xff\xfe invalid")
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, log, FORMAT)
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
    assert fast.inputs[0].skipped > 0 and fast.unrouted_errors and fast.routes
    # the closed keepalive connections (most of the generated lines) were read in C; the rest by the reader
    keepalive = sum("closed keepalive connection" in line for line in lines)
    assert keepalive > 15_000
    read_by_reader = calls["line"] // 2  # (both() reads the file twice: once with the scanner, once without)
    assert read_by_reader < len(lines) - keepalive + 10


@built
def test_windows_and_hand_overs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(5)
    log = _write(tmp_path / "times.log", _restamped(_lines(20_000, seed=9) + ODD_ERROR_LINES * 5, rnd))
    fast, slow = both(monkeypatch, log, FORMAT)
    assert_same(fast, slow)
    day = 1_795_132_800
    for window in ((day + 40_000, day + 90_000), (day + 50_000, None), (None, day + 30_000), (day, day)):
        fast, slow = both(monkeypatch, log, FORMAT, window=window)
        assert fast.outside == slow.outside > 0
        assert_same(fast, slow)
        assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 7)
    fast, slow = both(monkeypatch, log, FORMAT, window=(day + 40_000, None))
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()


@built
def test_seeded_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(2027)
    seeds = _lines(2000, seed=10) + ODD_ERROR_LINES[:-3]
    lines = mutated_lines(seeds, 30_000, rnd)
    log = _write(tmp_path / "mutated.log", lines)
    fast, slow = both(monkeypatch, log, FORMAT)
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()


@built
def test_detected_in_pieces_on_two_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _write(tmp_path / "error.log", _lines(40_000, seed=11) + ODD_ERROR_LINES)
    fast, _ = scan_inputs([str(log)], jobs=2, pieces=3)
    monkeypatch.setenv("LPDOCTOR_NO_FAST", "1")
    slow, _ = scan_inputs([str(log)], jobs=1)
    assert fast.inputs[0].format == "nginx-error"
    assert_same(fast, slow)
