"""Partials and log durations are untrusted numbers: a forged or damaged one is refused, never believed.

Issue 12: ``"max_routes": 0`` in a partial silently hid every finding; ``"lpdoctor_partial": true`` was read as
version 1; raw control characters were stored; list sizes were not checked; and a duration of 1e308 s (in a
log line or a partial) gave "cut at 10000000 s" with the fix ``proxy_read_timeout 11000000s``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lpdoctor.text.durations import MAX_REQUEST_S
from tests.logfactory import kv_line

LPDOCTOR = [sys.executable, "-m", "lpdoctor"]
PREFIX = '198.51.100.7 - - [21/Nov/2026:10:00:{s:02d} +0000] "GET /api/poll?timeout=25&n={i} HTTP/1.1" '


def run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LPDOCTOR, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200", **env},
        cwd=cwd,
        check=False,
    )


def _cut_log(path: Path) -> Path:
    """40 long-polls asking for 25 s: half answered at 25 s, half cut by nginx at 10 s (504)."""
    lines = [kv_line("/api/poll?timeout=25", 504 if i % 2 else 200, 10.0 if i % 2 else 25.0, i=i) for i in range(40)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _partial(tmp_path: Path) -> dict[str, Any]:
    part = tmp_path / "good.json"
    r = run_cli(tmp_path, "scan", str(_cut_log(tmp_path / "access.log")), "--save-partial", str(part))
    assert r.returncode == 0, r.stderr
    data: dict[str, Any] = json.loads(part.read_text())
    return data


def _merge(tmp_path: Path, data: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    part = tmp_path / "forged.json"
    part.write_text(json.dumps(data))
    return run_cli(tmp_path, "merge", str(part), "-f", "json")


def test_a_good_partial_merges_into_the_finding(tmp_path: Path) -> None:
    r = _merge(tmp_path, _partial(tmp_path))
    assert r.returncode == 1, r.stderr
    (f,) = [f for f in json.loads(r.stdout)["findings"] if f["rule"] == "hold-cut"]
    assert f["cutoff_s"] == 10.0


def _set_route_histogram_max(d: dict[str, Any], seconds: float) -> None:
    for h in d["routes"][0]["durations"].values():
        h["max"] = seconds
        h["total"] = seconds * h["count"]


@pytest.mark.parametrize(
    ("forge", "says"),
    [
        (lambda d: d.update(max_routes=0), "max_routes 0"),
        (lambda d: d.update(max_routes=9), "max_routes 9"),
        (lambda d: d.update(lpdoctor_partial=True), "partial format True"),
        (lambda d: d.update(lpdoctor_partial=1.0), "partial format 1.0"),
        (lambda d: d.update(max_routes=10, routes=d["routes"] * 12), "entries where a scan writes at most 11"),
        (lambda d: d["routes"].append(d["routes"][0]), "twice"),
        (lambda d: d["inputs"][0].update(skipped_lines=list(range(1, 12))), "at most 10"),
        (lambda d: d["inputs"][0].update(warnings=["w"] * 1001), "at most 1000"),
        (lambda d: _set_route_histogram_max(d, 1e7), "not a duration a request can have"),
        (lambda d: d["routes"][0]["counters"]["error_timeouts"].update({"1e308": 1}), "not a duration"),
    ],
)
def test_a_forged_partial_is_refused_with_one_line(forge: Any, says: str, tmp_path: Path) -> None:
    data = _partial(tmp_path)
    forge(data)
    r = _merge(tmp_path, data)
    assert r.returncode == 2, (r.returncode, r.stdout[:300])
    assert says in r.stderr and "forged.json" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_partials_store_no_control_character(tmp_path: Path) -> None:
    lines = [
        kv_line(f"/api/p\x1b[2Joll\u202e?timeout=25&x=\x07{i}", 504 if i % 2 else 200, 25.0, i=i, ua="ua")
        for i in range(20)
    ]
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    part = tmp_path / "part.json"
    r = run_cli(tmp_path, "scan", str(log), "--save-partial", str(part))
    assert r.returncode == 0, r.stderr

    def strings(value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for k, v in value.items() for s in (k, *strings(v))]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return []

    stored = strings(json.loads(part.read_text()))
    assert any("\\x1b[2J" in s for s in stored)  # kept, escaped
    assert not any(ch in s for s in stored for ch in "\x1b\x07\u202e")


@pytest.mark.parametrize("fast", ["1", "0"])
def test_an_impossible_duration_in_a_log_is_not_a_cut(fast: str, tmp_path: Path) -> None:
    """nginx-timing lines (the C fast path's format, and the Python one with LPDOCTOR_NO_FAST=1): the 504s
    claim 1e308 s and 1e7 s. They count as requests without a duration: no cut at 10000000 s."""
    lines = []
    for i in range(40):
        s = i % 60
        if i % 2:
            rt = "1e308" if i % 4 == 1 else "10000000.000"
            lines.append(PREFIX.format(s=s, i=i) + f'504 0 "-" "ua" {rt} 9.999 504')
        else:
            lines.append(PREFIX.format(s=s, i=i) + '200 2 "-" "ua" 25.001 25.000 200')
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    env = {"LPDOCTOR_NO_FAST": "1"} if fast == "0" else {}
    r = run_cli(tmp_path, "scan", str(log), "-f", "json", **env)
    assert r.returncode in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    (ep,) = doc["endpoints"]
    assert ep["requests"] == 40 and ep["failures"] == 20  # counted
    assert (ep["cutoff_s"] or 0) < 100  # from the upstream times (9.999 s) at most
    assert ep["observed"]["max_s"] <= MAX_REQUEST_S
    assert "10000000" not in r.stdout and "11000000s" not in r.stdout
