"""What counts in a report: rule selection, severity overrides, inline suppressions and the baseline.

Applied to a finished report, in this order: ``select``/``ignore`` drop findings of rules not wanted at all;
``severity`` changes a rule's severity; ``# lpdoctor: ignore[...]`` comments and the baseline set findings
aside (``Report.suppressed``), where they no longer count for ``--fail-on`` but are still reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lpdoctor.app.baseline import apply_baseline, baseline_text, fingerprint, load_baseline
from lpdoctor.app.suppress import apply_suppressions
from lpdoctor.model import Finding, Report, Severity


@dataclass(slots=True)
class Policy:
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    baseline: str | None = None
    update_baseline: str | None = None


def matches(rule: str, patterns: list[str]) -> bool:
    """A rule id matches a pattern equal to it or a prefix of it (``timeout-`` matches ``timeout-order``)."""
    return any(rule == p or rule.startswith(p) for p in patterns)


def selected(rule: str, policy: Policy) -> bool:
    if policy.select and not matches(rule, policy.select):
        return False
    return not matches(rule, policy.ignore)


def _overridden(f: Finding, policy: Policy) -> Finding:
    level = policy.severity.get(f.rule)
    if level is None:
        longest = max((p for p in policy.severity if f.rule.startswith(p)), key=len, default=None)
        level = policy.severity[longest] if longest is not None else None
    if level is not None:
        f.severity = Severity(level)
    return f


def apply_policy(report: Report, policy: Policy) -> str | None:
    """Apply ``policy`` to ``report`` in place; the text of the new baseline when one is to be written."""
    keys = [f.sort_key() for f in report.findings]
    was_sorted = keys == sorted(keys)
    findings = [_overridden(f, policy) for f in report.findings if selected(f.rule, policy)]
    findings = [f for f in apply_suppressions(report, findings) if selected(f.rule, policy)]
    findings = [_overridden(f, policy) for f in findings]
    new_baseline = None
    known: set[str] = set()
    if policy.update_baseline:
        new_baseline = baseline_text(findings)
        known = {fingerprint(f) for f in findings}
    elif policy.baseline:
        known = load_baseline(policy.baseline)
    if known:
        findings = apply_baseline(report, findings, known)
    if was_sorted:  # keep the report's order (severity first) after overrides and added warnings
        findings.sort(key=Finding.sort_key)
    report.findings = findings
    report.suppressed.sort(key=Finding.sort_key)
    return new_baseline
