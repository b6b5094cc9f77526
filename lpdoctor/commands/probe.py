"""``lpdoctor probe URL``: measure a live long-poll endpoint and find where the chain cuts it."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import click

from lpdoctor.commands.common import EXIT_USAGE, emit, exit_code, fail, output_options
from lpdoctor.probe.analysis import CutSearch, Judged, SearchPlan, conclude, default_resolution
from lpdoctor.probe.measurement import Measurement
from lpdoctor.probe.report import ProbeTarget, build_probe_report
from lpdoctor.probe.target import (
    HOLD_UNITS,
    ProbeError,
    hide_userinfo,
    hold_in_url,
    parse_header,
    resolve_hold_param,
    validate_url,
)
from lpdoctor.probe.transport import Prober, own_margin_s
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
        click.echo(f"lpdoctor probe: request {index}/{self.total}: {what}: {safe(hide_userinfo(url), 300)}", err=True)

    def done(self, j: Judged, search: CutSearch) -> None:
        lo, hi = search.lo, search.hi
        bracket = f"cut in ({fmt_s(lo) if lo is not None else '-'}, {fmt_s(hi) if hi is not None else '-'}]"
        click.echo(f"lpdoctor probe:   request {j.m.index}: {j.m.describe()} [{j.verdict.value}]; {bracket}", err=True)

    def pause(self, seconds: float) -> None:
        click.echo(f"lpdoctor probe:   failed at once; waiting {fmt_s(seconds)} before trying again", err=True)


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command Ctrl-C ended


class _Requests:
    """Measurements running in daemon threads: a Ctrl-C never waits for one (its sockets are shut down)."""

    def __init__(self) -> None:
        self.done: queue.Queue[tuple[int, Measurement | BaseException]] = queue.Queue()
        self.running: dict[int, float] = {}

    def start(self, key: int, hold: float, work: Callable[[], Measurement]) -> None:
        def run() -> None:
            try:
                result: Measurement | BaseException = work()
            except BaseException as exc:  # handed to the main thread, which raises it
                result = exc
            self.done.put((key, result))

        self.running[key] = hold
        threading.Thread(target=run, name=f"lpdoctor-probe-{key}", daemon=True).start()

    def next_done(self) -> Measurement:
        key, result = self.done.get()
        self.running.pop(key, None)
        if isinstance(result, BaseException):
            raise result
        return result


def _run_search(prober: Prober, search: CutSearch, max_time_s: float, progress: _Progress) -> None:
    """Send the search's requests until it is over, within ``max_time_s`` for everything."""
    began = time.monotonic()
    deadline = began + max_time_s
    index = 0
    requests = _Requests()
    while True:
        while len(requests.running) < search.plan.concurrency:
            hold = search.next_hold(list(requests.running.values()))
            if hold is None:
                break
            pause = search.pause_s()
            if pause and not requests.running:
                progress.pause(pause)
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            remaining = deadline - time.monotonic()
            if remaining < hold + own_margin_s(hold):
                if not requests.running:
                    search.stop_reason = "max-time"
                break
            index += 1
            progress.start(index, hold, prober.url_for(hold))
            requests.start(index, hold, _measure_call(prober, hold, index, remaining, deadline))
        if not requests.running:
            return
        progress.done(search.add(requests.next_done()), search)


def _measure_call(
    prober: Prober, hold: float, index: int, remaining: float, deadline: float
) -> Callable[[], Measurement]:
    return lambda: prober.measure(hold, index, remaining, deadline=deadline)


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
@click.option(
    "--max-time",
    "max_time_text",
    default="10m",
    show_default=True,
    help="Total time the probe may take, connects and TLS handshakes included.",
)
@click.option(
    "--concurrency", type=click.IntRange(1, 8), default=1, show_default=True, help="Requests in flight at once."
)
@click.option("--resolution", "resolution_text", metavar="DURATION", help="How narrow --search pins the cut.")
@click.option("--connect-timeout", "connect_text", default="10s", show_default=True, help="Connect/TLS limit.")
@click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate.")
@click.option(
    "--margin",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    help="Minimum margin (s) a cut-off needs above the hold; the margin is max(this, 10% of the hold).",
)
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
    margin: float,
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
    try:
        search = _measure(prober, hold, span, target_hold, max_time, max_requests, concurrency, margin, resolution_text)
    except KeyboardInterrupt:
        # Ctrl-C: no report from a half-done search. Requests in flight are ended, not waited for.
        prober.abort()
        click.echo("lpdoctor: interrupted", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None

    conclusion = conclude(search)
    report = build_probe_report(ProbeTarget(url=url, hold=hold_param, url_hold_s=url_hold), search, conclusion)
    emit(report, output_format, output)
    stopped = conclusion.state == "incomplete" and conclusion.stop_reason == "max-time"
    if conclusion.state in ("unusable", "refused") or stopped or not search.judged:
        raise SystemExit(EXIT_USAGE)  # nothing about the chain was measured: never a pass
    raise SystemExit(exit_code(report, fail_on))


def _measure(
    prober: Prober,
    hold: float | None,
    span: tuple[float, float] | None,
    target_hold: float | None,
    max_time: float,
    max_requests: int,
    concurrency: int,
    margin: float,
    resolution_text: str | None,
) -> CutSearch:
    """Run the search (or the one request) and return what it saw."""
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
            margin_min_s=margin,
        )
        search = CutSearch(plan)
        _run_search(prober, search, max_time, _Progress(max_requests))
        return search
    single = target_hold if target_hold is not None else 0.0
    plan = SearchPlan(
        single, single, default_resolution(single), max_requests=1, target_hold_s=target_hold, margin_min_s=margin
    )
    search = CutSearch(plan)
    progress = _Progress(1)
    progress.start(1, target_hold, prober.url_for(hold))
    deadline = time.monotonic() + max_time
    m = prober.measure(target_hold, 1, budget_s=max_time, set_hold=hold is not None, deadline=deadline)
    progress.done(search.add(m), search)
    return search
