"""Inline suppressions: ``# lpdoctor: ignore[RULE-ID,...] -- reason`` in a configuration file.

The comment silences the named rules on the line it sits on, or, alone on its line, on the line just below it.
It works in every configuration kind whose comments start with ``#``: nginx, HAProxy, Apache (a comment line
only: Apache allows no comment after a directive), the Caddyfile, YAML (Traefik, Kubernetes, compose files,
chain files) and TOML. Suppressed findings are set aside on the report (``Report.suppressed``) with the reason;
a comment without a reason, or naming a rule nothing matched there, becomes an ``unused-suppression`` warning.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field

from lpdoctor.model import Finding, HopKind, Report, Severity, SourceLocation, Suppression

RULE_ID = "unused-suppression"
MAX_FILE_BYTES = 16 << 20  # a config file larger than this is not looked into for comments

_DIRECTIVE = re.compile(r"#\s*lpdoctor:\s*ignore\[(?P<rules>[^\]]*)\](?P<rest>.*)$")
_REASON = re.compile(r"^\s*--\s*(?P<reason>.*?)\s*$")


@dataclass(slots=True)
class Directive:
    """One suppression comment."""

    file: str
    line: int
    rules: tuple[str, ...]
    reason: str
    alone: bool  # the comment is the whole line: it covers the next line too
    used: set[str] = field(default_factory=set)


def parse_line(text: str) -> tuple[tuple[str, ...], str, bool] | None:
    """``(rules, reason, alone)`` of a line carrying a suppression comment, else None."""
    m = _DIRECTIVE.search(text)
    if m is None:
        return None
    rules = tuple(r.strip() for r in m.group("rules").split(",") if r.strip())
    reason_m = _REASON.match(m.group("rest"))
    reason = reason_m.group("reason") if reason_m else ""
    alone = not text[: m.start()].strip()
    return rules, reason, alone


def _read_lines(path: str) -> list[str]:
    """The lines of a regular file, or nothing (a FIFO, a device or an unreadable file is never opened)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            return []
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except (OSError, ValueError):  # ValueError: a NUL or a lone surrogate in the path
        return []


class Suppressions:
    """Every suppression comment of a set of files, read once each."""

    def __init__(self) -> None:
        self._by_file: dict[str, dict[int, Directive]] = {}

    def directives(self, path: str) -> dict[int, Directive]:
        found = self._by_file.get(path)
        if found is None:
            found = {}
            if "lpdoctor" in "".join(lines := _read_lines(path)):
                for n, text in enumerate(lines, start=1):
                    parsed = parse_line(text)
                    if parsed is not None:
                        rules, reason, alone = parsed
                        found[n] = Directive(path, n, rules, reason, alone)
            self._by_file[path] = found
        return found

    def match(self, f: Finding) -> Directive | None:
        """The comment that silences ``f`` (on its line, or alone on the line above), if any."""
        if f.location is None or not f.location.file or f.location.file == "-" or not f.location.line:
            return None
        found = self.directives(f.location.file)
        for line in (f.location.line, f.location.line - 1):
            d = found.get(line)
            if d is None or (line != f.location.line and not d.alone):
                continue
            for rule in d.rules:
                if rule == f.rule:
                    d.used.add(rule)
                    return d
        return None

    def all(self) -> list[Directive]:
        return [d for found in self._by_file.values() for d in found.values()]


def unused_findings(directives: list[Directive]) -> list[Finding]:
    """One ``unused-suppression`` warning per comment without a reason and per rule a comment names in vain."""
    out: list[Finding] = []
    for d in sorted(directives, key=lambda d: (d.file, d.line)):
        where = SourceLocation(d.file, d.line)
        problems = []
        if not d.rules:
            problems.append("it names no rule")
        unused = [r for r in d.rules if r not in d.used]
        if unused:
            problems.append(f"nothing here matches {', '.join(unused)}")
        if not d.reason:
            problems.append("it gives no reason (write `-- why` after the bracket)")
        if not problems:
            continue
        out.append(
            Finding(
                rule=RULE_ID,
                severity=Severity.WARNING,
                message=f"lpdoctor: ignore comment at {d.file}:{d.line}: {'; '.join(problems)}.",
                hop=HopKind.UNKNOWN,
                location=where,
                fix="remove the comment, or name the rule reported on this line or the next and say why after `--`",
                evidence={"rules": list(d.rules), "unused": unused, "reason": d.reason},
                confidence="configured",
            )
        )
    return out


def apply_suppressions(report: Report, findings: list[Finding]) -> list[Finding]:
    """The findings no comment silences; the others go to ``report.suppressed``. Comments that silence nothing,
    or give no reason, come back as ``unused-suppression`` findings among the kept ones."""
    sup = Suppressions()
    for path in report.config_files:
        sup.directives(path)
    kept: list[Finding] = []
    for f in findings:
        d = sup.match(f)
        if d is None:
            kept.append(f)
            continue
        f.suppression = Suppression("inSource", d.reason, SourceLocation(d.file, d.line))
        report.suppressed.append(f)
    kept.extend(unused_findings(sup.all()))
    return kept
