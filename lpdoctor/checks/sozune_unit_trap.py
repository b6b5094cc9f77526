"""timeout-unit-trap: a timeout written in one unit and read in another.

Sōzune's ``backendTimeout`` (label) / ``backend_timeout`` (file provider, API) is read in **seconds** by the
runtime (``src/middleware/proxy.rs``: ``Duration::from_secs(timeout_secs)``), while Sōzune's own docs speak of
milliseconds: the W003 hint says "expected milliseconds", ``sozune explain W003`` says "Express the timeout
in milliseconds" with the example ``backend_timeout=30000  # 30s``, and the API page labels it
``// milliseconds``. A value of 1000 or more almost certainly meant milliseconds and gives hours instead.

Examples: ``rules/checks/timeout-unit-trap.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
timeout-unit-trap`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel
from lpdoctor.dialects.sozune.routes import UNIT_TRAP_THRESHOLD, fix_for
from lpdoctor.dialects.sozune.source import SozuneSource
from lpdoctor.model import Finding, HopKind, Severity
from lpdoctor.model.margin import suggest
from lpdoctor.text.durations import fmt_s

RULE_ID = "timeout-unit-trap"


def check(model: CheckModel) -> Iterator[Finding]:
    holds: dict[int, float] = {}  # longest hold per route, from the chains
    for rc in model.chains:
        for facts in rc.facts:
            route = getattr(facts, "route", None)
            if route is not None:
                holds[id(route)] = max(holds.get(id(route), 0.0), rc.hold_s)
    for source in model.sources:
        if not isinstance(source, SozuneSource):
            continue
        for facts in source.all_facts():
            route = facts.route
            if route is None or route.backend_timeout is None or route.backend_timeout < UNIT_TRAP_THRESHOLD:
                continue
            value = route.backend_timeout
            setting = route.settings["backendTimeout"]
            written = f"{setting.key}={value}" if route.form != "file" else f"backend_timeout: {value}"
            as_ms = value / 1000.0
            meant = max(1, round(as_ms))
            hold = holds.get(id(route))
            comment = f"{meant} s = what {value} ms means"
            if hold is not None and meant <= hold:
                meant = int(suggest(hold, max(5.0, 0.1 * hold)))
                comment = f"{value} ms would be {fmt_s(as_ms)}, too short for the {fmt_s(hold)} hold"
            message = (
                f"{route.describe()}: {written} is read as {value} SECONDS ({fmt_s(float(value))}) by Sōzune's "
                f"runtime; if it was meant in milliseconds, as Sōzune's own docs suggest, that is {fmt_s(as_ms)}."
            )
            yield Finding(
                rule=RULE_ID,
                severity=Severity.WARNING,
                message=message,
                hop=HopKind.PROXY,
                route=route.path_label,
                host=route.hosts[0] if route.hosts else None,
                hold_s=hold,
                cutoff_s=float(value),
                evidence={
                    "component": "sozune",
                    "setting": "backendTimeout",
                    "value": value,
                    "read_as_s": float(value),
                    "if_milliseconds_s": as_ms,
                    "entrypoint": route.id,
                    "hop_name": facts.hop.name,
                },
                fix=fix_for(route, "backendTimeout", meant, comment),
                location=setting.location,
                configured_s=float(value),
                explanation=(
                    "Sōzune's runtime reads backendTimeout with Duration::from_secs (src/middleware/proxy.rs), but "
                    "its label hint and `sozune explain W003` say milliseconds (example: backend_timeout=30000 "
                    "# 30s). Written that way, a stuck backend holds a connection and a middleware task for hours."
                ),
                confidence="configured",
            )
