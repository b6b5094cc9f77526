"""``lpdoctor merge PARTIAL...``: one report from the partial aggregates ``scan --save-partial`` wrote.

Scan shards of the logs anywhere (xargs, a Kubernetes Job, Spark), bring the small JSON partials together and
merge them: the report is the one a single ``lpdoctor scan`` of all the logs gives, when the partials are given
in the order the logs would have been.
"""

from __future__ import annotations

import json
from typing import Any

import click

from lpdoctor.commands.common import fail, guard_outputs, output_options, warn
from lpdoctor.commands.lint import from_settings
from lpdoctor.commands.scan import report_scan
from lpdoctor.scan.aggregate import PARTIAL_VERSION, ScanAggregate
from lpdoctor.scan.parallel import gc_paused
from lpdoctor.text.inputs import InputError, read_input

MAX_PARTIAL_BYTES = 1 << 30


class PartialError(Exception):
    """A file that is not a usable partial; ``str()`` is the one line shown."""


def load_partial(path: str) -> ScanAggregate:
    """Read one partial. Raises :class:`PartialError` with one line that names the file."""
    try:
        raw = read_input(path, MAX_PARTIAL_BYTES, "a partial lpdoctor wrote")
    except InputError as exc:
        raise PartialError(str(exc)) from None
    text = raw.decode("utf-8", "replace")
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):
        raise PartialError(f"{path}: not JSON, so not a partial from `lpdoctor scan --save-partial`") from None
    if not isinstance(data, dict) or "lpdoctor_partial" not in data:
        raise PartialError(f"{path}: not a partial from `lpdoctor scan --save-partial`")
    if data["lpdoctor_partial"] != PARTIAL_VERSION:
        raise PartialError(
            f"{path}: partial format {data['lpdoctor_partial']!r}; this lpdoctor reads version {PARTIAL_VERSION}"
        )
    try:
        return ScanAggregate.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PartialError(f"{path}: damaged partial ({type(exc).__name__}: {exc})") from None


@click.command("merge")
@click.argument("partials", nargs=-1, required=True, metavar="PARTIAL...")
@click.option(
    "--margin",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    callback=from_settings("margin"),
    help="Minimum margin (s) a cut-off needs above the hold; the margin is max(this, 10% of the hold).",
)
@output_options
def merge_command(
    partials: tuple[str, ...], margin: float, output_format: str, fail_on: str, output: str | None
) -> None:
    """Report on logs scanned apart: merge the files `lpdoctor scan --save-partial` wrote.

    Give the partials in the order of their logs (first seen wins ties, as in one scan).
    """
    guard_outputs(partials, output=output)
    with gc_paused():  # partials become hundreds of thousands of objects, none of them garbage
        try:
            parts = [load_partial(p) for p in partials]
        except PartialError as exc:
            fail(str(exc))
        caps = sorted({p.max_routes for p in parts})
        if len(caps) > 1:
            warn(f"the partials were made with different --max-routes ({', '.join(map(str, caps))}); keeping {caps[0]}")
        total = ScanAggregate(max_routes=caps[0])
        for part in parts:
            total.merge(part)
    report_scan(total, [], margin, output_format, fail_on, output)
