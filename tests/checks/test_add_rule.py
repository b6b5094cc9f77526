"""``scripts/add_rule.py`` scaffolds a rule that lpdoctor loads, registers and explains, and that the tests hold
to the recipe until it is finished (run in a copy of the source tree, never in this one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "add_rule.py"
IGNORE = shutil.ignore_patterns("__pycache__", "*.so", "*.pyc")


def run(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(cwd)}
    env.pop("LPDOCTOR_REQUIRE_REAL", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the rule tests need: the package, rules/, the tests of rules, the pytest settings."""
    root = tmp_path / "src"
    for name in ("lpdoctor", "rules", "tests/checks", "tests/realworld"):
        shutil.copytree(REPO / name, root / name, ignore=IGNORE)
    for name in ("pyproject.toml", "README.md", "tests/__init__.py", "tests/conftest.py", "tests/test_rule_docs.py"):
        shutil.copy2(REPO / name, root / name)
    return root


def test_a_scaffolded_rule_is_registered_explained_and_held_to_the_recipe(tree: Path) -> None:
    made = run(tree, str(SCRIPT), "demo-stall", "--title", "A demo rule", "--root", str(tree))
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[:4] == [
        "rules/checks/demo-stall.yaml",
        "lpdoctor/checks/demo_stall.py",
        "lpdoctor/checks/__init__.py",
        "README.md",
    ]
    readme = (tree / "README.md").read_text(encoding="utf-8")
    row = '| <a id="rule-demo-stall"></a>`demo-stall` | warning | check-config | A demo rule |\n'
    assert row in readme  # among the warnings, by id: after client-side ones, before global-timeout-raise
    assert readme.index("`client-timeout-below-hold`") < readme.index(row) < readme.index("`global-timeout-raise`")

    listed = run(tree, "-c", "from lpdoctor.checks import CHECKS; print(' '.join(m.RULE_ID for m in CHECKS))")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split()[-1] == "demo-stall"

    explained = run(tree, "-m", "lpdoctor", "explain", "demo-stall")
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.startswith("# demo-stall: A demo rule\n")
    assert "$ lpdoctor check-config nginx.conf --hold /poll=30s   # demo-stall: warning\n" in explained.stdout

    tests = run(
        tree, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/checks/test_rule_examples.py",
        "tests/test_rule_docs.py",
    )  # fmt: skip
    failed = sorted(line.split(" - ")[0] for line in tests.stdout.splitlines() if line.startswith("FAILED"))
    assert failed == [
        "FAILED tests/checks/test_rule_examples.py::test_a_check_module_documents_its_rule_once[demo_stall]",
        "FAILED tests/checks/test_rule_examples.py::test_rule_example[demo-stall-fail-0]",
        "FAILED tests/test_rule_docs.py::test_rule_doc_is_complete[demo-stall]",
    ], tests.stdout[-3000:]
    assert "should report demo-stall as warning; it reported" in tests.stdout
    assert "TODO left" in tests.stdout


def test_a_rule_reported_elsewhere_gets_its_yaml_only(tree: Path) -> None:
    made = run(tree, str(SCRIPT), "log-demo", "--applies-to", "scan", "--no-module", "--root", str(tree))
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[0] == "rules/checks/log-demo.yaml"
    assert not (tree / "lpdoctor/checks/log_demo.py").exists()
    assert "applies_to: [scan]" in (tree / "rules/checks/log-demo.yaml").read_text(encoding="utf-8")
    init = (REPO / "lpdoctor/checks/__init__.py").read_text(encoding="utf-8")
    assert (tree / "lpdoctor/checks/__init__.py").read_text(encoding="utf-8") == init


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hold-cut"], "add_rule: rules/checks/hold-cut.yaml already exists\n"),
        (["Bad_Id"], "add_rule: rule id 'Bad_Id' is not a lower-case slug like timeout-below-hold\n"),
    ],
)
def test_refusals_are_one_line_and_exit_2_and_change_nothing(tree: Path, args: list[str], message: str) -> None:
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    result = run(tree, str(SCRIPT), *args, "--root", str(tree))
    assert (result.returncode, result.stderr, result.stdout) == (2, message, "")
    assert {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()} == before
