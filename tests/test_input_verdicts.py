"""Bounded work on hostile configs, and no verdict on what lpdoctor did not read (issue 12, part A).

Where a proxy's own opinion matters (is this value valid? is this directive known?), the real binary is asked
too: nginx -t, haproxy -c. Without them the test skips, and fails under ``LPDOCTOR_REQUIRE_REAL=1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lpdoctor.dialects.apache import load_apache_config

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples" / "matrix-504"
ROUTE = "/_matrix/client/v3/sync"


def run(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lpdoctor", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    return lines[0]


def real_binary(name: str) -> str:
    for candidate in (shutil.which(name), f"/usr/sbin/{name}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if os.environ.get("LPDOCTOR_REQUIRE_REAL") == "1":
        pytest.fail(f"{name} is not installed (LPDOCTOR_REQUIRE_REAL=1): apt-get install {name}")
    pytest.skip(f"{name} is not installed")


def nginx_t(conf: Path) -> subprocess.CompletedProcess[str]:
    nginx = real_binary("nginx")
    prefix = conf.parent
    (prefix / "logs").mkdir(exist_ok=True)
    return subprocess.run(
        [nginx, "-t", "-q", "-p", f"{prefix}/", "-c", str(conf), "-g", f"pid {prefix}/nginx.pid; error_log stderr;"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def nginx_conf(body: str) -> str:
    return (
        "events {}\nhttp {\n    access_log off;\n    server {\n        listen 127.0.0.1:18080;\n"
        f"        location {ROUTE} {{\n            proxy_pass http://127.0.0.1:8008;\n{body}        }}\n    }}\n}}\n"
    )


# ---- YAML merge keys: what a document expands to is counted before anyone walks it

MERGE_BOMB = "x0: &a0 {k0: 1, 'sozune.http.a.host': x}\n" + "".join(
    f"x{i}: &a{i}\n  <<: [{', '.join([f'*a{i - 1}'] * 10)}]\n  k{i}: 1\n" for i in range(1, 9)
)


@pytest.mark.parametrize(
    ("name", "tail", "option"),
    [
        ("compose.yml", "services:\n  web:\n    labels:\n      <<: *a8\n      sozune.http.w.host: a.example\n", None),
        ("ingress.yaml", "kind: Ingress\nmetadata:\n  <<: *a8\n", None),
        ("lpdoctor.yaml", "routes:\n  - <<: *a8\n", "--chain"),
    ],
)
def test_a_yaml_merge_key_bomb_is_refused_at_once(tmp_path: Path, name: str, tail: str, option: str | None) -> None:
    (tmp_path / name).write_text(MERGE_BOMB + tail)  # 10^8 merged entries from 30 lines
    started = time.monotonic()
    r = run("check-config", *([option] if option else []), name, "--hold", "/=30s", cwd=tmp_path, timeout=30)
    assert time.monotonic() - started < 30
    assert r.returncode == 2
    assert "expand to more than 1000000 values" in one_line(r.stderr)


def test_an_app_compose_file_that_is_a_merge_bomb_is_a_note_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "docker-compose.yml").write_text(MERGE_BOMB + "services:\n  web:\n    <<: *a8\n")
    (tmp_path / "nginx.conf").write_text(nginx_conf("            proxy_read_timeout 60s;\n"))
    r = run(
        "check-config", "nginx.conf", "--app", "app", "--hold", f"{ROUTE}=30s", "-f", "text", cwd=tmp_path, timeout=30
    )
    assert r.returncode == 0, r.stderr
    assert "docker-compose.yml: YAML aliases and merge keys expand to more than 1000000 values; not read" in r.stdout


# ---- regular expressions from a config: one budget for the whole run


def test_sixty_crafted_location_regexes_share_one_budget(tmp_path: Path) -> None:
    rows = [
        f"        location ~ ^(/|[_a-z0-9]|[_a-z0-9]+)*Q{i}$ {{ proxy_pass http://127.0.0.1:{9000 + i}; }}"
        for i in range(60)
    ]
    (tmp_path / "nginx.conf").write_text(
        "events {}\nhttp {\n    server {\n        listen 80;\n" + "\n".join(rows) + "\n"
        "        location / { proxy_pass http://127.0.0.1:8008; proxy_read_timeout 20s; }\n    }\n}\n"
    )
    started = time.monotonic()
    r = run("check-config", "nginx.conf", "-f", "text", cwd=tmp_path, timeout=40)  # it took 43 s before
    assert time.monotonic() - started < 20, r.stderr
    assert r.returncode in (0, 1), r.stderr
    assert "regular expressions from the configuration took more than 1 s in all" in r.stdout


# ---- what a file is, when it is no configuration


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty.conf: the file is empty: there is no configuration to check"),
        (b"# server { }\n\n# proxy_read_timeout 60s;\n", "empty.conf: the file is only comments"),
        (b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8, "empty.conf: binary data, not a configuration file"),
    ],
)
def test_an_empty_comment_only_or_binary_config_is_exit_2(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "empty.conf").write_bytes(content)
    r = run("check-config", "empty.conf", "--hold", f"{ROUTE}=30s", cwd=tmp_path)
    assert r.returncode == 2 and expected in one_line(r.stderr)


@pytest.mark.parametrize(("log", "fmt"), [("access.log", "nginx-kv"), ("error.log", "nginx-error")])
def test_a_log_given_as_a_config_says_use_scan(tmp_path: Path, log: str, fmt: str) -> None:
    shutil.copy(SAMPLES / log, tmp_path / log)
    r = run("check-config", log, cwd=tmp_path)
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert f"{log}: this is an access or error log ({fmt}), not a configuration" in line
    assert f"use `lpdoctor scan {log}`" in line


def test_a_gunicorn_config_given_as_a_config_is_read_as_one(tmp_path: Path) -> None:
    (tmp_path / "gunicorn.conf.py").write_text('bind = "0.0.0.0:8000"\nworkers = 2\ntimeout = 20\n')
    r = run("check-config", "gunicorn.conf.py", "--hold", "/poll=30s", "-f", "text", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "gunicorn sync workers are killed after 20 s" in r.stdout and "gunicorn.conf.py:3" in r.stdout


def test_a_missing_app_path_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text(nginx_conf(""))
    r = run("check-config", "nginx.conf", "--app", "srv/gunicorn.conf.py", "--hold", f"{ROUTE}=30s", cwd=tmp_path)
    assert r.returncode == 2
    assert one_line(r.stderr) == "lpdoctor: --app srv/gunicorn.conf.py: no such file or directory"


# ---- a timer lpdoctor cannot read is an error, as it is for the proxy


@pytest.mark.parametrize(("value", "line"), [("thirty", 8), ("1.5s", 8)])
def test_an_nginx_timer_that_is_no_time_is_file_line_exit_2_as_for_nginx(tmp_path: Path, value: str, line: int) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf(f"            proxy_read_timeout {value};\n"))
    r = run("check-config", "nginx.conf", "--hold", f"{ROUTE}=30s", cwd=tmp_path)
    assert r.returncode == 2
    assert one_line(r.stderr).startswith(
        f"lpdoctor: nginx.conf:{line}: proxy_read_timeout '{value}': not an nginx time"
    )
    real = nginx_t(conf)
    assert real.returncode != 0 and '"proxy_read_timeout" directive invalid value' in real.stderr
    assert f"nginx.conf:{line}" in real.stderr


def test_a_haproxy_timeout_that_is_no_time_is_file_line_exit_2_as_for_haproxy(tmp_path: Path) -> None:
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(
        "defaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server banana\n"
        "frontend fe\n    bind 127.0.0.1:18081\n    default_backend be\n"
        "backend be\n    server s1 127.0.0.1:8008\n"
    )
    r = run("check-config", "haproxy.cfg", "--hold", "/poll=30s", cwd=tmp_path)
    assert r.returncode == 2
    assert one_line(r.stderr).startswith("lpdoctor: haproxy.cfg:5: timeout server: 'banana' is not a time")
    real = subprocess.run(
        [real_binary("haproxy"), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=30, check=False
    )
    assert real.returncode != 0, real.stdout + real.stderr


def test_an_apache_timeout_that_is_no_number_is_file_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "site.conf").write_text(
        "<VirtualHost *:80>\n    ProxyTimeout soon\n    ProxyPass /poll http://127.0.0.1:8008/poll\n</VirtualHost>\n"
    )
    r = run("check-config", "site.conf", "--hold", "/poll=30s", cwd=tmp_path)
    assert r.returncode == 2
    assert one_line(r.stderr).startswith("lpdoctor: site.conf:2: ProxyTimeout soon: not a number of seconds")


# ---- nginx: never refuse a directive nginx accepts


def test_keepalive_time_is_accepted_as_nginx_accepts_it(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        nginx_conf("            proxy_read_timeout 60s;\n").replace("http {\n", "http {\n    keepalive_time 1h;\n", 1)
    )
    assert nginx_t(conf).returncode == 0  # nginx >= 1.19.10
    r = run("check-config", "nginx.conf", "--hold", f"{ROUTE}=30s", "-f", "text", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "No findings." in r.stdout


def test_a_misspelt_timer_is_still_refused_as_nginx_refuses_it(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_conf("").replace("http {\n", "http {\n    keepalive_timout 65s;\n", 1))
    real = nginx_t(conf)
    assert real.returncode != 0 and 'unknown directive "keepalive_timout"' in real.stderr
    r = run("check-config", "nginx.conf", "--hold", f"{ROUTE}=30s", cwd=tmp_path)
    assert r.returncode == 2
    assert 'nginx.conf:3: unknown directive "keepalive_timout" (did you mean keepalive_timeout?)' in one_line(r.stderr)


# ---- Apache: the tree being checked, never this machine's


def test_apache_includes_resolve_in_the_checked_tree_not_under_an_existing_server_root(tmp_path: Path) -> None:
    host = tmp_path / "host-etc-apache2"  # stands for this machine's /etc/apache2, which may exist
    (host / "sites-enabled").mkdir(parents=True)
    (host / "sites-enabled" / "host.conf").write_text("ProxyPass /poll http://127.0.0.1:1/ timeout=5\n")
    tree = tmp_path / "repo" / "apache2"
    (tree / "sites-enabled").mkdir(parents=True)
    (tree / "sites-enabled" / "poll.conf").write_text("ProxyPass /poll http://127.0.0.1:8008/ timeout=90\n")
    (tree / "conf").mkdir()
    (tree / "conf" / "extra.conf").write_text("ProxyTimeout 75\n")
    (tree / "apache2.conf").write_text(
        f'ServerRoot "{host}"\nTimeout 300\nIncludeOptional sites-enabled/*.conf\nInclude {host}/conf/extra.conf\n'
        "Include /proc/self/environ\n"
    )
    config = load_apache_config(str(tree / "apache2.conf"))
    assert sorted(Path(f).name for f in config.files) == ["apache2.conf", "extra.conf", "poll.conf"]
    assert all(str(tree) in f for f in config.files)
    assert {t.value_s for t, _ in config.source().all_timers()} >= {90.0}
    assert 5.0 not in {t.value_s for t, _ in config.source().all_timers()}
    assert any("/proc/self/environ: a kernel file" in w for w in config.warnings), config.warnings
    assert not any("PATH=" in w or "HOME=" in w for w in config.warnings)


# ---- beyond the list: an include wildcard that would walk the whole machine


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "nginx.conf",
            "events {}\nhttp {\n    include /*/*/*/*/*/*.conf;\n}\n",
            "wildcard include /*/*/*/*/*/*.conf: a directory outside the configuration's tree is not expanded",
        ),
        (
            "site.conf",
            "Include /*/*/*/*/*/*.conf\n<VirtualHost *:80>\n    ProxyPass /poll http://127.0.0.1:8008/poll\n</VirtualHost>\n",
            "a wildcard outside the tree being checked; not expanded",
        ),
    ],
)
def test_an_include_wildcard_over_the_whole_machine_is_not_walked(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    (tmp_path / name).write_text(text)  # both took minutes before (every *.conf five levels down from /)
    started = time.monotonic()
    r = run("check-config", name, "--hold", "/poll=30s", "-f", "text", cwd=tmp_path, timeout=30)
    assert time.monotonic() - started < 30
    assert expected in " ".join((r.stderr + r.stdout).split())  # the text report wraps at 80 columns


def test_an_include_wildcard_inside_the_tree_is_still_expanded(tmp_path: Path) -> None:
    (tmp_path / "sites" / "poll").mkdir(parents=True)
    (tmp_path / "sites" / "poll" / "timeouts.conf").write_text("proxy_read_timeout 20s;\n")
    (tmp_path / "nginx.conf").write_text(nginx_conf("").replace("http {\n", "http {\n    include sites/*/*.conf;\n", 1))
    r = run("check-config", "nginx.conf", "--hold", f"{ROUTE}=30s", "-f", "text", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    assert "timeouts.conf:1" in r.stdout
