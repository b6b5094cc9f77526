"""A big file whose routes outgrow the cap, read on two processes: the second piece first finds the routes of the
lines before it with the compiled scanner alone (no groups, no parse), then keeps stats only for those and for
what is left of the cap. The result is the single-process one, also when that discovery is wrong."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench import traffic as bench_traffic
from bench.generate import generate as bench_generate
from bench.generate import lines as bench_lines
from lpdoctor.logformats.logs import detect_file_format
from lpdoctor.scan import fastpath, parallel
from lpdoctor.scan.aggregate import OVERFLOW_ROUTE
from lpdoctor.scan.pipeline import aggregate_file, discover_file
from lpdoctor.text.inputs import Span
from tests.parallel_support import sent_to_workers
from tests.test_fastpath import assert_same
from tests.test_fastpath_cap import spa_lines

built = pytest.mark.skipif(fastpath._combined_fast is None, reason="the C fast path is not built here")


def _kept(agg: object) -> list[str]:
    return [r for r in agg.routes if r != OVERFLOW_ROUTE]  # type: ignore[attr-defined]


_READER_ONLY = {"heroku-router": " at=error ", "envoy-default": '" 0 DC '}


@built
@pytest.mark.parametrize("fmt_name", list(bench_traffic.ACCESS_FORMATS))
def test_discovery_meets_the_routes_in_the_aggregates_order(tmp_path: Path, fmt_name: str) -> None:
    """Every format the bench writes, SPA traffic: the routes the scanner alone finds are the aggregate's, in
    its order, and a limit cuts them where the cap would."""
    log = tmp_path / f"{fmt_name}.log"
    # the lines the scanner leaves to the reader, which the discovery passes over (Heroku's error lines, Envoy's
    # code 0): left out here; test_seeded_pieces_give_the_single_process_aggregate covers routes only they hold
    reader_only = _READER_ONLY.get(fmt_name, "\0")
    lines = [line for line in spa_lines(fmt_name, 3_000, seed=5) if reader_only not in line]
    log.write_text("\n".join(lines) + "\n")
    fmt = detect_file_format(str(log))
    assert fmt is not None and fastpath.available(fmt)
    whole = _kept(aggregate_file(str(log), fmt, 10_000))
    assert len(whole) > 30
    assert discover_file(str(log), fmt, 10_000) == whole
    assert discover_file(str(log), fmt, 12) == whole[:12]
    capped = aggregate_file(str(log), fmt, 12)
    assert _kept(capped) == discover_file(str(log), fmt, 12)


@built
def test_discovery_keeps_to_the_window_and_the_span(tmp_path: Path) -> None:
    log = tmp_path / "bench.log"
    bench_generate(str(log), 6_000, seed=6)
    fmt = detect_file_format(str(log))
    assert fmt is not None
    size = log.stat().st_size
    cut = parallel._line_start_at(str(log), size // 3, size)
    head = aggregate_file(str(log), fmt, 10_000, span=Span(0, cut))
    assert discover_file(str(log), fmt, 10_000, span=Span(0, cut)) == _kept(head)
    lo, hi = head.first_time, head.last_time
    assert lo is not None and hi is not None
    window = (lo + (hi - lo) / 3, lo + (hi - lo) / 2)
    inside = aggregate_file(str(log), fmt, 10_000, window=window)
    assert 0 < len(_kept(inside)) < len(_kept(aggregate_file(str(log), fmt, 10_000)))
    assert discover_file(str(log), fmt, 10_000, window=window) == _kept(inside)


def _seeding(monkeypatch: pytest.MonkeyPatch) -> list[parallel.Piece]:
    """Small files cut in two seeded pieces (whatever their head says of the cap: the cases below include a
    cap never filled); returns the list of every piece handed to the worker process."""
    monkeypatch.setattr(parallel, "_fills_cap", lambda *args: True)
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    monkeypatch.setattr(parallel, "AUTO_PARALLEL_BYTES", 1 << 10)
    monkeypatch.setattr(parallel, "MIN_PIECE_BYTES", 1 << 14)
    return sent_to_workers(monkeypatch)


def _python_only_lines(n: int, seed: int) -> list[str]:
    """Requests the compiled scanner leaves to the Python parser (a non-ASCII path), each a route of its own."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        word = "".join(rnd.choice("bcdfghjklmnpqrstvwxz") for _ in range(7))
        out.append(
            f'203.0.113.9 - - [10/Mar/2024:00:00:01 +0000] "GET /café/{word}.php HTTP/1.1" 404 0 "-" "curl/8.5.0" '
            "0.001 0.001 404"
        )
    return out


@built
@pytest.mark.parametrize("max_routes", [150, 400, 2_000])
@pytest.mark.parametrize("windowed", [False, True])
def test_seeded_pieces_give_the_single_process_aggregate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_routes: int, windowed: bool
) -> None:
    """The bench's own log (a new route every few lines) with routes only the Python parser reads spread
    through its first half: under a cap filled in the first piece, in the second, or never; with and without
    --since/--until."""
    lines = list(bench_lines(30_000, seed=8))
    odd = _python_only_lines(60, seed=8)
    for k, line in enumerate(odd):
        lines.insert(100 + k * 200, line)
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    sent = _seeding(monkeypatch)
    window: tuple[float | None, float | None] = (None, None)
    if windowed:
        whole = aggregate_file(str(log), None, 10_000)
        assert whole.first_time is not None and whole.last_time is not None
        span = whole.last_time - whole.first_time
        window = (whole.first_time + span * 0.05, whole.last_time - span * 0.2)
    two, errors = parallel.scan_inputs([str(log)], max_routes=max_routes, window=window)
    one, _ = parallel.scan_inputs([str(log)], max_routes=max_routes, jobs=1, window=window)
    assert not errors
    assert sent and sent[0].seed_end is not None  # the case this test is about
    assert_same(two, one)
    assert list(two.routes) == list(one.routes)
    assert two.overflow_requests == one.overflow_requests


@built
@pytest.mark.parametrize(("junk", "room"), [("made-up", 30), ("past the cap", -100)])
def test_a_piece_whose_seed_the_pieces_before_do_not_keep_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, junk: str, room: int
) -> None:
    """The discovery is only trusted as far as the merge can check it: a seed holding a route the pieces before
    the piece do not keep (a made-up one under a cap the second piece fills; or, under a cap the first piece
    fills, routes past the cap in place of kept ones) would make the piece turn away routes too early or keep
    the wrong ones; the piece is read again with the routes the pieces before it keep, and the result is the
    single-process one."""
    log = tmp_path / "access.log"
    bench_generate(str(log), 30_000, seed=9)
    sent = _seeding(monkeypatch)
    real = fastpath.discover_routes

    def wrong(blocks, fmt, limit, window):  # type: ignore[no-untyped-def]
        if junk == "made-up":
            return [f"/made-up/{n}" for n in range(20)] + real(blocks, fmt, limit - 20, window)
        return real(blocks, fmt, limit + 20, window)[20:]

    monkeypatch.setattr(fastpath, "discover_routes", wrong)
    size = log.stat().st_size
    first = aggregate_file(str(log), None, 100_000, span=Span(0, parallel.line_starts(str(log), size, 2)[1]))
    max_routes = len(_kept(first)) + room  # room for 30 routes of the second piece, or full in the first
    two, errors = parallel.scan_inputs([str(log)], max_routes=max_routes)
    one, _ = parallel.scan_inputs([str(log)], max_routes=max_routes, jobs=1)
    assert not errors
    # read with the seed found, then again with the routes the first piece keeps
    assert [(p.seed_end is not None, p.seen is not None) for p in sent] == [(True, False), (False, True)]
    assert_same(two, one)
    assert list(two.routes) == list(one.routes)
