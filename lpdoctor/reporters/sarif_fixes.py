"""SARIF ``fixes`` for one-line fixes: the directive a finding points at, rewritten as its fix says.

A fix qualifies when it quotes exactly one line of configuration in backticks (`` `proxy_read_timeout 35s;` ``),
the finding points at a file and line, and that line sets the same directive or key (same first word): then
the change replaces that line's setting — from its first non-blank character up to a trailing ``#`` comment,
which is kept — with the quoted line. Anything else (a block to add, a cloud console setting) is prose only.
The configuration file is read, never written; a file that is not a regular file is not opened.
"""

from __future__ import annotations

import os
import re
import stat
from typing import Any

from lpdoctor.model import Finding

_QUOTED = re.compile(r"`([^`\n]+)`")
_WORD = re.compile(r"[A-Za-z0-9_.\-/]+")
MAX_BYTES = 16 << 20


def _line(path: str, number: int) -> str | None:
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None
        with open(path, encoding="utf-8", errors="replace") as fh:
            for n, text in enumerate(fh, start=1):
                if n == number:
                    return text.rstrip("\r\n")
    except (OSError, ValueError):  # ValueError: a NUL or a lone surrogate in the path
        return None
    return None


def _first_word(text: str) -> str | None:
    m = _WORD.match(text.strip().strip("\"'"))
    return m.group(0) if m else None


def one_line_fix(f: Finding) -> tuple[int, int, int, str] | None:
    """``(line, start_column, end_column, new_text)`` (columns 1-based, end exclusive) or None."""
    if not f.fix or f.location is None or not f.location.file or not f.location.line:
        return None
    quoted = _QUOTED.findall(f.fix)
    if len(quoted) != 1:
        return None
    new = quoted[0].strip()
    current = _line(f.location.file, f.location.line)
    if current is None:
        return None
    start = len(current) - len(current.lstrip())
    body = current[start:]
    hash_at = body.find(" #")
    if hash_at >= 0:
        body = body[:hash_at]
    body = body.rstrip()
    if not body or body.startswith("#") or _first_word(body) != _first_word(new) or body == new:
        return None
    return f.location.line, start + 1, start + 1 + len(body), new


def sarif_fix(f: Finding, artifact: dict[str, str]) -> dict[str, Any] | None:
    change = one_line_fix(f)
    if change is None:
        return None
    line, start, end, new = change
    return {
        "description": {"text": f.fix},
        "artifactChanges": [
            {
                "artifactLocation": artifact,
                "replacements": [
                    {
                        "deletedRegion": {"startLine": line, "startColumn": start, "endLine": line, "endColumn": end},
                        "insertedContent": {"text": new},
                    }
                ],
            }
        ],
    }
