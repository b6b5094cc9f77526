"""Rule documentation (``rules/checks/*.yaml``) is complete, and every check that reports a rule has its doc.

These run over whatever rule files exist, so a rule added by anyone is held to the same standard.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lpdoctor.catalog import rule_docs, rules_dir
from lpdoctor.catalog.rule_examples import parse_examples
from lpdoctor.model import HopKind, Severity

REQUIRED_TEXT = ("id", "title", "severity", "summary", "what", "why", "fix")
REQUIRED_LISTS = ("applies_to", "sources")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HOPS = {h.value for h in HopKind} | {"*"}

RULE_FILES = sorted((rules_dir() / "checks").glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: not a mapping"
    return data


def test_there_are_rule_files() -> None:
    assert RULE_FILES, f"no rule docs in {rules_dir() / 'checks'}"


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_rule_doc_is_complete(path: Path) -> None:
    doc = load(path)
    problems = []
    for name in REQUIRED_TEXT:
        value = doc.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name} is missing or empty")
    for name in REQUIRED_LISTS:
        value = doc.get(name)
        if not isinstance(value, list) or not value:
            problems.append(f"{name} must be a non-empty list")
        elif not all(isinstance(v, str) and v.strip() for v in value):
            problems.append(f"{name} has an empty or non-text entry")
    assert not problems, f"{path.name}: " + "; ".join(problems)

    todo = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "TODO" in line]
    assert not todo, f"{path.name}: TODO left on line(s) {todo} (scripts/add_rule.py marks what to write)"
    assert doc["id"] == path.stem, f"{path.name}: id {doc['id']!r} differs from the file name"
    assert SLUG.match(doc["id"]), f"{path.name}: id {doc['id']!r} is not a lower-case slug"
    known = [s.value for s in Severity]
    assert doc["severity"] in known, f"{path.name}: severity {doc['severity']!r} is not one of {known}"
    for command in doc["applies_to"]:
        assert SLUG.match(command), f"{path.name}: applies_to {command!r} is not a command name"
    assert "example_fail" not in doc and "example_pass" not in doc, f"{path.name}: examples go under `examples`"
    try:
        examples = parse_examples(doc.get("examples"))
    except ValueError as exc:
        pytest.fail(f"{path.name}: {exc}")
    fails = {(e.args, e.files) for e in examples if e.kind == "fail"}
    passes = {(e.args, e.files) for e in examples if e.kind == "pass"}
    assert not fails & passes, f"{path.name}: an example both fails and passes"


@pytest.mark.parametrize("path", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_fix_templates_are_keyed_by_component_and_hop(path: Path) -> None:
    fixes = load(path).get("fixes") or {}
    assert isinstance(fixes, dict), f"{path.name}: fixes must be a mapping"
    for key, template in fixes.items():
        component, sep, hop = str(key).partition(":")
        assert sep and component and hop in HOPS, f"{path.name}: fixes key {key!r} is not 'component:hop'"
        assert isinstance(template, str) and template.strip(), f"{path.name}: fixes[{key!r}] is empty"


def test_the_catalog_loads_every_rule_file() -> None:
    assert set(rule_docs()) == {load(p)["id"] for p in RULE_FILES}


def _check_modules() -> list[Any]:
    try:
        package = importlib.import_module("lpdoctor.checks")
    except ImportError:
        return []
    modules = []
    for info in pkgutil.iter_modules(getattr(package, "__path__", [])):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"lpdoctor.checks.{info.name}"))
    return modules


def test_every_check_module_rule_has_a_doc() -> None:
    modules = [m for m in _check_modules() if hasattr(m, "RULE_ID")]
    if not modules:
        pytest.skip("lpdoctor/checks has no check module with a RULE_ID yet: nothing to match against rules/checks")
    docs = rule_docs()
    missing = []
    for module in modules:
        ids = [module.RULE_ID] if isinstance(module.RULE_ID, str) else list(module.RULE_ID)
        missing += [f"{module.__name__}: {rule_id}" for rule_id in ids if rule_id not in docs]
    assert not missing, "checks without a rules/checks/<id>.yaml: " + ", ".join(missing)


def test_every_rule_has_its_row_and_anchor_in_the_readme() -> None:
    """SARIF's ``helpUri`` is ``https://pypi.org/project/lpdoctor/#rule-<id>``: PyPI renders README.md and keeps an
    element's ``id`` (its cleaner allows ``id`` on every tag) but gives headings no anchor, so each rule's row
    carries ``<a id="rule-<id>"></a>``. The table lists exactly the rules there are, each with its title."""
    from lpdoctor.reporters.sarif_report import HELP_URI, INFORMATION_URI

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r'^\| <a id="rule-([a-z0-9-]+)"></a>`[a-z0-9-]+` \|.*\| ([^|]+?) \|$', readme, re.M))
    docs = rule_docs()
    assert sorted(rows) == sorted(docs), "README.md's rules table and rules/checks/ differ"
    for rule_id, doc in docs.items():
        assert rows[rule_id] == doc.title, rule_id
        assert HELP_URI.format(id=rule_id) == f"{INFORMATION_URI}#rule-{rule_id}"
    assert len(re.findall(r'<a id="rule-', readme)) == len(docs)  # one anchor each: an id is unique on the page
