"""Across proxies: Cloudflare in front of HAProxy in front of gunicorn, for a 2 min blocking query.

The chain file declares what haproxy.cfg cannot say (the hold, the edge, the app server); haproxy.cfg gives the
proxy hop. ``check-config`` must put every hop on one time axis, outermost first, and tell each owner what to
change in that component's own terms: Cloudflare (a plan limit: hold less or send bytes), HAProxy
(``timeout server`` in haproxy.cfg, at its line), gunicorn (worker class or ``--timeout``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from lpdoctor.cli import main

CROSS = Path(__file__).parent / "fixtures" / "configs" / "cross"
CFG = str(CROSS / "haproxy.cfg")
CHAIN = str(CROSS / "lpdoctor.yaml")


def check(fmt: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["check-config", CFG, "--chain", CHAIN, "--no-catalog", "-f", fmt], catch_exceptions=False
    )
    return result.exit_code, result.stdout


def by_component(findings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["evidence"]["component"]: f for f in findings}


def test_every_hop_is_on_one_chain_outermost_first() -> None:
    code, out = check("json")
    assert code == 1
    report = json.loads(out)
    (chain,) = report["chains"]
    assert chain["route"] == "/v1/kv/" and chain["hold_s"] == 120.0
    assert [(h["kind"], h["component"]) for h in chain["hops"]] == [
        ("edge", "cloudflare"),
        ("proxy", "haproxy"),
        ("server", "gunicorn"),
    ]
    cut = {h["component"]: (h["timeouts"][0]["value_s"], h["timeouts"][0]["semantics"]) for h in chain["hops"]}
    assert cut == {"cloudflare": (120.0, "idle"), "haproxy": (60.0, "idle"), "gunicorn": (30.0, "total")}
    haproxy = chain["hops"][1]["timeouts"][0]
    assert (haproxy["file"], haproxy["line"], haproxy["explicit"]) == (CFG, 11, True)


def test_each_owner_gets_a_fix_in_its_own_syntax() -> None:
    _, out = check("json")
    findings = by_component(json.loads(out)["findings"])
    assert set(findings) == {"cloudflare", "haproxy", "gunicorn"}

    edge = findings["cloudflare"]
    assert (edge["rule"], edge["hop"], edge["severity"]) == ("timeout-below-hold", "edge", "error")
    assert "Enterprise" in edge["fix"] and "hold for less than" in edge["fix"]
    assert "524" in edge["explanation"]

    proxy = findings["haproxy"]
    assert (proxy["rule"], proxy["hop"]) == ("timeout-below-hold", "proxy")
    assert proxy["fix"].startswith("timeout server 135s")  # 120 s hold + max(5 s, 10 %) margin, rounded up to 5 s
    assert (proxy["file"], proxy["line"]) == (CFG, 11)
    assert "backend be_api" in proxy["fix"]

    app = findings["gunicorn"]
    assert (app["rule"], app["hop"]) == ("gunicorn-sync-worker", "server")
    assert "-k gthread" in app["fix"] and "--timeout 135" in app["fix"]
    assert app["file"] == CHAIN


def test_the_text_report_draws_the_hops_on_one_axis() -> None:
    code, out = check("text")
    assert code == 1
    block = out[out.index("Chain /v1/kv/") :].split("\n\n", 1)[0].splitlines()
    labels = [line.split()[0] for line in block[1:]]
    assert labels == ["edge:", "proxy:", "server:", "hold"]
    assert "haproxy.cfg:11" in block[2] and "<- cuts first" in block[3]
    # Bars share one scale: the longer timer draws the longer bar.
    bars = [line.count("█") for line in block[1:4]]
    assert bars[0] > bars[1] > bars[2] > 0
