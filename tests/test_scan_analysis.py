"""Long-poll detection and cut-off inference through the real `lpdoctor scan` command."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lpdoctor.catalog.holds import HoldMatcher
from lpdoctor.cli import main
from lpdoctor.scan.routes import normalize_path
from tests.logfactory import kv_line, long_poll_route, ordinary_traffic

SYNC = "/_matrix/client/v3/sync?since=s72594_4483&timeout=30000"


def scan(tmp_path: Path, lines: list[str], *args: str, name: str = "access.log") -> tuple[int, dict]:
    log = tmp_path / name
    log.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["scan", str(log), "-f", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def findings(report: dict, rule: str = "hold-cut") -> list[dict]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_matrix_sync_cut_by_proxy_at_30s(tmp_path: Path) -> None:
    lines = long_poll_route(SYNC, n=300, hold=30.0, cut=30.0) + ordinary_traffic(500)
    code, report = scan(tmp_path, lines)
    assert code == 1
    (f,) = findings(report)
    assert f["severity"] == "error" and f["hop"] == "proxy"
    assert f["route"] == "/_matrix/client/v3/sync"
    assert f["hold_s"] == 30.0
    assert abs(f["cutoff_s"] - 30.0) <= 1.0
    assert "proxy_read_timeout 35s;" in f["fix"]
    ep = next(e for e in report["endpoints"] if e["route"] == "/_matrix/client/v3/sync")
    assert ep["long_poll"] and ep["hold_s"] == 30.0 and ep["failures"] > 50
    assert not any(e["long_poll"] for e in report["endpoints"] if e["route"] != "/_matrix/client/v3/sync")


def test_go_write_timeout_ceiling_is_the_cut_not_the_hold(tmp_path: Path) -> None:
    lines = long_poll_route("/api/events?wait=15s", n=400, hold=15.0, cut=10.0, fail_status=502, ceiling=True)
    _, report = scan(tmp_path, lines)
    (f,) = findings(report)
    assert f["hop"] == "server" and f["severity"] == "error"
    assert abs(f["cutoff_s"] - 10.0) <= 1.0, f
    assert f["hold_s"] == 15.0
    assert f["evidence"]["cut_shape"] == "ceiling"


def test_clients_giving_up_at_10s_is_the_client_hop(tmp_path: Path) -> None:
    lines = long_poll_route("/poll?timeout=25", n=200, hold=25.0, cut=10.0, fail_status=499)
    _, report = scan(tmp_path, lines)
    (f,) = findings(report)
    assert f["hop"] == "client" and f["severity"] == "error"
    assert abs(f["cutoff_s"] - 10.0) <= 1.0
    assert f["hold_s"] == 25.0


def test_healthy_long_poll_has_no_error(tmp_path: Path) -> None:
    lines = long_poll_route("/updates?timeout=20000", n=300, hold=20.0, cut=None) + ordinary_traffic(300)
    code, report = scan(tmp_path, lines)
    assert code == 0
    assert not [f for f in report["findings"] if f["severity"] == "error"]
    ep = next(e for e in report["endpoints"] if e["route"] == "/updates")
    assert ep["long_poll"] and ep["hold_s"] == 20.0 and ep["cutoff_s"] is None


def test_hold_pattern_detected_from_durations_alone(tmp_path: Path) -> None:
    # No hold parameter at all: the pile-up of successes at 20 s gives the hold away.
    lines = long_poll_route("/stream/updates", n=300, hold=20.0, cut=None, event_rate=0.4)
    _, report = scan(tmp_path, lines)
    ep = next(e for e in report["endpoints"] if e["route"] == "/stream/updates")
    assert ep["long_poll"]
    assert abs(ep["observed_hold_s"] - 20.0) <= 0.5


def test_race_within_margin_is_a_warning(tmp_path: Path) -> None:
    lines = long_poll_route("/poll?timeout=30", n=300, hold=30.0, cut=None)
    # A 32 s proxy timeout: holds that overrun by more than 2 s are cut.
    lines += [kv_line("/poll?timeout=30", 504, 32.001, i=i) for i in range(20)]
    _, report = scan(tmp_path, lines)
    (f,) = findings(report)
    assert f["severity"] == "warning" and abs(f["cutoff_s"] - 32.0) <= 1.0


def test_retries_show_per_attempt_cut_and_client_wait(tmp_path: Path) -> None:
    lines = [
        kv_line("/poll?timeout=5000", 504, 6.004, i=i, urt="3.001, 3.002", us="504, 504", uht="-, -") for i in range(30)
    ] + [kv_line("/poll?timeout=5000", 200, 1.5 + i * 0.02, i=i) for i in range(30)]
    _, report = scan(tmp_path, lines)
    (cut,) = findings(report)
    assert abs(cut["cutoff_s"] - 3.0) <= 0.5 and cut["hop"] == "proxy"
    assert cut["evidence"]["client_wait_s"] == 6.0 and cut["evidence"]["attempts"] == 2
    (retry,) = findings(report, "retry-multiplies-wait")
    assert retry["evidence"]["retried_after_timeout"] == 30
    assert "proxy_next_upstream" in retry["fix"]


def test_combined_log_and_error_log_without_timing(tmp_path: Path) -> None:
    combined = [
        f'198.51.100.7 - - [21/Nov/2026:10:00:{i % 60:02d} +0000] "GET {SYNC} HTTP/1.1" '
        f'{504 if i % 3 == 0 else 200} 0 "-" "Element"'
        for i in range(90)
    ]
    errors = [
        f"2026/11/21 10:00:{i % 60:02d} [error] 7#7: *{i} upstream timed out (110: Connection timed out) while "
        f'reading response header from upstream, client: 198.51.100.7, server: chat.example.org, request: "GET {SYNC} '
        f'HTTP/1.1", upstream: "http://10.0.0.5:8008{SYNC}", host: "chat.example.org"'
        for i in range(0, 90, 3)
    ]
    (tmp_path / "error.log").write_text("\n".join(errors) + "\n")
    (tmp_path / "access.log").write_text("\n".join(combined) + "\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "access.log"), str(tmp_path / "error.log"), "-f", "json"])
    report = json.loads(result.output)
    assert [i["format"] for i in report["inputs"]] == ["nginx-combined", "nginx-error"]
    (f,) = findings(report)
    assert f["hop"] == "proxy" and f["cutoff_s"] is None and f["severity"] == "warning"
    assert f["evidence"]["error_log"] == {"upstream-timeout": 30}
    assert "no durations" in f["message"]
    assert findings(report, "log-lacks-timing")
    ep = next(e for e in report["endpoints"] if e["route"] == "/_matrix/client/v3/sync")
    assert ep["host"] == "chat.example.org"


def test_secrets_never_reach_any_output(tmp_path: Path) -> None:
    target = "/_matrix/client/v3/sync?timeout=30000&access_token=syt_c2VjcmV0_abcdefghijklmnop"
    lines = long_poll_route(target, n=60, hold=30.0, cut=30.0)
    log = tmp_path / "a.log"
    log.write_text("\n".join(lines) + "\n")
    for fmt in ("json", "text", "rich"):
        out = CliRunner().invoke(main, ["scan", str(log), "-f", fmt]).output
        assert "syt_c2VjcmV0" not in out, fmt
    assert "access_token=REDACTED" in CliRunner().invoke(main, ["scan", str(log), "-f", "json"]).output


def test_route_normalisation() -> None:
    assert normalize_path("/api/v1/orders/8812/items") == "/api/v1/orders/{id}/items"
    assert (
        normalize_path("/_matrix/client/v3/rooms/!abc:example.org/messages") == "/_matrix/client/v3/rooms/{id}/messages"
    )
    assert normalize_path("/u/3f2b8c1e-9a7d-4c1b-8e2f-0a1b2c3d4e5f") == "/u/{uuid}"
    assert normalize_path("/blob/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b") == "/blob/{hash}"
    assert normalize_path("/bot123456789:AAEhBP0av28ZxdPwKkqjgfi1sE9Gy3vXB4E/getUpdates") == "/bot{token}/getUpdates"
    assert normalize_path("/static/app.js") == "/static/app.js"


def test_hold_catalog() -> None:
    m = HoldMatcher()
    consul = m.match("/v1/kv/service/config", "index=42&wait=5m")
    assert consul is not None and consul.seconds == 300 and consul.protocol == "consul-blocking"
    assert consul.jitter == 0.0625
    k8s = m.match("/api/v1/pods", "watch=true&resourceVersion=1&timeoutSeconds=290")
    assert k8s is not None and k8s.seconds == 290
    tg = m.match("/bot{token}/getUpdates", "offset=1&timeout=60")
    assert tg is not None and tg.seconds == 50  # clamped to the server's 50 s maximum
    electric = m.match("/v1/shape", "table=items&offset=0_0&handle=h&live=true")
    assert electric is not None and electric.seconds == 20
    assert m.match("/v1/shape", "table=items&offset=-1") is None
    generic = m.match("/api/poll", "timeout=25")
    assert generic is not None and (generic.seconds, generic.unit) == (25.0, "s")
    assert m.match("/api/poll", "timeout=30000").seconds == 30.0  # type: ignore[union-attr]
    assert m.match("/api/poll", "wait=1m30s").seconds == 90.0  # type: ignore[union-attr]
    matrix_initial = m.match("/_matrix/client/v3/sync", "filter=0")
    assert matrix_initial is not None and matrix_initial.seconds == 0  # no timeout: a short poll


def test_route_normalisation_of_random_ids_but_not_words() -> None:
    assert normalize_path("/rooms/{id}/send/m.room.message/m1781082843512.7") == "/rooms/{id}/send/m.room.message/{id}"
    assert normalize_path("/_matrix/media/v3/thumbnail/example.com/XyZkQpLmNoPqRsTu").endswith("/{token}")
    assert normalize_path("/docs/GettingStartedGuide") == "/docs/GettingStartedGuide"
    assert normalize_path("/docs/HTTPServerConfiguration") == "/docs/HTTPServerConfiguration"
    # Synapse media ids: 24 random ASCII letters, often with long runs of one case
    assert normalize_path("/_matrix/media/v3/download/example.com/ALxvAMNSNRAEkJyjoBqrsrof").endswith("/{token}")


def test_sozune_stream_counts_its_own_timeouts_and_warns_about_missing_lines(tmp_path: Path) -> None:
    fixture = Path(__file__).parent / "fixtures" / "sozu" / "sozune-stdout.log"
    result = CliRunner().invoke(main, ["scan", str(fixture), "-f", "json"])
    report = json.loads(result.output)
    (f,) = findings(report)
    assert f["hop"] == "proxy" and abs(f["cutoff_s"] - 30.0) <= 1.0 and f["severity"] == "error"
    assert "backendTimeout=35" in f["fix"]
    assert any("not proof" in n for n in report["notes"])
