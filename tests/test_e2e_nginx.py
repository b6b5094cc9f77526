"""End to end: a REAL nginx in front of the REAL long-poll backend, and lpdoctor's three views of it.

Each scenario starts nginx (Debian's package, 127.0.0.1, its own prefix) in front of the harness backend,
drives real long-poll clients through it for a few seconds, then runs the real CLI three ways:

- ``lpdoctor scan`` on the access and error logs nginx wrote,
- ``lpdoctor check-config`` on the nginx.conf nginx ran with (when that command exists),
- ``lpdoctor probe`` on the live endpoint,

and checks that they name the same hop and the same cut-off — and that both agree with nginx itself (its
configuration and its own ``$request_time``). Timings are scaled down: holds of 5 s, timeouts of 2-3 s.

The ground truth is never lpdoctor's: it is the timeout written into nginx.conf, the backend's own
deadline, and what nginx logged. A test fails when lpdoctor's conclusion disagrees with nginx.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tests.e2e_support import (
    CliRun,
    cycle_targets,
    json_request_times,
    lpdoctor,
    median,
    outcomes,
    request_times,
    show,
)
from tests.realworld.backend import Backend
from tests.realworld.clients import ClientConfig, fixed_target, run_clients
from tests.realworld.nginx import (
    NginxConfig,
    NginxInstance,
    client_gives_up,
    healthy_chain,
    read_timeout_below_hold,
    retry_next_upstream,
    upstream_closes,
)

pytestmark = pytest.mark.real

BackendFactory = Callable[..., Backend]
NginxFactory = Callable[[NginxConfig], NginxInstance]

HOLD_S = 5.0
POLL = "/poll?timeout=5000"  # the clients' hold: 5 s (ms, Matrix style)
PROBE_AGREEMENT_S = 0.5  # the bar for probe --search against nginx's own timeout


def scan(nginx: NginxInstance) -> CliRun:
    """Scan what nginx wrote. Called after the clients finished and before the probe runs, so the logs hold
    the clients' requests only."""
    return lpdoctor("scan", str(nginx.access_log), str(nginx.error_log))


def check_config(nginx: NginxInstance, hold: str = f"/poll={HOLD_S:g}s") -> CliRun:
    """Check the nginx.conf nginx ran with, told the route's hold (configuration alone cannot know it)."""
    return lpdoctor("check-config", str(nginx.conf_path), "--hold", hold)


def probe(nginx: NginxInstance, *args: str) -> CliRun:
    run = lpdoctor("probe", f"{nginx.url}{POLL}", *args, timeout_s=150)
    assert "lpdoctor probe: request 1/" in run.stderr  # progress on stderr
    return run


def drive(nginx: NginxInstance, **kwargs: object) -> dict[str, int]:
    cfg = ClientConfig(port=nginx.port, **kwargs)  # type: ignore[arg-type]
    run = run_clients(cfg)
    assert run.unfinished_clients == 0
    nginx.wait_for_access_lines(len(run.results))
    return outcomes(run.results)


def assert_no_errors(run: CliRun) -> None:
    assert not run.errors(), f"{run.args[0]}: {run.summary()}"


def test_proxy_read_timeout_below_the_hold(backend_factory: BackendFactory, nginx_factory: NginxFactory) -> None:
    """proxy_read_timeout 3 s against 5 s holds: nginx answers 504 after 3 s. All three say: the proxy, 3 s."""
    backend = backend_factory()
    nginx = nginx_factory(read_timeout_below_hold(backend.address, "3s", log_format="kv_timing"))
    seen = drive(nginx, clients=4, duration_s=4.0, read_timeout_s=15, targets=fixed_target(POLL), stagger_s=0.5)
    nginx_rt = median(request_times(nginx.access_lines(), 504))
    assert seen.get("504", 0) >= 4 and abs(nginx_rt - 3.0) < 0.1  # nginx did cut, at its timeout

    scanned = scan(nginx)
    cut = scanned.finding("hold-cut")
    assert cut["hop"] == "proxy" and cut["severity"] == "error"
    assert cut["cutoff_s"] == pytest.approx(nginx_rt, abs=0.2) and cut["hold_s"] == HOLD_S

    configured = check_config(nginx).finding("timeout-below-hold")
    assert configured["hop"] == cut["hop"] and configured["severity"] == "error"
    assert configured["configured_s"] == 3.0 and configured["line"] is not None
    assert configured["cutoff_s"] == pytest.approx(cut["cutoff_s"], abs=PROBE_AGREEMENT_S)

    probed = probe(nginx, "--search", "1s..8s")
    found = probed.finding("hold-cut")
    assert found["hop"] == cut["hop"] == "proxy" and found["severity"] == "error"
    assert found["cutoff_s"] == pytest.approx(3.0, abs=PROBE_AGREEMENT_S)  # nginx.conf says 3s
    assert found["cutoff_s"] == pytest.approx(cut["cutoff_s"], abs=PROBE_AGREEMENT_S)
    low, high = probed.report["stats"]["probe"]["bracket_s"]
    assert low < 3.0 <= high + 0.05
    assert len(probed.report["stats"]["probe"]["requests"]) <= 4
    show(
        "504",
        nginx_rt=nginx_rt,
        scan=cut["cutoff_s"],
        check_config=configured["configured_s"],
        probe=found["cutoff_s"],
        bracket=(low, high),
        requests=len(probed.report["stats"]["probe"]["requests"]),
    )


def test_upstream_closes_like_go_write_timeout(backend_factory: BackendFactory, nginx_factory: NginxFactory) -> None:
    """A Go server with WriteTimeout 3 s: a longer hold runs to its end, then the connection is dropped with
    nothing sent; nginx answers 502 "upstream prematurely closed". The cut is the server's 3 s, found as a
    ceiling (scan: nothing longer succeeded) and a bracket (probe: held below, dropped above)."""
    backend = backend_factory(mode="write-timeout", mode_s=3.0)
    # nginx's default HTTP/1.0 upstream (no keepalive): a drop on a cached connection would be retried once
    # by nginx and double the wait, which the harness's own tests cover.
    config = dataclasses.replace(upstream_closes(backend.address, log_format="kv_timing"), upstream_keepalive=0)
    nginx = nginx_factory(config)
    # Clients ask for different holds (as real ones do): those under 3 s succeed, the others are dropped.
    holds = ("/poll?timeout=2600", POLL, "/poll?timeout=2900", "/poll?timeout=3300", "/poll?timeout=4500")
    seen = drive(nginx, clients=5, duration_s=6.0, read_timeout_s=15, targets=cycle_targets(*holds))
    assert seen.get("502", 0) >= 3 and seen.get("200", 0) >= 3
    assert any("upstream prematurely closed connection" in e for e in nginx.error_lines())
    for line in nginx.access_lines():  # every 502 came at the end of its hold, not at the 3 s deadline
        asked = int(line.split("timeout=", 1)[1].split()[0]) / 1000
        assert (asked > 3.0) == ('" 502 ' in line) and float(line.split(" rt=")[1].split()[0]) >= asked

    scanned = scan(nginx)
    cut = scanned.finding("hold-cut")
    assert cut["hop"] == "server" and cut["severity"] == "error"
    # A ceiling: no success past 3 s, every failure beyond it; the cut lies between the two.
    assert cut["evidence"]["longest_success_s"] <= 3.0 <= cut["evidence"]["failure_durations_s"][0]
    assert cut["cutoff_s"] == pytest.approx(3.0, abs=PROBE_AGREEMENT_S)

    # nginx waits 60 s: nothing in nginx.conf cuts a 5 s hold (the cut is in the server, which it cannot see).
    assert_no_errors(check_config(nginx))

    probed = probe(nginx, "--search", "1s..6s")
    found = probed.finding("hold-cut")
    assert found["hop"] == cut["hop"] == "server"
    low, high = probed.report["stats"]["probe"]["bracket_s"]
    assert low < 3.0 <= high and high - low <= 0.3
    assert found["cutoff_s"] == pytest.approx(3.0, abs=PROBE_AGREEMENT_S)
    assert found["cutoff_s"] == pytest.approx(cut["cutoff_s"], abs=0.6)
    assert {r["status"] for r in probed.report["stats"]["probe"]["requests"]} <= {200, 502}
    show(
        "502 Go WriteTimeout 3 s",
        longest_success=cut["evidence"]["longest_success_s"],
        scan=cut["cutoff_s"],
        probe=found["cutoff_s"],
        bracket=(low, high),
        requests=len(probed.report["stats"]["probe"]["requests"]),
    )


def test_clients_that_give_up_before_the_hold(backend_factory: BackendFactory, nginx_factory: NginxFactory) -> None:
    """Clients with a 2 s read timeout against 5 s holds close first: nginx logs 499 after 2 s.

    scan names the client hop. The probe is its own client, with a limit far above every hold it asks for,
    so it sees what the chain itself does: nginx (60 s default) and the backend hold 5 s and more without a
    cut — the probe must report no cut here. That is the point of probing: it tells "the chain is fine, your
    clients give up" apart from "the chain cuts". check-config sees no cut either (the clients' timeout is
    not in nginx.conf)."""
    backend = backend_factory()
    nginx = nginx_factory(client_gives_up(backend.address, log_format="json_timing"))
    seen = drive(nginx, clients=4, duration_s=4.0, read_timeout_s=2.0, targets=fixed_target(POLL))
    assert seen.get("read-timeout", 0) >= 4
    nginx_rt = median(json_request_times(nginx.access_lines(), 499))
    assert abs(nginx_rt - 2.0) < 0.2

    scanned = scan(nginx)
    cut = scanned.finding("hold-cut")
    assert cut["hop"] == "client" and cut["cutoff_s"] == pytest.approx(nginx_rt, abs=0.3)

    assert_no_errors(check_config(nginx))

    probed = probe(nginx, "--search", "1s..6s")
    assert probed.returncode == 0 and probed.findings() == [], probed.summary()
    assert probed.report["stats"]["probe"]["state"] == "no-cut"
    assert probed.report["stats"]["probe"]["requests"][0]["status"] == 200
    show("499", nginx_rt=nginx_rt, scan=cut["cutoff_s"], scan_hop=cut["hop"], probe_state="no-cut")


def test_proxy_next_upstream_retries_a_timed_out_poll(
    backend_factory: BackendFactory, nginx_factory: NginxFactory
) -> None:
    """Two upstream servers, proxy_read_timeout 2 s, nginx's default proxy_next_upstream "error timeout": a 5 s
    poll times out on one server, is resent to the other, times out again: 504 after 2 × 2 s. The cut is the
    per-attempt 2 s; clients wait 4 s. (max_fails=0 keeps both servers in rotation, so every poll takes both
    attempts; marking servers down is the harness test's subject.)"""
    first, second = backend_factory(), backend_factory()
    nginx = nginx_factory(
        retry_next_upstream([first.address, second.address], "2s", log_format="kv_timing", server_params="max_fails=0")
    )
    seen = drive(nginx, clients=4, duration_s=4.5, read_timeout_s=15, targets=fixed_target(POLL), stagger_s=0.3)
    assert seen.get("504", 0) >= 4
    waits = request_times(nginx.access_lines(), 504)
    assert abs(median(waits) - 4.0) < 0.15
    assert all('us="504, 504"' in line for line in nginx.access_lines())

    scanned = scan(nginx)
    cut = scanned.finding("hold-cut")
    assert cut["hop"] == "proxy" and cut["cutoff_s"] == pytest.approx(2.0, abs=0.2)
    assert cut["evidence"]["client_wait_s"] == pytest.approx(median(waits), abs=0.3)
    assert cut["evidence"]["attempts"] == 2
    scanned.finding("retry-multiplies-wait")

    checked = check_config(nginx)
    configured = checked.finding("timeout-below-hold")
    assert configured["hop"] == cut["hop"] and configured["configured_s"] == 2.0
    assert configured["cutoff_s"] == pytest.approx(cut["cutoff_s"], abs=PROBE_AGREEMENT_S)
    assert checked.finding("retry-multiplies-wait")["hop"] == "proxy"

    probed = probe(nginx, "--search", "1s..8s")
    found = probed.finding("hold-cut")
    assert found["hop"] == cut["hop"] == "proxy"
    assert found["cutoff_s"] == pytest.approx(2.0, abs=PROBE_AGREEMENT_S)
    assert found["cutoff_s"] == pytest.approx(cut["cutoff_s"], abs=PROBE_AGREEMENT_S)
    assert found["evidence"]["attempts"] == 2
    assert found["evidence"]["client_wait_s"] == pytest.approx(4.0, abs=0.3)
    probed.finding("retry-multiplies-wait")
    show(
        "retry",
        nginx_wait=median(waits),
        scan=cut["cutoff_s"],
        scan_wait=cut["evidence"]["client_wait_s"],
        check_config=configured["configured_s"],
        probe=found["cutoff_s"],
        probe_wait=found["evidence"]["client_wait_s"],
        requests=len(probed.report["stats"]["probe"]["requests"]),
    )


def test_healthy_chain(backend_factory: BackendFactory, nginx_factory: NginxFactory) -> None:
    """proxy_read_timeout 10 s above 3 s holds, events arriving at random: nothing to report from any view."""
    backend = backend_factory(event_probability=0.5, seed=7)
    nginx = nginx_factory(healthy_chain(backend.address, read_timeout="10s", log_format="kv_timing"))
    seen = drive(nginx, clients=4, duration_s=4.0, read_timeout_s=10, targets=fixed_target("/poll?timeout=3000"))
    assert set(seen) == {"200"}

    scanned = scan(nginx)
    assert_no_errors(scanned)
    assert not scanned.findings("hold-cut"), scanned.summary()
    assert_no_errors(check_config(nginx, "/poll=3s"))

    probed = lpdoctor("probe", f"{nginx.url}/poll?timeout=3000", "--search", "1s..4s", timeout_s=150)
    assert probed.returncode == 0 and probed.findings() == [], probed.summary()
    assert probed.report["stats"]["probe"]["state"] == "no-cut"


def test_heartbeats_keep_nginx_idle_timer_alive_and_the_probe_says_so(
    backend_factory: BackendFactory, nginx_factory: NginxFactory
) -> None:
    """proxy_read_timeout 1 s is idle: whitespace every 0.4 s keeps a 3 s hold alive. The probe sees the bytes
    and says that idle timers cannot cut these polls (a silent hold would be cut)."""
    backend = backend_factory(mode="heartbeat", mode_s=0.4)
    nginx = nginx_factory(read_timeout_below_hold(backend.address, "1s", log_format="kv_timing"))

    probed = lpdoctor("probe", f"{nginx.url}/poll?timeout=3000", "--hold", "3s")
    assert probed.returncode == 0 and probed.findings() == [], probed.summary()
    [request] = probed.report["stats"]["probe"]["requests"]
    assert request["status"] == 200 and request["held_s"] >= 2.9 and request["body_chunks"] >= 4
    assert probed.report["endpoints"][0]["keepalive"]["kind"] == "bytes"
    assert any("idle timer" in note for note in probed.report["notes"])
    assert request_times(nginx.access_lines(), 200)[0] >= 2.9


def test_102_processing_does_not_survive_nginx(backend_factory: BackendFactory, nginx_factory: NginxFactory) -> None:
    """A server that sends ``102 Processing`` during the hold: nginx 1.22 takes the 102 for the final response
    (its access log says 102), reads the rest as a body, and passes the client a bare ``102`` header once
    that "body" goes quiet for proxy_read_timeout (here 1 s after the 2 s hold), then closes. The real answer
    never reaches the client. The probe must say that — a proxy finding on nginx — not report a timeout cut."""
    backend = backend_factory(mode="processing", mode_s=0.4)
    nginx = nginx_factory(read_timeout_below_hold(backend.address, "1s", log_format="kv_timing"))

    probed = lpdoctor("probe", f"{nginx.url}/poll?timeout=2000", "--hold", "2s", allow=(1,))
    assert probed.report["stats"]["probe"]["state"] == "interim-lost" and probed.findings("hold-cut") == []
    [request] = probed.report["stats"]["probe"]["requests"]
    assert request["verdict"] == "interim-only" and request["interim"][0]["status"] == 102
    found = probed.finding("keepalive-1xx")
    assert found["hop"] == "proxy" and "interim 102" in found["message"] and "final answer never" in found["message"]
    [line] = nginx.wait_for_access_lines(1)
    assert '" 102 ' in line  # nginx's own record: the 102 became the response
