"""Caddy's runtime log on the compiled path: the scanner counts and times the entries of loggers other than
``http.log.error`` (the reader makes events of kind "other" without a target of them), groups the
``http.log.error`` entries that name a request target (by route, hold, the first of the kinds' words in their
message and their request's host: the reader reads a group's first line) and hands every other line to the
reader, in its place. The aggregate, the input's summary and the report are the Python path's on real lines
(Caddy 2.6, tests/fixtures), a generated outage, odd lines at every boundary, mutations, windows, a route cap and
pieces on two processes."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from bench import traffic as bench_traffic
from lpdoctor.logformats.caddy_log import RUNTIME_FAST_KEYS
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

FIXTURE = Path(__file__).parent / "fixtures" / "logformats" / "caddy-runtime.log"
FORMAT = get_format("caddy-runtime")
SYNC = "/_matrix/client/v3/sync?timeout=30000"


def _e(**fields: Any) -> str:
    """An http.log.error entry as Caddy 2.6 writes it, with ``fields`` replacing (None: dropping) its keys."""
    base: dict[str, Any] = {
        "level": "error",
        "ts": 1796583380.677615,
        "logger": "http.log.error.log0",
        "msg": "read tcp 127.0.0.1:48474->127.0.0.1:34157: i/o timeout",
        "request": {"remote_ip": "127.0.0.1", "method": "GET", "host": "a.example", "uri": SYNC},
        "duration": 2.004652532,
        "status": 504,
    }
    for key, value in fields.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return json.dumps(base, separators=(",", ":"))


def _r(**request: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"remote_ip": "127.0.0.1", "method": "GET", "host": "a.example", "uri": SYNC}
    for key, value in request.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


ODD_LINES = [
    _e(),
    _e(msg="read tcp 127.0.0.1:1->127.0.0.1:2: i/o timeout"),  # another connection: the same group
    _e(request=_r(host=None)),
    _e(request=_r(host="A.Example:8443")),
    _e(request=_r(host=5)),
    _e(request=_r(host="")),
    _e(request=_r(host="h" * 301)),
    _e(request=_r(host="b\u00e9.example")),
    _e(request=_r(uri="/_matrix/client/v3/sync?timeout=5000")),
    _e(request=_r(uri="/_matrix/client/v3/sync")),
    _e(request=_r(uri="/api/v1/users/88121?x=1#f")),
    _e(request=_r(uri="http://other.example/p")),  # absolute: the host from it, Python
    _e(request=_r(uri="*")),
    _e(request=_r(uri="")),
    _e(request=_r(uri=None)),  # an error without a target: unrouted, by kind
    _e(request=_r(uri=7)),
    _e(request=_r(uri="/caf\u00e9")),
    _e(request=_r(uri="/a\\b")),
    _e(request=_r(uri="/" + "p" * 16_500)),
    _e(request=None),
    _e(request="GET /a"),
    _e(request=[]),
    *(_e(level=level) for level in ("debug", "info", "warn", "dpanic", "panic", "fatal", "Error", "warning", "")),
    _e(level=None),
    _e(level=3),
    _e(ts="2026-12-07T10:00:00Z"),  # an ISO time: Python
    _e(ts=-1),
    _e(ts=1e11),
    _e(ts=99999999999.5),
    _e(ts=0),
    _e(ts=None),
    _e(ts=True),
    _e(msg="dial tcp 10.0.0.5:8080: connect: connection refused"),  # "connection refused" before "dial tcp"
    _e(msg="unexpected EOF while reading: i/o timeout"),  # i/o timeout comes first in the reader's order
    _e(msg="context canceled"),
    _e(msg="net/http: timeout awaiting response headers"),
    _e(msg="no upstreams available"),
    _e(msg="write: broken pipe"),
    _e(msg="something else"),
    _e(msg=""),
    _e(msg='a "quoted" i/o timeout'),  # an escape: Python
    _e(msg="unexpected EOF"),
    _e(msg="x" * 2040 + " EOF"),  # under 2 048 bytes
    _e(msg="x" * 2045 + " EOF"),  # past them: the reader looks at the first 2 048 characters
    _e(msg="\u00e9" * 1100 + " EOF"),
    _e(msg=5),
    _e(msg=None),
    _e(logger="http.log.error"),
    _e(logger="http.log.errors.x"),
    _e(logger="http.log.erro"),
    _e(logger="http.log.access.log0"),
    _e(logger="tls"),
    _e(logger=None),
    _e(logger=5),
    _e(logger=None, request=None),
    _e(logger="admin", request="anything"),
    _e(logger="admin", request=_r(uri="http://x/")),
    '{"level":"error","ts":1796583380.677615,"logger":"http.log.error\\u002elog0","msg":"EOF","request":{"uri":"/a"}}',
    '{"level":"error","ts":1796583380.677615,"logger":"http.log.error","msg":"EOF","msg":"i/o timeout","request":{"uri":"/a"}}',
    '{"level":"error","ts":1796583380.677615,"logger":"http.log.error","msg":"EOF","request.uri":"/b","request":{"uri":"/a"}}',
    _e(request=_r(headers={"X": ["handled request"]})),  # "handled request" anywhere: the reader refuses the line
    '{"level":"info","ts":1796583378.6321015,"logger":"http.log","msg":"server running","protocols":["h1","h2"]}',
    '{"level":"warn","ts":1796583378.6314967,"logger":"admin","msg":"admin endpoint disabled"}',
    '{"level":"warn","ts":1796583378.6314967,"logger":"admin","msg":"admin endpoint disabled"} ',
    ' {"level":"warn","ts":1796583378.6314967,"logger":"admin","msg":"admin endpoint disabled"}',
    'Jul  4 23:37:51 app2 caddy[2140]: {"level":"warn","ts":1796583378.6,"logger":"admin","msg":"x"}',
    '{"level":"warn","ts":1796583378.6314967,"logger":"admin","msg":"admin endpoint disabled"',
    "{}",
    "not json",
    "",
]


def _lines(n: int, seed: int) -> list[str]:
    return list(bench_traffic.lines("caddy-runtime", "ids", n, seed=seed))


def test_the_reader_names_the_shape_and_its_keys() -> None:
    assert FORMAT is not None and FORMAT.fast == "caddy_runtime"
    needles = dict((name, expect) for name, _, _, expect in RUNTIME_FAST_KEYS)["msg"].split("|")
    assert needles[:2] == ["timeout awaiting response headers", "i/o timeout"] and "EOF" in needles


@built
def test_real_odd_and_generated_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outage = _lines(20_000, seed=51)
    lines = FIXTURE.read_text().splitlines() + ODD_LINES * 3 + outage + ODD_LINES
    log = _write(tmp_path / "runtime.log", lines)
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, log, FORMAT)
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
    assert fast.inputs[0].skipped > 0 and fast.unrouted_errors and len(fast.routes) > 10
    assert calls["line"] // 2 < 4 * len(ODD_LINES) + 50  # the odd lines the scanner leaves, not the outage's
    assert calls["group"] < 400


@built
def test_odd_lines_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each odd line after two grouped ones, so a line the scanner took wrongly shows as its own difference."""
    assert_each_alone(tmp_path, monkeypatch, FORMAT, [ODD_LINES[0], ODD_LINES[2]], ODD_LINES)


@built
def test_windows_mutations_cap_and_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(52)
    lines = _lines(20_000, seed=53) + ODD_LINES * 4
    rnd.shuffle(lines)
    log = _write(tmp_path / "runtime.log", lines)
    first = int(json.loads(_lines(1, seed=53)[0])["ts"])
    for window in ((first + 300, first + 900), (None, first + 600), (first + 10**9, None)):
        fast, slow = both(monkeypatch, log, FORMAT, window=window)
        assert fast.outside == slow.outside > 0
        assert_same(fast, slow)
        assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
    mutated = _write(tmp_path / "mutated.log", mutated_lines(_lines(1000, seed=54) + ODD_LINES, 20_000, rnd))
    fast, slow = both(monkeypatch, mutated, FORMAT)
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 1)
    fast, slow = both(monkeypatch, log, FORMAT, max_routes=5, track_refused=True)
    assert_same(fast, slow)
    assert fast.unrouted_errors == slow.unrouted_errors and sum(fast.unrouted_errors.values()) > 1000
    assert fast.refused is not None and slow.refused is not None and fast.refused.bits == slow.refused.bits
    fast, _ = scan_inputs([str(log)], jobs=2, pieces=3)
    monkeypatch.setenv("LPDOCTOR_NO_FAST", "1")
    slow, _ = scan_inputs([str(log)], jobs=1)
    assert fast.inputs[0].format == "caddy-runtime"
    assert_same(fast, slow)
