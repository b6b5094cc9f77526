"""``--format rich``: the terminal report. Input-derived text is always a plain :class:`rich.text.Text`,
never markup, so a ``[bold red]`` in a URL is shown as typed."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..durations import fmt_s
from ..model import Report, Severity
from .chain_view import axis_rows

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "cyan"}


def _s(v: float | None) -> str:
    return "–" if v is None else fmt_s(v)


def _console(out: TextIO) -> Console:
    return Console(file=out, markup=False, highlight=False, emoji=False, soft_wrap=False)


def _histogram(rows: list[tuple[float, int, int]], hold: float | None, cut: float | None) -> Text:
    """One column per time step: successes in green, failures in red, hold and cut marked underneath."""
    blocks = " ▁▂▃▄▅▆▇█"
    peak = max([ok + bad for _, ok, bad in rows] + [1])
    text = Text()
    for _, ok, bad in rows:
        level = 0 if ok + bad == 0 else max(1, round((ok + bad) / peak * 8))
        text.append(blocks[level], style="red" if bad > ok else "green")
    if not rows:
        return text
    step = rows[1][0] - rows[0][0] if len(rows) > 1 else 1.0
    marks = [" "] * len(rows)
    for value, ch in ((hold, "H"), (cut, "✂")):
        if value is not None:
            i = min(len(rows) - 1, int(value // step))
            marks[i] = ch if marks[i] == " " else "✂"
    text.append("\n")
    text.append("".join(marks), style="bold")
    text.append(f"\n0{' ' * max(0, len(rows) - 2 - len(fmt_s(rows[-1][0] + step)))}{fmt_s(rows[-1][0] + step)}")
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

    long_polls = [e for e in report.endpoints if e.long_poll]
    if report.endpoints:
        others = [e for e in report.endpoints if not e.long_poll][: max(0, 8 - len(long_polls))]
        t = Table(
            title=f"Routes — {len(long_polls)} long-poll of {len(report.endpoints)}",
            title_justify="left",
            show_edge=False,
        )
        for col, justify in (
            ("route", "left"),
            ("requests", "right"),
            ("hold", "right"),
            ("p50", "right"),
            ("p95", "right"),
            ("max", "right"),
            ("failures", "left"),
            ("cut-off", "right"),
        ):
            if col == "route":
                t.add_column(col, no_wrap=True, min_width=12, max_width=44, overflow="ellipsis")
            else:
                t.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for e in long_polls + others:
            obs = e.observed or {}
            statuses = e.extra.get("statuses", {})
            fails = ", ".join(f"{k}×{v}" for k, v in statuses.items() if k[:1] in ("5", "-") or k == "499")
            route = Text("⟳ " if e.long_poll else "  ", style="cyan")
            route.append(e.route, style="bold" if e.long_poll else "dim")
            t.add_row(
                route,
                str(e.requests),
                _s(e.hold_s),
                _s(obs.get("p50_s")),
                _s(obs.get("p95_s")),
                _s(obs.get("max_s")),
                Text(fails or "–", style="red" if fails else ""),
                Text(_s(e.cutoff_s), style="bold red" if e.cutoff_s is not None else ""),
            )
        console.print()
        console.print(t)

    for e in long_polls:
        rows = report.histograms.get(e.route)
        if not rows:
            continue
        body = Group(
            _histogram(rows, e.hold_s, e.cutoff_s),
            Text("green: succeeded  red: failed  H: hold  ✂: cut-off", style="dim"),
        )
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
