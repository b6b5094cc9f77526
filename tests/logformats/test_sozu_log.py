"""Sōzu ASCII access log reader (``sozu-access``).

No real Sōzu 2.x access line was found publicly: every line here is constructed from the documented format
(sozu-proxy/sozu 2.1.0 ``command/src/logging/{logs,display,access_logs}.rs``; v1.0.0 ``17e11480`` for the old
layout), as summarised in research/sozune.md §3.2 and §3.4. They keep the details the code writes: a TAB after
the tag, two spaces after ``INFO-ACCESS``, adaptive duration units, ``-`` for absent fields, ``None`` or
``Some(trace span parent)`` for the otel field, and ``user-agent=`` with spaces turned into ``_``.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.logformats.sozu_log import (
    parse_sozu_duration,
    parse_sozu_line,
    parse_sozu_line_unguarded,
    rfc3339_epoch,
    sozu_outcome,
)
from lpdoctor.model import ErrorEvent, ErrorKind, Outcome, RequestRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sozu"

# Sōzune (embedded Sōzu, logger never set up: pid 0, tag UNINITIALIZED), h2 client cancels a Matrix sync
# after ~29 s (research/sozune.md §3.4, first example).
RESET_FRAME = (
    "2026-06-10T09:14:03.512844Z 1781082843512844123 0 ERROR-ACCESS UNINITIALIZED\t"
    "[01JXB8Z6Q7M3V9R2K4T8N5P1AB 01JXB8ZQ2W6E8R0T3Y5U7H9J1K http_synapse http_synapse-backend-0] "
    "198.51.100.23:53114 172.20.0.4:8008 29s/412μs/29s/18ms/61μs 1204 0 "
    "[user-agent=Mozilla/5.0_(X11;_Linux_x86_64)] None https matrix.example.com GET "
    "/_matrix/client/v3/sync?timeout=30000&since=s72594_4483 - | H2::ResetFrame"
)
# h2 stream reaped by Sōzu's 30 s per-stream idle guard (§3.4, second example).
IDLE_TIMEOUT = (
    "2026-06-10T09:15:11.004211Z 1781082911004211877 0 ERROR-ACCESS UNINITIALIZED\t"
    "[01JXB91A0F4C8D2E6G0H3J5K7M 01JXB91A0G2V4B6N8M0Q1W3E5R http_synapse http_synapse-backend-0] "
    "198.51.100.23:53114 127.0.0.1:3037 30s/388μs/30s/17ms/52μs 1180 0 [user-agent=Element/1.11] None https "
    "matrix.example.com GET /_matrix/client/v3/sync?timeout=30000 - | H2::IdleTimeout"
)
# Standalone Sōzu 2.x, back_timeout fired, Sōzu's own 504 answer (§3.4, third example, ULIDs written out).
STANDALONE_504 = (
    "2026-06-10T09:16:40.771930Z 1781083000771930512 41237 INFO-ACCESS  WRK-00\t"
    "[01JXB94B2C3D4E5F6G7H8J9K0M 01JXB94C2C3D4E5F6G7H8J9K0N synapse synapse-0] "
    "203.0.113.9:40112 10.0.0.5:8008 30s/290μs/30s/11ms/48μs 812 402 [user-agent=curl/8.5.0] None http "
    "matrix.example.com GET /_matrix/client/v3/sync?timeout=30000 504 | H1::Complete"
)
# Standalone WebSocket idle close through the pipe (§3.4, fourth example, ULID written out).
WS_TIMEOUT = (
    "2026-06-10T09:20:02.118004Z 1781083202118004002 41237 ERROR-ACCESS WRK-00\t"
    "[01JXB9A0B1C2D3E4F5G6H7J8K9 - ws ws-0] 203.0.113.9:40190 10.0.0.7:8080 31s/1ms/31s/12ms/40μs 530 1290 [] "
    "None WS ws.example.com GET /socket 101 | backend socket timeout"
)
# Sōzu 1.0 layout: four durations (response/service/client_rtt/server_rtt), three-item context, no otel.
V1_LINE = (
    "2024-03-01T10:00:00.123456Z 1709287200123456789 1234 INFO-ACCESS  WRK-01\t"
    "[01HQZ3K4M5N6P7Q8R9S0T1V2W3 synapse synapse-0] 203.0.113.9:40112 10.0.0.5:8008 312ms/95μs/11ms/48μs "
    "812 4021 [user-agent=curl/8.5.0] HTTP matrix.example.com GET /_matrix/client/versions 200 | H1::Complete"
)


def line(
    *,
    durations: str = "1204ms/310μs/1198ms/14ms/55μs",
    level: str = "INFO-ACCESS ",
    tag: str = "WRK-00",
    pid: str = "41237",
    context: str = "[01JXC0A1B2C3D4E5F6G7H8J9KM 01JXC0A1B2C3D4E5F6G7H8J9KN synapse synapse-0]",
    session: str = "203.0.113.9:40112",
    backend: str = "10.0.0.5:8008",
    tags: str = "[user-agent=Element/1.11.70_(Linux)]",
    otel: str = "None ",
    protocol: str = "https",
    endpoint: str = "matrix.example.com GET /_matrix/client/v3/sync?timeout=30000 200",
    message: str = " | H2::Complete",
    now: str = "2026-06-10T10:00:00.000001Z",
) -> str:
    """A 2.x access line with the given fields, the rest plausible."""
    return (
        f"{now} 1781085600000001000 {pid} {level} {tag}\t{context} {session} {backend} {durations} 812 402 "
        f"{tags} {otel}{protocol} {endpoint}{message}"
    )


def parse(text: str) -> RequestRecord:
    rec = parse_sozu_line_unguarded(text, 7, "sozu.log")
    assert isinstance(rec, RequestRecord), text
    return rec


# --------------------------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("token", "seconds"),
    [
        ("29s", 29.0),  # truncated: 29.0 to 29.999 s
        ("30s", 30.0),
        ("10s", 10.0),
        ("9999ms", 9.999),
        ("18ms", 0.018),
        ("412μs", 0.000412),  # U+03BC, what Sōzu writes
        ("412µs", 0.000412),  # U+00B5 MICRO SIGN
        ("412us", 0.000412),
        ("950ns", 9.5e-7),
        ("0ns", 0.0),
        ("-", None),
    ],
)
def test_duration_units(token: str, seconds: float | None) -> None:
    value = parse_sozu_duration(token)
    if seconds is None:
        assert value is None
    else:
        assert value == pytest.approx(seconds)


@pytest.mark.parametrize(
    "token", ["NaNs", "infs", "1.5s", "12", "s", "", "-1s", "30 s", "30m", "99999999999999999999s"]
)
def test_duration_rejects_what_sozu_never_writes(token: str) -> None:
    with pytest.raises(ValueError):
        parse_sozu_duration(token)


def test_rfc3339() -> None:
    expected = datetime(2026, 6, 10, 9, 14, 3, 512844, tzinfo=timezone.utc).timestamp()
    assert rfc3339_epoch("2026-06-10T09:14:03.512844Z") == pytest.approx(expected)
    assert rfc3339_epoch("2026-06-10T11:14:03.512844+02:00") == pytest.approx(expected)
    assert rfc3339_epoch("2026-06-10T09:14:03.512844123Z") == pytest.approx(expected + 123e-9, abs=1e-6)
    assert rfc3339_epoch("2026-13-10T09:14:03Z") is None
    assert rfc3339_epoch("yesterday") is None


# --------------------------------------------------------------------------------------------- documented lines


def test_reset_frame_inside_sozune() -> None:
    rec = parse(RESET_FRAME)
    assert rec.proxy == "sozu"
    assert rec.outcome is Outcome.CLIENT_CLOSED
    assert rec.detail == "H2::ResetFrame"
    assert rec.status is None
    assert rec.duration_s == 29.0  # the truncated value as printed
    assert rec.target == "/_matrix/client/v3/sync?timeout=30000&since=s72594_4483"
    assert rec.host == "matrix.example.com"
    assert rec.method == "GET"
    assert rec.client == "198.51.100.23"
    assert rec.time == pytest.approx(datetime(2026, 6, 10, 9, 14, 3, 512844, tzinfo=timezone.utc).timestamp())
    assert rec.upstream[0].addr == "172.20.0.4:8008"
    assert rec.upstream[0].response_s == 29.0
    assert (rec.source, rec.line) == ("sozu.log", 7)


def test_idle_timeout_is_a_proxy_reset() -> None:
    rec = parse(IDLE_TIMEOUT)
    assert rec.outcome is Outcome.RESET
    assert rec.detail == "H2::IdleTimeout"
    assert rec.duration_s == 30.0
    assert rec.status is None


def test_standalone_504_is_a_gateway_timeout() -> None:
    rec = parse(STANDALONE_504)
    assert rec.status == 504
    assert rec.outcome is Outcome.GATEWAY_TIMEOUT
    assert rec.detail == "H1::Complete"
    assert rec.duration_s == 30.0
    assert rec.target == "/_matrix/client/v3/sync?timeout=30000"
    assert rec.client == "203.0.113.9"


def test_websocket_backend_socket_timeout() -> None:
    rec = parse(WS_TIMEOUT)
    assert rec.status == 101
    assert rec.outcome is Outcome.RESET
    assert rec.detail == "backend socket timeout"
    assert rec.duration_s == 31.0
    assert rec.target == "/socket"


def test_v1_layout_uses_response_time() -> None:
    rec = parse(V1_LINE)
    assert rec.duration_s == pytest.approx(0.312)
    assert rec.status == 200
    assert rec.outcome is Outcome.OK
    assert rec.target == "/_matrix/client/versions"
    assert rec.time == pytest.approx(datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=timezone.utc).timestamp())


def test_five_durations_without_otel_field() -> None:
    """1.1 had request_time but no otel field yet."""
    rec = parse(line(otel="", context="[01JXC0A1B2C3D4E5F6G7H8J9KN synapse synapse-0]"))
    assert rec.duration_s == pytest.approx(1.204)
    assert rec.status == 200


# --------------------------------------------------------------------------------------------- field variants


def test_some_otel_field() -> None:
    rec = parse(line(otel="Some(4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 -) "))
    assert rec.target == "/_matrix/client/v3/sync?timeout=30000"
    assert rec.status == 200
    rec = parse(line(otel="Some(4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 53995c3f42cd8ad8) "))
    assert rec.host == "matrix.example.com"


def test_cluster_tags_and_user_agent() -> None:
    ua = "Mozilla/5.0_(Windows_NT_10.0;_Win64;_x64)_AppleWebKit/537.36_(KHTML,_like_Gecko)_{bracketed}"
    rec = parse(line(tags=f"[env=prod, owner=ops-team, user-agent={ua}]"))
    assert rec.status == 200
    assert rec.method == "GET"


def test_empty_tags_and_dashes() -> None:
    rec = parse(
        line(
            tags="[]",
            backend="-",
            durations="2ms/40μs/-/-/-",
            context="[01JXC0A1B2C3D4E5F6G7H8J9KM - - -]",
            endpoint="- - - 400",
        )
    )
    assert rec.status == 400
    assert rec.outcome is Outcome.CLIENT_ERROR
    assert rec.duration_s == pytest.approx(0.002)
    assert (rec.host, rec.method, rec.target) == (None, None, None)
    assert rec.upstream == ()


def test_all_unit_suffixes_for_request_time() -> None:
    for token, seconds in [("45s", 45.0), ("187ms", 0.187), ("950μs", 0.00095), ("950µs", 0.00095), ("800ns", 8e-7)]:
        rec = parse(line(durations=f"{token}/12μs/-/-/-"))
        assert rec.duration_s == pytest.approx(seconds), token


def test_status_dash_without_message() -> None:
    rec = parse(line(endpoint="matrix.example.com GET /_matrix/client/v3/sync -", message=""))
    assert rec.status is None
    assert rec.detail is None
    assert rec.outcome is Outcome.RESET


def test_ipv6_client() -> None:
    rec = parse(line(session="[2001:db8::5]:51234", backend="[2001:db8::10]:8008"))
    assert rec.client == "2001:db8::5"
    assert rec.upstream[0].addr == "[2001:db8::10]:8008"


def test_single_space_and_spaces_instead_of_tab_are_tolerated() -> None:
    """Log shippers sometimes collapse whitespace; the fields are still unambiguous."""
    text = STANDALONE_504.replace("INFO-ACCESS  WRK-00\t", "INFO-ACCESS WRK-00 ")
    assert parse(text).status == 504


def test_tcp_session() -> None:
    ok = parse(line(protocol="TCP", endpoint="-", message="", tags="[]"))
    assert ok.target is None and ok.status is None
    assert ok.outcome is Outcome.OK
    cut = parse(line(level="ERROR-ACCESS", protocol="TCP", endpoint="-", message=" | frontend socket timeout"))
    assert cut.outcome is Outcome.RESET


def test_coloured_line() -> None:
    """``access_logs_colored``: the layout of ``_prompt_log!``'s colored branch, ANSI codes stripped."""
    text = (
        "2026-06-10T09:16:40.771930Z \x1b[2m1781083000771930512 \x1b[;2;1m41237 \x1b[;35;1mINFO-ACCESS  "
        "\x1b[0;1mWRK-00\x1b[m\t\x1b[;1m[01JXB94B2C3D4E5F6G7H8J9K0M 01JXB94C2C3D4E5F6G7H8J9K0N synapse synapse-0]"
        "\x1b[m 203.0.113.9:40112 10.0.0.5:8008 30s/290μs/30s/11ms/48μs 812 402 \x1b[2m[user-agent=curl/8.5.0] "
        "None \x1b[;1mhttp matrix.example.com GET /_matrix/client/v3/sync?timeout=30000 \x1b[31m504\x1b[m"
        " | H1::Complete"
    )
    rec = parse(text)
    assert rec.status == 504
    assert rec.outcome is Outcome.GATEWAY_TIMEOUT
    assert rec.target == "/_matrix/client/v3/sync?timeout=30000"


def test_line_preceded_by_nul_padding() -> None:
    """After a crash a log file can hold a run of NULs before the next line; that line still counts."""
    assert parse("\x00" * 64 + STANDALONE_504).status == 504


# --------------------------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize(
    ("message", "status", "outcome"),
    [
        ("H2::ResetFrame", None, Outcome.CLIENT_CLOSED),
        ("H2::ResetFrame", 200, Outcome.CLIENT_CLOSED),
        ("H2::IdleTimeout", None, Outcome.RESET),
        ("H2::WindowStall", None, Outcome.RESET),
        ("H2::Reset", None, Outcome.RESET),
        ("backend_timeout", 504, Outcome.GATEWAY_TIMEOUT),
        ("backend_timeout", None, Outcome.GATEWAY_TIMEOUT),
        ("client_timeout_during_response", 504, Outcome.GATEWAY_TIMEOUT),
        ("backend_response_timeout", None, Outcome.RESET),
        ("backend_response_timeout", 200, Outcome.RESET),
        ("client_timeout", 408, Outcome.CLIENT_ERROR),
        ("H1::Complete", 504, Outcome.GATEWAY_TIMEOUT),
        ("H2::Complete", 504, Outcome.GATEWAY_TIMEOUT),
        ("H1::Complete", 200, Outcome.OK),
        ("H1::Complete", 502, Outcome.UPSTREAM_CLOSED),
        ("H1::Complete", 503, Outcome.SERVER_ERROR),
        ("H1::Upgrade", 101, Outcome.OK),
        ("backend socket timeout", 101, Outcome.RESET),
        ("frontend socket timeout", 101, Outcome.RESET),
        ("front socket read error", 101, Outcome.CLIENT_CLOSED),
        ("front socket write error", 101, Outcome.CLIENT_CLOSED),
        ("back socket read error", 101, Outcome.UPSTREAM_CLOSED),
        ("back socket write error", 101, Outcome.UPSTREAM_CLOSED),
        ("session close", None, Outcome.RESET),
        ("session close", 200, Outcome.OK),
        (None, 200, Outcome.OK),
        (None, None, Outcome.RESET),
        ("something new", 404, Outcome.CLIENT_ERROR),
    ],
)
def test_outcome_vocabulary(message: str | None, status: int | None, outcome: Outcome) -> None:
    assert sozu_outcome(message, status) is outcome


@pytest.mark.parametrize(
    ("message", "endpoint_status", "outcome"),
    [
        (" | backend_timeout", "504", Outcome.GATEWAY_TIMEOUT),
        (" | client_timeout_during_response", "504", Outcome.GATEWAY_TIMEOUT),
        (" | backend_response_timeout", "-", Outcome.RESET),
        (" | session close", "-", Outcome.RESET),
        (" | H2::Complete", "200", Outcome.OK),
    ],
)
def test_outcome_from_whole_lines(message: str, endpoint_status: str, outcome: Outcome) -> None:
    rec = parse(
        line(
            endpoint=f"matrix.example.com GET /_matrix/client/v3/sync?timeout=30000 {endpoint_status}", message=message
        )
    )
    assert rec.outcome is outcome
    assert rec.detail == message[3:]


# --------------------------------------------------------------------------------------------- Sōzu error lines


def test_backend_down_error_line() -> None:
    text = (
        "2026-06-10T09:18:00.000100Z 1781083080000100000 41237 ERROR WRK-00\t[01JXB9B0B1C2D3E4F5G6H7J8K9 - - -]"
        "\tMUX\tSession(frontend=12, peer=Some(198.51.100.23:53114))\t >>> backend server synapse-0 at "
        "10.0.0.5:8008 is down"
    )
    event = parse_sozu_line_unguarded(text, 3, "sozu.log")
    assert isinstance(event, ErrorEvent)
    assert event.kind is ErrorKind.CONNECT_FAILED
    assert event.upstream == "10.0.0.5:8008"
    assert event.message == "backend server synapse-0 at 10.0.0.5:8008 is down"
    assert event.proxy == "sozu"
    assert event.level == "error"


def test_other_sozu_log_lines_are_skipped() -> None:
    for text in [
        "2026-06-10T09:18:00.000100Z 1781083080000100000 41237 INFO  MAIN\tstarting up",
        "2026-06-10T09:18:00.000100Z 1781083080000100000 41237 ERROR WRK-00\tcould not parse request",
        "2026-06-10T09:18:00.000100Z 1781083080000100000 41237 WARN  WRK-00\tH1 backend EOF mid-chunked response",
    ]:
        assert parse_sozu_line_unguarded(text, 1, "s") is None


# --------------------------------------------------------------------------------------------- hostile input

HOSTILE = [
    "",
    " ",
    "garbage",
    "\x00\x00\x00",
    "2026-06-10T09:14:03.512844Z",
    RESET_FRAME.replace("29s/412μs", "NaNs/412μs"),
    RESET_FRAME.replace("29s/412μs", "infs/412μs"),
    RESET_FRAME.replace("29s/412μs", "99999999999999999999s/412μs"),
    RESET_FRAME.replace("29s/412μs", "999999999999s/412μs"),  # 31 000 years
    RESET_FRAME.replace("29s/412μs", "29.5s/412μs"),
    RESET_FRAME.replace("29s/412μs/29s/18ms/61μs", "29s/412μs"),  # too few durations
    RESET_FRAME.replace("29s/412μs/29s/18ms/61μs", "29s/1s/1s/1s/1s/1s"),  # too many
    RESET_FRAME.replace(" 1204 0 ", " 1204 -5 "),
    RESET_FRAME.replace("1781082843512844123", "9" * 60),
    RESET_FRAME.replace(" - | H2", " 5xx | H2"),
    RESET_FRAME.replace(" - | H2", " 042 | H2"),
    RESET_FRAME.replace("sync?timeout", "sy\x00nc?timeout"),
    RESET_FRAME.replace("[user-agent=Mozilla/5.0_(X11;_Linux_x86_64)]", "[user-agent=never-closed"),
    RESET_FRAME.replace("None https", "Some(unclosed https"),
    RESET_FRAME.replace("matrix.example.com GET", "matrix.example.com  GET"),
    STANDALONE_504.replace("\t[", "\t[" + "x " * 300),
    "2026-06-10T09:14:03.512844Z 1 0 ERROR-ACCESS UNINITIALIZED\t[" + "a " * 50000,
    "2026-06-10T09:14:03.512844Z 1 0 INFO-ACCESS  T\t[a b c d] " + "x" * 100_000,
    STANDALONE_504.replace("/_matrix/client/v3/sync?timeout=30000", "/" + "a" * 100_000),  # 100 KB line
    "\ufeff" + "é" * 1000,
    "\x1b[" * 10_000 + "m",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_lines_are_skipped(text: str) -> None:
    assert parse_sozu_line_unguarded(text, 1, "evil.log") is None
    assert parse_sozu_line(text, 1, "evil.log") is None


def test_trailing_junk_stays_in_the_message() -> None:
    rec = parse(STANDALONE_504 + " extra")
    assert rec.status == 504
    assert rec.detail == "H1::Complete extra"


def test_invalid_date_keeps_the_record_without_a_time() -> None:
    rec = parse(STANDALONE_504.replace("2026-06-10T09:16:40", "2026-13-45T09:16:40"))
    assert rec.time is None
    assert rec.status == 504


def test_every_truncation_is_skipped_or_sane() -> None:
    for cut in range(len(RESET_FRAME) + 1):
        rec = parse_sozu_line_unguarded(RESET_FRAME[:cut], 1, "cut.log")
        assert rec is None or _sane(rec), cut
    # Cut anywhere before the status, the line is not read.
    assert parse_sozu_line_unguarded(RESET_FRAME[: RESET_FRAME.index(" - | H2")], 1, "cut.log") is None


def test_pathological_lines_are_fast() -> None:
    shapes = [
        "2026-06-10T09:14:03.512844Z 1 0 ERROR-ACCESS UNINITIALIZED\t[" + "a " * 30000,
        "2026-06-10T09:14:03.512844Z 1 0 ERROR-ACCESS UNINITIALIZED\t[a b c d] " + "x/" * 30000,
        "2026-06-10T09:14:03.512844Z 1 0 ERROR-ACCESS UNINITIALIZED\t[a b c d] a b 1s/1s/1s/1s/1s 1 1 [" + "]" * 60000,
        "2026-06-10T09:14:03.512844Z 1 0 ERROR UNINITIALIZED\t" + "backend server " * 4000,
        "2026-06-10T09:14:03.512844Z " * 2000,
    ]
    for text in shapes:
        started = time.perf_counter()
        parse_sozu_line(text, 1, "slow.log")
        assert time.perf_counter() - started < 0.5


def _sane(rec: object) -> bool:
    if isinstance(rec, RequestRecord):
        d = rec.duration_s
        return (d is None or 0 <= d < 1e9) and (rec.status is None or 100 <= rec.status <= 999)
    return isinstance(rec, ErrorEvent)


_VALID = [RESET_FRAME, IDLE_TIMEOUT, STANDALONE_504, WS_TIMEOUT, V1_LINE]


@pytest.mark.fuzz
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(_VALID),
    pos=st.integers(min_value=0, max_value=400),
    cut=st.integers(min_value=0, max_value=8),
    insert=st.text(max_size=12),
)
def test_mutated_lines_never_raise(base: str, pos: int, cut: int, insert: str) -> None:
    pos = min(pos, len(base))
    text = base[:pos] + insert + base[pos + cut :]
    rec = parse_sozu_line_unguarded(text, 1, "fuzz.log")
    assert rec is None or _sane(rec)


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_random_text_never_raises(text: str) -> None:
    rec = parse_sozu_line_unguarded(text, 1, "fuzz.log")
    assert rec is None or _sane(rec)


# --------------------------------------------------------------------------------------------- the sample stream


def test_standalone_sample_stream() -> None:
    lines = (FIXTURES / "sozu-access.log").read_text(encoding="utf-8").splitlines()
    records = [parse_sozu_line(text, i, "sozu-access.log") for i, text in enumerate(lines, 1)]
    assert len(records) == 80
    assert all(isinstance(r, RequestRecord) for r in records)
    reqs = [r for r in records if isinstance(r, RequestRecord)]
    sync = [r for r in reqs if r.target and r.target.startswith("/_matrix/client/v3/sync?timeout=30000")]
    cut = [r for r in sync if r.status == 504]
    served = [r for r in sync if r.status == 200]
    assert len(cut) == 15
    assert all(r.outcome is Outcome.GATEWAY_TIMEOUT and r.duration_s == 30.0 for r in cut)
    assert {r.detail for r in cut} == {"H1::Complete", "backend_timeout"}
    assert len(served) == 40
    assert all(r.outcome is Outcome.OK and r.duration_s is not None and r.duration_s < 30 for r in served)
    assert all(r.proxy == "sozu" and r.host == "matrix.example.com" and r.time for r in reqs)
    times = [r.time for r in reqs if r.time is not None]
    assert times == sorted(times)


# --------------------------------------------------------------------------------------------- registration


def test_registered_and_detected() -> None:
    fmt = get_format("sozu-access")
    assert fmt is not None and fmt in all_formats()
    assert fmt.kind == "access" and fmt.has_timing
    assert get_format("sozu") is fmt
    sample = (FIXTURES / "sozu-access.log").read_text(encoding="utf-8").splitlines()[:50]
    detected = detect_format(sample, all_formats())
    assert detected is not None and detected.name == "sozu-access"


def test_make_parser_gives_a_working_parser() -> None:
    fmt = get_format("sozu-access")
    assert fmt is not None
    rec = fmt.parser()(STANDALONE_504, 1, "x")
    assert isinstance(rec, RequestRecord) and rec.status == 504


def test_message_tokens_say_who_ended_it() -> None:
    from lpdoctor.logformats.sozu_log import sozu_ended_by
    from lpdoctor.model import HopKind

    assert sozu_ended_by("H2::IdleTimeout") is HopKind.PROXY
    assert sozu_ended_by("backend_timeout") is HopKind.PROXY
    assert sozu_ended_by("backend_response_timeout") is HopKind.PROXY
    assert sozu_ended_by("H2::ResetFrame") is HopKind.CLIENT
    assert sozu_ended_by("H1::Complete") is None and sozu_ended_by(None) is None
