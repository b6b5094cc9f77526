"""A rule's examples: complete inputs and the command line that reads them, written once in its rule file.

``rules/checks/<id>.yaml`` holds them under ``examples``::

    examples:
      fail:                                   # at least one: each must give a finding of this rule
        - note: One line saying what is wrong.        # optional
          args: [check-config, nginx.conf]            # the lpdoctor command line, without --format
          severity: warning                           # optional: the severity expected (default: the rule's)
          files:                                      # file name -> content, written before the run
            nginx.conf: |
              ...
      pass:                                   # at least one: must give no finding of this rule
        - args: [check-config, nginx.conf]
          files: {nginx.conf: "..."}

``lpdoctor explain`` shows them and ``tests/checks/test_rule_examples.py`` runs every one through the real CLI.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

KINDS = ("fail", "pass")
SEVERITIES = ("error", "warning", "info")
_CASE_KEYS = {"note", "args", "severity", "files"}


@dataclass(frozen=True)
class RuleExample:
    """One example case of a rule: files to write, the command line to run on them, what it must find."""

    kind: str  # "fail" | "pass"
    args: tuple[str, ...]
    files: tuple[tuple[str, str], ...]  # (relative name, content), in the order written
    note: str = ""
    severity: str | None = None  # the severity a "fail" case expects; None: the rule's own

    @property
    def command(self) -> str:
        """The command line as a user types it (arguments with spaces or quotes are quoted)."""
        return " ".join(["lpdoctor", *(_quote(a) for a in self.args)])

    def as_text(self) -> str:
        """Plain text: the note, the command, then each file after a ``--- name`` line."""
        parts = [self.note] if self.note else []
        parts.append(f"$ {self.command}")
        for name, content in self.files:
            parts.append(f"--- {name}\n{content.rstrip()}")
        return "\n".join(parts)


def _quote(arg: str) -> str:
    if arg and all(c.isalnum() or c in "-_./=:,@%+" for c in arg):
        return arg
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def _safe_name(name: object) -> bool:
    if not isinstance(name, str) or not name or name.startswith("/") or "\\" in name:
        return False
    norm = posixpath.normpath(name)
    return norm == name and not norm.startswith("..") and norm != "."


def _case(kind: str, index: int, data: Any) -> RuleExample:
    where = f"examples.{kind}[{index}]"
    if not isinstance(data, dict):
        raise ValueError(f"{where} is not a mapping")
    unknown = sorted(set(data) - _CASE_KEYS)
    if unknown:
        raise ValueError(f"{where} has unknown keys {unknown} (known: {sorted(_CASE_KEYS)})")
    args = data.get("args")
    if not isinstance(args, list) or not args or not all(isinstance(a, str) and a for a in args):
        raise ValueError(f"{where}.args must be a non-empty list of strings (the command first)")
    if any(a in ("-f", "--format", "-o", "--output") or a.startswith("--format=") for a in args):
        raise ValueError(f"{where}.args must not choose the output (--format, --output): the runner does")
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        raise ValueError(f"{where}.files must map file names to their content")
    for name, content in files.items():
        if not _safe_name(name):
            raise ValueError(f"{where}.files: {name!r} is not a plain relative file name")
        if not isinstance(content, str):
            raise ValueError(f"{where}.files[{name!r}] must be text")
    severity = data.get("severity")
    if severity is not None and (kind != "fail" or severity not in SEVERITIES):
        raise ValueError(f"{where}.severity: only a fail case names one, among {list(SEVERITIES)}")
    note = data.get("note") or ""
    if not isinstance(note, str):
        raise ValueError(f"{where}.note must be text")
    return RuleExample(
        kind=kind,
        args=tuple(args),
        files=tuple((str(n), c) for n, c in files.items()),
        note=" ".join(note.split()),
        severity=severity,
    )


def parse_examples(data: Any, require: bool = True) -> tuple[RuleExample, ...]:
    """The ``examples`` mapping of a rule file; ValueError says what is wrong with it.

    ``require=False`` accepts a rule with no example of a kind (what the catalog does, so a rule file being
    written still loads; the tests then say which examples it lacks), never a malformed one.
    """
    if data is None and not require:
        return ()
    if not isinstance(data, dict):
        raise ValueError("examples must be a mapping with 'fail' and 'pass' lists")
    unknown = sorted(set(data) - set(KINDS))
    if unknown:
        raise ValueError(f"examples has unknown keys {unknown} (known: fail, pass)")
    out: list[RuleExample] = []
    for kind in KINDS:
        cases = data.get(kind)
        if cases is None and not require:
            continue
        if not isinstance(cases, list) or (require and not cases):
            raise ValueError(f"examples.{kind} must list at least one case")
        out.extend(_case(kind, i, c) for i, c in enumerate(cases))
    return tuple(out)


def examples_text(examples: tuple[RuleExample, ...], kind: str) -> str:
    """Every example of one kind as plain text, separated by a blank line."""
    return "\n\n".join(e.as_text() for e in examples if e.kind == kind)
