"""Apache httpd readers: ``apache-combined-D`` (access with %D or %T/%D) and ``apache-error``.

No Apache is installed here, so the lines are built from the documented formats: ``LogFormat ... %D`` /
``%T/%D`` (mod_log_config) and the 2.4 default ``ErrorLogFormat``, with the message texts research/timeouts.md
reproduced on Apache 2.4.71 (AH01102 "(70007)The timeout specified has expired" then AH00898 "... returned by
/d/hold" for a ProxyTimeout, 502; "(20014)Internal error" for a backend close). Two error lines are REAL, quoted
in public projects: a Bitnami 2.4.57 log (``[remote ...]``, ``httpd-UDS:0``) and a CamCOPS config note
(prefork ``[pid N]``). The 2.2-style lines follow the old ``[error] [client ...] proxy: ...`` layout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.apache_log import ApacheErrorParser, parse_access_line
from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.model import ErrorEvent, ErrorKind, Outcome, RequestRecord
from tests.fixtures.proxies.hostile import assert_sane, check_hostile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proxies" / "apache"

CAMCOPS_AH01102 = (
    "[Fri Jun 12 10:15:42.100000 2026] [proxy_http:error] [pid 32747] (103)Software caused connection abort: "
    "[client 109.151.49.173:56898] AH01102: error reading status line from remote server httpd-UDS:0"
)
CAMCOPS_AH00898 = (
    "[Fri Jun 12 10:15:42.100100 2026] [proxy:error] [pid 32747] [client 109.151.49.173:56898] "
    "AH00898: Error reading from remote server returned by /camcops_bruhl/webview"
)


def _lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def test_access_with_microseconds() -> None:
    recs = [parse_access_line(line, i, "access.log") for i, line in enumerate(_lines("access-D.log"), 1)]
    assert all(isinstance(r, RequestRecord) for r in recs)
    held, cut, post, static = recs
    assert isinstance(held, RequestRecord) and isinstance(cut, RequestRecord)
    assert (held.status, held.outcome, held.duration_s) == (200, Outcome.OK, 30.002118)
    assert (held.method, held.target, held.client) == ("GET", "/api/poll?cursor=41", "203.0.113.7")
    # %t is the arrival: time is arrival + duration.
    assert held.time == pytest.approx(1781259252 + 30.002118)
    # A ProxyTimeout is a 502 at Apache: read as an upstream close; the error log tells it apart.
    assert (cut.status, cut.outcome, cut.duration_s) == (502, Outcome.UPSTREAM_CLOSED, 60.051234)
    assert isinstance(post, RequestRecord) and post.duration_s == 0.012876 and post.status == 201
    assert isinstance(static, RequestRecord) and static.status == 304 and static.duration_s == 0.000412
    assert all(r is not None and r.proxy == "apache" for r in recs)


def test_vhost_prefix_and_seconds_slash_microseconds() -> None:
    recs = [parse_access_line(line, i, "x") for i, line in enumerate(_lines("vhost-TD.log"), 1)]
    first, second = recs
    assert isinstance(first, RequestRecord) and isinstance(second, RequestRecord)
    assert (first.host, first.duration_s, first.status) == ("api.example.com", 30.002118, 200)
    # +0200: 10:14:12 local is 08:14:12 UTC
    assert first.time == pytest.approx(1781252052 + 30.002118)
    assert (second.status, second.duration_s) == (502, 60.051234)


def test_lines_without_apache_timing_are_left_to_nginx() -> None:
    base = '203.0.113.7 - - [12/Jun/2026:10:15:12 +0000] "GET /x HTTP/1.1" 200 12 "-" "curl/8.5.0"'
    assert parse_access_line(base, 1, "x") is None  # plain combined: no timing, nginx reads it
    assert parse_access_line(base + " 0.123", 1, "x") is None  # nginx $request_time
    assert parse_access_line(base + " 0.123 0.120 200", 1, "x") is None  # nginx timing tail
    assert parse_access_line(base + " 30002", 1, "x") is not None


def test_error_log_pairs_ah01102_with_ah00898() -> None:
    parse = ApacheErrorParser()
    events = [parse(line, i, "error.log") for i, line in enumerate(_lines("error.log"), 1)]
    assert all(isinstance(e, ErrorEvent) for e in events)
    ev = [e for e in events if isinstance(e, ErrorEvent)]
    assert ev[0].kind is ErrorKind.OTHER and ev[0].level == "notice"
    timeout, timeout_path, closed, closed_path = ev[1:5]
    assert (timeout.kind, timeout.upstream, timeout.client) == (
        ErrorKind.UPSTREAM_TIMEOUT,
        "127.0.0.1:9002",
        "203.0.113.7:51544",
    )
    assert timeout.message.startswith("(70007)The timeout specified has expired: AH01102:")
    assert timeout.time == pytest.approx(1781259342.352001)
    # AH00898 carries the path and takes the cause of the AH01102 before it in the same thread.
    assert (timeout_path.kind, timeout_path.target) == (ErrorKind.UPSTREAM_TIMEOUT, "/api/poll")
    assert (closed.kind, closed_path.kind) == (ErrorKind.UPSTREAM_CLOSED, ErrorKind.UPSTREAM_CLOSED)
    assert closed_path.target == "/api/poll"  # ", referer: ..." is not part of the path
    refused, no_backend, bitnami, old_timeout, old_path = ev[5:]
    assert (refused.kind, refused.upstream) == (ErrorKind.CONNECT_FAILED, "127.0.0.1:9002")
    assert (no_backend.kind, no_backend.upstream) == (ErrorKind.CONNECT_FAILED, "localhost")
    assert (bitnami.kind, bitnami.client, bitnami.upstream) == (
        ErrorKind.UPSTREAM_CLOSED,
        "212.xxx.xxx.xxx:56370",
        "httpd-UDS:0",
    )
    # Apache 2.2 layout
    assert (old_timeout.kind, old_timeout.level, old_timeout.client) == (
        ErrorKind.UPSTREAM_TIMEOUT,
        "error",
        "203.0.113.7",
    )
    assert (old_path.kind, old_path.target) == (ErrorKind.UPSTREAM_TIMEOUT, "/api/poll")


def test_pairing_is_per_thread() -> None:
    parse = ApacheErrorParser()
    t1 = parse(
        "[Fri Jun 12 10:00:00.1 2026] [proxy_http:error] [pid 1:tid 11] (70007)The timeout specified has expired: "
        "[client 1.1.1.1:1] AH01102: error reading status line from remote server 10.0.0.1:80",
        1,
        "x",
    )
    other = parse(
        "[Fri Jun 12 10:00:00.2 2026] [proxy:error] [pid 1:tid 22] [client 2.2.2.2:2] "
        "AH00898: Error reading from remote server returned by /other",
        2,
        "x",
    )
    mine = parse(
        "[Fri Jun 12 10:00:00.3 2026] [proxy:error] [pid 1:tid 11] [client 1.1.1.1:1] "
        "AH00898: Error reading from remote server returned by /mine",
        3,
        "x",
    )
    assert isinstance(t1, ErrorEvent) and isinstance(other, ErrorEvent) and isinstance(mine, ErrorEvent)
    assert other.kind is ErrorKind.UPSTREAM_CLOSED  # no timeout seen in that thread
    assert (mine.kind, mine.target) == (ErrorKind.UPSTREAM_TIMEOUT, "/mine")


def test_real_prefork_lines() -> None:
    parse = ApacheErrorParser()
    first = parse(CAMCOPS_AH01102, 1, "x")
    second = parse(CAMCOPS_AH00898, 2, "x")
    assert isinstance(first, ErrorEvent) and isinstance(second, ErrorEvent)
    assert first.kind is ErrorKind.UPSTREAM_CLOSED  # (103) is not a timeout
    assert (second.kind, second.target, second.client) == (
        ErrorKind.UPSTREAM_CLOSED,
        "/camcops_bruhl/webview",
        "109.151.49.173:56898",
    )


def test_not_apache_error_lines() -> None:
    parse = ApacheErrorParser()
    for line in (
        "2026/06/12 10:15:42 [error] 811#811: *5 upstream timed out (110: Connection timed out)",  # nginx
        "[Fri Jun 12 10:16:12 2026] [verbose] something",
        "[not a date] [error] x",
        "",
    ):
        assert parse(line, 1, "x") is None


def test_hostile_lines() -> None:
    assert check_hostile(parse_access_line, _lines("access-D.log")[0]) > 0
    assert check_hostile(parse_access_line, _lines("vhost-TD.log")[0]) > 0
    for good in _lines("error.log")[1:3]:
        assert check_hostile(ApacheErrorParser(), good) > 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_never_raises(text: str) -> None:
    assert_sane(parse_access_line(text, 1, "fuzz"))
    assert_sane(ApacheErrorParser()(text, 1, "fuzz"))


def test_registered_and_detected() -> None:
    assert get_format("apache-combined-D") is not None and get_format("apache-error") is not None
    for name, expected in (
        ("access-D.log", "apache-combined-D"),
        ("vhost-TD.log", "apache-combined-D"),
        ("error.log", "apache-error"),
    ):
        fmt = detect_format(_lines(name), all_formats())
        assert fmt is not None and fmt.name == expected, (name, fmt and fmt.name)
