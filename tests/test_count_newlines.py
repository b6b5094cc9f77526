"""The newline count that numbers a piece's first line (scan/parallel.count_newlines): the count bytes.count
gives, for any span of a file, with the compiled counter and without it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lpdoctor.scan import parallel
from lpdoctor.text import inputs


@pytest.mark.parametrize("compiled", [True, False])
def test_every_span_counts_what_bytes_count_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compiled: bool
) -> None:
    if compiled and parallel.fastpath._combined_fast is None:
        pytest.skip("the compiled module is not built here")
    if not compiled:
        monkeypatch.setattr(inputs, "_newlines", inputs._count_newlines)
    r = random.Random(3)
    lines = [b"x" * r.choice([0, 1, 7, 300, 5000, 1 << 20]) for _ in range(60)]
    data = b"\n".join(lines) + b"\n\n" + b"\r\n" * 1000 + b"tail without newline"
    log = tmp_path / "a.log"
    log.write_bytes(data)
    size = len(data)
    spans = [(0, size), (0, 0), (size, size), (0, 1 << 20), (1, (1 << 20) + 1), (size - 1, size)]
    for _ in range(40):
        a, b = r.randrange(size + 1), r.randrange(size + 1)
        spans.append((min(a, b), max(a, b)))
    for start, end in spans:
        assert parallel.count_newlines(str(log), start, end) == data[start:end].count(b"\n"), (start, end)
    assert parallel.count_newlines(str(log), 0, size + 100) == data.count(b"\n")  # a span past the end


def test_blocks_are_counted_with_the_compiled_counter_once_the_scan_layer_is_loaded() -> None:
    """text.inputs sits below the scan layer: lpdoctor.scan.fastpath gives it the compiled counter."""
    from lpdoctor.scan import fastpath

    if fastpath._combined_fast is None:
        pytest.skip("the compiled module is not built here")
    assert inputs._newlines is fastpath._combined_fast.newlines
