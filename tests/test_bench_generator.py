"""The benchmark's log generator: deterministic, realistic, and in a format lpdoctor and GoAccess both read.

Timings are never asserted here (bench/run.py measures them); these tests check that what is timed is what
docs/performance.md says it is.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from bench.generate import (
    GOACCESS_DATE_FORMAT,
    GOACCESS_LOG_FORMAT,
    GOACCESS_TIME_FORMAT,
    NGINX_LOG_FORMAT,
    generate,
    lines,
)
from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.nginx_access import make_custom_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.model import RequestRecord
from lpdoctor.scan.pipeline import aggregate_logs
from lpdoctor.scan.routes import normalize_path, split_target

SAMPLE = 50_000


@pytest.fixture(scope="module")
def sample() -> list[str]:
    return list(lines(SAMPLE, seed=5))


@pytest.fixture(scope="module")
def records(sample: list[str]) -> list[RequestRecord]:
    fmt = get_format("nginx-timing")
    assert fmt is not None
    parse = fmt.parser()
    out = []
    for n, line in enumerate(sample, 1):
        rec = parse(line, n, "gen")
        assert isinstance(rec, RequestRecord), line
        out.append(rec)
    return out


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.log", tmp_path / "b.log", tmp_path / "c.log"
    generate(str(a), 20_000, seed=1)
    generate(str(b), 20_000, seed=1)
    generate(str(c), 20_000, seed=2)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    assert a.read_text() == "\n".join(lines(20_000, seed=1)) + "\n"
    assert not list(tmp_path.glob("*.tmp*"))  # written through a temporary file, renamed into place


def test_the_command_line_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "access.log"
    done = subprocess.run(
        [sys.executable, "-m", "bench.generate", "--lines", "1000", "--seed", "4", "--out", str(out)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "" and "1000 lines" in done.stderr
    assert out.read_text().splitlines() == list(lines(1000, seed=4))


def test_lines_are_nginx_combined_with_timing_about_160_bytes(sample: list[str], records: list[RequestRecord]) -> None:
    assert detect_format(sample[:50], all_formats()).name == "nginx-timing"  # type: ignore[union-attr]
    own = make_custom_format(NGINX_LOG_FORMAT, "timing").parser()  # the log_format the docs state
    assert all(own(line, n, "gen") is not None for n, line in enumerate(sample[:2000], 1))
    assert all(r.duration_s is not None and r.upstream for r in records)
    average = sum(len(line) + 1 for line in sample) / len(sample)
    assert 150 <= average <= 185


def test_the_mix_is_mostly_ordinary_traffic_over_many_urls(records: list[RequestRecord]) -> None:
    targets = [r.target or "" for r in records]
    poll = [t for t in targets if "timeout=" in t or "wait=" in t]
    junk = [t for t in targets if t.endswith(".php")]
    ordinary = len(targets) - len(poll) - len(junk)
    assert 0.94 <= ordinary / len(targets) <= 0.96
    assert 0.006 <= len(junk) / len(targets) <= 0.014
    assert 0.03 <= len(poll) / len(targets) <= 0.05
    routes = Counter(normalize_path(split_target(t)[0]) for t in targets if not t.endswith(".php"))
    assert len(set(targets)) > 0.6 * len(targets)  # ids, hashes, cursors: most URLs are seen once ...
    assert 100 <= len(routes) <= 600  # ... but collapse into a few hundred routes
    assert routes["/api/v1/users/{id}"] > 0.15 * len(targets)
    assert routes["/img/{uuid}/thumb.jpg"] and routes["/_matrix/client/v3/rooms/{id}/messages"]
    assert len({normalize_path(t) for t in junk}) == len(junk)  # every junk URL is a route of its own


def _durations(records: list[RequestRecord], needle: str, status: int) -> list[float]:
    return [r.duration_s or 0.0 for r in records if needle in (r.target or "") and r.status == status]


def test_long_polls_ask_for_holds_and_some_are_cut_at_a_wall(records: list[RequestRecord]) -> None:
    sync = _durations(records, "/sync?timeout=30000", 200)
    assert len(sync) > 500 and sum(1 for d in sync if 30.0 <= d < 30.5) > 0.5 * len(sync)
    consul = _durations(records, "wait=5m", 504)
    assert len(consul) > 200 and all(60.0 <= d <= 60.01 for d in consul)
    closed = _durations(records, "/api/events/poll?timeout=55", 502)
    assert len(closed) > 100 and all(50.0 <= d <= 50.03 for d in closed)
    gave_up = _durations(records, "/api/events/poll?timeout=55", 499)
    assert len(gave_up) > 30 and all(40.0 <= d <= 40.3 for d in gave_up)
    others = {r.status for r in records if "timeout=" not in (r.target or "") and "wait=" not in (r.target or "")}
    assert not others & {499, 502, 504}  # only the long-polls hit a wall


def test_junk_urls_hit_the_route_cap_and_the_scan_says_so(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    generate(str(path), SAMPLE, seed=5)
    agg, _ = aggregate_logs([str(path)], max_routes=300)
    assert agg.overflow_requests > 0 and len(agg.routes) == 301  # 300 kept and the overflow bucket
    assert "/_matrix/client/v3/sync" in agg.routes and "/v1/health/service/web" in agg.routes


@pytest.mark.skipif(shutil.which("goaccess") is None, reason="GoAccess is not installed")
def test_goaccess_reads_every_line_with_the_documented_format(tmp_path: Path) -> None:
    """The benchmark times GoAccess with this format: it must parse the lines, not reject them quickly."""
    path = tmp_path / "a.log"
    generate(str(path), 2000, seed=5)
    out = tmp_path / "report.json"
    subprocess.run(
        [
            "goaccess",
            str(path),
            "--no-global-config",
            f"--log-format={GOACCESS_LOG_FORMAT}",
            f"--date-format={GOACCESS_DATE_FORMAT}",
            f"--time-format={GOACCESS_TIME_FORMAT}",
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    general = json.loads(out.read_text())["general"]
    assert general["valid_requests"] == 2000 and general["failed_requests"] == 0
