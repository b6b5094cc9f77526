"""One margin policy (lpdoctor.model.margin) for scan and check-config: ``--margin`` moves the line between a
race warning and no finding the same way for a timer read from a config and for a cut-off seen in a log."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from lpdoctor.cli import main
from lpdoctor.model import margin
from tests.logfactory import long_poll_route, ordinary_traffic

HOLD = 30.0
TIMER = 34.0  # above the hold by 4 s: inside the default margin max(5 s, 3 s), outside max(2 s, 3 s)


def run(*args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(main, [*args, "-f", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)["findings"]


def test_check_config_margin(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n  server {\n    listen 80;\n    location /poll {\n"
        f"      proxy_pass http://127.0.0.1:9;\n      proxy_read_timeout {TIMER:.0f}s;\n    }}\n  }}\n}}\n"
    )
    _, default = run("check-config", str(conf), "--hold", f"/poll={HOLD:.0f}s")
    assert [(f["rule"], f["severity"]) for f in default] == [("timeout-below-hold", "warning")]
    assert default[0]["evidence"]["margin_s"] == margin.margin(HOLD) == 5.0
    assert default[0]["evidence"]["suggested_s"] == margin.suggest(HOLD, 5.0) == 35.0
    code, narrow = run("check-config", str(conf), "--hold", f"/poll={HOLD:.0f}s", "--margin", "2")
    assert narrow == [] and code == 0


def test_scan_margin(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    # the URL asks for 30 s; the server runs a little long (36 s), and a hop cuts at 34 s: a race
    lines = long_poll_route("/poll?timeout=30000", n=120, hold=36.0, cut=TIMER) + ordinary_traffic(50)
    log.write_text("\n".join(lines) + "\n")
    _, default = run("scan", str(log))
    assert [(f["rule"], f["severity"]) for f in default] == [("hold-cut", "warning")]
    assert "within 5 s of the 30 s hold" in str(default[0]["message"]) and "(a race)" in str(default[0]["message"])
    _, narrow = run("scan", str(log), "--margin", "2")
    # outside a 3 s margin the same cut is no longer a race: the server runs past its hold
    assert [(f["rule"], f["severity"]) for f in narrow] == [("hold-cut", "warning")]
    assert "The server does not end its holds in time" in str(narrow[0]["message"])
