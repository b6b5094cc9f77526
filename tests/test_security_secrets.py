"""Secrets: credentials that clients put in URLs and headers never reach an output.

A Matrix client sends its ``access_token`` in the query string; a Telegram bot's token is in its path; a
proxy may log ``Authorization``. lpdoctor prints routes, example URLs, config values and error messages into
terminals, CI logs, SARIF files and tickets, so every one of them is redacted: in every format, on stdout,
stderr, ``--output`` files and the GitHub step summary, and in the probe's printed URL. There is no
``--show-secrets``. Every secret here carries the marker ``S3CR3T``; the tests also check that the text
around it did reach the output (a test that passes because nothing was printed proves nothing).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from lpdoctor.cli import main
from lpdoctor.commands.common import emit
from lpdoctor.text.safety import REDACTED, redact, safe
from tests.fuzz.payloads import SECRET_CARRIERS, SECRET_MARK, poisoned_report
from tests.logfactory import kv_line

FORMATS = ("text", "rich", "json", "sarif", "github")
LPDOCTOR = [sys.executable, "-m", "lpdoctor"]


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("LPDOCTOR_DEBUG", "GITHUB_STEP_SUMMARY")}
    return subprocess.run(
        [*LPDOCTOR, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, "COLUMNS": "400", "FORCE_COLOR": "1", **env},
        cwd=tmp_path,
        check=False,
    )


# ---- redact() itself


@pytest.mark.parametrize("carrier", SECRET_CARRIERS)
def test_each_kind_of_credential_is_redacted(carrier: str) -> None:
    out = redact(carrier)
    assert SECRET_MARK not in out, out
    assert REDACTED in out
    if "timeout=30000" in carrier:
        assert "timeout=30000" in out  # ordinary parameters stay readable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/sync?timeout=30000&since=s72594_4483&access_token=abc",
            "/sync?timeout=30000&since=s72594_4483&access_token=REDACTED",
        ),
        ("/x?TOKEN=abc&Api_Key=def", "/x?TOKEN=REDACTED&Api_Key=REDACTED"),
        ("/x?next_batch_token=abc&x=1", "/x?next_batch_token=REDACTED&x=1"),
        ("/x?monkey=banana&keyboard=1", "/x?monkey=banana&keyboard=1"),
        ("/cb?code=abc&state=1", "/cb?code=REDACTED&state=1"),
        ('{"password": "a b c", "user": "bob"}', '{"password": "REDACTED", "user": "bob"}'),
        ("Authorization: Bearer abcdefgh12345", "Authorization: Bearer REDACTED"),  # the scheme stays readable
        ("token=" + "A" * 10_000 + "&x=1", "token=REDACTED&x=1"),  # a long value is redacted whole
    ],
)
def test_redaction_examples(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "lpdoctor.yaml:3: unknown key: timeoutz",
        "upstream status code: 504",
        "session: 5 requests, pass: 3 of 4",
        "nginx.conf:74 (server example.org > location /_matrix/)",
        "/etc/ssl/site.key:12: cannot read",
        'heroku code=H12 desc="Request timeout"',
        "http://127.0.0.1:8008/_matrix/client/v3/sync?timeout=30000",
        "proxy_read_timeout 30s; keepalive_timeout 75s",
    ],
)
def test_ordinary_messages_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_a_secret_is_redacted_before_a_long_string_is_cut() -> None:
    """Cutting first could leave half a token that no longer looks like one."""
    text = "x" * 290 + "&access_token=" + SECRET_MARK + "A" * 50
    out = safe(text, limit=300)
    assert SECRET_MARK not in out and "S3" not in out[290:]


# ---- every report field, every format


@pytest.mark.parametrize("fmt", FORMATS)
def test_secrets_in_every_report_field_are_redacted_in_every_format(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("COLUMNS", "400")
    for i, carrier in enumerate(SECRET_CARRIERS):
        out = tmp_path / f"report-{i}.{fmt}"
        emit(poisoned_report("lp-marker " + carrier), fmt, str(out))
        text = out.read_text()
        assert SECRET_MARK not in text, (carrier, fmt)
        assert "lp-marker" in text  # the field did reach the output
    if fmt == "github":
        md = summary.read_text()
        assert SECRET_MARK not in md and "lp-marker" in md


# ---- scan: credentials in access logs


@pytest.fixture
def secret_log(tmp_path: Path) -> Path:
    lines = []
    for j, carrier in enumerate(SECRET_CARRIERS):
        target = carrier if carrier.startswith("/") else "/poll?timeout=30000&x=" + carrier.replace(" ", "%20")
        for i in range(8):
            status = 504 if i % 2 else 200
            lines.append(kv_line(target, status, 10.0 if status == 504 else 30.0, i=i + 10 * j, ua="UA " + carrier))
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    return log


@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_never_prints_a_credential(fmt: str, tmp_path: Path, secret_log: Path) -> None:
    summary = tmp_path / "summary.md"
    missing = tmp_path / f"gone.log?access_token={SECRET_MARK}file"
    r = run_cli(tmp_path, "scan", str(secret_log), str(missing), "-f", fmt, GITHUB_STEP_SUMMARY=str(summary))
    assert r.returncode == 2, r.stderr
    assert SECRET_MARK not in r.stdout and SECRET_MARK not in r.stderr
    assert "gone.log?access_token=REDACTED: no such file" in r.stderr
    assert "/_matrix/client/v3/sync" in r.stdout and "/bot{token}/getUpdates" in r.stdout
    out = tmp_path / "report"
    r = run_cli(tmp_path, "scan", str(secret_log), "-f", fmt, "-o", str(out), GITHUB_STEP_SUMMARY=str(summary))
    assert r.returncode in (0, 1), r.stderr
    assert SECRET_MARK not in out.read_text() and SECRET_MARK not in r.stderr
    if fmt == "github":
        assert SECRET_MARK not in summary.read_text() and "/poll/{token}/wait" in summary.read_text()


def test_scan_json_examples_show_where_the_secret_was(tmp_path: Path, secret_log: Path) -> None:
    r = run_cli(tmp_path, "scan", str(secret_log), "-f", "json")
    examples = [e.get("example") for e in json.loads(r.stdout)["endpoints"] if e.get("example")]
    assert examples and all(SECRET_MARK not in x for x in examples)
    assert any("access_token=REDACTED" in x for x in examples)


def test_logged_authorization_and_cookie_headers_are_redacted(tmp_path: Path) -> None:
    """Proxies that log request headers (Caddy's JSON access log does) hand lpdoctor credentials too."""
    lines = []
    for i in range(30):
        status = 504 if i % 2 else 200
        entry = {
            "level": "info",
            "ts": 1781259282.3 + i,
            "logger": "http.log.access.log0",
            "msg": "handled request",
            "request": {
                "remote_ip": "203.0.113.7",
                "proto": "HTTP/1.1",
                "method": "GET",
                "host": "api.example.com",
                "uri": f"/api/poll?timeout=25&api_key={SECRET_MARK}q",
                "headers": {
                    "Authorization": [f"Bearer {SECRET_MARK}bearer123"],
                    "Cookie": [f"sid={SECRET_MARK}cookie"],
                    "User-Agent": [f"agent token={SECRET_MARK}ua"],
                },
            },
            "duration": 10.0 if status == 504 else 25.0,
            "size": 2,
            "status": status,
        }
        lines.append(json.dumps(entry))
    log = tmp_path / "caddy.log"
    log.write_text("\n".join(lines) + "\n")
    for fmt in FORMATS:
        r = run_cli(tmp_path, "scan", str(log), "-f", fmt)
        assert r.returncode == 1, r.stderr
        assert "/api/poll" in r.stdout
        assert SECRET_MARK not in r.stdout + r.stderr, fmt


def test_saved_partials_carry_no_credential(tmp_path: Path, secret_log: Path) -> None:
    partial = tmp_path / "part.json"
    r = run_cli(tmp_path, "scan", str(secret_log), "--save-partial", str(partial))
    assert r.returncode == 0, r.stderr
    assert "/_matrix/client/v3/sync" in partial.read_text()
    assert SECRET_MARK not in partial.read_text()


# ---- check-config and probe


def test_check_config_errors_and_reports_redact_credentials(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n  server {\n    listen 80;\n    location /_matrix/ {\n"
        f"      proxy_pass http://alice:{SECRET_MARK}pw@127.0.0.1:8008/?access_token={SECRET_MARK}cfg;\n"
        "      proxy_read_timeout 10s;\n    }\n  }\n}\n"
    )
    for fmt in FORMATS:
        r = run_cli(tmp_path, "check-config", str(conf), "--hold", "/_matrix/client/v3/sync=30s", "-f", fmt)
        assert r.returncode == 1, r.stderr
        assert "proxy_read_timeout" in r.stdout
        assert SECRET_MARK not in r.stdout + r.stderr, fmt
    bad = tmp_path / "bad.conf"
    bad.write_text(f'events {{}}\nhttp {{\n  include "/nonexistent/token={SECRET_MARK}inc.conf";\n}}\n')
    r = run_cli(tmp_path, "check-config", str(bad))
    assert r.returncode == 2
    assert "bad.conf:3: include /nonexistent/token=REDACTED: no such file" in r.stderr
    r = run_cli(tmp_path, "check-config", str(conf), "--hold", f"/poll?access_token={SECRET_MARK}h=bogus")
    assert r.returncode == 2 and SECRET_MARK not in r.stderr and r.stderr.strip()


@pytest.mark.parametrize("fmt", FORMATS)
def test_probe_never_prints_the_url_credentials_or_header_values(
    fmt: str, tmp_path: Path, backend_factory: object
) -> None:
    backend = backend_factory(mode="close-after", mode_s=1.0)  # type: ignore[operator]
    url = f"http://127.0.0.1:{backend.port}/poll?timeout=2000&access_token={SECRET_MARK}q&sig={SECRET_MARK}s"
    summary = tmp_path / "summary.md"
    r = run_cli(
        tmp_path,
        "probe",
        url,
        "--hold",
        "2s",
        "-H",
        f"Authorization: Bearer {SECRET_MARK}header1",
        "-H",
        f"X-Custom-Thing: {SECRET_MARK}header2",
        "-f",
        fmt,
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert r.returncode == 1, r.stderr
    assert SECRET_MARK not in r.stdout + r.stderr
    assert "access_token=REDACTED" in r.stderr  # the printed URL: redacted, not dropped
    assert "/poll" in r.stdout
    if summary.exists():
        assert SECRET_MARK not in summary.read_text()


def test_probe_refuses_a_bad_url_without_echoing_its_credentials(tmp_path: Path) -> None:
    r = run_cli(tmp_path, "probe", f"ftp://user:{SECRET_MARK}pw@example.org/x?token={SECRET_MARK}t")
    assert r.returncode == 2 and r.stderr.strip()
    assert SECRET_MARK not in r.stderr


# ---- no way to turn redaction off


def test_no_command_has_an_option_to_show_secrets() -> None:
    assert isinstance(main, click.Group)
    for name, command in main.commands.items():
        for param in command.params:
            words = " ".join([*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]).lower()
            assert "secret" not in words and "redact" not in words, (name, words)


@pytest.mark.parametrize("flag", ["--show-secrets", "--no-redact"])
def test_show_secrets_does_not_exist(flag: str, tmp_path: Path, secret_log: Path) -> None:
    r = run_cli(tmp_path, "scan", flag, str(secret_log))
    assert r.returncode == 2 and "No such option" in r.stderr
    assert SECRET_MARK not in r.stdout + r.stderr
