"""A configuration on standard input is read once and seen whole by whichever reader it belongs to."""

from __future__ import annotations

import json
import subprocess
import sys

NGINX = "events {}\nhttp { server { listen 80;\n  location /poll { proxy_pass http://127.0.0.1:9; proxy_read_timeout 20s; } } }\n"


def test_nginx_config_from_stdin_is_checked() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "check-config", "-", "--hold", "/poll=30s", "-f", "json"],
        input=NGINX,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)
    (f,) = [f for f in report["findings"] if f["rule"] == "timeout-below-hold"]
    assert f["configured_s"] == 20.0 and f["line"] == 3


def test_misspelled_timeout_directive_is_refused_with_its_line(tmp_path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX.replace("proxy_read_timeout 20s", "proxy_read_timout 90s"))
    r = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "check-config", str(conf)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2
    assert r.stderr.strip() == (
        f'lpdoctor: {conf}:3: unknown directive "proxy_read_timout" (did you mean proxy_read_timeout?); '
        "nginx -t refuses it"
    )


def test_unknown_third_party_directives_are_left_alone(tmp_path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX.replace("proxy_read_timeout 20s;", 'proxy_read_timeout 20s; more_set_headers "X-A: b";'))
    r = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "check-config", str(conf), "--hold", "/poll=10s"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
