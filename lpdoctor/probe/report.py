"""What a probe concludes, as a report: the endpoint, the measured chain and the findings (the cut, the hop
that made it and the fix; interim-response trouble), from a finished :class:`~lpdoctor.probe.analysis.CutSearch`."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from lpdoctor import catalog
from lpdoctor.model import Endpoint, Finding, HopKind, Keepalive, Report, Severity
from lpdoctor.probe.analysis import CutSearch, Judged, ProbeConclusion, SearchPlan, Verdict
from lpdoctor.probe.measurement import (
    FAILURE_WORDS,
    OWN_TIMEOUT,
)
from lpdoctor.probe.target import HoldParam, hide_userinfo, host_of
from lpdoctor.scan.routes import normalize_path
from lpdoctor.text.durations import fmt_s, nginx_time

# ---------------------------------------------------------------------------------------------------------
# The report


@dataclass
class ProbeTarget:
    url: str
    hold: HoldParam | None
    url_hold_s: float | None  # the hold the URL asks for as given


def route_of(url: str) -> str:
    return normalize_path(urlsplit(url).path or "/")


def build_probe_report(target: ProbeTarget, search: CutSearch, conclusion: ProbeConclusion) -> Report:
    """The probe's results in the same Report model scan uses."""
    route = route_of(target.url)
    plan = search.plan
    report = Report(command="probe")
    measurements = [j.m for j in search.judged]
    target_hold = plan.target_hold_s
    held = [j.at_s for j in search.judged]
    statuses = Counter(
        str(j.m.status) if j.m.failure is None and j.m.status is not None else (j.m.failure or "-")
        for j in search.judged
    )
    observed = None
    if held:
        ordered = sorted(held)
        observed = {
            "p50_s": round(ordered[len(ordered) // 2], 3),
            "p95_s": round(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)], 3),
            "max_s": round(ordered[-1], 3),
        }
    cut_reported = conclusion.cut_s if conclusion.state in ("cut", "below-range", "inconsistent") else None
    host = host_of(target.url)
    report.endpoints.append(
        Endpoint(
            route=route,
            host=host,
            requests=len(measurements),
            long_poll=True,
            hold_s=target_hold,
            observed=observed,
            failures=len(conclusion.evidence) if conclusion.state != "no-cut" else 0,
            cutoff_s=cut_reported,
            extra={
                "requested_hold_s": target.url_hold_s,
                "detected_by": "probe",
                "statuses": dict(statuses.most_common(10)),
                "protocol": target.hold.protocol if target.hold else None,
                "hold_param": target.hold.describe() if target.hold else None,
                "bracket_s": [_r(conclusion.lo_s), _r(conclusion.hi_s)],
                "keepalive": _keepalive_dict(conclusion.keepalive),
            },
        )
    )
    report.stats["probe"] = {
        "url": hide_userinfo(target.url),
        "state": conclusion.state,
        "stop_reason": conclusion.stop_reason,
        "cut_s": conclusion.cut_s,
        "bracket_s": [_r(conclusion.lo_s), _r(conclusion.hi_s)],
        "measured_by": conclusion.measured_by,
        "attempts": conclusion.attempts,
        "client_wait_s": conclusion.client_wait_s,
        "hop": conclusion.hop.hop.value if conclusion.hop else None,
        "interim_max": max((len(j.m.interim) for j in search.judged), default=0),
        "search": {"low_s": plan.low_s, "high_s": plan.high_s, "resolution_s": plan.resolution_s},
        "requests": [dict(j.m.as_dict(), verdict=j.verdict.value) for j in search.judged],
    }
    for j in search.judged:
        hold = f"hold {fmt_s(j.m.hold_s)}" if j.m.hold_s is not None else "as given"
        report.notes.append(f"request {j.m.index}: {hold} → {j.m.describe()} [{j.verdict.value}]")
    report.findings.extend(probe_findings(route, host, target, search, conclusion))
    note = _state_note(conclusion, plan)
    if note:
        report.notes.append(note)
    report.findings.sort(key=lambda f: f.sort_key())
    report.stats["routes"] = 1
    report.stats["long_poll_routes"] = 1
    return report


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _keepalive_dict(k: Keepalive | None) -> dict[str, object] | None:
    return None if k is None else {"kind": k.kind, "interval_s": k.interval_s}


KEEPALIVE_WHY = (
    "Idle timers (nginx proxy_read_timeout, HAProxy timeout server, AWS ALB idle timeout, Cloudflare's proxy "
    "read timeout, httpx/requests read timeouts) restart on every byte, so they cannot cut these polls while "
    "the bytes keep coming; total timers (Envoy route timeout, GCP backend timeout, API Gateway, Go "
    "http.Client.Timeout) still can, and so can a hop that does not pass the bytes on."
)


def _keepalive_text(k: Keepalive) -> str:
    what = "102 Processing interim responses" if k.kind == "102-processing" else "bytes (heartbeats)"
    return f"The server sent {what} during the hold (longest silence {fmt_s(k.interval_s)})."


def _state_note(c: ProbeConclusion, plan: SearchPlan) -> str | None:
    if c.state == "no-cut":
        top = fmt_s(c.lo_s) if c.lo_s is not None else "-"
        text = f"No cut: the chain held every poll (longest {top})."
        if c.keepalive:
            text += " " + _keepalive_text(c.keepalive) + " A silent hold may still be cut by an idle timer."
        return text
    if c.stop_reason == "max-requests":
        return f"The search stopped at --max-requests ({plan.max_requests}); the bracket is still wide."
    if c.stop_reason == "max-time":
        if c.state == "incomplete":
            return (
                "The probe stopped at --max-time before it could measure anything about the chain: give it more "
                "time than the hold plus lpdoctor's own margin."
            )
        return "The search stopped at --max-time; the bracket is still wide."
    if c.state == "interim-lost":
        return None  # the keepalive-1xx finding says it
    if c.state == "unusable" and c.evidence:
        j = c.evidence[0]
        if j.verdict is Verdict.REJECTED:
            return (
                f"The endpoint answered {j.m.status} after {fmt_s(round(j.at_s, 2))}: the request itself was "
                "refused (check the URL, the hold parameter and --header); nothing was measured."
            )
        return f"The probe could not measure: {j.m.describe()}" + (f" ({j.m.error})" if j.m.error else "") + "."
    if c.state == "refused":
        return (
            f"Every recent request failed at once ({c.evidence[-1].m.describe() if c.evidence else 'refused'}): "
            "the chain refuses requests rather than cutting them — a proxy that marked its upstream servers down "
            "(nginx max_fails after timeouts), overload or a missing route."
        )
    if c.state == "incomplete":
        return "The probe stopped before it could measure a cut (budget or time limit)."
    if c.keepalive:
        return _keepalive_text(c.keepalive) + " " + KEEPALIVE_WHY
    return None


def probe_findings(route: str, host: str, target: ProbeTarget, search: CutSearch, c: ProbeConclusion) -> list[Finding]:
    findings = _cut_findings(route, host, target, search, c)
    findings += _interim_findings(route, host, search, c)
    return findings


def _cut_findings(route: str, host: str, target: ProbeTarget, search: CutSearch, c: ProbeConclusion) -> list[Finding]:
    if c.state not in ("cut", "below-range", "inconsistent", "max-requests", "max-time") or c.hop is None:
        return []
    plan = search.plan
    hold = plan.target_hold_s
    guess = c.hop
    lo, hi = c.lo_s, c.hi_s
    first = c.evidence[0].m if c.evidence else None
    walls = [j for j in c.evidence if j.wall_s is not None]
    bounded = [j for j in c.evidence if j.m.hold_s is not None]
    example = (
        walls[0]
        if walls and c.measured_by == "wall"
        else min(bounded, key=lambda j: j.m.hold_s or 0.0, default=c.evidence[0] if c.evidence else None)
    )
    held = max(search.of(Verdict.HELD), key=lambda j: j.at_s, default=None)

    proof = []
    if example is not None:
        proof.append(
            f"{_a(fmt_s(example.m.hold_s))} poll got {_ending(example)}" if example.m.hold_s else _ending(example)
        )
    if held is not None:
        proof.append(f"{_a(fmt_s(held.m.hold_s or held.at_s))} poll was answered")
    shown = " and ".join(proof)
    who = guess.reason

    t = c.cut_s
    if c.state == "below-range":
        where = f"below {fmt_s(hi)}" if hi is not None else "below the lowest hold tried"
        lead = f"{route}: the chain cuts every poll tried — the cut lies {where}"
    elif c.state == "inconsistent":
        seen = "; ".join(
            f"{fmt_s(j.m.hold_s) if j.m.hold_s is not None else 'as given'} → {_ending(j)}" for j in search.judged[:12]
        )
        lead = (
            f"{route}: polls are cut inconsistently: a poll held {fmt_s(lo)} succeeded while another failed by "
            f"{fmt_s(hi)} (seen: {seen}); several servers or hops with different timeouts, or a cut that does "
            "not depend on time alone — no cut-off can be trusted, and some polls fail"
        )
        shown = ""
    elif c.measured_by == "wall":
        lead = f"{route}: the chain cuts held requests at {fmt_s(t)}"
    else:
        lead = f"{route}: the chain cuts held requests between {fmt_s(lo)} and {fmt_s(hi)}"
    retry = ""
    if c.attempts > 1 and c.client_wait_s is not None:
        retry = (
            f" Each attempt was cut at {fmt_s(t)} and a proxy retried it on another upstream server: the client got "
            f"its answer only after {fmt_s(c.client_wait_s)} ({c.attempts}×)."
        )
    elif c.attempts > 1:
        retry = f" The proxy retried the dropped request: the client waited {c.attempts}× the hold."
    moved = ""
    if guess.idle_s is not None:
        same = sorted(
            {
                j.m.hold_s
                for j in walls
                if j.m.hold_s is not None and t is not None and abs(j.at_s - t) <= 0.25 + 0.05 * t
            }
        )
        if len(same) >= 2:
            polls = ", ".join(fmt_s(h) for h in same)
            moved = f" The wall did not move with the hold (polls of {polls} all ended at {fmt_s(t)})."
    body = f"{lead}{' — ' + shown if shown else ''}; {who}.{retry}{moved}"

    severity = Severity.ERROR
    reference = t if t is not None else hi
    if c.state == "inconsistent":
        severity = Severity.ERROR  # a CI step must not pass a chain where some polls die
    elif hold is not None and reference is not None:
        if reference <= hold + 0.05:
            body += f" Polls holding {fmt_s(hold)} can never complete."
        elif reference < hold + plan.margin(hold):
            severity = Severity.WARNING
            body += f" That is within {fmt_s(plan.margin(hold))} of the {fmt_s(hold)} hold: a race."
        else:
            severity = Severity.INFO
            body += f" That is above the {fmt_s(hold)} hold with room to spare."
    evidence: dict[str, object] = {
        "measured_by": c.measured_by,
        "requests": len(search.judged),
        "failures": len(c.evidence),
        "bracket_s": [_r(lo), _r(hi)],
        "outcome": first.outcome.value if first else None,
        "statuses": dict(Counter(str(j.m.status) if j.m.failure is None else (j.m.failure or "-") for j in c.evidence)),
    }
    if example is not None:
        evidence["example"] = {
            "hold_s": example.m.hold_s,
            "failed_after_s": round(example.at_s, 3),
            "ending": _ending(example),
        }
    if c.attempts > 1:
        evidence["attempts"] = c.attempts
        if c.client_wait_s is not None:
            evidence["client_wait_s"] = c.client_wait_s
    if first is not None and first.server:
        evidence["server_header"] = first.server
    if c.keepalive:
        evidence["keepalive"] = _keepalive_dict(c.keepalive)
    if target.hold:
        evidence["hold_param"] = target.hold.describe()
    if guess.alternative:
        body += f" {guess.alternative}."
    base_hold = hold if hold is not None else plan.high_s
    suggest = plan.suggest(base_hold)
    max_hold = (reference - plan.margin(reference)) if reference else None
    fix = catalog.render_fix(
        "hold-cut",
        guess.component if guess.component != "*" else "",
        guess.hop,
        route=route,
        cut=fmt_s(reference) if reference else "the cut-off",
        suggest=fmt_s(suggest),
        suggest_nginx=nginx_time(suggest),
        suggest_int=int(suggest),
        max_hold=fmt_s(max_hold) if max_hold and max_hold > 0 else "the cut-off",
    )
    if guess.idle_s is not None:
        every = _floor_s(guess.idle_s)  # a measured silence is a little over the timer: never suggest above it
        fix = (
            f"Keep bytes flowing more often than every {fmt_s(every)} (response headers at once, then a heartbeat "
            f"byte every {fmt_s(_floor_s(every / 2))}), or raise the idle timeout of the LB/edge above "
            f"{fmt_s(suggest)} (HAProxy mode tcp: timeout client and timeout server; a cloud LB's idle timeout)."
        )
        evidence["idle_cut_s"] = guess.idle_s
    if guess.alternative:
        evidence["alternative"] = guess.alternative
    explanation = None
    if c.keepalive:
        explanation = _keepalive_text(c.keepalive) + " " + KEEPALIVE_WHY
    findings = [
        Finding(
            rule="hold-cut",
            severity=severity,
            message=body,
            hop=guess.hop,
            route=route,
            host=host,
            hold_s=hold,
            cutoff_s=t,
            evidence=evidence,
            fix=fix,
            explanation=explanation,
            confidence="measured" if c.measured_by == "wall" else "bracketed",
        )
    ]
    if c.attempts > 1 and guess.hop in (HopKind.PROXY, HopKind.SERVER):
        wait = f" after {fmt_s(c.client_wait_s)}" if c.client_wait_s else ""
        findings.append(
            Finding(
                rule="retry-multiplies-wait",
                severity=Severity.WARNING,
                message=(
                    f"{route}: a poll the chain cut came back only{wait}, {c.attempts}× the "
                    f"{'cut' if c.client_wait_s else 'hold'}: a proxy resent it to another attempt "
                    "(nginx proxy_next_upstream), so clients wait longer and every attempt counts as a failure."
                ),
                hop=HopKind.PROXY,
                route=route,
                host=host,
                hold_s=hold,
                cutoff_s=t,
                evidence={"attempts": c.attempts, "client_wait_s": c.client_wait_s, "measured_by": "probe"},
                fix=catalog.render_fix(
                    "retry-multiplies-wait",
                    guess.component if guess.component != "*" else "nginx",
                    HopKind.PROXY,
                    route=route,
                ),
                confidence="measured",
            )
        )
    return findings


def _floor_s(seconds: float) -> float:
    """Rounded down: to 0.1 s below 10 s, to 1 s above."""
    return float(math.floor(seconds)) if seconds >= 10 else math.floor(seconds * 10) / 10


def _a(number: str) -> str:
    """``a 5 s``, ``an 8 s``, ``an 11 s``, ``an 18.5 s``."""
    spoken_vowel = number.startswith("8") or (number[:2] in ("11", "18") and not number[2:3].isdigit())
    return f"{'an' if spoken_vowel else 'a'} {number}"


def _ending(j: Judged) -> str:
    m = j.m
    if m.failure is None and m.status is not None:
        return f"{m.status} after {fmt_s(round(j.at_s, 2))}"
    word = FAILURE_WORDS.get(m.failure or "", "a failure")
    return f"{word} after {fmt_s(round(j.at_s, 2))}"


GO_MAX_1XX = 5  # golang/go src/net/http/transport.go: max1xxResponses = 5 (checked in Go 1.19.8)


def _interim_findings(route: str, host: str, search: CutSearch, c: ProbeConclusion) -> list[Finding]:
    """What interim (1xx) responses mean for the chain: a hop that loses the answer after them, and clients
    that cannot take many of them."""
    findings: list[Finding] = []
    if c.state == "interim-lost" and c.evidence and c.hop is not None:
        j = c.evidence[0]
        m = j.m
        ended = "lpdoctor stopped waiting" if m.failure == OWN_TIMEOUT else "the connection closed"
        guess = c.hop
        message = (
            f"{route}: an interim {m.interim[0][0]} reached lpdoctor but the final answer never did — {ended} after "
            f"{fmt_s(round(j.at_s, 2))} on {_a(fmt_s(m.hold_s)) + ' poll' if m.hold_s else 'the poll'}; "
            f"{guess.reason}."
        )
        if guess.alternative:
            message += f" {guess.alternative}."
        evidence: dict[str, object] = {
            "interim": len(m.interim),
            "interim_status": m.interim[0][0],
            "ended_after_s": round(j.at_s, 3),
            "ending": m.failure,
        }
        if m.interim_server:
            evidence["interim_server"] = m.interim_server
        findings.append(
            Finding(
                rule="keepalive-1xx",
                severity=Severity.ERROR,
                message=message,
                hop=guess.hop,
                route=route,
                host=host,
                hold_s=search.plan.target_hold_s,
                evidence=evidence,
                fix=(
                    "Send heartbeats as bytes of a 200 body (response headers at once, then a byte every few "
                    "seconds) instead of 102 Processing: "
                    + (
                        "nginx cannot pass interim responses on."
                        if guess.component == "nginx"
                        else "some hop loses them."
                    )
                ),
                confidence="measured",
            )
        )
    most = max(search.judged, key=lambda x: len(x.m.interim), default=None)
    if most is not None and len(most.m.interim) > GO_MAX_1XX:
        n = len(most.m.interim)
        findings.append(
            Finding(
                rule="keepalive-1xx",
                severity=Severity.WARNING,
                message=(
                    f"{route}: a poll got {n} interim {most.m.interim[0][0]} responses before its answer: Go's "
                    f'net/http client before Go 1.24 fails a request at the {GO_MAX_1XX + 1}th ("net/http: too many '
                    f'1xx informational responses"; max1xxResponses = {GO_MAX_1XX} in src/net/http/transport.go, '
                    "golang/go#65035), and so does a Go proxy in between built with an older Go (caddyserver/caddy#5616)."
                ),
                hop=HopKind.CLIENT,
                route=route,
                host=host,
                hold_s=search.plan.target_hold_s,
                evidence={"interim": n, "limit": GO_MAX_1XX, "hold_s": most.m.hold_s},
                fix=(
                    f"Send at most {GO_MAX_1XX} interim responses per poll (one every hold/{GO_MAX_1XX} or less "
                    "often), or heartbeat bytes in a 200 body; Go 1.24 and later bound 1xx responses by header "
                    "bytes instead."
                ),
                confidence="measured",
            )
        )
    return findings
