"""sozune-invalid-setting: a Sōzune label, annotation or file-provider value that Sōzune ignores or refuses.

Label values are checked the way Sōzune's label parser reads them (``src/labels/``): a ``backendTimeout``
that is not a whole number is ignored and the 30 s default applies (W003); an unknown ``sozune.*`` key is
ignored (W013, with a did-you-mean: ``sozune.http.web.timeout`` → ``backendTimeout``); an unsupported
protocol drops the labels (W012); a service without ``host`` is not routed (E002); booleans other than the
literal ``true`` are false. In the file provider, a value of the wrong type makes serde_yaml fail to load the
whole file, and an unknown key is silently ignored.

Examples: ``rules/checks/sozune-invalid-setting.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
sozune-invalid-setting`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel
from lpdoctor.dialects.sozune.source import SozuneSource
from lpdoctor.model import Finding, HopKind

RULE_ID = "sozune-invalid-setting"


def check(model: CheckModel) -> Iterator[Finding]:
    for source in model.sources:
        if not isinstance(source, SozuneSource):
            continue
        for p in source.config.problems:
            evidence: dict[str, object] = {"component": "sozune", "code": p.code}
            if p.key is not None:
                evidence["setting"] = p.key
            if p.value is not None:
                evidence["value"] = p.value
            yield Finding(
                rule=RULE_ID,
                severity=p.severity,
                message=p.message,
                hop=HopKind.PROXY,
                evidence=evidence,
                fix=p.suggestion,
                location=p.location,
                explanation=p.explanation,
                confidence="configured",
            )
