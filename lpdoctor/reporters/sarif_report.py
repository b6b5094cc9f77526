"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

What GitHub needs, and how this reporter meets it (sources: docs.github.com "SARIF support for code
scanning"; github/codeql-action issues #1738 and #2459; microsoft/sarif-sdk #2694 rule GH1001):

- One run; ``tool.driver`` names lpdoctor and lists every documented rule (``rules/checks/*.yaml``), so the
  alert page shows the rule's title, summary and full help.
- Every result has exactly one location with a non-empty ``artifactLocation.uri`` and a ``region.startLine``:
  code scanning rejects the *whole file* ("locationFromSarifResult: expected at least one location") when a
  single result has none.
- A finding configured in a file points at that file and line. A finding that comes from logs only points at
  the log it was read from, line 1 (the finding's own ``evidence.input`` when it names one, else the first
  access log that was understood). A finding with no file at all (a log read from standard input, a live
  probe) cannot be a code-scanning result: it is reported as a tool notification of the invocation instead,
  which GitHub accepts and ignores, and which other SARIF viewers show.
- Paths inside the current directory are relative URIs with ``uriBaseId`` ``%SRCROOT%`` (GitHub resolves them
  against the repository root: run lpdoctor from the checkout). Paths outside it are absolute ``file://``
  URIs, which GitHub keeps but cannot link to a file of the repository.
- ``partialFingerprints`` come from what identifies a problem (rule, file, route, host, hop, config context),
  never from counts, durations or line numbers, so an alert survives re-runs and edits above it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path, PurePosixPath
from typing import Any, TextIO
from urllib.parse import quote

from lpdoctor import __version__
from lpdoctor.catalog import RuleDoc, rule_docs
from lpdoctor.model import Finding, InputSummary, Report, Severity
from lpdoctor.reporters import json_text
from lpdoctor.reporters.sarif_fixes import sarif_fix

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/lpdoctor/"
HELP_URI = INFORMATION_URI + "#rule-{id}"  # the rule's documentation (also `lpdoctor explain RULE`)
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "lpdoctor/v1"

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def level(severity: Severity | str) -> str:
    """SARIF level of an lpdoctor severity: error → error, warning → warning, info → note."""
    return LEVELS[Severity(severity)]


def workspace_relative(path: str | None) -> str | None:
    """``path`` relative to the current directory, with ``/`` separators, or None when it lies outside it
    (or is not a file: ``-`` is standard input)."""
    if not path or path == "-":
        return None
    try:
        here = os.getcwd()
        rel = os.path.relpath(os.path.abspath(path), here)
    except (OSError, ValueError):  # cwd gone; another drive on Windows
        return None
    posix = PurePosixPath(*rel.split(os.sep)).as_posix()
    if posix == ".." or posix.startswith("../") or posix == ".":
        return None
    return posix


def artifact_location(path: str | None) -> dict[str, str] | None:
    """The SARIF ``artifactLocation`` of a file: relative to ``%SRCROOT%`` when possible, else ``file://``."""
    if not path or path == "-":
        return None
    rel = workspace_relative(path)
    if rel is not None:
        return {"uri": quote(rel, safe="/"), "uriBaseId": SRCROOT}
    try:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    except ValueError:
        return None


def _camel(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.replace("_", "-").split("-") if part)


def _help_text(doc: RuleDoc) -> str:
    parts = [
        doc.summary,
        f"What it does:\n{doc.what}",
        f"Why it matters:\n{doc.why}",
        f"Example that fails:\n{doc.example_fail}",
        f"Example that passes:\n{doc.example_pass}",
        f"Fix:\n{doc.fix}",
    ]
    if doc.sources:
        parts.append("Sources:\n" + "\n".join(f"- {s}" for s in doc.sources))
    return "\n\n".join(parts)


def _help_markdown(doc: RuleDoc) -> str:
    parts = [
        doc.summary,
        f"## What it does\n\n{doc.what}",
        f"## Why it matters\n\n{doc.why}",
        f"## Example that fails\n\n```\n{doc.example_fail}\n```",
        f"## Example that passes\n\n```\n{doc.example_pass}\n```",
        f"## Fix\n\n{doc.fix}",
    ]
    if doc.sources:
        parts.append("## Sources\n\n" + "\n".join(f"- {s}" for s in doc.sources))
    return "\n\n".join(parts)


def rule_descriptor(doc: RuleDoc) -> dict[str, Any]:
    """A ``reportingDescriptor`` for one documented rule."""
    return {
        "id": doc.id,
        "name": _camel(doc.id),
        "shortDescription": {"text": doc.title},
        "fullDescription": {"text": doc.summary},
        "help": {"text": _help_text(doc), "markdown": _help_markdown(doc)},
        "helpUri": HELP_URI.format(id=doc.id),
        "defaultConfiguration": {"level": level(doc.severity)},
        "properties": {
            "tags": ["long-poll", "timeout", *doc.applies_to],
            "precision": "medium" if set(doc.applies_to) <= {"scan", "merge"} else "high",
        },
    }


def _undocumented_descriptor(rule_id: str, severity: Severity) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": _camel(rule_id),
        "shortDescription": {"text": rule_id},
        "defaultConfiguration": {"level": level(severity)},
    }


def _log_input_for(f: Finding, inputs: list[InputSummary]) -> str | None:
    """The log a log-only finding came from: the one its evidence names, else the first understood access log."""
    named = f.evidence.get("input") if isinstance(f.evidence, dict) else None
    files = [i for i in inputs if i.path and i.path != "-"]
    if isinstance(named, str):
        for i in files:
            if i.path == named:
                return i.path
    for wanted in (
        lambda i: i.kind == "access" and i.parsed > 0,
        lambda i: i.parsed > 0,
        lambda i: True,
    ):
        for i in files:
            if wanted(i):
                return i.path
    return None


def _where(f: Finding, inputs: list[InputSummary]) -> tuple[str, int, str | None] | None:
    """(file, line, context) the result points at, or None when no file can carry it."""
    if f.location is not None and f.location.file and f.location.file != "-":
        return f.location.file, max(1, f.location.line or 1), f.location.context
    log = _log_input_for(f, inputs)
    if log is None:
        return None
    context = f.location.context if f.location is not None else None
    return log, 1, context


def _message(f: Finding) -> str:
    text = f.message
    if f.fix:
        text += f"\nFix: {f.fix}"
    return text


def _fingerprint(f: Finding, uri: str, context: str | None) -> str:
    key = "\x1f".join([f.rule, uri, f.route or "", f.host or "", f.hop.value, context or ""])
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def precision(f: Finding) -> str:
    """``high`` for what configuration states (a file and line), ``medium`` for what logs or a probe suggest."""
    if f.confidence == "configured" or (f.location is not None and f.location.file is not None and f.location.line):
        return "high"
    return "medium"


def _properties(f: Finding) -> dict[str, Any]:
    props: dict[str, Any] = {"hop": f.hop.value, "precision": precision(f)}
    for name in ("route", "host", "hold_s", "cutoff_s", "configured_s", "confidence"):
        value = getattr(f, name)
        if value is not None:
            props[name] = value
    if f.evidence:
        props["evidence"] = f.evidence
    return props


def sarif_dict(report: Report) -> dict[str, Any]:
    """The SARIF log of ``report`` as plain data (what :func:`render` writes)."""
    docs = rule_docs()
    findings = sorted(report.findings, key=Finding.sort_key) + report.suppressed
    rules = [rule_descriptor(docs[rule_id]) for rule_id in sorted(docs)]
    index = {r["id"]: n for n, r in enumerate(rules)}
    for f in findings:
        if f.rule not in index:
            index[f.rule] = len(rules)
            rules.append(_undocumented_descriptor(f.rule, f.severity))

    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for f in findings:
        where = _where(f, report.inputs)
        artifact = artifact_location(where[0]) if where else None
        if where is None or artifact is None:
            notifications.append(
                {
                    "level": level(f.severity),
                    "message": {"text": _message(f)},
                    "associatedRule": {"id": f.rule, "index": index[f.rule]},
                    "properties": _properties(f),
                }
            )
            continue
        _file, line, context = where
        location: dict[str, Any] = {
            "physicalLocation": {"artifactLocation": artifact, "region": {"startLine": line}},
        }
        if context:
            location["message"] = {"text": context}
        fingerprint = _fingerprint(f, artifact["uri"], context)
        seen[fingerprint] = seen.get(fingerprint, 0) + 1
        if seen[fingerprint] > 1:  # two findings alike in every identifying field: keep both alerts apart
            fingerprint = f"{fingerprint}:{seen[fingerprint]}"
        result: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": level(f.severity),
            "message": {"text": _message(f)},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
            "properties": _properties(f),
        }
        fix = sarif_fix(f, artifact)
        if fix is not None:
            result["fixes"] = [fix]
        if f.suppression is not None:
            result["suppressions"] = [{"kind": f.suppression.kind, "justification": f.suppression.justification}]
        results.append(result)
    for note in report.notes:
        notifications.append({"level": "note", "message": {"text": note}})

    invocation: dict[str, Any] = {"executionSuccessful": True}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "lpdoctor",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"lpdoctor/{report.command}/"},
        "invocations": [invocation],
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render(report: Report, out: TextIO) -> None:
    out.write(json_text.dumps(sarif_dict(report)))
    out.write("\n")
