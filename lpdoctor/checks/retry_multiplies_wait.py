"""retry-multiplies-wait: a timed-out long-poll is resent to the next upstream server.

nginx's ``proxy_next_upstream`` defaults to ``error timeout``: a long-poll that reaches the read timeout is
sent again to the next server of the upstream group, so the client waits N x the timeout, and every timeout
counts against that server's ``max_fails`` (default 1 in ``fail_timeout`` 10 s): healthy servers are marked
down and other requests get 502 "no live upstreams". ingress-nginx retries 3 times by default. Reported for
long-poll locations whose upstream has more than one server (or an unknown number) and whose retry policy
includes ``timeout``.

Examples: ``rules/checks/retry-multiplies-wait.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
retry-multiplies-wait`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel, at, base_evidence, finding, render, written
from lpdoctor.model import Finding, Severity
from lpdoctor.text.durations import fmt_s

RULE_ID = "retry-multiplies-wait"


def check(model: CheckModel) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for rc in model.chains:
        for facts in rc.proxies():
            retry = facts.retry
            if retry is None or not retry.on_timeout:
                continue
            if retry.attempts is not None and retry.attempts <= 1:
                continue
            read = facts.hop.first_cut()
            key = (at(retry.location), facts.block_label or "")
            if key in seen or read is None or read.value_s is None:
                continue
            seen.add(key)
            n = retry.attempts
            how = "" if retry.explicit else " (the default)"
            group = f"upstream {retry.upstream}" if retry.upstream else "the upstream"
            if n is None:
                count = f"{group} (its servers are chosen per request)"
                wait = "a multiple of"
            else:
                if retry.servers is None:
                    count = f"up to {n} servers of {group}"
                elif n >= retry.servers:
                    count = f"{n} servers of {group}"
                else:
                    count = f"{n} of the {retry.servers} servers of {group}"
                wait = f"up to {fmt_s(n * read.value_s)}, {n} x"
            message = (
                f"{rc.route}: {facts.block_label} resends a timed-out request to the next server "
                f"({retry.directive} {retry.conditions}{how}, {at(retry.location)}); across {count} a long-poll "
                f"that reaches {written(read)} makes the client wait {wait} the timeout, and each timeout marks a "
                "healthy server as failed."
            )
            evidence = base_evidence(rc, facts, read)
            evidence.update({"attempts": n, "servers": retry.servers, "conditions": retry.conditions})
            if retry.upstream_location is not None:
                evidence["upstream_at"] = at(retry.upstream_location)
            fix = render(RULE_ID, facts, read, read.value_s, rc, directive=retry.directive, conditions=retry.conditions)
            if fix:
                fix += f" — {facts.block_label} at {at(facts.block)}"
            yield finding(
                RULE_ID,
                Severity.WARNING,
                message,
                facts,
                read,
                rc,
                fix,
                explanation=(
                    "A long-poll that times out has not failed: the server had nothing to say. Retrying it doubles "
                    "the wait and, with max_fails=1, takes servers out for fail_timeout (10 s)."
                ),
                evidence=evidence,
                location=retry.location,
            )
