"""How many processes ``scan`` uses by default follows the work, not only the size: a file the compiled scanner
reads needs 8x the bytes before a worker process pays for itself; the report is the same either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.traffic import generate
from lpdoctor.scan import fastpath, parallel


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
