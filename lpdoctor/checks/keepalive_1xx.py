"""keepalive-1xx: a long-poll kept alive with ``102 Processing`` that its clients or proxies cannot take.

A server may keep a held request alive by sending interim ``102 Processing`` responses every N seconds.
Two things break it:

- Go's HTTP client (``net/http``, also HTTP/2 and HTTP/3 in x/net and quic-go) accepts at most 5 interim
  responses before the final one and then fails with "too many 1xx informational responses"; a hold
  of H sends about H / N - 1 of them. Error for a Go client, warning when the client is unknown.
- nginx handles no upstream 1xx but 101 and 103: it takes the ``102`` for the final response and the real
  answer becomes its body ([E] nginx 1.22.1; nginx/nginx#1427). Error for every nginx hop on the route.

Examples: ``rules/checks/keepalive-1xx.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
keepalive-1xx`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from lpdoctor.checks.base import MAX_1XX_GO, CheckModel, finding
from lpdoctor.model import Finding, HopKind, Severity
from lpdoctor.text.durations import fmt_s

RULE_ID = "keepalive-1xx"
GO_CLIENTS = frozenset({"go-http-client"})


def interim_count(hold_s: float, interval_s: float) -> int:
    """Interim responses sent during one hold: one every ``interval_s`` before the final answer."""
    return max(0, math.ceil(hold_s / interval_s - 1e-9) - 1)


def check(model: CheckModel) -> Iterator[Finding]:
    for rc in model.chains:
        ka = rc.chain.keepalive
        if ka is None or ka.kind != "102-processing":
            continue
        origin = rc.spec.origin
        for facts in rc.facts:
            if facts.passes_interim is False:
                yield finding(
                    RULE_ID,
                    Severity.ERROR,
                    f"{rc.route}: {facts.hop.name} does not pass 102 Processing on: it takes the first one for "
                    "the final response and sends the real answer as its body.",
                    facts,
                    None,
                    rc,
                    "Send heartbeat bytes in the response body instead of 102 Processing (or remove this proxy "
                    "from the long-poll's path).",
                    evidence={"keepalive_interval_s": ka.interval_s, "hop_name": facts.hop.name},
                    location=facts.block,
                )
        count = interim_count(rc.hold_s, ka.interval_s)
        if count <= MAX_1XX_GO:
            continue
        client = next((f for f in rc.facts if f.hop.kind == HopKind.CLIENT), None)
        if client is not None and client.hop.component not in GO_CLIENTS:
            continue
        severity = Severity.ERROR if client is not None else Severity.WARNING
        who = "the Go client" if client is not None else "Go clients (net/http)"
        every = max(ka.interval_s, rc.hold_s / (MAX_1XX_GO + 1))
        facts = client or rc.facts[-1]
        yield finding(
            RULE_ID,
            severity,
            f"{rc.route}: a 102 Processing every {fmt_s(ka.interval_s)} during a {fmt_s(rc.hold_s)} hold is "
            f"{count} interim responses; {who} give up after {MAX_1XX_GO} ('too many 1xx informational responses').",
            facts,
            None,
            rc,
            f"Send 102 Processing no more often than every {fmt_s(math.ceil(every))} (at most {MAX_1XX_GO} per hold), or "
            "heartbeat bytes in the body instead.",
            evidence={"interim_responses": count, "limit": MAX_1XX_GO, "keepalive_interval_s": ka.interval_s},
            location=origin or facts.block,
            cutoff_s=ka.interval_s * (MAX_1XX_GO + 1),
        )
