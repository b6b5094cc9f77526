"""lpdoctor probe: where the hold goes, how one request is measured, how the search finds the cut.

The search logic runs against simulated chains (no I/O); the measuring part runs against httpx's
MockTransport and against the harness's real long-poll backend on 127.0.0.1 (sub-second holds). The
acceptance against a real nginx is in tests/test_e2e_nginx.py.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpdoctor.commands.probe import _Progress, _run_search
from lpdoctor.model import HopKind, Outcome, Severity
from lpdoctor.probe.analysis import CutSearch, SearchPlan, Verdict, conclude, default_resolution, guess_hop, judge
from lpdoctor.probe.measurement import (
    EOF_BEFORE_HEADERS,
    EOF_IN_BODY,
    OWN_TIMEOUT,
    REDIRECT_OTHER_HOST,
    RESET,
    Measurement,
)
from lpdoctor.probe.report import ProbeTarget, build_probe_report
from lpdoctor.probe.target import HoldParam, ProbeError, hold_in_url, parse_header, resolve_hold_param
from lpdoctor.probe.transport import Prober, client_limit_s
from tests.realworld.backend import Backend, BackendConfig

REPO = Path(__file__).resolve().parents[1]
SECRET_TOKEN = "syt_c2VjcmV0dG9rZW4_abcdef"
SECRET_HEADER = "Bearer hunter2-very-secret-value"


# ---------------------------------------------------------------------------------------------------------
# Where the hold goes


def test_known_protocols_and_generic_parameters_place_the_hold() -> None:
    matrix = resolve_hold_param("https://m.example.org/_matrix/client/v3/sync?since=s1&timeout=30000")
    assert matrix is not None and (matrix.name, matrix.unit, matrix.protocol) == ("timeout", "ms", "matrix-sync")
    assert matrix.apply("https://m.example.org/_matrix/client/v3/sync?since=s1&timeout=30000", 12.5) == (
        "https://m.example.org/_matrix/client/v3/sync?since=s1&timeout=12500"
    )

    consul = resolve_hold_param("http://consul:8500/v1/kv/app?index=42")
    assert consul is not None and (consul.name, consul.unit) == ("wait", "duration")
    assert consul.apply("http://consul:8500/v1/kv/app?index=42", 90) == "http://consul:8500/v1/kv/app?index=42&wait=90s"
    assert consul.format_value(2.5) == "2500ms"

    telegram = resolve_hold_param("https://api.telegram.org/bot123456:AAEhBP0av28xyzxyzxyz/getUpdates?offset=5")
    assert telegram is not None and (telegram.unit, telegram.max_s) == ("s", 50)

    generic_ms = resolve_hold_param("http://h/poll?timeout=5000")
    generic_s = resolve_hold_param("http://h/poll?wait=25")
    generic_duration = resolve_hold_param("http://h/poll?wait=15s")
    assert generic_ms is not None and generic_ms.unit == "ms"
    assert generic_s is not None and generic_s.unit == "s"
    assert generic_duration is not None and generic_duration.unit == "duration"
    assert hold_in_url("http://h/poll?timeout=5000", generic_ms) == 5.0


def test_a_fixed_server_hold_cannot_be_varied_and_an_unknown_url_needs_param() -> None:
    electric = resolve_hold_param("http://e/v1/shape?table=items&live=true")
    assert electric is not None and electric.name is None and electric.fixed_s == 20
    assert electric.apply("http://e/v1/shape?live=true", 5) == "http://e/v1/shape?live=true"
    assert resolve_hold_param("http://h/updates?cursor=7") is None

    named = resolve_hold_param("http://h/updates?cursor=7", param="block_ms", unit="ms")
    assert (
        named is not None and named.apply("http://h/updates?cursor=7", 3) == "http://h/updates?cursor=7&block_ms=3000"
    )
    with pytest.raises(ProbeError):
        resolve_hold_param("http://h/x", param="bad name")


def test_setting_the_hold_keeps_other_parameters_and_replaces_duplicates() -> None:
    param = HoldParam("timeout", "ms")
    url = "http://h/poll?a=%2Fx&timeout=1&b=2&timeout=3"
    assert param.apply(url, 4) == "http://h/poll?a=%2Fx&timeout=4000&b=2"


def test_header_errors_never_repeat_the_value() -> None:
    assert parse_header("Authorization: Bearer abc") == ("Authorization", "Bearer abc")
    for bad in (f"Authorization {SECRET_HEADER}", f"Bad Name: {SECRET_HEADER}", f"Host: {SECRET_HEADER}"):
        with pytest.raises(ProbeError) as info:
            parse_header(bad)
        assert "hunter2" not in str(info.value)


# ---------------------------------------------------------------------------------------------------------
# Judging one measurement, and which hop it points to


def fake(
    hold: float | None,
    at: float | None = None,
    *,
    status: int | None = 200,
    failure: str | None = None,
    server: str | None = "nginx/1.22.1",
    body: str | None = None,
    index: int = 1,
) -> Measurement:
    """A measurement as the prober makes it: the request sent at 1 ms, the ending ``at`` s later."""
    end = (hold or 0.0) if at is None else at
    m = Measurement(
        index=index, hold_s=hold, url=f"http://lp.example/poll?timeout={int((hold or 0) * 1000)}", started=0.0
    )
    m.connect_s, m.sent_s, m.total_s = 0.0005, 0.001, end + 0.001
    m.server, m.body_hint = server, body
    if failure is None:
        m.status, m.header_s = status, end + 0.001
    else:
        m.failure, m.status = failure, status
    return m


def busy_until_the_end(m: Measurement) -> Measurement:
    """Headers at once, then body bytes until 0.1 s before the connection closed: not a silent connection."""
    m.header_s = 0.01
    m.body_chunks, m.longest_silence_s, m.last_byte_s = 8, 0.5, m.total_s - 0.1
    return m


def test_judging_failures_by_when_they_happen() -> None:
    assert judge(fake(5.0)).verdict is Verdict.HELD
    assert judge(fake(5.0, 2.0)).verdict is Verdict.HELD  # an event answered early: still held 2 s
    early = judge(fake(5.0, 3.0, status=504))
    assert early.verdict is Verdict.CUT_EARLY and early.wall_s == pytest.approx(3.0)
    assert judge(fake(5.0, 5.01, status=502)).verdict is Verdict.CUT_AT_HOLD
    retried = judge(fake(3.0, 6.02, status=502))  # an answer dropped twice: nginx retried it
    assert retried.verdict is Verdict.CUT_AT_HOLD and retried.attempts == 2
    late = judge(fake(3.8, 4.0, status=504))
    assert late.verdict is Verdict.CUT_LATE and late.wall_s == pytest.approx(4.0)
    assert judge(fake(5.0, 0.01, status=502)).verdict is Verdict.REFUSED  # no live upstreams
    assert judge(fake(5.0, 0.01, status=401)).verdict is Verdict.REJECTED
    assert judge(fake(5.0, 12.0, status=None, failure=OWN_TIMEOUT)).verdict is Verdict.NO_ANSWER
    assert judge(fake(5.0, 0.0, status=None, failure="connect")).verdict is Verdict.UNREACHABLE
    lost = fake(2.0, 3.8, status=None, failure=EOF_BEFORE_HEADERS)
    lost.interim = [(102, 0.4)]
    assert judge(lost).verdict is Verdict.INTERIM_ONLY  # a 102 then nothing: not a timer
    early = fake(4.0, 1.2, status=None, failure=EOF_BEFORE_HEADERS)
    early.interim = [(102, 0.5)]
    assert judge(early).verdict is Verdict.CUT_EARLY  # before the hold, from anyone: a cut
    early.interim_server = "nginx/1.22.1"
    assert judge(early).verdict is Verdict.INTERIM_ONLY  # nginx sent the 102 as its answer: its defect


@pytest.mark.parametrize(
    ("measurement", "hop", "component"),
    [
        (fake(5, 3, status=504), HopKind.PROXY, "nginx"),
        (fake(5, 3, status=504, server="awselb/2.0"), HopKind.EDGE, "aws-alb"),
        (fake(5, 3, status=504, server="envoy", body="upstream request timeout"), HopKind.PROXY, "envoy"),
        (fake(5, 5, status=502), HopKind.SERVER, "*"),
        (fake(5, 5, status=None, failure=EOF_BEFORE_HEADERS, server=None), HopKind.SERVER, "*"),
        (fake(5, 3, status=None, failure=RESET, server=None), HopKind.EDGE, "*"),
        (fake(200, 100, status=524, server="cloudflare"), HopKind.EDGE, "cloudflare"),
        (
            fake(60, 30, status=503, server="Cowboy", body='<iframe src="//www.herokucdn.com/error-pages/app'),
            HopKind.EDGE,
            "heroku",
        ),
        (fake(5, 3, status=502, server="Apache/2.4.62 (Debian)"), HopKind.PROXY, "apache"),
        (busy_until_the_end(fake(5, 4, status=200, failure=EOF_IN_BODY)), HopKind.UNKNOWN, "*"),
    ],
)
def test_hop_inferred_from_the_response(measurement: Measurement, hop: HopKind, component: str) -> None:
    guess = guess_hop(judge(measurement))
    assert (guess.hop, guess.component) == (hop, component)


# ---------------------------------------------------------------------------------------------------------
# The search, against simulated chains

Chain = Callable[[float], tuple[float, int | None, str | None]]  # hold -> (ended at, status, failure)


def proxy_timeout(t: float, attempts: int = 1) -> Chain:
    """A proxy with an idle read timeout ``t`` (retrying ``attempts`` times): 504 after attempts × t."""
    return lambda hold: (hold, 200, None) if hold < t else (attempts * t, 504, None)


def go_write_timeout(w: float) -> Chain:
    """Go WriteTimeout behind a proxy: the answer of a hold longer than ``w`` is dropped at the hold's end."""
    return lambda hold: (hold, 200, None) if hold < w else (hold, 502, None)


class FakeProber:
    """Stands in for :class:`Prober`: answers from a simulated chain, counts requests in flight."""

    def __init__(self, chain: Chain, delay_s: float = 0.0) -> None:
        self.chain = chain
        self.delay_s = delay_s
        self.in_flight = 0
        self.max_in_flight = 0
        self.holds: list[float] = []
        self._lock = threading.Lock()

    def url_for(self, hold: float | None) -> str:
        return f"http://lp.example/poll?timeout={hold}&access_token={SECRET_TOKEN}"

    def measure(self, hold: float, index: int, budget_s: float = 600.0, deadline: float | None = None) -> Measurement:
        assert budget_s > hold  # the probe's own limit is always above the hold
        assert deadline is not None and deadline >= time.monotonic() + hold  # --max-time bounds every request
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.holds.append(hold)
        if self.delay_s:
            time.sleep(self.delay_s)
        at, status, failure = self.chain(hold)
        with self._lock:
            self.in_flight -= 1
        m = fake(hold, at, status=status, failure=failure, index=index)
        m.url = self.url_for(hold)
        return m


def run(chain: Chain, low: float, high: float, **kwargs: object) -> tuple[CutSearch, FakeProber]:
    plan = SearchPlan(
        low_s=low,
        high_s=high,
        resolution_s=float(kwargs.pop("resolution", default_resolution(high))),  # type: ignore[arg-type]
        max_requests=int(kwargs.pop("max_requests", 12)),  # type: ignore[call-overload]
        concurrency=int(kwargs.pop("concurrency", 1)),  # type: ignore[call-overload]
        target_hold_s=kwargs.pop("target", high),  # type: ignore[arg-type]
    )
    prober = FakeProber(chain, float(kwargs.pop("delay", 0.0)))  # type: ignore[arg-type]
    search = CutSearch(plan)
    _run_search(prober, search, float(kwargs.pop("max_time", 600.0)), _Progress(plan.max_requests))  # type: ignore[arg-type]
    return search, prober


def test_a_proxy_wall_is_read_from_the_failure_time_and_confirmed_below() -> None:
    search, prober = run(proxy_timeout(3.0), 1, 8, target=5.0)
    c = conclude(search)
    # 8 s → 504 after 3.0 s (cut ≤ 3.0); just below → answered: two requests pin it.
    assert prober.holds[0] == 8 and len(prober.holds) == 2
    assert c.state == "cut" and c.measured_by == "wall" and c.cut_s == pytest.approx(3.0, abs=0.01)
    assert c.hop is not None and (c.hop.hop, c.hop.component) == (HopKind.PROXY, "nginx")
    assert c.lo_s is not None and 2.5 < c.lo_s < 3.0


def test_go_write_timeout_is_bisected_to_the_resolution() -> None:
    search, prober = run(go_write_timeout(3.3), 1, 6, resolution=0.25)
    c = conclude(search)
    assert c.state == "cut" and c.measured_by == "bracket"
    assert c.lo_s is not None and c.hi_s is not None
    assert c.lo_s < 3.3 <= c.hi_s and c.hi_s - c.lo_s <= 0.26
    assert abs((c.cut_s or 0) - 3.3) <= 0.25
    assert c.hop is not None and c.hop.hop is HopKind.SERVER
    assert len(prober.holds) <= 8


def test_retries_turn_the_wall_into_a_multiple_of_the_per_attempt_cut() -> None:
    search, _ = run(proxy_timeout(2.0, attempts=2), 1, 8, target=5.0)
    c = conclude(search)
    assert c.state == "cut" and c.cut_s == pytest.approx(2.0, abs=0.05)
    assert c.attempts == 2 and c.client_wait_s == pytest.approx(4.0, abs=0.05)
    report = build_probe_report(ProbeTarget("http://lp.example/poll?timeout=5000", None, 5.0), search, c)
    assert {f.rule for f in report.findings} == {"hold-cut", "retry-multiplies-wait"}
    cut = next(f for f in report.findings if f.rule == "hold-cut")
    assert cut.evidence["attempts"] == 2 and cut.severity is Severity.ERROR and cut.hop is HopKind.PROXY


def test_a_healthy_chain_gives_no_finding_after_one_request() -> None:
    search, prober = run(proxy_timeout(60.0), 1, 8)
    c = conclude(search)
    report = build_probe_report(ProbeTarget("http://lp.example/poll?timeout=8000", None, 8.0), search, c)
    assert c.state == "no-cut" and prober.holds == [8]
    assert report.findings == [] and report.endpoints[0].cutoff_s is None


def test_a_cut_below_the_range() -> None:
    search, _ = run(go_write_timeout(0.5), 1, 4)
    c = conclude(search)
    assert c.state == "below-range" and c.hi_s == 1
    report = build_probe_report(ProbeTarget("http://lp.example/poll?timeout=4000", None, 4.0), search, c)
    assert report.findings[0].severity is Severity.ERROR and "below 1 s" in report.findings[0].message


def test_request_count_concurrency_and_time_are_bounded() -> None:
    search, prober = run(go_write_timeout(3.3), 1, 60, resolution=0.01, max_requests=5)
    assert len(prober.holds) == 5 and search.finished() == "max-requests"

    search, prober = run(go_write_timeout(3.3), 1, 8, concurrency=3, delay=0.05, resolution=0.1)
    assert prober.max_in_flight == 3  # used, never exceeded
    assert len(set(prober.holds)) == len(prober.holds)  # never the same hold twice at once
    c = conclude(search)
    assert c.lo_s is not None and c.hi_s is not None and c.lo_s < 3.3 <= c.hi_s

    search, prober = run(proxy_timeout(3.0), 1, 8, max_time=5.0)  # an 8 s hold does not fit in 5 s
    assert prober.holds == [] and conclude(search).state == "incomplete"


def test_polls_answered_early_by_an_event_are_tried_again() -> None:
    answers = iter([(0.4, 200, None), (3.0, 504, None)])
    search, prober = run(lambda hold: next(answers, (hold, 200, None)), 1, 8)
    assert prober.holds[:2] == [8, 8] and conclude(search).cut_s == pytest.approx(3.0, abs=0.01)


def test_instant_refusals_back_off_then_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("lpdoctor.commands.probe.time.sleep", slept.append)
    search, prober = run(lambda hold: (0.002, 502, None), 1, 8)
    c = conclude(search)
    assert c.state == "refused" and prober.holds == [8, 8, 8] and slept == [1.0, 2.0]


# ---------------------------------------------------------------------------------------------------------
# The measuring part: httpx MockTransport and the real backend


def mock_prober(handler: Callable[[httpx.Request], httpx.Response], url: str) -> Prober:
    return Prober(
        url,
        resolve_hold_param(url),
        [("Authorization", SECRET_HEADER)],
        transport_factory=lambda _rec: httpx.MockTransport(handler),
    )


def test_redirects_to_another_host_are_not_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/poll":
            return httpx.Response(302, headers={"Location": "/v2/poll?timeout=5000"})
        return httpx.Response(307, headers={"Location": "https://evil.example/steal?token=abc"})

    m = mock_prober(handler, "http://lp.example/poll?timeout=5000").measure(5.0, 1)
    assert seen == ["http://lp.example/poll?timeout=5000", "http://lp.example/v2/poll?timeout=5000"]
    assert m.failure == REDIRECT_OTHER_HOST and m.redirects == 1
    assert m.location == "https://evil.example/steal"  # query dropped: it may carry secrets


def test_measurement_records_the_answer_and_never_the_header_value() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == SECRET_HEADER
        assert request.headers["user-agent"].startswith("lpdoctor-probe/")
        return httpx.Response(504, headers={"Server": "nginx/1.22.1"}, text=f"echo {SECRET_HEADER}")

    m = mock_prober(handler, "http://lp.example/poll?timeout=5000").measure(2.0, 7)
    record = m.record()
    assert (m.status, m.server, record.outcome, record.line, record.proxy) == (
        504,
        "nginx/1.22.1",
        Outcome.GATEWAY_TIMEOUT,
        7,
        "probe",
    )
    assert record.target == "/poll?timeout=2000"
    assert "hunter2" not in json.dumps(m.as_dict()) and "hunter2" not in (m.body_hint or "")


def test_the_probe_limit_is_always_above_the_hold() -> None:
    for hold in (0.5, 5, 30, 300):
        for budget in (0.0, hold, 10 * hold):
            assert client_limit_s(hold, budget) >= hold + 3


@pytest.fixture
def backend() -> Iterator[Callable[..., Backend]]:
    started: list[Backend] = []

    def make(**kwargs: object) -> Backend:
        b = Backend(BackendConfig(**kwargs)).start()  # type: ignore[arg-type]
        started.append(b)
        return b

    yield make
    for b in started:
        b.stop()


def test_heartbeat_bytes_and_102_processing_are_seen(backend: Callable[..., Backend]) -> None:
    beats = backend(mode="heartbeat", mode_s=0.2)
    processing = backend(mode="processing", mode_s=0.2)
    url = "http://{}/poll?timeout=100"
    m1 = Prober(url.format(beats.address), HoldParam("timeout", "ms")).measure(0.9, 1)
    m2 = Prober(url.format(processing.address), HoldParam("timeout", "ms")).measure(0.9, 1)

    assert m1.status == 200 and m1.header_s is not None and m1.header_s < 0.2 and m1.body_chunks >= 4
    assert m1.longest_silence_s is not None and 0.15 < m1.longest_silence_s < 0.4
    assert m2.status == 200 and [s for s, _t in m2.interim] == [102] * len(m2.interim) and len(m2.interim) >= 3
    for m, kind in ((m1, "bytes"), (m2, "102-processing")):
        search = CutSearch(SearchPlan(0.9, 0.9, 0.25, max_requests=1, target_hold_s=0.9))
        search.add(m)
        c = conclude(search)
        assert c.state == "no-cut" and c.keepalive is not None and c.keepalive.kind == kind
        report = build_probe_report(ProbeTarget(m.url, HoldParam("timeout", "ms"), 0.1), search, c)
        assert any("idle timer" in n for n in report.notes)


def test_a_dropped_answer_is_an_eof_before_headers(backend: Callable[..., Backend]) -> None:
    go = backend(mode="write-timeout", mode_s=0.3)
    prober = Prober(f"http://{go.address}/poll?timeout=100", HoldParam("timeout", "ms"))
    ok, dropped = prober.measure(0.2, 1), prober.measure(0.6, 2)
    assert ok.status == 200 and ok.failure is None
    assert dropped.failure == EOF_BEFORE_HEADERS and dropped.status is None
    assert 0.55 < dropped.held_s < 0.9  # at the handler's end, not at the 0.3 s deadline
    assert judge(dropped).verdict is Verdict.CUT_AT_HOLD


@pytest.fixture
def resetting_server() -> Iterator[int]:
    """Accepts, reads the request, waits 0.8 s, then resets the connection (SO_LINGER 0): an RST, no status."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(10)

    def serve() -> None:
        try:
            conn, _ = srv.accept()
        except OSError:
            return
        conn.recv(65536)
        time.sleep(0.8)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(srv.getsockname()[1])
    srv.close()
    thread.join(5)


def test_a_reset_is_recorded_as_such(resetting_server: int) -> None:
    m = Prober(f"http://127.0.0.1:{resetting_server}/poll?timeout=2", HoldParam("timeout", "s")).measure(2.0, 1)
    assert m.failure == RESET and m.status is None and 0.75 < m.held_s < 1.5
    j = judge(m)
    guess = guess_hop(j)
    assert j.verdict is Verdict.CUT_EARLY and guess.hop is HopKind.EDGE
    assert "reset (RST" in guess.reason and "FIN" not in guess.reason  # told apart from a close


# ---------------------------------------------------------------------------------------------------------
# Through the real CLI


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lpdoctor", "probe", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def test_cli_search_on_a_killed_worker_with_secrets_redacted(backend: Callable[..., Backend], tmp_path: Path) -> None:
    killer = backend(mode="close-after", mode_s=0.6)
    url = f"http://{killer.address}/poll?timeout=1500&access_token={SECRET_TOKEN}"
    out = tmp_path / "probe.json"
    r = cli(url, "--search", "200ms..1.5s", "--header", f"Authorization: {SECRET_HEADER}", "-f", "json", "-o", str(out))
    assert r.returncode == 1, r.stderr
    for text in (r.stdout, r.stderr, out.read_text()):
        assert SECRET_TOKEN not in text and "hunter2" not in text
    assert "access_token=REDACTED" in r.stderr  # progress names the URL, redacted
    report = json.loads(out.read_text())
    [finding] = report["findings"]
    # A FIN with no byte at a fixed wall is what an idle timer on the path does too: from the client the two
    # cannot be told apart, so the finding names the likelier hop, the other one, and the command that decides.
    assert finding["rule"] == "hold-cut" and finding["hop"] == "edge" and finding["severity"] == "error"
    assert "kills requests at a fixed time" in finding["message"] and "probe the origin directly" in finding["message"]
    # The worker is killed at 0.6 s: every longer poll fails right there (a wall), shorter ones succeed.
    assert finding["cutoff_s"] == pytest.approx(0.6, abs=0.1)
    assert report["stats"]["probe"]["requests"][0]["failure"] == "eof-before-headers"


def test_cli_usage_errors_exit_2_without_echoing_secrets() -> None:
    r = cli("http://127.0.0.1:9/updates?cursor=1", "--hold", "5s")
    assert r.returncode == 2 and "--param" in r.stderr
    r = cli("http://127.0.0.1:9/poll?timeout=5", "--header", f"Authorization {SECRET_HEADER}")
    assert r.returncode == 2 and "hunter2" not in r.stderr
    r = cli("http://127.0.0.1:9/poll?timeout=5", "--search", "9s..2s")
    assert r.returncode == 2 and "LOW must be below HIGH" in r.stderr


def test_cli_unreachable_endpoint_exits_2_with_a_report() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    r = cli(f"http://127.0.0.1:{port}/poll?timeout=1000", "--hold", "1s", "-f", "json")
    assert r.returncode == 2
    report = json.loads(r.stdout)
    assert report["findings"] == [] and report["stats"]["probe"]["state"] == "unusable"
    assert any("could not connect" in n for n in report["notes"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    answers=st.lists(
        st.tuples(
            st.floats(min_value=0.0, max_value=30.0, allow_nan=False),
            st.sampled_from([200, 204, 304, 401, 408, 500, 502, 503, 504, 524, None]),
            st.sampled_from([None, RESET, EOF_BEFORE_HEADERS, EOF_IN_BODY, OWN_TIMEOUT, "connect"]),
        ),
        min_size=1,
        max_size=20,
    ),
    low=st.floats(min_value=0.1, max_value=10.0),
    span=st.floats(min_value=0.5, max_value=60.0),
    max_requests=st.integers(min_value=1, max_value=15),
    concurrency=st.integers(min_value=1, max_value=4),
)
def test_any_chain_ends_the_search_within_budget_and_builds_a_report(
    monkeypatch: pytest.MonkeyPatch,
    answers: list[tuple[float, int | None, str | None]],
    low: float,
    span: float,
    max_requests: int,
    concurrency: int,
) -> None:
    monkeypatch.setattr("lpdoctor.commands.probe.time.sleep", lambda _s: None)
    replies = iter(answers * 20)
    search, prober = run(
        lambda hold: next(replies), low, low + span, max_requests=max_requests, concurrency=concurrency
    )
    assert len(prober.holds) <= max_requests and prober.max_in_flight <= concurrency
    assert all(low - 1e-6 <= h <= low + span + 1e-6 for h in prober.holds)
    c = conclude(search)
    report = build_probe_report(ProbeTarget("http://lp.example/poll?timeout=1", None, None), search, c)
    assert report.command == "probe" and len(report.endpoints) == 1
    for f in report.findings:
        assert f.rule in ("hold-cut", "retry-multiplies-wait")
