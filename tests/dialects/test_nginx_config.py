"""The nginx config reader on realistic multi-file configurations.

Fixtures under tests/fixtures/nginx_conf/: ``site/`` is a Debian-style layout (conf.d/*.conf, sites-enabled/*,
snippets included from several locations) that the real ``nginx -t`` accepts; ``dump/nginx-T.txt`` is the real
``nginx -T`` output of the same layout installed under /etc/nginx (absolute includes); ``broken/`` and
``invalid_values/`` are configurations nginx refuses; ``ingress/`` holds Kubernetes manifests.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpdoctor.dialects.nginx.config import is_nginx_dump, load_nginx_config, split_nginx_dump
from lpdoctor.dialects.nginx.ingress import load_ingress_manifests
from lpdoctor.dialects.nginx.model import (
    NginxConfig,
    NginxConfigError,
    NginxLocation,
    access_logs,
    describe_timeout,
    log_formats,
)
from lpdoctor.model import Semantics

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "nginx_conf"
SITE = FIXTURES / "site"
MAIN = str(SITE / "nginx.conf")
CHAT = str(SITE / "sites-enabled" / "chat.example.org")
MATRIX = str(SITE / "sites-enabled" / "matrix.example.org")
UPSTREAMS = str(SITE / "conf.d" / "upstreams.conf")
DUMP = FIXTURES / "dump" / "nginx-T.txt"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def location(config: NginxConfig, label: str) -> NginxLocation:
    found = [loc for loc in config.locations if loc.label == label]
    assert len(found) == 1, [loc.label for loc in config.locations]
    return found[0]


def where(timeout_or_setting: object) -> tuple[str | None, int | None]:
    loc = timeout_or_setting.location  # type: ignore[attr-defined]
    return loc.file, loc.line


@pytest.fixture(scope="module")
def site() -> NginxConfig:
    return load_nginx_config(MAIN)


# ---------------------------------------------------------------------------------------- includes


def test_includes_follow_globs_relative_to_the_main_file(site: NginxConfig) -> None:
    names = [os.path.relpath(f, SITE) for f in site.files]
    assert names[0] == "nginx.conf"
    # conf.d/*.conf sorted, sites-enabled/* (no extension), then files included from inside them.
    assert names[1:7] == [
        "mime.types",
        "conf.d/proxy.conf",
        "conf.d/upstreams.conf",
        "sites-enabled/chat.example.org",
        "sites-enabled/matrix.example.org",
        "sites-enabled/tenants.example.org",
    ]
    assert set(names[7:]) == {"fastcgi_params", "snippets/proxy-headers.conf", "snippets/longpoll.conf"}
    assert [s.label for s in site.servers] == [
        "server chat.example.org",
        "server matrix.example.org",
        r"server ~^(?<tenant>[a-z0-9-]+)\.tenants\.example\.org$",
        "server www.example.*",
    ]
    assert site.warnings == []


def test_a_snippet_included_from_two_locations_applies_in_both(site: NginxConfig) -> None:
    sync = location(site, "server matrix.example.org > location /_matrix/client/v3/sync")
    # longpoll.conf is spliced into this location: its values carry the snippet's own file:line.
    assert sync.read_timeout is not None
    assert sync.read_timeout.value_s == 120.0
    assert where(sync.read_timeout) == (str(SITE / "snippets" / "longpoll.conf"), 2)
    assert sync.buffering is not None and sync.buffering.value == "off"
    assert where(sync.buffering) == (str(SITE / "snippets" / "longpoll.conf"), 3)
    assert sync.next_upstream is not None and sync.next_upstream.conditions == ("off",)


# ---------------------------------------------------------------------------------------- inheritance


def test_inheritance_http_server_location_nested(site: NginxConfig) -> None:
    poll = location(site, "server chat.example.org > location /api/ > location /api/poll")
    t = poll.timeouts
    assert (t["proxy_read_timeout"].value_s, where(t["proxy_read_timeout"])) == (75.0, (CHAT, 15))  # nested location
    assert t["proxy_read_timeout"].location.context == "server chat.example.org > location /api/ > location /api/poll"
    assert (t["proxy_send_timeout"].value_s, where(t["proxy_send_timeout"])) == (90.0, (MAIN, 30))  # http
    assert t["proxy_send_timeout"].location.context == "http"
    # http level, but written in conf.d/proxy.conf (included inside http {}).
    assert (t["proxy_connect_timeout"].value_s, where(t["proxy_connect_timeout"])) == (
        5.0,
        (str(SITE / "conf.d" / "proxy.conf"), 1),
    )
    assert (t["send_timeout"].value_s, where(t["send_timeout"])) == (90.0, (CHAT, 7))  # server, "1m 30s"
    assert (t["keepalive_timeout"].value_s, where(t["keepalive_timeout"])) == (30.0, (CHAT, 5))  # server
    assert all(x.explicit for name, x in t.items() if name != "proxy_next_upstream_timeout")
    # proxy_next_upstream off comes from the enclosing location /api/, not from http.
    assert poll.next_upstream is not None
    assert poll.next_upstream.conditions == ("off",)
    assert where(poll.next_upstream.conditions_setting) == (CHAT, 11)
    assert poll.buffering is not None and (poll.buffering.value, where(poll.buffering)) == ("off", (CHAT, 16))


def test_nested_location_without_own_value_inherits_server_not_sibling(site: NginxConfig) -> None:
    json_loc = location(site, r"server chat.example.org > location /api/ > location ~ \.json$")
    assert json_loc.read_timeout is not None
    assert (json_loc.read_timeout.value_s, where(json_loc.read_timeout)) == (30.0, (CHAT, 6))
    assert json_loc.buffering is not None and json_loc.buffering.value == "on"
    assert json_loc.buffering.explicit is False


def test_built_in_defaults_point_at_the_block_where_they_apply(site: NginxConfig) -> None:
    health = location(site, "server matrix.example.org > location = /health")
    send = health.timeouts["send_timeout"]
    assert (send.value_s, send.explicit, where(send)) == (60.0, False, (MATRIX, 33))
    assert send.location.context == "server matrix.example.org > location = /health"
    assert health.pass_kind is None and "proxy_read_timeout" not in health.timeouts
    php = location(site, r"server chat.example.org > location ~ \.php$")
    assert (php.timeouts["fastcgi_send_timeout"].value_s, php.timeouts["fastcgi_send_timeout"].explicit) == (
        60.0,
        False,
    )
    nu = php.timeouts["fastcgi_next_upstream_timeout"]
    assert nu.value_s is None and nu.explicit is False  # 0 = no limit
    assert php.next_upstream is not None and php.next_upstream.conditions == ("error", "timeout")
    assert php.next_upstream.tries == 0 and php.next_upstream.tries_setting.explicit is False


def test_server_default_covers_uris_that_match_no_location(site: NginxConfig) -> None:
    chat = site.servers[0]
    assert chat.default is not None and chat.default.is_server_default
    assert chat.default.timeouts["keepalive_timeout"].value_s == 30.0
    matrix = site.servers[1]
    assert matrix.default is not None
    assert where(matrix.default.timeouts["keepalive_timeout"]) == (MAIN, 28)


def test_semantics_and_units(site: NginxConfig) -> None:
    api_v1 = location(site, "server chat.example.org > location ~* ^/api/v1/")
    assert api_v1.read_timeout is not None and api_v1.read_timeout.value_s == 0.5  # 500ms
    assert api_v1.read_timeout.semantics is Semantics.IDLE
    assert api_v1.upstream_send_timeout is not None and api_v1.upstream_send_timeout.semantics is Semantics.IDLE
    assert api_v1.connect_timeout is not None and api_v1.connect_timeout.semantics is Semantics.TOTAL
    assert "two successive read operations" in describe_timeout("proxy_read_timeout")
    assert "two successive read operations" in describe_timeout("grpc_read_timeout")
    grpc = location(site, "server chat.example.org > location /chat.Stream/")
    assert grpc.pass_kind == "grpc" and grpc.read_timeout is not None and grpc.read_timeout.value_s == 3600.0
    assert grpc.buffering is None  # the grpc module has no grpc_buffering
    uwsgi = location(site, "server www.example.* > location /")
    assert uwsgi.read_timeout is not None and uwsgi.read_timeout.setting == "uwsgi_read_timeout"
    assert uwsgi.read_timeout.value_s == 45.0  # a bare number is seconds


def test_zero_read_timeout_is_an_instant_timeout_not_no_limit(site: NginxConfig) -> None:
    admin = location(site, "server matrix.example.org > location ^~ /_synapse/admin/")
    assert admin.read_timeout is not None
    assert admin.read_timeout.value_s == 0.0
    assert admin.read_timeout.note is not None and "504" in admin.read_timeout.note


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30", 30.0), ("30s", 30.0), ("1m", 60.0), ("500ms", 0.5), ('"1h 30m"', 5400.0), ("2h", 7200.0)],
)
def test_nginx_time_syntax(tmp_path: Path, value: str, seconds: float) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n  server {\n    location / {\n      proxy_pass http://127.0.0.1:9;\n"
        f"      proxy_read_timeout {value};\n    }}\n  }}\n}}\n"
    )
    loc = load_nginx_config(str(conf)).locations[0]
    assert loc.read_timeout is not None and loc.read_timeout.value_s == seconds


# ---------------------------------------------------------------------------------------- upstreams


def test_upstream_blocks(site: NginxConfig) -> None:
    synapse = site.upstreams["synapse"]
    assert (synapse.file, synapse.line) == (UPSTREAMS, 2)
    assert (synapse.primary_count, synapse.backup_count) == (2, 1)
    first = synapse.servers[0]
    assert (first.address, first.max_fails, first.fail_timeout_s, first.line) == ("127.0.0.1:8008", 3, 30.0, 3)
    assert (synapse.servers[1].max_fails, synapse.servers[1].fail_timeout_s) == (1, 10.0)  # nginx defaults
    assert synapse.keepalive == 32
    assert synapse.keepalive_timeout is not None
    assert (synapse.keepalive_timeout.value_s, where(synapse.keepalive_timeout)) == (30.0, (UPSTREAMS, 7))

    chat = site.upstreams["chat_backend"]
    assert chat.balancing == "least_conn" and chat.primary_count == 2 and chat.keepalive == 8
    assert chat.keepalive_timeout is not None
    assert (chat.keepalive_timeout.value_s, chat.keepalive_timeout.explicit) == (60.0, False)
    assert where(chat.keepalive_timeout) == (UPSTREAMS, 10)
    assert site.upstreams["php"].keepalive is None and site.upstreams["php"].keepalive_timeout is None


def test_locations_resolve_their_upstream_and_retry_bounds(site: NginxConfig) -> None:
    matrix = location(site, "server matrix.example.org > location ~ ^/_matrix/")
    assert matrix.upstream is site.upstreams["synapse"]
    assert matrix.next_upstream is not None
    assert matrix.next_upstream.conditions == ("error", "timeout", "http_502")  # conf.d/proxy.conf
    assert matrix.next_upstream.tries == 2
    # 3 servers (the backup counts: nginx moves on to it), but proxy_next_upstream_tries 2.
    assert matrix.max_attempts_on_timeout() == 2
    assert matrix.max_attempts_on_timeout("POST") == 1  # non-idempotent requests are not retried
    api = location(site, "server chat.example.org > location /api/")
    assert api.max_attempts_on_timeout() == 1  # proxy_next_upstream off


def test_literal_and_variable_proxy_pass(site: NginxConfig) -> None:
    tenants = location(site, r"server ~^(?<tenant>[a-z0-9-]+)\.tenants\.example\.org$ > location /")
    assert tenants.upstream is not None and tenants.upstream.implicit
    assert [s.address for s in tenants.upstream.servers] == ["127.0.0.1:8400"]
    app = location(site, "server chat.example.org > location @app")
    assert app.upstream is not None and app.upstream.note is not None and "::1" in app.upstream.note
    events = location(site, "server chat.example.org > location /events")
    assert events.pass_target == "http://$region_backend" and events.upstream is None
    assert any("variable" in note for note in events.notes)
    assert events.max_attempts_on_timeout() == 2  # unknown servers, bounded by proxy_next_upstream_tries
    php = location(site, r"server chat.example.org > location ~ \.php$")
    assert php.pass_kind == "fastcgi" and php.upstream is site.upstreams["php"]


def test_if_blocks_are_recorded_as_conditional(site: NginxConfig) -> None:
    legacy = location(site, "server chat.example.org > location /legacy/")
    assert legacy.pass_kind == "proxy" and legacy.pass_target == "http://127.0.0.1:8090"
    [cond] = legacy.conditional
    assert (cond.condition, cond.directive, cond.location.line) == ("$arg_transport = longpoll", "proxy_pass", 41)
    assert any("only when if ($arg_transport = longpoll) holds" in n for n in legacy.notes)


def test_try_files_fallback_names_the_location(site: NginxConfig) -> None:
    app = location(site, "server chat.example.org > location /app/")
    assert app.try_files_fallback == "@app"
    assert site.servers[0].named("@app") is location(site, "server chat.example.org > location @app")


# ---------------------------------------------------------------------------------------- logs


def test_log_formats_and_access_logs(site: NginxConfig) -> None:
    formats = log_formats(site)
    assert formats["main"].format == (
        '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
        '"$http_user_agent" "$http_x_forwarded_for"'
    )
    assert (formats["main"].escape, where(formats["main"])) == ("default", (MAIN, 18))
    assert formats["timing"].escape == "json"
    assert formats["timing"].format.startswith('{"time":"$time_iso8601","host":"$host","request":"$request","status"')
    assert formats["combined"].builtin and "$http_user_agent" in formats["combined"].format
    logs = access_logs(site)
    assert [(a.path, a.format, a.off, a.location.context) for a in logs] == [
        ("logs/access.log", "main", False, "http"),
        ("logs/matrix.access.log", "timing", False, "server matrix.example.org"),
        (None, "", True, "server matrix.example.org > location = /health"),
    ]
    assert where(logs[1]) == (MATRIX, 6)
    assert [(e.path, e.level) for e in site.error_logs] == [("logs/error.log", "warn")]


# ---------------------------------------------------------------------------------------- nginx -T dumps


def test_dump_is_split_and_read_with_original_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    text = DUMP.read_text()
    assert is_nginx_dump(text) and not is_nginx_dump(Path(MAIN).read_text())
    assert [name for name, _ in split_nginx_dump(text)][:3] == [
        "/etc/nginx/nginx.conf",
        "/etc/nginx/mime.types",
        "/etc/nginx/conf.d/proxy.conf",
    ]
    config = load_nginx_config(str(DUMP))
    assert config.from_dump and config.main_file == "/etc/nginx/nginx.conf"
    assert "/etc/nginx/snippets/longpoll.conf" in config.files
    # The absolute includes (/etc/nginx/conf.d/*.conf ...) resolved against the dump, not this machine's
    # /etc/nginx: exactly the dump's four servers.
    assert [s.label for s in config.servers] == [
        "server chat.example.org",
        "server matrix.example.org",
        r"server ~^(?<tenant>[a-z0-9-]+)\.tenants\.example\.org$",
        "server www.example.*",
    ]
    poll = location(config, "server chat.example.org > location /api/ > location /api/poll")
    assert poll.read_timeout is not None
    assert where(poll.read_timeout) == ("/etc/nginx/sites-enabled/chat.example.org", 15)
    assert where(poll.timeouts["proxy_send_timeout"]) == ("/etc/nginx/nginx.conf", 30)
    assert config.access_logs[0].path == "/var/log/nginx/access.log"
    assert list(tmp_path.iterdir()) == []  # the split files were removed


def test_dump_with_a_missing_file_names_the_include(tmp_path: Path) -> None:
    text = DUMP.read_text()
    start = text.index("# configuration file /etc/nginx/mime.types:")
    end = text.index("# configuration file /etc/nginx/conf.d/proxy.conf:")
    broken = tmp_path / "dump.txt"
    broken.write_text(text[:start] + text[end:])
    with pytest.raises(NginxConfigError) as err:
        load_nginx_config(str(broken))
    assert str(err.value) == "/etc/nginx/nginx.conf:11: include /etc/nginx/mime.types: not in the nginx -T dump"


def test_dump_and_plain_config_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(DUMP.read_text()))
    assert len(load_nginx_config("-").servers) == 4
    # A plain config on stdin: relative includes resolve against the current directory.
    monkeypatch.chdir(SITE)
    monkeypatch.setattr(sys, "stdin", io.StringIO(Path(MAIN).read_text()))
    config = load_nginx_config("-")
    assert config.main_file == "<stdin>" and len(config.servers) == 4
    matrix = location(config, "server matrix.example.org > location ~ ^/_matrix/")
    assert matrix.read_timeout is not None and where(matrix.read_timeout) == ("<stdin>", 29)


# ---------------------------------------------------------------------------------------- refused configs


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "broken/missing_semicolon/nginx.conf",
            "{d}/conf.d/poll.conf:7: invalid number of arguments in \"proxy_read_timeout\" directive (missing ';'?)",
        ),
        (
            "broken/missing_semicolon_brace/nginx.conf",
            '{d}/nginx.conf:8: directive "proxy_read_timeout" is not terminated by ";" (missing \';\'?)',
        ),
        (
            "broken/unbalanced/nginx.conf",
            "{d}/nginx.conf:11: unexpected end of file, expecting \"}}\" (unbalanced '{{')",
        ),
        ("broken/missing_include/nginx.conf", "{d}/nginx.conf:4: include {d}/mime.types: no such file"),
        ("broken/include_dir/nginx.conf", "{d}/nginx.conf:4: include {d}/conf.d: is a directory"),
    ],
)
def test_refused_configs_give_one_line_with_file_and_line(fixture: str, message: str) -> None:
    path = FIXTURES / fixture
    with pytest.raises(NginxConfigError) as err:
        load_nginx_config(str(path))
    assert str(err.value) == message.format(d=path.parent)
    assert "\n" not in str(err.value)


@pytest.mark.timeout(20)
def test_include_loop_is_an_error_not_a_hang() -> None:
    path = FIXTURES / "broken" / "include_loop" / "nginx.conf"
    with pytest.raises(NginxConfigError) as err:
        load_nginx_config(str(path))
    assert str(err.value) == (
        f"{path.parent}/conf.d/b.inc:2: include loop: conf.d/a.conf → conf.d/b.inc → conf.d/a.conf "
        "(nginx crashes on this)"
    )


def test_missing_and_unreadable_main_file(tmp_path: Path) -> None:
    with pytest.raises(NginxConfigError, match=r"nope\.conf: no such file$"):
        load_nginx_config(str(tmp_path / "nope.conf"))
    with pytest.raises(NginxConfigError, match="is a directory"):
        load_nginx_config(str(tmp_path))


def test_invalid_values_are_recorded_not_fatal() -> None:
    path = FIXTURES / "invalid_values" / "nginx.conf"
    config = load_nginx_config(str(path))
    poll = location(config, "server poll.example.org > location /poll")
    read = poll.read_timeout
    assert read is not None
    # nginx refuses "$poll_timeout"; the value it would otherwise inherit (http, 45s) is shown, with why.
    assert (read.value_s, where(read)) == (45.0, (str(path), 9))
    assert read.note is not None and "'$poll_timeout'" in read.note and f"{path}:19" in read.note
    assert any(
        w.startswith(f"{path}:19: proxy_read_timeout '$poll_timeout': nginx reads no variables here")
        and f"map at {path}:4" in w
        for w in config.warnings
    )
    wait = location(config, "server poll.example.org > location /wait")
    # proxy_send_timeout 1.5s (nginx takes whole numbers only) is an error now: tests/test_input_verdicts.py
    [cond] = wait.conditional
    assert (cond.directive, cond.args, cond.condition) == ("proxy_read_timeout", ("300s",), "$arg_wait")
    assert 'not allowed inside "if"' in cond.note
    assert wait.read_timeout is not None and wait.read_timeout.value_s == 45.0
    assert wait.read_timeout.note is not None and "if ($arg_wait)" in wait.read_timeout.note


def test_missing_semicolon_after_a_list_directive_is_flagged(tmp_path: Path) -> None:
    # proxy_next_upstream takes any number of values, so nginx's own argument count cannot catch this one:
    # the next directive is swallowed as values. Its unknown "values" give it away.
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n  server {\n    location /poll {\n      proxy_pass http://127.0.0.1:9;\n"
        "      proxy_next_upstream error timeout\n      proxy_read_timeout 120s;\n    }\n  }\n}\n"
    )
    config = load_nginx_config(str(conf))
    assert any(
        w.startswith(f"{conf}:6 ") and "unknown value(s) proxy_read_timeout, 120s (missing ';'?)" in w
        for w in config.warnings
    ), config.warnings
    loc = config.locations[0]
    assert loc.read_timeout is not None and loc.read_timeout.value_s == 60.0 and not loc.read_timeout.explicit


def test_a_site_file_given_alone_is_read_as_http_content() -> None:
    config = load_nginx_config(str(SITE / "sites-enabled" / "tenants.example.org"))
    assert config.warnings[0].endswith("no http block; read its top level as if it were inside http {}")
    assert [s.label for s in config.servers][1] == "server www.example.*"
    uwsgi = config.servers[1].locations[0]
    assert uwsgi.read_timeout is not None and uwsgi.read_timeout.value_s == 45.0


def test_a_site_file_with_relative_includes_says_to_pass_the_main_file() -> None:
    with pytest.raises(NginxConfigError) as err:
        load_nginx_config(CHAT)
    assert str(err.value).startswith(f"{CHAT}:34: include {SITE}/sites-enabled/fastcgi_params: no such file")
    assert "pass the main nginx.conf" in str(err.value)


# ---------------------------------------------------------------------------------------- the real nginx agrees


def _nginx_test(tmp_path: Path, fixture: Path) -> subprocess.CompletedProcess[str]:
    assert NGINX is not None
    prefix = tmp_path / "prefix"
    shutil.copytree(fixture, prefix)
    (prefix / "logs").mkdir(exist_ok=True)
    result = subprocess.run(
        [NGINX, "-t", "-q", "-p", f"{prefix}/", "-c", f"{prefix}/nginx.conf", "-g", f"pid {prefix}/nginx.pid;"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if "Permission denied" in result.stderr:  # e.g. not root: nginx cannot create its compiled-in temp paths
        pytest.skip(f"nginx -t cannot run here: {result.stderr.strip().splitlines()[0]}")
    return result


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_real_nginx_accepts_the_site_fixture(tmp_path: Path) -> None:
    shutil.copytree(SITE, tmp_path / "site")
    text = (tmp_path / "site" / "nginx.conf").read_text().replace("pid logs/nginx.pid;\n", "")
    (tmp_path / "site" / "nginx.conf").write_text(text)
    result = _nginx_test(tmp_path, tmp_path / "site")
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
@pytest.mark.parametrize(
    "fixture",
    [
        "broken/missing_semicolon",
        "broken/missing_semicolon_brace",
        "broken/unbalanced",
        "broken/missing_include",
        "broken/include_dir",
    ],
)
def test_real_nginx_refuses_what_we_refuse_at_the_same_place(tmp_path: Path, fixture: str) -> None:
    result = _nginx_test(tmp_path, FIXTURES / fixture)
    assert result.returncode != 0
    with pytest.raises(NginxConfigError) as err:
        load_nginx_config(str(FIXTURES / fixture / "nginx.conf"))
    ours = err.value
    assert ours.file is not None and ours.line is not None
    m = re.search(r" in (\S+):(\d+)$", result.stderr.strip().splitlines()[0])
    if m is None:  # a directory as include: nginx names no line
        assert "Is a directory" in result.stderr
        return
    # nginx names the line where the statement ends; we name the directive (missing ";": one line apart).
    assert os.path.basename(m.group(1)) == os.path.basename(ours.file)
    assert abs(int(m.group(2)) - ours.line) <= 1


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
def test_real_nginx_refuses_variables_in_timeouts(tmp_path: Path) -> None:
    result = _nginx_test(tmp_path, FIXTURES / "invalid_values")
    assert result.returncode != 0
    assert '"proxy_read_timeout" directive invalid value' in result.stderr and "nginx.conf:19" in result.stderr


# ---------------------------------------------------------------------------------------- ingress-nginx


@pytest.fixture(scope="module")
def ingress() -> NginxConfig:
    return load_ingress_manifests(str(FIXTURES / "ingress" / "manifests.yaml"))


INGRESS = str(FIXTURES / "ingress" / "manifests.yaml")


def test_ingress_annotations_configmap_and_defaults(ingress: NginxConfig) -> None:
    assert ingress.dialect == "ingress-nginx"
    poll = location(ingress, "server chat.example.org > location /api/poll (Ingress chat/chat-longpoll)")
    t = poll.timeouts
    read = t["proxy_read_timeout"]
    assert (read.value_s, read.setting, where(read), read.explicit) == (
        3600.0,
        "nginx.ingress.kubernetes.io/proxy-read-timeout",
        (INGRESS, 18),
        True,
    )
    assert (t["proxy_send_timeout"].value_s, where(t["proxy_send_timeout"])) == (120.0, (INGRESS, 8))  # ConfigMap
    connect = t["proxy_connect_timeout"]
    assert (connect.value_s, connect.explicit, where(connect)) == (5.0, False, (INGRESS, 27))  # ingress default 5
    assert (t["keepalive_timeout"].value_s, where(t["keepalive_timeout"])) == (30.0, (INGRESS, 9))
    assert poll.next_upstream is not None and poll.next_upstream.conditions == ("off",)
    assert poll.max_attempts_on_timeout() == 1


def test_ingress_defaults_retry_three_times(ingress: NginxConfig) -> None:
    web = location(ingress, "server chat.example.org > location / (Ingress chat/chat-web)")
    assert web.next_upstream is not None
    assert (web.next_upstream.conditions, web.next_upstream.tries) == (("error", "timeout"), 3)
    assert web.next_upstream.tries_setting.explicit is False
    assert web.max_attempts_on_timeout() == 3  # pods unknown: the tries limit bounds it
    assert web.buffering is not None and web.buffering.value == "off"  # unlike plain nginx
    # "30s" is not a whole number: ingress-nginx ignores the annotation.
    read = web.timeouts["proxy_read_timeout"]
    assert (read.value_s, read.explicit) == (60.0, False)
    assert read.note is not None and "'30s'" in read.note
    assert any(
        w.startswith(f"{INGRESS}:48: nginx.ingress.kubernetes.io/proxy-read-timeout '30s'") for w in ingress.warnings
    )
    assert web.timeouts["proxy_connect_timeout"].value_s == 10.0


def test_ingress_paths_hosts_and_protocols(ingress: NginxConfig) -> None:
    assert [s.label for s in ingress.servers] == [
        "server chat.example.org",
        "server _ (Ingress rules without host)",
        "server grpc.chat.example.org",
    ]
    events = location(ingress, "server chat.example.org > location = /api/events (Ingress chat/chat-longpoll)")
    assert (events.modifier, events.pass_target, events.line) == ("=", "chat-api:http", 34)
    grpc = ingress.servers[2].locations[0]
    assert (grpc.modifier, grpc.pattern, grpc.pass_kind) == ("~*", r"^/chat\.Stream/.*", "grpc")
    assert grpc.read_timeout is not None and grpc.read_timeout.setting.endswith("proxy-read-timeout")
    assert grpc.next_upstream is not None and grpc.next_upstream.tries == 1


def test_ingress_bad_yaml_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Ingress\nmetadata:\n  name: x\n  annotations: [unclosed\n")
    with pytest.raises(NginxConfigError) as err:
        load_ingress_manifests(str(bad))
    assert str(err.value).startswith(f"{bad}:5: not valid YAML")


# ---------------------------------------------------------------------------------------- robustness

_TOKENS = [
    "http", "server", "location", "upstream", "if", "map", "include", "log_format", "access_log", "listen",
    "server_name", "proxy_pass", "grpc_pass", "fastcgi_pass", "proxy_read_timeout", "keepalive_timeout",
    "proxy_next_upstream", "proxy_next_upstream_tries", "keepalive", "try_files", "=", "~", "~*", "^~", "@x",
    "/", "/a/", "http://up", "http://$v", "unix:/s", "30s", "0", "1h 30m", "$t", "off", "escape=json",
    "'q'", '"x y"', "{", "}", ";", ";", ";", "\n", "#c\n", "backup", "max_fails=x", "default_server",
]  # fmt: skip


_DIRECTIVES = [
    "proxy_read_timeout 30s;", "proxy_read_timeout $t;", "proxy_read_timeout 0;", "keepalive_timeout 5 6;",
    "proxy_next_upstream error bogus;", "proxy_next_upstream_tries x;", "proxy_pass http://up;",
    "proxy_pass http://$h;", "grpc_pass grpc://[::1]:5;", "fastcgi_pass unix:/s;",
    "if ($a) { proxy_pass http://x; proxy_read_timeout 3s; }", "location ~ ( { }", "location @n { }",
    "location =/x { }", "location ~*\\.x$ { }", "try_files $uri @n;", "access_log off;",
    "access_log /x main buffer=1k;", "log_format main escape=json 'a' \"b\";",
    "server_name ~^(?<x>.+)$ *.a .b c.*;", "listen [::]:443 ssl;", "listen unix:/x;", "listen 127.0.0.1;",
    "upstream up { server a:1 backup; server b max_fails=2 fail_timeout=1h; keepalive 2; keepalive_timeout 1ms; }",
    "proxy_buffering maybe;", "location /n/ { location /n/m { proxy_pass http://up; } }",
]  # fmt: skip


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.lists(st.sampled_from(_TOKENS), max_size=60).map(" ".join),
        st.tuples(
            st.lists(st.sampled_from(_DIRECTIVES), max_size=8),
            st.lists(st.sampled_from(_DIRECTIVES), max_size=8),
        ).map(lambda t: f"events {{}} http {{ server {{ {' '.join(t[0])} location / {{ {' '.join(t[1])} }} }} }}"),
    ),
    st.text(max_size=40),
)
def test_any_config_text_gives_a_config_or_one_clear_error(tmp_path: Path, text: str, path: str) -> None:
    conf = tmp_path / "fuzz.conf"
    conf.write_text(text)
    try:
        config = load_nginx_config(str(conf))
    except NginxConfigError as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    from lpdoctor.dialects.nginx.locations import match_location

    for server in config.servers:
        match_location(config, server.names[0] if server.names else None, path)
        for loc in server.locations:
            loc.max_attempts_on_timeout("POST")
