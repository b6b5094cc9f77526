"""timeout-order: an outer hop gives up before an inner one.

Timeouts should grow from the inside out: app server < proxy < edge < client. When an outer hop's timer
(the one that would fire during a silent wait) is shorter than an inner hop's, the outer one cuts first:
the client gets the outer hop's error (504 from the load balancer, a client-side timeout) while the inner
hops keep waiting — and the app keeps working — for nobody, and the logs of the inner hops show nothing.
Pairs where the outer timer is already below the hold are left to ``timeout-below-hold``.

Examples: ``rules/checks/timeout-order.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
timeout-order`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from lpdoctor.chains.chain import RouteChain
from lpdoctor.checks.base import CheckModel, at, base_evidence, finding, render, wait_of
from lpdoctor.model import Finding, Severity, Timeout
from lpdoctor.text.durations import fmt_s

RULE_ID = "timeout-order"


def _cut(rc: RouteChain, index: int) -> Timeout | None:
    """The timer of hop ``index`` that fires first during a wait (idle timers a keepalive resets do not fire)."""
    best: Timeout | None = None
    for t in rc.facts[index].hop.timeouts:
        if not t.value_s:
            continue
        wait = wait_of(rc, index, t)
        if wait is None or (wait.seconds < rc.hold_s and t.value_s > wait.seconds):
            continue  # reset by the keepalive before it can fire
        if best is None or t.value_s < (best.value_s or 0):
            best = t
    return best


def check(model: CheckModel) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for rc in model.chains:
        cuts = [(i, t) for i in range(len(rc.facts)) if (t := _cut(rc, i)) is not None]
        for (i, outer), (j, inner) in itertools.pairwise(cuts):
            assert outer.value_s is not None and inner.value_s is not None
            if outer.value_s >= inner.value_s or outer.value_s < rc.hold_s + rc.margin(rc.hold_s):
                continue
            facts, inner_facts = rc.facts[i], rc.facts[j]
            key = (at(outer.location), at(inner.location))
            if key in seen:
                continue
            seen.add(key)
            message = (
                f"{rc.route}: {facts.hop.name} gives up after {fmt_s(outer.value_s)} ({outer.setting} at "
                f"{at(outer.location)}), before {inner_facts.hop.name} behind it ({fmt_s(inner.value_s)}, "
                f"{inner.setting} at {at(inner.location)}): on a slow backend the outer hop answers while the "
                "inner ones keep waiting for nobody."
            )
            evidence = base_evidence(rc, facts, outer)
            evidence.update(
                {"inner_hop": inner_facts.hop.name, "inner_setting": inner.setting, "inner_s": inner.value_s}
            )
            target = inner.value_s + rc.margin(inner.value_s)
            yield finding(
                RULE_ID,
                Severity.WARNING,
                message,
                facts,
                outer,
                rc,
                render(RULE_ID, facts, outer, target, rc, inner=f"{inner.setting} {fmt_s(inner.value_s)}"),
                explanation="Make each hop wait a little longer than the hop behind it, so the innermost one "
                "that gives up is the one that reports why.",
                evidence=evidence,
            )
