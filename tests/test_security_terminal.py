"""Terminal safety: no byte an attacker chose reaches a terminal or a CI log as a control character.

Every byte of a request line was chosen by whoever sent the request; config values, file names and a probed
server's answers are not lpdoctor's either. These tests feed OSC/CSI escapes, carriage returns, NUL, C1
controls, bidi overrides, invisible characters and rich markup through every command and every format, and
check the RAW BYTES lpdoctor writes to stdout, stderr, ``--output`` files and the GitHub step summary: the
only escape sequences allowed are lpdoctor's own colours (SGR) in rich output on a terminal, and every
payload must still be visible, as escapes or literal markup (proof that it reached the output at all).
"""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpdoctor.commands.common import emit
from lpdoctor.text.safety import clean, safe
from tests.fuzz.payloads import (
    MARKUP_PIECES,
    TERMINAL_PAYLOAD,
    TERMINAL_PAYLOAD_SURROGATE,
    TERMINAL_PIECES,
    assert_neutralised_markers,
    check_github_output,
    check_json_output,
    json_strings,
    output_text,
    poisoned_report,
)

FORMATS = ("text", "rich", "json", "sarif", "github")
LPDOCTOR = [sys.executable, "-m", "lpdoctor"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "LPDOCTOR_DEBUG", "GITHUB_STEP_SUMMARY")}
    env.update({"FORCE_COLOR": "1", "COLUMNS": "400", "PYTHONIOENCODING": "utf-8"})
    env.update(extra)
    return env


def run_cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*LPDOCTOR, *args], capture_output=True, timeout=120, env=env or _env(tmp_path), cwd=tmp_path, check=False
    )


def check_report_bytes(fmt: str, raw: bytes) -> str:
    """The per-format raw-byte check; returns the text in which payload markers can be looked for."""
    if fmt in ("json", "sarif"):
        return "\n".join(json_strings(check_json_output(raw)))
    if fmt == "github":
        return check_github_output(raw)
    text = output_text(raw, styled=fmt == "rich")
    if fmt == "rich":
        assert "\x1b[" in raw.decode(), (
            "rich output was not styled: the terminal was not forced, the test proves nothing"
        )
    return text


# ---- the helpers themselves


@pytest.mark.parametrize(("raw", "shown"), TERMINAL_PIECES)
def test_clean_turns_each_control_into_a_visible_escape(raw: str, shown: str) -> None:
    assert clean(f"a{raw}b") == f"a{shown}b"
    assert safe(f"a{raw}b") == f"a{shown}b"


def test_clean_escapes_a_lone_surrogate_that_could_not_even_be_encoded() -> None:
    assert clean("x\ud800y") == "x\\ud800y"
    clean("x\ud800y").encode("utf-8")


@pytest.mark.parametrize(
    "text", ["é ü ß", "日本語", "✂ — … ⟳ █", "[bold red]x[/]", "[link=https://a.example/]", "tab\tx"]
)
def test_clean_keeps_printable_text_and_markup_as_typed(text: str) -> None:
    expected = text.replace("\t", "\\x09")
    assert clean(text) == expected


# ---- every field of a report, every format, stdout and --output


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_report_field_is_neutralised_in_output_files(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("NO_COLOR", raising=False)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = tmp_path / f"report.{fmt}"
    emit(poisoned_report(TERMINAL_PAYLOAD_SURROGATE), fmt, str(out))
    text = check_report_bytes(fmt, out.read_bytes())
    assert_neutralised_markers(text, surrogate=True)
    if fmt == "github":
        md = output_text(summary.read_bytes())
        assert "\\[bold red\\]" in md  # Markdown: markup escaped, not rendered


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_report_field_is_neutralised_on_stdout_of_a_forced_terminal(
    fmt: str, capfdbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    emit(poisoned_report(TERMINAL_PAYLOAD_SURROGATE), fmt, None)
    captured = capfdbinary.readouterr()
    assert captured.err == b""
    assert_neutralised_markers(check_report_bytes(fmt, captured.out), surrogate=True)


# ---- scan: hostile access logs, hostile file names


def _caddy_line(i: int, uri: str, host: str, ua: str, status: int, duration: float) -> str:
    request = {
        "remote_ip": "203.0.113.7",
        "remote_port": "51544",
        "client_ip": "203.0.113.7",
        "proto": "HTTP/1.1",
        "method": "GET",
        "host": host,
        "uri": uri,
        "headers": {"User-Agent": [ua]},
    }
    entry = {
        "level": "info",
        "ts": 1781259282.3 + i,
        "logger": "http.log.access.log0",
        "msg": "handled request",
        "request": request,
        "bytes_read": 0,
        "duration": duration,
        "size": 2,
        "status": status,
    }
    return json.dumps(entry)  # ensure_ascii: control characters travel as \u001b escapes, as Caddy writes them


# The payload pieces without "/": a route keeps at most 12 segments, and each piece must survive in one.
ROUTE_PIECES = [(raw.replace("/", ""), shown.replace("/", "")) for raw, shown in TERMINAL_PIECES] + [
    (m.replace("/", ""), m.replace("/", "")) for m in MARKUP_PIECES
]


def hostile_route() -> str:
    """A request path whose segments carry every payload piece, three per segment."""
    raws = [raw for raw, _ in ROUTE_PIECES]
    return "/poll/" + "/".join("s" + "~".join(raws[i : i + 3]) for i in range(0, len(raws), 3))


@pytest.fixture
def hostile_scan_inputs(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    route = hostile_route()
    lines = [
        _caddy_line(
            i,
            route + "\ud800" + "?timeout=25",
            "h\x1b[2J\r\x00.example.com",
            "UA\x1b]0;pwned\x07[bold red]",
            504 if i % 2 else 200,
            10.0 if i % 2 else 25.0,
        )
        for i in range(40)
    ]
    name = "access-\x1b]0;pwned-title\x07-\x1b[2J-\r-\u202e-[bold red]-\x9b.log"
    log = tmp_path / name
    log.write_text("\n".join(lines) + "\n")
    yield log, name


@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_of_a_hostile_log_writes_only_safe_bytes_everywhere(
    fmt: str, tmp_path: Path, hostile_scan_inputs: tuple[Path, str]
) -> None:
    log, _ = hostile_scan_inputs
    summary = tmp_path / "summary.md"
    missing = tmp_path / "gone-\x1b]0;pwned-title\x07-\r\x1b[2J.log"
    env = _env(tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    r = run_cli(tmp_path, "scan", str(log), str(missing), "-f", fmt, env=env)
    assert r.returncode == 2, r.stderr  # one input was missing
    text = check_report_bytes(fmt, r.stdout)
    for _, shown in ROUTE_PIECES:
        assert shown in text  # the route reached the report, neutralised
    err = output_text(r.stderr)
    assert "gone-\\x1b]0;pwned-title\\x07-\\x0d\\x1b[2J.log: no such file" in err
    out = tmp_path / "report.out"
    r2 = run_cli(tmp_path, "scan", str(log), "-f", fmt, "-o", str(out), env=env)
    assert r2.returncode == 1 and r2.stdout == b"", r2.stderr
    output_text(r2.stderr)
    file_text = check_report_bytes(fmt, out.read_bytes())
    for _, shown in ROUTE_PIECES:
        assert shown in file_text
    if fmt == "github":
        output_text(summary.read_bytes())


def test_scan_on_a_real_terminal_uses_only_its_own_colours(
    tmp_path: Path, hostile_scan_inputs: tuple[Path, str]
) -> None:
    """``-f auto`` on a pseudo-terminal picks rich by itself; still only SGR colour sequences come out."""
    log, _ = hostile_scan_inputs
    env = _env(tmp_path)
    env.pop("FORCE_COLOR")
    raw = _run_on_pty([*LPDOCTOR, "scan", str(log)], env, tmp_path)
    text = output_text(raw.replace(b"\r\n", b"\n"), styled=True)
    assert "\x1b[" in raw.decode(), "not styled: the terminal was not detected"
    for _, shown in ROUTE_PIECES:
        assert shown in text


def _run_on_pty(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 60.0) -> bytes:
    main_fd, child_fd = pty.openpty()
    try:
        proc = subprocess.Popen(argv, stdin=child_fd, stdout=child_fd, stderr=child_fd, env=env, cwd=cwd)
    finally:
        os.close(child_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main_fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(main_fd, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(main_fd)
    return b"".join(chunks)


# ---- check-config: hostile values in configuration and in its file name


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_config_with_hostile_config_values_and_file_name(fmt: str, tmp_path: Path) -> None:
    location = "/_matrix/\x1b[2J[bold red]x[/]"
    conf_name = "ngi\x1b]0;pwned-title\x07nx\u2066.conf"
    (tmp_path / conf_name).write_text(
        "events {}\nhttp {\n  server {\n    listen 80;\n"
        '    server_name "ex\x1b]0;pwned-title\x07\x00\r\u202e.org";\n'
        f'    location "{location}" {{\n      proxy_pass http://127.0.0.1:8008;\n      proxy_read_timeout 10s;\n    }}\n'
        "  }\n}\n"
    )
    summary = tmp_path / "summary.md"
    env = _env(tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    r = run_cli(tmp_path, "check-config", conf_name, "--hold", f"{location}=30s", "-f", fmt, env=env)
    assert r.returncode == 1, r.stderr
    text = check_report_bytes(fmt, r.stdout)
    output_text(r.stderr)
    for shown in ("\\x1b]0;pwned-title\\x07", "\\x1b[2J", "\\u2066", "[bold red]", "[/]"):
        assert shown in text
    if fmt == "github":
        output_text(summary.read_bytes())


def test_check_config_error_messages_are_neutralised(tmp_path: Path) -> None:
    conf = tmp_path / "bad\x1b]0;pwned\x07.conf"
    conf.write_text('events {}\nhttp {\n  include "/nonexistent/\x1b]0;t\x07\r.conf";\n}\n')
    r = run_cli(tmp_path, "check-config", str(conf), "-f", "text")
    assert r.returncode == 2
    err = output_text(r.stderr)
    # crossplane reads the file with universal newlines: the \r arrives as \n, and is shown escaped all the same
    assert err.count("\n") == 1 and "bad\\x1b]0;pwned\\x07.conf:3" in err and "\\x1b]0;t\\x07\\x0a" in err


def test_check_config_from_a_hostile_scan_file(tmp_path: Path, hostile_scan_inputs: tuple[Path, str]) -> None:
    """A scan report is an input too: a crafted ``--from-scan`` JSON carries escapes as \\u001b."""
    log, _ = hostile_scan_inputs
    scan_json = tmp_path / "scan.json"
    r = run_cli(tmp_path, "scan", str(log), "-f", "json", "-o", str(scan_json))
    assert r.returncode == 1, r.stderr
    doc = json.loads(scan_json.read_text())
    for e in doc["endpoints"]:
        e["route"] = "/_matrix/" + TERMINAL_PAYLOAD  # as an attacker would write it: raw, JSON-escaped
    scan_json.write_text(json.dumps(doc))
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n  server {\n    listen 80;\n    location /_matrix/ {\n"
        "      proxy_pass http://127.0.0.1:8008;\n      proxy_read_timeout 10s;\n    }\n  }\n}\n"
    )
    for fmt in FORMATS:
        r = run_cli(tmp_path, "check-config", str(conf), "--from-scan", str(scan_json), "-f", fmt)
        assert r.returncode in (0, 1), r.stderr
        check_report_bytes(fmt, r.stdout)
        output_text(r.stderr)


# ---- probe: the URL is the user's, the answer is the server's


class HostileServer:
    """A raw HTTP server whose answers carry escapes in the reason phrase, headers and body."""

    RESPONSES = (
        b"HTTP/1.1 504 Gateway\x1b]0;pwned-title\x07 Time-out\r\nServer: evil\x1b[2J[bold red]\r\n"
        b"Via: 1.1 \xe2\x80\xae proxy\r\nContent-Length: 12\r\n\r\n\x1b[2Jpwned!\r\n\x00\n",
        b"HTTP/1.1 200 OK\r\nServer: [link=https://evil.example/]evil[/]\r\nVia: 1.1 edge\x7f\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 9\r\n\r\n\x1b]0;t\x07\r\n",
    )

    def __init__(self, response: bytes) -> None:
        self.response = response
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def _serve(self) -> None:
        deadline = time.monotonic() + 120  # stops by itself
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    conn.sendall(self.response)
                except OSError:
                    pass


@pytest.mark.parametrize(
    ("response", "server_shown"),
    [
        (HostileServer.RESPONSES[0], "evil\\x1b[2J[bold red]"),
        (HostileServer.RESPONSES[1], "[link=https://evil.example/]evil[/]"),
    ],
    ids=["504-escapes", "200-markup"],
)
@pytest.mark.parametrize("fmt", ["text", "rich", "json", "github"])
def test_probe_of_a_hostile_server(fmt: str, response: bytes, server_shown: str, tmp_path: Path) -> None:
    with HostileServer(response) as server:
        url = f"http://127.0.0.1:{server.port}/poll/%1B%5D0;pwned%07/[bold%20red]?timeout=2000"
        r = run_cli(tmp_path, "probe", url, "--hold", "2s", "-f", fmt)
    assert r.returncode in (0, 1), r.stderr
    text = check_report_bytes(fmt, r.stdout)
    err = output_text(r.stderr)
    assert "internal error" not in err and "Traceback" not in err
    if fmt == "json":
        assert server_shown in text  # the server's own header reached the report, neutralised


# ---- stderr: one-line errors never carry raw input


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "--input-format", "\x1b]0;pwned\x07"),
        ("scan", "--log-format", "$remote_addr \x1b[2J \r $bogus_var"),
        ("explain", "\x1b]0;pwned\x07\r"),
        ("scan", "--fail-on", "\x1b[2J"),
        ("check-config", "--hold", "/x\x1b[2J=\x1b]0;pwned\x07"),
        ("probe", "http://127.0.0.1:9/\x1b]0;pwned\x07"),
        ("probe", "http://127.0.0.1:9/", "-H", "X-\x1b[2J: v"),
        ("no-such-\x1b]0;pwned\x07-command",),
    ],
)
def test_error_messages_never_carry_raw_control_characters(args: tuple[str, ...], tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("x\n")
    argv = [*args, str(log)] if args[0] == "scan" else list(args)
    r = run_cli(tmp_path, *argv)
    assert r.returncode == 2, (r.returncode, r.stderr)
    err = output_text(r.stderr)
    output_text(r.stdout)
    assert "Traceback" not in err and err.strip()


def test_internal_errors_are_one_neutralised_line(tmp_path: Path) -> None:
    """Even a bug's message (which may quote input) is cleaned: simulated with a reporter that raises."""
    code = (
        "import sys, lpdoctor.reporters.text_report as t\n"
        "def boom(report, out):\n"
        "    raise RuntimeError('bad \\x1b]0;pwned\\x07 \\r\\x1b[2J value')\n"
        "t.render = boom\n"
        "from lpdoctor.cli import run\n"
        "sys.argv = ['lpdoctor'] + sys.argv[1:]\n"
        "run()\n"
    )
    log = tmp_path / "a.log"
    from tests.logfactory import long_poll_route

    log.write_text("\n".join(long_poll_route("/poll?timeout=25", n=30, hold=25.0, cut=10.0)) + "\n")
    r = subprocess.run(
        [sys.executable, "-c", code, "scan", str(log), "-f", "text"],
        capture_output=True,
        timeout=60,
        env=_env(tmp_path),
        cwd=tmp_path,
        check=False,
    )
    assert r.returncode == 3
    err = output_text(r.stderr)
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "internal error: RuntimeError: bad \\x1b]0;pwned\\x07 \\x0d\\x1b[2J value" in err
