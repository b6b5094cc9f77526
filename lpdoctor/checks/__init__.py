"""Config rules, one module per rule (yamllint-style): a docstring saying what the rule checks and why,
``RULE_ID`` (the stable slug documented in ``rules/checks/<id>.yaml``, which also holds the rule's failing and
passing examples) and ``check(model)`` yielding findings. docs/rules.md says how to add one.

:data:`CHECKS` is the explicit registry; :func:`run_checks` runs them all and merges findings that name
the same directive for several routes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType

from lpdoctor.checks import (
    client_timeout_below_hold,
    global_timeout_raise,
    gunicorn_sync_worker,
    keepalive_1xx,
    keepalive_race,
    retry_multiplies_wait,
    sozune_in_flight,
    sozune_invalid_setting,
    sozune_sozu_ceiling,
    sozune_unit_trap,
    timeout_below_hold,
    timeout_order,
    unbounded_timeout,
    zero_timeout,
)
from lpdoctor.checks.base import CheckModel
from lpdoctor.model import Finding

CHECKS: list[ModuleType] = [
    timeout_below_hold,
    client_timeout_below_hold,
    zero_timeout,
    unbounded_timeout,
    global_timeout_raise,
    timeout_order,
    retry_multiplies_wait,
    keepalive_race,
    gunicorn_sync_worker,
    keepalive_1xx,
    sozune_sozu_ceiling,
    sozune_unit_trap,
    sozune_in_flight,
    sozune_invalid_setting,
]

RULE_IDS: tuple[str, ...] = tuple(m.RULE_ID for m in CHECKS)


def _key(f: Finding) -> tuple[object, ...]:
    if f.location is None or f.location.file is None:
        return (f.rule, f.route, f.host, f.message)
    return (f.rule, f.location.file, f.location.line, f.evidence.get("setting"), f.evidence.get("hop_name"))


def merge(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per rule and directive: the worst route's, with the other routes listed in its evidence."""
    kept: dict[tuple[object, ...], Finding] = {}
    others: dict[tuple[object, ...], list[str]] = {}
    for f in findings:
        key = _key(f)
        current = kept.get(key)
        if current is None:
            kept[key] = f
            others[key] = []
            continue
        worse = (f.severity.rank, f.hold_s or 0.0) > (current.severity.rank, current.hold_s or 0.0)
        loser = current if worse else f
        if worse:
            kept[key] = f
        label = f"{loser.host}{loser.route}" if loser.host and loser.route else (loser.route or "")
        if label and label not in others[key]:
            others[key].append(label)
    out = []
    for key, f in kept.items():
        if others[key]:
            f.evidence["also_routes"] = others[key]
            f.message += f" (also on {len(others[key])} other route{'s' if len(others[key]) > 1 else ''})"
        out.append(f)
    return out


def run_checks(model: CheckModel, only: Callable[[str], bool] | None = None) -> list[Finding]:
    found: list[Finding] = []
    for module in CHECKS:
        if only is not None and not only(module.RULE_ID):
            continue
        found.extend(module.check(model))
    findings = merge(found)
    findings.sort(key=lambda f: f.sort_key())
    return findings
