"""Redaction, closer: credentials under the names and shapes clients really use, in every output.

Issue 12's adversarial pass found credentials that went through: ``user:password@`` without a scheme (a
logged Host header), ``redis://:pw@``, camelCase and PHP-array names (``accessToken=``, ``access_token[]=``),
percent-encoded and double-encoded names, ``;jsessionid=`` path parameters, a short ``Authorization: Bearer``
value, Google ``AIza…`` keys and ``npm_…`` tokens. And the redactor rewrote lpdoctor's own advice: the ALB fix
read ``--attributes Key=REDACTED,Value=100`` (issue 16 item 9). Every secret here carries ``S3CR3T`` and every
test also checks that the text around it did reach the output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lpdoctor.text.safety import REDACTED, credential_name, redact, safe
from tests.logfactory import kv_line

MARK = "S3CR3T"
FORMATS = ("text", "rich", "json", "sarif", "github")
LPDOCTOR = [sys.executable, "-m", "lpdoctor"]


def run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("LPDOCTOR_DEBUG", "GITHUB_STEP_SUMMARY")}
    return subprocess.run(
        [*LPDOCTOR, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, "COLUMNS": "400", "FORCE_COLOR": "1", **env},
        cwd=cwd,
        check=False,
    )


# ---- redact(): each shape that went through before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # userinfo, with or without a scheme, with or without a user
        (f"alice:{MARK}pw@api.example.com", "REDACTED@api.example.com"),
        (f"Host: alice:{MARK}pw@api.example.com", "Host: REDACTED@api.example.com"),
        (f":{MARK}pw@10.0.0.5:6379", "REDACTED@10.0.0.5:6379"),
        (f"redis://:{MARK}pw@127.0.0.1:6379/0", "redis://REDACTED@127.0.0.1:6379/0"),
        (f"https://{MARK}ghp@github.com/org/repo", "https://REDACTED@github.com/org/repo"),
        (f'upstream: "bob:{MARK}pw@backend:8080"', 'upstream: "REDACTED@backend:8080"'),
        # names: camelCase, PHP arrays, all capitals, run together
        (f"/x?accessToken={MARK}1&authToken={MARK}2&n=1", "/x?accessToken=REDACTED&authToken=REDACTED&n=1"),
        (f"/x?sessionToken={MARK}&PHPSESSID={MARK}&n=1", "/x?sessionToken=REDACTED&PHPSESSID=REDACTED&n=1"),
        (f"/x?access_token[]={MARK}&n=1", "/x?access_token[]=REDACTED&n=1"),
        (f"/x?user[password]={MARK}&n=1", "/x?user[password]=REDACTED&n=1"),
        (f"/x?XACCESSTOKEN={MARK}&n=1", "/x?XACCESSTOKEN=REDACTED&n=1"),
        # percent-encoded names, once and twice; an encoded query inside a parameter
        (f"/x?access%5Ftoken={MARK}&n=1", "/x?access%5Ftoken=REDACTED&n=1"),
        (f"/x?access%255Ftoken={MARK}&n=1", "/x?access%255Ftoken=REDACTED&n=1"),
        (f"/x?%61ccess_token={MARK}&n=1", "/x?%61ccess_token=REDACTED&n=1"),
        (f"/x?q=a%2Ctoken={MARK}&n=1", "/x?q=a%2Ctoken=REDACTED&n=1"),  # after any encoded separator
        (
            f"/cb?r=https%253A%252F%252Fapp%252Fcb%253Fa%253D1%2526accessToken%253D{MARK}%2526y%253D1",
            "/cb?r=https%253A%252F%252Fapp%252Fcb%253Fa%253D1%2526accessToken%253DREDACTED%2526y%253D1",
        ),
        # path parameters are parameters
        (f"/shop/cart;jsessionid={MARK}?item=3", "/shop/cart;jsessionid=REDACTED?item=3"),
        (f"/app;JSESSIONID={MARK}/poll", "/app;JSESSIONID=REDACTED/poll"),
        # a short bearer token; the scheme stays readable
        (f"Authorization: Bearer {MARK}", "Authorization: Bearer REDACTED"),
        (f'"authorization": "Basic {MARK}"', '"authorization": "Basic REDACTED"'),
        # shapes
        ("/maps?k=AIzaSyD" + MARK + "x" * 26 + "&z=1", "/maps?k=REDACTED&z=1"),
        ("//registry/?t=npm_" + MARK + "a" * 30, "//registry/?t=REDACTED"),
    ],
)
def test_credentials_that_used_to_pass(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # more shapes tried beyond the list
        f"Referer: https://bob:{MARK}@intranet.example/",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + MARK,
        "xoxb-1234567890-" + MARK + "abcdef",
        "xapp-1-A0123-" + MARK + "abcdef",
        "ghp_" + MARK + "a" * 30,
        "ASIA" + "IOSFODNN7" + "S3CR3TX",  # temporary AWS key id
        "sk_test_" + MARK + "a" * 16,
        "hf_" + MARK + "a" * 30,
        "pypi-AgEIcHlwaS5vcmc" + MARK + "a" * 40,
        "SG." + MARK + "a" * 16 + "." + "b" * 20,
        "shpat_" + "0123456789abcdef" * 2,
        "sk-ant-api03-" + MARK + "a" * 20,
        f"x-goog-api-key: {MARK}",
        f"/x?aws_secret_access_key={MARK}",
        f"/x?clientSecret={MARK}",
        f"/x?api-token={MARK}",
        f"/x?privateKey={MARK}",
        f"/x?X-Amz-Credential={MARK}%2F20260101",
        f"/x?passphrase={MARK}",
        f'{{"access_token" : "{MARK}"}}',  # a space before the colon
        f"api_key = {MARK}",  # TOML, INI
        f"/x?authkey={MARK}&secretkey={MARK}&pw={MARK}",
        f"/login?redirect=https%3A%2F%2Falice%3A{MARK}%40evil.example%2Fx",  # userinfo, percent-encoded
        f"/r?u=https%253A%252F%252Fbob%253A{MARK}%2540evil.example",  # ... twice
        f"https://hooks.slack.com/services/T0001/B0001/{MARK}abcdef",
        f"https://discord.com/api/webhooks/123456789012345678/{MARK}abcdefghijklmnop",
        f"123456789:AA{MARK}" + "a" * 28,  # a Telegram bot token outside a /bot path
        "key-" + "0123456789abcdef" * 2,  # Mailgun
        f"hvs.{MARK}" + "a" * 20,  # Vault
    ],
)
def test_more_shapes(text: str) -> None:
    out = redact(text)
    assert REDACTED in out, out
    assert MARK not in out and "0123456789abcdef" * 2 not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "/_matrix/client/v3/profile/@alice:example.org/displayname",  # Matrix ids: "@" before the colon
        "/.well-known/webfinger?resource=acct:alice@example.org",  # an address, not a password
        "mailto:bob@example.com",
        "image: nginx:1.25@sha256:0d5f1a",  # an image digest
        "git@github.com:org/repo.git",
        "nginx.conf:74: unknown key: timeoutz",
        "/etc/passwd:27: cannot read",
        '- "sozune.http.events.stickySession=true"',  # a setting named like a credential, and its value
        "/x?require_auth=false&use_token=TRUE",
    ],
)
def test_lookalikes_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_names_are_normalised_the_same_way_whatever_their_spelling() -> None:
    spellings = ["access_token", "accessToken", "AccessToken", "ACCESS-TOKEN", "access.token", "access_token[]"]
    spellings += ["access%5Ftoken", "access%255Ftoken", "access%25255Ftoken", "%61ccess_token"]
    assert {credential_name(s) for s in spellings} == {"access_token"}
    assert credential_name("access%2525255Ftoken") is None  # decoded at most three times
    assert credential_name("monkey") is None and credential_name("keyboard") is None


def test_a_long_hostile_run_is_redacted_in_linear_time() -> None:
    import time

    for text in ("%26" * 100_000, "a" + "%41" * 100_000, "a:" * 100_000 + "@x", "/a:b" * 50_000 + "@x"):
        started = time.process_time()
        redact(text)
        assert time.process_time() - started < 2.0


def test_safe_of_a_fix_keeps_lpdoctors_words_and_redacts_the_values_put_in() -> None:
    from lpdoctor.text.safety import authored

    fix = authored(
        "--attributes Key=idle_timeout.timeout_seconds,Value={n}  # {route}", {"n": 100, "route": "/p?token=x"}
    )
    assert safe(fix) == "--attributes Key=idle_timeout.timeout_seconds,Value=100  # /p?token=REDACTED"
    assert safe(fix + "") == safe(str(fix))  # a plain copy is no longer trusted: redacted whole
    assert "Key=REDACTED" in safe(str(fix) + " ")


# ---- end to end: a scan of logs carrying them, every format, partials and stderr


def _access_log(path: Path) -> Path:
    """nginx key=value lines logging ``$http_host`` (which keeps what the client sent, userinfo included) and
    targets carrying each kind of credential; half the long-polls are cut at 10 s."""
    targets = [
        f"/api/poll?timeout=25&accessToken={MARK}a",
        f"/api/poll?timeout=25&access_token[]={MARK}b",
        f"/api/poll?timeout=25&access%255Ftoken={MARK}c",
        f"/api/poll;jsessionid={MARK}d?timeout=25",
        f"/api/poll?timeout=25&key=AIzaSyD{MARK}{'x' * 26}",
        f"/api/poll?timeout=25&t=npm_{MARK}{'a' * 30}",
    ]
    lines = []
    for i in range(36):
        status = 504 if i % 2 else 200
        line = kv_line(targets[i % len(targets)], status, 10.0 if status == 504 else 25.0, i=i, ua=f"ua Bearer {MARK}")
        lines.append(line + f' host="alice:{MARK}pw@api.example.com"')
    path.write_text("\n".join(lines) + "\n")
    return path


def _leaks(text: str) -> bool:
    return MARK.lower() in text.lower()  # hosts are lower-cased on the way


@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_prints_none_of_them_in_any_format(fmt: str, tmp_path: Path) -> None:
    log = _access_log(tmp_path / "access.log")
    summary = tmp_path / "summary.md"
    missing = tmp_path / f"gone;jsessionid={MARK}.log"
    r = run_cli(tmp_path, "scan", str(log), str(missing), "-f", fmt, GITHUB_STEP_SUMMARY=str(summary))
    assert r.returncode == 2, r.stderr  # the missing input
    assert "/api/poll" in r.stdout and "jsessionid=REDACTED" in r.stderr
    assert not _leaks(r.stdout + r.stderr), fmt
    if fmt == "github":
        assert "/api/poll" in summary.read_text() and not _leaks(summary.read_text())
    if fmt in ("json", "sarif"):
        assert "REDACTED@api.example.com" in r.stdout  # the host is shown, its userinfo is not


def test_scan_json_examples_and_hosts_are_redacted(tmp_path: Path) -> None:
    log = _access_log(tmp_path / "access.log")
    r = run_cli(tmp_path, "scan", str(log), "-f", "json")
    doc = json.loads(r.stdout)
    (ep,) = [e for e in doc["endpoints"] if e["route"] == "/api/poll"]
    assert ep["host"] == "REDACTED@api.example.com"
    assert "accessToken=REDACTED" in ep["example"]


def test_saved_partials_carry_none_of_them(tmp_path: Path) -> None:
    log = _access_log(tmp_path / "access.log")
    partial = tmp_path / "part.json"
    r = run_cli(tmp_path, "scan", str(log), "--save-partial", str(partial))
    assert r.returncode == 0, r.stderr
    text = partial.read_text()
    assert "/api/poll" in text and "REDACTED@api.example.com" in text
    assert not _leaks(text)
    r = run_cli(tmp_path, "merge", str(partial), "-f", "json")
    assert r.returncode == 1 and "/api/poll" in r.stdout and not _leaks(r.stdout + r.stderr)


# ---- lpdoctor's own fixes are not rewritten


def _alb_log(path: Path) -> Path:
    """20 long-polls asking for 90 s, each answered 504 by the ALB at its 60 s idle timeout (the line is the
    504 example of tests/fixtures/proxies/alb/alb.log with a hold parameter added)."""
    fixture = Path(__file__).parent / "fixtures" / "proxies" / "alb" / "alb.log"
    line = fixture.read_text().splitlines()[2]
    assert "/api/poll?cursor=42" in line and " 504 " in line
    path.write_text("".join(line.replace("cursor=42", f"cursor={i}&timeout=90") + "\n" for i in range(20)))
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_alb_fix_is_printed_as_lpdoctor_wrote_it(fmt: str, tmp_path: Path) -> None:
    log = _alb_log(tmp_path / "alb.log")
    summary = tmp_path / "summary.md"
    r = run_cli(tmp_path, "scan", str(log), "-f", fmt, GITHUB_STEP_SUMMARY=str(summary))
    assert r.returncode == 1, r.stderr
    out = r.stdout + (summary.read_text() if fmt == "github" else "")
    assert "Key=REDACTED" not in out
    assert "Key=idle_timeout.timeout_seconds,Value=100" in out.replace("\\_", "_")
