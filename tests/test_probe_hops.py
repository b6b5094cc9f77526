"""lpdoctor probe against real chains on 127.0.0.1: which hop a failure points to (issue 14, probe items).

Each test starts the real components (HAProxy in ``mode tcp``, a real Go ``http.Server``, nginx, the harness's
long-poll backend) at timeouts of seconds and runs the real CLI, as a user would:

- a FIN with no byte at a wall below the hold is an idle cut on the path (hop ``edge``), not "the server";
- a real Go ``WriteTimeout`` fails at the end of the handler (a ceiling): the server;
- ``102 Processing`` every second keeps the same HAProxy-tcp chain alive, and more than 5 of them per poll is a
  warning for Go clients — checked against Go's own client;
- nginx in between takes the first 102 for the final answer: a proxy finding;
- a body that ended only because the connection closed is not a held answer;
- an inconsistent search fails the run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.probe_real import (
    RawServer,
    TcpHaproxyConfig,
    build_go,
    go_get,
    go_server,
    read_request,
    wait_quiet,
)
from tests.realworld.backend import Backend
from tests.realworld.haproxy import HaproxyConfig, HaproxyInstance, start_haproxy
from tests.realworld.nginx import NginxConfig, NginxInstance

pytestmark = pytest.mark.real

REPO = Path(__file__).resolve().parents[1]


def probe(*args: str, timeout: float = 120) -> tuple[int, dict[str, Any], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "probe", *args, "-f", "json"],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


@pytest.fixture(scope="module")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go(tmp_path_factory.mktemp("go"))


@pytest.fixture
def haproxy(tmp_path: Path) -> Iterator[Callable[[HaproxyConfig], HaproxyInstance]]:
    started: list[HaproxyInstance] = []

    def make(config: HaproxyConfig) -> HaproxyInstance:
        instance = start_haproxy(config, tmp_path / f"haproxy-{len(started)}")
        started.append(instance)
        return instance

    yield make
    for instance in started:
        instance.stop()


def tcp_lb(servers: list[str], idle: str) -> TcpHaproxyConfig:
    return TcpHaproxyConfig(servers=servers, timeout_client=idle, timeout_server=idle)


def test_a_tcp_load_balancer_idle_cut_is_the_edge_not_the_server(
    backend_factory: Callable[..., Backend], haproxy: Callable[[HaproxyConfig], HaproxyInstance]
) -> None:
    """HAProxy mode tcp, timeout client/server 2 s, in front of a server that answers at the end of the hold:
    every silent poll longer than 2 s gets a FIN and no byte at 2 s, whatever the hold."""
    slow = backend_factory(mode="normal")
    lb = haproxy(tcp_lb([slow.address], "2s"))
    code, report, _err = probe(f"http://{lb.address}/poll?timeout=5000", "--search", "1s..6s")
    assert code == 1
    [finding] = report["findings"]
    assert finding["rule"] == "hold-cut" and finding["hop"] == "edge" and finding["severity"] == "error"
    assert finding["cutoff_s"] == pytest.approx(2.0, abs=0.2)
    message = finding["message"]
    assert "FIN, no byte of answer" in message and "idle timeout on the path" in message
    assert "WriteTimeout" not in message
    assert "probe the origin directly" in message  # what would tell a server killing requests at 2 s apart
    assert re.match(r"Keep bytes flowing more often than every (1\.9|2) s ", finding["fix"]), finding["fix"]
    assert "raise the idle timeout of the LB/edge" in finding["fix"]
    first = report["stats"]["probe"]["requests"][0]
    assert first["failure"] == "eof-before-headers" and first["hold_s"] == 6


def test_the_idle_wall_does_not_move_with_the_hold(
    backend_factory: Callable[..., Backend], haproxy: Callable[[HaproxyConfig], HaproxyInstance]
) -> None:
    """Two polls (5 s and 3.5 s) through the same 2 s idle cut both end at 2 s: the report says the wall did
    not move with the hold."""
    slow = backend_factory(mode="normal")
    lb = haproxy(tcp_lb([slow.address], "2s"))
    code, report, _err = probe(
        f"http://{lb.address}/poll?timeout=5000", "--search", "1.5s..5s", "--concurrency", "2", "--max-requests", "3"
    )
    assert code == 1
    finding = next(f for f in report["findings"] if f["rule"] == "hold-cut")
    assert finding["hop"] == "edge"
    assert "did not move with the hold" in finding["message"]


def test_a_real_go_write_timeout_is_the_server_at_the_end_of_the_handler(go_binary: Path) -> None:
    """Go http.Server{WriteTimeout: 2s}: the handler runs to the end of the hold, then Go closes the connection
    without a byte — the failure follows the hold (a ceiling), so it is the server, not an idle cut."""
    with go_server(go_binary, "2s") as go:
        code, report, _err = probe(
            f"http://{go.address}/poll?timeout=4000", "--search", "1s..4s", "--resolution", "0.6s"
        )
    assert code == 1
    [finding] = report["findings"]
    assert finding["hop"] == "server" and finding["severity"] == "error"
    assert "WriteTimeout" in finding["message"] and "idle timeout" not in finding["message"]
    requests = report["stats"]["probe"]["requests"]
    first = requests[0]
    assert first["failure"] == "eof-before-headers" and first["verdict"] == "cut-at-hold"
    assert first["held_s"] == pytest.approx(4.0, abs=0.3)  # at the handler's end, not at the 2 s deadline
    low, high = report["stats"]["probe"]["bracket_s"]
    assert low < 2.0 <= high


def test_102_every_second_keeps_the_tcp_chain_alive_and_warns_about_go_clients(
    backend_factory: Callable[..., Backend],
    haproxy: Callable[[HaproxyConfig], HaproxyInstance],
    go_binary: Path,
) -> None:
    """The same 2 s idle cut, the server sending 102 Processing every second: a 7.5 s poll is held (the probe
    says why), and its 7 interim responses are more than Go's client takes before Go 1.24 — which the real
    Go client confirms on the same chain."""
    processing = backend_factory(mode="processing", mode_s=1.0)
    lb = haproxy(tcp_lb([processing.address], "2s"))
    url = f"http://{lb.address}/poll?timeout=7500"
    code, report, _err = probe(url, "--hold", "7.5s")
    assert code == 0  # a warning, not an error
    assert report["stats"]["probe"]["state"] == "no-cut"
    assert any("102 Processing" in n and "No cut" in n for n in report["notes"])
    [warning] = report["findings"]
    assert warning["rule"] == "keepalive-1xx" and warning["severity"] == "warning" and warning["hop"] == "client"
    assert "too many 1xx informational responses" in warning["message"] and "before Go 1.24" in warning["message"]
    assert report["stats"]["probe"]["interim_max"] >= 6
    said = go_get(go_binary, url)
    assert said.startswith("ERROR") and "too many 1xx informational responses" in said, said
    assert go_get(go_binary, f"http://{lb.address}/poll?timeout=3500") == "STATUS 200"  # 3 interim: fine


def test_nginx_taking_the_first_102_for_the_answer_is_a_proxy_finding(
    backend_factory: Callable[..., Backend], nginx_factory: Callable[[NginxConfig], NginxInstance]
) -> None:
    """nginx (proxy_read_timeout 1 s) in front of a server sending 102 Processing every 0.5 s: nginx sends the
    client the upstream's first 102 as its answer, signed nginx, and closes 1 s after the upstream's real
    answer (which it read as a body)."""
    processing = backend_factory(mode="processing", mode_s=0.5)
    nginx = nginx_factory(NginxConfig(upstreams=[processing.address], proxy_read_timeout="1s"))
    code, report, _err = probe(f"{nginx.url}/poll?timeout=2000", "--hold", "2s")
    assert code == 1
    [finding] = report["findings"]
    assert finding["rule"] == "keepalive-1xx" and finding["severity"] == "error"
    assert finding["hop"] == "proxy" and "nginx" in finding["message"]
    assert finding["evidence"]["interim_server"].startswith("nginx")
    assert "heartbeats as bytes" in finding["fix"]
    assert any(" 102 " in line for line in nginx.access_lines())  # nginx logged the 102 as the final status


def _unframed(conn: Any) -> None:
    """A 200 whose body has no Content-Length and no chunks: it starts, then the server goes silent."""
    read_request(conn)
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"events":')
    wait_quiet(conn, 30)


def test_a_body_ended_by_the_connection_closing_is_not_a_held_answer(
    haproxy: Callable[[HaproxyConfig], HaproxyInstance],
) -> None:
    with RawServer(_unframed) as server:
        lb = haproxy(tcp_lb([server.address], "1500ms"))
        code, report, _err = probe(f"http://{lb.address}/poll?timeout=4000", "--hold", "4s")
    assert code == 1
    request = report["stats"]["probe"]["requests"][0]
    assert request["status"] == 200 and request["framing"] == "close"
    assert request["failure"] == "body-ended-by-close" and request["verdict"] == "cut-early"
    [finding] = report["findings"]
    assert finding["rule"] == "hold-cut" and finding["hop"] == "edge"
    assert finding["cutoff_s"] == pytest.approx(1.5, abs=0.3)
    assert "no length" in finding["message"]


def test_an_inconsistent_search_fails_with_what_was_seen(
    backend_factory: Callable[..., Backend], haproxy: Callable[[HaproxyConfig], HaproxyInstance]
) -> None:
    """Two servers behind HAProxy (round robin): one answers at the end of the hold, the other is killed at
    1.5 s. Two polls at once get one each: a 4 s poll held while a shorter one failed."""
    good = backend_factory(mode="normal")
    bad = backend_factory(mode="close-after", mode_s=1.5)
    lb = haproxy(HaproxyConfig(servers=[good.address, bad.address], timeout_server="10s", timeout_client="10s"))
    code, report, _err = probe(
        f"http://{lb.address}/poll?timeout=4000", "--search", "1s..4s", "--concurrency", "2", "--max-requests", "2"
    )
    assert report["stats"]["probe"]["state"] == "inconsistent"
    assert code == 1
    [finding] = report["findings"]
    assert finding["severity"] == "error" and "seen:" in finding["message"]


def _answer_then_close(conn: Any) -> None:
    """The server's own answer at the end of a 1 s hold, its body delimited only by closing the connection."""
    read_request(conn)
    time.sleep(1.0)
    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"events":[]}')
    conn.close()


def test_an_answer_ended_by_a_close_at_the_hold_is_not_counted_as_held() -> None:
    with RawServer(_answer_then_close) as server:
        code, report, _err = probe(f"http://{server.address}/poll?timeout=1000", "--hold", "1s")
    request = report["stats"]["probe"]["requests"][0]
    assert request["failure"] == "body-ended-by-close" and request["verdict"] != "held"
    assert code == 1
    [finding] = report["findings"]
    assert "make it send Content-Length or chunked bodies" in finding["message"]
