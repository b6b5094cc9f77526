"""``-f sarif``: valid against the official SARIF 2.1.0 schema, and within what GitHub code scanning accepts."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest
from click.testing import CliRunner

from lpdoctor.catalog import rule_docs
from lpdoctor.cli import main
from lpdoctor.model import Finding, HopKind, InputSummary, Report, Severity, SourceLocation
from lpdoctor.reporters import get_renderer
from lpdoctor.reporters.sarif_report import FINGERPRINT_KEY, sarif_dict
from tests.logfactory import long_poll_route

FIXTURES = Path(__file__).parent / "fixtures" / "sarif"
SCHEMA_PATH = FIXTURES / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    # The official file declares draft 2020-12. It does not pass check_schema(): its region definition has an
    # "anyOf" misplaced under "properties" (a known erratum), so that one constraint is checked by hand below.
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def render(report: Report) -> dict[str, Any]:
    buf = io.StringIO()
    get_renderer("sarif")(report, buf)
    return json.loads(buf.getvalue())


def assert_github_accepts(doc: dict[str, Any]) -> None:
    """The parts of GitHub's SARIF subset the schema does not enforce."""
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "lpdoctor" and driver["version"]
    uri = urlparse(driver["informationUri"])
    assert uri.scheme == "https" and uri.netloc
    rules = driver["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        assert len(result["locations"]) == 1  # GitHub rejects the whole file for a result without one
        phys = result["locations"][0]["physicalLocation"]
        assert phys["artifactLocation"]["uri"]
        assert phys["region"]["startLine"] >= 1
        assert result["partialFingerprints"][FINGERPRINT_KEY]


def config_finding(file: str, line: int = 12, route: str = "/poll", cutoff: float = 30.0) -> Finding:
    return Finding(
        rule="hold-cut",
        severity=Severity.ERROR,
        message=f"{route}: proxy_read_timeout {cutoff:g}s is at or below the 30 s hold",
        hop=HopKind.PROXY,
        route=route,
        hold_s=30.0,
        cutoff_s=cutoff,
        fix="proxy_read_timeout 65s;",
        location=SourceLocation(file, line, "server example.org > location /poll"),
        configured_s=cutoff,
        evidence={"failures": 14},
    )


def test_the_schema_fixture_is_the_documented_copy() -> None:
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(SCHEMA_PATH.read_bytes()).hexdigest()
    assert digest in readme


def test_the_validator_rejects_what_the_schema_forbids(validator: jsonschema.Draft202012Validator) -> None:
    bad = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal", "message": {"text": "m"}}]}],
    }
    assert any("fatal" in e for e in errors(validator, bad))
    assert errors(validator, {"version": "2.0.0", "runs": []})


def test_config_finding_points_at_its_file_and_line_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: jsonschema.Draft202012Validator
) -> None:
    monkeypatch.chdir(tmp_path)
    conf = tmp_path / "deploy" / "nginx conf" / "app.conf"
    report = Report(command="check-config", findings=[config_finding(str(conf))])
    doc = render(report)
    assert errors(validator, doc) == []
    assert_github_accepts(doc)
    (result,) = doc["runs"][0]["results"]
    assert result["ruleId"] == "hold-cut"
    assert result["level"] == "error"
    assert result["message"]["text"] == (
        "/poll: proxy_read_timeout 30s is at or below the 30 s hold\nFix: proxy_read_timeout 65s;"
    )
    loc = result["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"] == {
        "uri": "deploy/nginx%20conf/app.conf",
        "uriBaseId": "%SRCROOT%",
    }
    assert loc["physicalLocation"]["region"] == {"startLine": 12}
    assert loc["message"]["text"] == "server example.org > location /poll"
    assert result["properties"]["route"] == "/poll"
    assert doc["runs"][0]["automationDetails"]["id"] == "lpdoctor/check-config/"


def test_a_file_outside_the_working_directory_is_an_absolute_file_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: jsonschema.Draft202012Validator
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    outside = tmp_path / "etc" / "nginx.conf"
    doc = render(Report(command="check-config", findings=[config_finding(str(outside))]))
    assert errors(validator, doc) == []
    artifact = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.as_uri()}


def test_levels_rules_and_rule_index(validator: jsonschema.Draft202012Validator) -> None:
    inputs = [InputSummary(path="access.log", format="nginx-kv", lines=10, parsed=10)]
    findings = [
        Finding(rule="log-lacks-timing", severity=Severity.INFO, message="no durations"),
        Finding(rule="retry-multiplies-wait", severity=Severity.WARNING, message="retried", route="/poll"),
        Finding(rule="hold-cut", severity=Severity.ERROR, message="cut", route="/poll"),
        Finding(rule="not-documented-yet", severity=Severity.WARNING, message="new check"),
    ]
    doc = render(Report(command="scan", inputs=inputs, findings=findings))
    assert errors(validator, doc) == []
    assert_github_accepts(doc)
    results = doc["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("hold-cut", "error"),
        ("not-documented-yet", "warning"),
        ("retry-multiplies-wait", "warning"),
        ("log-lacks-timing", "note"),
    ]
    rules = {r["id"]: r for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    docs = rule_docs()
    assert set(docs) <= set(rules)
    for rule_id, rd in docs.items():
        descriptor = rules[rule_id]
        assert descriptor["shortDescription"]["text"] == rd.title
        assert descriptor["fullDescription"]["text"] == rd.summary
        assert rd.example_fail in descriptor["help"]["text"]
        assert rd.fix in descriptor["help"]["markdown"]
        expected = {"error": "error", "warning": "warning", "info": "note"}[rd.severity]
        assert descriptor["defaultConfiguration"]["level"] == expected
    assert rules["not-documented-yet"]["shortDescription"]["text"] == "not-documented-yet"


def test_log_findings_point_at_their_log_line_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: jsonschema.Draft202012Validator
) -> None:
    monkeypatch.chdir(tmp_path)
    inputs = [
        InputSummary(path="logs/error.log", format="nginx-error", lines=3, parsed=3, kind="error"),
        InputSummary(path="logs/access.log", format="nginx-kv", lines=50, parsed=50),
        InputSummary(path="logs/old.log", format="nginx-combined", lines=5, parsed=5, has_timing=False),
    ]
    findings = [
        Finding(rule="hold-cut", severity=Severity.ERROR, message="cut", route="/poll"),
        Finding(
            rule="log-lacks-timing",
            severity=Severity.INFO,
            message="no durations",
            evidence={"input": "logs/old.log", "format": "nginx-combined"},
        ),
    ]
    doc = render(Report(command="scan", inputs=inputs, findings=findings))
    assert errors(validator, doc) == []
    assert_github_accepts(doc)
    where = [
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["locations"][0])
        for r in doc["runs"][0]["results"]
    ]
    assert [(rule, uri) for rule, uri, _ in where] == [
        ("hold-cut", "logs/access.log"),  # the first access log understood, not the error log
        ("log-lacks-timing", "logs/old.log"),  # the input the finding names
    ]
    assert all(loc["physicalLocation"]["region"]["startLine"] == 1 for _, _, loc in where)


def test_a_finding_with_no_file_becomes_a_notification_and_the_file_stays_valid(
    validator: jsonschema.Draft202012Validator,
) -> None:
    report = Report(
        command="scan",
        inputs=[InputSummary(path="-", format="nginx-kv", lines=5, parsed=5)],
        findings=[Finding(rule="hold-cut", severity=Severity.ERROR, message="cut at 30 s", fix="raise it")],
        notes=["Sozune logs no access line for its 504s"],
    )
    doc = render(report)
    assert errors(validator, doc) == []
    assert_github_accepts(doc)
    run = doc["runs"][0]
    assert run["results"] == []
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["level"] == "error"
    assert notes[0]["message"]["text"] == "cut at 30 s\nFix: raise it"
    assert notes[0]["associatedRule"]["id"] == "hold-cut"
    assert notes[1] == {"level": "note", "message": {"text": "Sozune logs no access line for its 504s"}}


def test_fingerprints_survive_new_numbers_and_moved_lines_but_tell_routes_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def fingerprints(*findings: Finding) -> list[str]:
        doc = sarif_dict(Report(command="check-config", findings=list(findings)))
        return [r["partialFingerprints"][FINGERPRINT_KEY] for r in doc["runs"][0]["results"]]

    first = fingerprints(config_finding("nginx.conf", line=12, cutoff=30.0))
    again = fingerprints(config_finding("nginx.conf", line=19, cutoff=25.0))
    other_route = fingerprints(config_finding("nginx.conf", line=12, route="/sync"))
    other_file = fingerprints(config_finding("other.conf", line=12))
    assert first == again
    assert first != other_route and first != other_file
    twins = fingerprints(config_finding("nginx.conf"), config_finding("nginx.conf", line=40))
    assert len(set(twins)) == 2  # two alerts, not one merged away


def write_log(tmp_path: Path) -> Path:
    log = tmp_path / "logs" / "access.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    lines = long_poll_route("/_matrix/client/v3/sync?timeout=30000", n=60, hold=30.0, cut=30.0)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return log


def test_scan_end_to_end_writes_valid_sarif(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: jsonschema.Draft202012Validator
) -> None:
    monkeypatch.chdir(tmp_path)
    write_log(tmp_path)
    result = CliRunner().invoke(main, ["scan", "logs/access.log", "-f", "sarif"])
    assert result.exit_code == 1, result.output  # an error finding: --fail-on error
    doc = json.loads(result.stdout)
    assert errors(validator, doc) == []
    assert_github_accepts(doc)
    results = doc["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["hold-cut"]
    assert results[0]["level"] == "error"
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "logs/access.log"
    assert re.search(r"cut at 30(\.0)? s", results[0]["message"]["text"])
    assert "\nFix: proxy_read_timeout" in results[0]["message"]["text"]


def test_scan_end_to_end_to_an_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: jsonschema.Draft202012Validator
) -> None:
    monkeypatch.chdir(tmp_path)
    log = write_log(tmp_path)
    result = CliRunner().invoke(main, ["scan", str(log), "-f", "sarif", "-o", "lpdoctor.sarif", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    doc = json.loads((tmp_path / "lpdoctor.sarif").read_text(encoding="utf-8"))
    assert errors(validator, doc) == []
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "logs/access.log"  # an absolute argument still becomes a workspace-relative URI
