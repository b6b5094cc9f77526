"""Inline suppressions (``# lpdoctor: ignore[RULE] -- reason``) in every config kind with ``#`` comments.

Each kind gets a small configuration whose timer (30 s) is below a 60 s hold: ``check-config`` reports
``timeout-below-hold`` on the timer's line and exits 1. The same file with a suppression comment exits 0 and
reports the finding as suppressed, with its reason. The commented files are also given to the real proxy's
own syntax check (nginx -t, haproxy -c, apache2 -t, caddy adapt): the comment forms documented are ones the
proxies accept (Apache has no trailing comments, so there the comment goes on the line above).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpdoctor.cli import main
from tests.realworld import require_real

NGINX = """events {}
http {
    server {
        listen 127.0.0.1:8080;
        location /poll {
            proxy_pass http://127.0.0.1:9000;
            proxy_read_timeout 30s;
        }
    }
}
"""
HAPROXY = """defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 30s

frontend fe
    bind 127.0.0.1:8080
    default_backend be

backend be
    server app 127.0.0.1:9000
"""
APACHE = """ServerRoot {root}
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so
PidFile {root}/httpd.pid
ErrorLog /dev/stderr
Listen 127.0.0.1:8080
<VirtualHost 127.0.0.1:8080>
    ServerName poll.example.org
    ProxyTimeout 30
    ProxyPass /poll http://127.0.0.1:9000/poll
</VirtualHost>
"""
CADDYFILE = """http://127.0.0.1:8080 {
	reverse_proxy /poll* 127.0.0.1:9000 {
		transport http {
			response_header_timeout 30s
		}
	}
}
"""
TRAEFIK_YAML = """http:
  routers:
    poll:
      rule: "PathPrefix(`/poll`)"
      service: poll
  services:
    poll:
      loadBalancer:
        serversTransport: slow
        servers:
          - url: "http://127.0.0.1:9000"
  serversTransports:
    slow:
      forwardingTimeouts:
        responseHeaderTimeout: 30s
"""
TRAEFIK_TOML = """[http.routers.poll]
  rule = "PathPrefix(`/poll`)"
  service = "poll"

[http.services.poll.loadBalancer]
  serversTransport = "slow"
  [[http.services.poll.loadBalancer.servers]]
    url = "http://127.0.0.1:9000"

[http.serversTransports.slow.forwardingTimeouts]
  responseHeaderTimeout = "30s"
"""

# kind -> (file name, text, the timer's line, whether a comment may follow a directive on its line)
KINDS: dict[str, tuple[str, str, int, bool]] = {
    "nginx": ("nginx.conf", NGINX, 7, True),
    "haproxy": ("haproxy.cfg", HAPROXY, 5, True),
    "apache": ("apache2.conf", APACHE, 11, False),
    "caddyfile": ("Caddyfile", CADDYFILE, 4, True),
    "traefik-yaml": ("dynamic.yml", TRAEFIK_YAML, 15, True),
    "traefik-toml": ("dynamic.toml", TRAEFIK_TOML, 11, True),
}
REASON = "the app is told to hold 25 s (OPS-12)"


def write(tmp_path: Path, kind: str, comment: str | None, above: bool = False) -> Path:
    name, text, line, _trailing = KINDS[kind]
    lines = text.replace("{root}", str(tmp_path)).splitlines()
    if comment is not None:
        if above:
            indent = lines[line - 1][: len(lines[line - 1]) - len(lines[line - 1].lstrip())]
            lines.insert(line - 1, indent + comment)
        else:
            lines[line - 1] += "  " + comment
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def check(path: Path, *args: str, fmt: str = "json") -> tuple[int, Any, str]:
    result = CliRunner().invoke(
        main, ["check-config", str(path), "--hold", "/poll=60s", "-f", fmt, *args], catch_exceptions=False
    )
    out = json.loads(result.stdout) if fmt in ("json", "sarif") else result.stdout
    return result.exit_code, out, result.stderr


def rules(doc: dict[str, Any]) -> list[str]:
    return [f["rule"] for f in doc["findings"]]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_commented_finding_is_suppressed_with_its_reason(tmp_path: Path, kind: str) -> None:
    bare = write(tmp_path, kind, None)
    code, doc, _ = check(bare)
    assert code == 1 and rules(doc) == ["timeout-below-hold"]
    assert doc["findings"][0]["line"] == KINDS[kind][2]

    trailing = KINDS[kind][3]
    path = write(tmp_path, kind, f"# lpdoctor: ignore[timeout-below-hold] -- {REASON}", above=not trailing)
    code, doc, _ = check(path)
    assert code == 0, doc["findings"]
    assert doc["findings"] == []
    [sup] = doc["suppressed"]
    assert sup["rule"] == "timeout-below-hold"
    assert sup["suppression"]["kind"] == "inSource"
    assert sup["suppression"]["justification"] == REASON
    code, text, _ = check(path, fmt="text")
    assert "1 finding suppressed (1 by comment)" in text and REASON in text


@pytest.mark.parametrize("kind", ["nginx", "haproxy", "traefik-yaml"])
def test_a_comment_alone_on_the_line_above_counts_too(tmp_path: Path, kind: str) -> None:
    path = write(tmp_path, kind, f"# lpdoctor: ignore[timeout-below-hold] -- {REASON}", above=True)
    code, doc, _ = check(path)
    assert code == 0 and doc["findings"] == [] and len(doc["suppressed"]) == 1


def test_a_trailing_comment_on_the_line_above_does_not_reach_the_next_line(tmp_path: Path) -> None:
    text = NGINX.replace(
        "proxy_pass http://127.0.0.1:9000;",
        f"proxy_pass http://127.0.0.1:9000;  # lpdoctor: ignore[timeout-below-hold] -- {REASON}",
    )
    path = tmp_path / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    code, doc, _ = check(path)
    assert code == 1
    assert sorted(rules(doc)) == ["timeout-below-hold", "unused-suppression"]


def test_no_reason_suppresses_but_warns(tmp_path: Path) -> None:
    path = write(tmp_path, "nginx", "# lpdoctor: ignore[timeout-below-hold]")
    code, doc, _ = check(path)
    assert code == 0  # a warning does not fail --fail-on error
    [warning] = doc["findings"]
    assert warning["rule"] == "unused-suppression" and warning["severity"] == "warning"
    assert warning["line"] == 7 and "no reason" in warning["message"]
    assert len(doc["suppressed"]) == 1
    code, _, _ = check(path, "--fail-on", "warning")
    assert code == 1


def test_a_comment_that_matches_nothing_is_reported_and_the_finding_stays(tmp_path: Path) -> None:
    path = write(tmp_path, "haproxy", f"# lpdoctor: ignore[zero-timeout] -- {REASON}")
    code, doc, _ = check(path)
    assert code == 1
    assert sorted(rules(doc)) == ["timeout-below-hold", "unused-suppression"]
    unused = next(f for f in doc["findings"] if f["rule"] == "unused-suppression")
    assert "nothing here matches zero-timeout" in unused["message"]
    assert "suppressed" not in doc


def test_an_unused_comment_in_an_included_file_is_found(tmp_path: Path) -> None:
    (tmp_path / "extra.conf").write_text(f"# lpdoctor: ignore[zero-timeout] -- {REASON}\n", encoding="utf-8")
    path = write(tmp_path, "nginx", None)
    path.write_text(path.read_text().replace("events {}", "events {}\ninclude extra.conf;"), encoding="utf-8")
    code, doc, _ = check(path)
    assert code == 1
    unused = [f for f in doc["findings"] if f["rule"] == "unused-suppression"]
    assert [u["file"].endswith("extra.conf") for u in unused] == [True]


def test_sarif_keeps_the_suppressed_result_with_its_justification(tmp_path: Path) -> None:
    path = write(tmp_path, "nginx", f"# lpdoctor: ignore[timeout-below-hold] -- {REASON}")
    code, sarif, _ = check(path, fmt="sarif")
    assert code == 0
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "timeout-below-hold"
    assert result["suppressions"] == [{"kind": "inSource", "justification": REASON}]


def _syntax_check(kind: str, path: Path, tmp_path: Path) -> list[str] | None:
    if kind == "nginx":
        return ["nginx", "-t", "-c", str(path), "-p", str(tmp_path), "-e", "stderr"]
    if kind == "haproxy":
        return ["haproxy", "-c", "-f", str(path)]
    if kind == "apache":
        return ["apache2", "-t", "-f", str(path)]
    if kind == "caddyfile":
        return ["caddy", "adapt", "--config", str(path), "--adapter", "caddyfile"]
    return None


@pytest.mark.real
@pytest.mark.parametrize("kind", ["nginx", "haproxy", "apache", "caddyfile"])
def test_the_real_proxy_accepts_the_commented_config(tmp_path: Path, kind: str) -> None:
    trailing = KINDS[kind][3]
    path = write(tmp_path, kind, f"# lpdoctor: ignore[timeout-below-hold] -- {REASON}", above=not trailing)
    argv = _syntax_check(kind, path, tmp_path)
    assert argv is not None
    env = {**os.environ, "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin"}
    if shutil.which(argv[0], path=env["PATH"]) is None:
        require_real(f"{argv[0]} is not installed")
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    code, doc, _ = check(path)
    assert code == 0 and len(doc["suppressed"]) == 1


@pytest.mark.real
def test_apache_rejects_a_trailing_comment_so_the_line_above_is_the_way(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin"}
    if shutil.which("apache2", path=env["PATH"]) is None:
        require_real("apache2 is not installed")
    path = write(tmp_path, "apache", f"# lpdoctor: ignore[timeout-below-hold] -- {REASON}", above=False)
    proc = subprocess.run(["apache2", "-t", "-f", str(path)], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode != 0 and "ProxyTimeout" in proc.stderr


def test_the_github_job_summary_counts_the_suppressed(tmp_path: Path) -> None:
    path = write(tmp_path, "nginx", f"# lpdoctor: ignore[timeout-below-hold] -- {REASON}")
    summary = tmp_path / "summary.md"
    result = CliRunner(env={"GITHUB_STEP_SUMMARY": str(summary)}).invoke(
        main, ["check-config", str(path), "--hold", "/poll=60s", "-f", "github"], catch_exceptions=False
    )
    assert result.exit_code == 0 and "::error" not in result.stdout
    assert "1 finding suppressed (1 by comment)" in summary.read_text()
