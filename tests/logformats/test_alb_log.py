"""AWS ALB / Classic ELB access-log reader (``aws-alb``).

REAL or documentation lines: the first line of alb.log is the AWS documentation's example entry (as quoted,
with later-added fields, in several public parsers' tests); the 460 line is a real one from StackOverflow
43736680 (client IP masked by its author); the last line is the Classic ELB documentation example. The 504
line is the research example (ILLUSTRATIVE, research/peers.md Q5); the 200 hold, the 502 target close
(``error_reason`` TargetResponseError) and the second 460 are ILLUSTRATIVE, built from the documented fields.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.alb_log import parse_line
from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.model import Outcome, RequestRecord
from tests.fixtures.proxies.hostile import assert_sane, check_hostile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proxies" / "alb"


def _lines() -> list[str]:
    return (FIXTURES / "alb.log").read_text(encoding="utf-8").splitlines()


def _records() -> list[RequestRecord]:
    out = []
    for i, line in enumerate(_lines(), 1):
        rec = parse_line(line, i, "alb.log")
        assert isinstance(rec, RequestRecord), i
        out.append(rec)
    return out


def test_documentation_example() -> None:
    rec = _records()[0]
    assert (rec.status, rec.outcome, rec.method, rec.target) == (200, Outcome.OK, "GET", "/")
    assert rec.host == "www.example.com"  # domain_name is "-": from the absolute request URL, port dropped
    assert rec.client == "192.168.131.39"
    # time - request_creation_time: 22:23:00.186641 - 22:22:48.364000
    assert rec.duration_s == pytest.approx(11.822641)
    assert rec.header_s == 0.001 and rec.detail is None
    assert rec.time == pytest.approx(1530570180.186641)


def test_client_closed_460_without_timing() -> None:
    rec = _records()[1]
    assert (rec.status, rec.outcome) == (460, Outcome.CLIENT_CLOSED)
    # -1 processing times and no request_creation_time (2017 layout): no duration, no header time.
    assert rec.duration_s is None and rec.header_s is None
    assert (rec.host, rec.target, rec.client) == ("www.website.com", "/app/page", "X.X.X.X")


def test_idle_timeout_504() -> None:
    rec = _records()[2]
    assert (rec.status, rec.outcome, rec.header_s) == (504, Outcome.GATEWAY_TIMEOUT, None)
    assert rec.duration_s == pytest.approx(60.001911)  # the ALB's 60 s idle timeout
    assert (rec.host, rec.target, rec.proxy) == ("api.example.com", "/api/poll?cursor=42", "aws-alb")


def test_hold_502_and_second_460() -> None:
    _, _, _, held, closed, gone, classic = _records()
    assert (held.status, held.outcome, held.header_s) == (200, Outcome.OK, 25.004)
    assert held.duration_s == pytest.approx(25.006)
    assert (closed.status, closed.outcome, closed.detail) == (502, Outcome.UPSTREAM_CLOSED, "TargetResponseError")
    assert (gone.status, gone.outcome) == (460, Outcome.CLIENT_CLOSED)
    assert gone.duration_s == pytest.approx(10.0001)  # the client's 10 s timeout, below the hold
    # Classic ELB: no type, no request_creation_time: the sum of the processing times.
    assert (classic.status, classic.client, classic.host) == (200, "192.168.131.39", "www.example.com")
    assert classic.duration_s == pytest.approx(0.000073 + 0.001048 + 0.000057)


def test_not_alb_lines() -> None:
    for line in (
        '203.0.113.7 - - [12/Jun/2026:10:15:12 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"',
        "2026-06-12T10:15:42.301911Z only-a-time",
        '[2026-06-12T10:15:27.301Z] "GET / HTTP/1.1" 504 UT 0 24 15001 - "-" "-" "-" "-" "-"',
    ):
        assert parse_line(line, 1, "x") is None


def test_hostile_lines() -> None:
    for good in _lines()[1:3]:
        assert check_hostile(parse_line, good) > 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_never_raises(text: str) -> None:
    assert_sane(parse_line(text, 1, "fuzz"))
    assert_sane(parse_line("https 2026-06-12T10:15:42.301911Z app/x/y 1.2.3.4:5 " + text, 1, "fuzz"))


def test_registered_and_detected() -> None:
    assert get_format("aws-alb") is not None and get_format("elb") is not None
    fmt = detect_format(_lines(), all_formats())
    assert fmt is not None and fmt.name == "aws-alb"
