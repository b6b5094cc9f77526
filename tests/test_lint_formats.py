"""CI report formats: ``-f gitlab``, the SARIF additions (helpUri, precision, fixes), ``-f auto`` in GitHub
Actions, and ``lpdoctor formats``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpdoctor.cli import main
from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats
from tests.test_lint_baseline import HOLDS, NGINX


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def conf(tmp_path: Path, monkeypatch: Any) -> str:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nginx.conf").write_text(NGINX, encoding="utf-8")
    return "nginx.conf"


def test_gitlab_code_quality(conf: str) -> None:
    code, out, _ = run("check-config", conf, *HOLDS, "-f", "gitlab")
    assert code == 1
    issues = json.loads(out)
    assert {i["check_name"] for i in issues} == {"timeout-below-hold", "zero-timeout"}
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"] == "nginx.conf"
        assert issue["location"]["lines"]["begin"] in (7, 11)
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    below = next(i for i in issues if i["check_name"] == "timeout-below-hold")
    assert below["location"]["lines"]["begin"] == 7 and below["severity"] == "major"
    assert "proxy_read_timeout 70s;" in below["description"]


def test_gitlab_fingerprints_survive_moved_lines_and_skip_suppressed(conf: str) -> None:
    before = {
        i["check_name"]: i["fingerprint"] for i in json.loads(run("check-config", conf, *HOLDS, "-f", "gitlab")[1])
    }
    Path(conf).write_text(NGINX.replace("http {\n", "http {\n    sendfile on;\n"), encoding="utf-8")
    after = json.loads(run("check-config", conf, *HOLDS, "-f", "gitlab")[1])
    assert {i["check_name"]: i["fingerprint"] for i in after} == before
    assert {i["location"]["lines"]["begin"] for i in after} == {8, 12}
    Path(conf).write_text(
        NGINX.replace("30s;", "30s;  # lpdoctor: ignore[timeout-below-hold] -- OPS-1"), encoding="utf-8"
    )
    assert [i["check_name"] for i in json.loads(run("check-config", conf, *HOLDS, "-f", "gitlab")[1])] == [
        "zero-timeout"
    ]


def test_sarif_help_uri_precision_and_a_one_line_fix(conf: str) -> None:
    code, out, _ = run("check-config", conf, *HOLDS, "-f", "sarif")
    assert code == 1
    run_ = json.loads(out)["runs"][0]
    for rule in run_["tool"]["driver"]["rules"]:
        assert rule["helpUri"].startswith("https://")
        assert rule["properties"]["precision"] in ("high", "medium")
    result = next(r for r in run_["results"] if r["ruleId"] == "timeout-below-hold")
    assert result["properties"]["precision"] == "high"
    [fix] = result["fixes"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "nginx.conf"
    [rep] = change["replacements"]
    assert rep["insertedContent"]["text"] == "proxy_read_timeout 70s;"
    line = NGINX.splitlines()[6]
    region = rep["deletedRegion"]
    assert region["startLine"] == region["endLine"] == 7
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == "proxy_read_timeout 30s;"


def test_sarif_log_findings_are_medium_precision() -> None:
    code, out, _ = run("scan", "-f", "sarif", "samples/matrix-504/access.log", "samples/matrix-504/error.log")
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    assert results and {r["properties"]["precision"] for r in results} == {"medium"}
    assert all("fixes" not in r for r in results)


def test_auto_is_github_in_github_actions(conf: str) -> None:
    code, out, _ = run("check-config", conf, *HOLDS, env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": ""})
    assert code == 1 and out.startswith("::error file=nginx.conf,line=7")
    code, out, _ = run("check-config", conf, *HOLDS, env={"GITHUB_ACTIONS": ""})
    assert out.startswith("lpdoctor check-config")


def test_formats_lists_every_format_with_a_sample_detected_as_itself() -> None:
    code, out, _ = run("formats", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == [f.name for f in all_formats()]
    for row in rows:
        assert row["sample"], row["name"]
        assert row["sample_detected_as"] == row["name"]
        fmt = next(f for f in all_formats() if f.name == row["name"])
        assert fmt.parser()(row["sample"], 1, "t") is not None
        assert detect_format([row["sample"]], all_formats()) is fmt
    code, text, _ = run("formats")
    assert "nginx-combined (also: combined, main)" in text and "--log-format" in text
    assert "scan --input-format" in text


def test_no_rule_cites_a_file_that_is_not_shipped() -> None:
    code, out, _ = run("scan", "-f", "sarif", "samples/matrix-504/access.log")
    assert code in (0, 1)
    assert "shared/research" not in out
    rules_dir = Path(__file__).resolve().parent.parent / "rules"
    for path in rules_dir.rglob("*.yaml"):
        assert "shared/research" not in path.read_text(encoding="utf-8"), path.name
