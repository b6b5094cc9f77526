"""sozune-in-flight-long-poll: ``inFlightReq`` counts held long-polls against a small per-IP cap.

``inFlightReq=N`` lets each client IP have N requests in flight on the route; the next one gets
``503 too-many-in-flight`` (kemeter/sozune ``fields/in_flight_req.rs``, ``middleware/in-flight``). A long-poll
holds its slot for the whole hold, and clients keep one held while sending others: a Matrix client keeps
its ``/sync`` open while it sends messages, reads keys, uploads media. Clients behind one address (a home or
office NAT, a mobile carrier's CGNAT) share the cap.

lpdoctor assumes two clients behind one address, each with one held poll and up to three requests
alongside it, i.e. :data:`NEEDED_SLOTS` = 8: below that a warning, at or above it an info (the reasoning,
so the cap is a choice). A cap of 1 blocks every request a client sends while its own poll is held.

Examples: ``rules/checks/sozune-in-flight-long-poll.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
sozune-in-flight-long-poll`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel
from lpdoctor.dialects.sozune.routes import fix_for
from lpdoctor.dialects.sozune.source import SozuneHopFacts
from lpdoctor.model import Finding, Severity
from lpdoctor.text.durations import fmt_s

RULE_ID = "sozune-in-flight-long-poll"
CLIENTS_PER_ADDRESS = 2
POLLS_PER_CLIENT = 1
OTHERS_PER_CLIENT = 3
NEEDED_SLOTS = CLIENTS_PER_ADDRESS * (POLLS_PER_CLIENT + OTHERS_PER_CLIENT)


def check(model: CheckModel) -> Iterator[Finding]:
    seen: set[int] = set()
    for rc in model.chains:
        for facts in rc.facts:
            if not isinstance(facts, SozuneHopFacts) or facts.route is None:
                continue
            route = facts.route
            n = route.in_flight_req
            if n is None or id(route) in seen:
                continue
            seen.add(id(route))
            setting = route.settings.get("inFlightReq")
            key = setting.key if setting is not None else "inFlightReq"
            hold = fmt_s(rc.hold_s)
            if n <= POLLS_PER_CLIENT:
                severity = Severity.WARNING
                message = (
                    f"{rc.route}: {key}={n} on {route.describe()}: while a client's long-poll is held ({hold}), "
                    "every other request it sends to this route gets 503 too-many-in-flight."
                )
            elif n < NEEDED_SLOTS:
                severity = Severity.WARNING
                message = (
                    f"{rc.route}: {key}={n} on {route.describe()}: each held long-poll keeps one of the {n} slots "
                    f"per client IP for up to {hold}; a client sending while it polls, or two clients behind one "
                    "address, run out and get 503 too-many-in-flight."
                )
            else:
                severity = Severity.INFO
                message = (
                    f"{rc.route}: {key}={n} on {route.describe()}: each held long-poll keeps a slot for up to "
                    f"{hold}, so about {n // (POLLS_PER_CLIENT + OTHERS_PER_CLIENT)} busy clients behind one "
                    "address fit before 503 too-many-in-flight."
                )
            yield Finding(
                rule=RULE_ID,
                severity=severity,
                message=message,
                hop=facts.hop.kind,
                route=rc.route,
                host=rc.chain.host,
                hold_s=rc.hold_s,
                evidence={
                    "component": "sozune",
                    "setting": "inFlightReq",
                    "in_flight_req": n,
                    "needed_slots": NEEDED_SLOTS,
                    "assumption": f"{CLIENTS_PER_ADDRESS} clients per address, each {POLLS_PER_CLIENT} held poll "
                    f"and up to {OTHERS_PER_CLIENT} requests alongside",
                    "entrypoint": route.id,
                    "hop_name": facts.hop.name,
                },
                fix=None
                if severity == Severity.INFO
                else fix_for(route, "inFlightReq", max(n, NEEDED_SLOTS), "or drop the cap on the long-poll route"),
                location=route.location_of("inFlightReq"),
                explanation=(
                    "inFlightReq caps concurrent requests per client IP (503 too-many-in-flight beyond it). A long-"
                    "poll occupies its slot for the whole hold, and clients keep one held while they send others "
                    "(Matrix: /sync stays open while messages, keys and media go out); clients behind one NAT share "
                    f"the cap. lpdoctor assumes {NEEDED_SLOTS} slots per address are needed."
                ),
                confidence="configured",
            )
