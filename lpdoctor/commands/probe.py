"""``lpdoctor probe URL``: measure a live long-poll endpoint and find where the chain cuts it."""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import click

from lpdoctor.commands.common import EXIT_USAGE, emit, exit_code, fail, output_options
from lpdoctor.probe.analysis import (
    CutSearch,
    Judged,
    ProbeTarget,
    SearchPlan,
    build_probe_report,
    conclude,
    default_resolution,
)
from lpdoctor.probe.transport import (
    HOLD_UNITS,
    Measurement,
    ProbeError,
    Prober,
    hold_in_url,
    own_margin_s,
    parse_header,
    resolve_hold_param,
    validate_url,
)
from lpdoctor.text.durations import DurationError, fmt_s, parse_duration
from lpdoctor.text.safety import safe


def _duration(text: str, what: str) -> float:
    try:
        value = parse_duration(text, default_unit="s")
    except DurationError:
        fail(f"{what}: not a duration: {safe(text, 40)} (e.g. 30s, 1m30s, 500ms)")
    if value <= 0:
        fail(f"{what}: must be above zero")
    return value


def _range(text: str) -> tuple[float, float]:
    low_text, sep, high_text = text.partition("..")
    if not sep:
        fail("--search: expected LOW..HIGH, e.g. 5s..120s")
    low, high = _duration(low_text, "--search LOW"), _duration(high_text, "--search HIGH")
    if low >= high:
        fail("--search: LOW must be below HIGH")
    return low, high


class _Progress:
    """One line per request on stderr: what is tried, how it ended, what is known so far."""

    def __init__(self, total: int) -> None:
        self.total = total

    def start(self, index: int, hold: float | None, url: str) -> None:
        what = f"hold {fmt_s(hold)}" if hold is not None else "as given"
        click.echo(f"lpdoctor probe: request {index}/{self.total}: {what}: {safe(url, 300)}", err=True)

    def done(self, j: Judged, search: CutSearch) -> None:
        lo, hi = search.lo, search.hi
        bracket = f"cut in ({fmt_s(lo) if lo is not None else '-'}, {fmt_s(hi) if hi is not None else '-'}]"
        click.echo(f"lpdoctor probe:   request {j.m.index}: {j.m.describe()} [{j.verdict.value}]; {bracket}", err=True)

    def pause(self, seconds: float) -> None:
        click.echo(f"lpdoctor probe:   failed at once; waiting {fmt_s(seconds)} before trying again", err=True)


def _run_search(prober: Prober, search: CutSearch, max_time_s: float, progress: _Progress) -> None:
    began = time.monotonic()
    index = 0
    with ThreadPoolExecutor(max_workers=search.plan.concurrency) as pool:
        running: dict[Future[Measurement], float] = {}
        while True:
            while len(running) < search.plan.concurrency:
                hold = search.next_hold(list(running.values()))
                if hold is None:
                    break
                pause = search.pause_s()
                if pause and not running:
                    progress.pause(pause)
                    time.sleep(pause)
                remaining = max_time_s - (time.monotonic() - began)
                if remaining < hold + own_margin_s(hold):
                    if not running:
                        search.stop_reason = "max-time"
                    break
                index += 1
                progress.start(index, hold, prober.url_for(hold))
                running[pool.submit(prober.measure, hold, index, remaining)] = hold
            if not running:
                return
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                running.pop(fut)
                progress.done(search.add(fut.result()), search)


@click.command("probe")
@click.argument("url")
@click.option("--hold", "hold_text", metavar="DURATION", help="The hold to ask for (sets the hold parameter): 30s.")
@click.option(
    "--search",
    "search_text",
    metavar="LOW..HIGH",
    help="Find where the chain cuts by trying holds across this range: 5s..120s.",
)
@click.option("--param", metavar="NAME", help="The query parameter that carries the hold, when lpdoctor cannot tell.")
@click.option("--unit", type=click.Choice(HOLD_UNITS), help="Unit of --param: ms, s, or duration (15s).")
@click.option(
    "--header",
    "-H",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="A request header, e.g. for auth (repeatable). Its value is never printed.",
)
@click.option(
    "--max-requests", type=click.IntRange(1, 100), default=12, show_default=True, help="Requests --search may send."
)
@click.option("--max-time", "max_time_text", default="10m", show_default=True, help="Total time the probe may take.")
@click.option(
    "--concurrency", type=click.IntRange(1, 8), default=1, show_default=True, help="Requests in flight at once."
)
@click.option("--resolution", "resolution_text", metavar="DURATION", help="How narrow --search pins the cut.")
@click.option("--connect-timeout", "connect_text", default="10s", show_default=True, help="Connect/TLS limit.")
@click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate.")
@output_options
def probe_command(
    url: str,
    hold_text: str | None,
    search_text: str | None,
    param: str | None,
    unit: str | None,
    headers: tuple[str, ...],
    max_requests: int,
    max_time_text: str,
    concurrency: int,
    resolution_text: str | None,
    connect_text: str,
    insecure: bool,
    output_format: str,
    fail_on: str,
    output: str | None,
) -> None:
    """Send long-poll requests to URL and find the hop that cuts them.

    Each request's client-side limit is far above the hold it asks for, so lpdoctor never becomes the hop
    that cuts. Redirects to another host are not followed. Secrets in the URL are redacted in every output.
    """
    try:
        validate_url(url)
        parsed_headers = [parse_header(h) for h in headers]
        hold_param = resolve_hold_param(url, param, unit)
    except ProbeError as exc:
        fail(str(exc))
    hold = _duration(hold_text, "--hold") if hold_text else None
    span = _range(search_text) if search_text else None
    max_time = _duration(max_time_text, "--max-time")
    connect = _duration(connect_text, "--connect-timeout")
    varies = hold is not None or span is not None
    if varies and hold_param is None:
        fail(
            "cannot tell which query parameter carries the hold: add it to the URL (e.g. ?timeout=30000) or name "
            "it with --param NAME --unit ms|s|duration"
        )
    if varies and hold_param is not None and hold_param.name is None:
        fail(
            f"{hold_param.protocol}: the server decides the hold ({hold_param.describe()}); it cannot be varied — "
            "run without --hold and --search to measure it as it is"
        )
    url_hold = hold_in_url(url, hold_param)
    if hold_param is not None and hold_param.max_s is not None:
        top = span[1] if span else hold
        if top is not None and top > hold_param.max_s:
            click.echo(
                f"lpdoctor: note: {hold_param.protocol} servers cap the hold at {fmt_s(hold_param.max_s)}", err=True
            )
    target_hold = hold if hold is not None else url_hold
    prober = Prober(url, hold_param, parsed_headers, connect_timeout_s=connect, verify=not insecure)

    if span is not None:
        low, high = span
        resolution = _duration(resolution_text, "--resolution") if resolution_text else default_resolution(high)
        plan = SearchPlan(
            low_s=low,
            high_s=high,
            resolution_s=resolution,
            max_requests=max_requests,
            concurrency=concurrency,
            target_hold_s=target_hold if target_hold is not None else high,
        )
        search = CutSearch(plan)
        _run_search(prober, search, max_time, _Progress(max_requests))
    else:
        single = target_hold if target_hold is not None else 0.0
        plan = SearchPlan(single, single, default_resolution(single), max_requests=1, target_hold_s=target_hold)
        search = CutSearch(plan)
        progress = _Progress(1)
        progress.start(1, target_hold, prober.url_for(hold))
        m = prober.measure(target_hold, 1, budget_s=max_time, set_hold=hold is not None)
        progress.done(search.add(m), search)

    conclusion = conclude(search)
    report = build_probe_report(ProbeTarget(url=url, hold=hold_param, url_hold_s=url_hold), search, conclusion)
    emit(report, output_format, output)
    if conclusion.state in ("unusable", "refused") or not search.judged:
        raise SystemExit(EXIT_USAGE)
    raise SystemExit(exit_code(report, fail_on))
