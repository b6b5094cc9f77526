"""What every config rule shares: the model it checks, what a timer must outlast, fix lines, finding shape."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from lpdoctor import catalog
from lpdoctor.catalog.component_hops import catalog_entry, written
from lpdoctor.chains.chain import RouteChain
from lpdoctor.model import Finding, HopKind, Semantics, Severity, SourceLocation, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_GLOBAL, SCOPE_ROUTE, SCOPE_SERVER, HopFacts, ProxySource
from lpdoctor.model.margin import judge, suggest
from lpdoctor.text.durations import fmt_s, nginx_time

MAX_1XX_GO = 5  # net/http transport.go: max1xxResponses = 5 ("too many 1xx informational responses")


@dataclass(slots=True)
class CheckModel:
    """Everything the rules look at: the chains of the long-poll routes and the proxy configurations."""

    chains: list[RouteChain] = field(default_factory=list)
    sources: list[ProxySource] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Wait:
    """How long a timer must let a held request go silent, and why."""

    seconds: float
    what: str  # "the 30 s hold", "the 10 s keepalive interval"


def blocks_keepalive(facts: HopFacts, kind: str) -> bool:
    """Whether this hop keeps the server's keepalive from reaching the hops in front of it."""
    if kind == "102-processing":
        return facts.passes_interim is False
    return facts.buffering is not None and facts.buffering.value == "on"


def keepalive_reaches(rc: RouteChain, index: int) -> bool:
    """Whether the keepalive sent by the server reaches hop ``index`` (every hop behind it passes it on)."""
    ka = rc.chain.keepalive
    if ka is None:
        return False
    return not any(blocks_keepalive(f, ka.kind) for f in rc.facts[index + 1 :])


def wait_of(rc: RouteChain, index: int, t: Timeout) -> Wait | None:
    """What ``t`` must outlast on this route; None when nothing during a hold can make it fire."""
    hold = Wait(rc.hold_s, f"the {fmt_s(rc.hold_s)} hold")
    ka = rc.chain.keepalive
    if ka is None or not keepalive_reaches(rc, index):
        return hold
    if t.semantics == Semantics.IDLE:
        what = "102 Processing responses" if ka.kind == "102-processing" else "heartbeat bytes"
        return Wait(ka.interval_s, f"the {fmt_s(ka.interval_s)} keepalive interval ({what} reset this idle timer)")
    if t.semantics == Semantics.UNTIL_HEADERS and ka.kind == "bytes":
        return None  # the headers went out before the first heartbeat byte
    return hold


def default_entry(t: Timeout) -> catalog.ComponentTimeout | None:
    return catalog_entry(t.component, t.setting) or catalog_entry(t.component, t.setting.rsplit("/", 1)[-1])


def status_of(t: Timeout) -> int | None:
    entry = default_entry(t)
    return entry.status if entry is not None else None


def scope(facts: HopFacts, t: Timeout) -> str:
    if t.component == "ingress-nginx" and t.explicit:
        return SCOPE_ROUTE if "/" in t.setting else SCOPE_GLOBAL  # annotation vs ConfigMap key
    return facts.scope_of.get(t.setting, SCOPE_ROUTE if t.explicit else SCOPE_DEFAULT)


def at(loc: SourceLocation | None) -> str:
    if loc is None or loc.file is None:
        return loc.context if loc is not None and loc.context else "built-in default"
    return f"{loc.file}:{loc.line}" if loc.line else loc.file


def block_name(t: Timeout, fallback: str) -> str:
    """``http block``, ``server example.org block``: the block a timer was set in."""
    context = t.location.context if t.location and t.location.context else ""
    if not context:
        return fallback
    return context if " " in context and not context.startswith("server ") else f"{context} block"


def scope_words(facts: HopFacts, t: Timeout) -> str:
    s = scope(facts, t)
    if s == SCOPE_GLOBAL:
        return f"set for the whole {block_name(t, 'configuration')} at {at(t.location)}"
    if s == SCOPE_SERVER:
        return f"set for the whole {block_name(t, 'server')} at {at(t.location)}"
    if s == SCOPE_DEFAULT:
        return f"the built-in default ({at(t.location)})"
    return f"at {at(t.location)}"


def fix_values(facts: HopFacts, t: Timeout, value: float, rc: RouteChain | None) -> dict[str, object]:
    """Placeholders for fix templates: the new value in every spelling, and where the line goes."""
    block = facts.block_label or facts.hop.name
    block_at = at(facts.block)
    if scope(facts, t) == SCOPE_ROUTE and t.location is not None and t.location.file is not None:
        action, where = "set", f"at {at(t.location)} (in {block})"
    else:
        action, where = "add", f"to {block} ({block_at})"
    hold = rc.hold_s if rc is not None else None
    return {
        "route": rc.route if rc is not None else block,
        "setting": t.setting,
        "component_name": t.component,
        "current": written(t),
        "suggest": fmt_s(value),
        "suggest_nginx": nginx_time(value),
        "suggest_int": math.ceil(value),
        "suggest_ms": math.ceil(value * 1000),
        "action": action,
        "where": where,
        "block": block,
        "block_at": block_at,
        "directive_at": at(t.location),
        "hold": fmt_s(hold) if hold is not None else "the hold",
    }


def render(rule: str, facts: HopFacts, t: Timeout, value: float, rc: RouteChain | None, **extra: object) -> str | None:
    values = fix_values(facts, t, value, rc)
    own = getattr(facts, "fix_placeholders", None)  # hops that spell fixes in their own syntax (Sōzune labels)
    if callable(own):
        values.update(own(t, value))
    values.update(extra)
    return catalog.render_fix(rule, t.component, facts.hop.kind, **values)


def base_evidence(rc: RouteChain | None, facts: HopFacts, t: Timeout) -> dict[str, object]:
    ev: dict[str, object] = {
        "component": t.component,
        "setting": t.setting,
        "semantics": t.semantics.value,
        "explicit": t.explicit,
        "scope": scope(facts, t),
        "hop_name": facts.hop.name,
    }
    if facts.block is not None:
        ev["block"] = str(facts.block)
    if rc is not None and rc.chain.hold is not None:
        ev["hold_source"] = rc.chain.hold.source
        if rc.chain.hold.protocol:
            ev["protocol"] = rc.chain.hold.protocol
        if rc.chain.hold.detail:
            ev["hold_detail"] = rc.chain.hold.detail
    if t.note:
        ev["note"] = t.note
    return ev


def finding(
    rule: str,
    severity: Severity,
    message: str,
    facts: HopFacts,
    t: Timeout | None,
    rc: RouteChain | None,
    fix: str | None,
    explanation: str | None = None,
    evidence: dict[str, object] | None = None,
    cutoff_s: float | None = None,
    location: SourceLocation | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        message=message,
        hop=facts.hop.kind,
        route=rc.route if rc is not None else None,
        host=rc.chain.host if rc is not None else None,
        hold_s=rc.hold_s if rc is not None else None,
        cutoff_s=cutoff_s if cutoff_s is not None else (t.value_s if t is not None else None),
        evidence=dict(evidence or {}),
        fix=fix,
        location=location or (t.location if t is not None and t.location is not None else facts.block),
        configured_s=t.value_s if t is not None else None,
        explanation=explanation,
        confidence="configured",
    )


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A timer that cannot outlast what it must on a route, or only just: how bad, and against what."""

    severity: Severity
    wait: Wait
    margin: float


def shortfall(rc: RouteChain, index: int, t: Timeout) -> Shortfall | None:
    """Whether ``t`` (set, on hop ``index``) ends held requests of ``rc`` early or with too small a margin."""
    wait = wait_of(rc, index, t)
    if wait is None or t.value_s is None:
        return None
    margin = rc.margin(wait.seconds)
    severity = judge(t.value_s, wait.seconds, margin)
    return Shortfall(severity, wait, margin) if severity is not None else None


def shortfall_finding(
    rule: str, short: Shortfall, message: str, facts: HopFacts, t: Timeout, rc: RouteChain, explanation: str
) -> Finding:
    """The finding of a :func:`shortfall`: the value to set, the fix in the hop's syntax, the evidence."""
    assert t.value_s is not None
    value = suggest(short.wait.seconds, short.margin)
    evidence = base_evidence(rc, facts, t)
    evidence.update({"must_outlast_s": short.wait.seconds, "margin_s": short.margin, "suggested_s": value})
    fix = render(rule, facts, t, value, rc, max_hold=fmt_s(max(t.value_s - short.margin, 0)))
    return finding(rule, short.severity, message, facts, t, rc, fix, explanation=explanation, evidence=evidence)


def bounded(facts: HopFacts) -> Iterable[Timeout]:
    return (t for t in facts.hop.timeouts if t.value_s is not None)


def kind_word(kind: HopKind) -> str:
    return {
        HopKind.CLIENT: "client",
        HopKind.EDGE: "edge",
        HopKind.PROXY: "proxy",
        HopKind.SERVER: "app server",
        HopKind.APP: "app",
        HopKind.UNKNOWN: "hop",
    }[kind]
