"""zero-timeout: an nginx timeout of 0, which is a zero timeout, not "no limit".

In nginx ``proxy_read_timeout 0`` (and its ``fastcgi_``/``uwsgi_``/``scgi_``/``grpc_`` twins, and the
ingress-nginx annotation ``"0"``) arms a timer that fires at once: every request through that location is
answered 504 "upstream timed out" immediately ([E] nginx 1.22.1: 504 after 0.4 ms). Elsewhere 0 means no
limit (HAProxy, Go, Sōzune, gunicorn ...), which is why people write it. Every location is checked, long-poll
or not: the location is broken for every request.

Examples: ``rules/checks/zero-timeout.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
zero-timeout`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.catalog.component_hops import ZERO_IS_ZERO
from lpdoctor.checks.base import CheckModel, at, base_evidence, default_entry, finding, render, written
from lpdoctor.model import Finding, Severity, Timeout
from lpdoctor.model.hops import HopFacts
from lpdoctor.model.margin import suggest
from lpdoctor.text.durations import fmt_s

RULE_ID = "zero-timeout"


def check(model: CheckModel) -> Iterator[Finding]:
    seen: set[tuple[str | None, int | None, str]] = set()
    candidates: list[tuple[Timeout, HopFacts]] = []
    for source in model.sources:
        candidates.extend(source.all_timers())
    for rc in model.chains:
        candidates.extend((t, f) for f in rc.facts for t in f.hop.timeouts)
    for t, facts in candidates:
        if t.value_s != 0 or t.component not in ZERO_IS_ZERO:
            continue
        key = (t.location.file if t.location else None, t.location.line if t.location else None, t.setting)
        if key in seen:
            continue
        seen.add(key)
        chains = [rc for rc in model.chains if any(x is t or _same(x, t) for f in rc.facts for x in f.hop.timeouts)]
        holds = [rc.hold_s + rc.margin(rc.hold_s) for rc in chains]
        entry = default_entry(t)
        fallback = float(entry.value_s) if entry is not None and entry.value_s else 60.0
        value = suggest(max(holds), 0) if holds else fallback
        first = chains[0] if chains else None
        message = (
            f"{written(t)} at {at(t.location)} ({facts.block_label or facts.hop.name}) is a zero timeout: "
            f"{t.component} answers every request there with 504 at once. 0 does not mean 'no limit' in {t.component}."
        )
        evidence = base_evidence(first, facts, t)
        evidence["long_poll_routes"] = sorted({c.route for c in chains})
        yield finding(
            RULE_ID,
            Severity.ERROR,
            message,
            facts,
            t,
            first,
            render(RULE_ID, facts, t, value, first),
            explanation=(
                f"nginx arms the timer with 0 ms, so it fires before the upstream can answer; "
                f"use a large value instead (here {fmt_s(value)})."
            ),
            evidence=evidence,
            cutoff_s=0.0,
        )


def _same(a: Timeout, b: Timeout) -> bool:
    return a.setting == b.setting and a.location == b.location and a.value_s == b.value_s
