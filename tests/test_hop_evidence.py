"""The right hop, cut-off and fix from logs real proxies wrote (issue 14), through the real CLI.

Every input here was written by the proxy itself, at scaled-down timeouts (tests/fixtures/proxies/README.md
says how; tests/test_e2e_proxies.py records fresh ones on every run):

- Apache 2.4.71 answering its own ``ProxyTimeout 2`` with 502 (error log AH01102 ``(70007)`` + AH00898);
- Caddy 2.6.2 with ``transport http { read_timeout 2s }``: 504 at 2 s and, resent by Go's transport on a
  reused connection, at 4 s; ``"status":0`` for clients that gave up; the runtime log's ``i/o timeout``;
- HAProxy 2.6.12 ``mode tcp`` (``option tcplog``): ``cD`` at 2 s, an empty reply;
- nginx 1.22.1 with two servers and the default ``proxy_next_upstream`` / ``max_fails``;
- nginx 1.22.1 taking a Node server's ``102 Processing`` as the response.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpdoctor.cli import main

FIX = Path(__file__).parent / "fixtures" / "proxies"
SYNC = "/_matrix/client/v3/sync"


def run(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, [*args, "-f", "json"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def only(report: dict[str, Any], rule: str, route: str | None = SYNC) -> dict[str, Any]:
    found = [f for f in report["findings"] if f["rule"] == rule and (route is None or f.get("route") == route)]
    assert len(found) == 1, [(f["rule"], f.get("route"), f["hop"]) for f in report["findings"]]
    return found[0]


def route_findings(report: dict[str, Any], route: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f.get("route") == route]


# --- Apache: 502 on its own ProxyTimeout -----------------------------------------------------------


def test_apache_502_on_its_own_proxy_timeout_is_the_proxy_with_the_apache_fix() -> None:
    code, report = run(
        "scan", str(FIX / "apache/real-proxytimeout-access.log"), str(FIX / "apache/real-proxytimeout-error.log")
    )
    assert code == 1
    cut = only(report, "hold-cut")
    assert cut["hop"] == "proxy" and cut["severity"] == "error"
    assert cut["cutoff_s"] == 2.0 and cut["hold_s"] == 4.0
    assert cut["evidence"]["statuses"] == {"502": 12}
    assert "error-log lines say the proxy timed out" in cut["evidence"]["proxy_statement"]
    assert cut["fix"].startswith("ProxyTimeout ")
    assert "Go http.Server" not in cut["fix"] and "upstream server closes" not in cut["message"]
    assert len(route_findings(report, SYNC)) == 1


def test_apache_502_without_its_error_log_says_the_hops_cannot_be_told_apart() -> None:
    _, report = run("scan", str(FIX / "apache/real-proxytimeout-access.log"))
    cut = only(report, "hold-cut")
    assert cut["cutoff_s"] == 2.0
    assert cut["evidence"]["hops_not_separated"] == ["proxy", "server"]
    assert cut["evidence"]["separate_with"] == "lpdoctor scan ACCESS_LOG ERROR_LOG"
    assert "ProxyTimeout with 502 too" in cut["message"]


def test_apache_check_config_with_its_logs_names_the_proxy_timeout_line() -> None:
    conf = FIX / "apache/real-proxytimeout-httpd.conf"
    timer_line = next(i for i, ln in enumerate(conf.read_text().splitlines(), 1) if ln.startswith("ProxyTimeout"))
    code, report = run(
        "check-config",
        str(conf),
        "--log",
        str(FIX / "apache/real-proxytimeout-access.log"),
        "--log",
        str(FIX / "apache/real-proxytimeout-error.log"),
    )
    assert code == 1
    cut = only(report, "hold-cut")
    below = only(report, "timeout-below-hold")
    for f in (cut, below):
        assert f["hop"] == "proxy" and f["cutoff_s"] == 2.0 and f["line"] == timer_line
    assert below["evidence"]["logs"]["verdict"] == "confirmed"


# --- Caddy: read_timeout, resent GETs, status 0, the runtime log ---------------------------------


def test_caddy_read_timeout_is_found_under_the_resent_requests_and_named_from_the_runtime_log() -> None:
    code, report = run(
        "scan",
        str(FIX / "caddy/real-access-read-timeout.log"),
        str(FIX / "caddy/real-runtime-read-timeout.log"),
    )
    assert code == 1
    formats = [i["format"] for i in report["inputs"]]
    assert formats == ["caddy-json", "caddy-runtime"]
    assert report["inputs"][1]["skipped"] == 0
    cut = only(report, "hold-cut")
    assert cut["hop"] == "proxy"
    assert cut["cutoff_s"] == 2.0  # the read_timeout, not the 4 s that the resent requests waited
    assert cut["evidence"]["client_wait_s"] == 4.0
    assert "read_timeout" in cut["fix"] and "response_header_timeout" not in cut["fix"]
    assert cut["evidence"]["error_log"]["upstream-timeout"] == 8


def test_caddy_status_0_is_a_client_that_left_and_the_504_wall_below_it_is_the_cut() -> None:
    code, report = run("scan", str(FIX / "caddy/real-access-status0.log"), str(FIX / "caddy/real-runtime-status0.log"))
    assert code == 1
    cut = only(report, "hold-cut")
    assert cut["hop"] == "proxy" and cut["severity"] == "error"
    assert cut["cutoff_s"] == 2.0  # most clients gave up at 3.5 s, after Caddy cut their polls at 2 s
    gone = (FIX / "caddy/real-access-status0.log").read_text().count('"status":0,')
    assert gone >= 8
    assert cut["evidence"]["statuses"]["-"] == gone  # "status":0: no response written
    assert cut["evidence"]["outcome"] == "gateway-timeout"


def test_caddy_cut_is_the_earliest_504_cluster_even_when_resent_ones_and_status_0_outnumber_it() -> None:
    """Recorded by tests/test_e2e_proxies.py on a run where more connections were reused: 504s at 2 s (5) and at
    4 s after Go's resend (6), clients gone at 3.5 s (12). The densest 504 cluster (4 s) lies after the clients'
    wall, but the same timer cut first at 2 s: that is the cut, and the proxy's (it was reported as the clients)."""
    code, report = run(
        "scan",
        str(FIX / "caddy/real-access-resent-majority.log"),
        str(FIX / "caddy/real-runtime-resent-majority.log"),
    )
    assert code == 1
    cut = only(report, "hold-cut")
    assert cut["hop"] == "proxy" and cut["cutoff_s"] == 2.0
    assert "read_timeout" in cut["fix"]


def test_caddy_status_0_alone_reads_as_the_clients_leaving() -> None:
    _, report = run("scan", str(FIX / "caddy/real-access-status0.log"))
    cut = only(report, "hold-cut")
    assert cut["hop"] == "client" and cut["evidence"]["outcome"] == "client-closed"
    assert cut["evidence"]["proxy_detail"] == "status 0"


# --- HAProxy mode tcp ---------------------------------------------------------------------------


def test_haproxy_tcplog_is_read_and_its_idle_cut_names_both_timers() -> None:
    code, report = run("scan", str(FIX / "haproxy/real-tcplog.log"))
    assert code == 1
    assert report["inputs"][0]["format"] == "haproxy-tcplog" and report["inputs"][0]["skipped"] == 0
    cut = only(report, "hold-cut", "(tcp fe/be)")
    assert cut["hop"] == "proxy" and cut["cutoff_s"] == 2.0
    assert cut["evidence"]["proxy_detail"] == "tcp cD"
    assert "empty reply" in cut["message"] and "504" not in cut["message"]
    assert "timeout client" in cut["fix"] and "timeout server" in cut["fix"]


def test_haproxy_mode_tcp_check_config_reports_both_idle_timers_and_an_empty_reply() -> None:
    conf = FIX / "haproxy/real-tcplog.cfg"
    code, report = run("check-config", str(conf), "--hold", "/poll=4s")
    assert code == 1
    below = only(report, "timeout-below-hold", "/poll")
    assert below["hop"] == "proxy" and below["cutoff_s"] == 2.0
    assert below["evidence"]["tcp_timers"] == ["timeout server", "timeout client"]
    assert "empty reply" in below["explanation"] and "504" not in below["explanation"]
    assert "timeout client" in below["fix"] and "timeout server" in below["fix"]
    assert "timeout client 2 s" in below["message"]


# --- nginx, two upstream servers: the per-attempt cut, retries and max_fails collateral -----------


def test_nginx_two_servers_cut_retry_and_no_live_upstreams_are_three_findings() -> None:
    logs = FIX / "nginx-two-upstreams"
    code, report = run("scan", str(logs / "access.log"), str(logs / "error.log"))
    assert code == 1
    cut = only(report, "hold-cut")
    assert cut["hop"] == "proxy" and cut["cutoff_s"] == 2.0
    assert cut["fix"].startswith("proxy_read_timeout ")
    retry = only(report, "retry-multiplies-wait")
    assert retry["hop"] == "proxy"
    down = only(report, "upstream-marked-down")
    assert down["hop"] == "proxy" and down["severity"] == "error"
    assert down["evidence"]["caused_by"] == SYNC
    assert down["evidence"]["routes"]["/_matrix/client/versions"] > 100
    assert "proxy_next_upstream error" in down["fix"] and "max_fails=0" in down["fix"]
    # one verdict on the route's hop: nothing calls it the server
    assert {f["hop"] for f in route_findings(report, SYNC)} == {"proxy"}


# --- nginx taking 102 Processing as the response -----------------------------------------------


def test_nginx_logging_an_upstream_102_is_a_proxy_defect() -> None:
    code, report = run("scan", str(FIX / "nginx-102/access.log"))
    assert code == 1
    f = only(report, "proxy-1xx-final")
    assert f["hop"] == "proxy" and f["severity"] == "error"
    assert f["evidence"]["requests"] == 2
    assert "102" in f["fix"]


# --- percentiles that match the log ---------------------------------------------------------------


def nearest_rank(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def test_percentiles_of_short_requests_match_the_log_to_the_millisecond() -> None:
    log = FIX / "caddy/real-access-status0.log"
    own = [json.loads(ln)["duration"] for ln in log.read_text().splitlines() if '"/_matrix/client/versions"' in ln]
    _, report = run("scan", str(log))
    ep = next(e for e in report["endpoints"] if e["route"] == "/_matrix/client/versions")
    assert abs(ep["observed"]["p50_s"] - nearest_rank(own, 0.5)) <= 0.001
    assert abs(ep["observed"]["p95_s"] - nearest_rank(own, 0.95)) <= 0.001
    assert ep["observed"]["max_s"] == round(max(own), 3)


def test_percentiles_of_minutes_stay_within_a_second() -> None:
    from lpdoctor.scan.histogram import Histogram

    h = Histogram()
    values = [0.011, 0.041, 2.345, 59.95, 61.2, 1799.4, 5400.0]
    for v in values:
        h.add(v)
    for q in (0.1, 0.25, 0.4, 0.55, 0.7, 0.85):
        want = nearest_rank(values, q)
        got = h.quantile(q)
        assert got is not None and abs(got - want) <= max(0.0005, 0.01 * want), (q, got, want)
    assert Histogram.from_dict(json.loads(json.dumps(h.to_dict()))).quantile(0.3) == h.quantile(0.3)


def test_fast_path_and_python_path_agree_on_1xx_and_millisecond_percentiles(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    head = '127.0.0.1 - - [06/Dec/2026:18:58:18 +0000] "GET '
    log.write_text(
        "".join(
            f'{head}{target} HTTP/1.1" {status} 0 "-" "ua" {rt} {rt} {us}\n'
            for target, status, rt, us in [
                ("/_matrix/client/v3/sync?timeout=3000", 499, "7.999", 102),
                ("/_matrix/client/v3/sync?timeout=3000", 499, "8.008", 102),
                ("/_matrix/client/v3/sync?timeout=3000", 102, "10.001", 102),
                *[("/_matrix/client/versions", 200, f"0.0{n:02d}", 200) for n in range(10, 50)],
            ]
        )
    )
    reports = []
    for env in ({}, {"LPDOCTOR_NO_FAST": "1"}):
        result = CliRunner(env=env).invoke(main, ["scan", str(log), "-f", "json"], catch_exceptions=False)
        reports.append(json.loads(result.stdout))
    assert reports[0] == reports[1]
    assert reports[0]["inputs"][0]["format"] == "nginx-timing"
    assert only(reports[0], "proxy-1xx-final")["evidence"]["requests"] == 3
    versions = next(e for e in reports[0]["endpoints"] if e["route"] == "/_matrix/client/versions")
    assert versions["observed"] == {"p50_s": 0.029, "p95_s": 0.047, "max_s": 0.049}
