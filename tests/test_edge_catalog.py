"""Catalog corrections of issue 15, as a user sees them: protocols whose hold was missed (SignalR hubs at
app-chosen paths, Blazor, SignalR 2.x, Matrix sliding sync, Syncthing) and defaults that changed (Cloudflare
120 s, Heroku's 55 s rolling idle, a Kubernetes watch without timeoutSeconds lasting up to 3600 s)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpdoctor.cli import main


def scan(tmp_path: Path, target: str, statuses: list[tuple[int, float]]) -> dict[str, Any]:
    """A combined-with-timing access log of ``target`` answered with (status, seconds) pairs, scanned as JSON."""
    log = tmp_path / "access.log"
    lines = []
    for i, (status, seconds) in enumerate(statuses):
        stamp = f"21/Nov/2026:20:{10 + i // 60:02d}:{i % 60:02d} +0000"
        lines.append(
            f'192.0.2.{i % 200 + 1} - - [{stamp}] "GET {target}&n={i} HTTP/1.1" {status} 0 "-" "client/1.0" '
            f"{seconds:.3f} {seconds:.3f} {status}"
        )
    log.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["scan", str(log), "-f", "json"], catch_exceptions=False)
    return dict(json.loads(result.stdout))


@pytest.mark.parametrize(
    ("target", "hold", "protocol"),
    [
        ("/_blazor?id=Qm9vaw", 90.0, "signalr-longpolling"),
        ("/chathub?id=abcDEF", 90.0, "signalr-longpolling"),
        ("/signalr/poll?transport=longPolling&connectionToken=x", 110.0, "signalr2-longpolling"),
        ("/_matrix/client/unstable/org.matrix.simplified_msc3575/sync?timeout=30000", 30.0, "matrix-sliding-sync"),
        ("/rest/events?since=12", 60.0, "syncthing-events"),
    ],
)
def test_long_polls_cut_at_60s_are_named_with_their_protocol_hold(
    tmp_path: Path, target: str, hold: float, protocol: str
) -> None:
    report = scan(tmp_path, target, [(504, 60.0)] * 30 + [(200, 1.5)] * 5)
    (endpoint,) = [e for e in report["endpoints"] if e["long_poll"]]
    assert endpoint["hold_s"] == hold
    cut = [f for f in report["findings"] if f["rule"] == "hold-cut"]
    assert cut, report["findings"]
    assert cut[0]["evidence"]["hold_from"].startswith(protocol + ":")
    if hold >= 60:  # the fix must clear the poll, not just the cut (Blazor got 70 s before, below its 90 s)
        fix = cut[0]["fix"]
        value = int("".join(ch for ch in fix.split("proxy_read_timeout", 1)[1].split(";")[0] if ch.isdigit()))
        assert value > hold


def test_a_kubernetes_watch_without_timeout_seconds_may_last_an_hour(tmp_path: Path) -> None:
    report = scan(tmp_path, "/api/v1/pods?watch=true&resourceVersion=1", [(504, 1800.0)] * 10)
    (endpoint,) = [e for e in report["endpoints"] if e["long_poll"]]
    assert endpoint["hold_s"] == 3600.0


def check_chain(tmp_path: Path, hold: str, edge: str) -> dict[str, Any]:
    chain = tmp_path / "lpdoctor.yaml"
    chain.write_text(
        f"version: 1\nroutes:\n  - route: /poll\n    hold: {hold}\n    edges:\n      - component: {edge}\n"
    )
    result = CliRunner().invoke(main, ["check-config", "--chain", str(chain), "-f", "json"], catch_exceptions=False)
    return dict(json.loads(result.stdout))


def test_cloudflare_edge_is_120s_and_its_fix_is_the_alternatives(tmp_path: Path) -> None:
    assert check_chain(tmp_path, "100s", "cloudflare")["findings"] == []  # 100 s before: an error then
    (finding,) = check_chain(tmp_path, "130s", "cloudflare")["findings"]
    assert finding["configured_s"] == 120.0
    assert "Enterprise" in finding["fix"] and "heartbeat" in finding["fix"]


def test_heroku_router_rolling_idle_cuts_a_silent_60s_hold(tmp_path: Path) -> None:
    report = check_chain(tmp_path, "60s", "heroku")
    settings = {f["evidence"]["setting"]: f for f in report["findings"]}
    assert "router rolling idle" in settings
    idle = settings["router rolling idle"]
    assert idle["configured_s"] == 55.0
    assert "cannot be changed" in idle["fix"] and "heartbeat" in idle["fix"]
