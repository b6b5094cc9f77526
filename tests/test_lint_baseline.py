"""``--baseline`` / ``--update-baseline``, ``--select`` / ``--ignore`` / ``--severity``, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpdoctor.cli import main

# Two locations, two findings of different rules: timeout-below-hold on /poll, zero-timeout on /stream.
NGINX = """events {}
http {
    server {
        listen 127.0.0.1:8080;
        location /poll {
            proxy_pass http://127.0.0.1:9000;
            proxy_read_timeout 30s;
        }
        location /stream {
            proxy_pass http://127.0.0.1:9000;
            proxy_read_timeout 0;
        }
    }
}
"""
HOLDS = ("--hold", "/poll=60s", "--hold", "/stream=60s")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def check(conf: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run("check-config", str(conf), *HOLDS, "-f", "json", *args)
    return code, json.loads(out), err


def rules(doc: dict[str, Any]) -> list[str]:
    return sorted(f["rule"] for f in doc["findings"])


def conf(tmp_path: Path, text: str = NGINX) -> Path:
    path = tmp_path / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_config_has_two_findings(tmp_path: Path) -> None:
    code, doc, _ = check(conf(tmp_path))
    assert code == 1 and rules(doc) == ["timeout-below-hold", "zero-timeout"]


def test_update_baseline_then_baseline_passes_until_a_new_finding(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    path = conf(tmp_path)
    code, doc, err = check(path, "--update-baseline", "baseline.json")
    assert code == 0, doc
    assert "baseline of 2 finding(s) written to baseline.json" in err
    written = (tmp_path / "baseline.json").read_text()
    data = json.loads(written)
    assert [e["rule"] for e in data["findings"]] == ["timeout-below-hold", "zero-timeout"]
    assert all("line" not in e for e in data["findings"])  # no line numbers: moves do not churn it
    assert written == json.dumps(data, indent=2, sort_keys=True) + "\n"

    code, doc, _ = check(path, "--baseline", "baseline.json")
    assert code == 0 and doc["findings"] == []
    assert [s["suppression"]["kind"] for s in doc["suppressed"]] == ["external", "external"]

    # unrelated lines move both findings down: still the same fingerprints, and the rewrite is byte-identical
    moved = NGINX.replace("http {\n", "http {\n    # a comment\n    sendfile on;\n\n")
    conf(tmp_path, moved)
    code, doc, _ = check(path, "--baseline", "baseline.json")
    assert code == 0 and doc["findings"] == []
    check(path, "--update-baseline", "again.json")
    assert (tmp_path / "again.json").read_text() == written

    # a new problem on another route is not in the baseline
    worse = moved.replace(
        "location /stream {",
        "location /events {\n    proxy_pass http://127.0.0.1:9000;\n    proxy_read_timeout 10s;\n}\nlocation /stream {",
    )
    conf(tmp_path, worse)
    code, doc, _ = run(
        "check-config", "nginx.conf", *HOLDS, "--hold", "/events=60s", "-f", "json", "--baseline", "baseline.json"
    )
    doc = json.loads(doc)
    assert code == 1
    assert [(f["rule"], f["route"]) for f in doc["findings"]] == [("timeout-below-hold", "/events")]
    assert len(doc["suppressed"]) == 2


def test_a_missing_or_bad_baseline_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = conf(tmp_path)
    code, _, err = run("check-config", str(path), *HOLDS, "--baseline", str(tmp_path / "nope.json"))
    assert code == 2 and "no such file" in err and "Traceback" not in err
    (tmp_path / "bad.json").write_text("[1, 2]")
    code, _, err = run("check-config", str(path), *HOLDS, "--baseline", str(tmp_path / "bad.json"))
    assert code == 2 and "not lpdoctor's baseline JSON" in err


def test_select_and_ignore_take_ids_and_prefixes(tmp_path: Path) -> None:
    path = conf(tmp_path)
    assert rules(check(path, "--select", "zero-timeout")[1]) == ["zero-timeout"]
    assert rules(check(path, "--select", "timeout-")[1]) == ["timeout-below-hold"]
    assert rules(check(path, "--ignore", "timeout-below-hold,zero")[1]) == []
    code, doc, _ = check(path, "--ignore", "timeout-below-hold")
    assert rules(doc) == ["zero-timeout"] and code == (1 if doc["findings"][0]["severity"] == "error" else 0)


def test_severity_override_changes_the_exit_code(tmp_path: Path) -> None:
    path = conf(tmp_path)
    code, doc, _ = check(path, "--severity", "timeout-below-hold=info", "--severity", "zero-timeout=info")
    assert code == 0 and {f["severity"] for f in doc["findings"]} == {"info"}
    code, _, err = run("check-config", str(path), *HOLDS, "--severity", "timeout-below-hold=fatal")
    assert code == 2 and "RULE=LEVEL" in err


def test_update_baseline_never_overwrites_an_input(tmp_path: Path) -> None:
    path = conf(tmp_path)
    before = path.read_bytes()
    code, _, err = run("check-config", str(path), *HOLDS, "--update-baseline", str(path))
    assert code == 2 and "that is an input" in err and "lpdoctor never writes over what it reads" in err
    assert path.read_bytes() == before


def test_update_baseline_never_overwrites_an_included_file(tmp_path: Path) -> None:
    (tmp_path / "extra.conf").write_text("# shared settings\n", encoding="utf-8")
    path = conf(tmp_path, NGINX.replace("http {", "http {\n    include extra.conf;"))
    code, _, err = run("check-config", str(path), *HOLDS, "--update-baseline", str(tmp_path / "extra.conf"))
    assert code == 2 and "that is an input" in err and "lpdoctor never writes over what it reads" in err
    assert (tmp_path / "extra.conf").read_text() == "# shared settings\n"
