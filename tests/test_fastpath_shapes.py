"""The compiled scanner on high-cardinality traffic (bench.traffic's ``ids`` and ``spa`` shapes): the same
aggregate as the Python path, and cheap — a segment shape (``61141.png`` and ``88812.png``) templated once."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.traffic import lines
from lpdoctor.scan import fastpath, routes
from tests.test_fastpath import assert_same, both, built


@built
@pytest.mark.parametrize("shape", ["ids", "spa"])
def test_high_cardinality_traffic_is_the_python_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    log = tmp_path / f"{shape}.log"
    log.write_text("\n".join(lines("nginx-timing", shape, 20_000, seed=9)) + "\n")
    fast, slow = both(monkeypatch, log, None)
    assert fast.inputs[0].format == "nginx-timing" and fast.inputs[0].parsed == 20_000
    assert_same(fast, slow)
    assert len(fast.routes) < 200


@built
def test_a_segment_shape_is_templated_once_when_its_template_has_no_digit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = random.Random(5)
    prefix = '198.51.100.7 - - [21/Nov/2026:10:00:00 +0000] "GET '
    tail = ' HTTP/1.1" 200 512 "-" "curl/8" 0.010 0.009 200'
    paths = [f"/img/{r.randint(10_000, 99_999)}.png" for _ in range(3000)]  # one shape: 00000.png
    paths += [f"/v{r.randint(1, 9)}/x" for _ in range(300)]  # templates with digits: v1 ... v9, each exact
    r.shuffle(paths)
    log = tmp_path / "shapes.log"
    log.write_text("".join(f"{prefix}{p}{tail}\n" for p in paths))
    calls: list[str] = []
    real = routes.segment_template

    def counting(seg: str) -> str:
        calls.append(seg)
        return real(seg)

    monkeypatch.setattr(fastpath, "segment_template", counting)
    fast, slow = both(monkeypatch, log, None)
    assert_same(fast, slow)
    assert {rs for rs in fast.routes} >= {"/img/{id}.png"} and len(fast.routes) == 10
    png = [c for c in calls if c.endswith(".png")]
    assert len(png) == 1, png[:5]
    assert sorted(c for c in calls if c.startswith("v")) == [f"v{i}" for i in range(1, 10)]
    assert "x" in calls and "img" in calls
