"""How many processes ``scan`` uses by default follows the work, not only the size: a file the compiled scanner
reads needs 8x the bytes before a worker process pays for itself; the report is the same either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.generate import generate as bench_generate
from bench.traffic import generate
from lpdoctor.scan import fastpath, parallel
from tests.parallel_support import sent_to_workers
from tests.test_fastpath import assert_same


@pytest.mark.skipif(fastpath._combined_fast is None, reason="the C fast path is not built here")
def test_compiled_formats_go_parallel_only_when_much_bigger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    timing, json_log = tmp_path / "t.log", tmp_path / "j.log"
    generate(str(timing), "nginx-timing", "ids", 4000, seed=2)
    generate(str(json_log), "nginx-json", "ids", 4000, seed=2)
    started: list[int] = []
    real_run = parallel._run

    def spy(pool, *args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(0 if isinstance(pool, parallel._Inline) else 1)
        return real_run(pool, *args, **kwargs)

    monkeypatch.setattr(parallel, "_run", spy)
    # JSON read in Python, as a format without a compiled path is (nginx JSON has one now)
    monkeypatch.setattr(fastpath, "_SHAPES", tuple(x for x in fastpath._SHAPES if x != "json"))
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    monkeypatch.setattr(parallel, "MIN_PIECE_BYTES", 1 << 14)
    limit = int(timing.stat().st_size * 0.5)  # the timing file is 2x the limit in bytes, 1/4 of it in work
    monkeypatch.setattr(parallel, "AUTO_PARALLEL_BYTES", limit)
    reports = {}
    for log in (timing, json_log):
        agg, errors = parallel.scan_inputs([str(log)])
        assert not errors
        one, _ = parallel.scan_inputs([str(log)], jobs=1)
        reports[log.name] = (agg.to_dict(), one.to_dict())
    assert started == [0, 0, 1, 0]  # timing: one process; JSON (same requests, more bytes, Python): two
    for auto, single in reports.values():
        assert [(r["route"], r["requests"]) for r in auto["routes"]] == [
            (r["route"], r["requests"]) for r in single["routes"]
        ]


def test_a_file_whose_routes_outgrow_the_cap_is_read_in_seeded_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bench's own log (blog slugs and scanner junk: new routes all along) under a cap of 300: cut in plain
    pieces, the second would fill the cap with routes of its own, turn away routes the first keeps and be read
    again. The head shows the routes outgrowing the cap, so the second piece first finds the routes before it
    (the scanner alone) and keeps only those and what is left of the cap: two processes, no piece read twice,
    the single-process aggregate. Without the compiled scanner, or above SEED_MAX_BYTES, such a file is read in
    one process; the same traffic with few routes gets two plain pieces."""
    crowded, few = tmp_path / "crowded.log", tmp_path / "few.log"
    bench_generate(str(crowded), 40_000, seed=4)
    generate(str(few), "nginx-timing", "few", 40_000, seed=4)
    started: list[tuple[str, int, list[bool]]] = []
    real_run = parallel._run

    def spy(pool, inputs, *args, **kwargs):  # type: ignore[no-untyped-def]
        seeded = [p.seed_end is not None for p in inputs[0].pieces]
        started.append((Path(inputs[0].path).name, 0 if isinstance(pool, parallel._Inline) else 1, seeded))
        return real_run(pool, inputs, *args, **kwargs)

    sent = sent_to_workers(monkeypatch)
    monkeypatch.setattr(parallel, "_run", spy)
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    monkeypatch.setattr(parallel, "AUTO_PARALLEL_BYTES", 1 << 10)
    monkeypatch.setattr(parallel, "MIN_PIECE_BYTES", 1 << 14)
    monkeypatch.setattr(parallel, "CAP_SAMPLE_BYTES", 1 << 19)
    assert parallel._outgrows_cap(str(crowded), crowded.stat().st_size, None, 300)
    assert not parallel._outgrows_cap(str(crowded), crowded.stat().st_size, None, 50_000)
    assert not parallel._outgrows_cap(str(few), few.stat().st_size, None, 300)
    for log in (crowded, few):
        auto, errors = parallel.scan_inputs([str(log)], max_routes=300)
        one, _ = parallel.scan_inputs([str(log)], max_routes=300, jobs=1)
        assert not errors
        assert_same(auto, one)  # (float sums of durations added in another order: equal to 1e-9)
        assert list(auto.routes) == list(one.routes)
    assert started == [
        ("crowded.log", 1, [False, True]),
        ("crowded.log", 0, [False]),
        ("few.log", 1, [False, False]),
        ("few.log", 0, [False]),
    ]
    # The workers got the second piece of each file once: neither was read again.
    assert [(Path(p.path).name, p.seed_end is not None) for p in sent] == [("crowded.log", True), ("few.log", False)]
    started.clear()
    monkeypatch.setattr(parallel, "SEED_MAX_BYTES", crowded.stat().st_size - 1)  # too big to seed: one process
    parallel.scan_inputs([str(crowded)], max_routes=300)
    parallel.scan_inputs([str(few)], max_routes=300)  # (not crowded: two plain pieces, whatever its size)
    monkeypatch.setattr(parallel, "SEED_MAX_BYTES", crowded.stat().st_size)
    monkeypatch.setenv("LPDOCTOR_NO_FAST", "1")
    parallel.scan_inputs([str(crowded)], max_routes=300)
    assert started == [("crowded.log", 0, [False]), ("few.log", 1, [False, False]), ("crowded.log", 0, [False])]


@pytest.mark.skipif(fastpath._combined_fast is None, reason="the C fast path is not built here")
def test_one_rare_route_late_in_a_small_head_does_not_make_a_file_crowded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A head of a MiB is about 1 200 Traefik JSON lines: one rare route first seen in its second half was
    extrapolated to 16 000 routes for a 10 M-line file that has 17, and the file was read in one process. A few
    new routes make the estimate look again at a head four times as big (up to CAP_SAMPLE_MAX_BYTES); the file
    is then cut in two plain pieces, with the single-process report."""
    log = tmp_path / "few.log"
    generate(str(log), "nginx-timing", "few", 40_000, seed=4)
    data = log.read_bytes()
    sample = 1 << 14
    at = data.index(b"\n", sample * 3 // 4) + 1  # a line in the second half of the first head
    end = data.index(b"\n", at)
    line = data[at:end]
    path_start = line.index(b'"GET ') + 5
    line = line[:path_start] + b"/rare/only-here" + line[line.index(b" HTTP/", path_start) :]
    log.write_bytes(data[:at] + line + data[end:])
    size = log.stat().st_size
    monkeypatch.setattr(parallel, "CAP_SAMPLE_BYTES", sample)
    monkeypatch.setattr(parallel, "CAP_SAMPLE_MAX_BYTES", sample)
    assert parallel._outgrows_cap(str(log), size, None, 300)  # one head only: the rare route makes it crowded
    monkeypatch.setattr(parallel, "CAP_SAMPLE_MAX_BYTES", sample * 16)
    assert not parallel._outgrows_cap(str(log), size, None, 300)
    # a file with new routes all along stays crowded when looked at again
    crowded = tmp_path / "crowded.log"
    bench_generate(str(crowded), 40_000, seed=4)
    assert parallel._outgrows_cap(str(crowded), crowded.stat().st_size, None, 300)
    monkeypatch.setattr(parallel, "CAP_SURE_NEW", 10**9)  # (every head read, up to the largest)
    assert parallel._outgrows_cap(str(crowded), crowded.stat().st_size, None, 300)

    pieces: list[list[bool]] = []
    real_run = parallel._run

    def spy(pool, inputs, *args, **kwargs):  # type: ignore[no-untyped-def]
        pieces.append([p.seed_end is not None for p in inputs[0].pieces])
        return real_run(pool, inputs, *args, **kwargs)

    monkeypatch.setattr(parallel, "_run", spy)
    monkeypatch.setattr(parallel, "available_cores", lambda: 2)
    monkeypatch.setattr(parallel, "AUTO_PARALLEL_BYTES", 1 << 10)
    monkeypatch.setattr(parallel, "MIN_PIECE_BYTES", 1 << 14)
    monkeypatch.setattr(parallel, "SEED_MAX_BYTES", size - 1)  # were it judged crowded: one process
    auto, errors = parallel.scan_inputs([str(log)], max_routes=300)
    one, _ = parallel.scan_inputs([str(log)], max_routes=300, jobs=1)
    assert not errors and pieces == [[False, False], [False]]  # two plain pieces, then --jobs 1
    assert_same(auto, one)
    assert "/rare/only-here" in auto.routes
