"""docs/ci.md's GitLab pipeline, run as written: its lpdoctor commands on a repository with a suppression
comment and a baseline pass, and fail once a new finding appears."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_lint_baseline import NGINX

REPO = Path(__file__).resolve().parent.parent


def pipeline(name: str, containing: str = "") -> str:
    text = (REPO / "docs/ci.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(# " + re.escape(name) + r"\n.*?)```", text, re.S)
    found = [b for b in blocks if containing in b]
    assert found, name
    return str(found[0])


def lpdoctor_lines() -> list[list[str]]:
    job = yaml.safe_load(pipeline(".gitlab-ci.yml"))["lpdoctor"]
    return [shlex.split(line) for line in job["script"] if line.startswith("lpdoctor ")]


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lpdoctor", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("lpdoctor is not installed next to this Python")
    return subprocess.run([exe, *argv[1:]], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_gitlab_pipeline_of_the_docs_runs(tmp_path: Path) -> None:
    (tmp_path / "nginx").mkdir()
    conf = tmp_path / "nginx/nginx.conf"
    # one finding accepted inline, one in the baseline
    conf.write_text(
        NGINX.replace("30s;", "30s;  # lpdoctor: ignore[timeout-below-hold] -- the app holds 25 s (OPS-1)"),
        encoding="utf-8",
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lpdoctor]\nholds = ["/poll=60s", "/stream=60s"]\n', encoding="utf-8"
    )
    (tmp_path / ".git").mkdir()
    made = run(
        ["lpdoctor", "check-config", "nginx/nginx.conf", "--update-baseline", ".lpdoctor-baseline.json"], tmp_path
    )
    assert made.returncode == 0, made.stderr
    assert [e["rule"] for e in json.loads((tmp_path / ".lpdoctor-baseline.json").read_text())["findings"]] == [
        "zero-timeout"
    ]
    steps = lpdoctor_lines()
    assert len(steps) == 2
    for argv in steps:
        proc = run(argv, tmp_path)
        assert proc.returncode == 0, (argv, proc.stdout, proc.stderr)
    assert json.loads((tmp_path / "gl-code-quality.json").read_text()) == []

    # a new finding: the gate step fails, the Code Quality report lists it
    conf.write_text(
        conf.read_text()
        .replace("proxy_read_timeout 0;", "proxy_read_timeout 0;\n        send_timeout 5s;")
        .replace(
            "location /stream {",
            "location /events {\n            proxy_pass http://127.0.0.1:9000;\n            proxy_read_timeout 10s;\n        }\n        location /stream {",
        ),
        encoding="utf-8",
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lpdoctor]\nholds = ["/poll=60s", "/stream=60s", "/events=60s"]\n', encoding="utf-8"
    )
    report, gate = (run(argv, tmp_path) for argv in steps)
    assert report.returncode == 0 and gate.returncode == 1
    issues = json.loads((tmp_path / "gl-code-quality.json").read_text())
    assert [(i["check_name"], i["location"]["path"]) for i in issues] == [("timeout-below-hold", "nginx/nginx.conf")]
    assert "/events" in gate.stdout


def test_the_github_pipeline_of_the_docs_uses_the_action_with_a_baseline() -> None:
    steps = yaml.safe_load(pipeline(".github/workflows/lpdoctor.yml", "/lpdoctor@v1"))["jobs"]["long-poll-timeouts"][
        "steps"
    ]
    ours = [s for s in steps if str(s.get("uses", "")).endswith("/lpdoctor@v1")]
    assert ours and all(s["with"]["baseline"] == ".lpdoctor-baseline.json" for s in ours)
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    for step in ours:
        assert set(step["with"]) <= set(action["inputs"])
