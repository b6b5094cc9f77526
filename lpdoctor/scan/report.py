"""From per-route aggregates to the report: which routes long-poll, where they are cut, by whom, and the fix."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from lpdoctor import catalog
from lpdoctor.model import Endpoint, Finding, HopKind, Outcome, Report, Severity
from lpdoctor.model import margin as margins
from lpdoctor.scan.aggregate import OVERFLOW_ROUTE, RouteStats, ScanAggregate
from lpdoctor.scan.cutoff import Cut, densest_window, infer_cut, tolerance
from lpdoctor.scan.histogram import Histogram
from lpdoctor.scan.timeline import cut_times, time_range, timeline_dict
from lpdoctor.text.durations import fmt_s, nginx_time

MIN_LONG_POLL_HOLD_S = 1.0
MIN_COLLATERAL = 3  # instant "no live upstreams" 502s before they are a finding
HISTOGRAM_ROUTES = 8


@dataclass(frozen=True)
class ScanOptions:
    margin_min_s: float = margins.MIN_S

    def margin(self, hold_s: float) -> float:
        return margins.margin(hold_s, self.margin_min_s)


@dataclass
class LongPollView:
    """What the analysis concluded about one route."""

    stats: RouteStats
    long_poll: bool
    requested_hold_s: float | None
    observed_hold_s: float | None
    reason: str
    cut: Cut | None  # where its requests are cut; only looked for on a long-poll route (None on any other)
    durations: Histogram  # every timed request of the route
    success: Histogram  # the successful ones
    failures: int  # requests that failed (rs.failures(), counted once)
    protocol: str | None  # the protocol most of its holds were recognised as

    @property
    def hold_s(self) -> float | None:
        if self.requested_hold_s is not None:
            return self.requested_hold_s
        return self.observed_hold_s


def observed_hold(success: Histogram) -> float | None:
    """Where successful durations pile up just below their maximum: the server's hold expiring."""
    if success.count < 10:
        return None
    long = Histogram()
    long.add_all([(v, n) for v, n in success.items() if v >= 2.0])
    if long.count < 5:
        return None
    window = densest_window(long)
    if window is None:
        return None
    _lo, hi, count, centre = window
    top = success.quantile(0.95) or 0.0
    if count >= max(5, 0.2 * success.count) and hi >= top - tolerance(top):
        return round(centre, 1)
    return None


def classify(rs: RouteStats) -> LongPollView:
    """Whether ``rs`` is a long-poll route, why, and (only for one) where it is cut.

    The cut-off is looked for when a rule needs it to decide, or for a long-poll route: most routes of a big log
    are neither, and a cut-off is only shown for long-poll routes.
    """
    requested = rs.requested_hold()
    if requested is not None and requested < MIN_LONG_POLL_HOLD_S:
        requested = None
    protocol = rs.top(rs.hold_protocol)
    success = rs.success_durations()
    observed = observed_hold(success)
    everything = rs.all_durations()
    found: list[Cut | None] = []

    def cut() -> Cut | None:
        if not found:
            found.append(infer_cut(rs))
        return found[0]

    def measured_cut() -> bool:
        c = cut()
        return c is not None and c.seconds is not None

    reason = ""
    if requested is not None and protocol:
        reason = f"hold parameter ({protocol})"
    elif requested is not None and (rs.timed == 0 or (everything.max or 0.0) >= 0.5 * requested or measured_cut()):
        reason = "generic hold parameter"  # believed when durations agree (or cannot be checked)
    elif protocol and rs.hold_source and requested is None and rs.top(rs.holds) not in (None, "0.000"):
        reason = f"protocol ({protocol})"
    elif observed is not None:
        reason, requested = "durations pile up below a ceiling", None
    elif (success.quantile(0.5) or 0.0) >= 1.0 and measured_cut():
        reason, requested = "held requests end at a cut-off", None
    elif rs.route.startswith("(tcp ") and measured_cut():
        reason, requested = "silent TCP sessions end at one duration", None
    long_poll = bool(reason)
    return LongPollView(
        stats=rs,
        long_poll=long_poll,
        requested_hold_s=requested,
        observed_hold_s=observed,
        reason=reason,
        cut=cut() if long_poll else None,
        durations=everything,
        success=success,
        failures=rs.failures(),
        protocol=protocol,
    )


def _suggest(hold: float | None, cut: Cut, opts: ScanOptions) -> float:
    base = hold if hold is not None else (cut.seconds or 30.0)
    return margins.suggest(base, opts.margin(base))


def _component(rs: RouteStats) -> str:
    return rs.top(rs.proxies) or "nginx"


def hold_cut_finding(view: LongPollView, opts: ScanOptions) -> Finding | None:
    cut = view.cut
    if cut is None:
        return None
    rs = view.stats
    hold = view.hold_s
    if rs.hold_jitter and hold is not None:
        hold = hold * (1 + rs.hold_jitter)
    component = _component(rs)
    route = rs.route
    t = cut.seconds
    evidence: dict[str, object] = {
        "requests": rs.requests,
        "failures": cut.failures,
        "failures_at_cut": cut.at_cut,
        "outcome": cut.outcome.value,
        "cut_shape": cut.kind,
        "statuses": dict(rs.statuses.most_common(8)),
    }
    if cut.spread:
        evidence["failure_durations_s"] = [round(cut.spread[0], 3), round(cut.spread[1], 3)]
    if cut.max_success_s is not None:
        evidence["longest_success_s"] = round(cut.max_success_s, 3)
    if cut.client_wait_s is not None:
        evidence["client_wait_s"] = cut.client_wait_s
        evidence["attempts"] = cut.attempts
    if cut.detail:
        evidence["proxy_detail"] = cut.detail
    if rs.errors:
        evidence["error_log"] = dict(rs.errors)
    evidence.update(cut.evidence)
    if view.requested_hold_s is not None:
        evidence["requested_hold_s"] = view.requested_hold_s
        evidence["hold_from"] = rs.top(rs.hold_source)
    if view.observed_hold_s is not None:
        evidence["observed_hold_s"] = view.observed_hold_s
    if rs.hold_jitter:
        evidence["hold_jitter"] = rs.hold_jitter

    who = {
        HopKind.PROXY: f"the proxy ({component}) gave up waiting for the upstream",
        HopKind.SERVER: "the upstream server closed the connection without answering",
        HopKind.CLIENT: "the clients gave up and closed the connection",
        HopKind.EDGE: "an edge in front of the proxy cut the connection",
        HopKind.UNKNOWN: "a hop reset the connection",
    }[cut.hop]
    status_word = {
        Outcome.GATEWAY_TIMEOUT: "gateway timeouts",
        Outcome.UPSTREAM_CLOSED: "bad gateways",
        Outcome.CLIENT_CLOSED: "client closes",
        Outcome.RESET: "resets",
        Outcome.SERVER_ERROR: "server errors",
    }.get(cut.outcome, "failures")

    if t is None:
        severity = Severity.WARNING
        message = (
            f"{route}: {cut.at_cut} {status_word} on a long-poll route"
            + (f" whose clients ask for {fmt_s(hold)} holds" if hold else "")
            + f"; {who}. The log has no durations, so the cut-off cannot be measured"
            " (add $request_time to the log format, or give the config: lpdoctor check-config)."
        )
        confidence = "inferred"
    else:
        if cut.kind == "ceiling":
            shape = f"no request longer than {fmt_s(t)} succeeded and all {cut.at_cut} failures came after it"
        else:
            shape = f"{cut.at_cut} of {cut.failures} failures ended at {fmt_s(t)}"
        if cut.client_wait_s is not None and "resent" in cut.evidence:
            shape += (
                f" per attempt; {component} resent them on a new connection (up to {cut.attempts} tries), "
                f"so clients waited up to {fmt_s(cut.client_wait_s)}"
            )
        elif cut.client_wait_s is not None and (cut.attempts or 0) > 1:
            shape += (
                f" per attempt; nginx retried them on {cut.attempts} upstream servers, so clients waited "
                f"{fmt_s(cut.client_wait_s)}"
            )
        elif cut.client_wait_s is not None:
            shape += " per attempt; nginx tried the next server, found none left (max_fails) and answered at once"
        confidence = "measured"
        if hold is None:
            severity = Severity.ERROR
            message = f"{route}: long-polls are cut at {fmt_s(t)} — {shape}; {who}."
        else:
            margin = opts.margin(hold)
            if t <= hold + 0.05:
                severity = Severity.ERROR
                message = (
                    f"{route}: long-polls holding {fmt_s(hold)} are cut at {fmt_s(t)} — {shape}; {who}. "
                    "The hold can never complete."
                )
            elif t < hold + margin:
                severity = Severity.WARNING
                message = (
                    f"{route}: the cut-off {fmt_s(t)} is within {fmt_s(margin)} of the {fmt_s(hold)} hold — "
                    f"{shape}; {who}. Holds that run slightly long are cut (a race)."
                )
            else:
                severity = Severity.WARNING
                message = (
                    f"{route}: requests fail at {fmt_s(t)}, after the {fmt_s(hold)} hold — {shape}; {who}. "
                    "The server does not end its holds in time."
                )
    statement = cut.evidence.get("proxy_statement")
    if statement:
        message += f" The status blames the upstream, but {statement}: {component}'s own timer cut them."
    tcp = rs.route.startswith("(tcp ")
    if tcp:
        message = message.replace(
            who,
            f"{component} (mode tcp) closed silent connections on an idle timer (timeout client or timeout "
            "server; the log's state says which fired first) — clients got an empty reply, no status",
        )
    ambiguous = _ambiguous(cut, rs, component)
    if ambiguous:
        evidence["hops_not_separated"] = ambiguous[0]
        evidence["separate_with"] = ambiguous[1]
        message += f" The logs cannot tell {ambiguous[0][0]} from {ambiguous[0][1]} here: {ambiguous[2]}"
    suggest = _suggest(hold, cut, opts)
    max_hold = (t - opts.margin(t)) if t else None
    fix = catalog.render_fix(
        "hold-cut",
        component,
        cut.hop,
        setting="tcp" if tcp else _timer_named(rs),
        route=route,
        cut=fmt_s(t) if t else "the cut-off",
        suggest=fmt_s(suggest),
        suggest_nginx=nginx_time(suggest),
        suggest_int=int(suggest),
        max_hold=fmt_s(max_hold) if max_hold and max_hold > 0 else "the cut-off",
    )
    return Finding(
        rule="hold-cut",
        severity=severity,
        message=message,
        hop=cut.hop,
        route=route,
        host=rs.top(rs.hosts),
        hold_s=hold,
        cutoff_s=t,
        evidence=evidence,
        fix=fix,
        confidence=confidence,
    )


def _timer_named(rs: RouteStats) -> str | None:
    """The proxy setting its error log names for the timeouts of a route (Caddy: ``read_timeout`` ...)."""
    named = Counter[str]()
    for key, n in rs.error_actions.items():
        kind, _, action = key.partition("|")
        if kind == "upstream-timeout" and action.isidentifier():
            named[action] += n
    return named.most_common(1)[0][0] if named else None


def _ambiguous(cut: Cut, rs: RouteStats, component: str) -> tuple[list[str], str, str] | None:
    """Two hops the evidence cannot separate: which, the one command that would, and the sentence saying so."""
    if component == "apache" and cut.outcome is Outcome.UPSTREAM_CLOSED and not rs.errors:
        return (
            ["proxy", "server"],
            "lpdoctor scan ACCESS_LOG ERROR_LOG",
            "Apache answers its own ProxyTimeout with 502 too. Its error log says which: AH01102 with "
            "(70007) is Apache's timer, anything else the server closing (lpdoctor scan ACCESS_LOG ERROR_LOG).",
        )
    if cut.hop is HopKind.UNKNOWN and cut.outcome is Outcome.RESET:
        return (
            ["edge", "server"],
            "lpdoctor probe URL --search",
            "a close with no status at a constant duration is an idle cut on the path or the server dropping "
            "the request; probing the origin directly separates them (lpdoctor probe URL --search).",
        )
    return None


def collateral_finding(views: list[LongPollView]) -> Finding | None:
    """Instant 502s from an upstream group with no live server, on a site whose long-polls time out."""
    cut_routes = [
        v
        for v in views
        if v.long_poll
        and v.cut is not None
        and v.cut.hop is HopKind.PROXY
        and (v.stats.retried_timeouts or v.stats.errors.get("upstream-timeout"))
    ]
    if not cut_routes:
        return None
    # The access log ($upstream_addr = the group) and the error log ("no live upstreams") see the same requests.
    hit = {v.stats.route: max(v.stats.no_live, v.stats.errors.get("no-live-upstreams", 0)) for v in views}
    hit = {route: n for route, n in hit.items() if n}
    total = sum(hit.values())
    if total < MIN_COLLATERAL:
        return None
    cause = max(cut_routes, key=lambda v: v.failures).stats
    others = {route: n for route, n in hit.items() if route != cause.route}
    where = ", ".join(f"{route} ({n})" for route, n in sorted(others.items(), key=lambda kv: -kv[1])[:5])
    component = _component(cause)
    nginx = component == "nginx"
    message = (
        f"{total} requests got an instant 502 because no upstream server was left to try"
        + (' ("no live upstreams", $upstream_addr is the group\'s name)' if nginx else "")
        + (f", {sum(others.values())} of them on other routes: {where}" if others else "")
        + f". The long-polls cut on {cause.route} count as failed attempts"
        + (" (max_fails, by default 1 per 10 s)" if nginx else " (passive health checks)")
        + ", so each cut takes a server out for every route."
    )
    return Finding(
        rule="upstream-marked-down",
        severity=Severity.ERROR,
        message=message,
        hop=HopKind.PROXY,
        route=cause.route,
        host=cause.top(cause.hosts),
        cutoff_s=None,
        evidence={
            "no_live_upstream_502s": total,
            "routes": dict(sorted(hit.items(), key=lambda kv: -kv[1])[:10]),
            "caused_by": cause.route,
            "timed_out_attempts": cause.retried_timeouts or cause.errors.get("upstream-timeout", 0),
        },
        fix=catalog.render_fix("upstream-marked-down", component, HopKind.PROXY, route=cause.route),
        confidence="measured",
    )


def interim_final_finding(rs: RouteStats) -> Finding | None:
    """A 1xx in the access log: the proxy took an interim response (102 Processing) for the final one."""
    if not rs.interim_final:
        return None
    component = _component(rs)
    codes = sorted(s for s in rs.statuses if s.isdigit() and s.startswith("1") and s != "101")
    return Finding(
        rule="proxy-1xx-final",
        severity=Severity.ERROR,
        message=(
            f"{rs.route}: {rs.interim_final} requests were logged with an interim status (1xx) as the final or "
            f"upstream status: {component} took the server's keep-alive (102 Processing) for the response, and "
            "its clients got nothing until their own timer or the proxy's ended the poll."
        ),
        hop=HopKind.PROXY,
        route=rs.route,
        host=rs.top(rs.hosts),
        evidence={"requests": rs.interim_final, "statuses": dict(rs.statuses.most_common(6)), "codes": codes},
        fix=catalog.render_fix("proxy-1xx-final", component, HopKind.PROXY, route=rs.route),
        confidence="measured",
    )


def retry_finding(view: LongPollView) -> Finding | None:
    rs = view.stats
    if not rs.retried_timeouts:
        return None
    cut = view.cut
    attempts = rs.top(rs.attempts)
    waits = f", so clients waited {fmt_s(cut.client_wait_s)}" if cut and cut.client_wait_s else ""
    message = (
        f"{rs.route}: {rs.retried_timeouts} long-polls timed out and were resent to another upstream server "
        f"(up to {attempts} tries){waits}. Each timeout also counts against the server's max_fails."
    )
    return Finding(
        rule="retry-multiplies-wait",
        severity=Severity.WARNING,
        message=message,
        hop=HopKind.PROXY,
        route=rs.route,
        host=rs.top(rs.hosts),
        hold_s=view.hold_s,
        cutoff_s=cut.seconds if cut else None,
        evidence={
            "retried_requests": rs.retried,
            "retried_after_timeout": rs.retried_timeouts,
            "attempts": dict(rs.attempts),
            "error_log": dict(rs.errors) if rs.errors else {},
        },
        fix=catalog.render_fix("retry-multiplies-wait", _component(rs), HopKind.PROXY, route=rs.route),
        confidence="measured",
    )


def build_report(agg: ScanAggregate, opts: ScanOptions | None = None) -> Report:
    opts = opts or ScanOptions()
    report = Report(command="scan", inputs=list(agg.inputs))
    views = [classify(rs) for rs in agg.routes.values() if rs.route != OVERFLOW_ROUTE]
    views.sort(key=lambda v: (not v.long_poll, -v.failures, -v.stats.requests, v.stats.route))
    for v in views:
        rs = v.stats
        everything = v.durations
        observed = None
        if everything.count:
            observed = {
                "p50_s": round(everything.quantile(0.5) or 0.0, 3),
                "p95_s": round(everything.quantile(0.95) or 0.0, 3),
                "max_s": round(everything.max or 0.0, 3),
            }
        report.endpoints.append(
            Endpoint(
                route=rs.route,
                host=rs.top(rs.hosts),
                requests=rs.requests,
                long_poll=v.long_poll,
                hold_s=v.hold_s if v.long_poll else None,
                observed=observed,
                failures=v.failures,
                cutoff_s=v.cut.seconds if (v.long_poll and v.cut) else None,
                extra={
                    "requested_hold_s": v.requested_hold_s,
                    "observed_hold_s": v.observed_hold_s,
                    "detected_by": v.reason or None,
                    "statuses": dict(rs.statuses.most_common(10)),
                    "protocol": v.protocol,
                    "errors": dict(rs.errors),
                    "example": rs.example,
                    "methods": dict(rs.methods.most_common(4)),
                },
            )
        )
        interim = interim_final_finding(rs)
        if interim is not None:
            report.findings.append(interim)
        if not v.long_poll:
            continue
        when = timeline_dict(rs)
        if when is not None:
            report.endpoints[-1].extra["timeline"] = when
        cuts = cut_times(rs, v.cut)
        if cuts is not None:
            report.endpoints[-1].extra["cut_times"] = cuts
        if len(report.histograms) < HISTOGRAM_ROUTES and everything.count:
            report.histograms[rs.route] = _histogram_rows(v.success, rs.failure_durations())
        for finding in (hold_cut_finding(v, opts), retry_finding(v)):
            if finding is not None:
                report.findings.append(finding)
    collateral = collateral_finding(views)
    if collateral is not None:
        report.findings.append(collateral)
    for inp in agg.inputs:
        if inp.kind == "access" and not inp.has_timing and inp.parsed:
            report.findings.append(
                Finding(
                    rule="log-lacks-timing",
                    severity=Severity.INFO,
                    message=(
                        f"{inp.path}: the {inp.format} format has no request durations; cut-offs cannot be "
                        "measured, only inferred from statuses, hold parameters and the error log."
                    ),
                    evidence={"input": inp.path, "format": inp.format},
                    fix=catalog.render_fix("log-lacks-timing", "nginx", HopKind.PROXY),
                    confidence="measured",
                )
            )
    formats = {i.format for i in agg.inputs}
    if "sozune" in formats:
        report.notes.append(
            "Sōzune logs leave things out: it writes no access line for its own 504s and 502s (only an ERROR "
            "line, counted here), access lines only for routes through its middleware (and only with "
            "RUST_LOG=access=info), and the embedded Sōzu prints only ERROR-ACCESS lines. A route with no failures "
            "here is not proof that it is healthy: probe it (lpdoctor probe URL --search)."
        )
    if agg.overflow_requests:
        report.notes.append(
            f"{agg.overflow_requests} requests beyond the first {agg.max_routes} distinct routes were counted "
            "together as '(other routes)' (raise --max-routes to keep more)."
        )
    if agg.unrouted_errors:
        report.notes.append(
            "error-log lines with no request: " + ", ".join(f"{n} {k}" for k, n in agg.unrouted_errors.most_common())
        )
    report.findings.sort(key=lambda f: f.sort_key())
    report.stats["routes"] = len(agg.routes)
    report.stats["long_poll_routes"] = sum(1 for v in views if v.long_poll)
    span = time_range(agg)
    if span is not None:
        report.stats["time_range"] = span
    return report


def _histogram_rows(ok: Histogram, fail: Histogram) -> list[tuple[float, int, int]]:
    """Bucket successes and failures into at most about 48 columns over 0 … max for display."""
    top = max(ok.max or 0.0, fail.max or 0.0)
    if top <= 0:
        return []
    step = max(0.5, math.ceil(top / 48.0 * 2) / 2)
    n = int(top // step) + 1
    rows = [[i * step, 0, 0] for i in range(n)]
    for v, c in ok.items():
        rows[min(int(v // step), n - 1)][1] += c
    for v, c in fail.items():
        rows[min(int(v // step), n - 1)][2] += c
    return [(float(a), int(b), int(c)) for a, b, c in rows]
