"""What the terminal reports say about findings set aside (inline comments, the baseline)."""

from __future__ import annotations

from lpdoctor.model import Finding, Report


def suppressed_summary(report: Report) -> str | None:
    """``3 findings suppressed (2 by comments, 1 in the baseline); they do not count for --fail-on``, or None."""
    if not report.suppressed:
        return None
    inline = sum(1 for f in report.suppressed if f.suppression is not None and f.suppression.kind == "inSource")
    base = len(report.suppressed) - inline
    parts = []
    if inline:
        parts.append(f"{inline:,} by comment{'s' if inline != 1 else ''}")
    if base:
        parts.append(f"{base:,} in the baseline")
    n = len(report.suppressed)
    return f"{n:,} finding{'s' if n != 1 else ''} suppressed ({', '.join(parts)}); they do not count for --fail-on"


def suppressed_line(f: Finding) -> str:
    """One line for a suppressed finding: rule, where, and the reason."""
    where = f" {f.location.file}:{f.location.line}" if f.location and f.location.file and f.location.line else ""
    route = f" {f.route}" if f.route else ""
    why = ""
    if f.suppression is not None:
        why = f" — {f.suppression.justification}" if f.suppression.justification else " — (no reason given)"
    return f"{f.rule}{route}{where}{why}"
