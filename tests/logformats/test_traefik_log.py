"""Traefik readers (``traefik-json``, ``traefik-clf``) and the shared text helpers that live in traefik_log.

JSON lines are ILLUSTRATIVE, built from the documented field list (traefik docs/content/observability/
access-logs.md; the 504 one is the research example, research/peers.md Q5). CLF lines follow the layout of
``CommonLogFormatter`` (pkg/middlewares/accesslog/logger_formatters.go); the last one in access-clf.log is
the exact output expected by Traefik's own formatter test (logger_formatters_test.go, all fields empty).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.logformats.traefik_log import (
    load_json_object,
    parse_clf_line,
    parse_clf_time,
    parse_iso_time,
    parse_json_line,
    split_request,
    split_target,
    to_float,
)
from lpdoctor.model import Outcome, RequestRecord
from tests.fixtures.proxies.hostile import assert_sane, check_hostile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proxies" / "traefik"


def _lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def test_json_lines() -> None:
    recs = [parse_json_line(line, i, "x") for i, line in enumerate(_lines("access.json.log"), 1)]
    held, cut, gone, failed = recs
    assert isinstance(held, RequestRecord) and isinstance(cut, RequestRecord)
    assert (held.status, held.outcome, held.duration_s, held.detail) == (200, Outcome.OK, 25.001234567, None)
    # StartUTC keeps nanoseconds; time is the start plus Duration.
    assert held.time == pytest.approx(1781259287.300123456 + 25.001234567)
    assert (cut.status, cut.outcome, cut.detail) == (504, Outcome.GATEWAY_TIMEOUT, "OriginStatus 0")
    assert cut.duration_s == pytest.approx(30.001234567)
    assert (cut.method, cut.target, cut.host, cut.client) == (
        "GET",
        "/api/poll?cursor=42",
        "api.example.com",
        "203.0.113.7",
    )
    assert isinstance(gone, RequestRecord) and (gone.status, gone.outcome) == (499, Outcome.CLIENT_CLOSED)
    assert isinstance(failed, RequestRecord) and (failed.status, failed.outcome) == (502, Outcome.UPSTREAM_CLOSED)
    assert failed.duration_s == pytest.approx(0.002114)


def test_clf_lines() -> None:
    recs = [parse_clf_line(line, i, "x") for i, line in enumerate(_lines("access-clf.log"), 1)]
    held, cut, gone, empty = recs
    assert isinstance(held, RequestRecord) and (held.status, held.duration_s) == (200, 25.001)
    assert isinstance(cut, RequestRecord)
    assert (cut.status, cut.outcome, cut.duration_s, cut.target) == (
        504,
        Outcome.GATEWAY_TIMEOUT,
        30.001,
        "/api/poll?cursor=42",
    )
    assert cut.time == pytest.approx(1781259312 + 30.001)
    assert isinstance(gone, RequestRecord) and (gone.status, gone.outcome) == (499, Outcome.CLIENT_CLOSED)
    assert gone.time == pytest.approx(1781259340 + 12.5)  # 12:15:40 +0200
    # Traefik's own test output: no status, method GET, protocol "http", 123000ms.
    assert isinstance(empty, RequestRecord)
    assert (empty.status, empty.outcome, empty.duration_s, empty.target) == (None, Outcome.RESET, 123.0, "/foo")


def test_old_clf_origin_status_zero() -> None:
    # Older Traefik wrote OriginStatus in CLF: 0 when Traefik answered itself.
    line = _lines("access-clf.log")[1].replace('" 504 15 ', '" 0 0 ')
    rec = parse_clf_line(line, 1, "x")
    assert isinstance(rec, RequestRecord)
    assert (rec.status, rec.outcome, rec.detail) == (None, Outcome.RESET, "OriginStatus 0")


def test_not_traefik_lines() -> None:
    for line in (
        '{"level":"info","msg":"Configuration loaded from flags.","time":"2026-06-12T10:00:00Z"}',
        '{"DownstreamStatus":200}',  # no Duration
        '203.0.113.7 - - [12/Jun/2026:10:15:12 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"',  # nginx
        '203.0.113.7 - - [12/Jun/2026:10:15:12 +0000] "GET / HTTP/1.1" 200 5 "-" "curl" 0.005',
    ):
        assert parse_json_line(line, 1, "x") is None and parse_clf_line(line, 1, "x") is None


def test_hostile_lines() -> None:
    assert check_hostile(parse_json_line, _lines("access.json.log")[1]) > 0
    assert check_hostile(parse_clf_line, _lines("access-clf.log")[1]) > 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_never_raises(text: str) -> None:
    assert_sane(parse_json_line(text, 1, "fuzz"))
    assert_sane(parse_json_line('{"DownstreamStatus":' + text, 1, "fuzz"))
    assert_sane(parse_clf_line(text + "ms", 1, "fuzz"))


def test_json_values_of_the_wrong_type() -> None:
    obj = json.loads(_lines("access.json.log")[1])
    for key, value in (
        ("Duration", -5),
        ("Duration", "30s"),
        ("Duration", 1e308 * 10),
        ("DownstreamStatus", "504"),
        ("RequestPath", ["/x"]),
        ("StartUTC", 12),
        ("RequestHost", None),
    ):
        assert_sane(parse_json_line(json.dumps(dict(obj, **{key: value})), 1, "x"))
    rec = parse_json_line(json.dumps(dict(obj, DownstreamStatus="504")), 1, "x")
    assert isinstance(rec, RequestRecord) and rec.status == 504


# --- shared helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2026-06-12T10:15:12Z", 1781259312.0),
        ("2026-06-12T10:15:12.301234567Z", 1781259312.301234567),
        ("2026-06-12T12:15:12.5+02:00", 1781259312.5),
        ("2026-06-12T10:15:12.5+0000", 1781259312.5),
        ("2026-06-12 10:15:12", 1781259312.0),
        ("2026-02-30T10:15:12Z", None),
        ("2026-06-12T25:15:12Z", None),
        ("junk", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_iso_time(text: str | None, epoch: float | None) -> None:
    got = parse_iso_time(text)
    assert got == (pytest.approx(epoch) if epoch is not None else None)


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("12/Jun/2026:10:15:12 +0000", 1781259312.0),
        ("12/Jun/2026:12:15:12 +0200", 1781259312.0),
        ("12/Jun/2026:10:15:12.301", 1781259312.301),
        ("12/Foo/2026:10:15:12 +0000", None),
        ("31/Jun/2026:10:15:12 +0000", None),
    ],
)
def test_parse_clf_time(text: str, epoch: float | None) -> None:
    got = parse_clf_time(text)
    assert got == (pytest.approx(epoch) if epoch is not None else None)


def test_split_request_and_target() -> None:
    assert split_request("GET /a?b=1 HTTP/1.1") == ("GET", "/a?b=1", None)
    assert split_request("GET https://Api.Example.com:443/a HTTP/2.0") == ("GET", "/a", "api.example.com")
    assert split_request("GET https://user:pw@h.example/ HTTP/1.1") == ("GET", "/", "h.example")
    assert split_request("GET /truncat") == ("GET", "/truncat", None)
    for bad in ("", "-", "<BADREQ>", "GET", "get / HTTP/1.1", "GET / HTTP/1.1 extra", "\x00 / HTTP/1.1"):
        assert split_request(bad) == (None, None, None), bad
    assert split_target("http://[2001:db8::1]:8080") == ("[2001:db8::1]", "/")


def test_number_and_json_helpers() -> None:
    assert to_float(float("nan")) is None and to_float(True) is None and to_float("1e400") is None
    assert to_float(10**400) is None and to_float("12.5") == 12.5
    assert load_json_object("[1]") is None and load_json_object("{") is None
    assert load_json_object('{"a":' + "[" * 100_000 + "]" * 100_000 + "}") is None  # too deep: no crash
    assert load_json_object('Jul  4 23:37:51 app2 caddy[2140]: {"a":1}') == {"a": 1}


def test_registered_and_detected() -> None:
    assert get_format("traefik-json") is not None and get_format("traefik-clf") is not None
    for name, expected in (("access.json.log", "traefik-json"), ("access-clf.log", "traefik-clf")):
        fmt = detect_format(_lines(name), all_formats())
        assert fmt is not None and fmt.name == expected, name
