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
from lpdoctor.text.durations import fmt_s

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "cyan"}


def _s(v: float | None) -> str:
    return "–" if v is None else fmt_s(v)


def _num(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v * 1000:.0f}ms" if v < 1 else f"{v:.1f}s"


def _console(out: TextIO) -> Console:
    return Console(file=out, markup=False, highlight=False, emoji=False, soft_wrap=False)


def _histogram(rows: list[tuple[float, int, int]], hold: float | None, cut: float | None) -> Text:
    """Two bar rows on one time axis — successes, then failures — with the hold and the cut-off marked."""
    blocks = " ▁▂▃▄▅▆▇█"
    text = Text()
    if not rows:
        return text
    for label, index, style in (("ok  ", 1, "green"), ("fail", 2, "red")):
        peak = max([r[index] for r in rows] + [1])
        text.append(label + " ", style="dim")
        for row in rows:
            n = row[index]
            text.append(blocks[0 if n == 0 else max(1, round(n / peak * 8))], style=style)
        text.append(f"  peak {peak}\n", style="dim")
    step = rows[1][0] - rows[0][0] if len(rows) > 1 else 1.0
    marks = [" "] * len(rows)
    for value, ch in ((hold, "H"), (cut, "✂")):
        if value is not None:
            i = min(len(rows) - 1, int(value // step))
            marks[i] = ch if marks[i] == " " else "✂"
    text.append("     " + "".join(marks) + "\n", style="bold")
    end_label = fmt_s(rows[-1][0] + step)
    text.append("     0" + " " * max(1, len(rows) - 1 - len(end_label)) + end_label, style="dim")
    return text


def render(report: Report, out: TextIO) -> None:
    console = _console(out)
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
            t.add_row(Text(i.path), Text(i.format), Text(f"{i.parsed}/{i.lines}"), skipped)
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
        route_width = max(20, min(48, console.width - 56))
        t.add_column("route", no_wrap=True, min_width=12, max_width=route_width, overflow="ellipsis")
        t.add_column("n", justify="right", no_wrap=True)
        t.add_column("hold", justify="right", no_wrap=True)
        t.add_column("p50/p95/max", justify="right", no_wrap=True)
        t.add_column("failures", no_wrap=True)
        t.add_column("cut-off", justify="right", no_wrap=True)
        for e in long_polls + others:
            obs = e.observed or {}
            statuses = e.extra.get("statuses", {})
            fails = ", ".join(f"{k}×{v}" for k, v in statuses.items() if k[:1] in ("5", "-") or k == "499")
            route = Text("⟳ " if e.long_poll else "  ", style="cyan")
            route.append(e.route, style="bold" if e.long_poll else "dim")
            spread = "/".join(_num(obs.get(k)) for k in ("p50_s", "p95_s", "max_s")) if obs else "–"
            t.add_row(
                route,
                str(e.requests) if (e.requests or e.observed) else "–",
                _s(e.hold_s),
                spread,
                Text(fails or "–", style="red" if fails else ""),
                Text(_s(e.cutoff_s), style="bold red" if e.cutoff_s is not None else ""),
            )
        console.print()
        console.print(t)

    for e in long_polls:
        rows = report.histograms.get(e.route)
        if not rows:
            continue
        lines = [_histogram(rows, e.hold_s, e.cutoff_s), Text("H: requested hold  ✂: cut-off", style="dim")]
        if e.extra.get("cut_times"):
            lines.append(Text(f"when: {e.extra['cut_times']['summary']}", style="bold"))
        body = Group(*lines)
        console.print(Panel(body, title=Text(f"durations of {e.route}"), expand=False))

    for chain in report.chains:
        t = Table(title=Text(f"chain of {chain.route}"), title_justify="left", show_header=False, show_edge=False)
        t.add_column("hop")
        t.add_column("axis")
        t.add_column("value")
        for label, bar, value, first in axis_rows(chain, 40):
            style = "bold red" if first else ("blue" if label == "hold" else "green")
            t.add_row(Text(label), Text(bar, style=style), Text(value + ("  ← cuts first" if first else "")))
        console.print()
        console.print(t)

    console.print()
    if not report.findings:
        console.print(Text("✔ No findings.", style="bold green"))
    for f in report.findings:
        head = Text(f.severity.value.upper(), style=_SEVERITY_STYLE[f.severity])
        head.append(f"  {f.rule}", style="bold")
        head.append(f"  hop: {f.hop.value}")
        if f.location:
            head.append(f"  {f.location}", style="cyan")
        parts: list[Text] = [Text(f.message)]
        if f.explanation:
            parts.append(Text(f.explanation, style="dim"))
        if f.fix:
            fix = Text("fix: ", style="bold green")
            fix.append(f.fix)
            parts.append(fix)
        console.print(Panel(Group(*parts), title=head, title_align="left", border_style=_SEVERITY_STYLE[f.severity]))
    for note in report.notes:
        console.print(Text(f"note: {note}", style="dim"))
