"""sozune-sozu-ceiling: Sōzu's own 30 s timeouts sit in front of Sōzune's ``backendTimeout``.

Sōzune builds its Sōzu listeners with ``ListenerBuilder::new_http/new_https(…).to_http(None)/.to_tls(None)``
(kemeter/sozune ``src/proxy/sozu/mod.rs``) and has no setting for Sōzu's listener timeouts, so Sōzu 2.1.0's
defaults stay in force (``command/src/config.rs``): ``back_timeout`` 30 s of backend inactivity, and for
HTTP/2 clients a per-stream idle timeout of ``max(30, back_timeout)`` = 30 s (sozu 82338600). A route with
``backendTimeout`` is sent through Sōzu to Sōzune's middleware on 127.0.0.1:3037, so Sōzu's 30 s timer
still runs on that hop, in front of the middleware that applies ``backendTimeout``.

So a long-poll that stays silent for 30 s is likely cut at about 30 s even with ``backendTimeout=60`` or
``0`` — the fix Sōzune's own long-polling page gives. This is **inferred from the code, not reproduced**
(Sōzune's e2e tests cover no silence over 30 s): always a warning, never an error, with what to verify.

Examples: ``rules/checks/sozune-sozu-ceiling.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
sozune-sozu-ceiling`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel, judge, wait_of
from lpdoctor.dialects.sozune.routes import SOZU_BACK_TIMEOUT_S, SOZU_CEILING_S, SOZU_H2_STREAM_IDLE_S, SozuneRoute
from lpdoctor.dialects.sozune.source import SozuneHopFacts, SozuneSource
from lpdoctor.model import Finding, Semantics, Severity, SourceLocation, Timeout
from lpdoctor.text.durations import fmt_s

RULE_ID = "sozune-sozu-ceiling"
CONFIDENCE = "inferred from the code, not reproduced"
CODE_EVIDENCE = (
    "kemeter/sozune src/proxy/sozu/mod.rs: listeners built with ListenerBuilder::new_http/new_https(...)"
    ".to_http(None)/.to_tls(None), so no Sōzu timeout is set",
    "kemeter/sozune src/config.rs: no key or environment variable for Sōzu's front/back/connect/request timeouts",
    "sozu-proxy/sozu 2.1.0 command/src/config.rs: back_timeout default 30 s (backend inactivity), front 60 s",
    "sozu-proxy/sozu 82338600: HTTP/2 per-stream idle timeout max(30, back_timeout) = 30 s, logged H2::IdleTimeout",
    "kemeter/sozune src/proxy/sozu/mod.rs: a route with backendTimeout gets backend 127.0.0.1:3037 "
    "(the middleware), through the same Sōzu listener",
)


def _ceiling() -> Timeout:
    return Timeout(
        "sozu",
        "back_timeout",
        SOZU_CEILING_S,
        Semantics.IDLE,
        SourceLocation(None, None, "Sōzu listener default (Sōzune cannot change it)"),
        explicit=False,
    )


def _timers(route: SozuneRoute) -> str:
    parts = [f"back_timeout {fmt_s(SOZU_BACK_TIMEOUT_S)} (backend inactivity)"]
    if route.tls:
        parts.append(f"the HTTP/2 per-stream idle timeout {fmt_s(SOZU_H2_STREAM_IDLE_S)} (HTTPS clients use h2)")
    return " and ".join(parts)


def _likely(route: SozuneRoute) -> str:
    return "likely still end" if route.tls else "likely still ends"


def _configured(route: SozuneRoute) -> str:
    s = route.settings.get("backendTimeout")
    if route.backend_timeout is None or s is None:
        return "no backendTimeout (30 s)"
    if route.backend_timeout == 0:
        return f"{s.key}=0 (no timeout)" if route.form != "file" else "backend_timeout: 0 (no timeout)"
    v = route.backend_timeout
    return f"{s.key}={v}" if route.form != "file" else f"backend_timeout: {v}"


def _verify(route: SozuneRoute, path: str, hold_s: float | None) -> str:
    host = route.hosts[0] if route.hosts else "HOST"
    scheme = "https" if route.tls else "http"
    low = max(5, int(SOZU_CEILING_S) - 10)
    high = max(int(SOZU_CEILING_S) + 30, int((hold_s or 0) + 20))
    return (
        f"verify before relying on backendTimeout: lpdoctor probe '{scheme}://{host}{path}' --search {low}s..{high}s "
        "(with -H for the access token if the route needs one), or run lpdoctor scan on Sōzune's output and look for "
        "504s and ERROR-ACCESS … | H2::IdleTimeout lines at about 30 s. If the cut is confirmed: hold for less "
        "than ~25 s, have the backend send bytes more often than every 30 s, or serve this route through a proxy "
        "whose backend timeout you can raise."
    )


def _explanation(route: SozuneRoute) -> str:
    return (
        "Evidence: " + "; ".join(CODE_EVIDENCE) + ". "
        f"Confidence: {CONFIDENCE} — Sōzune's own long-polling page says backendTimeout=60 is enough, and its "
        "e2e tests cover no silence longer than 30 s. Bytes from the backend reset both idle timers; a backend "
        "that stays silent for the whole hold does not."
        + ("" if route.middleware else " This route does not even go through the middleware: Sōzu forwards it.")
    )


def _probe_path(route_text: str, route: SozuneRoute) -> str:
    if route_text.startswith("/"):
        return route_text
    return route.path if route.path_type != "Regex" else "/"


def check(model: CheckModel) -> Iterator[Finding]:
    covered: set[int] = set()
    ceiling = _ceiling()
    for rc in model.chains:
        for i, facts in enumerate(rc.facts):
            if not isinstance(facts, SozuneHopFacts) or facts.route is None:
                continue
            route = facts.route
            covered.add(id(route))
            wait = wait_of(rc, i, ceiling)
            if wait is None:
                continue
            margin = rc.margin(wait.seconds)
            if judge(SOZU_CEILING_S, wait.seconds, margin) is None:
                continue
            whatever = (
                "even once backendTimeout is raised"
                if route.backend_timeout is None
                else f"whatever backendTimeout says ({_configured(route)})"
            )
            message = (
                f"{rc.route}: Sōzu's own {_timers(route)}, which Sōzune never sets, {_likely(route)} silent "
                f"long-polls at about {fmt_s(SOZU_CEILING_S)} on {route.describe()} {whatever}, before "
                f"{wait.what} completes."
            )
            yield _finding(route, message, rc.route, rc.chain.host, rc.hold_s, facts, _probe_path(rc.route, route))
    for source in model.sources:
        if not isinstance(source, SozuneSource):
            continue
        for sfacts in source.all_facts():
            r = sfacts.route
            if r is None or id(r) in covered or r.backend_timeout is None:
                continue
            if r.backend_timeout != 0 and r.backend_timeout <= SOZU_CEILING_S:
                continue
            message = (
                f"{r.describe()}: {_configured(r)} lets requests run past {fmt_s(SOZU_CEILING_S)}, but "
                f"Sōzu's own {_timers(r)}, which Sōzune never sets, {_likely(r)} a request whose backend "
                f"stays silent for {fmt_s(SOZU_CEILING_S)}."
            )
            host = r.hosts[0] if r.hosts else None
            yield _finding(r, message, r.path_label, host, None, sfacts, _probe_path(r.path_label, r))


def _finding(
    route: SozuneRoute,
    message: str,
    label: str,
    host: str | None,
    hold_s: float | None,
    facts: SozuneHopFacts,
    probe_path: str,
) -> Finding:
    evidence: dict[str, object] = {
        "component": "sozu",
        "setting": "back_timeout",
        "sozu_back_timeout_s": SOZU_BACK_TIMEOUT_S,
        "backend_timeout_s": route.backend_timeout,
        "middleware": route.middleware,
        "entrypoint": route.id,
        "confidence": CONFIDENCE,
        "code": list(CODE_EVIDENCE),
        "hop_name": facts.hop.name,
    }
    if route.tls:
        evidence["h2_stream_idle_timeout_s"] = SOZU_H2_STREAM_IDLE_S
    return Finding(
        rule=RULE_ID,
        severity=Severity.WARNING,
        message=message,
        hop=facts.hop.kind,
        route=label,
        host=host,
        hold_s=hold_s,
        cutoff_s=SOZU_CEILING_S,
        evidence=evidence,
        fix=_verify(route, probe_path, hold_s),
        location=route.location_of("backendTimeout"),
        configured_s=None if route.backend_timeout in (None, 0) else float(route.backend_timeout or 0),
        explanation=_explanation(route),
        confidence="inferred",
    )
