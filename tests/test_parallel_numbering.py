"""Pieces of a file are read at once, each numbered from its own first line; once the pieces before a piece are
read, its skipped lines move to their place in the file's numbering, and a piece whose warning names a line (an
overlong line) is read again, numbered: the summary is the single-process one."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.generate import lines as bench_lines
from lpdoctor.scan import parallel
from lpdoctor.scan.pipeline import aggregate_logs
from tests.parallel_support import sent_to_workers


def _log(tmp_path: Path, overlong: bool) -> tuple[Path, list[int]]:
    lines = list(bench_lines(40_000, seed=12))
    bad = [700, 15_000, 22_222, 31_000, 39_990]  # 1-based line numbers, spread over every piece
    for n in bad:
        lines[n - 1] = f"not a log line {n}"
    if overlong:
        lines[35_000 - 1] = "x" * (1 << 20 | 7)  # over MAX_LINE_BYTES: skipped with a warning naming it
        bad = sorted([*bad, 35_000])
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")
    return path, bad


@pytest.mark.parametrize("pieces", [2, 5])
@pytest.mark.parametrize("overlong", [False, True])
def test_skipped_lines_and_warnings_keep_the_files_numbering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pieces: int, overlong: bool
) -> None:
    path, bad = _log(tmp_path, overlong)
    sent = sent_to_workers(monkeypatch)
    split, errors = parallel.scan_inputs([str(path)], jobs=2, pieces=pieces)
    plain, _ = aggregate_logs([str(path)])
    assert not errors
    got, want = split.inputs[0], plain.inputs[0]
    assert want.skipped_lines == bad  # what the plain scan says, as the file numbers its lines
    assert (got.lines, got.skipped, got.skipped_lines, got.warnings) == (
        want.lines,
        want.skipped,
        want.skipped_lines,
        want.warnings,
    )
    if overlong:
        assert want.warnings == ["line 35000 is longer than 1 MiB and was skipped"]
        # the piece with the overlong line was read a second time, numbered as in the file
        again = [p for p in sent if p.span is not None and p.span.first_line > 1]
        assert len(again) == 1 and again[0].span is not None and again[0].span.first_line <= 35_000
    else:
        assert all(p.span is None or p.span.first_line == 1 for p in sent)  # no piece was read twice
