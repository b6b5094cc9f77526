"""Evidence meets configuration: log findings name the timer that explains them, config findings say whether
the logs confirm them.

- :func:`explain_log_findings`: for a cut-off measured in the logs ("504s at 30.0 s on /_matrix/client/v3/sync"),
  the location that serves the route and the timer whose value matches the cut-off
  ("match `proxy_read_timeout 30s` at nginx.conf:74"), or the timers that do not explain it.
- :func:`confirm_config_findings`: for a timer a rule flagged, how many logged requests on the routes that
  block serves were cut at that value (confirmed), lasted longer and still succeeded (contradicted: the
  running configuration differs), or none of either (not seen).
"""

from __future__ import annotations

from dataclasses import dataclass

from lpdoctor.catalog.component_hops import written
from lpdoctor.model import Finding, HopKind, Outcome, Report, SourceLocation
from lpdoctor.model.hops import HopFacts, ProxySource
from lpdoctor.scan.aggregate import OVERFLOW_ROUTE, RouteStats, ScanAggregate
from lpdoctor.scan.routes import split_target
from lpdoctor.text.durations import fmt_s

LOG_RULES = ("hold-cut", "retry-multiplies-wait")


def tolerance(seconds: float) -> float:
    """Two durations this close count as the same moment (log precision, scheduling)."""
    return max(1.0, 0.03 * seconds)


@dataclass(slots=True)
class LoggedRoute:
    stats: RouteStats
    host: str | None
    hop: HopFacts | None


def locate_routes(agg: ScanAggregate, sources: list[ProxySource]) -> list[LoggedRoute]:
    """Every logged route with the hop that serves it (matched on a real request path of the route)."""
    out = []
    for route, rs in agg.routes.items():
        if route == OVERFLOW_ROUTE:
            continue
        path = split_target(rs.example)[0] if rs.example else route
        host = rs.top(rs.hosts)
        hop = None
        for source in sources:
            hop = source.hop_for(host, path)
            if hop is not None:
                break
        out.append(LoggedRoute(rs, host, hop))
    return out


def _written(hop: HopFacts, value: float | None) -> str:
    t = next((x for x in hop.hop.timeouts if x.value_s == value), None)
    return written(t) if t is not None else fmt_s(value)


def _at(loc: SourceLocation | None) -> str:
    if loc is None or loc.file is None:
        return "a built-in default"
    return f"{loc.file}:{loc.line}" if loc.line else loc.file


def explain_log_findings(report: Report, logged: list[LoggedRoute], app_hops: list[HopFacts] | None = None) -> None:
    """Name, in every log finding, the location and timer whose value explains its cut-off."""
    by_route = {lr.stats.route: lr for lr in logged}
    for f in report.findings:
        lr = by_route.get(f.route or "")
        if f.rule not in LOG_RULES or lr is None or lr.hop is None or f.location is not None:
            continue
        hop = lr.hop
        label = f"{hop.block_label} ({_at(hop.block)})"
        candidates = [(t, hop) for t in hop.hop.timeouts if t.value_s is not None]
        candidates += [(t, a) for a in app_hops or [] for t in a.hop.timeouts if t.value_s is not None]
        f.evidence["served_by"] = str(hop.block) if hop.block else hop.hop.name
        if f.fix and hop.block is not None and f.hop == HopKind.PROXY:
            f.fix += f" — {hop.block_label} at {_at(hop.block)}"
        if f.rule == "retry-multiplies-wait" and hop.retry is not None:
            retry = hop.retry
            f.location = retry.location
            read = hop.hop.first_cut()
            f.configured_s = read.value_s if read is not None else None
            default = "" if retry.explicit else ", the default,"
            f.message += (
                f" The retries come from `{retry.directive} {retry.conditions}`{default} at {_at(retry.location)}."
            )
            continue
        if f.cutoff_s is None:
            t = hop.hop.first_cut()
            if t is not None:
                f.location, f.configured_s = t.location, t.value_s
                f.message += f" The location serving it is {label}: {_written(hop, t.value_s)} at {_at(t.location)}."
            continue
        cut = f.cutoff_s
        match = next(((t, h) for t, h in candidates if abs((t.value_s or 0) - cut) <= tolerance(cut)), None)
        if match is not None:
            t, h = match
            f.location, f.configured_s = t.location, t.value_s
            f.evidence["config_match"] = {"component": t.component, "setting": t.setting, "value_s": t.value_s}
            f.message += f" The cut-off at {fmt_s(cut)} matches `{_written(h, t.value_s)}` at {_at(t.location)}" + (
                f" ({h.block_label})." if h is hop else f" ({h.hop.name})."
            )
        else:
            shown = ", ".join(f"`{_written(h, t.value_s)}` at {_at(t.location)}" for t, h in candidates[:3])
            f.location = hop.block
            f.message += (
                f" No timeout configured on this route is near {fmt_s(cut)} ({label} has {shown or 'none'}): "
                "the cut comes from another hop (an edge, the app server, the client)."
            )


def _cut_near(rs: RouteStats, value: float) -> tuple[int, int]:
    """(requests, upstream attempts) that ended at about ``value``."""
    tol = tolerance(value)
    lo, hi = max(0.0, value - tol), value + tol
    requests = sum(h.count_between(lo, hi) for o, h in rs.durations.items() if Outcome(o).is_failure)
    attempts = sum(h.count_between(lo, hi) for h in rs.attempt_timeouts.values())  # tries of retried requests
    return requests, attempts


def _ok_beyond(rs: RouteStats, value: float) -> int:
    ok = rs.durations.get(Outcome.OK.value)
    if ok is None:
        return 0
    return ok.count_between(value + tolerance(value), float("inf"))


def confirm_config_findings(findings: list[Finding], logged: list[LoggedRoute]) -> None:
    """Say in every config finding whether the logs of the routes its block serves confirm it."""
    for f in findings:
        if f.rule in LOG_RULES and f.confidence == "measured":
            continue
        block = f.evidence.get("block")
        served = [lr for lr in logged if lr.hop is not None and block is not None and str(lr.hop.block) == block]
        if not served or f.configured_s is None:
            continue
        requests = sum(lr.stats.requests for lr in served)
        if f.rule == "keepalive-race":
            closed = sum(lr.stats.errors.get("upstream-closed", 0) for lr in served)
            verdict = "confirmed" if closed else "not seen"
            detail = (
                f"{closed} 'upstream prematurely closed' errors in the error log"
                if closed
                else "no premature closes logged"
            )
        elif f.rule == "retry-multiplies-wait":
            retried = sum(lr.stats.retried_timeouts for lr in served)
            verdict = "confirmed" if retried else "not seen"
            detail = f"{retried} requests were retried after a timeout" if retried else "no retried timeouts logged"
        else:
            value = f.cutoff_s if f.cutoff_s is not None else f.configured_s
            near = [_cut_near(lr.stats, value) for lr in served]
            cut, tries = sum(n for n, _ in near), sum(n for _, n in near)
            longer = sum(_ok_beyond(lr.stats, value) for lr in served)
            if cut:
                verdict, detail = "confirmed", f"{cut} requests were cut at about {fmt_s(value)}"
            elif tries:
                verdict, detail = (
                    "confirmed",
                    f"{tries} upstream attempts (of retried requests) ended at about {fmt_s(value)}",
                )
            elif longer:
                verdict = "contradicted"
                detail = (
                    f"{longer} requests succeeded after more than {fmt_s(value)}: the running configuration "
                    "may differ from this one"
                )
            else:
                verdict, detail = "not seen", f"no request was cut at about {fmt_s(value)}"
        f.evidence["logs"] = {"verdict": verdict, "requests": requests, "detail": detail}
        f.message += f" Logs: {verdict} — {detail} ({requests} requests on the routes it serves)."
