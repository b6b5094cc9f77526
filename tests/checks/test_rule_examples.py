"""Every rule's examples, run through the real CLI; every rule has them; every check is registered and documented.

A rule's examples live once, in ``rules/checks/<id>.yaml`` under ``examples`` (what ``lpdoctor explain`` shows):
complete input files and the command line that reads them. Each ``fail`` case must give a finding of the rule
with the severity it names (the rule's own by default); each ``pass`` case must give none of the rule. A rule
that lpdoctor can report — registered in ``lpdoctor.checks.CHECKS``, or built elsewhere as
``Finding(rule="...")`` like ``hold-cut`` — without a failing and a passing example fails here, as does a rule
file no code reports, and a module in ``lpdoctor/checks/`` left out of the registry.
"""

from __future__ import annotations

import ast
import json
import pkgutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import lpdoctor
import lpdoctor.checks
from lpdoctor.catalog import rule_docs, rules_dir
from lpdoctor.catalog.rule_examples import RuleExample
from lpdoctor.checks import CHECKS, RULE_IDS
from lpdoctor.cli import main

PACKAGE = Path(lpdoctor.__file__).parent
HELPER_MODULES = {"base"}  # shared code in lpdoctor/checks/ that is no rule (and any _private module)


def yaml_ids() -> set[str]:
    ids = set()
    for path in (rules_dir() / "checks").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        ids.add(data["id"] if isinstance(data, dict) and "id" in data else path.stem)
    return ids


def emitted_ids() -> dict[str, list[str]]:
    """Rule ids the code reports outside the registry, by module: ``rule="..."`` string literals in any call, and
    ``rule=RULE_ID`` where the module sets ``RULE_ID = "..."`` (as lpdoctor/app/suppress.py does)."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg != "rule":
                    continue
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    rule_id = kw.value.value
                elif isinstance(kw.value, ast.Name) and kw.value.id in constants:
                    rule_id = constants[kw.value.id]
                else:
                    continue
                found.setdefault(rule_id, []).append(str(path.relative_to(PACKAGE.parent)))
    return found


def all_rule_ids() -> list[str]:
    return sorted(yaml_ids() | set(RULE_IDS) | set(emitted_ids()))


def example_cases() -> list[Any]:
    cases = []
    for doc in sorted(rule_docs().values(), key=lambda d: d.id):
        for kind in ("fail", "pass"):
            for i, example in enumerate(doc.cases(kind)):
                cases.append(pytest.param(doc.id, example, id=f"{doc.id}-{kind}-{i}"))
    return cases


def test_the_code_reports_the_rules_it_is_known_to() -> None:
    """The scan for rule ids outside the registry sees the log rules (so an empty scan cannot pass the next tests)."""
    emitted = emitted_ids()
    assert {"hold-cut", "log-lacks-timing"} <= set(emitted), emitted


@pytest.mark.parametrize("rule_id", all_rule_ids())
def test_every_rule_has_a_failing_and_a_passing_example(rule_id: str) -> None:
    doc = rule_docs().get(rule_id)
    assert doc is not None, f"{rule_id} is reported by lpdoctor but has no rules/checks/{rule_id}.yaml"
    fails, passes = doc.cases("fail"), doc.cases("pass")
    assert fails and passes, f"rules/checks/{rule_id}.yaml needs at least one examples.fail and one examples.pass"


def test_every_rule_file_names_a_rule_lpdoctor_reports() -> None:
    reported = set(RULE_IDS) | set(emitted_ids())
    orphans = sorted(yaml_ids() - reported)
    assert not orphans, (
        f"rules/checks/ documents rules no code reports: {orphans} "
        "(register the check in lpdoctor/checks/__init__.py CHECKS, or remove the file)"
    )


def test_every_check_module_is_registered() -> None:
    registered = {m.__name__ for m in CHECKS}
    modules = [
        f"lpdoctor.checks.{info.name}"
        for info in pkgutil.iter_modules(lpdoctor.checks.__path__)
        if not info.name.startswith("_") and info.name not in HELPER_MODULES
    ]
    assert modules, "no check module found in lpdoctor/checks/"
    missing = sorted(set(modules) - registered)
    assert not missing, f"check modules not in lpdoctor/checks/__init__.py CHECKS: {missing}"
    assert len(set(RULE_IDS)) == len(RULE_IDS), f"two registered checks share a RULE_ID: {RULE_IDS}"


@pytest.mark.parametrize("module", CHECKS, ids=[m.__name__.rsplit(".", 1)[-1] for m in CHECKS])
def test_a_check_module_documents_its_rule_once(module: Any) -> None:
    """The module's docstring starts with its rule id and points at the one home of its examples."""
    assert callable(getattr(module, "check", None)), f"{module.__name__} has no check(model)"
    assert module.RULE_ID in rule_docs(), f"{module.__name__}: no rules/checks/{module.RULE_ID}.yaml"
    text = module.__doc__ or ""
    assert text.startswith(f"{module.RULE_ID}:"), f"{module.__name__}: the docstring starts with '{module.RULE_ID}:'"
    assert f"rules/checks/{module.RULE_ID}.yaml" in text, f"{module.__name__}: the docstring names its rule file"
    assert "Fails::" not in text and "Passes::" not in text, f"{module.__name__}: examples belong in the rule file"
    assert "TODO" not in text, f"{module.__name__}: TODO left in the docstring (scripts/add_rule.py marks them)"


def _write(root: Path, example: RuleExample) -> dict[Path, bytes]:
    written = {}
    for name, content in example.files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written[path] = path.read_bytes()
    return written


@pytest.mark.parametrize(("rule_id", "example"), example_cases())
def test_rule_example(rule_id: str, example: RuleExample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = rule_docs()[rule_id]
    assert example.args[0] in doc.applies_to, f"{rule_id}: `{example.command}` is not one of {doc.applies_to}"
    inputs = _write(tmp_path, example)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*example.args, "--format", "json"], env={"NO_COLOR": "1", "COLUMNS": "120"})
    assert result.exit_code in (0, 1), f"`{example.command}` exited {result.exit_code}:\n{result.output}"
    report = json.loads(result.stdout)
    found = [(f["rule"], f["severity"], f["message"]) for f in report["findings"]]
    mine = [(severity, message) for rule, severity, message in found if rule == rule_id]
    if example.kind == "fail":
        expected = example.severity or doc.severity
        assert any(severity == expected for severity, _ in mine), (
            f"`{example.command}` should report {rule_id} as {expected}; it reported {found or 'nothing'}"
        )
    else:
        assert not mine, f"`{example.command}` should not report {rule_id}; it reported {mine}"
    assert {p: p.read_bytes() for p in inputs} == inputs, "an input file was changed"
