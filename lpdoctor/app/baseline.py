"""The baseline: findings accepted as they are, by fingerprint, so that CI fails only on new ones.

``--update-baseline FILE`` writes every current finding; ``--baseline FILE`` sets aside the findings whose
fingerprint is in it. A fingerprint comes from what names a problem — the rule, the file (relative to the
working directory, ``/`` separators), the setting or directive, the configuration context (``server x >
location /``), the route and the host — never from a line number, a count or a duration, so it survives edits
elsewhere in the file and changes of traffic. The file is JSON with sorted keys and entries, one entry per
fingerprint, so that a diff of it reads well in review.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import PurePosixPath
from typing import Any

from lpdoctor.model import Finding, Report, Suppression

BASELINE_VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used; ``str()`` is the one line shown."""


def _relative(path: str | None) -> str:
    if not path or path == "-":
        return ""
    try:
        rel = os.path.relpath(os.path.abspath(path))
    except (OSError, ValueError):
        return path
    if rel == ".." or rel.startswith(".." + os.sep):
        return os.path.abspath(path)
    return PurePosixPath(*rel.split(os.sep)).as_posix()


def identity(f: Finding) -> dict[str, str]:
    """What a fingerprint is made of, as readable fields."""
    setting = f.evidence.get("setting") if isinstance(f.evidence, dict) else None
    if not isinstance(setting, str):
        setting = ""
    log = f.evidence.get("input") if isinstance(f.evidence, dict) else None
    file = f.location.file if f.location is not None and f.location.file else (log if isinstance(log, str) else "")
    return {
        "rule": f.rule,
        "file": _relative(file),
        "setting": setting,
        "context": (f.location.context or "") if f.location is not None else "",
        "route": f.route or "",
        "host": f.host or "",
    }


def fingerprint(f: Finding) -> str:
    ident = identity(f)
    key = "\x1f".join(ident[k] for k in ("rule", "file", "setting", "context", "route", "host"))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def baseline_text(findings: list[Finding]) -> str:
    """The baseline file for ``findings``: stable (sorted, no line numbers) so a re-run writes the same bytes."""
    entries: dict[str, dict[str, str]] = {}
    for f in findings:
        entries[fingerprint(f)] = {"fingerprint": fingerprint(f), **{k: v for k, v in identity(f).items() if v}}
    data = {
        "tool": "lpdoctor",
        "version": BASELINE_VERSION,
        "findings": sorted(entries.values(), key=lambda e: (e["rule"], e.get("file", ""), e["fingerprint"])),
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def load_baseline(path: str) -> set[str]:
    """The fingerprints in a baseline file."""
    try:
        if not os.path.isfile(path) and os.path.exists(path):  # never open a FIFO: it could block
            raise BaselineError(f"--baseline {path}: not a regular file")
        with open(path, encoding="utf-8") as fh:
            data: Any = json.loads(fh.read(64 << 20))
    except FileNotFoundError:
        raise BaselineError(f"--baseline {path}: no such file (write one with --update-baseline {path})") from None
    except OSError as exc:
        raise BaselineError(f"--baseline {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"--baseline {path}: not lpdoctor's baseline JSON ({exc})") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("tool") != "lpdoctor" or not isinstance(entries, list):
        raise BaselineError(f"--baseline {path}: not lpdoctor's baseline JSON (no 'findings' list)")
    return {e["fingerprint"] for e in entries if isinstance(e, dict) and isinstance(e.get("fingerprint"), str)}


def apply_baseline(report: Report, findings: list[Finding], known: set[str]) -> list[Finding]:
    """The findings not in the baseline; the others go to ``report.suppressed``."""
    kept: list[Finding] = []
    for f in findings:
        if fingerprint(f) in known:
            f.suppression = Suppression("external", "in the baseline")
            report.suppressed.append(f)
        else:
            kept.append(f)
    return kept
