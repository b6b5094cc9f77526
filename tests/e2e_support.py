"""Helpers for the end-to-end tests: run the real ``lpdoctor`` CLI and read its JSON reports.

Every run goes through a subprocess (``python -m lpdoctor``), exactly as a user or CI would run it.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.realworld.clients import PollResult

REPO = Path(__file__).resolve().parents[1]


@dataclass
class CliRun:
    args: list[str]
    returncode: int
    report: dict[str, Any]
    stderr: str

    def findings(self, rule: str | None = None, severity: str | None = None) -> list[dict[str, Any]]:
        return [
            f
            for f in self.report.get("findings", [])
            if (rule is None or f["rule"] == rule) and (severity is None or f["severity"] == severity)
        ]

    def finding(self, rule: str) -> dict[str, Any]:
        found = self.findings(rule)
        assert len(found) == 1, f"expected one {rule} finding from {self.args[0]}, got {self.summary()}"
        return found[0]

    def errors(self) -> list[dict[str, Any]]:
        return self.findings(severity="error")

    def summary(self) -> str:
        """The findings in one line, for assertion messages."""
        return (
            "; ".join(
                f"{f['severity']} {f['rule']} hop={f['hop']} cutoff={f.get('cutoff_s')}"
                for f in self.report.get("findings", [])
            )
            or "no findings"
        )


def lpdoctor(*args: str, timeout_s: float = 120.0, allow: tuple[int, ...] = (0, 1)) -> CliRun:
    """``python -m lpdoctor ARGS -f json``: the parsed report, the exit code and stderr."""
    cmd = [sys.executable, "-m", "lpdoctor", *args, "-f", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=REPO)
    if proc.returncode not in allow:
        raise AssertionError(f"lpdoctor {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"lpdoctor {' '.join(args)} did not print JSON: {proc.stdout[:500]!r}") from exc
    return CliRun(list(args), proc.returncode, report, proc.stderr)


def request_times(access_lines: list[str], status: int) -> list[float]:
    """``rt=`` of the ``kv_timing`` lines with this status: nginx's own measure of each request."""
    out = []
    for line in access_lines:
        if f'" {status} ' in line and " rt=" in line:
            out.append(float(line.split(" rt=", 1)[1].split()[0]))
    return out


def json_request_times(access_lines: list[str], status: int) -> list[float]:
    out = []
    for line in access_lines:
        record = json.loads(line)
        if record["status"] == status:
            out.append(float(record["request_time"]))
    return out


def median(values: list[float]) -> float:
    assert values, "no values"
    return float(statistics.median(values))


def cycle_targets(*targets: str):  # type: ignore[no-untyped-def]
    """A client target function that cycles through ``targets`` (client i starts at targets[i])."""

    def pick(_rng: object, client: int, seq: int, *_rest: object) -> str:
        return targets[(client + seq - 1) % len(targets)]

    return pick


def outcomes(results: list[PollResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        key = str(r.status) if r.status is not None else (r.error or "none")
        counts[key] = counts.get(key, 0) + 1
    return counts


def show(scenario: str, **figures: object) -> None:
    """One line of measured figures per scenario (``pytest -rP`` or ``-s`` shows them)."""
    print(f"[e2e] {scenario}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
