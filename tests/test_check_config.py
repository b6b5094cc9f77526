"""``lpdoctor check-config`` through the CLI, on realistic multi-file configurations and the samples.

Every test asserts what a user sees: the rule, the file and line it names, the fix line, the exit code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpdoctor.cli import main

CHAINS = Path("tests/fixtures/chains")
MATRIX = CHAINS / "matrix"
MATRIX_SITE = str(MATRIX / "sites" / "matrix.example.org.conf")
CHAT = CHAINS / "chat"
SAMPLES = Path("samples")


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def report(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = cli("check-config", *args, "-f", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def findings(doc: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["rule"] == rule]


def where(f: dict[str, Any]) -> tuple[str, int]:
    return f["file"], f["line"]


# --------------------------------------------------------------------------------------------- nginx matching


def test_regex_location_that_shadows_the_prefix_is_the_one_judged() -> None:
    code, doc = report(str(MATRIX / "nginx.conf"))
    assert code == 1
    (f,) = findings(doc, "timeout-below-hold")
    # line 23 is the regex location's 30s, not the 120s of the prefix location nginx never uses for /sync
    assert where(f) == (MATRIX_SITE, 23)
    assert f["severity"] == "error"
    assert f["configured_s"] == 30.0
    assert f["hold_s"] == 30.0
    assert f["route"] == "/_matrix/client/v3/sync"
    assert f["host"] == "matrix.example.org"
    assert f["fix"].startswith(f"set `proxy_read_timeout 35s;` at {MATRIX_SITE}:23")
    assert "2 servers" in f["message"] and "60 s" in f["message"]
    # two servers and timeouts retried: the retry times out too (504), or finds every server taken out (502)
    assert "clients see 504 once every server timed out, or 502 when a retry finds no server left" in (f["explanation"])


def test_default_proxy_next_upstream_is_reported_at_the_location_block() -> None:
    _, doc = report(str(MATRIX / "nginx.conf"))
    (f,) = findings(doc, "retry-multiplies-wait")
    assert where(f) == (MATRIX_SITE, 20)  # the location line: the default applies there
    assert f["evidence"]["attempts"] == 2
    assert "(the default)" in f["message"]
    assert f["fix"].startswith("proxy_next_upstream error;")


def test_a_variable_in_a_timeout_is_a_config_warning_naming_the_map() -> None:
    _, doc = report(str(MATRIX / "nginx.conf"))
    (config,) = [i for i in doc["inputs"] if i["kind"] == "config"]
    assert any(f"{MATRIX_SITE}:40:" in w and "maps.conf:6" in w for w in config["warnings"])


def test_the_chain_is_in_the_json_with_every_timer_placed() -> None:
    _, doc = report(str(MATRIX / "nginx.conf"))
    (chain,) = doc["chains"]
    assert chain["route"] == "/_matrix/client/v3/sync" and chain["hold_s"] == 30.0
    (hop,) = chain["hops"]
    assert hop["kind"] == "proxy" and hop["attempts"] == 2
    (timer,) = hop["timeouts"]
    assert (timer["setting"], timer["value_s"], timer["semantics"]) == ("proxy_read_timeout", 30.0, "idle")
    assert (timer["file"], timer["line"]) == (MATRIX_SITE, 23)


def test_text_output_draws_the_chain_on_one_axis() -> None:
    code, out, _ = cli("check-config", str(MATRIX / "nginx.conf"), "-f", "text")
    assert code == 1
    assert "Chain /_matrix/client/v3/sync" in out
    row = next(line for line in out.splitlines() if "proxy: nginx proxy_read_timeout" in line)
    assert "30 s idle" in row and "matrix.example.org.conf:23" in row and "cuts first" in row


def test_nested_location_inherits_the_outer_locations_timeout() -> None:
    _, doc = report(str(CHAT / "nginx.conf"), "--hold", "chat.example.org/api/poll=25s")
    (f,) = findings(doc, "timeout-below-hold")
    assert where(f) == (str(CHAT / "nginx.conf"), 20)  # proxy_read_timeout 10s of location /api/
    assert f["configured_s"] == 10.0
    assert "location /api/poll" in f["fix"]


def test_hold_option_without_host_checks_the_server_that_serves_it(tmp_path: Path) -> None:
    _, doc = report(str(CHAT / "nginx.conf"), "--hold", "/api/poll=25000ms")
    (f,) = findings(doc, "timeout-below-hold")
    assert f["host"] == "chat.example.org" and f["hold_s"] == 25.0


def test_a_global_raise_is_reported_once_at_the_http_line() -> None:
    _, doc = report("--chain", str(CHAT / "lpdoctor.yaml"))
    (f,) = findings(doc, "global-timeout-raise")
    assert where(f) == (str(CHAT / "nginx.conf"), 7)
    assert f["severity"] == "warning"
    assert "location /events/" in f["fix"] and "back to 60 s" in f["fix"]


def test_gunicorn_gthread_keepalive_races_the_nginx_upstream_pool() -> None:
    _, doc = report("--chain", str(CHAT / "lpdoctor.yaml"))
    (f,) = findings(doc, "keepalive-race")
    assert where(f) == (str(CHAT / "nginx.conf"), 9)  # upstream app: keepalive_timeout 60 s by default
    assert f["evidence"]["backend_idle_s"] == 2.0 and f["evidence"]["pool_idle_s"] == 60.0
    assert "Procfile:2" in f["message"]


def test_chain_file_client_below_the_hold() -> None:
    _, doc = report("--chain", str(CHAT / "lpdoctor.yaml"))
    (f,) = findings(doc, "client-timeout-below-hold")
    assert where(f) == (str(CHAT / "lpdoctor.yaml"), 17)
    assert f["configured_s"] == 5.0 and f["hop"] == "client"
    assert "httpx.Timeout(10.0, read=30)" in f["fix"]


def _chain(tmp_path: Path, body: str) -> str:
    path = tmp_path / "lpdoctor.yaml"
    path.write_text(f"version: 1\nnginx: {Path(CHAT / 'nginx.conf').resolve()}\n{body}")
    return str(path)


def test_heartbeat_bytes_reset_idle_timers_but_not_total_ones(tmp_path: Path) -> None:
    silent = _chain(tmp_path, "routes:\n  - route: /events/\n    hold: 60s\n    edges: [{component: aws-alb}]\n")
    _, doc = report("--chain", silent)
    assert [f["evidence"]["setting"] for f in findings(doc, "timeout-below-hold")] == ["idle_timeout"]

    beating = _chain(
        tmp_path,
        "routes:\n  - route: /events/\n    hold: 60s\n    keepalive: {every: 20s, kind: bytes}\n"
        "    edges: [{component: aws-alb}, {component: gcp-lb}]\n",
    )
    _, doc = report("--chain", beating)
    (f,) = findings(doc, "timeout-below-hold")  # the ALB idle timer is reset every 20 s; GCP's 30 s is total
    assert f["evidence"]["setting"] == "timeoutSec" and f["evidence"]["must_outlast_s"] == 60.0


def test_an_idle_timer_shorter_than_the_keepalive_interval_still_cuts(tmp_path: Path) -> None:
    path = _chain(
        tmp_path,
        "routes:\n  - route: /events/\n    hold: 60s\n    keepalive: {every: 30s, kind: bytes}\n"
        "    client: {component: okhttp}\n",
    )
    _, doc = report("--chain", path)
    (f,) = findings(doc, "client-timeout-below-hold")
    assert f["evidence"]["must_outlast_s"] == 30.0 and "keepalive interval" in f["message"]


def test_outer_hop_shorter_than_the_inner_one(tmp_path: Path) -> None:
    path = _chain(tmp_path, "routes:\n  - route: /events/\n    hold: 30s\n    edges: [{component: aws-alb}]\n")
    _, doc = report("--chain", path)
    (f,) = findings(doc, "timeout-order")
    assert f["hop"] == "edge" and f["configured_s"] == 60.0 and f["evidence"]["inner_s"] == 300.0
    assert f["line"] == 6


def test_102_keepalive_through_nginx_and_to_a_go_client(tmp_path: Path) -> None:
    path = _chain(
        tmp_path,
        "routes:\n  - route: /events/\n    hold: 60s\n    keepalive: {every: 5s, kind: 102-processing}\n"
        "    client: {component: go-http-client}\n",
    )
    _, doc = report("--chain", path)
    got = findings(doc, "keepalive-1xx")
    assert {f["hop"] for f in got} == {"proxy", "client"}
    go = next(f for f in got if f["hop"] == "client")
    assert go["evidence"]["interim_responses"] == 11 and go["severity"] == "error"


def test_haproxy_without_timeout_server_is_unbounded(tmp_path: Path) -> None:
    path = tmp_path / "lpdoctor.yaml"
    path.write_text("routes:\n  - route: /poll\n    hold: 30s\n    proxies:\n      - component: haproxy\n")
    code, doc = report("--chain", str(path))
    (f,) = findings(doc, "unbounded-timeout")
    assert f["hop"] == "proxy" and f["line"] == 5 and "timeout server 35s" in f["fix"]
    assert code == 0  # a warning: below the default --fail-on error
    code, _ = report("--chain", str(path), "--fail-on", "warning")
    assert code == 1


def test_zero_read_timeout_is_an_instant_504_not_no_limit(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n  server {\n    listen 80;\n    location /admin/ {\n      proxy_pass http://127.0.0.1:9000;\n"
        "      proxy_read_timeout 0;\n    }\n  }\n}\n"
    )
    code, doc = report(str(conf))
    (f,) = findings(doc, "zero-timeout")
    assert code == 1 and f["line"] == 7 and f["configured_s"] == 0.0
    assert "set `proxy_read_timeout 60s;`" in f["fix"]
    assert not findings(doc, "timeout-below-hold")


def test_go_write_timeout_read_from_main_go() -> None:
    _, doc = report(str(CHAINS / "go-app" / "nginx.conf"), "--hold", "/poll=30s", "--app", str(CHAINS / "go-app"))
    (f,) = findings(doc, "timeout-below-hold")
    assert where(f) == (str(CHAINS / "go-app" / "main.go"), 17)
    assert f["hop"] == "server" and f["configured_s"] == 10.0
    assert "`WriteTimeout: 35 * time.Second,`" in f["fix"]
    assert not findings(doc, "retry-multiplies-wait")  # proxy_next_upstream error


def test_gunicorn_sync_workers_from_dockerfile_and_conf() -> None:
    app = CHAINS / "gunicorn-sync"
    _, doc = report(str(app / "nginx.conf"), "--app", str(app))
    (f,) = findings(doc, "gunicorn-sync-worker")  # the Dockerfile's -c and the file itself name one timer
    assert where(f) == (str(app / "gunicorn.conf.py"), 6)
    assert f["severity"] == "error" and f["hold_s"] == 60.0  # Apollo notifications hold 60 s


def test_ingress_nginx_annotation() -> None:
    manifest = str(CHAINS / "ingress" / "matrix-ingress.yaml")
    _, doc = report(manifest)
    (f,) = findings(doc, "timeout-below-hold")
    assert where(f) == (manifest, 7)
    assert 'nginx.ingress.kubernetes.io/proxy-read-timeout: "35"' in f["fix"]


def test_nginx_T_dump_names_the_original_files(tmp_path: Path) -> None:
    dump = tmp_path / "dump.txt"
    dump.write_text(
        "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
        "nginx: configuration file /etc/nginx/nginx.conf test is successful\n"
        "# configuration file /etc/nginx/nginx.conf:\n"
        "events {}\nhttp {\n    include /etc/nginx/sites-enabled/*;\n}\n\n"
        "# configuration file /etc/nginx/sites-enabled/matrix:\n"
        "server {\n    listen 443 ssl;\n    server_name matrix.example.org;\n"
        "    location /_matrix/ {\n        proxy_pass http://127.0.0.1:8008;\n        proxy_read_timeout 25s;\n    }\n}\n\n"
    )
    _, doc = report(str(dump))
    (f,) = findings(doc, "timeout-below-hold")
    assert where(f) == ("/etc/nginx/sites-enabled/matrix", 6)


def test_a_catch_all_location_of_an_unknown_app_is_not_taken_for_a_known_protocol(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n  server {\n    listen 80;\n    server_name shop.example.com;\n"
        "    location / { proxy_pass http://127.0.0.1:3000; proxy_read_timeout 10s; }\n"
        "    location /v1/ { proxy_pass http://127.0.0.1:3001; proxy_read_timeout 10s; }\n  }\n}\n"
    )
    code, doc = report(str(conf))
    assert code == 0 and doc["findings"] == [] and "chains" not in doc
    assert any("no long-poll route" in n for n in doc["notes"])


# --------------------------------------------------------------------------------------------- bad input


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lpdoctor", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_syntax_error_gives_file_and_line_exit_2(tmp_path: Path) -> None:
    shutil.copytree(MATRIX, tmp_path / "m")
    site = tmp_path / "m" / "sites" / "matrix.example.org.conf"
    site.write_text(site.read_text().replace("proxy_read_timeout 30s;", "proxy_read_timeout 30s"))
    r = run("check-config", str(tmp_path / "m" / "nginx.conf"))
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert line.startswith(f"lpdoctor: {site}:2") and "missing ';'" in line
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_missing_include_gives_file_and_line_exit_2(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp {\n    include snippets/absent.conf;\n}\n")
    r = run("check-config", str(conf))
    assert r.returncode == 2
    assert r.stderr.strip() == f"lpdoctor: {conf}:3: include {tmp_path}/snippets/absent.conf: no such file"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--hold", "/poll=soon"], "--hold '/poll=soon': 'soon' is not a duration (like 30s or 30000ms)"),
        (["--hold", "/poll"], "--hold '/poll': expected ROUTE=DURATION, like /poll=30s"),
        (["--hold", "/poll=0s"], "--hold '/poll=0s': the hold must be longer than 0"),
    ],
)
def test_bad_hold_option_is_one_line_exit_2(args: list[str], expected: str) -> None:
    code, out, err = cli("check-config", str(MATRIX / "nginx.conf"), *args)
    assert code == 2 and out == ""
    assert err.strip() == f"lpdoctor: {expected}"


def test_nothing_to_check_exit_2(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "check-config"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert r.returncode == 2
    assert "nothing to check" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_lpdoctor_yaml_in_the_current_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "lpdoctor.yaml").write_text(
        "routes:\n  - route: /poll\n    hold: 30s\n    client: {component: httpx}\n"
    )
    r = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "check-config", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert r.returncode == 1, r.stderr
    assert [f["rule"] for f in json.loads(r.stdout)["findings"]] == ["client-timeout-below-hold"]


def test_scan_file_that_is_not_lpdoctor_json(tmp_path: Path) -> None:
    bad = tmp_path / "scan.json"
    bad.write_text('{"findings": []}')
    code, _, err = cli("check-config", str(MATRIX / "nginx.conf"), "--from-scan", str(bad))
    assert code == 2
    assert err.strip() == f"lpdoctor: {bad}: not the JSON of `lpdoctor scan -f json` (no endpoints list)"


# --------------------------------------------------------------------------------------------- logs meet config


def test_log_cutoff_names_the_line_that_explains_it() -> None:
    code, doc = report(str(MATRIX / "nginx.conf"), "--log", str(MATRIX / "access.log"))
    assert code == 1
    (cut,) = findings(doc, "hold-cut")
    assert where(cut) == (MATRIX_SITE, 23) and cut["configured_s"] == 30.0
    assert f"matches `proxy_read_timeout 30s` at {MATRIX_SITE}:23" in cut["message"]
    (below,) = findings(doc, "timeout-below-hold")
    assert below["evidence"]["logs"]["verdict"] == "confirmed"
    config_retry = next(f for f in findings(doc, "retry-multiplies-wait") if f.get("confidence") == "configured")
    assert config_retry["evidence"]["logs"]["detail"] == "36 requests were retried after a timeout"


def test_logs_that_contradict_the_config(tmp_path: Path) -> None:
    s = _sample("healthy-20s")
    conf = tmp_path / "nginx.conf"
    conf.write_text((s / "nginx.conf").read_text().replace("proxy_read_timeout 60s;", "proxy_read_timeout 10s;"))
    _, doc = report(str(conf), "--log", str(s / "access.log"))
    (f,) = findings(doc, "timeout-below-hold")
    assert f["line"] == 36 and f["configured_s"] == 10.0
    assert f["evidence"]["logs"]["verdict"] == "contradicted"
    assert "may differ" in f["message"]


def test_from_scan_json(tmp_path: Path) -> None:
    log = _sample("matrix-504") / "access.log"
    code, out, _ = cli("scan", str(log), "-f", "json")
    assert code == 1
    scan = tmp_path / "scan.json"
    scan.write_text(out)
    _, doc = report(str(SAMPLES / "matrix-504" / "nginx.conf"), "--from-scan", str(scan), "--no-catalog")
    (f,) = findings(doc, "timeout-below-hold")
    assert f["line"] == 36 and f["evidence"]["hold_source"] == "scan"


def test_scan_reads_logs_in_the_configs_log_format() -> None:
    log, conf = str(MATRIX / "access.log"), str(MATRIX / "nginx.conf")
    code, _, _ = cli("scan", log, "-f", "json")
    assert code == 2  # a custom log_format nothing else can read
    code, out, err = cli("scan", "--nginx-conf", conf, log, "-f", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert doc["inputs"][0]["format"] == "nginx-log_format:lp"
    (cut,) = findings(doc, "hold-cut")
    assert where(cut) == (MATRIX_SITE, 23)
    assert doc["endpoints"][0]["route"] == "/_matrix/client/v3/sync"


def test_scan_with_a_broken_config_is_one_line_exit_2(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text("http {\n")
    code, _, err = cli("scan", "--nginx-conf", str(conf), str(MATRIX / "access.log"))
    assert code == 2 and err.startswith(f"lpdoctor: {conf}:") and len(err.strip().splitlines()) == 1


# --------------------------------------------------------------------------------------------- samples


def _sample(name: str) -> Path:
    path = SAMPLES / name
    if not (path / "nginx.conf").exists():
        pytest.skip(f"samples/{name} not generated")
    return path


def test_sample_matrix_504_config_alone() -> None:
    s = _sample("matrix-504")
    _, doc = report(str(s / "nginx.conf"))
    assert [(f["rule"], f["file"], f["line"]) for f in doc["findings"]] == [
        ("timeout-below-hold", str(s / "nginx.conf"), 36)
    ]


def test_sample_matrix_504_with_its_logs() -> None:
    s = _sample("matrix-504")
    _, doc = report(str(s / "nginx.conf"), "--log", str(s / "access.log"), "--log", str(s / "error.log"))
    (cut,) = findings(doc, "hold-cut")
    assert where(cut) == (str(s / "nginx.conf"), 36) and cut["configured_s"] == 30.0
    assert "syt_" not in json.dumps(doc)  # the bridge bot's access_token never reaches the report


def test_sample_go_writetimeout_502_points_at_write_timeout(tmp_path: Path) -> None:
    s = _sample("go-writetimeout-502")
    _, doc = report(str(s / "nginx.conf"), "--log", str(s / "access.log"))
    (cut,) = findings(doc, "hold-cut")
    assert cut["hop"] == "server" and cut["line"] == 29  # the location serving it: nothing there explains 10 s
    assert "No timeout configured on this route is near 10 s" in cut["message"]

    (tmp_path / "main.go").write_text(
        'package main\n\nimport (\n\t"net/http"\n\t"time"\n)\n\nvar srv = &http.Server{\n\tAddr: ":9000",\n'
        "\tWriteTimeout: 10 * time.Second,\n}\n"
    )
    _, doc = report(str(s / "nginx.conf"), "--log", str(s / "access.log"), "--app", str(tmp_path))
    (cut,) = findings(doc, "hold-cut")
    assert where(cut) == (str(tmp_path / "main.go"), 10)
    (below,) = findings(doc, "timeout-below-hold")
    assert where(below) == (str(tmp_path / "main.go"), 10) and below["hold_s"] == 15.0


def test_sample_client_499(tmp_path: Path) -> None:
    s = _sample("client-499")
    _, doc = report(str(s / "nginx.conf"), "--log", str(s / "access.log"))
    (cut,) = findings(doc, "hold-cut")
    assert cut["hop"] == "client" and cut["cutoff_s"] == pytest.approx(10.0, abs=0.5)
    chain = tmp_path / "lpdoctor.yaml"
    chain.write_text("defaults:\n  client:\n    component: requests\n    timeouts: {read: 10s}\n")
    _, doc = report(str(s / "nginx.conf"), "--log", str(s / "access.log"), "--chain", str(chain))
    (f,) = findings(doc, "client-timeout-below-hold")
    assert where(f) == (str(chain), 4) and f["route"] == "/poll" and f["hold_s"] == 25.0


def test_sample_healthy_20s_has_nothing_to_report() -> None:
    s = _sample("healthy-20s")
    code, doc = report(str(s / "nginx.conf"), "--log", str(s / "access.log"), "--hold", "/updates=20s")
    assert code == 0 and doc["findings"] == []
    assert doc["chains"][0]["hops"][0]["timeouts"][0]["line"] == 36


def test_sarif_and_github_output_carry_the_line() -> None:
    code, out, _ = cli("check-config", str(MATRIX / "nginx.conf"), "-f", "sarif")
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    lines = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results}
    assert lines == {"timeout-below-hold": 23, "retry-multiplies-wait": 20}
    code, out, _ = cli("check-config", str(MATRIX / "nginx.conf"), "-f", "github")
    assert f"::error file={MATRIX_SITE},line=23," in out
