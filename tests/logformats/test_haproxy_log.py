"""HAProxy httplog reader (``haproxy-httplog``).

The ``real-*.log`` fixtures are REAL lines written by haproxy 2.6.12 (Debian 12) through
``tests/fixtures/proxies/haproxy/capture.sh``: ``timeout server 1s`` against a backend that holds 2 s (sH--),
closes without answering (SH--), streams slowly while curl gives up (CD--), plus normal requests; in raw,
RFC 5424 and RFC 3164 framing, with ``option logasap``, ``option abortonclose`` and a captured Host header.
Other lines: REAL ones quoted in public projects (logstash patterns tests, a Go log decoder's tests, a
fail2ban filter note, HAProxy's own documentation) and the ILLUSTRATIVE research example
(research/peers.md Q5: a 30 s ``timeout server`` cutting a poll).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.haproxy_log import FORMATS, outcome_for, parse_line
from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.logformats.traefik_log import parse_iso_time
from lpdoctor.model import Outcome, RequestRecord
from tests.fixtures.proxies.hostile import assert_sane, check_hostile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proxies" / "haproxy"

# Illustrative (research/peers.md Q5): syslog-framed, a 30 s timeout server cutting a long-poll.
RESEARCH_SH = (
    "Jun 12 10:15:42 lb1 haproxy[2211]: 203.0.113.7:51544 [12/Jun/2026:10:15:12.301] fe_https~ be_app/app1 "
    '0/0/1/-1/30002 504 198 - - sH-- 12/10/3/2/0 0/0 "GET /api/poll?cursor=42 HTTP/1.1"'
)
# HAProxy documentation (configuration.txt §8.2.3), with request and response header captures.
DOCS_EXAMPLE = (
    "haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 "
    '- - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET /index.html HTTP/1.1"'
)
# Real lines from public projects: HAProxy 1.4-era (Tq/Tw/Tc/Tr/Tt), <PRI> without hostname, IPv6-mapped.
LEGACY_BADREQ = (
    "Jul 18 17:05:30 localhost haproxy[8247]: 188.223.50.7:51940 [18/Jul/2011:17:05:24.339] http_proxy_ads "
    'http_proxy_ads/<NOSRV> -1/-1/-1/-1/6001 408 212 - - cR-- 100/89/0/0/0 0/0 "<BADREQ>"'
)
PRI_NO_HOST = (
    "<158>Jul 23 13:49:11 haproxy[11446]: 83.7.1.151:52174 [23/Jul/2015:13:49:06.525] front_tst-static "
    'front_tst-static/<NOSRV> -1/-1/-1/-1/5000 400 187 - - CR-- 1615/1130/0/0/0 0/0 "<BADREQ>"'
)
IPV6_MAPPED = (
    "Mar 26 09:00:37 atom haproxy[1653]: ::ffff:10.10.10.1:56952 [26/Mar/2018:09:00:37.668] www-frontend~ "
    "homebridge-backend/<NOSRV> -1/-1/-1/-1/2 401 258 - - PR-- 0/0/0/0/3 0/0 "
    '"GET /apple-touch-icon-precomposed.png HTTP/1.1"'
)


def _read(name: str) -> list[RequestRecord]:
    out = []
    for i, line in enumerate((FIXTURES / name).read_text(encoding="utf-8").splitlines(), 1):
        rec = parse_line(line, i, name)
        assert isinstance(rec, RequestRecord), f"{name}:{i} not parsed: {line!r}"
        out.append(rec)
    return out


def _summary(rec: RequestRecord) -> tuple[object, ...]:
    return (rec.status, rec.outcome, rec.detail, rec.duration_s, rec.header_s, rec.method, rec.target)


def test_real_raw_lines_map_termination_states_to_outcomes() -> None:
    recs = _read("real-raw.log")
    fast, cut, closed, aborted, unnoticed, held = recs
    assert (fast.status, fast.outcome, fast.detail, fast.target) == (200, Outcome.OK, "----", "/fast")
    # timeout server 1s struck before the held response's headers: 504, Tr -1, Ta ≈ the timeout.
    assert (cut.status, cut.outcome, cut.detail) == (504, Outcome.GATEWAY_TIMEOUT, "sH--")
    assert cut.header_s is None
    assert cut.duration_s == pytest.approx(1.0, abs=0.05)
    assert cut.target == "/hold?s=2" and cut.method == "GET" and cut.client == "127.0.0.1"
    # The backend closed without a response.
    assert (closed.status, closed.outcome, closed.detail) == (502, Outcome.UPSTREAM_CLOSED, "SH--")
    # curl --max-time 1 gave up during the slow body: 200 was sent, then the client left.
    assert (aborted.status, aborted.outcome, aborted.detail) == (200, Outcome.CLIENT_CLOSED, "CD--")
    assert aborted.duration_s is not None and 1.0 <= aborted.duration_s < 2.0
    # Without abortonclose HAProxy 2.6 does not notice a client giving up while waiting (research note 7).
    assert (unnoticed.status, unnoticed.outcome, unnoticed.detail) == (200, Outcome.OK, "----")
    assert held.header_s == pytest.approx(0.3, abs=0.05)
    assert held.duration_s == pytest.approx(0.3, abs=0.05)
    assert held.target == "/hold?s=0.3&cursor=42"


def test_syslog_framings_give_the_same_records_as_raw() -> None:
    raw = [_summary(r)[:3] for r in _read("real-raw.log")]
    assert [_summary(r)[:3] for r in _read("real-rfc5424.log")] == raw
    assert [_summary(r)[:3] for r in _read("real-rfc3164.log")] == raw


def test_time_is_the_end_of_the_request_with_the_rfc5424_offset() -> None:
    # The RFC 5424 header carries the log time (when the request ended) with an offset; the accept
    # date plus Ta must land on it.
    lines = (FIXTURES / "real-rfc5424.log").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines, 1):
        rec = parse_line(line, i, "x")
        assert rec is not None and rec.time is not None
        logged = parse_iso_time(line.split(" ")[1])
        assert logged is not None
        assert rec.time == pytest.approx(logged, abs=0.02)


def test_logasap_plus_prefixes_are_read() -> None:
    recs = _read("real-logasap.log")
    assert [r.status for r in recs] == [200, 504, 502, 200, 200, 200]
    assert recs[1].outcome is Outcome.GATEWAY_TIMEOUT and recs[1].duration_s == pytest.approx(1.0, abs=0.05)
    assert recs[4].duration_s == pytest.approx(0.8, abs=0.05)


def test_abortonclose_client_abort_while_waiting_is_ch() -> None:
    recs = _read("real-abortonclose.log")
    waiting = recs[4]
    assert (waiting.status, waiting.detail, waiting.outcome) == (400, "CH--", Outcome.CLIENT_CLOSED)
    assert waiting.header_s is None
    assert waiting.duration_s == pytest.approx(0.5, abs=0.05)


def test_captured_host_header_becomes_host() -> None:
    recs = _read("real-capture-host.log")
    assert recs[0].host == "127.0.0.1"  # {127.0.0.1:18480}: the port is dropped
    assert recs[-1].host == "api.example.com"


def test_research_example_with_syslog_prefix() -> None:
    rec = parse_line(RESEARCH_SH, 7, "haproxy.log")
    assert isinstance(rec, RequestRecord)
    assert (rec.status, rec.outcome, rec.detail, rec.duration_s) == (504, Outcome.GATEWAY_TIMEOUT, "sH--", 30.002)
    assert (rec.source, rec.line, rec.proxy) == ("haproxy.log", 7, "haproxy")
    assert rec.target == "/api/poll?cursor=42" and rec.client == "203.0.113.7"
    # 12/Jun/2026:10:15:12.301 (read as UTC: no offset anywhere on the line) + 30.002 s
    assert rec.time == pytest.approx(1781259312.301 + 30.002)


def test_docs_example_with_captures() -> None:
    rec = parse_line(DOCS_EXAMPLE, 1, "x")
    assert isinstance(rec, RequestRecord)
    assert (rec.status, rec.duration_s, rec.header_s, rec.host) == (200, 0.109, 0.069, "1wt.eu")


def test_real_lines_from_other_projects() -> None:
    legacy = parse_line(LEGACY_BADREQ, 1, "x")
    assert isinstance(legacy, RequestRecord)
    # timeout http-request: 408 cR, no request line at all.
    assert (legacy.status, legacy.detail, legacy.outcome, legacy.target) == (408, "cR--", Outcome.CLIENT_ERROR, None)
    assert legacy.duration_s == 6.001 and legacy.header_s is None
    bad = parse_line(PRI_NO_HOST, 1, "x")
    assert isinstance(bad, RequestRecord)
    # CR: the client never completed a request (preconnects, scanners): not a held request cut short.
    assert (bad.status, bad.outcome, bad.client) == (400, Outcome.CLIENT_ERROR, "83.7.1.151")
    v6 = parse_line(IPV6_MAPPED, 1, "x")
    assert isinstance(v6, RequestRecord)
    assert (v6.client, v6.status, v6.target) == ("::ffff:10.10.10.1", 401, "/apple-touch-icon-precomposed.png")


@pytest.mark.parametrize(
    ("tsc", "status", "expected"),
    [
        ("sH--", 504, Outcome.GATEWAY_TIMEOUT),
        ("sD--", 200, Outcome.GATEWAY_TIMEOUT),  # timeout server while streaming the body
        ("SH--", 502, Outcome.UPSTREAM_CLOSED),
        ("SD--", 200, Outcome.UPSTREAM_CLOSED),
        ("CD--", 200, Outcome.CLIENT_CLOSED),
        ("cD--", 200, Outcome.CLIENT_CLOSED),
        ("CH--", 400, Outcome.CLIENT_CLOSED),
        ("cH--", 408, Outcome.CLIENT_CLOSED),
        ("CR--", 400, Outcome.CLIENT_ERROR),
        ("cR--", 408, Outcome.CLIENT_ERROR),
        ("sC--", 503, Outcome.SERVER_ERROR),  # connect timeout: by status
        ("----", 200, Outcome.OK),
        ("----", None, Outcome.RESET),
    ],
)
def test_termination_state_table(tsc: str, status: int | None, expected: Outcome) -> None:
    assert outcome_for(tsc, status) is expected


def test_minus_one_status_and_h2_absolute_target() -> None:
    line = (
        "10.0.0.1:4444 [12/Jun/2026:10:00:00.000] fe~ be/s1 0/0/0/-1/45000 -1 0 - - CD-- 1/1/0/0/0 0/0 "
        '"GET https://api.example.com/v1/events?since=5 HTTP/2.0"'
    )
    rec = parse_line(line, 1, "x")
    assert isinstance(rec, RequestRecord)
    assert rec.status is None and rec.outcome is Outcome.CLIENT_CLOSED
    assert (rec.host, rec.target, rec.duration_s) == ("api.example.com", "/v1/events?since=5", 45.0)


def test_truncated_request_line_still_parses() -> None:
    # HAProxy cuts log lines at the configured length: the closing quote may be missing.
    line = '10.0.0.1:4444 [12/Jun/2026:10:00:00.000] fe be/s1 0/0/0/10/20 200 5 - - ---- 1/1/0/0/0 0/0 "GET /lo'
    rec = parse_line(line, 1, "x")
    assert isinstance(rec, RequestRecord) and rec.method == "GET" and rec.target == "/lo"


def test_not_haproxy_lines() -> None:
    for line in (
        '203.0.113.7 - - [12/Jun/2026:10:15:12 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"',  # nginx combined
        "Jun 12 10:15:42 lb1 haproxy[2211]: Server be_app/app1 is DOWN, reason: Layer4 timeout",
        "Jun 12 10:15:42 lb1 haproxy[2211]: 203.0.113.7:51544 [12/Jun/2026:10:15:12.301] fe be/s 0/0/5 0 -- 1/1/0/0/0 0/0",
        "",
    ):
        assert parse_line(line, 1, "x") is None


def test_hostile_lines() -> None:
    for good in (RESEARCH_SH, DOCS_EXAMPLE, (FIXTURES / "real-rfc5424.log").read_text().splitlines()[1]):
        assert check_hostile(parse_line, good) > 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_never_raises(text: str) -> None:
    assert_sane(parse_line(text, 1, "fuzz"))


def test_registered_and_detected() -> None:
    assert get_format("haproxy-httplog") is FORMATS[0]
    assert get_format("haproxy") is FORMATS[0]
    for name in ("real-raw.log", "real-rfc5424.log", "real-rfc3164.log", "real-logasap.log"):
        lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
        fmt = detect_format(lines, all_formats())
        assert fmt is not None and fmt.name == "haproxy-httplog", name


def test_termination_state_says_who_ended_it() -> None:
    """The reader translates the state's cause (RequestRecord.ended_by); the analysis reads no HAProxy word."""
    from lpdoctor.logformats.haproxy_log import ended_by, parse_tcp_line
    from lpdoctor.model import HopKind

    assert [ended_by(s) for s in ("sH--", "SH--", "cD--", "CD--", "----", "PH--", "sh--")] == [
        HopKind.PROXY,
        HopKind.SERVER,
        HopKind.CLIENT,
        HopKind.CLIENT,
        None,
        None,
        None,
    ]
    tcp = "127.0.0.1:59750 [06/Dec/2026:18:56:52.641] fe be/s1 1/0/2001 0 {} 3/3/2/2/0 0/0"
    assert [getattr(parse_tcp_line(tcp.format(s), 1, "x"), "ended_by", "?") for s in ("cD", "sD", "SD", "--")] == [
        HopKind.PROXY,
        HopKind.PROXY,
        None,
        None,
    ]
