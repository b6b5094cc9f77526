"""nginx's error log on the compiled path: the scanner counts and times the lines that add nothing but their time
(no request, none of the kinds lpdoctor knows: closed keepalive connections, start-up notices ...), groups the lines
about a request in the shape nginx writes them (by route, hold, kind, action, host and server: the first line of
each group goes to the reader) and hands every other line to the reader, in its place. The aggregate, the input's
summary and the report are the Python path's, on real lines, odd ones at every boundary of what the scanner
takes, seeded mutations and --since/--until windows."""

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
from tests.test_fastpath import (
    _write,
    assert_each_alone,
    assert_same,
    both,
    built,
    counted_parses,
    mutated_lines,
)

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


H = "2026/06/12 10:16:42 [error] 1#1: *5 "
TIMED_OUT = "upstream timed out (110: Connection timed out) while reading response header from upstream"
FIELDS = 'client: 1.2.3.4, server: a, request: "GET /_matrix/client/v3/sync?timeout=30000 HTTP/1.1"'
# Lines about a request at every boundary of the shape the scanner groups (the rest go to the reader).
ODD_REQUEST_LINES = [
    f"{H}{TIMED_OUT}, {FIELDS}, upstream: " + '"http://10.0.0.5:8008/x", host: "a"',
    f"{H}{TIMED_OUT}, {FIELDS}",  # no upstream, no host: the server names the host
    f'{H}{TIMED_OUT}, client: 1.2.3.4, request: "GET /a HTTP/1.1"',  # no server either
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: , request: "GET /a HTTP/1.1", host: ""',  # empty values
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a"',  # no version
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1.1.1"',  # a version of 5 bytes
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1.1.1.1"',  # 6: no request
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/x"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a b HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "get /a HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "ABCDEFGHIJKLMNOPQRST /a HTTP/1.1"',  # 20 letters
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "ABCDEFGHIJKLMNOPQRSTU /a HTTP/1.1"',  # 21
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "M-_ /a?x=1#frag HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET http://other.example/p?q HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET ?only=query HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /é HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /\x01 HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a\\"b HTTP/1.1"',  # a backslash: the reader
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", host: "a", host: "b"',  # twice
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", port: 8080',  # not a field
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", host: "a" ',  # a space after
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", host: "a',  # unclosed
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a"b, request: "GET /a HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: {"s" * 4096}, request: "GET /a HTTP/1.1"',  # the longest
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: {"s" * 4097}, request: "GET /a HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", host: "{"h" * 9000}"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", referrer: "https://x/, host: y"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", subrequest: "/auth", host: "B"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", host: "bé"',
    f'{H}upstream timed out while connecting, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1"',
    f'{H}upstream timed out while x while {"y" * 90}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1"',
    f'{H}upstream timed out while é, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1"',
    f'{H}upstream timed out, client: 1.2.3.4, server: a while b, request: "GET /a HTTP/1.1"',
    f'{H}something else, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", upstream: "no live upstreams"',
    f'{H}no live upstreams while connecting to upstream, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", '
    'upstream: "http://backend/a", host: "a"',
    f'{H}upstream prematurely closed connection while reading, client: 1.2.3.4, server: a, request: "GET /a"',
    f'{H}client prematurely closed connection, client: 1.2.3.4, server: a, client: 5.6.7.8, request: "GET /a"',
    f'{H}a, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1", client: 1.2.3.4',
    f'{H}a, client: 1.2.3.4,server: a, request: "GET /a HTTP/1.1"',
    f'{H}a, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1",',
    f"{H}a, client: 1.2.3.4, server: a, request: GET /a HTTP/1.1",  # the request unquoted
    f'{H}a, client: 1.2.3.4, server: a, request: ""',
    f"{H}a, client: 1.2.3.4, server: a",  # no request: unrouted
    f"{H}, client: 1.2.3.4, server: a, request: " + '"GET /a HTTP/1.1"',  # no message
    "2026/06/12 10:16:42 [error] 1#1: *12345678901234567890 a, client: 1.2.3.4, request: " + '"GET /a HTTP/1.1"',
    "2026/06/12 10:16:42 [error] 1#1: *123456789012345678901 a, client: 1.2.3.4, request: " + '"GET /a HTTP/1.1"',
    "2026/06/12 10:16:42 [error] 1#1: *x a, client: 1.2.3.4, request: " + '"GET /a HTTP/1.1"',
    "2026/06/12 10:16:42 [error] 1#1: a, client: 1.2.3.4, request: " + '"GET /b HTTP/1.1"',  # no connection
    f'{H}a, client: 1.2.3.4, server: a, request: "GET /{"p" * 59_000} HTTP/1.1"',  # just under the most
    f'{H}a, client: 1.2.3.4, server: a, request: "GET /{"p" * 61_000} HTTP/1.1"',
    f'{H}{TIMED_OUT}, client: 1.2.3.4, server: a, request: "GET /a HTTP/1.1"\r',
    # alike but for what decides: the kind (a needle in a field is not the kind), the server (the host when there
    # is none), the hold asked for
    f"{H}foo while reading response header from upstream, {FIELDS}, " + 'upstream: "upstream timed out", host: "a"',
    f"{H}{TIMED_OUT}, " + FIELDS.replace("server: a", "server: b"),
    f"{H}{TIMED_OUT}, " + FIELDS.replace("timeout=30000", "timeout=5000"),
    f"{H}{TIMED_OUT}, " + FIELDS.replace("timeout=30000", "timeout=30000&since=s7"),
    # an escaped quote does not end a quoted value: the reader's hosts are 'a\", upstream: ' and 'a\", referrer: '
    f"{H}{TIMED_OUT}, {FIELDS}, " + 'host: "a\\", upstream: "b"',
    f"{H}{TIMED_OUT}, {FIELDS}, " + 'host: "a\\", referrer: "b"',
]


def _lines(n: int, seed: int, fmt: str = "nginx-error") -> list[str]:
    return list(bench_traffic.lines(fmt, "ids", n, seed=seed))


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
def test_request_lines_are_grouped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An outage's error log (every line a failed request), real lines and odd ones: the reader reads a group's
    first line, not every line."""
    outage = _lines(30_000, seed=12, fmt="nginx-error-outage")
    lines = FIXTURE.read_text().splitlines() + ODD_REQUEST_LINES * 3 + outage + ODD_REQUEST_LINES
    log = _write(tmp_path / "outage.log", lines)
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, log, FORMAT)
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
    assert fast.inputs[0].skipped == 0 and fast.unrouted_errors
    assert {"upstream-timeout", "connect-failed", "no-live-upstreams"} <= set().union(
        *(rs.errors for rs in fast.routes.values())
    )
    # the reader: the odd lines the scanner does not take, and one line a group (a few thousand: 100 k ids)
    assert calls["line"] // 2 < 4 * len(ODD_REQUEST_LINES) + 200
    assert calls["group"] < len(outage) // 3


@built
def test_route_cap_and_a_flood_of_probes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A scanner probing 3 000 distinct paths (404s: open() failed) among an outage's lines, with 12 routes kept:
    the lines of the routes the aggregate turns away are unrouted, by kind, grouped together (no parse a route)."""
    rnd = random.Random(7)
    words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(5, 9))) for _ in range(3000)]
    probes = [
        f'{H}open() "/usr/share/nginx/html/{w}/admin.php" failed (2: No such file or directory), client: 1.2.3.4, '
        f'server: a, request: "GET /{w}/admin.php HTTP/1.1", host: "a"'
        for w in words
    ]
    outage = _lines(8000, seed=16, fmt="nginx-error-outage")
    # the probes after the first block (1 MiB): the scanner learns at its end that the cap is reached
    lines = outage[:5000] + [line for pair in zip(outage[5000:], probes, strict=True) for line in pair]
    log = _write(tmp_path / "probes.log", lines + ODD_REQUEST_LINES)
    assert log.stat().st_size > 1.1 * (1 << 20) and sum(map(len, outage[:5000])) > 1 << 20
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 1)  # (a hand-over at the end of every block)
    for cap in (12, 3):
        calls = counted_parses(monkeypatch)
        fast, slow = both(monkeypatch, log, FORMAT, max_routes=cap, track_refused=True)
        assert_same(fast, slow)
        assert fast.refused is not None and slow.refused is not None
        assert fast.refused.bits == slow.refused.bits and f"/{words[-1]}/admin.php" in fast.refused
        assert fast.unrouted_errors == slow.unrouted_errors and fast.unrouted_errors["other"] > 2900
        assert calls["group"] < 300  # not one a refused route


@built
def test_odd_request_lines_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each odd line alone after two grouped ones (with a host, and without: the server names it), so a line the
    scanner took wrongly shows as its own difference."""
    assert_each_alone(tmp_path, monkeypatch, FORMAT, ODD_REQUEST_LINES[:2], ODD_REQUEST_LINES)


@built
def test_windows_and_hand_overs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(5)
    lines = _lines(20_000, seed=9) + _lines(10_000, seed=13, fmt="nginx-error-outage")
    log = _write(tmp_path / "times.log", _restamped(lines + ODD_ERROR_LINES * 5 + ODD_REQUEST_LINES * 5, rnd))
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
    seeds = _lines(2000, seed=10) + _lines(1000, seed=14, fmt="nginx-error-outage") + ODD_ERROR_LINES[:-3]
    seeds += ODD_REQUEST_LINES
    lines = mutated_lines(seeds, 30_000, rnd)
    log = _write(tmp_path / "mutated.log", lines)
    fast, slow = both(monkeypatch, log, FORMAT)
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()


@built
def test_detected_in_pieces_on_two_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _lines(40_000, seed=11) + _lines(20_000, seed=15, fmt="nginx-error-outage")
    log = _write(tmp_path / "error.log", lines + ODD_ERROR_LINES + ODD_REQUEST_LINES)
    fast, _ = scan_inputs([str(log)], jobs=2, pieces=3)
    monkeypatch.setenv("LPDOCTOR_NO_FAST", "1")
    slow, _ = scan_inputs([str(log)], jobs=1)
    assert fast.inputs[0].format == "nginx-error"
    assert_same(fast, slow)
