"""``-f github``: workflow-command annotations (escaped, capped, most severe first) and the job summary."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lpdoctor.cli import main
from lpdoctor.model import Endpoint, Finding, HopKind, InputSummary, Report, Severity, SourceLocation
from lpdoctor.reporters import get_renderer
from lpdoctor.reporters.github_report import escape_data, escape_property, summary_markdown
from tests.logfactory import long_poll_route

COMMAND = re.compile(r"^::(?P<name>[a-z]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def unescape(text: str, prop: bool) -> str:
    """What the Actions runner does to a message (and, with ``prop``, to a property value)."""
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else [])
    for code, ch in pairs:
        text = text.replace(code, ch)
    return text.replace("%25", "%")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    m = COMMAND.match(line)
    assert m, f"not a workflow command: {line!r}"
    props: dict[str, str] = {}
    for pair in (m["props"] or "").split(","):
        if pair:
            key, _, value = pair.partition("=")
            props[key] = unescape(value, prop=True)
    return m["name"], props, unescape(m["message"], prop=False)


def render(report: Report) -> list[str]:
    buf = io.StringIO()
    get_renderer("github")(report, buf)
    return buf.getvalue().splitlines()


@pytest.fixture(autouse=True)
def no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def test_escaping_follows_the_actions_toolkit() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_data("a:b,c") == "a:b,c"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert escape_data("%0A") == "%250A"  # an escape sequence typed in the input stays literal


def test_config_finding_is_annotated_on_its_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    finding = Finding(
        rule="hold-cut",
        severity=Severity.ERROR,
        message="/poll: proxy_read_timeout 30s, hold 30 s: 100% of holds are cut",
        hop=HopKind.PROXY,
        route="/poll",
        fix="proxy_read_timeout 65s;",
        location=SourceLocation(str(tmp_path / "nginx" / "nginx.conf"), 12, "server a > location /poll"),
    )
    (line,) = render(Report(command="check-config", findings=[finding]))
    assert line.startswith("::error file=nginx/nginx.conf,line=12,title=lpdoctor hold-cut%3A /poll::")
    name, props, message = parse(line)
    assert name == "error"
    assert props == {"file": "nginx/nginx.conf", "line": "12", "title": "lpdoctor hold-cut: /poll"}
    assert message == (
        "/poll: proxy_read_timeout 30s, hold 30 s: 100% of holds are cut [server a > location /poll]"
        "\nFix: proxy_read_timeout 65s;"
    )


def test_findings_outside_the_workspace_or_from_logs_have_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    outside = Finding(
        rule="hold-cut",
        severity=Severity.WARNING,
        message="race",
        location=SourceLocation(str(tmp_path / "etc" / "nginx.conf"), 7),
    )
    from_logs = Finding(rule="log-lacks-timing", severity=Severity.INFO, message="no durations")
    lines = render(Report(command="scan", findings=[outside, from_logs]))
    (name, props, message), (name2, props2, message2) = (parse(x) for x in lines)
    assert (name, name2) == ("warning", "notice")
    assert "file" not in props and "file" not in props2
    assert message == f"race [at {tmp_path / 'etc' / 'nginx.conf'}:7]"
    assert message2 == "no durations"


def test_hostile_text_cannot_start_a_command_of_its_own() -> None:
    finding = Finding(
        rule="hold-cut",
        severity=Severity.ERROR,
        message="/x\n::add-mask::nothing\r\n::error::forged",
        route="/a,b::c",
        fix="line one\nline two",
    )
    lines = render(Report(command="scan", findings=[finding]))
    assert len(lines) == 1
    name, props, message = parse(lines[0])
    assert name == "error"
    assert props["title"] == "lpdoctor hold-cut: /a,b::c"
    assert message == "/x\n::add-mask::nothing\r\n::error::forged\nFix: line one\nline two"


def findings(n: int, severity: Severity) -> list[Finding]:
    return [
        Finding(rule="hold-cut", severity=severity, message=f"{severity.value} {i}", route=f"/r{i:02d}")
        for i in range(n)
    ]


def test_annotations_are_capped_per_kind_most_severe_first() -> None:
    report = Report(
        command="scan",
        findings=findings(4, Severity.INFO) + findings(12, Severity.WARNING) + findings(13, Severity.ERROR),
    )
    parsed = [parse(line) for line in render(report)]
    names = [name for name, _, _ in parsed]
    assert names == ["error"] * 10 + ["warning"] * 10 + ["notice"] * 4 + ["notice"]
    assert [m for _, _, m in parsed[:3]] == ["error 0", "error 1", "error 2"]
    _, props, last = parsed[-1]
    assert props == {"title": "lpdoctor"}
    assert last.startswith("5 more findings not annotated: GitHub shows at most 10 errors, 10 warnings and 10 notices")
    assert "All 29 are in the full report" in last


def test_the_closing_notice_takes_the_tenth_notice_place() -> None:
    names = [parse(line)[0] for line in render(Report(command="scan", findings=findings(12, Severity.INFO)))]
    assert names == ["notice"] * 10
    assert parse(render(Report(command="scan", findings=findings(12, Severity.INFO)))[-1])[2].startswith(
        "3 more findings"
    )
    exactly_ten = render(Report(command="scan", findings=findings(10, Severity.INFO)))
    assert [parse(line)[2] for line in exactly_ten] == [f"info {i}" for i in range(10)]


def sample_report() -> Report:
    return Report(
        command="scan",
        inputs=[InputSummary(path="logs/access.log", format="nginx-kv", lines=40, parsed=40)],
        endpoints=[
            Endpoint(
                route="/_matrix/client/v3/sync",
                host="matrix.example.org",
                requests=40,
                long_poll=True,
                hold_s=30.0,
                observed={"p50_s": 19.1, "p95_s": 30.0, "max_s": 30.001},
                failures=14,
                cutoff_s=30.0,
            ),
            Endpoint(
                route="/x|<script>alert(1)</script>[a](http://evil)",
                host=None,
                requests=3,
                long_poll=False,
                hold_s=None,
                observed=None,
                failures=0,
                cutoff_s=None,
            ),
        ],
        findings=findings(12, Severity.ERROR),
    )


def test_step_summary_is_appended_with_every_finding_and_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    lines = render(sample_report())
    assert "All 12 are in the job summary" in parse(lines[-1])[2]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n## lpdoctor scan")
    assert "**12 findings** (12 errors, 0 warnings, 0 notices)" in text
    rows = [row for row in text.splitlines() if row.startswith("| error |")]
    assert len(rows) == 12  # the table has all of them, annotated or not
    assert "| /\\_matrix/client/v3/sync | matrix.example.org | yes | 40 | 30 s | 30 s | 30 s | 14 | 30 s |" in text


def test_step_summary_cells_are_not_markup() -> None:
    text = summary_markdown(sample_report())
    (row,) = [r for r in text.splitlines() if "script" in r]
    assert "<script>" not in row and "&lt;script&gt;" in row
    assert "\\[a\\](http:<!-- -->//evil)" in row  # no link, nor an autolink
    assert row.count(" | ") == 8  # the pipe in the route did not add a column


def test_no_summary_file_without_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    render(sample_report())
    assert list(tmp_path.iterdir()) == []


def test_scan_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    log = tmp_path / "access.log"
    log.write_text("\n".join(long_poll_route("/poll?timeout=30", n=60, hold=30.0, cut=30.0)) + "\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    result = CliRunner().invoke(main, ["scan", "access.log", "-f", "github"], env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines, result.output
    name, props, message = parse(lines[0])
    assert name == "error"
    assert props["title"] == "lpdoctor hold-cut: /poll"
    assert "cut at 30" in message and "\nFix: " in message
    assert "| error | `hold-cut`" in summary.read_text(encoding="utf-8")
