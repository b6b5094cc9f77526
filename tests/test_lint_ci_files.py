"""The CI entry points shipped at the top of the repository: ``action.yml`` and ``.pre-commit-hooks.yaml``.

The action's lpdoctor step is run for real with bash, with the environment GitHub would give it, against the
lpdoctor installed in this environment; the pre-commit pattern is matched against every configuration the
tests and samples use.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_lint_baseline import NGINX

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIRS = ("tests/fixtures/configs", "tests/fixtures/nginx_conf", "tests/fixtures/chains", "tests/fixtures/sozune")
NOT_CONFIG = (".log", ".md", ".py", ".gz", ".jsonl", ".txt")


def test_the_pre_commit_hook_runs_on_every_config_kind() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    pattern = re.compile(hook["files"])
    configs = [
        p.relative_to(REPO).as_posix()
        for d in (*CONFIG_DIRS, "samples")
        for p in (REPO / d).rglob("*")
        if p.is_file() and not p.name.endswith(NOT_CONFIG)
    ]
    assert len(configs) > 30
    assert [c for c in configs if not pattern.search(c)] == []
    for other in ("README.md", "src/app.py", "docs/ci.md", "tests/test_x.py"):
        assert not pattern.search(other), other
    for named in ("Caddyfile", "deploy/Procfile", "gunicorn.conf.py", "etc/nginx/snippets/proxy", "mime.types"):
        assert pattern.search(named), named


def _action_step() -> tuple[dict[str, object], dict[str, object]]:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    return action, step


def test_action_yml_is_a_composite_action_installing_itself() -> None:
    action, step = _action_step()
    assert action["runs"]["using"] == "composite"
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install lpdoctor")
    assert "pip install" in install["run"] and "LPDOCTOR_ACTION_PATH" in install["run"]
    assert "${{" not in install["run"] and "${{" not in str(step["run"])  # inputs only through env
    assert set(action["inputs"]) >= {"configs", "chain", "format", "fail-on", "baseline", "output", "args"}


def _run_step(tmp_path: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    _action, step = _action_step()
    env = {k: "" for k in step["env"]}  # type: ignore[union-attr]
    env.update({f"LPDOCTOR_{k.upper()}": v for k, v in inputs.items()})
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env["GITHUB_ACTIONS"] = "true"
    return subprocess.run(
        ["bash", "-e", "-c", str(step["run"])], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_action_step_annotates_and_fails_then_passes_with_a_baseline(tmp_path: Path) -> None:
    if shutil.which("lpdoctor", path=f"{Path(sys.executable).parent}") is None:
        pytest.skip("lpdoctor is not installed next to this Python")
    (tmp_path / "nginx.conf").write_text(NGINX, encoding="utf-8")
    holds = "--hold /poll=60s --hold /stream=60s"
    proc = _run_step(tmp_path, configs="nginx.conf", format="github", args=holds)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("::error file=nginx.conf,line=7")
    proc = _run_step(tmp_path, configs="nginx.conf", format="github", args=f"{holds} --update-baseline base.json")
    assert proc.returncode == 0 and (tmp_path / "base.json").is_file()
    proc = _run_step(tmp_path, configs="nginx.conf", baseline="base.json", args=holds, output="r.sarif", format="sarif")
    assert proc.returncode == 0, proc.stderr
    assert "sarif report written to r.sarif" in proc.stderr


def test_the_action_step_never_runs_what_an_input_contains(tmp_path: Path) -> None:
    if shutil.which("lpdoctor", path=f"{Path(sys.executable).parent}") is None:
        pytest.skip("lpdoctor is not installed next to this Python")
    (tmp_path / "nginx.conf").write_text(NGINX, encoding="utf-8")
    proc = _run_step(tmp_path, configs="nginx.conf $(touch pwned) *", args="--hold /poll=60s;touch pwned2")
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert proc.returncode == 2  # "$(touch" is not a file: one line, exit 2
