"""End to end with REAL proxies other than "nginx in front of a Python app" (issue 14), at scaled-down timeouts.

Five scenarios are recorded at once (each in its own thread, about 10 s in all), then each test runs the real
``lpdoctor`` CLI on the logs and configuration the proxy wrote and checks the hop, the cut-off and the fix:

- **Apache 2.4** (``apache2 -DFOREGROUND``, mod_proxy_http) with ``ProxyTimeout 2`` in front of a real **Go**
  ``net/http`` server holding 4 s: clients get **502** at 2 s; the error log says ``AH01102 (70007)``.
- **Caddy 2.6** with ``transport http { read_timeout 2s }`` in front of a real **Node** ``http`` server holding
  8 s: 504 at 2 s on a fresh upstream connection, 4 s when Go's transport resends the GET from a reused one,
  ``"status":0`` when the client gave up first (3.5 s); the runtime log says ``i/o timeout``.
- **HAProxy 2.6** ``mode tcp`` (``option tcplog``), ``timeout client 2s`` / ``timeout server 2s``, Go behind:
  an empty reply at 2 s (``cD``).
- **nginx 1.22** with **two** servers (Go and Node), ``proxy_read_timeout 2s`` and the default
  ``proxy_next_upstream error timeout`` / ``max_fails=1``: six polls at once, three on each server; the first
  to time out is retried on the other server (``504, 504`` at 4 s), the others find no server left (``504, 502``
  at 2 s); then instant 502s "no live upstreams" on every route.
- **nginx 1.22** in front of Node sending ``102 Processing`` every second: nginx takes the first 102 as the
  response; the client, which never gets a byte, gives up.
- **nginx 1.22** in front of Go with ``http.Server{WriteTimeout: 2s}`` and holds of 0.6 to 5 s: polls longer
  than 2 s are dropped when the handler ends (502 spread over 2.6-5 s, none succeeds past 2 s): a *ceiling*
  that follows the handler, the server's, unlike the constant walls above.

A component that is missing or will not start skips its test, or fails it under ``LPDOCTOR_REQUIRE_REAL=1``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e_support import CliRun, cycle_targets, lpdoctor, outcomes, show
from tests.realworld import require_real
from tests.realworld.clients import ClientConfig, ClientRun, run_clients
from tests.realworld.haproxy import HaproxyConfig, HaproxyUnavailable, launch_haproxy
from tests.realworld.nginx import NginxConfig, NginxUnavailable, launch_nginx
from tests.realworld.servers import AppServer, ServerUnavailable, build_go_server, launch_go, launch_node
from tests.realworld.webservers import ApacheConfig, CaddyConfig, ProxyUnavailable, launch_apache, launch_caddy

SYNC = "/_matrix/client/v3/sync"
VERSIONS = "/_matrix/client/versions"
CUT_S = 2.0
TOLERANCE_S = 0.5
UNAVAILABLE = (ProxyUnavailable, ServerUnavailable, NginxUnavailable, HaproxyUnavailable)


@dataclass
class Recorded:
    """What one scenario left behind: the files its proxy wrote, what clients saw, or why it did not run."""

    name: str
    files: dict[str, Path] = field(default_factory=dict)
    runs: list[ClientRun] = field(default_factory=list)
    version: str = ""
    problem: str | None = None

    def need(self) -> None:
        if self.problem is not None:
            require_real(f"{self.name}: {self.problem}")

    def statuses(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for run in self.runs:
            for key, n in outcomes(run.results).items():
                out[key] = out.get(key, 0) + n
        return out


def _clients(port: int, *targets: str, **kwargs: Any) -> ClientConfig:
    defaults: dict[str, Any] = {
        "clients": 4,
        "duration_s": 5.0,
        "read_timeout_s": 10.0,
        "failure_backoff_s": (0.0, 0.0),
    }
    defaults.update(kwargs)
    defaults.setdefault("targets", cycle_targets(*targets))
    return ClientConfig(port=port, **defaults)


def _apache(rec: Recorded, work: Path, go: tuple[Path, str]) -> None:
    backend = launch_go(*go, work)
    try:
        proxy = launch_apache(ApacheConfig(backend=backend.address, proxy_timeout=2), work / "apache")
        try:
            rec.version = f"{proxy.version}; {backend.version}"
            rec.runs.append(run_clients(_clients(proxy.port, f"{SYNC}?timeout=4000", VERSIONS)))
        finally:
            proxy.stop()
        rec.files = {"access": proxy.access_log, "error": proxy.error_log, "conf": proxy.conf_path}
    finally:
        backend.stop()


def _caddy(rec: Recorded, work: Path) -> None:
    backend = launch_node(work)
    try:
        proxy = launch_caddy(CaddyConfig(backends=[backend.address], read_timeout="2s"), work / "caddy")
        try:
            rec.version = f"{proxy.version}; node {backend.version}"
            # Patient clients see the resent GETs (504 at 4 s); impatient ones leave first ("status":0 at 3.5 s).
            runs: list[ClientRun] = []
            patient = threading.Thread(
                target=lambda: runs.append(
                    run_clients(_clients(proxy.port, f"{SYNC}?timeout=8000", VERSIONS, duration_s=6.0, seed=1))
                )
            )
            patient.start()
            runs.append(
                run_clients(
                    _clients(
                        proxy.port, f"{SYNC}?timeout=8000", VERSIONS, clients=6, duration_s=6.0, read_timeout_s=3.5
                    )
                )
            )
            patient.join(60)
            rec.runs.extend(runs)
        finally:
            proxy.stop()
        rec.files = {"access": proxy.access_log, "error": proxy.error_log, "conf": proxy.conf_path}
    finally:
        backend.stop()


def _haproxy_tcp(rec: Recorded, work: Path, go: tuple[Path, str]) -> None:
    backend = launch_go(*go, work)
    try:
        config = HaproxyConfig(servers=[backend.address], timeout_server="2s", timeout_client="2s", mode="tcp")
        proxy = launch_haproxy(config, work / "haproxy")
        try:
            rec.version = f"{proxy.binary}; {backend.version}"
            rec.runs.append(run_clients(_clients(proxy.port, f"{SYNC}?timeout=4000", VERSIONS, clients=3)))
            proxy.wait_for_log_lines(len(rec.runs[0].results) // 2)
        finally:
            proxy.stop()
        rec.files = {"access": proxy.log_path, "conf": proxy.conf_path}
    finally:
        backend.stop()


def _nginx_two(rec: Recorded, work: Path, go: tuple[Path, str]) -> None:
    servers: list[AppServer] = []
    try:
        servers.append(launch_go(*go, work))
        servers.append(launch_node(work))
        config = NginxConfig(upstreams=[s.address for s in servers], proxy_read_timeout="2s", log_format="kv_timing")
        proxy = launch_nginx(config, work / "nginx-two")
        try:
            rec.version = f"{proxy.binary}; " + "; ".join(s.version for s in servers)
            # Every client's first request is a poll, so round robin puts three on each server and nothing else
            # is in flight: the first timeout retries on the other server (504, 504 at 4 s), and the later ones
            # find both servers down (504, 502 at 2 s). Then polls and /versions alternate, all instant 502s;
            # clients back off a little after a failure, so those stay in the hundreds.
            later = (VERSIONS, VERSIONS, f"{SYNC}?timeout=4000")

            def poll_first(_rng: object, client: int, seq: int, *_rest: object) -> str:
                return f"{SYNC}?timeout=4000" if seq == 1 else later[(client + seq) % len(later)]

            cfg = _clients(proxy.port, targets=poll_first, clients=6, duration_s=6.0, failure_backoff_s=(0.05, 0.1))
            rec.runs.append(run_clients(cfg))
        finally:
            proxy.stop()
        rec.files = {"access": proxy.access_log, "error": proxy.error_log, "conf": proxy.conf_path}
    finally:
        for s in servers:
            s.stop()


def _nginx_102(rec: Recorded, work: Path) -> None:
    backend = launch_node(work)
    try:
        config = NginxConfig(upstreams=[backend.address], proxy_read_timeout="10s", log_format="kv_timing")
        proxy = launch_nginx(config, work / "nginx-102")
        try:
            rec.version = f"{proxy.binary}; node {backend.version}"
            cfg = _clients(
                proxy.port, f"{SYNC}?timeout=3000&processing=1", clients=2, max_requests=1, read_timeout_s=4.5
            )
            rec.runs.append(run_clients(cfg))
            proxy.wait_for_access_lines(2)
        finally:
            proxy.stop()
        rec.files = {"access": proxy.access_log, "conf": proxy.conf_path}
    finally:
        backend.stop()


def _nginx_go_write_timeout(rec: Recorded, work: Path, go: tuple[Path, str]) -> None:
    backend = launch_go(*go, work, write_timeout="2s")
    try:
        config = NginxConfig(upstreams=[backend.address], proxy_read_timeout="30s", log_format="kv_timing")
        proxy = launch_nginx(config, work / "nginx-go")
        try:
            rec.version = f"{proxy.binary}; {backend.version}"
            holds = [f"/api/events?timeout={ms}" for ms in (600, 1200, 1800, 2600, 3400, 4200, 5000)]
            rec.runs.append(run_clients(_clients(proxy.port, *holds, clients=7, duration_s=7.0)))
        finally:
            proxy.stop()
        rec.files = {"access": proxy.access_log, "error": proxy.error_log, "conf": proxy.conf_path}
    finally:
        backend.stop()


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Recorded]]:
    """Every scenario, recorded in parallel; each keeps its own failure to start."""
    root = tmp_path_factory.mktemp("proxies")
    go: tuple[Path, str] | None = None
    go_problem = None
    try:
        go = build_go_server(root / "go-build")
    except ServerUnavailable as exc:
        go_problem = str(exc)
    scenarios: dict[str, Callable[[Recorded, Path], None]] = {
        "caddy": _caddy,
        "nginx-102": _nginx_102,
    }
    if go is not None:
        built = go
        scenarios["apache"] = lambda r, w: _apache(r, w, built)
        scenarios["haproxy-tcp"] = lambda r, w: _haproxy_tcp(r, w, built)
        scenarios["nginx-two"] = lambda r, w: _nginx_two(r, w, built)
        scenarios["nginx-go"] = lambda r, w: _nginx_go_write_timeout(r, w, built)
    go_names = ("apache", "haproxy-tcp", "nginx-two", "nginx-go")
    results = {name: Recorded(name) for name in (*go_names, "caddy", "nginx-102")}
    for name in go_names:
        if go is None:
            results[name].problem = go_problem

    def record(name: str) -> None:
        work = root / name
        work.mkdir()
        try:
            scenarios[name](results[name], work)
        except UNAVAILABLE as exc:
            results[name].problem = str(exc)
        except Exception as exc:  # reported by the scenario's own test, not lost in a thread
            results[name].problem = f"{type(exc).__name__}: {exc}"

    started = time.monotonic()
    threads = [threading.Thread(target=record, args=(name,), daemon=True) for name in scenarios]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for rec in results.values():
        show(rec.name, version=rec.version, clients=rec.statuses(), problem=rec.problem)
    show("recording", wall_s=round(time.monotonic() - started, 1))
    yield results


def scan(*paths: Path) -> CliRun:
    return lpdoctor("scan", *(str(p) for p in paths))


def one(run: CliRun, rule: str, route: str = SYNC) -> dict[str, Any]:
    found = [f for f in run.findings(rule) if f.get("route") == route]
    assert len(found) == 1, run.summary()
    return found[0]


@pytest.mark.real
def test_apache_proxy_timeout_502_is_the_proxy(recorded: dict[str, Recorded]) -> None:
    rec = recorded["apache"]
    rec.need()
    assert rec.statuses().get("502", 0) >= 4 and rec.statuses().get("200", 0) >= 4
    cut_lines = [ln for ln in rec.files["access"].read_text().splitlines() if '" 502 ' in ln]
    assert all(abs(int(ln.rsplit(" ", 1)[1]) / 1e6 - CUT_S) < TOLERANCE_S for ln in cut_lines)
    assert "(70007)The timeout specified has expired" in rec.files["error"].read_text()

    run = scan(rec.files["access"], rec.files["error"])
    assert run.returncode == 1
    cut = one(run, "hold-cut")
    assert cut["hop"] == "proxy" and abs(cut["cutoff_s"] - CUT_S) <= TOLERANCE_S
    assert cut["fix"].startswith("ProxyTimeout ")
    assert {f["hop"] for f in run.findings() if f.get("route") == SYNC} == {"proxy"}

    checked = lpdoctor(
        "check-config", str(rec.files["conf"]), "--log", str(rec.files["access"]), "--log", str(rec.files["error"])
    )
    below = one(checked, "timeout-below-hold")
    assert below["hop"] == "proxy" and below["evidence"]["setting"] == "ProxyTimeout"
    assert abs(below["cutoff_s"] - cut["cutoff_s"]) <= TOLERANCE_S
    assert one(checked, "hold-cut")["hop"] == "proxy"


@pytest.mark.real
def test_caddy_read_timeout_under_resends_and_status_0(recorded: dict[str, Recorded]) -> None:
    rec = recorded["caddy"]
    rec.need()
    access = rec.files["access"].read_text()
    assert '"status":504' in access and '"status":0,' in access
    assert "i/o timeout" in rec.files["error"].read_text()

    run = scan(rec.files["access"], rec.files["error"])
    assert [i["format"] for i in run.report["inputs"]] == ["caddy-json", "caddy-runtime"]
    assert run.returncode == 1
    cut = one(run, "hold-cut")
    assert cut["hop"] == "proxy" and abs(cut["cutoff_s"] - CUT_S) <= TOLERANCE_S
    assert "read_timeout" in cut["fix"]

    checked = lpdoctor(
        "check-config", str(rec.files["conf"]), "--log", str(rec.files["access"]), "--log", str(rec.files["error"])
    )
    below = one(checked, "timeout-below-hold")
    assert below["evidence"]["setting"] == "read_timeout" and below["hop"] == "proxy"
    assert abs(below["cutoff_s"] - cut["cutoff_s"]) <= TOLERANCE_S


@pytest.mark.real
def test_haproxy_mode_tcp_empty_reply_names_both_timers(recorded: dict[str, Recorded]) -> None:
    rec = recorded["haproxy-tcp"]
    rec.need()
    assert rec.statuses().get("closed", 0) >= 3  # an empty reply, not a 504
    run = scan(rec.files["access"])
    assert run.report["inputs"][0]["format"] == "haproxy-tcplog"
    cut = one(run, "hold-cut", "(tcp fe/be)")
    assert cut["hop"] == "proxy" and abs(cut["cutoff_s"] - CUT_S) <= TOLERANCE_S
    assert "timeout client" in cut["fix"] and "timeout server" in cut["fix"]

    checked = lpdoctor("check-config", str(rec.files["conf"]), "--hold", f"{SYNC}=4s")
    below = one(checked, "timeout-below-hold")
    assert abs(below["cutoff_s"] - cut["cutoff_s"]) <= TOLERANCE_S
    assert "empty reply" in below["explanation"] and "504" not in below["explanation"]
    assert "timeout client" in below["fix"] and "timeout server" in below["fix"]


@pytest.mark.real
def test_nginx_two_servers_per_attempt_cut_and_max_fails_collateral(recorded: dict[str, Recorded]) -> None:
    rec = recorded["nginx-two"]
    rec.need()
    lines = rec.files["access"].read_text().splitlines()
    assert sum('us="504, 502"' in ln for ln in lines) >= 3 and any('us="504, 504"' in ln for ln in lines)
    assert any('" 502 ' in ln and VERSIONS in ln and 'ua="backend"' in ln for ln in lines)

    run = scan(rec.files["access"], rec.files["error"])
    assert run.returncode == 1
    cut = one(run, "hold-cut")
    assert cut["hop"] == "proxy" and abs(cut["cutoff_s"] - CUT_S) <= TOLERANCE_S
    assert cut["fix"].startswith("proxy_read_timeout ")
    assert one(run, "retry-multiplies-wait")["hop"] == "proxy"
    down = one(run, "upstream-marked-down")
    assert down["evidence"]["routes"].get(VERSIONS, 0) >= 3
    assert {f["hop"] for f in run.findings() if f.get("route") == SYNC} == {"proxy"}

    checked = lpdoctor(
        "check-config", str(rec.files["conf"]), "--log", str(rec.files["access"]), "--log", str(rec.files["error"])
    )
    below = one(checked, "timeout-below-hold")
    assert below["evidence"]["setting"] == "proxy_read_timeout"
    assert "504 once every server timed out, or 502 when a retry finds no server left" in below["explanation"]
    assert abs(below["cutoff_s"] - cut["cutoff_s"]) <= TOLERANCE_S


@pytest.mark.real
def test_nginx_taking_102_as_final_is_a_proxy_finding(recorded: dict[str, Recorded]) -> None:
    rec = recorded["nginx-102"]
    rec.need()
    assert all(r.status is None for r in rec.runs[0].results)  # the clients never got a byte
    assert 'us="102"' in rec.files["access"].read_text()
    run = scan(rec.files["access"])
    assert run.returncode == 1
    f = one(run, "proxy-1xx-final")
    assert f["hop"] == "proxy" and f["evidence"]["requests"] == 2


@pytest.mark.real
def test_go_write_timeout_is_a_ceiling_at_the_server(recorded: dict[str, Recorded]) -> None:
    rec = recorded["nginx-go"]
    rec.need()
    assert rec.statuses().get("502", 0) >= 3 and rec.statuses().get("200", 0) >= 3
    run = scan(rec.files["access"], rec.files["error"])
    assert run.returncode == 1
    cut = one(run, "hold-cut", "/api/events")
    assert cut["hop"] == "server" and cut["evidence"]["cut_shape"] == "ceiling"
    assert abs(cut["cutoff_s"] - CUT_S) <= TOLERANCE_S
    assert cut["evidence"]["failure_durations_s"][1] - cut["evidence"]["failure_durations_s"][0] > 1.0  # spread
    assert "WriteTimeout" in cut["fix"]
