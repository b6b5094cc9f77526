"""gunicorn-sync-worker: a long-poll served by gunicorn sync workers.

A sync worker handles one request at a time and is killed when it is busy longer than ``--timeout`` (30 s
by default): a long-poll held for the timeout or longer is cut (gunicorn 22.0+ answers 500, older versions
close the socket, nginx logs 502 "upstream prematurely closed"; [E] gunicorn 27.0.1). The timeout is a real
request limit only for sync workers; gthread and async workers just heartbeat. Error when the timeout is
at or below the hold, warning within the margin, info otherwise (each held request occupies a whole worker).

Examples: ``rules/checks/gunicorn-sync-worker.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
gunicorn-sync-worker`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel, at, base_evidence, finding, render
from lpdoctor.model import Finding, Severity
from lpdoctor.model.margin import judge, suggest
from lpdoctor.text.durations import fmt_s

RULE_ID = "gunicorn-sync-worker"


def check(model: CheckModel) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for rc in model.chains:
        for facts in rc.facts:
            if facts.hop.component != "gunicorn" or (facts.worker_class or "sync") != "sync":
                continue
            timer = next((t for t in facts.hop.timeouts if t.setting == "timeout"), None)
            if timer is None:
                continue
            key = (at(timer.location), rc.route)
            if key in seen:
                continue
            seen.add(key)
            margin = rc.margin(rc.hold_s)
            severity = judge(timer.value_s, rc.hold_s, margin) if timer.value_s else None
            origin = (
                f"--timeout {fmt_s(timer.value_s)}, {at(timer.location)}"
                if timer.explicit
                else "--timeout default 30 s"
            )
            if severity == Severity.ERROR:
                message = (
                    f"{rc.route}: gunicorn sync workers are killed after {fmt_s(timer.value_s)} ({origin}), "
                    f"within the {fmt_s(rc.hold_s)} hold: every silent long-poll ends in a killed worker (500 from "
                    "gunicorn 22, 502 before)."
                )
            elif severity == Severity.WARNING:
                message = (
                    f"{rc.route}: gunicorn sync workers are killed after {fmt_s(timer.value_s)} ({origin}), only "
                    f"{fmt_s((timer.value_s or 0) - rc.hold_s)} after the {fmt_s(rc.hold_s)} hold."
                )
            else:
                severity = Severity.INFO
                message = (
                    f"{rc.route}: served by gunicorn sync workers ({origin}): each long-poll occupies a whole "
                    f"worker for up to {fmt_s(rc.hold_s)}, so a few idle clients exhaust the pool."
                )
            value = suggest(rc.hold_s, margin)
            yield finding(
                RULE_ID,
                severity,
                message,
                facts,
                timer,
                rc,
                render(RULE_ID, facts, timer, value, rc),
                explanation="Sync workers are meant for short requests; long-polls belong on gthread or async workers.",
                evidence=base_evidence(rc, facts, timer),
            )
