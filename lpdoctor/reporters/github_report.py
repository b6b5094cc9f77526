"""``--format github``: GitHub Actions workflow-command annotations, plus a Markdown job summary.

- One ``::error`` / ``::warning`` / ``::notice`` line per finding, most severe first. A finding configured in a
  file of the workspace carries ``file=`` and ``line=`` so GitHub shows it on that line of the diff; other
  findings (from logs, or from files outside the workspace) are annotations of the run, their place in the
  message.
- GitHub shows at most 10 errors, 10 warnings and 10 notices per step and drops the rest silently
  (actions/toolkit ``docs/problem-matchers.md``); so no more than that are written, and a last ``::notice``
  says how many were left out. That notice counts against the 10 notices, so it takes the tenth place.
- Escaping follows actions/toolkit ``packages/core/src/command.ts``: in a message ``%`` ``\\r`` ``\\n``
  become ``%25`` ``%0D`` ``%0A``; in a property value ``:`` and ``,`` also become ``%3A`` and ``%2C``. Every
  command is therefore one line, whatever an input put into a route or a message.
- When ``$GITHUB_STEP_SUMMARY`` names a file, a Markdown summary (every finding, every route, every chain) is
  appended to it; GitHub renders it on the run's page. Cells are HTML-escaped: input-derived text is never
  markup there either. Nor is it a link or a mention: GFM's autolink extension links ``www.``, ``http://``
  and e-mail addresses while parsing, and GitHub links ``@user`` and ``#1`` afterwards in the HTML's text.
  A backslash or an entity stops the first two but not an address, a mention or a reference
  (github/cmark-gfm#181, github/markup#1168); code spans or an empty HTML comment stop all of them. So an
  empty comment ``<!-- -->`` follows every ``@``, ``#`` and ``:`` and splits ``www.``: GitHub removes it,
  the text reads as typed, and no link or notification comes of it (tests/test_github_summary_links.py
  renders the summary with cmark-gfm, GitHub's parser).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import TextIO

from lpdoctor.catalog import rule_docs
from lpdoctor.model import Finding, Report, Severity
from lpdoctor.reporters.sarif_report import workspace_relative
from lpdoctor.reporters.tally import suppressed_summary
from lpdoctor.text.durations import fmt_s

MAX_PER_KIND = 10  # annotations of one kind GitHub shows per step
SUMMARY_LIMIT = 1_000_000  # bytes; GitHub's step summary limit is 1 MiB
MAX_SUMMARY_FINDINGS = 200
MAX_SUMMARY_ROUTES = 100
MAX_CELL = 600

_MARKDOWN = re.compile(r"[\\`*_\[\]|~]")
# Where an input's text could become a link or a mention: "@user", "#1", "https:", "mailto:", "www."
_LINKABLE = re.compile(r"(?i)[@#:]|(?<![a-z0-9])www(?=\.)")
_BREAK = "<!-- -->"

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (``file``, ``title`` ...)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str | int | None) -> str:
    """One workflow command line: ``::name key=value,key=value::message``."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None and v != "")
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def annotation(f: Finding) -> str:
    """The workflow command for one finding."""
    file: str | None = None
    line: int | None = None
    where = ""
    if f.location is not None:
        rel = workspace_relative(f.location.file) if f.location.file else None
        if rel is not None:
            file, line = rel, max(1, f.location.line or 1)
            if f.location.context:
                where = f" [{f.location.context}]"
        else:
            where = f" [at {f.location}]"
    title = f"lpdoctor {f.rule}" + (f": {f.route}" if f.route else "")
    message = f.message + where
    if f.fix:
        message += f"\nFix: {f.fix}"
    return command(COMMANDS[f.severity], message, file=file, line=line, title=title)


def select(findings: Iterable[Finding]) -> tuple[list[Finding], int]:
    """The findings to annotate, most severe first within GitHub's per-step limits, and how many are left out."""
    ordered = sorted(findings, key=Finding.sort_key)
    by_kind: dict[Severity, list[Finding]] = {s: [f for f in ordered if f.severity is s] for s in Severity}
    shown = by_kind[Severity.ERROR][:MAX_PER_KIND] + by_kind[Severity.WARNING][:MAX_PER_KIND]
    left_out = len(ordered) - len(shown) - len(by_kind[Severity.INFO])
    infos = by_kind[Severity.INFO]
    # the closing "left out" notice counts as a notice: it takes the last place when it will be written
    room = MAX_PER_KIND - 1 if left_out > 0 or len(infos) > MAX_PER_KIND else MAX_PER_KIND
    shown += infos[:room]
    left_out += len(infos) - min(len(infos), room)
    return shown, left_out


def _counts(findings: list[Finding]) -> str:
    n = {s: sum(1 for f in findings if f.severity is s) for s in Severity}

    def plural(k: int, word: str) -> str:
        return f"{k} {word}{'' if k == 1 else 's'}"

    return ", ".join(
        (
            plural(n[Severity.ERROR], "error"),
            plural(n[Severity.WARNING], "warning"),
            plural(n[Severity.INFO], "notice"),
        )
    )


def _cell(text: str | None, limit: int = MAX_CELL) -> str:
    """A Markdown table cell: HTML-escaped, pipes escaped, one line, bounded."""
    if not text:
        return "–"
    if len(text) > limit:
        text = text[:limit] + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN.sub(r"\\\g<0>", text)  # no link, image, emphasis or code span from an input
    text = _LINKABLE.sub(lambda m: m.group(0) + _BREAK, text)  # no autolink, mention or reference either
    return text.replace("\r", " ").replace("\n", "<br>")


def _s(v: float | None) -> str:
    return "–" if v is None else fmt_s(v)


def summary_markdown(report: Report) -> str:
    """The job summary: counts, every finding, the routes and the chains, in Markdown."""
    findings = sorted(report.findings, key=Finding.sort_key)
    docs = rule_docs()
    out: list[str] = [f"## lpdoctor {_cell(report.command)}", ""]
    if report.inputs:
        names = ", ".join(_cell(i.path, 200) for i in report.inputs[:20])
        more = f" and {len(report.inputs) - 20} more" if len(report.inputs) > 20 else ""
        out += [f"Inputs: {names}{more}", ""]
    out += [f"**{len(findings)} finding{'' if len(findings) == 1 else 's'}** ({_counts(findings)})", ""]
    if report.suppressed:
        out += [_cell(suppressed_summary(report)), ""]
    if findings:
        out += ["| Severity | Rule | Route | Where | Message | Fix |", "| --- | --- | --- | --- | --- | --- |"]
        for f in findings[:MAX_SUMMARY_FINDINGS]:
            doc = docs.get(f.rule)
            rule = f"`{f.rule}`" + (f"<br>{_cell(doc.title)}" if doc else "")
            where = _cell(str(f.location)) if f.location else "–"
            out.append(
                f"| {f.severity.value} | {rule} | {_cell(f.route)} | {where} | {_cell(f.message)} | {_cell(f.fix)} |"
            )
        if len(findings) > MAX_SUMMARY_FINDINGS:
            out.append(f"\n{len(findings) - MAX_SUMMARY_FINDINGS} more findings: see the report (`-f json`).")
        out.append("")
    if report.endpoints:
        routes = sorted(report.endpoints, key=lambda e: (not e.long_poll, -e.failures, e.route))
        long_polls = sum(1 for e in routes if e.long_poll)
        out += [
            f"### Routes ({long_polls} long-poll of {len(routes)})",
            "",
            "| Route | Host | Long-poll | Requests | Hold | p95 | Max | Failures | Cut-off |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for e in routes[:MAX_SUMMARY_ROUTES]:
            obs = e.observed or {}
            out.append(
                f"| {_cell(e.route)} | {_cell(e.host)} | {'yes' if e.long_poll else 'no'} | {e.requests} | "
                f"{_s(e.hold_s)} | {_s(obs.get('p95_s'))} | {_s(obs.get('max_s'))} | {e.failures} | "
                f"{_s(e.cutoff_s)} |"
            )
        if len(routes) > MAX_SUMMARY_ROUTES:
            out.append(f"\n{len(routes) - MAX_SUMMARY_ROUTES} more routes: see the report (`-f json`).")
        out.append("")
    if report.chains:
        out += ["### Chains", "", "| Route | Hold | Cuts first | Timeouts |", "| --- | --- | --- | --- |"]
        for c in report.chains[:MAX_SUMMARY_ROUTES]:
            bounded = [(t.value_s, h, t) for h in c.hops for t in h.timeouts if t.value_s is not None]
            first = min(bounded, key=lambda x: x[0]) if bounded else None
            cuts = f"{_cell(first[1].name)} {_cell(first[2].setting)} {fmt_s(first[0])}" if first else "nothing"
            timeouts = "<br>".join(
                f"{_cell(h.name)} {_cell(t.setting)} {_s(t.value_s)} ({t.semantics.value})"
                for h in c.hops
                for t in h.timeouts
            )
            out.append(f"| {_cell(c.route)} | {_s(c.hold.seconds if c.hold else None)} | {cuts} | {timeouts or '–'} |")
        out.append("")
    for note in report.notes:
        out.append(f"> {_cell(note)}")
    text = "\n".join(out).rstrip("\n") + "\n"
    if len(text.encode("utf-8")) > SUMMARY_LIMIT:
        cut = text.encode("utf-8")[: SUMMARY_LIMIT - 200].decode("utf-8", "ignore")
        text = cut[: cut.rfind("\n") + 1] + "\n_The summary was cut at GitHub's 1 MiB limit; see the report._\n"
    return text


def write_step_summary(report: Report, path: str) -> None:
    """Append the Markdown summary to ``path`` (``$GITHUB_STEP_SUMMARY``)."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(summary_markdown(report))
        fh.write("\n")


def render(report: Report, out: TextIO) -> None:
    shown, left_out = select(report.findings)
    for f in shown:
        out.write(annotation(f) + "\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if left_out:
        where = "the job summary" if summary else "the full report (-f json or -f text)"
        out.write(
            command(
                "notice",
                f"{left_out} more finding{'' if left_out == 1 else 's'} not annotated: GitHub shows at most "
                f"{MAX_PER_KIND} errors, {MAX_PER_KIND} warnings and {MAX_PER_KIND} notices per step. "
                f"All {len(report.findings)} are in {where}.",
                title="lpdoctor",
            )
            + "\n"
        )
    if summary:
        try:
            write_step_summary(report, summary)
        except OSError as exc:
            out.write(command("warning", f"cannot write the job summary: {exc.strerror or exc}", title="lpdoctor"))
            out.write("\n")
