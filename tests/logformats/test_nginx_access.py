"""nginx access-log formats, on lines as nginx writes them."""

from __future__ import annotations

import pytest

from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.nginx_access import (
    FORMATS,
    LogFormatError,
    build_upstream,
    compile_log_format,
    make_custom_format,
)
from lpdoctor.model import Outcome

COMBINED = (
    '203.0.113.7 - - [12/Jun/2026:10:15:42 +0000] "GET /api/poll?cursor=42 HTTP/1.1" 504 167 "-" '
    '"Mozilla/5.0 (X11; Linux x86_64)"'
)
# nginx's admin-guide "upstream_time" format: note there is no space before rt= in that format.
KV = (
    '203.0.113.7 - alice [12/Jun/2026:10:15:42 +0200] "GET /_matrix/client/v3/sync?timeout=30000 HTTP/1.1" 504 '
    '167 "-" "Element/1.11"rt=30.001 uct="0.000" uht="-" urt="30.001"'
)
POSITIONAL = (
    '10.1.2.3 - - [21/Nov/2026:09:00:01 +0000] "GET /api/events?wait=15s HTTP/1.1" 502 157 "-" '
    '"Go-http-client/1.1" 12.345 0.002, 12.343 502, 502'
)
# ingress-nginx "upstreaminfo" (kubernetes/ingress-nginx docs/user-guide/nginx-configuration/log-format.md)
UPSTREAMINFO = (
    '203.0.113.7 - - [12/Jun/2026:10:16:42 +0000] "GET /api/poll HTTP/1.1" 504 160 "-" "curl/8.5.0" 98 60.001 '
    "[default-app-8000] [] 10.244.1.17:8000 0 60.001 504 4f8a3c0d9e2b7a61c5d4e3f2a1b0c9d8"
)
JSON_LINE = (
    '{"time":"2026-06-12T10:16:42+00:00","remote_addr":"203.0.113.7","request":"GET /api/poll?cursor=42 HTTP/1.1",'
    '"status":504,"request_time":60.002,"request_length":98,"upstream_addr":"10.0.0.5:8000",'
    '"upstream_status":"504","upstream_connect_time":"0.001","upstream_header_time":"",'
    '"upstream_response_time":"60.001"}'
)


def parse(fmt_name: str, line: str):
    fmt = next(f for f in FORMATS if f.name == fmt_name)
    return fmt.parser()(line, 7, "access.log")


def test_combined_has_status_target_and_time_but_no_duration() -> None:
    rec = parse("nginx-combined", COMBINED)
    assert rec is not None
    assert (rec.method, rec.target, rec.status) == ("GET", "/api/poll?cursor=42", 504)
    assert rec.duration_s is None
    assert rec.outcome is Outcome.GATEWAY_TIMEOUT
    assert rec.time == 1781259342.0  # 2026-06-12T10:15:42Z
    assert rec.line == 7 and rec.source == "access.log"


def test_key_value_timing_without_space_before_rt() -> None:
    rec = parse("nginx-kv", KV)
    assert rec is not None
    assert rec.duration_s == 30.001
    assert rec.time == 1781259342.0 - 7200  # +0200
    assert len(rec.upstream) == 1
    t = rec.upstream[0]
    assert (t.connect_s, t.header_s, t.response_s) == (0.0, None, 30.001)


def test_positional_timing_keeps_every_upstream_attempt() -> None:
    rec = parse("nginx-timing", POSITIONAL)
    assert rec is not None
    assert rec.duration_s == 12.345
    assert [t.status for t in rec.upstream] == [502, 502]
    assert [t.response_s for t in rec.upstream] == [0.002, 12.343]


def test_ingress_upstreaminfo_positional_fields_are_not_confused_with_lengths() -> None:
    rec = parse("nginx-timing", UPSTREAMINFO)
    assert rec is not None
    assert rec.duration_s == 60.001  # not the request_length 98
    assert rec.upstream[0].addr == "10.244.1.17:8000"
    assert rec.upstream[0].response_s == 60.001  # not the response length 0
    assert rec.upstream[0].status == 504


def test_json_escape_json_empty_string_means_missing() -> None:
    rec = parse("nginx-json", JSON_LINE)
    assert rec is not None
    assert rec.duration_s == 60.002
    assert rec.upstream[0].header_s is None  # "" with escape=json
    assert rec.upstream[0].connect_s == 0.001


def test_multi_value_upstream_with_internal_redirect() -> None:
    tries, redirects = build_upstream(
        "192.168.1.1:80, 192.168.1.2:80, unix:/tmp/sock : 192.168.10.1:80",
        "504, 502, - : 200",
        None,
        "-, -, - : 0.010",
        "30.001, 0.000, - : 0.012",
    )
    assert redirects == 1
    assert [t.addr for t in tries] == ["192.168.1.1:80", "192.168.1.2:80", "unix:/tmp/sock", "192.168.10.1:80"]
    assert [t.status for t in tries] == [504, 502, None, 200]
    assert [t.response_s for t in tries] == [30.001, 0.0, None, 0.012]


@pytest.mark.parametrize(
    "line,expected",
    [
        (COMBINED, "nginx-combined"),
        (KV, "nginx-kv"),
        (POSITIONAL, "nginx-timing"),
        (UPSTREAMINFO, "ingress-nginx"),  # its own layout, above nginx-timing (which reads it too)
        (JSON_LINE, "nginx-json"),
    ],
)
def test_auto_detection_picks_the_richest_matching_format(line: str, expected: str) -> None:
    fmt = detect_format([line] * 5, FORMATS)
    assert fmt is not None and fmt.name == expected


def test_custom_log_format_from_a_string() -> None:
    fmt = make_custom_format(
        '$remote_addr [$time_iso8601] $host "$request_method $request_uri" $status rt=$request_time '
        'ua="$upstream_addr" us="$upstream_status" urt="$upstream_response_time"',
        "mine",
    )
    line = (
        '198.51.100.4 [2026-11-21T10:00:00+00:00] chat.example.org "GET /_matrix/client/v3/sync?timeout=30000" 504 '
        'rt=60.004 ua="10.0.0.5:8008, 10.0.0.6:8008" us="504, 504" urt="30.001, 30.002"'
    )
    rec = fmt.parser()(line, 1, "x")
    assert rec is not None
    assert rec.host == "chat.example.org"
    assert rec.target == "/_matrix/client/v3/sync?timeout=30000"
    assert rec.duration_s == 60.004
    assert [t.status for t in rec.upstream] == [504, 504]
    assert rec.time == 1795255200.0
    assert fmt.has_timing


def test_custom_json_log_format_maps_keys_to_variables() -> None:
    fmt = make_custom_format(
        '{"ts":"$time_iso8601","req":"$request","code":$status,"took":$request_time,"up":"$upstream_response_time"}',
        "json_custom",
    )
    line = '{"ts":"2026-11-21T10:00:00+00:00","req":"GET /poll?timeout=25 HTTP/1.1","code":499,"took":10.002,"up":""}'
    rec = fmt.parser()(line, 1, "x")
    assert rec is not None
    assert (rec.status, rec.duration_s, rec.outcome) == (499, 10.002, Outcome.CLIENT_CLOSED)


def test_adjacent_variables_are_refused_with_a_reason() -> None:
    with pytest.raises(LogFormatError, match="no text between them"):
        compile_log_format("$remote_addr$status")


def test_no_variables_is_refused() -> None:
    with pytest.raises(LogFormatError):
        compile_log_format("just text")


@pytest.mark.parametrize(
    "line",
    [
        "",
        "garbage",
        "\x00\x01\x02" * 50,
        '1.2.3.4 - - [12/Jun/2026:10:15:42 +0000] "GET / HTTP/1.1" abc 1 "-" "-"',
        '1.2.3.4 - - [12/Jun/2026:10:15:42 +0000] "GET / HTTP/1.1" 200 1 "-" "-" rt=nan urt="-1"',
        '{"status": 200, "request": ["not", "a", "string"]}',
        '{"status": 1e999, "request": "GET / HTTP/1.1", "request_time": 1e999}',
        "[" * 10000,
        "1.2.3.4 - - [" + "x" * 100000,
    ],
)
def test_hostile_lines_never_raise(line: str) -> None:
    for fmt in FORMATS:
        rec = fmt.parser()(line, 1, "x")
        if rec is not None:  # a parse is allowed only if it is sane
            assert rec.duration_s is None or rec.duration_s >= 0
