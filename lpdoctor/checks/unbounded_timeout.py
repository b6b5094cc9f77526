"""unbounded-timeout: a proxy or edge on a long-poll route never gives up on the upstream.

A hop in front of the app with no timer at all (HAProxy without ``timeout server``, a Sōzune or Go
setting of 0, which there means "none") or an absurdly long one — over max(1 h, 10 x the hold) — lets
a stuck backend pin a connection and a worker forever; nobody ever answers the client. Mind each
component's meaning of 0: in nginx it is a zero timeout (rule ``zero-timeout``), elsewhere it is "none".

Examples: ``rules/checks/unbounded-timeout.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
unbounded-timeout`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel, at, base_evidence, finding, render
from lpdoctor.model import Finding, HopKind, Severity
from lpdoctor.model.margin import suggest
from lpdoctor.text.durations import fmt_s

RULE_ID = "unbounded-timeout"
ABSURD_MIN_S = 3600.0
ABSURD_HOLDS = 10.0


def check(model: CheckModel) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for rc in model.chains:
        limit = max(ABSURD_MIN_S, ABSURD_HOLDS * rc.hold_s)
        for facts in rc.facts:
            if facts.hop.kind not in (HopKind.PROXY, HopKind.EDGE) or not facts.hop.timeouts:
                continue
            first = facts.hop.first_cut()
            if first is not None and first.value_s is not None and first.value_s <= limit:
                continue
            t = first if first is not None else facts.hop.timeouts[0]
            key = (str(t.location or facts.block), rc.route)
            if key in seen:
                continue
            seen.add(key)
            value = suggest(rc.hold_s, rc.margin(rc.hold_s))
            if first is None:
                message = (
                    f"{rc.route}: {facts.hop.name} has no limit on waiting for the upstream "
                    f"({', '.join(x.setting for x in facts.hop.timeouts)}: none, {at(t.location)}): a stuck backend "
                    "holds the connection forever."
                )
            else:
                message = (
                    f"{rc.route}: {facts.hop.name} waits {fmt_s(t.value_s)} ({t.setting} at {at(t.location)}) for a "
                    f"{fmt_s(rc.hold_s)} hold: a stuck backend pins the connection for {fmt_s(t.value_s)}."
                )
            evidence = base_evidence(rc, facts, t)
            evidence["limit_s"] = limit
            yield finding(
                RULE_ID,
                Severity.WARNING,
                message,
                facts,
                t,
                rc,
                render(RULE_ID, facts, t, value, rc),
                explanation="Bound every hop a little above the hold so a hung upstream is cut and reported.",
                evidence=evidence,
            )
