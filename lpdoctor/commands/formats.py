"""``lpdoctor formats``: every log format ``scan`` reads, with a sample line and how it is recognised."""

from __future__ import annotations

import json

import click

from lpdoctor.logformats.logs import SNIFF_LINES, detect_format
from lpdoctor.logformats.registry import all_formats
from lpdoctor.logformats.samples import SAMPLES


def _also_read_by(name: str, sample: str) -> list[str]:
    """Other formats whose parser reads ``sample`` too (detection prefers the higher priority)."""
    out = []
    for fmt in all_formats():
        if fmt.name == name:
            continue
        try:
            if fmt.parser()(sample, 1, "<sample>") is not None:
                out.append(fmt.name)
        except Exception:  # a parser that raises does not read the line
            continue
    return out


def format_rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    formats = all_formats()
    for fmt in formats:
        sample = SAMPLES.get(fmt.name, "")
        detected = detect_format([sample], formats) if sample else None
        rows.append(
            {
                "name": fmt.name,
                "aliases": list(fmt.aliases),
                "kind": fmt.kind,
                "durations": fmt.has_timing,
                "description": fmt.description,
                "priority": fmt.priority,
                "sample": sample,
                "sample_detected_as": detected.name if detected else None,
                "also_read_by": _also_read_by(fmt.name, sample) if sample else [],
            }
        )
    return rows


@click.command("formats")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def formats_command(as_json: bool) -> None:
    """List the log formats `lpdoctor scan` reads, with a sample line of each and how it is detected.

    Each file's format is detected from its first non-blank lines: every format's parser tries them, the one
    that reads the most wins, and on a tie the richer format (higher priority) does. `scan --input-format NAME`
    skips detection; `scan --log-format '...'` (or --nginx-conf) reads a custom nginx log_format.
    """
    rows = format_rows()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=True))
        return
    click.echo(
        f"Detection: the first {SNIFF_LINES} non-blank lines of each file are tried with every format; the one that\n"
        "reads the most of them wins, the richer one (higher priority) on a tie. Force one with\n"
        "`scan --input-format NAME`; a custom nginx log_format needs --log-format or --nginx-conf.\n"
    )
    for row in rows:
        aliases = f" (also: {', '.join(map(str, row['aliases']))})" if row["aliases"] else ""  # type: ignore[call-overload]
        timing = "durations" if row["durations"] else "no durations"
        click.echo(f"{row['name']}{aliases} — {row['kind']} log, {timing}, priority {row['priority']}")
        click.echo(f"  {row['description']}")
        also = row["also_read_by"]
        if also:
            click.echo(f"  this line is also read by {', '.join(also)}; {row['name']} wins on priority")  # type: ignore[arg-type]
        click.echo(f"  sample: {row['sample']}")
        click.echo()
