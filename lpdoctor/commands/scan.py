"""``lpdoctor scan LOG...``: long-poll endpoints and the cut-offs that end them, from access and error logs."""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, NoReturn

import click

from lpdoctor.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    emit,
    exit_code,
    fail,
    guard_outputs,
    output_options,
    warn,
    write_atomically,
)
from lpdoctor.commands.lint import from_settings
from lpdoctor.commands.progress import ScanProgress
from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.nginx_access import LogFormatError, make_custom_format, slow_reason
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.scan import fastpath
from lpdoctor.scan.aggregate import DEFAULT_MAX_ROUTES, ScanAggregate
from lpdoctor.scan.parallel import gc_paused, scan_inputs
from lpdoctor.scan.report import ScanOptions, build_report
from lpdoctor.text.safety import redact
from lpdoctor.text.times import TimeSpecError, fmt_range, parse_when

if TYPE_CHECKING:
    from lpdoctor.dialects.nginx.model import NginxConfig


def _note(text: str) -> None:
    click.echo(f"lpdoctor: note: {text}", err=True)


def _forced_format(input_format: str | None, log_format: str | None) -> LogFormat | None:
    if log_format:
        try:
            custom = make_custom_format(log_format, "cli")
        except LogFormatError as exc:
            fail(f"--log-format: {exc}")
        reason = slow_reason(log_format) if fastpath.compiled() else None
        if reason:
            _note(f"--log-format is read line by line in Python, 20-50x slower: {reason}")
        return custom
    if input_format:
        fmt = get_format(input_format)
        if fmt is None:
            names = ", ".join(f.name for f in all_formats())
            fail(f"--input-format: unknown format {input_format!r} (known: {names})")
        return fmt
    return None


@click.command("scan")
@click.argument("logs", nargs=-1, required=True, metavar="LOG...")
@click.option("--log-format", metavar="FORMAT", help="The nginx log_format string the access logs were written with.")
@click.option(
    "--input-format",
    metavar="NAME",
    help="Read every LOG in this built-in format instead of detecting it (see `lpdoctor formats`).",
)
@click.option(
    "--nginx-conf",
    metavar="FILE",
    help="nginx.conf (or `nginx -T` output): read logs in its log_format, name the timeout behind each cut-off.",
)
@click.option(
    "--margin",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    callback=from_settings("margin"),
    help="Minimum margin (s) a cut-off needs above the hold; the margin is max(this, 10% of the hold).",
)
@click.option(
    "--max-routes",
    type=click.IntRange(min=10),
    default=DEFAULT_MAX_ROUTES,
    show_default=True,
    help="Distinct routes kept; requests beyond are counted together.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to scan with. Default: every core when the logs hold more than 32 MiB, else 1.",
)
@click.option(
    "--save-partial",
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the aggregate of these logs to FILE instead of a report, for `lpdoctor merge`.",
)
@click.option(
    "--since",
    metavar="WHEN",
    help="Only lines logged at or after WHEN: 2h, 30m, 1d (ago), 2026-11-21T14:02:11Z, 21/Nov/2026:14:02:11 +0000.",
)
@click.option("--until", metavar="WHEN", help="Only lines logged at or before WHEN (same forms as --since).")
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDR",
    help="Scan on the dask.distributed scheduler at ADDR (tcp://host:8786): every worker must read the LOG paths"
    " (shared filesystem). --jobs then says how many pieces a big log is cut into (default: the workers' threads)."
    " Needs: pip install 'lpdoctor[dask]'.",
)
@click.option(
    "--dask-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="How long --dask waits to reach the scheduler.",
)
@output_options
def scan_command(
    logs: tuple[str, ...],
    log_format: str | None,
    input_format: str | None,
    nginx_conf: str | None,
    margin: float,
    max_routes: int,
    jobs: int | None,
    save_partial: str | None,
    since: str | None,
    until: str | None,
    dask_address: str | None,
    dask_timeout: float,
    output_format: str,
    fail_on: str,
    output: str | None,
) -> None:
    """Find long-poll endpoints in access and error logs and the hop that cuts them.

    LOG may be a file, a .gz file, or - for standard input. Formats are detected per file. Big logs are read
    on every core, in pieces; the report is the same as from one process.
    """
    guard_outputs([*logs, *([nginx_conf] if nginx_conf else [])], output=output, save_partial=save_partial)
    if dask_address and nginx_conf:
        fail(
            "--dask and --nginx-conf cannot be combined: scan the logs with --dask, check the config with check-config"
        )
    forced = _forced_format(input_format, log_format)
    window = _window(since, until)
    config = None
    if nginx_conf:
        from lpdoctor.app.config_report import (  # the config readers: only here
            ConfigCheckError,
            scan_logs_with_config,
        )

        try:
            agg, errors, config = scan_logs_with_config(
                list(logs), nginx_conf, forced, max_routes, on_input_error=warn, window=window, on_slow=_note
            )
        except ConfigCheckError as exc:
            fail(str(exc))
    elif dask_address:
        agg, errors = _scan_on_dask(
            dask_address, dask_timeout, logs, input_format, log_format, max_routes, jobs, window
        )
    else:
        unusable: list[str] = []
        with ScanProgress(_total_bytes(logs)) as progress:
            agg, errors = scan_inputs(
                list(logs), forced, max_routes, unusable.append, jobs=jobs, progress=progress.advance, window=window
            )
        for message in unusable:
            warn(message)  # after the progress bar is gone
    if save_partial:
        _save_partial(agg, errors, save_partial)
    report_scan(agg, errors, margin, output_format, fail_on, output, config)


def _scan_on_dask(
    address: str,
    timeout: float,
    logs: tuple[str, ...],
    input_format: str | None,
    log_format: str | None,
    max_routes: int,
    pieces: int | None,
    window: tuple[float | None, float | None],
) -> tuple[ScanAggregate, list[str]]:
    from lpdoctor.scan.distributed import DaskScanError, scan_on_dask  # dask itself only when it is asked for

    try:
        return scan_on_dask(
            address,
            list(logs),
            input_format=input_format,
            log_format=log_format,
            max_routes=max_routes,
            on_input_error=warn,
            pieces=pieces,
            window=window,
            connect_timeout=timeout,
        )
    except DaskScanError as exc:
        fail(str(exc))
        raise  # not reached: fail() exits


def _window(since: str | None, until: str | None) -> tuple[float | None, float | None]:
    """--since/--until as epoch seconds (relative ones from now)."""
    now = time.time()
    try:
        a = parse_when(since, now) if since else None
        b = parse_when(until, now) if until else None
    except TimeSpecError as exc:
        fail(f"--since/--until: {exc}")
    if a is not None and b is not None and a > b:
        fail("--since/--until: --since is after --until")
    return a, b


def _total_bytes(logs: tuple[str, ...]) -> int | None:
    """What the progress bar counts to: the size of every input as stored (unknown with standard input)."""
    total = 0
    for path in logs:
        try:
            if path == "-" or not os.path.isfile(path):
                return None
            total += os.path.getsize(path)
        except OSError:
            continue  # the scan says what is wrong with it
    return total


def _save_partial(agg: ScanAggregate, errors: list[str], path: str) -> NoReturn:
    if not agg.inputs:
        raise SystemExit(EXIT_USAGE)  # each unusable input has had its one line
    for i in agg.inputs:
        if i.lines and not i.parsed:
            warn(f"{i.path}: no line in a known format")
    data = agg.to_dict()
    for route in data["routes"]:  # a raw request target: the one place a credential (access_token=) would be
        route["example"] = redact(route["example"]) if route["example"] else route["example"]
    for summary in data["inputs"]:
        summary["path"] = redact(summary["path"])
        summary["warnings"] = [redact(w) for w in summary["warnings"]]
    try:
        write_atomically(path, json.dumps(data, separators=(",", ":")) + "\n", "--save-partial")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    raise SystemExit(EXIT_USAGE if errors else EXIT_OK)


def report_scan(
    agg: ScanAggregate,
    errors: list[str],
    margin: float,
    output_format: str,
    fail_on: str,
    output: str | None,
    config: NginxConfig | None = None,
) -> NoReturn:
    """From the aggregate of every log to the report and the exit code (shared with ``lpdoctor merge``)."""
    if not agg.inputs:
        raise SystemExit(EXIT_USAGE)  # each unusable input has had its one line
    if not any(i.parsed for i in agg.inputs):
        for i in agg.inputs:
            if i.lines and not i.parsed:
                from lpdoctor.app.input_hints import unreadable_log_message

                warn(unreadable_log_message(i))
            elif not i.lines:
                warn(f"{i.path}: the input is empty")
        fail("nothing to analyse: no input had a line lpdoctor could read")
    if agg.outside and not agg.routes and agg.first_time is not None and agg.last_time is not None:
        warn(
            f"--since/--until: every line lies outside the window (the logs run from {fmt_range(agg.first_time, agg.last_time)})"
        )
    with gc_paused():  # thousands of routes become endpoints, then their sanitised copies: no garbage in them
        report = build_report(agg, ScanOptions(margin_min_s=margin))
        if config is not None:
            from lpdoctor.app.config_report import explain_with_config

            explain_with_config(report, agg, config)
        emit(report, output_format, output)
    code = exit_code(report, fail_on)
    raise SystemExit(EXIT_USAGE if errors else code)
