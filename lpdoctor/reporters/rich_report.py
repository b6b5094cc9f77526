"""``--format rich``: the terminal report. Input-derived text is always a plain :class:`rich.text.Text`,
never markup, so a ``[bold red]`` in a URL is shown as typed."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from lpdoctor.model import Report, Severity
from lpdoctor.reporters.chain_view import axis_rows
from lpdoctor.reporters.layout import (
    NO_STATUS_NOTE,
    count,
    elide_label,
    elide_middle,
    group_chains,
    group_findings,
    status_counts,
)
from lpdoctor.reporters.tally import suppressed_line, suppressed_summary
from lpdoctor.text.durations import fmt_s

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "cyan"}


def _s(v: float | None) -> str:
    return "–" if v is None else fmt_s(v)


def _num(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v * 1000:.0f}ms" if v < 1 else f"{v:.1f}s"


def _console(out: TextIO, color: bool | None = None) -> Console:
    """``color`` True: colour even into a pipe (``--color always``); False: none (``--color never``)."""
    return Console(
        file=out,
        markup=False,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        force_terminal=True if color else None,
        no_color=True if color is False else None,
    )


def _histogram(rows: list[tuple[float, int, int]], hold: float | None, cut: float | None) -> tuple[Text, set[str]]:
    """Two bar rows on one time axis — successes, then failures — with the hold and the cut-off marked; and the
    marks it drew (the hold's ``H`` is not drawn where the cut-off's ``✂`` falls in the same column)."""
    blocks = " ▁▂▃▄▅▆▇█"
    text = Text()
    if not rows:
        return text, set()
    for label, index, style in (("ok  ", 1, "green"), ("fail", 2, "red")):
        peak = max([r[index] for r in rows] + [1])
        text.append(label + " ", style="dim")
        for row in rows:
            n = row[index]
            text.append(blocks[0 if n == 0 else max(1, round(n / peak * 8))], style=style)
        text.append(f"  peak {count(peak)}\n", style="dim")
    step = rows[1][0] - rows[0][0] if len(rows) > 1 else 1.0
    marks = [" "] * len(rows)
    for value, ch in ((hold, "H"), (cut, "✂")):
        if value is not None:
            i = min(len(rows) - 1, int(value // step))
            marks[i] = ch if marks[i] == " " else "✂"
    text.append("     " + "".join(marks) + "\n", style="bold")
    end_label = fmt_s(rows[-1][0] + step)
    text.append("     0" + " " * max(1, len(rows) - 1 - len(end_label)) + end_label, style="dim")
    return text, {m for m in marks if m != " "}


def render(report: Report, out: TextIO, color: bool | None = None) -> None:
    console = _console(out, color)
    title = Text("lpdoctor ", style="bold")
    title.append(report.command, style="bold cyan")
    console.print(title)

    if report.inputs:
        t = Table(title="Inputs", title_justify="left", expand=False, show_edge=False)
        for col in ("input", "format", "parsed", "skipped"):
            t.add_column(col)
        for i in report.inputs:
            skipped = Text(str(i.skipped), style="yellow" if i.skipped else "")
            if i.skipped:
                more = "" if i.skipped <= len(i.skipped_lines) else ", …"
                skipped.append(f" (lines {', '.join(map(str, i.skipped_lines))}{more})")
            t.add_row(Text(i.path), Text(i.format), Text(f"{count(i.parsed)}/{count(i.lines)}"), skipped)
        console.print(t)
        for i in report.inputs:
            for warning in i.warnings:
                console.print(Text(f"  ⚠ {i.path}: {warning}", style="yellow"))
        span = report.stats.get("time_range") or {}
        if span.get("summary"):
            console.print(Text(f"  time range: {span['summary']}", style="dim"))
        if span.get("window"):
            console.print(Text(f"  --since/--until: {span['window']['summary']}", style="dim"))

    long_polls = [e for e in report.endpoints if e.long_poll]
    if report.endpoints:
        others = [e for e in report.endpoints if not e.long_poll][: max(0, 8 - len(long_polls))]
        t = Table(
            title=f"Routes — {len(long_polls)} long-poll of {len(report.endpoints)}",
            title_justify="left",
            show_edge=False,
            padding=(0, 1),
        )
        listed = long_polls + others
        # the route column gets what the other columns leave, so that rich never cuts a route at its end
        others_w = sum(
            max(len(head), *(len(x) for x in col))
            for head, col in (
                ("n", [count(e.requests) for e in listed]),
                ("hold", [_s(e.hold_s) for e in listed]),
                (
                    "p50/p95/max",
                    ["/".join(_num((e.observed or {}).get(k)) for k in ("p50_s", "p95_s", "max_s")) for e in listed],
                ),
                ("failures", [status_counts(e.extra.get("statuses", {}))[0] or "–" for e in listed]),
                ("cut-off", [_s(e.cutoff_s) for e in listed]),
            )
        )
        route_width = max(20, min(48, console.width - others_w - 3 * 5 - 2))
        t.add_column("route", no_wrap=True, min_width=12, max_width=route_width, overflow="ellipsis")
        t.add_column("n", justify="right", no_wrap=True)
        t.add_column("hold", justify="right", no_wrap=True)
        t.add_column("p50/p95/max", justify="right", no_wrap=True)
        t.add_column("failures", no_wrap=True)
        t.add_column("cut-off", justify="right", no_wrap=True)
        no_status = False
        for e in long_polls + others:
            obs = e.observed or {}
            fails, dash = status_counts(e.extra.get("statuses", {}))
            no_status = no_status or dash
            route = Text("⟳ " if e.long_poll else "  ", style="cyan")
            route.append(elide_middle(e.route, route_width - 2), style="bold" if e.long_poll else "dim")
            spread = "/".join(_num(obs.get(k)) for k in ("p50_s", "p95_s", "max_s")) if obs else "–"
            t.add_row(
                route,
                count(e.requests) if (e.requests or e.observed) else "–",
                _s(e.hold_s),
                spread,
                Text(fails or "–", style="red" if fails else ""),
                Text(_s(e.cutoff_s), style="bold red" if e.cutoff_s is not None else ""),
            )
        console.print()
        console.print(t)
        if no_status:
            console.print(Text(f"  {NO_STATUS_NOTE}", style="dim"))

    for e in long_polls:
        rows = report.histograms.get(e.route)
        if not rows:
            continue
        histogram, drawn = _histogram(rows, e.hold_s, e.cutoff_s)
        legend = "  ".join(text for mark, text in (("H", "H: requested hold"), ("✂", "✂: cut-off")) if mark in drawn)
        parts = [histogram, Text(legend, style="dim")] if legend else [histogram]
        if e.extra.get("cut_times"):
            parts.append(Text(f"when: {e.extra['cut_times']['summary']}", style="bold"))
        body = Group(*parts)
        title = Text(f"durations of {elide_middle(e.route, max(20, console.width - 20))}")
        console.print(Panel(body, title=title, expand=False))

    for chain_group in group_chains(report.chains):
        chain = chain_group.chain
        title = Text(f"chain of {chain.route}")
        if len(chain_group.routes) > 1:
            title.append(f" (the same for {', '.join(chain_group.routes[1:])})", style="dim")
        t = Table(title=title, title_justify="left", show_header=False, show_edge=False)
        t.add_column("hop")
        t.add_column("axis")
        t.add_column("value")
        for label, bar, value, first in axis_rows(chain, max(10, min(40, console.width - 66))):
            style = "bold red" if first else ("blue" if label == "hold" else "green")
            t.add_row(
                Text(elide_label(label, 36)), Text(bar, style=style), Text(value + ("  ← cuts first" if first else ""))
            )
        console.print()
        console.print(t)

    console.print()
    if not report.findings:
        console.print(Text("✔ No findings.", style="bold green"))
    for group in group_findings(report.findings):
        f = group.finding
        head = Text(f.severity.value.upper(), style=_SEVERITY_STYLE[f.severity])
        head.append(f"  {f.rule}", style="bold")
        head.append(f"  hop: {f.hop.value}")
        if len(group.routes) > 1:
            head.append(f"  {len(group.routes)} routes")
        panel_lines: list[Text] = []
        if f.location:
            panel_lines.append(Text(f"at {f.location}", style="cyan"))
        if len(group.routes) > 1:
            panel_lines.append(Text("routes: " + ", ".join(group.routes), style="bold"))
        panel_lines.append(Text(f.message))
        if f.explanation:
            panel_lines.append(Text(f.explanation, style="dim"))
        console.print(
            Panel(Group(*panel_lines), title=head, title_align="left", border_style=_SEVERITY_STYLE[f.severity])
        )
        if f.fix:  # under the box, on one line that is never wrapped: it is copied as it is
            fix = Text("  fix: ", style="bold green")
            fix.append(f.fix)
            console.print(fix, soft_wrap=True)
    summary = suppressed_summary(report)
    if summary:
        console.print(Text(f"Suppressed: {summary}", style="dim"))
        for f in report.suppressed[:20]:
            console.print(Text(f"  {suppressed_line(f)}", style="dim"))
    for note in report.notes:
        console.print(Text(f"note: {note}", style="dim"))
