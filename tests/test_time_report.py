"""Time in scan reports (issue 17): when cut-offs started and stopped, the inputs' time range, --since/--until,
and the per-route timeline — the same from the fast path, the Python path, pieces on two processes and partials."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lpdoctor.scan.aggregate import ScanAggregate
from lpdoctor.scan.parallel import scan_inputs
from lpdoctor.scan.report import build_report
from lpdoctor.scan.time_buckets import TIMELINE_BUCKETS, Timeline

T0 = datetime(2026, 11, 21, 13, 0, 0, tzinfo=timezone.utc)
CUT_FROM = datetime(2026, 11, 21, 14, 2, 11, tzinfo=timezone.utc)  # the deploy that lowered the timeout
CUT_TO = datetime(2026, 11, 21, 15, 10, 40, tzinfo=timezone.utc)  # the fix
END = datetime(2026, 11, 21, 16, 0, 0, tzinfo=timezone.utc)


def _line(t: datetime, target: str, status: int, rt: float, n: int) -> str:
    ts = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    urt = f"{rt:.3f}" if status != 499 else "-"
    return (
        f'198.51.100.{n % 250 + 1} - - [{ts}] "GET {target} HTTP/1.1" {status} 120 "-" "Element/1.11" '
        f"{rt:.3f} {urt} {status}"
    )


def incident_log(seed: int = 7) -> list[str]:
    """Three hours of Matrix /sync (30 s holds) and ordinary requests, several a second; from CUT_FROM to CUT_TO
    the proxy cuts the holds at 20 s (504), before and after they complete."""
    rng = random.Random(seed)
    lines: list[str] = []
    t = T0
    n = 0
    while t < END:
        n += 1
        if t in (CUT_FROM, CUT_TO):
            lines.append(_line(t, "/_matrix/client/v3/sync?timeout=30000&since=s1", 504, 20.001, n))
        elif rng.random() < 0.5:
            cut = CUT_FROM <= t <= CUT_TO
            if cut and rng.random() < 0.7:
                lines.append(
                    _line(t, "/_matrix/client/v3/sync?timeout=30000&since=s1", 504, 20.0 + rng.random() / 100, n)
                )
            else:
                lines.append(
                    _line(t, "/_matrix/client/v3/sync?timeout=30000&since=s1", 200, 30.0 + rng.random() / 10, n)
                )
        else:
            lines.append(_line(t, f"/_matrix/client/v3/rooms/!r{rng.randrange(40)}:x/messages", 200, 0.02, n))
        if t in (CUT_FROM, CUT_TO):
            t += timedelta(seconds=1)
        else:
            step = timedelta(seconds=rng.choice((0, 0, 1, 1, 2)))
            nxt = t + step
            # land exactly on the first and last cut
            for mark in (CUT_FROM, CUT_TO):
                if t < mark < nxt:
                    nxt = mark
            t = nxt
    return lines


def _scan(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lpdoctor", "scan", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})},
        timeout=300,
    )


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("incident")
    lines = incident_log()
    half = len(lines) // 2
    a, b = d / "a.log", d / "b.log"
    a.write_text("\n".join(lines[:half]) + "\n")
    b.write_text("\n".join(lines[half:]) + "\n")
    return a, b


def test_report_says_when_the_cut_started_and_stopped(logs: tuple[Path, Path]) -> None:
    a, b = logs
    text = _scan(str(a), str(b), "-f", "text")
    assert text.returncode == 1, text.stderr
    assert "cut-offs at 20 s from 2026-11-21 14:02:11 to 15:10:40 UTC" in text.stdout
    assert "none after (the route's requests go on to 2026-11-21 15:59:" in text.stdout
    assert "time range: 2026-11-21 13:00:00 to 15:59:" in text.stdout

    rich = _scan(str(a), str(b), "-f", "rich")
    assert "cut-offs at 20 s from 2026-11-21 14:02:11 to 15:10:40 UTC" in " ".join(rich.stdout.split())

    report = json.loads(_scan(str(a), str(b), "-f", "json").stdout)
    sync = next(e for e in report["endpoints"] if e["route"] == "/_matrix/client/v3/sync")
    cuts = sync["cut_times"]
    assert cuts["first"] == CUT_FROM.timestamp() and cuts["last"] == CUT_TO.timestamp()
    assert cuts["stopped"] is True and cuts["count"] == sync["failures"]
    tl = sync["timeline"]
    assert len(tl["requests"]) <= TIMELINE_BUCKETS and sum(tl["requests"]) == sync["requests"]
    assert sum(tl["failures"]) == sync["failures"]
    # no failure in a bucket wholly before the first cut or after the last
    for i, fails in enumerate(tl["failures"]):
        start = tl["start"] + i * tl["width_s"]
        if start + tl["width_s"] <= CUT_FROM.timestamp() or start > CUT_TO.timestamp():
            assert fails == 0
    assert report["inputs"][0]["first_time"] == T0.timestamp()
    assert report["stats"]["time_range"]["first"] == T0.timestamp()


def test_fast_python_parallel_and_partials_agree(logs: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = logs
    fast = _scan(str(a), str(b), "-f", "json", "--jobs", "1")
    slow = _scan(str(a), str(b), "-f", "json", "--jobs", "1", env={"LPDOCTOR_NO_FAST": "1"})
    assert fast.stdout == slow.stdout and "cut_times" in fast.stdout
    # pieces of each file on two processes
    agg, errors = scan_inputs([str(a), str(b)], jobs=2, pieces=3)
    one, _ = scan_inputs([str(a), str(b)], jobs=1)
    assert not errors
    assert json.dumps(agg.to_dict(), sort_keys=True) == json.dumps(one.to_dict(), sort_keys=True)
    # partials
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    assert _scan(str(a), "--save-partial", str(pa)).returncode == 0
    assert _scan(str(b), "--save-partial", str(pb)).returncode == 0
    merged = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "merge", str(pa), str(pb), "-f", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert json.loads(merged.stdout)["endpoints"] == json.loads(fast.stdout)["endpoints"]


def test_since_until(logs: tuple[Path, Path]) -> None:
    a, b = logs
    after = _scan(str(a), str(b), "-f", "json", "--since", "2026-11-21T15:11:00Z")
    assert after.returncode == 0, after.stderr  # the fix is in: no cut-off left
    report = json.loads(after.stdout)
    assert not [f for f in report["findings"] if f["rule"] == "hold-cut"]
    window = report["stats"]["time_range"]["window"]
    assert window["since"] == datetime(2026, 11, 21, 15, 11, tzinfo=timezone.utc).timestamp()
    assert window["outside"] > 0
    during = _scan(str(a), str(b), "-f", "text", "--since", "21/Nov/2026:14:30:00 +0000", "--until", "2026-11-21 15:00")
    assert re.search(r"cut-offs at 20 s from 2026-11-21 14:30:0\d to 14:59:\d\d UTC", during.stdout), during.stdout
    slow = _scan(
        str(a), str(b), "-f", "text", "--since", "21/Nov/2026:14:30:00 +0000", "--until", "2026-11-21 15:00",
        env={"LPDOCTOR_NO_FAST": "1"},
    )  # fmt: skip
    assert slow.stdout == during.stdout
    # relative to now: these logs are from 2026-11-21, so 2h ago leaves nothing to analyse, and says so
    relative = "2h" if time.time() > END.timestamp() + 7200 else "2026-12-01"  # a clock set before the logs
    empty = _scan(str(a), "-f", "json", "--since", relative)
    assert "every line lies outside the window (the logs run from 2026-11-21 13:00:00 to" in empty.stderr
    assert json.loads(empty.stdout)["stats"]["time_range"]["window"]["outside"] > 0
    bad = _scan(str(a), "--since", "yesterday")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "not a time" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_timeline_stays_bounded_and_merges_in_any_order() -> None:
    rng = random.Random(3)
    times = [1_795_000_000 + rng.random() * 30 * 86400 for _ in range(5000)]  # a month
    whole = Timeline()
    for t in times:
        whole.add(t, "ok")
    assert whole.lo is not None and whole.hi is not None and whole.hi - whole.lo < TIMELINE_BUCKETS
    assert whole.width > 1 and whole.width & (whole.width - 1) == 0
    parts = [Timeline() for _ in range(4)]
    shuffled = times[:]
    rng.shuffle(shuffled)
    for i, t in enumerate(shuffled[:4000]):
        parts[i % 4].add(t, "ok")
    rng.shuffle(parts)
    merged = Timeline()
    for p in parts:
        merged.merge(p)
    for t in shuffled[4000:]:
        merged.add(t, "ok")
    assert merged.to_dict() == whole.to_dict()
    assert Timeline.from_dict(json.loads(json.dumps(whole.to_dict()))).to_dict() == whole.to_dict()


def test_report_without_times_has_no_time_facts(tmp_path: Path) -> None:
    agg = ScanAggregate()
    report = build_report(agg)
    assert "time_range" not in report.stats
