"""timeout-below-hold: a hop's timer ends long-polls before their hold completes.

For every long-poll route, every timer of every hop between the client and the app (edges, proxies, app
servers) is compared with what it must outlast: the hold, or — for an idle timer that the server's declared
keepalive reaches — the keepalive interval. At or below it: error (the hold can never complete). Above it
by less than the margin, max(5 s, 10 % of the hold): warning (holds that run a little long are cut).

Examples: ``rules/checks/timeout-below-hold.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
timeout-below-hold`` and run by ``tests/checks/test_rule_examples.py``).

Clients are :mod:`client_timeout_below_hold`; gunicorn's sync-worker timeout is :mod:`gunicorn_sync_worker`;
an nginx ``0`` is :mod:`zero_timeout`.
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import (
    CheckModel,
    at,
    kind_word,
    render,
    scope_words,
    shortfall,
    shortfall_finding,
    status_of,
    written,
)
from lpdoctor.model import Finding, HopKind, Severity, Timeout
from lpdoctor.model.hops import HopFacts
from lpdoctor.model.margin import suggest
from lpdoctor.text.durations import fmt_s

RULE_ID = "timeout-below-hold"


def check(model: CheckModel) -> Iterator[Finding]:
    for rc in model.chains:
        for i, facts in enumerate(rc.facts):
            if facts.hop.kind == HopKind.CLIENT:
                continue
            for t in facts.hop.timeouts:
                if not t.value_s or (t.component == "gunicorn" and t.setting == "timeout"):
                    continue
                short = shortfall(rc, i, t)
                if short is None:
                    continue
                wait, margin = short.wait, short.margin
                where = scope_words(facts, t)
                if short.severity == Severity.ERROR:
                    message = (
                        f"{rc.route}: {written(t)} ({t.semantics.value}) on {facts.hop.name}, {where}, ends every "
                        f"silent long-poll at {fmt_s(t.value_s)}: it cannot outlast {wait.what}."
                    )
                else:
                    message = (
                        f"{rc.route}: {written(t)} on {facts.hop.name}, {where}, is only "
                        f"{fmt_s(t.value_s - wait.seconds)} above {wait.what} (margin {fmt_s(margin)}): "
                        "holds that run a little long are cut."
                    )
                tcp = _tcp_timers(facts)
                if tcp:
                    first = facts.hop.first_cut()
                    if first is not None and t is not first:
                        continue  # mode tcp: one finding for the stream, naming both of its idle timers
                    others = [o for o in tcp if o is not t]
                    message += (
                        " In mode tcp HAProxy closes a silent stream with no byte (clients see an empty reply, "
                        "not a 504), and "
                        + ", ".join(f"{written(o)} at {at(o.location)}" for o in others)
                        + " is an idle timer on the same stream: raise both."
                    )
                attempts = facts.hop.attempts
                retried = attempts > 1 and facts.retry is not None and facts.retry.on_timeout
                if retried:
                    message += (
                        f" Each cut is retried on the next of {attempts} servers, so clients wait up to "
                        f"{fmt_s(attempts * t.value_s)}."
                    )
                status = status_of(t)
                seen = str(status) if status else None
                if seen and retried and t.component in ("nginx", "ingress-nginx"):
                    # measured (tests/test_e2e_proxies.py, two servers): 504 when the retry timed out too
                    # ("504, 504"), 502 when the cuts had taken every server out ("504, 502", no live upstreams)
                    seen = f"{seen} once every server timed out, or 502 when a retry finds no server left"
                found = shortfall_finding(
                    RULE_ID,
                    short,
                    message,
                    facts,
                    t,
                    rc,
                    explanation=(
                        f"The {kind_word(facts.hop.kind)} gives up when this timer fires"
                        + (
                            " (clients see an empty reply: a FIN, no byte)"
                            if tcp
                            else (f" (clients see {seen})" if seen else "")
                        )
                        + "; the long-poll never delivers the event it was waiting for and the client reconnects."
                    ),
                )
                if tcp:
                    value = suggest(short.wait.seconds, short.margin)
                    found.fix = render(RULE_ID, facts, t, value, rc, setting="tcp") or found.fix
                    found.evidence["tcp_timers"] = [o.setting for o in tcp]
                yield found


def _tcp_timers(facts: HopFacts) -> list[Timeout]:
    """HAProxy mode tcp: the idle timers of the stream (timeout server and timeout client), else nothing."""
    return [t for t in facts.hop.timeouts if t.component == "haproxy" and t.note and t.note.startswith("mode tcp:")]
