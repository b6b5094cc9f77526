"""``--format text``: the same report as ``rich``, plain, for pipes, CI logs and ``NO_COLOR``."""

from __future__ import annotations

from typing import TextIO

from lpdoctor.model import Report
from lpdoctor.reporters.chain_view import axis_rows
from lpdoctor.text.durations import fmt_s


def _s(v: float | None) -> str:
    return "-" if v is None else fmt_s(v)


def render(report: Report, out: TextIO) -> None:
    w = out.write
    w(f"lpdoctor {report.command}\n\n")
    if report.inputs:
        w("Inputs\n")
        for i in report.inputs:
            line = f"  {i.path}: {i.format}, {i.parsed}/{i.lines} lines parsed"
            if i.skipped:
                shown = ", ".join(str(n) for n in i.skipped_lines)
                more = "" if i.skipped <= len(i.skipped_lines) else ", …"
                line += f", {i.skipped} skipped (lines {shown}{more})"
            w(line + "\n")
            for warning in i.warnings:
                w(f"    warning: {warning}\n")
        span = report.stats.get("time_range") or {}
        if span.get("summary"):
            w(f"  time range: {span['summary']}\n")
        if span.get("window"):
            w(f"  --since/--until: {span['window']['summary']}\n")
        w("\n")
    long_polls = [e for e in report.endpoints if e.long_poll]
    if report.endpoints:
        w(f"Routes ({len(long_polls)} long-poll of {len(report.endpoints)})\n")
        listed = long_polls + [e for e in report.endpoints if not e.long_poll][: max(0, 10 - len(long_polls))]
        for e in listed:
            if e.requests == 0 and not e.observed:
                source = e.extra.get("hold_source") or e.extra.get("detected_by") or "configuration"
                w(f"  {'LP ' if e.long_poll else '   '}{e.route}  hold={_s(e.hold_s)} (from {source})\n")
                continue
            obs = e.observed or {}
            statuses = e.extra.get("statuses", {})
            fails = ", ".join(f"{k}×{v}" for k, v in statuses.items() if k[:1] in ("4", "5", "-") and k != "404")
            w(
                f"  {'LP ' if e.long_poll else '   '}{e.route}  requests={e.requests}"
                f" hold={_s(e.hold_s)} p50={_s(obs.get('p50_s'))} p95={_s(obs.get('p95_s'))}"
                f" max={_s(obs.get('max_s'))} failures={e.failures}{' (' + fails + ')' if fails else ''}"
                f" cutoff={_s(e.cutoff_s)}\n"
            )
            if e.extra.get("cut_times"):
                w(f"     when: {e.extra['cut_times']['summary']}\n")
        w("\n")
    for chain in report.chains:
        w(f"Chain {chain.route}\n")
        for label, bar, value, first in axis_rows(chain, 40):
            w(f"  {label:<44} {bar} {value}{'  <- cuts first' if first else ''}\n")
        w("\n")
    if report.findings:
        w(f"Findings ({len(report.findings)})\n")
        for f in report.findings:
            where = f" [{f.location}]" if f.location else ""
            w(f"  {f.severity.value.upper()} {f.rule} hop={f.hop.value}{where}\n")
            w(f"    {f.message}\n")
            if f.explanation:
                w(f"    why: {f.explanation}\n")
            if f.fix:
                w(f"    fix: {f.fix}\n")
        w("\n")
    else:
        w("No findings.\n\n")
    for note in report.notes:
        w(f"note: {note}\n")
