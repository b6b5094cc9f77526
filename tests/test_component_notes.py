"""Settings users ask about that do not end a held long-poll are notes, never timers on a chain."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lpdoctor.cli import main

CHAIN = """\
version: 1
routes:
  - route: /poll
    hold: 90s
    proxies:
      - component: traefik
        timeouts:
          responseHeaderTimeout: 120s
      - component: haproxy
        timeouts:
          timeout server: 120s
          timeout client: 10s
"""


def test_traefik_read_timeout_and_haproxy_timeout_client_do_not_cut_a_held_request(tmp_path: Path) -> None:
    chain = tmp_path / "lpdoctor.yaml"
    chain.write_text(CHAIN)
    result = CliRunner().invoke(main, ["check-config", "--chain", str(chain), "-f", "json"])
    report = json.loads(result.output)
    settings = {(t["component"], t["setting"]) for c in report["chains"] for h in c["hops"] for t in h["timeouts"]}
    assert ("traefik", "readTimeout") not in settings  # the catalog's 60 s: bounds reading the request only
    assert ("haproxy", "timeout client") not in settings  # [E] did not cut a GET held 5 s with 2 s
    assert ("haproxy", "timeout server") in settings
    assert not [f for f in report["findings"] if f["severity"] == "error"], report["findings"]
