"""Project configuration: ``[tool.lpdoctor]`` in pyproject.toml or ``.lpdoctor.toml``, and ``lpdoctor config``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpdoctor.cli import main
from tests.test_lint_baseline import NGINX


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def project(tmp_path: Path, table: str, name: str = "pyproject.toml") -> Path:
    (tmp_path / ".git").mkdir(exist_ok=True)  # the repository root: discovery stops here
    (tmp_path / name).write_text(table, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(NGINX, encoding="utf-8")
    return tmp_path


PYPROJECT = """[project]
name = "site"

[tool.lpdoctor]
fail-on = "never"
format = "json"
holds = ["/poll=60s", "/stream=60s"]
ignore = ["zero-timeout"]
severity = { timeout-below-hold = "warning" }
"""


def test_pyproject_settings_apply_from_a_subdirectory(tmp_path: Path, monkeypatch: Any) -> None:
    project(tmp_path, PYPROJECT)
    (tmp_path / "deploy").mkdir()
    monkeypatch.chdir(tmp_path / "deploy")
    code, out, _ = run("check-config", "../nginx.conf")
    doc = json.loads(out)  # format = "json" came from the file
    assert code == 0  # fail-on = "never"
    assert [(f["rule"], f["severity"]) for f in doc["findings"]] == [("timeout-below-hold", "warning")]


def test_the_command_line_wins(tmp_path: Path, monkeypatch: Any) -> None:
    project(tmp_path, PYPROJECT)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("check-config", "nginx.conf", "--fail-on", "warning", "-f", "text", "--hold", "/poll=60s")
    assert code == 1 and out.startswith("lpdoctor check-config") and "/stream" not in out


def test_dot_lpdoctor_toml_and_lpdoctor_config(tmp_path: Path, monkeypatch: Any) -> None:
    project(tmp_path, 'fail-on = "warning"\nmargin = 12\nbaseline = "ci/baseline.json"\n', ".lpdoctor.toml")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("config", "--format", "gitlab")
    assert code == 0
    lines = {line.split("=")[0].strip(): line for line in out.splitlines() if "=" in line}
    assert out.startswith(f"# configuration file: {tmp_path / '.lpdoctor.toml'}")
    assert lines["fail-on"].endswith('"warning"  # .lpdoctor.toml')
    assert lines["margin"].endswith("12  # .lpdoctor.toml")
    assert lines["baseline"].endswith('"ci/baseline.json"  # .lpdoctor.toml')
    assert lines["format"].endswith('"gitlab"  # command line')
    assert lines["select"].endswith("[]  # default")
    code, out, _ = run("config", "--json")
    assert json.loads(out)["settings"]["margin"] == {"value": 12.0, "source": ".lpdoctor.toml"}


def test_a_bad_configuration_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: Any) -> None:
    project(tmp_path, '[tool.lpdoctor]\nfail-on = "sometimes"\n')
    monkeypatch.chdir(tmp_path)
    code, _, err = run("check-config", "nginx.conf")
    assert code == 2 and "fail-on = 'sometimes' is not one of" in err and "Traceback" not in err
    project(tmp_path, "[tool.lpdoctor]\nfial-on = 1\n")
    code, _, err = run("config")
    assert code == 2 and "unknown key 'fial-on'" in err
    project(tmp_path, "[tool.lpdoctor\n")
    code, _, err = run("config")
    assert code == 2 and "not valid TOML" in err


def test_no_configuration_means_defaults(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("config")
    assert code == 0 and "none found (defaults only)" in out and 'fail-on  = "error"  # default' in out
    assert 'baseline = ""  # default (unset)' in out
