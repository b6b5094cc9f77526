"""Smoke tests of the real-component harness, at scaled-down timings (holds of 1-3 s).

Each test runs the REAL nginx in front of the REAL backend and asserts on the lines nginx wrote, so they
also pin down the nginx behaviour lpdoctor's readers and rules rely on (research/timeouts.md table A).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.realworld import REQUIRE_REAL_ENV, require_real
from tests.realworld.backend import Backend, BackendConfig, parse_go_duration, parse_mode, start_backend_process
from tests.realworld.clients import ClientConfig, fixed_target, poll_once, run_clients
from tests.realworld.haproxy import HaproxyConfig, running_haproxy
from tests.realworld.nginx import (
    NginxConfig,
    NginxInstance,
    client_gives_up,
    healthy_chain,
    read_timeout_below_hold,
    retry_next_upstream,
    upstream_closes,
)

BackendFactory = Callable[..., Backend]
NginxFactory = Callable[[NginxConfig], NginxInstance]

_KV = re.compile(r'(\w+)=(?:"([^"]*)"|(\S+))')


def kv_fields(line: str) -> dict[str, str]:
    """The ``key=value`` fields after the combined part of a ``kv_timing`` line."""
    return {k: quoted or bare for k, quoted, bare in _KV.findall(line[line.find(" rt=") :])}


def status_of(line: str) -> int:
    m = re.search(r'" (\d{3}) ', line)
    assert m, line
    return int(m.group(1))


@pytest.mark.real
def test_read_timeout_below_hold_gives_504(backend_factory: BackendFactory, nginx_factory: NginxFactory) -> None:
    backend = backend_factory()
    nginx = nginx_factory(read_timeout_below_hold(backend.address, "1s", log_format="kv_timing"))

    result = poll_once(nginx.port, "/sync?timeout=2000")
    nginx.stop()

    assert result.status == 504
    assert 0.9 < result.elapsed_s < 1.6
    [line] = nginx.access_lines()
    assert status_of(line) == 504
    fields = kv_fields(line)
    assert 0.95 <= float(fields["rt"]) < 1.5
    assert fields["uht"] == "-" and fields["us"] == "504"
    assert any(
        "upstream timed out (110: Connection timed out) while reading response header from upstream" in e
        and 'request: "GET /sync?timeout=2000 HTTP/1.1"' in e
        for e in nginx.error_lines()
    )
    # nginx closed its upstream connection when it gave up; the backend noticed at once.
    assert [r.outcome for r in backend.requests] == ["client-gone"]


@pytest.mark.real
def test_go_write_timeout_gives_502_at_handler_end(
    backend_factory: BackendFactory, nginx_factory: NginxFactory
) -> None:
    backend = backend_factory(mode="write-timeout", mode_s=0.5)
    nginx = nginx_factory(upstream_closes(backend.address, log_format="combined_timing"))

    short = poll_once(nginx.port, "/api/events?wait=250ms")  # ends before the write deadline
    late = poll_once(nginx.port, "/api/events?wait=1s")  # ends after it: no response bytes at all
    nginx.stop()

    assert short.status == 200
    assert late.status == 502
    assert late.elapsed_s > 0.95  # at the handler's end (1 s), not at the 0.5 s deadline
    lines = nginx.access_lines()
    assert [status_of(x) for x in lines] == [200, 502]
    request_time, _upstream_time, upstream_status = lines[1].split()[-3:]
    assert 0.95 < float(request_time) < 1.5 and upstream_status == "502"
    errors = [e for e in nginx.error_lines() if "[error]" in e]
    assert len(errors) == 1
    assert "upstream prematurely closed connection while reading response header from upstream" in errors[0]
    assert [r.outcome for r in backend.requests] == ["answered", "dropped"]


@pytest.mark.real
def test_close_on_a_reused_upstream_connection_is_retried_once(
    backend_factory: BackendFactory, nginx_factory: NginxFactory
) -> None:
    backend = backend_factory(mode="write-timeout", mode_s=0.5)
    nginx = nginx_factory(upstream_closes(backend.address, log_format="kv_timing", upstream_keepalive=8))

    first = poll_once(nginx.port, "/api/events?wait=100ms")  # leaves a kept-alive upstream connection
    late = poll_once(nginx.port, "/api/events?wait=800ms")
    nginx.stop()

    # nginx does not count a failure on a cached connection as a try: one server, two attempts.
    assert first.status == 200 and late.status == 502
    assert late.elapsed_s > 1.55
    fields = kv_fields(nginx.access_lines()[1])
    assert fields["us"] == "502, 502"
    assert len(fields["urt"].split(", ")) == 2
    assert [r.outcome for r in backend.requests] == ["answered", "dropped", "dropped"]
    assert backend.requests[1].connection == backend.requests[0].connection != backend.requests[2].connection


@pytest.mark.real
def test_killed_worker_gives_502_at_the_kill(backend_factory: BackendFactory, nginx_factory: NginxFactory) -> None:
    backend = backend_factory(mode="close-after", mode_s=1.0)
    nginx = nginx_factory(upstream_closes(backend.address, log_format="kv_timing"))

    result = poll_once(nginx.port, "/poll?timeout=3000")
    nginx.stop()

    assert result.status == 502 and 0.9 < result.elapsed_s < 1.6
    [line] = nginx.access_lines()
    assert status_of(line) == 502 and kv_fields(line)["us"] == "502"
    assert any("upstream prematurely closed connection" in e for e in nginx.error_lines())


@pytest.mark.real
def test_client_read_timeout_gives_499(backend_factory: BackendFactory, nginx_factory: NginxFactory) -> None:
    backend = backend_factory(timeout_unit="s")
    nginx = nginx_factory(client_gives_up(backend.address, log_format="json_timing"))

    result = poll_once(nginx.port, "/poll?timeout=2", read_timeout_s=1.0)
    assert result.error == "read-timeout" and result.status is None
    assert nginx.wait_for(lambda n: len(n.access_lines()) == 1)
    nginx.stop()

    record = json.loads(nginx.access_lines()[0])
    assert record["status"] == 499
    assert 0.95 <= record["request_time"] < 1.5
    assert record["request"] == "GET /poll?timeout=2 HTTP/1.1"
    # Only visible because the harness logs at "info" (research/peers.md Q4).
    assert any(
        "[info]" in e and "client prematurely closed connection, so upstream connection is closed too" in e
        for e in nginx.error_lines()
    )
    assert backend.requests[0].outcome == "client-gone"


@pytest.mark.real
def test_retried_poll_takes_two_timeouts_and_disables_both_servers(
    backend_factory: BackendFactory, nginx_factory: NginxFactory
) -> None:
    first, second = backend_factory(), backend_factory()
    nginx = nginx_factory(retry_next_upstream([first.address, second.address], "1s"))

    retried = poll_once(nginx.port, "/poll?timeout=3000")
    after = poll_once(nginx.port, "/_matrix/client/versions")  # an ordinary request, right after
    nginx.stop()

    # proxy_next_upstream's default "error timeout" resends the poll: the client waits 2 x 1 s.
    assert retried.status == 504 and 1.9 < retried.elapsed_s < 2.8
    # Both servers are now out for fail_timeout (10 s): even ordinary traffic gets an instant 502.
    assert after.status == 502 and after.elapsed_s < 0.5
    lines = nginx.access_lines()
    assert kv_fields(lines[0])["us"] == "504, 504"
    assert kv_fields(lines[0])["ua"] == f"{first.address}, {second.address}"
    assert kv_fields(lines[1])["ua"] == "backend" and kv_fields(lines[1])["us"] == "502"
    errors = nginx.error_lines()
    assert sum("upstream server temporarily disabled" in e for e in errors) == 2
    assert sum("upstream timed out" in e for e in errors) == 2
    assert any("no live upstreams while connecting to upstream" in e for e in errors)


@pytest.mark.real
def test_healthy_chain_keeps_alive_and_answers_everything(
    backend_factory: BackendFactory, nginx_factory: NginxFactory
) -> None:
    backend = backend_factory(event_probability=0.5, seed=7)
    nginx = nginx_factory(healthy_chain(backend.address, read_timeout="5s", log_format="combined_timing"))

    run = run_clients(
        ClientConfig(
            port=nginx.port, clients=4, duration_s=1.5, read_timeout_s=3.0, targets=fixed_target("/updates?timeout=800")
        )
    )
    nginx.stop()

    assert run.unfinished_clients == 0 and run.results
    assert all(r.status == 200 for r in run.results)
    lines = nginx.access_lines()
    assert len(lines) == len(run.results)
    assert {status_of(x) for x in lines} == {200}
    durations = sorted(float(x.split()[-3]) for x in lines)
    assert durations[-1] < 1.0  # nothing held past the 0.8 s hold
    assert durations[0] < 0.75  # some events arrived early: a spread, not a wall at the hold
    assert not [e for e in nginx.error_lines() if "[error]" in e or "[warn]" in e]
    # nginx reused its upstream connections (upstream keepalive): fewer connections than requests.
    assert len(backend.requests) == len(run.results)
    assert len({r.connection for r in backend.requests}) <= 4 < len(run.results)


@pytest.mark.real
def test_heartbeat_bytes_keep_nginx_idle_timer_alive(
    backend_factory: BackendFactory, nginx_factory: NginxFactory
) -> None:
    backend = backend_factory(mode="heartbeat", mode_s=0.4)
    nginx = nginx_factory(read_timeout_below_hold(backend.address, "1s"))

    result = poll_once(nginx.port, "/poll?timeout=1500")
    nginx.stop()

    # proxy_read_timeout is idle (between two reads): bytes every 0.4 s outlive a 1 s timeout.
    assert result.status == 200 and result.elapsed_s > 1.4
    assert json.loads(result.body) == {"events": [], "next": "s1"}
    assert status_of(nginx.access_lines()[0]) == 200


@pytest.mark.real
def test_haproxy_timeout_server_gives_504_sH(backend_factory: BackendFactory, tmp_path: Path) -> None:
    backend = backend_factory()
    with running_haproxy(HaproxyConfig(servers=[backend.address], timeout_server="1s"), tmp_path) as haproxy:
        cut = poll_once(haproxy.port, "/poll?timeout=2000")
        gave_up = poll_once(haproxy.port, "/poll?timeout=2000", read_timeout_s=0.4)
        lines = haproxy.wait_for_log_lines(2, timeout_s=3.0)

    assert cut.status == 504 and gave_up.error == "read-timeout"
    assert len(lines) == 2
    for line in lines:
        timers, status = line.split()[4:6]
        assert status == "504" and " sH-- " in line
        assert timers.split("/")[3] == "-1" and 990 <= int(timers.split("/")[4]) < 1500
    # HAProxy 2.6 (no abortonclose) kept waiting for the server after the client left at 0.4 s and logged
    # the request as its own server timeout (research/timeouts.md note 7 saw the same: no CH/CD).


def test_backend_events_are_deterministic_per_seed() -> None:
    plans = []
    for _ in range(2):
        with Backend(BackendConfig(event_probability=0.7, seed=11, fixed_hold_s=0.05)) as backend:
            for _ in range(6):
                poll_once(backend.port, "/poll")
            plans.append([(r.event, round(r.planned_s, 6)) for r in backend.requests])
    assert plans[0] == plans[1]
    assert {event for event, _ in plans[0]} == {True, False}  # both kinds occur with this seed


def test_backend_subprocess_emulates_go_write_timeout() -> None:
    with start_backend_process(BackendConfig.with_mode("write-timeout=0.5"), lifetime_s=30) as proc:
        ok = poll_once(proc.port, "/x?wait=200ms")
        empty = poll_once(proc.port, "/x?wait=1s")
    assert ok.status == 200 and json.loads(ok.body) == {"events": [], "next": "s1"}
    # curl says "Empty reply from server": the connection closes at the handler's end, nothing sent.
    assert empty.status is None and empty.error == "closed" and empty.elapsed_s > 0.9
    assert proc.process.returncode is not None


def test_backend_parsers() -> None:
    assert parse_go_duration("1m30s") == 90.0
    assert parse_go_duration("250ms") == 0.25
    assert parse_go_duration("15") is None
    assert parse_mode("write-timeout=10") == ("write-timeout", 10.0)
    with pytest.raises(ValueError):
        parse_mode("close-after")


def test_require_real_skips_or_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_REAL_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_real("nginx not found")
    monkeypatch.setenv(REQUIRE_REAL_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="nginx not found"):
        require_real("nginx not found")
