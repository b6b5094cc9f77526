"""The compiled fast path gives exactly what the Python path gives.

The same logs are aggregated twice, once through ``lpdoctor/scan/_combined_fast.c`` (analysis/fastpath.py)
and once line by line in Python (``LPDOCTOR_NO_FAST=1``), and the two aggregates compared field by field:
bench traffic, every odd shape of line the fast path must hand back to Python, seeded mutations of real
lines, a small route cap, and groups handed over in the middle of a file. Then whole reports, through the CLI.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench import traffic as bench_traffic
from bench.generate import lines as bench_lines
from lpdoctor.catalog.holds import HoldMatcher
from lpdoctor.logformats.registry import all_formats
from lpdoctor.scan import fastpath
from lpdoctor.scan.aggregate import ScanAggregate
from lpdoctor.scan.parallel import scan_inputs
from lpdoctor.scan.pipeline import aggregate_file
from tests.fuzz.mutate import mutate

ROOT = Path(__file__).resolve().parent.parent
FORMATS = {f.name: f for f in all_formats()}
TIMING = FORMATS["nginx-timing"]
COMBINED = FORMATS["nginx-combined"]
DAY = 1_795_132_800.0  # 2026-11-20 00:00 UTC: the tests spread times over the days after it

built = pytest.mark.skipif(
    fastpath._combined_fast is None, reason="the C fast path is not built here (no compiler at install time)"
)


def test_the_fast_path_is_built_where_ci_runs() -> None:
    """CI (LPDOCTOR_REQUIRE_REAL=1) must test the compiled module, not quietly fall back to Python."""
    if os.environ.get("LPDOCTOR_REQUIRE_REAL") != "1" and fastpath._combined_fast is None:
        pytest.skip("the C fast path is not built here, and this is not CI")
    assert fastpath._combined_fast is not None, "lpdoctor/scan/_combined_fast.c was not compiled"
    assert fastpath.available(TIMING) and fastpath.available(COMBINED)
    assert all(fastpath.available(FORMATS[name]) for name in ("nginx-kv", "nginx-json", "apache-combined-D"))
    assert fastpath.available(FORMATS["haproxy-httplog"]) and fastpath.available(FORMATS["caddy-json"])
    assert fastpath.available(FORMATS["aws-alb"]) and fastpath.available(FORMATS["sozune"])
    assert fastpath.available(FORMATS["traefik-json"]) and fastpath.available(FORMATS["envoy-json"])
    layouts = ("traefik-clf", "heroku-router", "envoy-default", "ingress-nginx")  # tests/test_fastpath_layout.py
    assert all(fastpath.available(FORMATS[name]) for name in layouts)


def test_hold_values_read_only_as_empty_or_not() -> None:
    """HoldMatcher.present: giving such a parameter the value "1" in place of any other non-empty one (the
    scanner's cut query does) never changes what match() finds, in any order, repeated, empty or bare."""
    matcher = HoldMatcher()
    rnd = random.Random(9)
    values = ["", "1", "0", "7", "abc", "\r", "-5", "5m", "30000", "x" * 300, "+", "a+b", "true"]
    some = False
    for route in ["/v1/kv/a", "/v1/health/service/web", "/v1/jobs", "/apis/x", "/_matrix/client/v3/sync", "/api/p"]:
        present = matcher.present(route)
        assert present <= matcher.names(route)
        names = [*sorted(matcher.names(route)), "other", "index"]
        for _ in range(3000):
            parts = [(rnd.choice(names), rnd.choice([None, *values])) for _ in range(rnd.randrange(5))]
            query = "&".join(n if v is None else f"{n}={v}" for n, v in parts)
            cut = "&".join(n if v is None else f"{n}={'1' if n in present and v else v}" for n, v in parts)
            some = some or cut != query
            assert matcher.match(route, cut) == matcher.match(route, query), (route, query)
    assert some


@built
def test_newlines_counts_what_bytes_count_counts() -> None:
    """iter_blocks counts a block's lines with the compiled newlines(): every length and place of a newline
    around its 16-byte steps, runs past its 255-step counters, and any bytes-like buffer."""
    newlines = fastpath._combined_fast.newlines
    rnd = random.Random(3)
    texts = [b"", b"\n", b"\n" * 5000, b"x" * 5000, bytes(rnd.choice(b"\na\xff\x0a\x8a") for _ in range(9000))]
    texts += [b"a" * k + b"\n" + b"b" * j for k in range(40) for j in (0, 1, 15, 16, 17)]
    for text in texts:
        assert newlines(text) == text.count(b"\n")
        assert newlines(bytearray(text)) == newlines(memoryview(text)) == text.count(b"\n")
    assert newlines(memoryview(texts[4])[7:5001]) == texts[4][7:5001].count(b"\n")


def _without_totals(d: Any, totals: list[float]) -> Any:
    """``d`` with every histogram's float ``total`` taken out (into ``totals``): a sum of the same numbers
    added in another order may differ in its last bit, and nothing reads it but a merge."""
    if isinstance(d, dict):
        out = {}
        for k, v in d.items():
            if k == "total" and isinstance(v, float):
                totals.append(v)
                continue
            out[k] = _without_totals(v, totals)
        return out
    if isinstance(d, list):
        return [_without_totals(v, totals) for v in d]
    return d


def assert_same(fast: ScanAggregate, slow: ScanAggregate) -> None:
    ft: list[float] = []
    st: list[float] = []
    a, b = _without_totals(fast.to_dict(), ft), _without_totals(slow.to_dict(), st)
    if a != b:  # the first difference, readably
        for ra, rb in zip(a["routes"], b["routes"], strict=False):
            assert ra == rb
        assert a == b
    assert len(ft) == len(st)
    assert all(math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9) for x, y in zip(ft, st, strict=True))


def counted_parses(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """From now on, count the fast path's calls of the parser: ``group`` (a group's first line) and ``line`` (a
    line the scanner leaves to the reader)."""
    calls = {"group": 0, "line": 0}
    real_parse, real_read = fastpath.parse_line, fastpath.read_line

    def parse(*args: Any) -> Any:
        calls["group"] += 1
        return real_parse(*args)

    def read(*args: Any) -> Any:
        calls["line"] += 1
        return real_read(*args)

    monkeypatch.setattr(fastpath, "parse_line", parse)
    monkeypatch.setattr(fastpath, "read_line", read)
    return calls


def both(monkeypatch: pytest.MonkeyPatch, path: Path, fmt: Any, **kw: Any) -> tuple[ScanAggregate, ScanAggregate]:
    monkeypatch.delenv("LPDOCTOR_NO_FAST", raising=False)
    fast = aggregate_file(str(path), fmt, **kw)
    monkeypatch.setenv("LPDOCTOR_NO_FAST", "1")
    slow = aggregate_file(str(path), fmt, **kw)
    monkeypatch.delenv("LPDOCTOR_NO_FAST")
    return fast, slow


def assert_each_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: Any, lead: list[str], odd: list[str]
) -> None:
    """Each of ``odd``, twice, after the ``lead`` lines the scanner groups: a line it took wrongly shows as its
    own difference from the Python path (aggregate and input summary)."""
    for n, line in enumerate(odd):
        fast, slow = both(monkeypatch, _write(tmp_path / f"odd{n}.log", [*lead, line, line]), fmt)
        assert_same(fast, slow)
        assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict(), line[:160]


# Lines of every shape the fast path must give back to the Python parser (or skip exactly as it does), and
# lines of the common shape with the values that decide grouping.
_UA = '"-" "Mozilla/5.0 (X11; Linux x86_64)"'
_PREFIX = '198.51.100.7 - - [21/Nov/2026:10:00:00 +0000] "'
ODD_TIMING_LINES = [
    # the common shape, values that matter
    f'{_PREFIX}GET /_matrix/client/v3/sync?timeout=30000&since=s1_2 HTTP/1.1" 200 512 {_UA} 30.001 30.001 200',
    f'{_PREFIX}GET /_matrix/client/v3/sync?since=s9_9&timeout=30000 HTTP/1.1" 200 512 {_UA} 29.100 29.100 200',
    f'{_PREFIX}GET /_matrix/client/v3/sync?timeout=0 HTTP/1.1" 200 512 {_UA} 0.010 0.010 200',
    f'{_PREFIX}GET /_matrix/client/v3/sync?timeout=30000 HTTP/1.1" 504 160 {_UA} 30.000 30.000 504',
    f'{_PREFIX}GET /_matrix/client/v3/sync HTTP/1.1" 200 512 {_UA} 0.010 0.010 200',
    f'{_PREFIX}GET /v1/kv/a?index=7&wait=5m HTTP/1.1" 504 160 {_UA} 60.002 60.002 504',
    f'{_PREFIX}GET /v1/kv/a?wait=5m&index=8 HTTP/1.1" 504 160 {_UA} 60.001 60.001 504',
    # a Consul index is read only as empty or not (HoldMatcher.present): these ask for other holds
    f'{_PREFIX}GET /v1/kv/a?index=&wait=5m HTTP/1.1" 504 160 {_UA} 60.001 60.001 504',
    f'{_PREFIX}GET /v1/kv/a?index&wait=5m HTTP/1.1" 504 160 {_UA} 60.001 60.001 504',
    f'{_PREFIX}GET /v1/kv/a?index=&index=9&wait=5m HTTP/1.1" 504 160 {_UA} 60.001 60.001 504',
    f'{_PREFIX}GET /v1/kv/a?index=9&index=&wait=1m HTTP/1.1" 504 160 {_UA} 60.001 60.001 504',
    f'{_PREFIX}GET /v1/kv/a?wait=5m HTTP/1.1" 504 160 {_UA} 60.001 60.001 504',
    f'{_PREFIX}GET /v1/kv/a?index=1&wait=5m HTTP/1.1" 504 160 {_UA} 60.001 60.001 504',
    f'{_PREFIX}GET /api/poll?timeout=55&x=1 HTTP/1.1" 502 150 {_UA} 50.003 50.003 502',
    f'{_PREFIX}GET /api/poll?x=1&timeout=55 HTTP/1.1" 499 0 {_UA} 40.000 - -',
    f'{_PREFIX}GET /api/poll?timeout=55&timeout=5 HTTP/1.1" 499 0 {_UA} 40.000 40.000 -',
    f'{_PREFIX}GET /api/poll?timeout=5&timeout=55 HTTP/1.1" 499 0 {_UA} 40.000 40.000 -',
    f'{_PREFIX}GET /api/poll?wait=15s HTTP/1.1" 200 10 {_UA} 15.000 15.000 200',
    f'{_PREFIX}GET /api/poll?xtimeout=55 HTTP/1.1" 200 10 {_UA} 1.000 1.000 200',
    f'{_PREFIX}GET /api/poll?timeout= HTTP/1.1" 200 10 {_UA} 1.000 1.000 200',
    f'{_PREFIX}GET /api/poll?=55&timeout HTTP/1.1" 200 10 {_UA} 1.000 1.000 200',
    f'{_PREFIX}GET /api/poll?x=1 HTTP/1.1" 502 10 {_UA} 55.000 55.000 502',
    f'{_PREFIX}GET /api/poll?time%6Fut=55 HTTP/1.1" 502 10 {_UA} 55.000 55.000 502',
    f'{_PREFIX}GET /api/poll?timeout=5%35 HTTP/1.1" 502 10 {_UA} 55.000 55.000 502',
    f'{_PREFIX}GET /api/poll?{"&".join(f"p{i}=1" for i in range(70))}&timeout=55 HTTP/1.1" 200 1 {_UA} 1.000 1.000 200',
    f'{_PREFIX}GET /api/poll?timeout=55{"&p=" + "y" * 3000} HTTP/1.1" 200 1 {_UA} 1.000 1.000 200',
    f'{_PREFIX}GET /api/poll?timeout=55#frag HTTP/1.1" 200 1 {_UA} 1.000 1.000 200',
    f'{_PREFIX}GET /api/poll#x?timeout=55 HTTP/1.1" 200 1 {_UA} 1.000 1.000 200',
    f'{_PREFIX}GET /api/poll? HTTP/1.1" 200 1 {_UA} 1.000 1.000 200',
    f'{_PREFIX}GET /api/poll?? HTTP/1.1" 200 1 {_UA} 1.000 1.000 200',
    f'{_PREFIX}GET /api/poll?timeout=55+ HTTP/1.1" 200 1 {_UA} 1.000 1.000 200',
    # paths
    f'{_PREFIX}GET /api/v1/orders/123/items HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /api/v1/orders/{"9" * 41}/items HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /api/v1/orders/{"9" * 42}/items HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /api/v1/orders/0x12/items HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /api/v1/orders/12-34/items HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /files/550e8400-e29b-41d4-a716-446655440000 HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /files/55084001-2291-4141-1716-446655440000 HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a/b/c/d/e/f/g/h/i/j/k/l HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a/b/c/d/e/f/g/h/i/j/k/l/m HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a/b/c/d/e/f/g/h/i/j/k/l/m/n/o HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET // HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET / HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /users/%41lice/%2F HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /users/!room:example.org/x HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET http://example.org/api/v1/orders/5 HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}OPTIONS * HTTP/1.1" 204 0 {_UA} 0.001 - -',
    f'{_PREFIX}GET garbage HTTP/1.1" 400 0 {_UA} 0.001 - -',
    f'{_PREFIX}GET /caf\u00e9/menu HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /x\x01y HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /x\x00y HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    # methods, protocols, request fields
    f'{_PREFIX}M-SEARCH /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}get /a HTTP/1.1" 400 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}ABCDEFGHIJKLMNOPQRST /a HTTP/1.1" 405 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}ABCDEFGHIJKLMNOPQRSTU /a HTTP/1.1" 405 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/2.0" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a" 200 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a b HTTP/1.1" 400 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1.1.1" 400 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a\tb HTTP/1.1" 400 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}" 400 0 {_UA} 0.000 - -',
    f'{_PREFIX}\\x16\\x03\\x01" 400 0 {_UA} 0.000 - -',
    # statuses, sizes, times
    f'{_PREFIX}GET /a HTTP/1.1" - 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 000 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 - {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 {"1" * 20} {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 {"1" * 21} {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 2000 1 {_UA} 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 123456789.999 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 1234567890.999 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.03 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.0310 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} - 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 - 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 -',
    f'{_PREFIX}GET /a HTTP/1.1" 502 1 {_UA} 0.031 - 502',
    f'{_PREFIX}GET /a HTTP/1.1" 502 1 {_UA} 0.031 0.001, 0.030 502, 502',
    f'{_PREFIX}GET /a HTTP/1.1" 504 1 {_UA} 60.031 30.001, 30.030 504, 504',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.001 : 0.030 302 : 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 200 "example.org"',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 200 10.0.0.1:8080',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} rt=0.031 urt="0.030" us="200"',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031  0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 200   ',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 200\r',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 200\x1f',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 200\u00a0',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 200\u0085',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 {_UA} 0.031 0.030 2\u0660\u0660',
    f'{_PREFIX}GET /a HTTP/1.1" \u0662\u0660\u0660 1 {_UA} 0.031 0.030 200',
    # the other fields
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 "-" "caf\u00e9 \u2028 agent" 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 "\u00ff\u00fe" "-" 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 "-" "a" "b" 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 "-" 0.031 0.030 200',
    f'{_PREFIX}GET /a HTTP/1.1" 200 1 0.031 0.030 200',
    '2001:db8::1 - alice [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "-" 0.031 0.030 200',
    f'{"x" * 257} - - [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "-" 0.031 0.030 200',
    '1.2.3.4 - - [] "GET /a HTTP/1.1" 200 1 "-" "-" 0.031 0.030 200',
    '1.2.3.4 - - [21/Nov/2026:10:00:00 +0000]"GET /a HTTP/1.1" 200 1 "-" "-" 0.031 0.030 200',
    '1.2.3.4  - [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "-" 0.031 0.030 200',
    '1.2.3.4 - - [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "-" 0.031 0.030 200 ' + "z" * 70000,
    '\t1.2.3.4 - - [21/Nov/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "-" 0.031 0.030 200',
    # not requests at all
    "",
    "   ",
    "\t\r",
    "\u00a0",
    "\x00",
    "garbage",
    '{"status": 200, "request": "GET /a HTTP/1.1", "request_time": "0.031"}',
    "2026/11/21 10:00:00 [error] 7#7: *1 upstream timed out (110: Connection timed out)",
]


def _odd_lines_of(fmt_name: str) -> list[str]:
    if fmt_name == "nginx-timing":
        return ODD_TIMING_LINES
    # nginx-combined: the same lines without their timing tail, and with it (then not of this format)
    out = []
    for line in ODD_TIMING_LINES:
        cut = line.rsplit('" ', 1)
        out.append(line)
        if len(cut) == 2 and cut[1].count(" ") == 2:
            out.append(cut[0] + '"')
    return out


def _write(path: Path, lines: list[str], raw_tail: bytes = b"") -> Path:
    with path.open("wb") as fh:
        for line in lines:
            fh.write(line.encode("utf-8", "surrogatepass") + b"\n")
        fh.write(raw_tail)
    return path


def mutated_lines(seeds: list[str], count: int, rnd: random.Random) -> list[str]:
    """``count`` lines drawn from ``seeds``, two in three of them mutated (tests/fuzz/mutate.py), newlines made
    spaces."""
    lines = []
    for i in range(count):
        line = rnd.choice(seeds)
        lines.append(line if i % 3 == 0 else mutate(line, rnd, seeds).replace("\n", " "))
    return lines


def _bench(n: int, seed: int = 3) -> list[str]:
    return list(bench_lines(n, seed=seed))


@built
def test_bench_traffic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _write(tmp_path / "bench.log", _bench(30_000))
    parsed_in_python = 0
    real_parse_line = fastpath.parse_line

    def counting(*args: Any) -> Any:
        nonlocal parsed_in_python
        parsed_in_python += 1
        return real_parse_line(*args)

    monkeypatch.setattr(fastpath, "parse_line", counting)
    fast, slow = both(monkeypatch, log, None)
    assert fast.inputs[0].format == "nginx-timing" and fast.inputs[0].parsed == 30_000
    assert 0 < parsed_in_python < 30_000 // 5  # one line a group went through Python, not every line
    assert len(fast.routes) > 100
    assert_same(fast, slow)


@built
@pytest.mark.parametrize("fmt_name", ["nginx-timing", "nginx-combined"])
def test_every_odd_line_in_its_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt_name: str) -> None:
    """Odd lines between common ones, in several orders: the same records, skips (by line number) and
    first-seen order of routes, examples and counter keys."""
    fmt = FORMATS[fmt_name]
    common = _bench(400, seed=5)
    if fmt_name == "nginx-combined":
        common = [line.rsplit(" ", 3)[0] for line in common]
    odd = _odd_lines_of(fmt_name)
    rnd = random.Random(11)
    for round_ in range(4):
        lines = common + odd * 3
        rnd.shuffle(lines)
        raw_tail = b"" if round_ % 2 else b"198.51.100.9 - - [x] \xff\xfe invalid utf-8 \xc3"  # and no newline
        log = _write(tmp_path / f"odd-{round_}.log", lines, raw_tail)
        fast, slow = both(monkeypatch, log, fmt)
        assert fast.inputs[0].skipped > 0 and fast.inputs[0].parsed > 400
        assert_same(fast, slow)
        assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()


@built
def test_seeded_mutations_of_real_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(2026)
    seeds = _bench(2000, seed=7) + ODD_TIMING_LINES
    lines = mutated_lines(seeds, 30_000, rnd)
    log = _write(tmp_path / "mutated.log", lines)
    for fmt in (TIMING, COMBINED):
        fast, slow = both(monkeypatch, log, fmt)
        assert_same(fast, slow)


_STAMP = re.compile(r"\[(\d\d/[^\]/]{1,8}/[^\]]{1,40})\]")


def _restamped(lines: list[str], rnd: random.Random, haproxy: bool = False) -> list[str]:
    """``lines`` with their ``$time_local`` spread over days, a day and a half apart at most, in a shuffled
    order, with odd but readable stamps (day 00 and 39, hour 27, offsets both ways) and unreadable ones (year
    0000, a month name in lower case, trailing text, a missing offset). ``haproxy``: HAProxy's stamps, with
    milliseconds (or up to 7 digits of fraction) and no offset."""
    odd = [
        "00/Mar/2026:10:00:00 +0000",
        "39/Jan/2026:10:00:00 +0000",
        "21/Nov/2026:27:61:61 +0000",
        "21/Nov/2026:10:00:00 -1130",
        "21/Nov/2026:10:00:00 +1400",
        "21/Nov/0000:10:00:00 +0000",
        "21/nov/2026:10:00:00 +0000",
        "21/Nov/2026:10:00:00 +0000 x",
        "21/Nov/2026:10:00:00",
        "01/Jan/9999:23:59:59 +0000",
        "01/Jan/0001:00:00:00 +0000",
        "29/Feb/2025:10:00:00 +0000",
    ]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    out = []
    for line in lines:
        if rnd.random() < 0.03:
            stamp = rnd.choice(odd)
        else:
            when = rnd.randrange(130_000)
            day, rest = divmod(when, 86_400)
            stamp = (
                f"{20 + day:02d}/{months[rnd.choice((10, 10, 10, 1))]}/2026:"
                f"{rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d} +0000"
            )
        if haproxy:
            stamp = stamp.replace(" +0000", "") + rnd.choice(("", ".", ".5", f".{rnd.randrange(1000):03d}", ".1234567"))
        m = _STAMP.search(line)
        out.append(line[: m.start(1)] + stamp + line[m.end(1) :] if m else line)
    return out


@built
def test_times_timelines_and_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines logged over a day and a half, out of order, with odd stamps: the same first and last times,
    timelines (coarsened past 240 buckets), when each cut started and stopped, and the same lines kept by a
    --since/--until window (open on either side) as in Python."""
    rnd = random.Random(17)
    lines = _restamped(_bench(20_000, seed=19) + ODD_TIMING_LINES * 20, rnd)
    log = _write(tmp_path / "times.log", lines)
    fast, slow = both(monkeypatch, log, None)
    assert fast.first_time is not None and fast.last_time is not None
    assert any(rs.timeline.width > 256 for rs in fast.routes.values())
    assert any(rs.failure_times for rs in fast.routes.values())
    assert_same(fast, slow)
    day = DAY
    for window in ((day + 40_000, day + 90_000), (day + 50_000, None), (None, day + 30_000), (day, day)):
        fast, slow = both(monkeypatch, log, None, window=window)
        assert fast.outside == slow.outside > 0
        assert_same(fast, slow)
        assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 7)
    fast, slow = both(monkeypatch, log, None, window=(day + 40_000, None))
    assert_same(fast, slow)


@built
def test_route_cap_and_groups_handed_over_mid_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With 40 routes kept, most groups land in the overflow bucket; with hand-overs every 3 groups, a
    route's requests arrive in many small groups. Both still give the Python path's aggregate."""
    log = _write(tmp_path / "capped.log", _bench(20_000, seed=9) + ODD_TIMING_LINES)
    fast, slow = both(monkeypatch, log, None, max_routes=40)
    assert fast.overflow_requests > 1000
    assert_same(fast, slow)
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 3)
    fast, slow = both(monkeypatch, log, None)
    assert_same(fast, slow)


@built
def test_big_blocks_crlf_and_a_last_line_without_newline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several MiB (lines across read boundaries), CRLF endings, an overlong line, no final newline."""
    lines = _bench(25_000, seed=13)
    body = "\r\n".join(lines[:12_000]) + "\r\n" + "A" * ((1 << 20) + 5) + "\n" + "\n".join(lines[12_000:])
    log = tmp_path / "crlf.log"
    log.write_bytes(body.encode())
    fast, slow = both(monkeypatch, log, None)
    assert fast.inputs[0].parsed == 25_000 and fast.inputs[0].skipped_lines == [12_001]
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()


@built
def test_parallel_fast_scan_is_the_single_python_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _write(tmp_path / "par.log", _bench(40_000, seed=17) + ODD_TIMING_LINES)
    monkeypatch.setenv("LPDOCTOR_NO_FAST", "1")
    slow, _ = scan_inputs([str(log)], jobs=1)
    monkeypatch.delenv("LPDOCTOR_NO_FAST")
    fast, _ = scan_inputs([str(log)], jobs=2, pieces=3)
    assert_same(fast, slow)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lpdoctor", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=300,
    )


@built
@pytest.mark.parametrize("output", ["json", "text"])
def test_reports_are_byte_identical(tmp_path: Path, output: str) -> None:
    log = _write(tmp_path / "access.log", _bench(50_000, seed=21) + ODD_TIMING_LINES)
    fast = _cli("scan", "--format", output, "--fail-on", "never", str(log), env={"LPDOCTOR_NO_FAST": "0"})
    slow = _cli("scan", "--format", output, "--fail-on", "never", str(log), env={"LPDOCTOR_NO_FAST": "1"})
    assert fast.returncode == slow.returncode == 0, fast.stderr + slow.stderr
    assert fast.stdout == slow.stdout
    if output == "json":
        report = json.loads(fast.stdout)
        assert report["inputs"][0]["format"] == "nginx-timing" and report["findings"]


def _compare_everywhere(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: Any,
    common: list[str],
    odd: list[str],
    restamp: Callable[[list[str], random.Random], list[str]],
    rnd: random.Random,
    detect: bool = False,
) -> None:
    """The compiled path of ``fmt`` gives the Python reader's aggregate on: ``common`` traffic with every ``odd``
    line in its place (auto-detected first when ``detect``), 20 000 seeded mutations of both, the lines restamped
    over days (``restamp``: timelines coarsened past 240 buckets), and that log through a window."""
    assert fastpath.available(fmt)
    lines = common + odd * 4
    rnd.shuffle(lines)
    fast, slow = both(monkeypatch, _write(tmp_path / "traffic.log", lines), None if detect else fmt)
    assert fast.inputs[0].format == fmt.name and fast.inputs[0].skipped > 0
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
    seeds = common[:2000] + odd
    picked = [rnd.choice(seeds) for _ in range(20_000)]
    mutated = [line if i % 3 == 0 else mutate(line, rnd, seeds).replace("\n", " ") for i, line in enumerate(picked)]
    fast, slow = both(monkeypatch, _write(tmp_path / "mutated.log", mutated), fmt)
    assert_same(fast, slow)
    log = _write(tmp_path / "times.log", restamp(lines, rnd))
    fast, slow = both(monkeypatch, log, fmt)
    assert any(rs.timeline.width > 256 for rs in fast.routes.values())
    assert_same(fast, slow)
    fast, slow = both(monkeypatch, log, fmt, window=(DAY + 40_000, None))
    assert fast.outside == slow.outside > 0
    assert_same(fast, slow)


# ----------------------------------------------------------------------------------- Apache combined + %D

APACHE = FORMATS["apache-combined-D"]
_AP = '198.51.100.7 - - [21/Nov/2026:10:00:00 +0000] "'
ODD_APACHE_LINES = [
    f'{_AP}GET /api/poll?timeout=55 HTTP/1.1" 504 160 "-" "curl/8" 55000123',
    f'{_AP}GET /api/poll?timeout=55 HTTP/1.1" 504 160 "-" "curl/8" 55/55000123',
    f'{_AP}GET /api/poll?timeout=55 HTTP/1.1" 200 160 "-" "curl/8" 1234567890123456',  # 16 digits
    f'{_AP}GET /api/poll?timeout=55 HTTP/1.1" 200 160 "-" "curl/8" 999999999999999999',  # past 1e9 s
    f'{_AP}GET /api/poll?timeout=55 HTTP/1.1" 200 160 "-" "curl/8" 1000 ',  # a trailing space
    f'{_AP}GET /api/poll?timeout=55 HTTP/1.1" 200 160 "-" "curl/8"\t1000',
    f'{_AP}GET /api/poll?timeout=55 HTTP/1.1" 200 160 "-" "curl/8" 0.040',  # nginx's $request_time
    f'{_AP}GET /api/poll?timeout=55 HTTP/1.1" 200 160 1000',  # common + %D
    f'{_AP}GET /a\\"b HTTP/1.1" 200 160 "-" "curl/8" 1000',  # an escaped quote in the request
    f'{_AP}GET /a HTTP/1.1" 200 160 "-" "curl \\"x\\" 8" 1000',  # ... in the User-Agent
    f'{_AP}GET /a HTTP/1.1" 200 160 "-" "curl\\" 1000',
    f'{_AP}GET /caf\u00e9 HTTP/1.1" 200 160 "-" "curl/8" 1000',
    f'{_AP}GET https://api.example.com:443/a/1 HTTP/1.1" 200 160 "-" "curl/8" 1000',  # host from the URL
    f'{_AP}GET * HTTP/1.1" 200 160 "-" "curl/8" 1000',
    f'{_AP}GET /a HTTP/2.0" 200 160 "-" "curl/8" 1000',
    f'{_AP}GET /a" 200 160 "-" "curl/8" 1000',
    f'{_AP}G3T /a HTTP/1.1" 200 160 "-" "curl/8" 1000',
    f'{_AP}GET /a HTTP/1.1" 099 160 "-" "curl/8" 1000',
    f'{_AP}GET /a HTTP/1.1" - 160 "-" "curl/8" 1000',
    f'{_AP}- HTTP/1.1" 408 160 "-" "-" 1000',
    f'www.example.com:443 {_AP}GET /a HTTP/1.1" 200 160 "-" "curl/8" 1000',  # %v:%p first: the host
    '198.51.100.7 - - [31/Feb/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "c" 1000',
    '198.51.100.7 - - [21/Nov/1969:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "c" 1000',
    '198.51.100.7 - - [21/Nov/2026:24:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "c" 1000',
    '198.51.100.7 - - [21/Nov/2026:23:59:60 +0000] "GET /a HTTP/1.1" 200 1 "-" "c" 1000',
    '198.51.100.7 - - [29/Feb/2028:10:00:00 +2400] "GET /a HTTP/1.1" 200 1 "-" "c" 1000',
    '198.51.100.7 - - [21/Nov/2026:10:00:00 -0930] "GET /a HTTP/1.1" 200 1 "-" "c" 1000',
    '198.51.100.7 - - [21/Nov/2026:10:00:00 +0060] "GET /a HTTP/1.1" 200 1 "-" "c" 1000',
]


def _apache(n: int, seed: int) -> list[str]:
    return list(bench_traffic.lines("apache-combined-D", "ids", n, seed=seed))


@built
def test_apache_traffic_odd_lines_and_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apache's %D log (the compiled path reads it too): bench traffic, every odd shape in its place, seeded
    mutations, lines spread over a day and a half, and a window."""
    _compare_everywhere(
        tmp_path, monkeypatch, APACHE, _apache(20_000, seed=29), ODD_APACHE_LINES, _restamped, random.Random(23), True
    )


# ------------------------------------------------------------------------------------ HAProxy httplog

HAPROXY = FORMATS["haproxy-httplog"]
_HB = "Jun  9 10:13:20 lb1 haproxy[2211]: "
_HL = "3.17.173.86:36834 [21/Nov/2026:10:00:00.075] fe_main be_app/app1 0/0/0/39/40 200 57828 - - ---- 1/1/0/0/0 0/0"
ODD_HAPROXY_LINES = [
    f'{_HB}{_HL} "GET /api/poll?timeout=55 HTTP/1.1"',
    f'{_HL} "GET /api/poll?timeout=55 HTTP/1.1"',  # no syslog header
    f'<134>{_HB}{_HL} "GET /a HTTP/1.1"',
    f'<134>1 2026-11-21T10:00:00.075+02:00 lb1 haproxy 2211 - - {_HL} "GET /a HTTP/1.1"',  # RFC 5424, an offset
    f'2026-11-21T10:00:00+01:00 lb1 haproxy[2211]: {_HL} "GET /a HTTP/1.1"',
    f'Jun  9 10:13:20 haproxy[2211]: {_HL} "GET /a HTTP/1.1"',  # no host in the header
    f'Jun  9 10:13:20 lb1 haproxy: {_HL} "GET /a HTTP/1.1"',
    f'Jun 19 10:13:20 lb1 {"t" * 65}[1]: {_HL} "GET /a HTTP/1.1"',
    f'{_HB}[2001:db8::1]:36834 [21/Nov/2026:10:00:00.075] fe be/s 0/0/0/39/40 200 5 - - ---- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
    f'{_HB}1.2.3.4:36834 [21/Nov/2026:10:00:00] fe be/s 0/0/0/-1/55001 504 5 - - sH-- 1/1/0/0/0 0/0 "GET /api/poll HTTP/1.1"',
    f'{_HB}1.2.3.4:36834 [21/Nov/2026:10:00:00.123456] fe be/s 0/0/0/-1/+55001 504 5 - - sH-- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
    f'{_HB}1.2.3.4:36834 [21/Nov/2026:10:00:00.1234567] fe be/s 0/0/0/1/2 200 5 - - ---- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
    f'{_HB}1.2.3.4:36834 [21/Nov/2026:10:00:00.5] fe be/s -1/-1/-1/-1/-1 -1 +0 - - CR-- 1/1/0/0/0 0/0 "<BADREQ>"',
    f'{_HB}1.2.3.4:36834 [21/Nov/2026:10:00:00.5] fe be/s 0/0/0/1/-0 200 5 - - ---- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
    f'{_HB}1.2.3.4:36834 [21/Nov/2026:10:00:00.5] fe be/s 0/0/0/1/+-5 200 5 - - ---- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
    f'{_HB}1.2.3.4:36834 [21/Nov/2026:10:00:00.5] fe be/s 0/0/0/1/40001 0 5 - - CD-- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
    f'{_HB}1.2.3.4:36834 [21/Nov/2026:10:00:00.5] fe be/s 0/0/0/1/40001 9999 5 - - cD-- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
    f'{_HB}{_HL} {{api.example.com}} "GET /a HTTP/1.1"',  # a captured Host
    f'{_HB}{_HL} {{API.example.com:8443|curl}} {{text/html}} "GET /a HTTP/1.1"',
    f'{_HB}{_HL} {{}} "GET /a HTTP/1.1"',
    f'{_HB}{_HL} {{a b c}} "GET /a HTTP/1.1"',
    f'{_HB}{_HL} {{a}} {{b}} {{c}} "GET /a HTTP/1.1"',
    f'{_HB}{_HL} {{caf\u00e9.example}} "GET /a HTTP/1.1"',
    f'{_HB}{_HL} "GET https://api.example.com/a/1 HTTP/1.1"',
    f'{_HB}{_HL} "GET /a"',
    f'{_HB}{_HL} "GET /a HTTP/1.1" trailing words',
    f'{_HB}{_HL} "GET /a HTTP/1.1',  # no closing quote
    f'{_HB}{_HL} "GET /a HTTP/1.1 "',
    f'{_HB}{_HL} "GET  /a HTTP/1.1"',
    f'{_HB}{_HL} "get /a HTTP/1.1"',
    f'{_HB}{_HL} "M-SEARCH2 /a HTTP/1.1"',
    f'{_HB}{_HL} "{"P" * 25} /a HTTP/1.1"',
    f'{_HB}{_HL} "GET /caf\u00e9 HTTP/1.1"',
    f'{_HB}{_HL} "GET /a?timeout=30#frag HTTP/1.1"',
    f'{_HB}{_HL} "GET /a {"H" * 17}"',
    f'{_HB}{_HL} "GET /{"x" * 17000} HTTP/1.1"',
    f'{_HB}3.17.173.86:36834 [31/Feb/2026:10:00:00.075] fe be/s 0/0/0/39/40 200 5 - - ---- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
    f'{_HB}3.17.173.86:36834 [21/Foo/2026:10:00:00.075] fe be/s 0/0/0/39/40 200 5 - - ---- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
    f"{_HB}3.17.173.86:36834 [21/Nov/2026:10:00:00.075] fe be/s 0/0/5001 0 cD 1/1/0/0/0 0/0",  # tcplog
    f'{_HB}3.17.173.86:36834 [21/Nov/2026:10:00:00.075] fe be/s 0/0/0/39/40 200 5 - - -- 1/1/0/0/0 0/0 "GET /a HTTP/1.1"',
]


@built
def test_haproxy_traffic_odd_lines_and_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HAProxy's httplog (the compiled path reads it too): bench traffic, every odd shape in its place, seeded
    mutations, lines spread over days, and a window."""
    common = list(bench_traffic.lines("haproxy-httplog", "ids", 20_000, seed=37))

    def restamp(lines: list[str], rnd: random.Random) -> list[str]:
        return _restamped(lines, rnd, haproxy=True)

    _compare_everywhere(tmp_path, monkeypatch, HAPROXY, common, ODD_HAPROXY_LINES, restamp, random.Random(31))


# ------------------------------------------------------------------------------------------ nginx JSON

NGINX_JSON = FORMATS["nginx-json"]


def _j(**fields: Any) -> str:
    base: dict[str, Any] = {
        "time": "2026-11-21T10:00:00+00:00",
        "remote_addr": "198.51.100.7",
        "host": "api.example.com",
        "request": "GET /api/poll?timeout=55 HTTP/1.1",
        "status": 200,
        "request_time": 0.040,
        "http_user_agent": "curl/8",
        "upstream_addr": "10.0.0.5:8080",
        "upstream_status": "200",
        "upstream_connect_time": "0.000",
        "upstream_header_time": "0.039",
        "upstream_response_time": "0.039",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not _DROP}, separators=(",", ":"))


_DROP = object()
ODD_JSON_LINES = [
    _j(),
    _j(
        status=504,
        request_time=55.001,
        upstream_status="504",
        upstream_header_time="-",
        upstream_response_time="55.001",
    ),
    _j(status=502, upstream_addr="backend", upstream_status="502", upstream_header_time="", upstream_response_time=""),
    _j(status="499", request_time="40.000", upstream_status="", upstream_header_time="", upstream_response_time=""),
    _j(
        upstream_addr="",
        upstream_status="",
        upstream_connect_time="",
        upstream_header_time="",
        upstream_response_time="",
    ),
    _j(upstream_addr=_DROP, upstream_status=_DROP, upstream_connect_time=_DROP, upstream_header_time=_DROP),
    _j(upstream_addr="10.0.0.5:8080, 10.0.0.6:8080", upstream_status="504, 200", upstream_response_time="1.0, 0.1"),
    _j(upstream_addr="10.0.0.5:8080 : 10.0.0.6:8080"),
    _j(upstream_status=504, status=504),
    _j(upstream_status=504.0),
    _j(status="-"),
    _j(status=2000),
    _j(status=20.0),
    _j(status=None),
    _j(status=True),
    _j(status=_DROP),
    _j(request_time="0.040"),
    _j(request_time=1e-3),
    _j(request_time=0.0400000001),
    _j(request_time=-1),
    _j(request_time="-"),
    _j(request_time=""),
    _j(request_time=None),
    _j(request_time=" 0.040"),
    _j(request_time=1234567890.5),
    _j(request_time=30),
    _j(request_time="1_000"),
    _j(request='GET /a"b HTTP/1.1'),
    _j(request="GET /caf\u00e9 HTTP/1.1"),
    _j(request="GET https://x.example/a HTTP/1.1"),
    _j(request="GET /a"),
    _j(request="get /a HTTP/1.1"),
    _j(request="GET  /a HTTP/1.1"),
    _j(request="-"),
    _j(request="GET /a HTTP/1.1 extra"),
    _j(request=_DROP),
    _j(request="GET /api/poll?timeout=55#x HTTP/1.1"),
    _j(http_user_agent='a "quoted" \\ agent \u2028 \x01'),
    _j(http_user_agent={"nested": [1, 2.5e3, None, True]}),
    _j(host=""),
    _j(host="-"),
    _j(host="API.Example.com"),
    _j(host=_DROP),
    _j(http_host="h.example", host=_DROP),
    _j(server_name="s.example"),
    _j(Status=504),
    _j(STATUS=200),
    _j(rt=0.5),
    _j(**{"@timestamp": "2026-11-21T10:00:01Z"}),
    _j(time="2026-11-21T10:00:00.123456789Z"),
    _j(time="2026-11-21T10:00:00.1234567891Z"),
    _j(time="2026-11-21 10:00:00"),
    _j(time="2026-11-21T10:00:00+0530"),
    _j(time="2026-11-21T10:00:00-05:00"),
    _j(time="1970-01-01T00:00:00Z"),
    _j(time="2026-13-01T10:00:00Z"),
    _j(time="2026-02-31T27:61:61Z"),
    _j(time="2026-11-21T10:00:00Z trailing"),
    _j(time="21/Nov/2026:10:00:00 +0000"),
    _j(time=""),
    _j(time="-"),
    _j(time=_DROP),
    _j(time=1795132800),
    _j(time_iso8601="2026-11-21T10:00:05Z"),
    _j(time_local="21/Nov/2026:10:00:00 +0000"),
    _j(msec="1795132800.123"),
    _j(request_uri="/other?timeout=5"),
    _j(uri="/u", args="timeout=5"),
    _j(request_method="POST"),
    _j(**{"k" * 70: 1}),
    _j(**{"\u212aey": 1}),
    _j(**{"ho\u017ft": "x"}),
    '{"status":200,"request":"GET /a HTTP/1.1","status":504}',
    # two times: the reader prefers $time_iso8601 to $time whatever their order
    '{"time_iso8601":"2026-11-21T10:00:05Z","time":"2026-11-21T10:00:00Z","status":200,"request":"GET /a HTTP/1.1"}',
    '{"status": 200, "request": "GET /a HTTP/1.1", "request_time": 0.5}',
    '{ "status":200 , "request":"GET /a HTTP/1.1" }',
    '  {"status":200,"request":"GET /a HTTP/1.1"}',
    '{"status":200,"request":"GET /a HTTP/1.1"}  ',
    '{"status":200,"request":"GET /a HTTP/1.1",}',
    "{'status':200,'request':'GET /a HTTP/1.1'}",
    '{"status":200,"request":"GET /a HTTP/1.1","x":NaN}',
    '{"status":200,"request":"GET /a HTTP/1.1","x":"\\q"}',
    '{"status":200,"request":"GET /a HTTP/1.1","x":"\\u12"}',
    '{"status":200,"request":"GET /a HTTP/1.1","x":01}',
    '{"status":200,"request":"GET /a HTTP/1.1","x":"tab\there"}',
    '{"status":200,"request":"GET /a HTTP/1.1","x":[' * 40 + "]" * 40 + "}",
    '{"status":200,"request":"GET /a HTTP/1.1"',
    '{"status":200,"request":"GET /a HTTP/1.1"}{"status":200}',
    '["status",200]',
    "{}",
]


def _at_every_offset(texts: list[str]) -> list[str]:
    """Each of ``texts`` after 0 to 33 plain bytes and before 20 more: in every place of the walker's 16- and
    8-byte string scans."""
    return ["a" * k + text + "b" * 20 for text in texts for k in range(34)]


# Raw string contents (put between quotes as they are): escapes, control characters, bytes above 0x7f, a lone
# surrogate (invalid UTF-8 in the file: the reader reads U+FFFD), the end of the string.
_RAW_STRINGS = _at_every_offset(['\\"', "\\\\", "\\u00e9", "\\q", "\x01", "\x1f", "\x7f", "\u00e9", "\udc80", ""])
# Integers json.loads refuses (more digits than int() takes: sys.get_int_max_str_digits(), 4300 here) and takes,
# and floats of as many digits, which it takes
_LONG_NUMBERS = [
    *("9" * n for n in (640, 641, 4300, 4301, 20_000)),
    "-" + "9" * 4301,
    "9" * 4301 + ".5",
    "9" * 4301 + "e2",
    "0." + "9" * 5000,
]
_NGINX_BASE = _j(http_user_agent="UA", host="HOST")
ODD_JSON_LINES += [_NGINX_BASE.replace('"UA"', f'"{raw}"') for raw in _RAW_STRINGS]
ODD_JSON_LINES += [_NGINX_BASE.replace('"HOST"', f'"{raw}"') for raw in _RAW_STRINGS]
ODD_JSON_LINES += [_NGINX_BASE.replace("/api/poll", "/" + raw) for raw in _RAW_STRINGS[::7]]
# a line that ends inside a string, at every alignment
ODD_JSON_LINES += [
    '{"status":200,"request":"GET /a HTTP/1.1","x":"' + "a" * k + end
    for k in range(34)
    for end in ("}", "\\}", "\\u12}")
]
# keys: another case, one byte longer or shorter than a key the reader reads, 63 and 64 bytes, escaped, a line
# that ends after a key, more keys than the walker remembers
ODD_JSON_LINES += [
    '{"Request":"GET /a HTTP/1.1","STATUS":504,"Host":"h.example"}',
    '{"statu":1,"status":200,"request":"GET /a HTTP/1.1","status_":2,"hosts":"x"}',
    '{"st\\u0061tus":504,"status":200,"request":"GET /a HTTP/1.1"}',
    '{"status":200,"request":"GET /a HTTP/1.1","host"}',
    _j(**{"x" * 63: 1}),
    _j(**{"x" * 64: 1}),
    "{" + ",".join(f'"k{n}":{n}' for n in range(70)) + ',"status":504,"request":"GET /b HTTP/1.1","host":"h"}',
]


ODD_JSON_LINES += [_j().replace('"status":200', f'"status":200,"n":{number}') for number in _LONG_NUMBERS]


def _json_restamped(lines: list[str], rnd: random.Random) -> list[str]:
    """nginx JSON lines with their ISO "time" spread over days, in seven zone forms."""
    stamps = [
        f"2026-11-{20 + w // 86_400:02d}T{w % 86_400 // 3600:02d}:{w % 3600 // 60:02d}:{w % 60:02d}"
        for w in (rnd.randrange(130_000) for _ in lines)
    ]
    zones = ["Z", "+00:00", "+02:00", "-0530", ".5Z", ".123456+01:00", ""]
    return [
        re.sub(r'"time":"[^"]*"', f'"time":"{s}{rnd.choice(zones)}"', line, count=1)
        for s, line in zip(stamps, lines, strict=True)
    ]


@built
@pytest.mark.parametrize("shape", ["ids", "spa"])
def test_nginx_json_traffic_odd_lines_and_mutations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    """nginx JSON lines (the compiled path reads them too): bench traffic, every odd shape in its place, seeded
    mutations, times spread over days (the ISO stamps rewritten), and a window."""
    common = list(bench_traffic.lines("nginx-json", shape, 20_000, seed=43))
    _compare_everywhere(tmp_path, monkeypatch, NGINX_JSON, common, ODD_JSON_LINES, _json_restamped, random.Random(41))


def test_every_json_variable_has_a_compiled_role() -> None:
    """A variable the JSON reader learns to read must say what the compiled path does with it."""
    from lpdoctor.logformats.nginx_access import ALIASES, FAST_ROLES

    assert set(ALIASES.values()) <= set(FAST_ROLES)
    assert set(FAST_ROLES.values()) <= set(fastpath._JSON_ROLES)


# ------------------------------------------------------------------------------------------ Caddy JSON

CADDY = FORMATS["caddy-json"]


def _c(r: Any = None, **fields: Any) -> str:
    req: dict[str, Any] = {
        "remote_ip": "198.51.100.7",
        "remote_port": "36834",
        "client_ip": "198.51.100.7",
        "proto": "HTTP/1.1",
        "method": "GET",
        "host": "api.example.com",
        "uri": "/api/poll?timeout=55",
        "headers": {"User-Agent": ["curl/8"]},
    }
    req.update(r or {})
    base: dict[str, Any] = {
        "level": "info",
        "ts": 1795132800.075,
        "logger": "http.log.access.log0",
        "msg": "handled request",
        "request": {k: v for k, v in req.items() if v is not _DROP},
        "bytes_read": 0,
        "user_id": "",
        "duration": 0.040000,
        "size": 5,
        "status": 200,
        "resp_headers": {"Server": ["Caddy"]},
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not _DROP}, separators=(",", ":"))


ODD_CADDY_LINES = [
    _c(),
    _c(status=504, duration=55.001234567),
    _c(status=502, duration=50),
    _c(status=0, duration=40.0),  # the client went away
    _c(status="504"),
    _c(status=504.0),
    _c(status=None),
    _c(status=_DROP),
    _c(Status=504),
    _c(status=_DROP, Status=504),  # keys are matched as they are
    _c(duration=1500),
    _c(duration=999),
    _c(duration="1.5s"),
    _c(duration=-1),
    _c(duration=1e-3),
    _c(duration=_DROP),
    _c(duration=0.0000000001),
    _c(duration=None),
    _c(ts="2026-11-21T10:00:00.5Z"),
    _c(ts=-5),
    _c(ts=1e11),
    _c(ts=_DROP),
    _c(ts=1795132800),
    _c(ts=0.5),
    _c(msg="handled request "),
    _c(msg="Handled request"),
    _c(msg=_DROP),
    _c(logger="http.log.error.log0"),
    _c(logger=_DROP),
    _c(logger=7),
    _c(logger="http.log.access"),
    _c({"uri": "/caf\u00e9"}),
    _c({"uri": "https://h.example/a/1"}),
    _c({"uri": ""}),
    _c({"uri": _DROP}),
    _c({"uri": "/a\\b"}),
    _c({"uri": "/a?timeout=30#x"}),
    _c({"uri": 5}),
    _c({"host": "API.Example.com:8443"}),
    _c({"host": ""}),
    _c({"host": _DROP}),
    _c({"host": "h" * 301}),
    _c({"method": "M" * 40}),
    _c({"method": _DROP}),
    _c({"Method": "POST"}),
    _c(request="GET /a"),
    _c(request=None),
    '{"msg":"handled request","request":{"uri":"/a"},"status":200,"duration":0.5,"status":504}',
    '{"msg":"handled request","request":{"uri":"/a","uri":"/b"},"status":200,"duration":0.5}',
    '{"msg":"handled request","request":{"uri":"/a"},"status":200,"duration":0.5,"request":{"uri":"/b"}}',
    "Jul  4 23:37:51 app2 caddy[2140]: " + _c(),
    _c() + " ",
    # epoch times: up to 2**53 as digits and 9 decimals (read in C), more (read by float()), forms float() reads
    # alike; digits past 2**53 whose double is not their integer's double divided by 10**places
    _c(ts=1795132800.12345),
    _c(ts=179513280.0123456),
    _c(ts=1795132800.123456789),
    *(
        '{"level":"info","ts":' + ts + ',"msg":"handled request","request":{"uri":"/ts"},"status":200,"duration":0.5}'
        for ts in (
            "1794341134.8892593",
            "1791887986.0869953",
            "1795570097.4136805",
            "9007199254.740992",
            "9007199254.740993",
            "900719925.4740993",
        )
    ),
    '{"level":"info","ts":1795132800.1234567890,"msg":"handled request","request":{"uri":"/a"},"status":200,"duration":0.5}',
    '{"level":"info","ts":1795132800.000,"msg":"handled request","request":{"uri":"/a"},"status":200,"duration":0.5}',
    '{"level":"info","ts":99999999999.99,"msg":"handled request","request":{"uri":"/a"},"status":200,"duration":0.5}',
    '{"level":"info","ts":100000000000,"msg":"handled request","request":{"uri":"/a"},"status":200,"duration":0.5}',
    '{"level":"info","ts":1.7951328e9,"msg":"handled request","request":{"uri":"/a"},"status":200,"duration":0.5}',
    '{"level":"info","ts":0,"msg":"handled request","request":{"uri":"/a"},"status":200,"duration":0.5}',
    # keys: another case (Caddy's are read as they are), a nested name of 63 and 64 bytes, an escaped one
    _c({"URI": "/x"}),
    _c({"k" * 55: 1}),
    _c({"k" * 56: 1}),
    '{"msg":"handled request","request":{"ur\\u0069":"/a","uri":"/b"},"status":200,"duration":0.5}',
    # a top-level key named as a nested one ("request.host") is not it: the reader reads request.host (or none)
    _c({"host": _DROP}, **{"request.host": "api.example.com"}),
    _c(**{"request.host": "api.example.com"}),
    _c({"uri": _DROP}, **{"request.uri": "/api/poll?timeout=55"}),
]
ODD_CADDY_LINES += [_c().replace('"bytes_read":0', f'"bytes_read":{number}') for number in _LONG_NUMBERS]
_CADDY_BASE = _c({"uri": "/URI", "headers": {"User-Agent": ["UA"]}})
ODD_CADDY_LINES += [_CADDY_BASE.replace('"UA"', f'"{raw}"') for raw in _RAW_STRINGS]
ODD_CADDY_LINES += [_CADDY_BASE.replace('"/URI"', f'"/{raw}"') for raw in _RAW_STRINGS[::3]]


@built
def test_json_keys_remembered_by_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walker remembers the keys of the lines before by their place in the line: a key with the same bytes
    in that place but in another object, or another case of it, or a longer or shorter name, reads as the
    reader reads it, whichever line comes first (a misread would put a line in the group of another)."""
    cases = [
        (
            CADDY,
            [
                '{"msg":"handled request","request":{"uri":"/a","host":"h"},"status":200,"duration":0.5}',
                '{"msg":"handled request","request":{"uri":"/b","host":"h2"},"status":200,"duration":0.5}',
                '{"msg":"handled request","request":{},"uri":"/b","host":"h2","status":200,"duration":0.5}',
            ],
        ),
        (
            CADDY,
            [
                '{"msg":"handled request","request":{"uri":"/a"},"status":200,"duration":0.5}',
                '{"msg":"handled request","request":{"Uri":"/b","uri":"/c"},"status":200,"duration":0.5}',
            ],
        ),
        (
            NGINX_JSON,
            [
                '{"status":200,"request":"GET /a HTTP/1.1","host":"h"}',
                '{"Status":504,"request":"GET /b HTTP/1.1","hos":"h2","host":"h3"}',
                '{"statuss":504,"status":201,"request":"GET /c HTTP/1.1","host_":"h2"}',
            ],
        ),
    ]
    for n, (fmt, lines) in enumerate(cases):
        for order in (lines * 20, lines[::-1] * 20, [line for line in lines for _ in range(5)]):
            log = _write(tmp_path / f"places-{n}.log", order)
            fast, slow = both(monkeypatch, log, fmt)
            assert_same(fast, slow)
            assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()


def _caddy_restamped(lines: list[str], rnd: random.Random) -> list[str]:
    """Caddy lines with their epoch "ts" spread over days, with 0 to 9 decimals."""
    return [
        re.sub(
            r'"ts":[0-9.e+-]+',
            f'"ts":{int(DAY) + rnd.randrange(130_000) + rnd.random():.{rnd.choice((0, 3, 6, 9))}f}',
            line,
            count=1,
        )
        for line in lines
    ]


@built
def test_caddy_traffic_odd_lines_and_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caddy's JSON access log (the compiled path reads it too): bench traffic, every odd shape in its place,
    seeded mutations, times spread over days, and a window."""
    common = list(bench_traffic.lines("caddy-json", "ids", 20_000, seed=53))
    _compare_everywhere(tmp_path, monkeypatch, CADDY, common, ODD_CADDY_LINES, _caddy_restamped, random.Random(47))


# --------------------------------------------------------------------------------------------- AWS ALB

ALB = FORMATS["aws-alb"]
_ALB_TAIL = (
    "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/73e2 "
    '"Root=1-6a27e740-0001" "{domain}" "arn:aws:acm:us-east-1:1:certificate/1" 0 {created} "forward" "-" "{reason}" '
    '"10.0.1.23:8000" "200" "-" "-"'
)


def _alb(
    time: str = "2026-11-21T10:00:30.500000Z",
    created: str = "2026-11-21T10:00:00.250000Z",
    status: str = "200",
    request: str = "GET https://api.example.com:443/api/poll?timeout=55 HTTP/1.1",
    domain: str = "api.example.com",
    reason: str = "-",
    times: str = "0.000 30.000 0.000",
    kind: str = "https",
    tail: str | None = None,
) -> str:
    rest = tail if tail is not None else _ALB_TAIL.format(domain=domain, created=created, reason=reason)
    head = f"{kind} " if kind else ""
    return (
        f"{head}{time} app/my-alb/50dc 198.51.100.7:36834 10.0.1.23:8000 {times} {status} 200 0 57828 "
        f'"{request}" "curl/8" {rest}'
    )


ODD_ALB_LINES = [
    _alb(),
    _alb(status="504", times="0.000 -1 -1", reason="-"),
    _alb(status="460", reason="-"),
    _alb(status="502", reason="Target.ResponseCodeMismatch"),
    _alb(kind=""),
    _alb(kind="h2"),
    _alb(kind="wss"),
    _alb(kind="tcp"),
    _alb(time="2026-11-21T10:00:30.5Z"),
    _alb(time="2026-11-21T10:00:30Z"),
    _alb(time="2026-11-21T10:00:30.123456789Z"),
    _alb(created="2026-11-21T10:00:30.500001Z"),  # created after the time
    _alb(created="2026-11-21T10:00:30.500000Z"),
    _alb(created="-"),
    _alb(created="2026-11-21T10:00:00.25+00:00"),
    _alb(created="2026-11-21t10:00:00.250000Z"),
    _alb(created="2026-02-30T10:00:00.250000Z"),
    _alb(time="2039-01-01T00:00:01.000000Z", created="2039-01-01T00:00:00.000000Z"),
    _alb(time="1969-12-31T23:59:59.000000Z", created="1969-12-31T23:59:58.000000Z"),
    _alb(status="-"),
    _alb(times="0.001 0.002 0.003", created="-"),
    _alb(times="-1 -1 -1", created="-"),
    _alb(request="GET http://api.example.com/a/1 HTTP/1.1"),
    _alb(request="GET https://API.example.com:443/a HTTP/1.1"),
    _alb(request="GET https://u:p@api.example.com/a HTTP/1.1"),
    _alb(request="GET https://api.example.com HTTP/1.1"),
    _alb(request="GET https://api.example.com?x=1 HTTP/1.1"),
    _alb(request="GET /a HTTP/1.1"),
    _alb(request="GET HTTPS://api.example.com/a HTTP/1.1"),
    _alb(request="- - - "),
    _alb(request="GET https://h/a"),
    _alb(request="GET https://h/caf\u00e9 HTTP/1.1"),
    _alb(request="GET https://h/a#x?y HTTP/1.1"),
    _alb(domain="-"),
    _alb(domain=""),
    _alb(domain="API.example.com"),
    _alb(reason="Target.Timeout"),
    _alb(tail=""),
    _alb(tail="x y z"),
    _alb(tail='a b c d "dom" f g 2026-11-21T10:00:00.250000Z'),
    _alb(tail='a b c d "unclosed f g h'),
    _alb(tail='a  b   c d "d" f g 2026-11-21T10:00:00.250000Z i j "r"'),
    _alb() + " extra fields",
    _alb() + "\t",
]


def _alb_restamped(lines: list[str], rnd: random.Random) -> list[str]:
    """ALB lines with the time they were answered spread over days, with microseconds."""
    out = []
    for line in lines:
        end = int(DAY) + rnd.randrange(130_000)
        frac = rnd.randrange(1_000_000)
        day, hms = 20 + (end - int(DAY)) // 86_400, f"{(end // 3600) % 24:02d}:{end // 60 % 60:02d}:{end % 60:02d}"
        stamp = f"2026-11-{day:02d}T{hms}"
        out.append(re.sub(r"^(\w+ )?\S+Z ", lambda m, s=stamp, f=frac: f"{m[1] or ''}{s}.{f:06d}Z ", line, count=1))
    return out


@built
def test_alb_traffic_odd_lines_and_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS ALB logs (the compiled path reads them too): bench traffic, every odd shape in its place, seeded
    mutations, times spread over days, and a window."""
    common = list(bench_traffic.lines("aws-alb", "ids", 20_000, seed=61))
    _compare_everywhere(tmp_path, monkeypatch, ALB, common, ODD_ALB_LINES, _alb_restamped, random.Random(59))


# ---------------------------------------------------------------------------------------------- Sōzune

SOZUNE = FORMATS["sozune"]
_SZ_SPAN = (
    "proxy.request{otel.name=GET matrix.example.com http.request.method=GET server.address=matrix.example.com "
    "url.path=/a http.response.status_code=200}: "
)


def _sz(
    msg: str = "198.51.100.7 GET matrix.example.com /api/poll 200 40ms (backend) trace=-",
    ts: str = "2026-11-21T10:00:00.075469Z",
    level: str = " INFO",
    span: str = _SZ_SPAN,
    tail: str = ' client_ip="198.51.100.7" method="GET" status=200 duration_ms=40 phase="backend" trace_id=-',
) -> str:
    return f"{ts} {level} {span}access: {msg}{tail}"


ODD_SOZUNE_LINES = [
    _sz(),
    _sz("198.51.100.7 GET matrix.example.com /_matrix/client/v3/sync 504 30001ms (backend) trace=ab-12"),
    _sz("198.51.100.7 GET matrix.example.com /api/poll 200 40ms"),
    _sz("198.51.100.7 GET matrix.example.com /api/poll 200 40ms (backend)"),
    _sz("198.51.100.7 GET matrix.example.com /api/poll 200 40ms trace=x", tail=""),
    _sz("198.51.100.7 GET matrix.example.com /api/poll 200 40ms (Backend) trace=-"),
    _sz("198.51.100.7 GET matrix.example.com /api/poll 200 40ms (backend) trace=a!b"),
    _sz("198.51.100.7 GET matrix.example.com /api/poll 200 40ms (backend)x"),
    _sz("198.51.100.7 GET matrix.example.com /api/poll 200 40msx"),
    _sz("198.51.100.7 GET matrix.example.com /api/poll 099 40ms (backend)"),
    _sz("198.51.100.7 GET matrix.example.com /api/poll 200 1234567890123456ms (backend)"),
    _sz("198.51.100.7 GET matrix.example.com /api/poll?timeout=30000 200 40ms (backend)"),
    _sz("198.51.100.7 GET matrix.example.com api/poll 200 40ms (backend)"),
    _sz("198.51.100.7 G_T matrix.example.com /a 200 40ms"),
    _sz("198.51.100.7 _GET matrix.example.com /a 200 40ms"),
    _sz("198.51.100.7 GET MATRIX.example.com /a 200 40ms"),
    _sz("- GET h /a 200 0ms"),
    _sz("198.51.100.7 GET matrix.example.com /caf\u00e9 200 40ms"),
    _sz(span=""),
    _sz(span="access: x: "),
    _sz(span="x{a=access: b}: "),
    _sz(span="sozune::middleware::proxy: "),
    _sz(span="proxy.request{" + "access: " * 9 + "}: "),
    _sz(span="proxy.request{" + "-access: " * 8 + "}: "),  # the real one is the 9th: the reader stops at 8
    _sz(level="INFO"),
    _sz(level=" WARN"),
    _sz(level="ERROR"),
    _sz(level=" info"),
    _sz(ts="2026-11-21T10:00:00Z"),
    _sz(ts="2026-11-21T10:00:00.123456789+02:00"),
    _sz(ts="2026-11-21T10:00:00-05:30"),
    _sz(ts="2026-02-31T10:00:00Z"),
    _sz(ts="0000-11-21T10:00:00Z"),
    _sz(ts="2026-11-21 10:00:00Z"),
    _sz(ts="2026-11-21T10:00:00.0000000001Z"),
    _sz(ts="2026-11-21T24:00:00Z"),
    "\x1b[2m" + _sz() + "\x1b[0m",
    " " + _sz(),
    _sz() + " ",
    "\x00" + _sz(),
    "2026-11-21T10:00:00.075469Z 123 0 ERROR-ACCESS UNINITIALIZED\t[a b c] x y 1/2/3/4 0 0 [x]",
    '{"level":"INFO","target":"access","client_ip":"1.2.3.4","status":200,"duration_ms":12}',
    _sz().replace("access: ", "sozune::middleware::proxy: "),
]


def _second_in_days(rnd: random.Random) -> str:
    """An ISO time to the second, somewhere in 1.5 days from 2026-11-20."""
    w = rnd.randrange(130_000)
    return f"2026-11-{20 + w // 86_400:02d}T{w % 86_400 // 3600:02d}:{w % 3600 // 60:02d}:{w % 60:02d}"


def _fraction(rnd: random.Random, places: tuple[int, ...]) -> str:
    """A decimal fraction of a second with one of ``places`` digits ("" for none)."""
    n = rnd.choice(places)
    return f".{rnd.randrange(10**n):0{n}d}" if n else ""


def _sozune_restamped(lines: list[str], rnd: random.Random) -> list[str]:
    """Sōzune lines with their time spread over days, in five forms."""
    out = []
    for line in lines:
        stamp = _second_in_days(rnd)
        zone = rnd.choice(("Z", ".5Z", f".{rnd.randrange(10**6):06d}Z", "+02:00", ".123-05:30"))
        out.append(re.sub(r"^\S+Z ", f"{stamp}{zone} ", line, count=1))
    return out


@built
def test_sozune_traffic_odd_lines_and_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sōzune's text access lines (the compiled path reads them too): bench traffic, every odd shape in its
    place, seeded mutations, times spread over days, and a window."""
    common = list(bench_traffic.lines("sozune", "ids", 20_000, seed=71))
    _compare_everywhere(tmp_path, monkeypatch, SOZUNE, common, ODD_SOZUNE_LINES, _sozune_restamped, random.Random(67))


# ----------------------------------------------------------------------------------------- Traefik JSON

TRAEFIK = FORMATS["traefik-json"]
_TRAEFIK_FIXTURE = (ROOT / "tests/fixtures/logformats/traefik-json.log").read_text().splitlines()


def _t(**fields: Any) -> str:
    base: dict[str, Any] = {
        "ClientAddr": "203.0.113.7:51544",
        "ClientHost": "203.0.113.7",
        "DownstreamContentSize": 15,
        "DownstreamStatus": 200,
        "Duration": 40001234,
        "OriginContentSize": 2,
        "OriginDuration": 40000000,
        "OriginStatus": 200,
        "RequestHost": "api.example.com",
        "RequestMethod": "GET",
        "RequestPath": "/api/poll?timeout=55",
        "RequestProtocol": "HTTP/1.1",
        "RouterName": "api@docker",
        "StartUTC": "2026-11-21T10:00:00.301234567Z",
        "entryPointName": "websecure",
        "level": "info",
        "msg": "",
        "time": "2026-11-21T10:00:00Z",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not _DROP}, separators=(",", ":"))


_T_CUT = {"DownstreamStatus": 504, "Duration": 55001234567, "OriginStatus": 0}
ODD_TRAEFIK_LINES = [
    *_TRAEFIK_FIXTURE,
    _t(),
    _t(**_T_CUT),
    _t(DownstreamStatus=502, OriginStatus=0),
    _t(DownstreamStatus=499, OriginStatus=0),
    _t(DownstreamStatus=498, OriginStatus=0),  # below 499: no detail
    _t(DownstreamStatus=504, OriginStatus="0"),
    _t(DownstreamStatus=504, OriginStatus=0.0),
    _t(DownstreamStatus=504, OriginStatus=-0.0),
    _t(DownstreamStatus=504, OriginStatus="0.0"),
    _t(DownstreamStatus=504, OriginStatus=" 0"),
    _t(DownstreamStatus=504, OriginStatus=None),
    _t(DownstreamStatus=504, OriginStatus=_DROP),
    _t(DownstreamStatus=504, OriginStatus=False),
    _t(DownstreamStatus=504, OriginStatus=504),
    _t(DownstreamStatus=504, OriginStatus="x"),
    _t(DownstreamStatus=504, OriginStatus="1e400"),
    _t(DownstreamStatus="504"),
    _t(DownstreamStatus=504.0),
    _t(DownstreamStatus=None),
    _t(DownstreamStatus=_DROP),
    _t(DownstreamStatus=0),
    _t(DownstreamStatus=99),
    _t(DownstreamStatus=1000),
    _t(DownstreamStatus="abc"),
    _t(DownstreamStatus=True),
    _t(Duration=0),
    _t(Duration=-1),
    _t(Duration=1.5e9),
    _t(Duration=1500000000.0),
    _t(Duration="30000000"),
    _t(Duration="-"),
    _t(Duration=None),
    _t(Duration=_DROP),
    _t(Duration=True),
    _t(Duration=999_999_999_999_999),  # 15 digits
    _t(Duration=1_000_000_000_000_000),  # 16 digits
    _t(Duration=10**30),
    _t(Duration=10**400),
    _t(StartUTC="2026-11-21T10:00:00Z"),
    _t(StartUTC="2026-11-21T10:00:00.3Z"),
    _t(StartUTC="2026-11-21T10:00:00.999999999Z"),
    _t(StartUTC="2026-11-21T10:00:00.1234567890Z"),
    _t(StartUTC="2026-11-21T10:00:00.301+02:00"),
    _t(StartUTC="2026-11-21t10:00:00.301Z"),
    _t(StartUTC="2026-11-21 10:00:00.301Z"),
    _t(StartUTC="2026-11-21T10:00:00,301Z"),
    _t(StartUTC="2026-11-21T10:00:60Z"),
    _t(StartUTC="2026-02-30T10:00:00Z"),
    _t(StartUTC="1969-12-31T23:59:59Z"),
    _t(StartUTC="2026-11-21T10:00:00.301z"),
    _t(StartUTC=" 2026-11-21T10:00:00.301Z"),
    _t(StartUTC="-"),
    _t(StartUTC=""),
    _t(StartUTC=None),
    _t(StartUTC=1795132800),
    _t(StartUTC=_DROP),  # the time is "time"
    _t(StartUTC=_DROP, time="2026-11-21T12:00:00+02:00"),
    _t(StartUTC=_DROP, time=_DROP),
    _t(StartUTC="-", time="2026-11-21T10:00:09Z"),
    _t(Duration=None, time="2026-11-21T10:00:09Z"),
    _t(time="nonsense"),
    _t(time=_DROP),
    _t(RequestPath="http://h.example:8080/a/1?timeout=30"),
    _t(RequestPath="/a?timeout=30#x"),
    _t(RequestPath="/a b"),
    _t(RequestPath="/caf\u00e9"),
    _t(RequestPath="/a\\b"),
    _t(RequestPath=""),
    _t(RequestPath="-"),
    _t(RequestPath="*"),
    _t(RequestPath=None),
    _t(RequestPath=5),
    _t(RequestPath=_DROP),
    _t(RequestPath="/" + "a" * 70_000),
    _t(RequestHost="API.Example.com"),
    _t(RequestHost="api.example.com:8443"),
    _t(RequestHost=""),
    _t(RequestHost=None),
    _t(RequestHost=_DROP),
    _t(RequestHost="h" * 301),
    _t(RequestHost="caf\u00e9.example"),
    _t(RequestHost=_DROP, RequestPath="https://from.target/a"),
    _t(RequestMethod="M" * 40),
    _t(RequestMethod="get"),
    _t(RequestMethod=""),
    _t(RequestMethod=None),
    _t(RequestMethod=_DROP),
    _t(ClientHost=None, ClientAddr=None),
    _t(msg="a message", level="error"),
    _t(downstreamstatus=504),
    _t(DownstreamStatus=_DROP, downstreamstatus=504),  # keys are matched as they are
    _t(Duration=_DROP, duration=5),
    _t(request_headers={"X-Forwarded-For": ["1.2.3.4"], "nested": {"a": [1, 2, {"b": None}]}}),
    _t(note='has "DownstreamStatus" in a value'),
    '{"note":"\\"DownstreamStatus\\"","Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z"}',
    '{"Downstream\\u0053tatus":504,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z"}',
    '{"DownstreamStatus":200,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z","DownstreamStatus":504}',
    '{"DownstreamStatus":504,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z","Duration":7}',
    '{"DownstreamStatus":504,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z","RequestPath":"/b"}',
    '{"DownstreamStatus":504,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z","StartUTC":"-"}',
    '{"DownstreamStatus":504,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z","OriginStatus":0,'
    '"OriginStatus":200}',
    '{"DownstreamStatus":504,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z","time":1,"time":2}',
    '{"DownstreamStatus":504,"Duration":05,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z"}',
    '{"DownstreamStatus":504,"Duration":5e3,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z"}',
    '{"DownstreamStatus":504,"Duration":NaN,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z"}',
    '{"DownstreamStatus":504,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z"',
    '{"DownstreamStatus":504,"Duration":5,"RequestPath":"\\/a","StartUTC":"2026-11-21T10:00:00Z"}',
    '{"DownstreamStatus":504,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00\\u005a"}',
    '[{"DownstreamStatus":504,"Duration":5,"RequestPath":"/a","StartUTC":"2026-11-21T10:00:00Z"}]',
    "Jul  4 23:37:51 edge traefik[1]: " + _t(),
    "traefik-1  | " + _t(**_T_CUT),
    _t() + " ",
    " " + _t(),
    _t(**{"k" * 63: 1}),
    _t(**{"k" * 64: 1}),
    "{" + ",".join(f'"k{n}":{n}' for n in range(70)) + "," + _t(**_T_CUT)[1:],
    *(_t(**_T_CUT).replace('"RouterName":"api@docker"', f'"RouterName":{number}') for number in _LONG_NUMBERS),
]
_TRAEFIK_BASE = _t(RequestHost="HOST", RouterName="UA")
ODD_TRAEFIK_LINES += [_TRAEFIK_BASE.replace('"UA"', f'"{raw}"') for raw in _RAW_STRINGS]
ODD_TRAEFIK_LINES += [_TRAEFIK_BASE.replace('"HOST"', f'"{raw}"') for raw in _RAW_STRINGS[::3]]
ODD_TRAEFIK_LINES += [_TRAEFIK_BASE.replace("/api/poll", "/" + raw) for raw in _RAW_STRINGS[::7]]


def _traefik_restamped(lines: list[str], rnd: random.Random) -> list[str]:
    """Traefik lines with their StartUTC (and "time") spread over days, with 0 to 9 decimals."""
    out = []
    for line in lines:
        stamp = _second_in_days(rnd)
        frac = _fraction(rnd, (0, 1, 3, 6, 9))
        line = re.sub(r'"StartUTC":"[^"]*"', f'"StartUTC":"{stamp}{frac}Z"', line, count=1)
        out.append(re.sub(r'"time":"[^"]*"', f'"time":"{stamp}Z"', line, count=1))
    return out


@built
def test_traefik_traffic_odd_lines_and_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Traefik's JSON access log (the compiled path reads it too): bench traffic, every odd shape in its place,
    seeded mutations, times spread over days, and a window (auto-detected)."""
    common = list(bench_traffic.lines("traefik-json", "ids", 20_000, seed=67))
    _compare_everywhere(
        tmp_path, monkeypatch, TRAEFIK, common, ODD_TRAEFIK_LINES, _traefik_restamped, random.Random(71), detect=True
    )


# ------------------------------------------------------------------------------------------- Envoy JSON

ENVOY = FORMATS["envoy-json"]
_ENVOY_FIXTURE = (ROOT / "tests/fixtures/logformats/envoy-json.log").read_text().splitlines()


def _e(**fields: Any) -> str:
    base: dict[str, Any] = {
        "start_time": "2026-11-21T10:00:00.301Z",
        "method": "GET",
        "x-envoy-origin-path": "/api/poll?timeout=55",
        "protocol": "HTTP/1.1",
        "response_code": 200,
        "response_flags": "-",
        "response_code_details": "via_upstream",
        "connection_termination_details": None,
        "bytes_received": 0,
        "bytes_sent": 24,
        "duration": 40,
        "x-envoy-upstream-service-time": "39",
        "x-forwarded-for": "203.0.113.7",
        "user-agent": "curl/8",
        ":authority": "api.example.com",
        "upstream_host": "10.0.0.5:8000",
        "downstream_remote_address": "203.0.113.7:51544",
        "route_name": "httproute/default/api/rule/0/match/0/api_example_com",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not _DROP}, separators=(",", ":"))


_E_FLAGS = (
    *("UT", "DC", "UC", "UR", "UC,URX", "URX", "UT,DC", "DC,UC", "SI", "UMSDR", "DT", "UF", "NR", "-", "", "ut"),
    *("UpstreamRequestTimeout", "DownstreamConnectionTermination", "UpstreamConnectionTermination"),
)
_E_CUT = {"response_code": 504, "response_flags": "UT", "duration": 55001}
_E_ISTIO = {"x-envoy-origin-path": _DROP, ":authority": _DROP, "path": "/api/poll?timeout=55", "authority": "h.io"}
ODD_ENVOY_LINES = [
    *_ENVOY_FIXTURE,
    _e(),
    _e(**_E_CUT),
    _e(**_E_ISTIO),
    _e(**_E_ISTIO, **_E_CUT),
    *(_e(response_code=code, response_flags=flags) for code in (0, 200, 503, 504) for flags in _E_FLAGS),
    _e(response_flags=None),
    _e(response_flags=_DROP),
    _e(response_flags=5),
    _e(response_flags="U" * 300),
    _e(response_flags="U\\u0054"),
    _e(response_flags="UT, DC"),
    _e(response_code="504", response_flags="UT"),
    _e(response_code=504.0),
    _e(response_code=None),
    _e(response_code=_DROP),
    _e(response_code=1000),
    _e(response_code=-1),
    _e(response_code="-"),
    _e(response_code=True),
    _e(duration=0),
    _e(duration=-5),
    _e(duration=12.5),
    _e(duration=12.0),
    _e(duration="15001"),
    _e(duration="-"),
    _e(duration=None),
    _e(duration=_DROP),
    _e(duration=999_999_999),  # 9 digits
    _e(duration=1_000_000_000),  # 10 digits
    _e(duration=10**30),
    _e(duration=False),
    _e(start_time="2026-11-21T10:00:00Z"),
    _e(start_time="2026-11-21T10:00:00.3Z"),
    _e(start_time="2026-11-21T10:00:00.123456789Z"),
    _e(start_time="2026-11-21T10:00:00.301+00:00"),
    _e(start_time="2026-11-21T10:00:00.301"),
    _e(start_time="2026-02-29T10:00:00.301Z"),
    _e(start_time="-"),
    _e(start_time=""),
    _e(start_time=None),
    _e(start_time=1795132800),
    _e(start_time=_DROP),
    _e(start_time=_DROP, duration=_DROP),
    _e(start_time=_DROP, **{"@timestamp": "2026-11-21T11:00:00.301Z"}),
    _e(start_time=_DROP, timestamp="2026-11-21T12:00:00.301Z"),
    _e(**{"@timestamp": "2026-11-21T11:00:00.301Z"}),
    _e(start_time="-", **{"@timestamp": "2026-11-21T11:00:00.301Z"}),
    _e(start_time=None, timestamp="2026-11-21T12:00:00.301Z"),
    _e(start_time=_DROP, **{"@timestamp": "-", "timestamp": "2026-11-21T12:00:00.301Z"}),
    _e(**{"x-envoy-origin-path": _DROP, "path": "/a/1"}),
    _e(**{"x-envoy-origin-path": _DROP, "x-envoy-original-path": "/a/2"}),
    _e(**{"x-envoy-origin-path": _DROP, "request_path": "/a/3"}),
    _e(**{"x-envoy-origin-path": _DROP}),
    _e(path="/a/4"),
    _e(path="-"),
    _e(path=None),
    _e(path=""),
    _e(**{"x-envoy-origin-path": "-"}),
    _e(**{"x-envoy-origin-path": "-", "x-envoy-original-path": "/a/5"}),
    _e(**{"x-envoy-origin-path": ""}),
    _e(**{"x-envoy-origin-path": None}),
    _e(**{"x-envoy-origin-path": 7}),
    _e(**{"x-envoy-origin-path": "https://h.example/a/6?x=1"}),
    _e(**{"x-envoy-origin-path": "/a?timeout=30#f"}),
    _e(**{"x-envoy-origin-path": "/caf\u00e9"}),
    _e(**{"x-envoy-origin-path": "/a\\/b"}),
    _e(**{"x-envoy-origin-path": "/" + "p" * 16_383}),
    _e(**{"x-envoy-origin-path": "/" + "p" * 16_384}),
    _e(**{":authority": "API.Example.COM:8443"}),
    _e(**{":authority": "[::1]:80"}),
    _e(**{":authority": "user@h.example"}),
    _e(**{":authority": "-"}),
    _e(**{":authority": ""}),
    _e(**{":authority": None}),
    _e(**{":authority": _DROP}),
    _e(**{":authority": "a" * 1025}),
    _e(**{":authority": "bad host"}),
    _e(**{":authority": _DROP, "host": "h.example"}),
    _e(**{":authority": _DROP, "authority": "h2.example"}),
    _e(**{"authority": "h2.example"}),
    _e(**{":authority": "-", "host": "h3.example"}),
    _e(**{":authority": _DROP, "x-envoy-origin-path": "http://from.target/a"}),
    _e(method="-"),
    _e(method=""),
    _e(method=None),
    _e(method=_DROP),
    _e(method="M" * 40),
    _e(**{"x-envoy-upstream-service-time": None}),
    _e(**{"x-envoy-upstream-service-time": "-"}),
    _e(**{"x-envoy-upstream-service-time": 39}),
    _e(upstream_service_time="25000"),
    _e(**{"x-forwarded-for": "1.2.3.4, 5.6.7.8"}),
    _e(**{"x-forwarded-for": None, "downstream_remote_address": "[2001:db8::1]:443"}),
    _e(Response_Code=504),
    _e(response_code=_DROP, RESPONSE_CODE=504),  # keys are matched as they are
    _e(metadata={"filter": {"a": [1, {"b": None}]}, "x": []}),
    _e(note="has response_flags in a value"),
    '{"response_code":504,"respons\\u0065_flags":"UT","path":"/a"}',
    '{"response_code":504,"response_flags":"UT","path":"/a","response_flags":"-"}',
    '{"response_code":504,"response_flags":"UT","path":"/a","response_code":200}',
    '{"response_code":504,"response_flags":"UT","path":"/a","duration":5,"duration":6}',
    '{"response_code":504,"response_flags":"UT","path":"/a","path":"/b"}',
    '{"response_code":504,"response_flags":"UT","path":"/a","method":"GET","method":"POST"}',
    '{"response_code":504,"response_flags":"UT","path":"/a","duration":05}',
    '{"response_code":504,"response_flags":"UT","path":"/a","duration":1e3}',
    '{"response_code":504,"response_flags":"UT","path":"/a","duration":-0}',
    '{"response_code":504,"response_flags":"UT","path":"/a","duration":Infinity}',
    '{"response_code":504,"response_flags":"UT","path":"/a"',
    '{"response_code":504,"response_flags":"UT","path":"/a","start_time":"2026-11-21T10:00:00.301\\u005a"}',
    '{"response_code":504,"response_flags":"UT"}',
    '{"response_code":504,"response_flags":"UT","path":"/a"} trailing',
    "2026-11-21T10:00:00.301Z stdout F " + _e(**_E_CUT),
    "envoy-1  | " + _e(),
    _e() + "\t",
    _e(**{"k" * 63: 1}),
    _e(**{"k" * 64: 1}),
    "{" + ",".join(f'"k{n}":{n}' for n in range(70)) + "," + _e(**_E_CUT)[1:],
    *(_e(**_E_CUT).replace('"bytes_received":0', f'"bytes_received":{number}') for number in _LONG_NUMBERS),
]
_ENVOY_BASE = _e(**{":authority": "HOST", "user-agent": "UA"})
ODD_ENVOY_LINES += [_ENVOY_BASE.replace('"UA"', f'"{raw}"') for raw in _RAW_STRINGS]
ODD_ENVOY_LINES += [_ENVOY_BASE.replace('"HOST"', f'"{raw}"') for raw in _RAW_STRINGS[::3]]
ODD_ENVOY_LINES += [_ENVOY_BASE.replace("/api/poll", "/" + raw) for raw in _RAW_STRINGS[::7]]


def _envoy_restamped(lines: list[str], rnd: random.Random) -> list[str]:
    """Envoy lines with their start_time spread over days, in milliseconds (or none, or microseconds)."""
    out = []
    for line in lines:
        stamp = _second_in_days(rnd)
        frac = _fraction(rnd, (0, 3, 3, 3, 6))
        out.append(re.sub(r'"start_time":"[^"]*"', f'"start_time":"{stamp}{frac}Z"', line, count=1))
    return out


@built
def test_envoy_traffic_odd_lines_and_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Envoy's JSON access log (the compiled path reads it too): bench traffic, every odd shape in its place,
    seeded mutations, times spread over days, and a window (auto-detected)."""
    common = list(bench_traffic.lines("envoy-json", "ids", 20_000, seed=73))
    _compare_everywhere(
        tmp_path, monkeypatch, ENVOY, common, ODD_ENVOY_LINES, _envoy_restamped, random.Random(79), detect=True
    )


def test_every_key_the_traefik_and_envoy_readers_read_has_a_compiled_role() -> None:
    """A key parse_json_line learns to read must be in the reader's compiled table (or be one the aggregate does
    not read: the client, and Envoy's upstream service time, which only sets header_s; and Traefik's "time",
    read only without a StartUTC, a line that goes to Python)."""
    from lpdoctor.logformats import envoy_log, traefik_log

    not_read = {
        traefik_log: {"ClientHost", "ClientAddr", "time"},
        envoy_log: {
            "upstream_service_time",
            "x-envoy-upstream-service-time",
            "upstream-service-time",
            "x_forwarded_for",
            "x-forwarded-for",
            "downstream_remote_address",
        },
    }
    for module, skipped in not_read.items():
        source = (ROOT / "lpdoctor/logformats" / f"{module.__name__.rsplit('.', 1)[1]}.py").read_text()
        body = source.split("def parse_json_line", 1)[1].split("\ndef ", 1)[0]
        read = set(re.findall(r'obj\.get\("([^"]+)"\)', body))
        for picked in re.findall(r"_pick\(obj, ([^)]*)\)", body):
            read |= set(re.findall(r'"([^"]+)"', picked))
        table = {name for name, *_ in module.FAST_KEYS} | set(getattr(module, "FAST_ALIASES", {}))
        assert read - skipped == table
        assert {role for _, role, *_ in module.FAST_KEYS} <= set(fastpath._JSON_ROLES)


@built
@pytest.mark.parametrize("fmt_name", ["traefik-json", "envoy-json", "traefik-clf", "ingress-nginx"])
def test_real_lines_take_the_compiled_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt_name: str) -> None:
    """The lines real proxies write (the fixtures: Traefik's default fields and line, Envoy Gateway's and Istio's
    layouts, ingress-nginx's default written by nginx) and the bench's are read in C: the parser reads one line a
    group, and no line alone."""
    fixture = (ROOT / f"tests/fixtures/logformats/{fmt_name}.log").read_text().splitlines()
    log = _write(tmp_path / "real.log", list(bench_traffic.lines(fmt_name, "ids", 6000, seed=3)) + fixture * 200)
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, log, FORMATS[fmt_name])
    assert fast.inputs[0].parsed == 6000 + 200 * len(fixture) and fast.inputs[0].skipped == 0
    # Traefik's own test line of 2009 ("GET /foo http", status "-") is one the narrowed walk leaves to Python
    alone = 1 if fmt_name == "traefik-clf" else 0
    assert calls["line"] == 200 * alone and 0 < calls["group"] < 200
    assert_same(fast, slow)
