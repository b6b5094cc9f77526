"""lpdoctor probe keeps its bounds and its secrets (issue 12, probe items), checked with the real CLI against
real sockets on 127.0.0.1:

- ``--max-time`` bounds everything: a server that accepts and never answers, a TLS handshake that never ends;
- Ctrl-C (SIGINT) during ``--search`` ends the run at once: ``lpdoctor: interrupted``, exit 130;
- ``user:password@`` in the URL and ``--header`` values echoed in ``Server``/``Via`` never reach an output;
- ``--margin`` moves the line between a race and room to spare.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lpdoctor.model import Severity
from lpdoctor.probe.analysis import CutSearch, SearchPlan, conclude
from lpdoctor.probe.measurement import Measurement
from lpdoctor.probe.report import ProbeTarget, build_probe_report
from tests.probe_real import RawServer, read_request, wait_quiet
from tests.realworld.backend import Backend

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "pa55-w0rd-never-shown"
HEADER_SECRET = "hunter2-echoed-by-the-server"
BASIC = "YWxpY2U6cGE1NS13MHJkLW5ldmVyLXNob3du"  # base64("alice:" + PASSWORD): what httpx sends for the userinfo


def cli(*args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "probe", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    return proc, time.monotonic() - began


def _silent(conn: object) -> None:
    read_request(conn)  # type: ignore[arg-type]
    wait_quiet(conn, 60)  # type: ignore[arg-type]


def test_max_time_bounds_a_server_that_never_answers() -> None:
    with RawServer(_silent) as server:
        proc, took = cli(f"http://{server.address}/poll?timeout=30000", "--max-time", "2s", "-f", "json")
    assert took < 5, f"--max-time 2s took {took:.1f} s"
    assert proc.returncode == 2, proc.stderr  # nothing about the chain was measured: never a pass
    report = json.loads(proc.stdout)
    assert report["stats"]["probe"]["requests"][0]["failure"] == "max-time"
    assert any("--max-time" in n for n in report["notes"])


def test_max_time_bounds_connect_and_tls_handshakes() -> None:
    """A listening socket that never accepts: TCP connects (the kernel's backlog), the TLS handshake never
    ends. --connect-timeout is 30 s; --max-time 2 s wins."""
    with RawServer(_silent, accept=False) as server:
        proc, took = cli(
            f"https://{server.address}/poll?timeout=30000",
            "--max-time",
            "2s",
            "--connect-timeout",
            "30s",
            "-f",
            "json",
        )
    assert took < 5, f"--max-time 2s took {took:.1f} s"
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["stats"]["probe"]["requests"][0]["failure"] == "max-time"


def test_ctrl_c_during_search_exits_130_at_once(backend_factory: object) -> None:
    slow: Backend = backend_factory(mode="normal")  # type: ignore[operator]
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpdoctor", "probe", f"http://{slow.address}/poll?timeout=20000", "--search", "5s..20s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()  # "lpdoctor probe: request 1/12: hold 20 s: ..."
    assert "request 1/" in line, line
    time.sleep(0.5)  # the request is in flight, held by the server
    began = time.monotonic()
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    took = time.monotonic() - began
    assert proc.returncode == 130, err
    assert "lpdoctor: interrupted" in err and "Traceback" not in err and "Aborted" not in err
    assert took < 3, f"exit took {took:.1f} s after SIGINT (the poll in flight holds 20 s)"
    assert out == ""  # no report from a half-done search


class _EchoHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET at once, echoing request headers in Server and Via (a misconfigured proxy)."""

    def do_GET(self) -> None:
        body = b'{"events":[]}'
        self.send_response_only(200)
        self.send_header("Server", f"echo/1.0 ({self.headers.get('X-Token', '')})")
        self.send_header("Via", f"1.1 edge ({self.headers.get('Authorization', '')})")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("fmt", ["json", "text", "sarif", "github"])
@pytest.mark.parametrize("userinfo", [f"alice:{PASSWORD}@", f":{PASSWORD}@"])
def test_no_password_or_echoed_header_in_any_output(echo_server: str, fmt: str, userinfo: str) -> None:
    url = f"http://{userinfo}{echo_server}/poll?timeout=500"
    proc, _took = cli(url, "--hold", "0.5s", "-H", f"X-Token: {HEADER_SECRET}", "-f", fmt)
    assert proc.returncode == 0, proc.stderr
    for text in (proc.stdout, proc.stderr):
        assert PASSWORD not in text and "hunter2" not in text and BASIC not in text
    if fmt == "json":
        report = json.loads(proc.stdout)
        request = report["stats"]["probe"]["requests"][0]
        assert request["status"] == 200
        assert request["server"] == "echo/1.0 (REDACTED)" and request["via"] == "1.1 edge (Basic REDACTED)"
        assert report["endpoints"][0]["host"] == echo_server  # host:port, no userinfo
        assert report["stats"]["probe"]["url"].startswith("http://REDACTED@")


def test_the_margin_decides_between_a_race_and_room_to_spare() -> None:
    """A 504 at 8 s on a 10 s poll and a 7.5 s poll held: a cut at ~8 s for clients holding 5 s is a race
    with the default 5 s margin, and room to spare with --margin 1."""

    def measured(hold: float, end: float, status: int, index: int) -> Measurement:
        m = Measurement(index=index, hold_s=hold, url=f"http://lp/poll?timeout={int(hold * 1000)}", started=0.0)
        m.connect_s, m.sent_s, m.total_s, m.status, m.header_s = 0.0005, 0.001, end + 0.001, status, end + 0.001
        m.server = "nginx/1.22.1"
        return m

    severities = []
    for margin in (5.0, 1.0):
        search = CutSearch(SearchPlan(1, 10, 0.25, target_hold_s=5.0, margin_min_s=margin))
        search.add(measured(10, 8.0, 504, 1))
        search.add(measured(7.8, 7.8, 200, 2))
        report = build_probe_report(ProbeTarget("http://lp/poll?timeout=5000", None, 5.0), search, conclude(search))
        [finding] = report.findings
        severities.append(finding.severity)
    assert severities == [Severity.WARNING, Severity.INFO]


def test_margin_is_an_option_of_probe() -> None:
    proc, _took = cli("--help")
    assert "--margin" in proc.stdout
    proc, _took = cli("http://127.0.0.1:9/poll?timeout=5", "--margin", "-1")
    assert proc.returncode == 2


def test_max_time_bounds_a_resolver_that_never_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """``socket.create_connection`` resolves a name without a timeout: a resolver that does not answer held the
    probe for its own retries, past --max-time. No resolver can be made to hang here, so getaddrinfo is made to
    wait 30 s for one name (the only stand-in in this file); the rest is the real CLI in this process."""
    from click.testing import CliRunner

    from lpdoctor.cli import main

    real = socket.getaddrinfo

    def hanging(host: object, *args: object, **kwargs: object) -> object:
        if host == "dns-hangs.example":
            time.sleep(30)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    began = time.monotonic()
    result = CliRunner().invoke(
        main, ["probe", "http://dns-hangs.example/poll?timeout=30000", "--max-time", "2s", "-f", "json"]
    )
    took = time.monotonic() - began
    assert took < 5, f"--max-time 2s took {took:.1f} s"
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["stats"]["probe"]["requests"][0]["failure"] == "max-time"


def test_names_resolve_in_order_and_a_bad_name_is_a_connect_error() -> None:
    import httpcore

    from lpdoctor.probe.transport import resolve_within

    assert resolve_within("127.0.0.1", 80, 1.0) == ["127.0.0.1"]
    assert resolve_within("[::1]", 80, 1.0) == ["::1"]
    assert "127.0.0.1" in resolve_within("localhost", 80, 5.0)
    with pytest.raises(httpcore.ConnectError):
        resolve_within("bad..name", 80, 5.0)  # an empty label: refused before any lookup
