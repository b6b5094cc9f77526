"""``--format json``: the stable machine contract (more fields may be added; these are relied on)."""

from __future__ import annotations

from typing import Any, TextIO

from lpdoctor import __version__
from lpdoctor.model import Endpoint, Finding, Report
from lpdoctor.reporters import json_text


def finding_dict(f: Finding) -> dict[str, Any]:
    d: dict[str, Any] = {
        "rule": f.rule,
        "severity": f.severity.value,
        "route": f.route,
        "hop": f.hop.value,
        "hold_s": f.hold_s,
        "cutoff_s": f.cutoff_s,
        "evidence": f.evidence,
        "message": f.message,
        "fix": f.fix,
    }
    if f.host is not None:
        d["host"] = f.host
    if f.location is not None:
        d["file"] = f.location.file
        d["line"] = f.location.line
        d["context"] = f.location.context
    if f.configured_s is not None or f.location is not None:
        d["configured_s"] = f.configured_s
    if f.confidence:
        d["confidence"] = f.confidence
    if f.explanation:
        d["explanation"] = f.explanation
    return d


def endpoint_dict(e: Endpoint) -> dict[str, Any]:
    d: dict[str, Any] = {
        "route": e.route,
        "host": e.host,
        "requests": e.requests,
        "long_poll": e.long_poll,
        "hold_s": e.hold_s,
        "observed": e.observed,
        "failures": e.failures,
        "cutoff_s": e.cutoff_s,
    }
    d.update({k: v for k, v in e.extra.items() if k not in d})
    return d


def report_dict(report: Report) -> dict[str, Any]:
    d: dict[str, Any] = {
        "tool": "lpdoctor",
        "version": __version__,
        "command": report.command,
        "inputs": [i.to_dict() for i in report.inputs],
        "endpoints": [endpoint_dict(e) for e in report.endpoints],
        "findings": [finding_dict(f) for f in report.findings],
    }
    if report.chains:
        from lpdoctor.reporters.chain_view import chain_dict

        d["chains"] = [chain_dict(c) for c in report.chains]
    if report.notes:
        d["notes"] = report.notes
    if report.stats:
        d["stats"] = report.stats
    if report.suppressed:
        d["suppressed"] = [suppressed_dict(f) for f in report.suppressed]
    return d


def suppressed_dict(f: Finding) -> dict[str, Any]:
    """A finding set aside by a comment (``inSource``) or the baseline (``external``), and why."""
    d = finding_dict(f)
    if f.suppression is not None:
        s = f.suppression
        d["suppression"] = {"kind": s.kind, "justification": s.justification}
        if s.location is not None:
            d["suppression"].update({"file": s.location.file, "line": s.location.line})
    return d


def render(report: Report, out: TextIO) -> None:
    # One string, one write (json_text: json.dumps's text, faster).
    out.write(json_text.dumps(report_dict(report)))
    out.write("\n")
