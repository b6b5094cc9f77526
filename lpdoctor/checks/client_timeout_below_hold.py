"""client-timeout-below-hold: the clients give up before the server answers a held request.

The client's read (or total) timeout is compared with the hold — or, for an idle read timeout that the
server's keepalive reaches, with the keepalive interval. At or below it: error; within the margin,
max(5 s, 10 % of the hold): warning. nginx logs such requests as 499, HAProxy as ``CD``/``CH``.

Examples: ``rules/checks/client-timeout-below-hold.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
client-timeout-below-hold`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel, shortfall, shortfall_finding, written
from lpdoctor.model import Finding, HopKind, Severity
from lpdoctor.text.durations import fmt_s

RULE_ID = "client-timeout-below-hold"


def check(model: CheckModel) -> Iterator[Finding]:
    for rc in model.chains:
        for i, facts in enumerate(rc.facts):
            if facts.hop.kind != HopKind.CLIENT:
                continue
            for t in facts.hop.timeouts:
                if not t.value_s:
                    continue
                short = shortfall(rc, i, t)
                if short is None:
                    continue
                wait = short.wait
                origin = "its default" if not t.explicit else f"set at {t.location}"
                if short.severity == Severity.ERROR:
                    message = (
                        f"{rc.route}: the client ({facts.hop.name}) gives up after {fmt_s(t.value_s)} "
                        f"({written(t)}, {origin}), before {wait.what} ends."
                    )
                else:
                    message = (
                        f"{rc.route}: the client's {written(t)} ({origin}) is only {fmt_s(t.value_s - wait.seconds)} "
                        f"above {wait.what}: slow answers are abandoned."
                    )
                yield shortfall_finding(
                    RULE_ID,
                    short,
                    message,
                    facts,
                    t,
                    rc,
                    explanation=(
                        "The client closes the connection and retries; the proxy logs it as a client abort "
                        "(nginx 499) and the event that would have ended the hold arrives on the next poll, late."
                    ),
                )
