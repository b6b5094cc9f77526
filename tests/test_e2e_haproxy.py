"""End to end with a REAL HAProxy (Debian's package) in front of the real long-poll backend.

``timeout server 2s`` below a 4 s Matrix ``/sync`` hold (scaled down from 30 s vs 60 s) makes HAProxy answer
504 with ``sH--`` and ``Tr = -1`` after 2 s. Three independent views must agree on the hop (the proxy) and on
the cut-off (within 0.5 s of HAProxy's own timer):

- ``lpdoctor scan`` on the log HAProxy wrote (``option httplog``, ``log stdout format raw``);
- ``lpdoctor check-config`` on the ``haproxy.cfg`` HAProxy ran with (and the timer's file:line);
- ``lpdoctor probe`` on the live endpoint.

Skips without HAProxy; fails instead under ``LPDOCTOR_REQUIRE_REAL=1`` (CI). About 10 s.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpdoctor.cli import main
from tests.realworld.backend import Backend
from tests.realworld.clients import ClientConfig, fixed_target, run_clients
from tests.realworld.haproxy import HaproxyConfig, HaproxyInstance, start_haproxy

TIMEOUT_SERVER_S = 2.0
HOLD_MS = 4000
TOLERANCE_S = 0.5
SYNC = f"/_matrix/client/v3/sync?timeout={HOLD_MS}"
ROUTE = "/_matrix/client/v3/sync"


def lpdoctor(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, [*args, "-f", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def only(findings: list[dict[str, Any]], rule: str) -> dict[str, Any]:
    matching = [f for f in findings if f["rule"] == rule and f.get("route") == ROUTE]
    assert len(matching) == 1, [(f["rule"], f.get("route")) for f in findings]
    return matching[0]


@pytest.fixture
def haproxy_in_front(backend_factory: Callable[..., Backend], tmp_path: Path) -> Iterator[HaproxyInstance]:
    backend = backend_factory()
    config = HaproxyConfig(servers=[backend.address], timeout_server=f"{TIMEOUT_SERVER_S:g}s", timeout_client="30s")
    instance = start_haproxy(config, tmp_path / "haproxy")
    yield instance
    instance.stop()


@pytest.mark.real
def test_scan_check_config_and_probe_agree_on_haproxy_timeout_server(haproxy_in_front: HaproxyInstance) -> None:
    hap = haproxy_in_front
    started = time.monotonic()

    # Four clients poll twice each: every poll is cut by timeout server. No client gives up first.
    run = run_clients(
        ClientConfig(
            port=hap.port,
            clients=4,
            max_requests=2,
            duration_s=5.0,
            read_timeout_s=15.0,
            targets=fixed_target(SYNC),
            failure_backoff_s=(0.0, 0.0),
        )
    )
    assert run.statuses() == {504: 8}
    assert all(abs(r.elapsed_s - TIMEOUT_SERVER_S) < TOLERANCE_S for r in run.results)

    # What HAProxy itself wrote: 504, sH-- (server timeout before headers), Tr = -1, Ta ≈ 2000 ms.
    lines = hap.wait_for_log_lines(8)
    access = [ln for ln in lines if '"GET /_matrix/' in ln]
    assert len(access) == 8, lines
    for line in access:
        m = re.search(r" (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(\d+) (\d{3}) .* (\S{4}) \d+/\d+/\d+/\d+/\d+ ", line)
        assert m is not None, line
        assert (m[4], m[6], m[7]) == ("-1", "504", "sH--"), line
        assert abs(int(m[5]) / 1000 - TIMEOUT_SERVER_S) < TOLERANCE_S

    # 1. scan the log HAProxy wrote.
    code, scan = lpdoctor("scan", str(hap.log_path))
    assert code == 1
    assert scan["inputs"][0]["format"] == "haproxy-httplog"
    cut = only(scan["findings"], "hold-cut")
    assert cut["hop"] == "proxy" and cut["severity"] == "error"
    assert cut["hold_s"] == pytest.approx(HOLD_MS / 1000)
    assert abs(cut["cutoff_s"] - TIMEOUT_SERVER_S) <= TOLERANCE_S
    assert cut["evidence"]["proxy_detail"] == "sH--"
    assert "timeout server" in cut["fix"]

    # 2. check-config on the haproxy.cfg it ran with: the same hop, the same seconds, the line to change.
    cfg_lines = hap.conf_path.read_text().splitlines()
    timer_line = next(i for i, ln in enumerate(cfg_lines, start=1) if ln.split() == ["timeout", "server", "2s"])
    code, checked = lpdoctor("check-config", str(hap.conf_path), "--hold", f"{ROUTE}=4s")
    assert code == 1
    below = only(checked["findings"], "timeout-below-hold")
    assert below["hop"] == "proxy" and below["severity"] == "error"
    assert abs(below["cutoff_s"] - cut["cutoff_s"]) <= TOLERANCE_S
    assert (below["file"], below["line"]) == (str(hap.conf_path), timer_line)
    assert below["evidence"]["setting"] == "timeout server" and below["evidence"]["component"] == "haproxy"
    assert below["fix"].startswith("timeout server ")
    chain = checked["chains"][0]
    assert [h["component"] for h in chain["hops"]] == ["haproxy"]

    # 3. probe the live endpoint: one 4 s poll, cut at 2 s by a proxy.
    code, probed = lpdoctor("probe", f"http://{hap.address}{SYNC}", "--hold", "4s")
    assert code == 1
    measured = only(probed["findings"], "hold-cut")
    assert measured["hop"] == "proxy"
    assert abs(measured["cutoff_s"] - TIMEOUT_SERVER_S) <= TOLERANCE_S
    assert abs(measured["cutoff_s"] - cut["cutoff_s"]) <= TOLERANCE_S

    assert time.monotonic() - started < 30
