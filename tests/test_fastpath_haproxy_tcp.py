"""HAProxy's ``option tcplog`` (mode tcp) on the compiled path: a TCP session a line, no request; its route is the
stream, ``(tcp frontend/backend)``. The aggregate, the input's summary and the report are the Python reader's on
real lines (HAProxy 2.6, tests/fixtures), generated traffic, odd lines at every boundary of the line's shape,
seeded mutations, times over days, a window, a route cap and pieces on two processes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench import traffic as bench_traffic
from lpdoctor.logformats.registry import get_format
from lpdoctor.scan import fastpath
from lpdoctor.scan.parallel import scan_inputs
from tests.test_fastpath import _compare_everywhere, _restamped, _write, assert_same, both, built, counted_parses

FIXTURE = Path(__file__).parent / "fixtures" / "logformats" / "haproxy-tcplog.log"
TCP = get_format("haproxy-tcplog")
_HB = "Jun  9 10:13:20 lb1 haproxy[2211]: "
_C = "3.17.173.86:36834 [21/Nov/2026:10:00:00.075]"
_S = "12/12/3/3/0 0/0"
ODD_TCP_LINES = [
    f"{_HB}{_C} fe_matrix be_synapse/syn1 0/0/30020 1966 -- {_S}",
    f"{_C} fe be/s1 1/0/2001 0 cD {_S}",  # no syslog header (HAProxy's own log file)
    f"<134>{_HB}{_C} fe be/s1 1/0/2001 0 cD {_S}",
    f"<134>1 2026-11-21T10:00:00.075+02:00 lb1 haproxy 2211 - - {_C} fe be/s1 1/0/2001 0 cD {_S}",  # RFC 5424
    f"2026-11-21T10:00:00+01:00 lb1 haproxy[2211]: {_C} fe be/s1 1/0/2001 0 cD {_S}",
    f"Jun  9 10:13:20 haproxy[2211]: {_C} fe be/s1 1/0/2001 0 cD {_S}",
    f"{_HB}[2001:db8::1]:36834 [21/Nov/2026:10:00:00.075] fe be/s1 0/0/40 5 -- {_S}",
    f"{_HB}{_C} fe be/s1 -1/-1/55001 0 sD {_S}",
    f"{_HB}{_C} fe be/s1 0/0/+55001 0 sD {_S}",  # option logasap
    f"{_HB}{_C} fe be/s1 0/0/-1 0 CC {_S}",  # no duration
    f"{_HB}{_C} fe be/s1 0/0/+-5 0 -- {_S}",
    f"{_HB}{_C} fe be/s1 0/0/-0 0 -- {_S}",
    f"{_HB}{_C} fe be/s1 0/0/12345678901 0 -- {_S}",  # 11 digits
    f"{_HB}{_C} fe be/s1 0/0/40 +0 -- {_S}",
    f"{_HB}{_C} fe be/s1 0/0/40 -5 -- {_S}",
    f"{_HB}{_C} fe be/s1 0/0/40 5 SD {_S}",
    f"{_HB}{_C} fe be/s1 0/0/40 5 CD {_S}",
    f"{_HB}{_C} fe be/s1 0/0/40 5 sC {_S}",
    f"{_HB}{_C} fe be/s1 0/0/40 5 PR {_S}",
    f"{_HB}{_C} fe be/s1 0/0/40 5 -1 {_S}",  # not a state
    f"{_HB}{_C} fe be/s1 0/0/40 5 sD-- {_S}",  # httplog's 4 characters
    f"{_HB}{_C} fe be/s1 0/0/40 5 -- 12/12/3/3/0 0/0 ",  # a trailing space
    f"{_HB}{_C} fe be/s1 0/0/40 5 -- 12/12/3/3/0 0/0 x",
    f"{_HB}{_C} fe be/s1 0/0/40 5 -- +12/+12/+3/+3/+0 0/0",
    f"{_HB}{_C} fe be/s1 0/0/40 5 -- 12/12/3/3/0 +0/0",
    f"{_HB}{_C} fe be/s1 0/0/40 5 -- 12/12/3/3 0/0",
    f"{_HB}{_C} fe_é be/s1 0/0/40 5 -- {_S}",  # a name outside ASCII
    f"{_HB}{_C} fe be/s1/x 0/0/40 5 -- {_S}",  # a server with a slash
    f"{_HB}{_C} {'f' * 128} {'b' * 128}/{'s' * 128} 0/0/40 5 -- {_S}",  # every name at its longest
    f"{_HB}{_C} {'f' * 129} be/s1 0/0/40 5 -- {_S}",
    f"{_HB}{_C} fe {'b' * 129}/s1 0/0/40 5 -- {_S}",
    f"{_HB}{_C} fe /s1 0/0/40 5 -- {_S}",
    f"{_HB}{_C} fe be/ 0/0/40 5 -- {_S}",
    f"{_HB}{_C} (tcp be/s1 0/0/40 5 -- {_S}",  # the route's own characters in a name
    f"{_HB}{_C} fe be)/s1 0/0/40 5 -- {_S}",
    f"{_HB}{_C} Fe BE/s1 0/0/40 5 -- {_S}",
    f"{_HB}3.17.173.86:36834 [31/Feb/2026:10:00:00.075] fe be/s1 0/0/40 5 -- {_S}",
    f"{_HB}3.17.173.86:36834 [21/Nov/2026:10:00:00.1234567] fe be/s1 0/0/40 5 -- {_S}",
    f"{_HB}3.17.173.86:36834 [21/Nov/2026:10:00:00] fe be/s1 0/0/40 5 -- {_S}",
    f'{_HB}{_C} fe be/s1 0/0/0/39/40 200 5 - - ---- {_S} "GET /a HTTP/1.1"',  # an httplog line
    f"{_HB}{_C} fe be/s1 0/0/40 5 --\t{_S}",
    "",
    "not a haproxy line",
]


def _lines(n: int, seed: int) -> list[str]:
    return list(bench_traffic.lines("haproxy-tcplog", "ids", n, seed=seed))


def test_the_reader_names_the_shape() -> None:
    assert TCP is not None and TCP.fast == "haproxy_tcp"


@built
def test_real_generated_and_odd_lines_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    common = FIXTURE.read_text().splitlines() + _lines(20_000, seed=41)

    def restamp(lines: list[str], rnd: random.Random) -> list[str]:
        return _restamped(lines, rnd, haproxy=True)

    _compare_everywhere(tmp_path, monkeypatch, TCP, common, ODD_TCP_LINES, restamp, random.Random(43), detect=True)


@built
def test_sessions_are_grouped_by_stream_and_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader reads a group's first line, not every line; each stream is a route of its own."""
    lines = _lines(30_000, seed=44)
    log = _write(tmp_path / "tcp.log", lines)
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, log, TCP)
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict() and fast.inputs[0].parsed == 30_000
    assert {"(tcp fe_matrix/be_synapse)", "(tcp fe_consul/be_consul)", "(tcp fe_tcp/be_app)"} <= set(fast.routes)
    assert calls["line"] == 0 and calls["group"] < 100


@built
def test_route_cap_and_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 streams (two kept), and the same log in pieces on two processes."""
    rnd = random.Random(45)
    streams = [f"fe{n} be{n}/s1" for n in range(40)]
    lines = [
        f"{_HB}{_C} {rnd.choice(streams)} 0/0/{rnd.randrange(60_000)} 5 {rnd.choice(['--', 'sD', 'CD'])} {_S}"
        for _ in range(20_000)
    ]
    log = _write(tmp_path / "streams.log", lines + ODD_TCP_LINES)
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 1)
    fast, slow = both(monkeypatch, log, TCP, max_routes=2)
    assert fast.overflow_requests > 10_000
    assert_same(fast, slow)
    fast, _ = scan_inputs([str(log)], jobs=2, pieces=3)
    monkeypatch.setenv("LPDOCTOR_NO_FAST", "1")
    slow, _ = scan_inputs([str(log)], jobs=1)
    assert fast.inputs[0].format == "haproxy-tcplog"
    assert_same(fast, slow)
