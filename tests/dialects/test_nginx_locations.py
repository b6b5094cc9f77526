"""Which server and location nginx picks for (host, path): nginx's own precedence, checked against nginx."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from lpdoctor.dialects.nginx.config import load_nginx_config
from lpdoctor.dialects.nginx.locations import match_location, match_server, normalize_uri
from lpdoctor.dialects.nginx.model import NginxConfig

SITE = Path(__file__).resolve().parents[1] / "fixtures" / "nginx_conf" / "site" / "nginx.conf"


@pytest.fixture(scope="module")
def site() -> NginxConfig:
    return load_nginx_config(str(SITE))


def label(config: NginxConfig, host: str | None, path: str, **kwargs: object) -> str | None:
    loc = match_location(config, host, path, **kwargs)  # type: ignore[arg-type]
    return loc.label if loc else None


def write(tmp_path: Path, body: str) -> NginxConfig:
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp {\n" + body + "\n}\n")
    return load_nginx_config(str(conf))


def test_regex_location_shadows_the_longer_prefix_with_the_long_timeout(site: NginxConfig) -> None:
    """The Matrix misconfiguration: ``location /_matrix/client/v3/sync`` sets 120s, but ``location ~ ^/_matrix/``
    serves /sync.

    nginx remembers the longest matching prefix (/_matrix/client/v3/sync), then tries the regex locations in
    config order; the first regex that matches wins over any prefix unless that prefix is marked ``^~``. The
    order of the blocks in the file does not matter for this. So /sync gets the regex location's read timeout
    (90s from http {}), not the 120s of the prefix location meant for it.
    """
    loc = match_location(site, "matrix.example.org", "/_matrix/client/v3/sync?timeout=30000&since=s72594_4483")
    assert loc is not None and loc.label == "server matrix.example.org > location ~ ^/_matrix/"
    assert loc.read_timeout is not None and loc.read_timeout.value_s == 90.0
    assert loc.read_timeout.location is not None and loc.read_timeout.location.context == "http"
    prefix = next(x for x in site.locations if x.pattern == "/_matrix/client/v3/sync")
    assert prefix.read_timeout is not None and prefix.read_timeout.value_s == 120.0  # configured, never used


def test_caret_tilde_prefix_stops_the_regex_search(site: NginxConfig) -> None:
    # /_synapse/admin/ is ^~: no regex is tried, even one that would match.
    assert label(site, "matrix.example.org", "/_synapse/admin/v1/users") == (
        "server matrix.example.org > location ^~ /_synapse/admin/"
    )


def test_exact_location_wins_and_prefix_fallback(site: NginxConfig) -> None:
    assert label(site, "matrix.example.org", "/health") == "server matrix.example.org > location = /health"
    assert label(site, "matrix.example.org", "/health/x") == "server matrix.example.org > location /"
    assert label(site, "matrix.example.org", "/.well-known/matrix/server") == "server matrix.example.org > location /"


def test_nested_locations(site: NginxConfig) -> None:
    assert (
        label(site, "chat.example.org", "/api/poll") == "server chat.example.org > location /api/ > location /api/poll"
    )
    assert label(site, "chat.example.org", "/api/rooms.json") == (
        r"server chat.example.org > location /api/ > location ~ \.json$"
    )
    # A nested prefix match does not stop the outer regexes: ~* ^/api/v1/ wins, case-insensitively.
    assert label(site, "chat.example.org", "/API/v1/poll") == "server chat.example.org > location ~* ^/api/v1/"
    assert label(site, "chat.example.org", "/api/other") == "server chat.example.org > location /api/"


def test_outer_regex_beats_nested_prefix_but_not_nested_regex(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
    server {
        listen 80;
        location /a/ {
            location /a/b/ { }
            location ~ /a/b/deep$ { }
            location ^~ /a/c/ { }
        }
        location ~ /a/b/ { }
        location ~ /a/c/ { }
        location ~ \\.(gif|png)$ { }
    }""",
    )
    assert label(config, None, "/a/b/x") == "server :80 > location ~ /a/b/"  # outer regex over nested prefix
    assert label(config, None, "/a/b/deep") == "server :80 > location /a/ > location ~ /a/b/deep$"
    # A nested ^~ only stops the regexes of its own level: the outer regex still wins (as in nginx's code).
    assert label(config, None, "/a/c/x") == "server :80 > location ~ /a/c/"
    assert label(config, None, "/a/x.png") == r"server :80 > location ~ \.(gif|png)$"
    assert label(config, None, "/zzz") == "server :80 (no location matched)"


def test_regex_order_first_match_wins(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
    server {
        listen 80;
        location ~ ^/poll { proxy_pass http://127.0.0.1:9; proxy_read_timeout 10s; }
        location ~ ^/poll/long { proxy_pass http://127.0.0.1:9; proxy_read_timeout 300s; }
    }""",
    )
    loc = match_location(config, None, "/poll/long")
    assert loc is not None and loc.read_timeout is not None and loc.read_timeout.value_s == 10.0


def test_named_locations_never_match_and_try_files_falls_through(site: NginxConfig) -> None:
    assert label(site, "chat.example.org", "/app") == "server chat.example.org (no location matched)"
    assert label(site, "chat.example.org", "@app") == "server chat.example.org (no location matched)"
    # /app/events is no file on disk: try_files falls through to @app, whose timeouts apply.
    loc = match_location(site, "chat.example.org", "/app/events")
    assert loc is not None and loc.label == "server chat.example.org > location @app"
    assert loc.read_timeout is not None and loc.read_timeout.value_s == 300.0
    assert label(site, "chat.example.org", "/app/events", follow_try_files=False) == (
        "server chat.example.org > location /app/"
    )


def test_a_regex_python_cannot_compile_is_skipped_with_a_warning(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
    server {
        listen 80;
        location ~ ^/static/\\K.* { }
        location / { }
    }""",
    )
    assert any("does not compile in Python" in w for w in config.warnings)
    assert label(config, None, "/static/x") == "server :80 > location /"


def test_server_selection_by_name(site: NginxConfig) -> None:
    def server(host: str | None, port: int | None = None) -> str | None:
        found = match_server(site, host, port)
        return found.label if found else None

    assert server("matrix.example.org") == "server matrix.example.org"
    assert server("MATRIX.example.org:80") == "server matrix.example.org"  # case and port ignored
    assert server("eu.chat.example.org") == "server chat.example.org"  # *.chat.example.org
    assert server("acme.tenants.example.org") == r"server ~^(?<tenant>[a-z0-9-]+)\.tenants\.example\.org$"
    assert server("www.example.net") == "server www.example.*"  # trailing wildcard
    assert server("unknown.example.com") == "server chat.example.org"  # listen 80 default_server
    assert server(None) == "server chat.example.org"
    assert server("unknown.example.com", 8080) == "server www.example.*"  # the only server on :8080
    assert server("matrix.example.org", 8080) == "server www.example.*"  # names only compete per port


def test_wildcard_precedence(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        """
    server { listen 80; server_name first.example.com; location / { } }
    server { listen 80; server_name ~^poll\\d+\\.; location / { } }
    server { listen 80; server_name ~^api\\.; location / { } }
    server { listen 80; server_name api.*; location / { } }
    server { listen 80; server_name *.example.org; location / { } }
    server { listen 80; server_name *.eu.example.org; location / { } }
    server { listen 80; server_name .example.net; location / { } }
    server { listen 80; server_name api.eu.example.org; location / { } }""",
    )

    def names(host: str) -> list[str]:
        found = match_server(config, host)
        return found.names if found else []

    assert names("api.eu.example.org") == ["api.eu.example.org"]  # exact first
    assert names("x.eu.example.org") == ["*.eu.example.org"]  # longest leading wildcard
    assert names("api.example.org") == ["*.example.org"]  # leading wildcard before trailing and regex
    assert names("api.example.com") == ["api.*"]  # trailing wildcard before regex
    assert names("example.net") == [".example.net"]  # ".name" also matches the bare name
    assert names("poll7.example.com") == ["~^poll\\d+\\."]  # regex names last, in config order
    assert names("nothing.example.com") == ["first.example.com"]  # no match, no default_server: the first


def test_normalize_uri() -> None:
    assert normalize_uri("/_matrix/client/v3/sync?timeout=30000") == "/_matrix/client/v3/sync"
    assert normalize_uri("//a///b/") == "/a/b/"
    assert normalize_uri("/a/./b/../c") == "/a/c"
    assert normalize_uri("/a%2Fb%20c") == "/a/b c"
    assert normalize_uri("/../../etc") == "/etc"
    assert normalize_uri("http://example.org/x?y") == "/x"
    assert normalize_uri("") == "/"


# ---------------------------------------------------------------------------------------- the real nginx


@dataclass
class _Raw:
    """A whole nginx.conf for the real-nginx harness (it normally renders one location /)."""

    text: str
    log_format: str = "combined"

    def render(self, listen: str) -> str:
        return self.text.replace("LISTEN", listen)


@pytest.mark.real
def test_real_nginx_uses_the_regex_location_we_predict(tmp_path: Path, backend_factory: object) -> None:
    """Run nginx with the shadowing layout: the held /sync poll is cut at the regex location's 1 s, as
    match_location predicts, while the ^~ location with the same prefix shape keeps its 5 s."""
    from tests.realworld.nginx import start_nginx

    backend = backend_factory()  # type: ignore[operator]
    conf = f"""
worker_processes 1;
error_log error.log info;
events {{ worker_connections 64; }}
http {{
    access_log access.log;
    client_body_temp_path temp/client_body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    server {{
        listen LISTEN;
        location ~ ^/_matrix/ {{
            proxy_pass http://{backend.address};
            proxy_read_timeout 1s;
        }}
        location /_matrix/client/v3/sync {{
            proxy_pass http://{backend.address};
            proxy_read_timeout 5s;
        }}
        location ^~ /_matrix/client/v3/events {{
            proxy_pass http://{backend.address};
            proxy_read_timeout 5s;
        }}
    }}
}}
"""
    nginx = start_nginx(_Raw(conf), tmp_path / "nginx")  # type: ignore[arg-type]
    try:
        config = load_nginx_config(str(nginx.conf_path))
        for path, expected_status in (("/_matrix/client/v3/sync", 504), ("/_matrix/client/v3/events", 200)):
            predicted = match_location(config, "127.0.0.1", path)
            assert predicted is not None and predicted.read_timeout is not None
            started = time.monotonic()
            try:
                with urllib.request.urlopen(f"{nginx.url}{path}?timeout=2500", timeout=15) as resp:
                    status = resp.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            elapsed = time.monotonic() - started
            assert status == expected_status, (path, status)
            if status == 504:
                # Cut by the timeout we predicted for this location (1 s), not by the prefix's 5 s.
                assert predicted.read_timeout.value_s == 1.0
                assert 0.9 <= elapsed < 2.0
            else:
                assert predicted.read_timeout.value_s == 5.0 and elapsed >= 2.4
    finally:
        nginx.stop()


_PRECEDENCE_SERVERS = r"""
    server {
        listen LISTEN default_server;
        server_name first.example.com;
        location /a/ {
            return 200 "/a/";
            location /a/b/ { return 200 "/a/b/"; }
            location ~ /a/b/deep$ { return 200 "~ /a/b/deep<END>"; }
            location ^~ /a/c/ { return 200 "^~ /a/c/"; }
        }
        location ~ /a/b/ { return 200 "~ /a/b/"; }
        location ~ /a/c/ { return 200 "~ /a/c/"; }
        location ~* \.(gif|png)$ { return 200 "~* \.(gif|png)<END>"; }
        location ~ ^/poll { return 200 "~ ^/poll"; }
        location ~ ^/poll/long { return 200 "~ ^/poll/long"; }
        location = /exact { return 200 "= /exact"; }
        location /exact { return 200 "/exact"; }
        location ^~ /static/ { return 200 "^~ /static/"; }
        location ~ \.css$ { return 200 "~ \.css<END>"; }
        location / { return 200 "/"; }
    }
    server { listen LISTEN; server_name *.example.org; location / { return 200 "*.example.org"; } }
    server { listen LISTEN; server_name *.eu.example.org; location / { return 200 "*.eu.example.org"; } }
    server { listen LISTEN; server_name api.*; location / { return 200 "api.*"; } }
    server { listen LISTEN; server_name ~^poll\d+\.; location / { return 200 "~^poll\d+\."; } }
    server { listen LISTEN; server_name exact.eu.example.org; location / { return 200 "exact.eu.example.org"; } }
"""


@pytest.mark.real
def test_real_nginx_agrees_on_location_and_server_precedence(tmp_path: Path) -> None:
    """Every location and server answers with its own pattern; nginx's answer must equal our prediction.

    (A "$" cannot be written literally in a ``return`` text: the locations answer "<END>" for it.)
    """
    from tests.realworld.nginx import start_nginx

    conf = (
        "worker_processes 1;\nerror_log error.log;\nevents { worker_connections 64; }\nhttp {\n"
        "    access_log off;\n    client_body_temp_path temp/client_body;\n    proxy_temp_path temp/proxy;\n"
        "    fastcgi_temp_path temp/fastcgi;\n    uwsgi_temp_path temp/uwsgi;\n    scgi_temp_path temp/scgi;\n"
        + _PRECEDENCE_SERVERS
        + "}\n"
    )
    nginx = start_nginx(_Raw(conf), tmp_path / "nginx")  # type: ignore[arg-type]
    try:
        config = load_nginx_config(str(nginx.conf_path))
        paths = ["/a/b/x", "/a/b/deep", "/a/c/x", "/a/x.PNG", "/a/q", "/poll/long", "/exact", "/exact/1"]
        paths += ["/static/site.css", "/x.css", "/zzz", "/a/b/../c/y", "/a//b//x"]
        for path in paths:
            loc = match_location(config, "first.example.com", path)
            assert loc is not None
            predicted = f"{loc.modifier} {loc.pattern}".strip().replace("$", "<END>")
            assert _get(nginx.url + path, "first.example.com") == predicted, path
        hosts = ["x.example.org", "x.eu.example.org", "exact.eu.example.org", "api.example.com", "poll7.example.com"]
        hosts += ["api.example.org", "nobody.example.net"]
        for host in hosts:
            server = match_server(config, host)
            assert server is not None
            predicted = server.names[0] if host != "nobody.example.net" else "/"
            assert _get(nginx.url + "/", host) == predicted, host
    finally:
        nginx.stop()


def _get(url: str, host: str) -> str:
    request = urllib.request.Request(url, headers={"Host": host})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return resp.read().decode()
