"""``--format gitlab``: GitLab Code Quality JSON (``artifacts: reports: codequality``).

GitLab reads a JSON array of issues, each with ``description``, ``check_name``, ``fingerprint`` (unique per
issue: GitLab compares them between the branch and its target to say what is new), ``severity`` (``info``,
``minor``, ``major``, ``critical`` or ``blocker``), ``location.path`` (relative to the repository root: run
lpdoctor from it) and ``location.lines.begin`` (source: docs.gitlab.com, "Code Quality", section
"Code Quality report format"). Findings set aside by a comment or the baseline are not written.

A finding that comes from logs only points at the log, line 1, as in SARIF; one with no file at all (standard
input, a probe) points at ``-`` line 1, which GitLab lists without a link.
"""

from __future__ import annotations

import hashlib
from typing import Any, TextIO

from lpdoctor.app.baseline import fingerprint as stable_fingerprint
from lpdoctor.model import Finding, Report, Severity
from lpdoctor.reporters import json_text
from lpdoctor.reporters.sarif_report import _where, workspace_relative

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def _description(f: Finding) -> str:
    text = f.message
    if f.fix:
        text += f" Fix: {f.fix}"
    return text


def issues(report: Report) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for f in sorted(report.findings, key=Finding.sort_key):
        where = _where(f, report.inputs)
        path, line = ("-", 1) if where is None else (workspace_relative(where[0]) or where[0], where[1])
        base = hashlib.md5(f"{stable_fingerprint(f)}\x1f{path}".encode(), usedforsecurity=False).hexdigest()
        seen[base] = seen.get(base, 0) + 1
        fp = (
            base if seen[base] == 1 else hashlib.md5(f"{base}:{seen[base]}".encode(), usedforsecurity=False).hexdigest()
        )
        out.append(
            {
                "type": "issue",
                "description": _description(f),
                "check_name": f.rule,
                "fingerprint": fp,
                "severity": SEVERITIES[f.severity],
                "categories": ["Bug Risk"],
                "location": {"path": path, "lines": {"begin": line}},
            }
        )
    return out


def render(report: Report, out: TextIO) -> None:
    out.write(json_text.dumps(issues(report)))
    out.write("\n")
