"""Envoy readers (``envoy-default``, ``envoy-json``).

``access.log``: the last line is Envoy's documentation example (usage.rst); the UT one is the research example
(research/peers.md Q5, ILLUSTRATIVE: the default 15 s route timeout cutting a poll, body "upstream request
timeout" = 24 bytes); the others are ILLUSTRATIVE lines built from the default format with the documented
flags and bodies (DC with code 0; UC 503 "upstream connect error or disconnect/reset before headers. reset
reason: connection termination" = 95 bytes; SI 408 after the 5 min stream idle timeout; UMSDR).
``istio.log``: the first two lines are Istio's documentation example (the Envoy access logs task: the
client-side and the server-side sidecar's line for one request); the others are ILLUSTRATIVE, in that layout. ``access.json.log``: ILLUSTRATIVE, with Envoy Gateway's and Istio's default JSON key names.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.envoy_log import outcome_for, parse_json_line, parse_text_line
from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.model import Outcome, RequestRecord
from tests.fixtures.proxies.hostile import assert_sane, check_hostile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "proxies" / "envoy"


def _lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def _records(name: str, parse: object) -> list[RequestRecord]:
    out = []
    for i, line in enumerate(_lines(name), 1):
        rec = parse(line, i, name)  # type: ignore[operator]
        assert isinstance(rec, RequestRecord), f"{name}:{i}"
        out.append(rec)
    return out


def test_default_format_flags() -> None:
    held, cut, gone, reset, idle, maxdur, docs = _records("access.log", parse_text_line)
    assert (held.status, held.outcome, held.duration_s, held.header_s) == (200, Outcome.OK, 12.004, 12.001)
    assert (cut.status, cut.outcome, cut.detail, cut.duration_s) == (504, Outcome.GATEWAY_TIMEOUT, "UT", 15.001)
    assert cut.header_s is None  # no upstream service time: the upstream never answered
    assert (cut.method, cut.target, cut.host, cut.client) == (
        "GET",
        "/api/poll?cursor=42",
        "api.example.com",
        "203.0.113.7",
    )
    assert cut.time == pytest.approx(1781259327.301 + 15.001)  # START_TIME + DURATION
    # Response code 0: nothing was sent; DC says the client went away.
    assert (gone.status, gone.outcome, gone.detail) == (None, Outcome.CLIENT_CLOSED, "DC")
    assert gone.client == "198.51.100.4"  # first X-Forwarded-For hop
    assert (reset.status, reset.outcome, reset.detail) == (503, Outcome.UPSTREAM_CLOSED, "UC")
    assert (idle.status, idle.outcome, idle.detail, idle.duration_s) == (408, Outcome.GATEWAY_TIMEOUT, "SI", 300.001)
    assert (maxdur.outcome, maxdur.detail) == (Outcome.GATEWAY_TIMEOUT, "UMSDR")
    assert (docs.status, docs.method, docs.host, docs.duration_s, docs.header_s) == (
        204,
        "POST",
        "locations",
        0.226,
        0.1,
    )
    assert docs.detail is None


def test_istio_format() -> None:
    teapot, server_side, cut, gone = _records("istio.log", parse_text_line)
    assert (teapot.status, teapot.outcome, teapot.host, teapot.client) == (418, Outcome.CLIENT_ERROR, "httpbin", None)
    assert (teapot.duration_s, teapot.header_s, teapot.target) == (0.004, 0.004, "/status/418")
    assert (server_side.duration_s, server_side.header_s) == (0.003, 0.001)
    assert (cut.status, cut.outcome, cut.detail, cut.duration_s) == (504, Outcome.GATEWAY_TIMEOUT, "UT", 15.001)
    assert (gone.status, gone.outcome) == (None, Outcome.CLIENT_CLOSED)


def test_json_format() -> None:
    cut, held = _records("access.json.log", parse_json_line)
    assert (cut.status, cut.outcome, cut.detail, cut.duration_s, cut.header_s) == (
        504,
        Outcome.GATEWAY_TIMEOUT,
        "UT",
        15.001,
        None,
    )
    assert (cut.target, cut.host, cut.client) == ("/api/poll?cursor=42", "api.example.com", "203.0.113.7")
    assert (held.status, held.outcome, held.detail, held.duration_s, held.header_s) == (
        200,
        Outcome.OK,
        None,
        25.002,
        25.0,
    )
    assert held.client == "198.51.100.4"  # downstream_remote_address without its port
    assert held.time == pytest.approx(1781259287.3 + 25.002)


@pytest.mark.parametrize(
    ("flags", "status", "expected"),
    [
        ("UT", 504, Outcome.GATEWAY_TIMEOUT),
        ("UT,URX", 504, Outcome.GATEWAY_TIMEOUT),
        ("SI", 408, Outcome.GATEWAY_TIMEOUT),
        ("UMSDR", 504, Outcome.GATEWAY_TIMEOUT),
        ("DT", 408, Outcome.GATEWAY_TIMEOUT),
        ("DC", None, Outcome.CLIENT_CLOSED),
        ("DC", 200, Outcome.CLIENT_CLOSED),
        ("UC", 503, Outcome.UPSTREAM_CLOSED),
        ("UR", 503, Outcome.UPSTREAM_CLOSED),
        ("UpstreamRequestTimeout", 504, Outcome.GATEWAY_TIMEOUT),
        ("UF", 503, Outcome.SERVER_ERROR),
        ("NR", 404, Outcome.CLIENT_ERROR),
        ("-", 200, Outcome.OK),
        (None, None, Outcome.RESET),
    ],
)
def test_flag_table(flags: str | None, status: int | None, expected: Outcome) -> None:
    assert outcome_for(flags, status) is expected


def test_not_envoy_lines() -> None:
    for line in (
        '[2026-06-12T10:15:27.301Z] "GET / HTTP/1.1" 200',  # truncated
        "[Fri Jun 12 10:16:12 2026] [error] [client 1.2.3.4] x",  # Apache 2.2
        '{"response_code":200}',  # JSON without response_flags
        '{"status":200,"request":"GET / HTTP/1.1","request_time":0.1}',  # nginx JSON
    ):
        assert parse_text_line(line, 1, "x") is None and parse_json_line(line, 1, "x") is None


def test_hostile_lines() -> None:
    assert check_hostile(parse_text_line, _lines("access.log")[1]) > 0
    assert check_hostile(parse_text_line, _lines("istio.log")[0]) > 0
    assert check_hostile(parse_json_line, _lines("access.json.log")[0]) > 0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_fuzz_never_raises(text: str) -> None:
    assert_sane(parse_text_line(text, 1, "fuzz"))
    assert_sane(parse_text_line('[2026-06-12T10:15:27.301Z] "GET / HTTP/1.1" ' + text, 1, "fuzz"))
    assert_sane(parse_json_line('{"response_code":0,"response_flags":' + text, 1, "fuzz"))


def test_registered_and_detected() -> None:
    assert get_format("envoy-default") is not None and get_format("istio") is not None
    for name, expected in (
        ("access.log", "envoy-default"),
        ("istio.log", "envoy-default"),
        ("access.json.log", "envoy-json"),
    ):
        fmt = detect_format(_lines(name), all_formats())
        assert fmt is not None and fmt.name == expected, name


def test_stream_idle_timeout_is_envoys_own_cut(tmp_path: Path) -> None:
    """SI (408 after stream_idle_timeout) is Envoy's timer: the proxy's cut, not the server's. (The scan used
    to read "SI" as an HAProxy termination state, S for the server.)"""
    from lpdoctor.scan.parallel import scan_inputs
    from lpdoctor.scan.report import build_report

    line = (
        '[2026-06-12T10:{:02d}:00.000Z] "GET /api/poll?timeout=60 HTTP/1.1" 408 SI 0 0 15000 - "1.2.3.4" "curl/8" '
        '"a" "api.example.com" "10.0.0.5:8000"'
    )
    log = tmp_path / "envoy.log"
    log.write_text("\n".join(line.format(m) for m in range(6)) + "\n")
    agg, errors = scan_inputs([str(log)], jobs=1)
    assert not errors and agg.inputs[0].format == "envoy-default"
    (cut,) = [f for f in build_report(agg).findings if f.rule == "hold-cut"]
    assert cut.hop.value == "proxy" and cut.cutoff_s == 15.0
