"""``lpdoctor rules`` and ``lpdoctor explain RULE``: what a user sees in a terminal, a pipe, and as JSON."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import yaml
from click.testing import CliRunner, Result

from lpdoctor.catalog import rule_docs, rules_dir
from lpdoctor.cli import main


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def yaml_ids() -> set[str]:
    return {yaml.safe_load(p.read_text(encoding="utf-8"))["id"] for p in (rules_dir() / "checks").glob("*.yaml")}


def test_rules_lists_every_rule_plainly_in_a_pipe() -> None:
    result = run("rules")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["RULE", "SEVERITY", "APPLIES", "TO", "TITLE"]
    assert "━" not in result.stdout and "\x1b[" not in result.stdout
    listed = {line.split()[0] for line in lines[1:]}
    assert listed == yaml_ids()
    for doc in rule_docs().values():
        (line,) = [x for x in lines if x.split()[0] == doc.id]
        assert doc.severity in line.split()
        assert line.endswith(doc.title)
        assert ", ".join(doc.applies_to) in line


def test_rules_lists_errors_first() -> None:
    severities = [line.split()[1] for line in run("rules").stdout.splitlines()[1:]]
    order = {"error": 0, "warning": 1, "info": 2}
    assert severities == sorted(severities, key=order.__getitem__)


def test_rules_json() -> None:
    result = run("rules", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {d["id"] for d in data} == yaml_ids()
    hold_cut = next(d for d in data if d["id"] == "hold-cut")
    assert hold_cut["severity"] == "error"
    assert hold_cut["title"] == rule_docs()["hold-cut"].title
    assert hold_cut["applies_to"] == list(rule_docs()["hold-cut"].applies_to)


def test_rules_rich_is_a_table() -> None:
    result = run("rules", "-f", "rich")
    assert result.exit_code == 0
    assert "rule" in result.stdout and "severity" in result.stdout and "━" in result.stdout
    for rule_id in yaml_ids():
        assert rule_id in result.stdout


def test_explain_prints_the_rule_like_ruff_does() -> None:
    doc = rule_docs()["hold-cut"]
    result = run("explain", "hold-cut")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"# hold-cut: {doc.title}\n")
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert headings == [
        "## What it does",
        "## Why it matters",
        "## Example that fails",
        "## Example that passes",
        "## How to fix it",
        "## Sources",
    ]
    fails, passes = out.split("## Example that fails\n")[1].split("## Example that passes\n")
    passes = passes.split("## How to fix it")[0]
    # the examples the tests run (rules/checks/hold-cut.yaml): each file in a block under its name, then the command
    for section, cases in ((fails, doc.cases("fail")), (passes, doc.cases("pass"))):
        assert cases
        for case in cases:
            conf, log = dict(case.files)["nginx.conf"], dict(case.files)["access.log"]
            assert f"`nginx.conf`:\n\n```nginx\n{conf.rstrip()}\n```" in section
            assert f"`access.log`:\n\n```text\n{log.rstrip()}\n```" in section
    assert "$ lpdoctor scan --nginx-conf nginx.conf access.log   # hold-cut: error\n" in fails
    assert "$ lpdoctor scan --nginx-conf nginx.conf access.log   # no hold-cut\n" in passes
    assert "proxy_read_timeout 30s;" in fails and "proxy_read_timeout 65s;" in passes
    assert doc.why in out and doc.fix in out
    assert all(f"- {s}" in out for s in doc.sources)


def test_explain_is_case_insensitive_and_has_json() -> None:
    result = run("explain", "HOLD-CUT", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["id"] == "hold-cut"
    doc = rule_docs()["hold-cut"]
    assert data["example_pass"] == doc.example_pass
    assert data["example_fail"].startswith(doc.cases("fail")[0].note + "\n$ lpdoctor scan --nginx-conf nginx.conf")
    (fail,) = data["examples"]["fail"]
    assert fail["args"] == ["scan", "--nginx-conf", "nginx.conf", "access.log"]
    assert fail["severity"] == "error"
    assert list(fail["files"]) == ["nginx.conf", "access.log"]
    assert "rt=30.001" in fail["files"]["access.log"]
    assert "severity" not in data["examples"]["pass"][0]


def test_explain_names_the_severity_each_failing_example_expects() -> None:
    out = run("explain", "sozune-in-flight-long-poll").stdout
    assert "$ lpdoctor check-config docker-compose.yml   # sozune-in-flight-long-poll: warning\n" in out
    assert "$ lpdoctor check-config docker-compose.yml   # sozune-in-flight-long-poll: info\n" in out
    assert "```yaml\nservices:\n" in out


def test_explain_shows_a_chain_file_example_as_yaml() -> None:
    out = run("explain", "keepalive-1xx").stdout
    assert "`lpdoctor.yaml`:\n\n```yaml\nversion: 1\n" in out
    assert "$ lpdoctor check-config --chain lpdoctor.yaml   # keepalive-1xx: error\n" in out


def test_explain_rich_highlights_the_examples() -> None:
    doc = rule_docs()["retry-multiplies-wait"]
    result = run("explain", "retry-multiplies-wait", "-f", "rich")
    assert result.exit_code == 0
    assert doc.title.split()[0] in result.stdout
    assert "proxy_next_upstream error;" in result.stdout
    assert "```" not in result.stdout  # rendered, not raw Markdown


def test_unknown_rule_is_one_line_with_close_matches_and_exit_2() -> None:
    result = run("explain", "hold-cutt")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["lpdoctor: unknown rule 'hold-cutt': did you mean hold-cut?"]


def test_unknown_rule_without_a_close_match_points_at_the_list() -> None:
    result = run("explain", "zzzz")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["lpdoctor: unknown rule 'zzzz': `lpdoctor rules` lists them all"]


def test_hostile_rule_argument_is_printed_safely() -> None:
    result = run("explain", "\x1b[31mred\nnext")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def run_in_terminal(*args: str, no_color: bool = False) -> str:
    """Run lpdoctor with its stdout on a pseudo-terminal, as a user at a shell would."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update({"COLUMNS": "120", "TERM": "xterm-256color"})
    if no_color:
        env["NO_COLOR"] = "1"
    proc = subprocess.Popen([sys.executable, "-m", "lpdoctor", *args], stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_rich_output_and_no_color_gets_plain() -> None:
    table = run_in_terminal("rules")
    assert "━" in table  # a rich table
    assert "hold-cut" in table
    doc = run_in_terminal("explain", "hold-cut")
    assert "```" not in doc and "## " not in doc  # rendered Markdown
    assert "\x1b[" in doc  # with colours (syntax-highlighted examples)
    plain = run_in_terminal("explain", "hold-cut", no_color=True)
    assert plain.replace("\r\n", "\n").startswith("# hold-cut: ")
