"""global-timeout-raise: a long-poll's long timeout raised for a whole http or server block.

When the timer a long-poll route relies on is set above the component's default for the whole ``http``
block (or a whole ``server``) instead of in the long-poll ``location``, every other location inherits it: a
stuck backend behind an ordinary API call now hangs for minutes before the 504 that would have shown the
problem. Raise it where the long-poll is served, and leave the rest at a short value.

Examples: ``rules/checks/global-timeout-raise.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
global-timeout-raise`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import (
    CheckModel,
    at,
    base_evidence,
    block_name,
    default_entry,
    finding,
    render,
    scope,
    written,
)
from lpdoctor.model import Finding, HopKind, Severity
from lpdoctor.model.hops import SCOPE_GLOBAL, SCOPE_SERVER
from lpdoctor.text.durations import fmt_s

RULE_ID = "global-timeout-raise"


def check(model: CheckModel) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for rc in model.chains:
        for facts in rc.facts:
            if facts.hop.kind != HopKind.PROXY:
                continue
            for t in facts.hop.timeouts:
                where = scope(facts, t)
                entry = default_entry(t)
                if where not in (SCOPE_GLOBAL, SCOPE_SERVER) or t.value_s is None or entry is None:
                    continue
                default = entry.value_s
                if default is None or t.value_s <= float(default):
                    continue
                key = (at(t.location), facts.block_label or "")
                if key in seen:
                    continue
                seen.add(key)
                block = block_name(t, "configuration")
                message = (
                    f"{written(t)} is raised for the whole {block} at {at(t.location)}, above the "
                    f"{fmt_s(float(default))} default, instead of only in {facts.block_label} where {rc.route} "
                    f"is served: every other location also waits {fmt_s(t.value_s)} on a stuck backend."
                )
                evidence = base_evidence(rc, facts, t)
                evidence["default_s"] = float(default)
                yield finding(
                    RULE_ID,
                    Severity.WARNING,
                    message,
                    facts,
                    t,
                    rc,
                    render(RULE_ID, facts, t, t.value_s, rc, default=fmt_s(float(default)), scope=block),
                    explanation=(
                        "A long timeout everywhere hides real backend failures: ordinary requests hang instead of "
                        "failing fast. Long-polls are the exception; set the exception where they are served."
                    ),
                    evidence=evidence,
                )
