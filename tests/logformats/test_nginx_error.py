"""nginx error-log lines, real ones from the research (peers.md Q4) and from nginx 1.22 runs."""

from __future__ import annotations

from lpdoctor.logformats.nginx_error import parse_error_line
from lpdoctor.model import ErrorEvent, ErrorKind

TIMEOUT = (
    "2015/04/04 10:35:30 [error] 543#0: *664802 upstream timed out (110: Connection timed out) while reading "
    'response header from upstream, client: 198.51.100.9, server: dmoj.ca, request: "GET /channels/abc?x=1 HTTP/1.1", '
    'upstream: "http://127.0.0.1:15102/channels/abc?x=1", host: "dmoj.ca", referrer: "https://dmoj.ca/contest/"'
)
PREMATURE = (
    "2022/04/15 17:45:45 [error] 363993#0: *6641416 upstream prematurely closed connection while reading response "
    'header from upstream, client: 10.0.0.9, server: _, request: "POST /atip/tc HTTP/1.1", '
    'upstream: "http://10.0.0.10:8080/atip/tc", host: "example.com.cn:9080"'
)
CLIENT = (
    "2018/05/22 15:17:24 [info] 45#0: *400 epoll_wait() reported that client prematurely closed connection, so "
    "upstream connection is closed too while sending request to upstream, client: 10.8.10.1, server: , request: "
    '"GET /alive HTTP/1.1", upstream: "fastcgi://127.0.0.1:9000", host: "10.8.10.5:8080"'
)
DISABLED = (
    "2026/11/21 10:00:04 [warn] 12#12: *9 upstream server temporarily disabled while reading response header from "
    'upstream, client: 127.0.0.1, server: , request: "GET /poll?timeout=5000 HTTP/1.1", upstream: '
    '"http://127.0.0.1:8081/poll?timeout=5000", host: "127.0.0.1:8080"'
)
NO_LIVE = (
    "2026/11/21 10:00:05 [error] 12#12: *11 no live upstreams while connecting to upstream, client: 127.0.0.1, "
    'server: , request: "GET /api/x HTTP/1.1", upstream: "http://app/api/x", host: "127.0.0.1:8080"'
)


def ev(line: str) -> ErrorEvent:
    rec = parse_error_line(line, 3, "error.log")
    assert isinstance(rec, ErrorEvent)
    return rec


def test_upstream_timeout_line() -> None:
    e = ev(TIMEOUT)
    assert e.kind is ErrorKind.UPSTREAM_TIMEOUT
    assert e.action == "reading response header from upstream"
    assert (e.method, e.target, e.host) == ("GET", "/channels/abc?x=1", "dmoj.ca")
    assert e.upstream == "http://127.0.0.1:15102/channels/abc?x=1"
    assert e.client == "198.51.100.9"
    assert e.level == "error"
    assert e.time == 1428143730.0


def test_premature_close_and_client_close_and_disabled_and_no_live() -> None:
    assert ev(PREMATURE).kind is ErrorKind.UPSTREAM_CLOSED
    c = ev(CLIENT)
    assert c.kind is ErrorKind.CLIENT_CLOSED and c.level == "info" and c.target == "/alive"
    assert ev(DISABLED).kind is ErrorKind.UPSTREAM_DISABLED
    n = ev(NO_LIVE)
    assert n.kind is ErrorKind.NO_LIVE_UPSTREAMS and n.action == "connecting to upstream"


def test_startup_lines_are_other_and_garbage_is_none() -> None:
    e = ev("2026/11/21 09:59:59 [notice] 1#1: start worker processes")
    assert e.kind is ErrorKind.OTHER and e.target is None
    assert parse_error_line("not an error log line", 1, "x") is None
    odd = parse_error_line("2026/13/45 99:99:99 [error] 1#1: upstream timed out", 1, "x")
    assert isinstance(odd, ErrorEvent) and odd.kind is ErrorKind.UPSTREAM_TIMEOUT  # an impossible date is not fatal
