"""The compiled scanner once the route cap is reached: the lines of the routes the aggregate turns away are
grouped as the overflow bucket's (no parse, no stats, no hold lookup for each new route), and the aggregate —
overflow bucket, refused-route filter, admitted routes of a parallel piece — is still the Python path's."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bench import traffic as bench_traffic
from bench.generate import lines as bench_lines
from lpdoctor.logformats.logs import parse_line
from lpdoctor.scan import fastpath
from lpdoctor.scan.pipeline import aggregate_file
from lpdoctor.scan.routes import RouteCache, split_target
from tests.test_fastpath import assert_same, both, built
from tests.test_fastpath_shapes import timing_scanner


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the lines the fast path gives the Python parser to read a group's first line."""
    calls = [0]

    def counting(*args: object, **kw: object) -> object:
        calls[0] += 1
        return parse_line(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(fastpath, "parse_line", counting)
    return calls


def spa_lines(fmt: str, count: int, seed: int) -> list[str]:
    """The bench's SPA traffic in ``fmt`` (65 routes). HAProxy's tcplog has no request: a session's route is its
    frontend/backend, of which the bench writes one per service (4); here the sessions go through 80 of them, in
    turn, so a cap has routes to turn away."""
    lines = list(bench_traffic.lines(fmt, "spa", count, seed=seed))
    if fmt == "haproxy-tcplog":
        lines = [re.sub(r" fe_\w+ be_\w+/", f" fe{i % 80} be{i % 80}/", line, count=1) for i, line in enumerate(lines)]
    return lines


@built
@pytest.mark.parametrize("fmt", list(bench_traffic.ACCESS_FORMATS))
@pytest.mark.parametrize("every", [3, 8192])
def test_refused_routes_group_as_the_overflow_bucket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, every: int
) -> None:
    """Every format the bench writes, SPA traffic (65 routes) under a cap of 12: the same aggregate as the
    Python path, with hand-overs every 3 groups (the cap is reached after a few) or only at the end."""
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", every)
    log = _write(tmp_path / f"{fmt}.log", spa_lines(fmt, 6_000, seed=4))
    fast, slow = both(monkeypatch, log, None, max_routes=12)
    assert fast.overflow_requests == slow.overflow_requests > 500
    assert_same(fast, slow)


@built
def test_lines_of_refused_routes_cost_no_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's own log (blog slugs and scanner junk: a new route every few lines) under a cap of 50: once
    the cap is reached, a refused route's lines join the overflow bucket's groups, which are few."""
    log = _write(tmp_path / "bench.log", list(bench_lines(40_000, seed=3)))
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 64)
    calls = _parses(monkeypatch)
    fast = aggregate_file(str(log), None, max_routes=50)
    parses = calls[0]
    monkeypatch.setenv("LPDOCTOR_NO_FAST", "1")
    slow = aggregate_file(str(log), None, max_routes=50)
    assert_same(fast, slow)
    refused_routes = len(_routes(log) - set(slow.routes))
    assert fast.overflow_requests > 2_000 and refused_routes > 500
    # A parse per key (route, status ...) of the 50 routes kept and of the overflow bucket, and per single-line
    # group (not remembered) of a route refused before a hand-over told the scanner: 647 here; 1 639 when each
    # refused route's lines were a group of their own.
    assert parses < 800, parses


def _routes(log: Path) -> set[str]:
    cache = RouteCache()
    out = set()
    for line in log.read_text().splitlines():
        target = line.split('"')[1].split(" ")[1]
        out.add(cache.route(split_target(target)[0]))
    return out


@built
def test_refused_route_filter_and_admitted_routes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A piece of a parallel scan: with ``track_refused`` the filter of the routes turned away holds the same
    routes as on the Python path; with ``admit``, the routes kept are exactly those, from the first line."""
    log = _write(tmp_path / "bench.log", list(bench_lines(20_000, seed=5)))
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 5)
    fast, slow = both(monkeypatch, log, None, max_routes=30, track_refused=True)
    assert fast.refused is not None and slow.refused is not None
    assert fast.refused.bits == slow.refused.bits and any(slow.refused.bits)
    assert_same(fast, slow)
    kept = sorted(slow.routes)[::3]
    admit = frozenset(r for r in kept if not r.startswith("("))
    fast, slow = both(monkeypatch, log, None, admit=admit, track_refused=True)
    assert set(fast.routes) - {"(other routes)"} <= admit
    assert fast.refused is not None and slow.refused is not None
    assert fast.refused.bits == slow.refused.bits
    assert_same(fast, slow)


@built
def test_groups_taken_in_batches_are_the_groups_taken_at_once(tmp_path: Path) -> None:
    """take(limit) hands the groups over a few at a time (their Python values freed batch by batch): the same
    entries, in the same order, as one take(); scanning on before the last batch is refused."""
    block = ("\n".join(bench_lines(3_000, seed=8)) + "\n").encode()

    def scanner() -> fastpath._combined_fast.Scanner:
        s = timing_scanner()
        pos, _, stop = s.scan(block, 0, 1)
        assert stop == fastpath._combined_fast.SCAN_END and pos == len(block)
        return s

    whole = scanner().take()
    batched = scanner()
    got: list[object] = []
    first = batched.take(7)
    assert len(first) == 7
    with pytest.raises(RuntimeError):
        batched.scan(block, 0, 1)
    got += first
    while part := batched.take(7):
        got += part
    assert len(whole) > 100 and got == whole
    assert batched.pending == 0 and batched.take() == []
    pos, _, _ = batched.scan(block, 0, 1)  # all taken: scanning goes on
    assert pos == len(block)


@built
@pytest.mark.parametrize("fmt", ["nginx-timing", "traefik-json", "apache-combined-D"])
def test_many_distinct_durations_are_handed_over_folded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """A group with more distinct durations than FOLD_MIN hands them over folded by (histogram bin, failure
    bin): the histograms' bins, counts, minimum and maximum and the failure spans are the Python path's (the
    totals to 1e-9). Durations straddle every bin width and the failure bins' half-second edges."""
    r = random.Random(11)
    edges = [
        0.0,
        0.0004,
        0.0005,
        0.9994,
        0.9995,
        0.9996,
        9.994,
        9.995,
        9.996,
        59.449,
        59.45,
        59.5,
        59.55,
        99.94,
        99.95,
        599.4,
        599.5,
        600.0,
        3599.4,
        3599.5,
        3600.0,
        7199.9,
        7200.0,
    ]
    durations = edges + [r.uniform(0, 0.05) for _ in range(3000)] + [r.uniform(29.0, 31.0) for _ in range(800)]
    durations += [round(r.uniform(59.0, 60.5), 3) for _ in range(800)] + [r.uniform(590, 610) for _ in range(200)]
    durations += [r.uniform(0, 12) for _ in range(3000)] + [r.uniform(95, 105) for _ in range(300)]
    durations += [r.uniform(3590, 3610) for _ in range(300)]
    tmpl = next(iter(bench_traffic.lines(fmt, "few", 1, seed=1)))
    lines = []
    for i, d in enumerate(durations):
        status = 504 if d > 20 else 200
        lines.append(_with_duration(fmt, tmpl, d, status, i))
    log = _write(tmp_path / f"{fmt}.log", lines)
    fast, slow = both(monkeypatch, log, None)
    assert_same(fast, slow)
    for route, rs in slow.routes.items():
        mine = fast.routes[route]
        for outcome, h in rs.durations.items():
            assert (mine.durations[outcome].min, mine.durations[outcome].max) == (h.min, h.max)
            assert mine.durations[outcome].bins == h.bins
        assert mine.failure_times == rs.failure_times
    assert sum(len(h.bins) for rs in slow.routes.values() for h in rs.durations.values()) > 100


def _with_duration(fmt: str, line: str, seconds: float, status: int, i: int) -> str:
    """``line`` (bench traffic of ``fmt``) with the duration and status given (distinct in its last digits)."""
    if fmt == "traefik-json":
        ns = int(seconds * 1e9) + i
        line = re.sub(r'"Duration":\d+', f'"Duration":{ns}', line)
        return re.sub(r'"(Downstream|Origin)Status":\d+', rf'"\1Status":{status}', line)
    micros = fmt == "apache-combined-D"
    return restamped(fmt, line, str(int(seconds * 1e6) + i % 7) if micros else f"{seconds:.3f}", status)


def restamped(fmt: str, line: str, duration: str, status: int) -> str:
    """A bench line of nginx timing (``" 200 "`` then the positional tail) or Apache ``%D`` (``fmt``
    ``apache-combined-D``) with ``status`` and the ``duration`` text: the request and upstream time for nginx, the
    microseconds for Apache."""
    head, _, _ = line.rpartition('" 200 ')
    rest = line[len(head) + len('" 200 ') :]
    line = f'{head}" {status} {rest}'
    if fmt == "apache-combined-D":
        return re.sub(r" \d+$", f" {duration}", line)
    return re.sub(r" [\d.]+ [\d.]+ \d+$", f" {duration} {duration} {status}", line)
