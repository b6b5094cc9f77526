"""bench/traffic.py writes, in every format, lines lpdoctor detects and reads as that format, and the same
requests in each: the rows of bench.run's table differ by format only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.outfile import staging
from bench.traffic import FORMATS, READ_AS, SHAPES, Traffic, generate, lines
from lpdoctor.scan.parallel import scan_inputs
from lpdoctor.scan.report import build_report


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_detected_read_whole_and_finds_the_cut_routes(fmt: str, tmp_path: Path) -> None:
    log = tmp_path / f"{fmt}.log"
    generate(str(log), fmt, "ids", 6000, seed=3)
    agg, errors = scan_inputs([str(log)], jobs=1)
    assert not errors
    summary = agg.inputs[0]
    assert (summary.format, summary.parsed, summary.skipped) == (READ_AS.get(fmt, fmt), 6000, 0)
    cut = sorted({f.route for f in build_report(agg).findings if f.route})
    if fmt == "haproxy-tcplog":  # no request: a session's route is its frontend/backend, one for each service
        assert cut == ["(tcp fe_consul/be_consul)", "(tcp fe_events/be_events)"]
    else:
        assert cut == ["/api/events/poll", "/v1/health/service/api", "/v1/health/service/db", "/v1/health/service/web"]


def test_seeded_and_shapes_differ() -> None:
    assert list(lines("nginx-timing", "spa", 200, seed=4)) == list(lines("nginx-timing", "spa", 200, seed=4))
    assert list(lines("nginx-timing", "spa", 200, seed=4)) != list(lines("nginx-timing", "spa", 200, seed=5))
    targets = {shape: {Traffic(shape, 1).next().target for _ in range(1)} for shape in SHAPES}
    assert len(targets) == len(SHAPES)


def test_a_symlink_or_a_device_is_written_through_not_replaced(tmp_path: Path) -> None:
    """A rename would replace what the path names (as root, /dev/stdout became a regular file)."""
    target = tmp_path / "real.log"
    target.write_text("old\n")
    link = tmp_path / "link.log"
    link.symlink_to(target)
    generate(str(link), "nginx-timing", "few", 10, seed=1)
    assert link.is_symlink() and len(target.read_text().splitlines()) == 10
    assert not list(tmp_path.glob("*.tmp*"))
    generate(str(tmp_path / "new.log"), "nginx-timing", "few", 10, seed=1)  # a new file: written, then renamed
    assert (tmp_path / "new.log").read_text() == target.read_text()
    assert staging("/dev/null") == "/dev/null" and staging("/dev/stdout") == "/dev/stdout"  # written directly
