"""``--format text``: the same report as ``rich``, plain, for pipes, CI logs and ``NO_COLOR``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from lpdoctor.model import Report
from lpdoctor.reporters.chain_view import axis_rows
from lpdoctor.reporters.layout import (
    NO_STATUS_NOTE,
    WIDTH,
    FindingGroup,
    count,
    elide_label,
    elide_middle,
    group_chains,
    group_findings,
    status_counts,
    wrap,
)
from lpdoctor.reporters.tally import suppressed_line, suppressed_summary
from lpdoctor.text.durations import fmt_s


def _s(v: float | None) -> str:
    return "-" if v is None else fmt_s(v)


def _fit(left: str, right: str, width: int = WIDTH) -> list[str]:
    """``left right`` on one line when it fits in ``width``, else ``right`` on the next line under ``left``."""
    if len(left) + 1 + len(right) <= width or not right:
        return [f"{left} {right}".rstrip()]
    return [left.rstrip(), " " * (len(left) - len(left.lstrip()) + 4) + right]


def _route_rows(report: Report, w: Callable[[str], object]) -> None:
    long_polls = [e for e in report.endpoints if e.long_poll]
    w(f"Routes ({count(len(long_polls))} long-poll of {count(len(report.endpoints))})\n")
    listed = long_polls + [e for e in report.endpoints if not e.long_poll][: max(0, 10 - len(long_polls))]
    configured = [e for e in listed if e.requests == 0 and not e.observed]
    measured = [e for e in listed if not (e.requests == 0 and not e.observed)]
    for e in configured:
        source = e.extra.get("hold_source") or e.extra.get("detected_by") or "configuration"
        lp = "LP " if e.long_poll else "   "
        for line in _fit(f"  {lp}{elide_middle(e.route, WIDTH - 30)}", f"hold={_s(e.hold_s)} (from {source})"):
            w(line + "\n")
    if measured:
        route_w = WIDTH - 2 - 3 - (8 + 6 + 6 + 6 + 6 + 7) - 6
        w(f"  {'':3}{'route':<{route_w}} {'requests':>8} {'hold':>6} {'p50':>6} {'p95':>6} {'max':>6} {'cut-off':>7}\n")
    no_status = False
    for e in measured:
        obs = e.observed or {}
        lp = "LP " if e.long_poll else "   "
        w(
            f"  {lp}{elide_middle(e.route, route_w):<{route_w}} {count(e.requests):>8} {_s(e.hold_s):>6}"
            f" {_s(obs.get('p50_s')):>6} {_s(obs.get('p95_s')):>6} {_s(obs.get('max_s')):>6} {_s(e.cutoff_s):>7}\n"
        )
        if e.failures:
            statuses = e.extra.get("statuses", {})
            failing = [k for k in statuses if k[:1] in ("4", "5", "-") and k != "404"]
            fails, dash = status_counts(statuses, failing)
            no_status = no_status or dash
            w(f"       failures: {count(e.failures)}{' (' + fails + ')' if fails else ''}\n")
        if e.extra.get("cut_times"):
            for wrapped in wrap(f"when: {e.extra['cut_times']['summary']}", "             ", first="       "):
                w(wrapped + "\n")
    if no_status:
        w(f"  ({NO_STATUS_NOTE})\n")
    w("\n")


def _finding_lines(group: FindingGroup) -> list[str]:
    f = group.finding
    head = f"  {f.severity.value.upper()} {f.rule} hop={f.hop.value}"
    if len(group.routes) > 1:
        head += f" ({len(group.routes)} routes)"
    lines = [head]
    if f.location:
        lines.extend(wrap(str(f.location), "      ", first="    at "))
    if len(group.routes) > 1:
        lines.extend(wrap(", ".join(group.routes), "      ", first="    routes: "))
    lines.extend(wrap(f.message, "    "))
    if f.explanation:
        lines.extend(wrap(f.explanation, "      ", first="    why: "))
    if f.fix:
        lines.append(f"    fix: {f.fix}")  # one line, never wrapped: it is copied as it is
    return lines


def render(report: Report, out: TextIO) -> None:
    w = out.write
    w(f"lpdoctor {report.command}\n\n")
    if report.inputs:
        w("Inputs\n")
        for i in report.inputs:
            line = f"  {i.path}: {i.format}, {count(i.parsed)}/{count(i.lines)} lines parsed"
            if i.skipped:
                shown = ", ".join(str(n) for n in i.skipped_lines)
                more = "" if i.skipped <= len(i.skipped_lines) else ", …"
                line += f", {count(i.skipped)} skipped (lines {shown}{more})"
            w(line + "\n")
            for warning in i.warnings:
                for wrapped in wrap(warning, "      ", first="    warning: "):
                    w(wrapped + "\n")
        span = report.stats.get("time_range") or {}
        if span.get("summary"):
            w(f"  time range: {span['summary']}\n")
        if span.get("window"):
            w(f"  --since/--until: {span['window']['summary']}\n")
        w("\n")
    if report.endpoints:
        _route_rows(report, w)
    for chain_group in group_chains(report.chains):
        chain = chain_group.chain
        w(f"Chain {chain.route}\n")
        if len(chain_group.routes) > 1:
            for line in wrap(", ".join(chain_group.routes[1:]), "    ", first="  the same for: "):
                w(line + "\n")
        label_w = 35  # one row per timer, whatever the width: the bars share one axis
        for label, bar, value, first in axis_rows(chain, 8):
            w(f"  {elide_label(label, label_w):<{label_w}} {bar:<9} {value}{'  <- cuts first' if first else ''}\n")
        w("\n")
    if report.findings:
        groups = group_findings(report.findings)
        w(f"Findings ({count(len(report.findings))})\n")
        for group in groups:
            for line in _finding_lines(group):
                w(line + "\n")
        w("\n")
    else:
        w("No findings.\n\n")
    summary = suppressed_summary(report)
    if summary:
        w(f"Suppressed: {summary}\n")
        for f in report.suppressed[:20]:
            w(f"  {suppressed_line(f)}\n")
        if len(report.suppressed) > 20:
            w(f"  … and {len(report.suppressed) - 20:,} more (-f json lists them all)\n")
        w("\n")
    for note in report.notes:
        w(f"note: {note}\n")
