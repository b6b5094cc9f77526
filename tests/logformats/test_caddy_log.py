"""Caddy v2 JSON access-log reader (``caddy-json``).

``real-eris-syslog.log`` holds two REAL lines (syslog-wrapped, Caddy behind Cloudflare) quoted as sample
messages in the eris project (``eris::log::context::caddy``, BSD-3-Clause). ``access.log`` is ILLUSTRATIVE:
built from the documented fields (caddyserver.com/docs/logging) with the statuses ``reverse_proxy`` gives
(504 on an upstream timeout, 499 when the client left, 502 otherwise; 0 when nothing was sent), the 504 one
being the research example (research/peers.md Q5).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.caddy_log import parse_line
from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.model import Outcome, RequestRecord
from tests.fixtures.proxies.hostile import assert_sane, check_hostile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proxies" / "caddy"


def _lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def _records(name: str) -> list[RequestRecord]:
    out = []
    for i, line in enumerate(_lines(name), 1):
        rec = parse_line(line, i, name)
        assert isinstance(rec, RequestRecord), f"{name}:{i}"
        out.append(rec)
    return out


def test_statuses_map_to_outcomes() -> None:
    held, cut, gone, failed, closed = _records("access.log")
    assert (held.status, held.outcome, held.duration_s) == (200, Outcome.OK, 25.000734)
    assert (cut.status, cut.outcome, cut.duration_s) == (504, Outcome.GATEWAY_TIMEOUT, 30.001523)
    assert (cut.method, cut.target, cut.host, cut.client) == (
        "GET",
        "/api/poll?cursor=42",
        "api.example.com",
        "203.0.113.7",
    )
    assert cut.time == 1781259342.301  # ts: when the line was written, the end of the request
    assert (gone.status, gone.outcome) == (499, Outcome.CLIENT_CLOSED)
    assert gone.client == "198.51.100.4"  # client_ip (trusted proxies resolved), not remote_ip
    assert gone.host == "api.example.com"  # port dropped
    assert (failed.status, failed.outcome) == (502, Outcome.UPSTREAM_CLOSED)
    # Caddy 2.6.2 logs a client that went away during a hold as "status":0 (measured, tests/test_e2e_proxies.py)
    assert (closed.status, closed.outcome, closed.duration_s) == (None, Outcome.CLIENT_CLOSED, 61.25)
    assert all(r.proxy == "caddy" for r in (held, cut, gone, failed, closed))


def test_real_syslog_wrapped_lines() -> None:
    first, second = _records("real-eris-syslog.log")
    assert (first.status, first.target, first.host, first.method) == (200, "/", "skepticampdc.org", "GET")
    assert first.duration_s == pytest.approx(0.000712397)
    assert first.time == pytest.approx(1751672271.1656768)
    assert (second.status, second.outcome, second.target) == (403, Outcome.CLIENT_ERROR, "/robots.txt")


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [(30.001523, 30.001523), (2, 2.0), (30001523000, 30.001523), ("1m30.5s", 90.5), ("412µs", 0.000412)],
)
def test_duration_formats(duration: object, seconds: float) -> None:
    obj = json.loads(_lines("access.log")[1])
    obj["duration"] = duration
    rec = parse_line(json.dumps(obj), 1, "x")
    assert isinstance(rec, RequestRecord) and rec.duration_s == pytest.approx(seconds)


def test_iso_timestamp_and_docker_prefix() -> None:
    obj = json.loads(_lines("access.log")[1])
    obj["ts"] = "2026-06-12T10:15:42.301+02:00"
    rec = parse_line("caddy-1  | " + json.dumps(obj), 1, "x")
    assert isinstance(rec, RequestRecord) and rec.time == pytest.approx(1781252142.301)


def test_other_caddy_lines_are_not_requests() -> None:
    for line in (
        '{"level":"info","ts":1781259282.3,"logger":"http","msg":"server running","name":"srv0"}',
        '{"level":"error","ts":1781259282.3,"logger":"http.log.error","msg":"dial tcp 10.0.0.5:8000: i/o timeout",'
        '"request":{"uri":"/x"},"duration":3.0,"status":502}',
        '{"msg":"handled request","status":200}',  # no request object
        '{"level":"info","msg":"handled request","request":"/x","status":200,"duration":1}',
        'prefix "quoted" {"msg":"handled request"}',
        "not json handled request",
    ):
        assert parse_line(line, 1, "x") is None, line


def test_bad_values_inside_valid_json() -> None:
    obj = json.loads(_lines("access.log")[1])
    for key, value in (("duration", -3), ("duration", "NaN"), ("status", 70000), ("ts", 1e300), ("status", True)):
        bad = dict(obj, **{key: value})
        assert_sane(parse_line(json.dumps(bad), 1, "x"))
    nan = _lines("access.log")[1].replace('"duration":30.001523', '"duration":NaN')
    rec = parse_line(nan, 1, "x")
    assert isinstance(rec, RequestRecord) and rec.duration_s is None
    huge = _lines("access.log")[1].replace('"duration":30.001523', '"duration":' + "9" * 500)
    assert_sane(parse_line(huge, 1, "x"))


def test_hostile_lines() -> None:
    assert check_hostile(parse_line, _lines("access.log")[1]) > 0
    assert check_hostile(parse_line, _lines("real-eris-syslog.log")[1]) > 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_never_raises(text: str) -> None:
    assert_sane(parse_line(text, 1, "fuzz"))
    assert_sane(parse_line('{"msg":"handled request",' + text, 1, "fuzz"))


def test_registered_and_detected() -> None:
    assert get_format("caddy-json") is not None and get_format("caddy") is not None
    for name in ("access.log", "real-eris-syslog.log"):
        fmt = detect_format(_lines(name), all_formats())
        assert fmt is not None and fmt.name == "caddy-json", name
