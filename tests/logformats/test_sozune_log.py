"""Sōzune stdout reader (``sozune``): Sōzune's own access/error lines, text and JSON, and embedded Sōzu lines.

The two documented examples (research/sozune.md §3.1) are quoted from Sōzune's
``documentation/advanced/access-logs.md``. Everything else is constructed from the code and documented
formats (kemeter/sozune ``src/middleware/proxy.rs``; tracing-subscriber's Full text and JSON formatters;
research/sozune.md §3.3, §3.4 and §4); no real Sōzune log was found publicly.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.logs import detect_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.logformats.sozune_log import parse_sozune_line, parse_sozune_line_unguarded
from lpdoctor.model import ErrorEvent, ErrorKind, Outcome, RequestRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sozu"

# Quoted from Sōzune's access-logs documentation (predates the `trace=` suffix).
DOC_TEXT = "2026-04-27T17:45:07.300344Z  INFO access: 192.0.2.10 GET api.example.com /v1/users 200 12ms (backend)"
DOC_JSON = (
    '{"timestamp":"2026-04-27T17:45:07.300344Z","level":"INFO","target":"access","client_ip":"192.0.2.10",'
    '"method":"GET","host":"api.example.com","path":"/v1/users","status":200,"duration_ms":12,'
    '"phase":"backend","message":"192.0.2.10 GET api.example.com /v1/users 200 12ms (backend)"}'
)
# tracing-subscriber's Full format as Sōzune most likely prints it: the request span, then target and
# message, then the event's fields (strings quoted). Constructed (research/sozune.md §3.1).
FULL_TEXT = (
    "2026-04-27T17:45:07.300344Z  INFO proxy.request{otel.name=GET api.example.com http.request.method=GET "
    "server.address=api.example.com url.path=/v1/users http.response.status_code=200}: access: 192.0.2.10 GET "
    'api.example.com /v1/users 200 12ms (backend) trace=- client_ip="192.0.2.10" method="GET" '
    'host="api.example.com" path="/v1/users" status=200 duration_ms=12 phase="backend" trace_id=-'
)
# The middleware's timeout (research/sozune.md §3.4, last example).
TIMEOUT_TEXT = (
    "2026-06-10T09:17:30.402113Z ERROR proxy.request{otel.name=GET matrix.example.com http.request.method=GET "
    "server.address=matrix.example.com url.path=/_matrix/client/v3/sync}: sozune::middleware::proxy: Failed to "
    "forward request to http://172.20.0.4:8008/_matrix/client/v3/sync?timeout=30000 after 1 attempt(s): "
    "timed out after 30s"
)
# Embedded Sōzu, client cancelled (research/sozune.md §3.4, first example).
EMBEDDED_RESET = (
    "2026-06-10T09:14:03.512844Z 1781082843512844123 0 ERROR-ACCESS UNINITIALIZED\t"
    "[01JXB8Z6Q7M3V9R2K4T8N5P1AB 01JXB8ZQ2W6E8R0T3Y5U7H9J1K http_synapse http_synapse-backend-0] "
    "198.51.100.23:53114 172.20.0.4:8008 29s/412μs/29s/18ms/61μs 1204 0 "
    "[user-agent=Mozilla/5.0_(X11;_Linux_x86_64)] None https matrix.example.com GET "
    "/_matrix/client/v3/sync?timeout=30000&since=s72594_4483 - | H2::ResetFrame"
)
EMBEDDED_IDLE = (
    "2026-06-10T09:15:11.004211Z 1781082911004211877 0 ERROR-ACCESS UNINITIALIZED\t"
    "[01JXB91A0F4C8D2E6G0H3J5K7M 01JXB91A0G2V4B6N8M0Q1W3E5R http_synapse http_synapse-backend-0] "
    "198.51.100.23:53114 127.0.0.1:3037 30s/388μs/30s/17ms/52μs 1180 0 [user-agent=Element/1.11] None https "
    "matrix.example.com GET /_matrix/client/v3/sync?timeout=30000 - | H2::IdleTimeout"
)
# The same line from a standalone Sōzu (real pid and tag): not Sōzune's.
STANDALONE = EMBEDDED_RESET.replace(" 0 ERROR-ACCESS UNINITIALIZED\t", " 41237 ERROR-ACCESS WRK-00\t")

SPAN = (
    "proxy.request{otel.name=GET matrix.example.com http.request.method=GET server.address=matrix.example.com "
    "url.path=/_matrix/client/v3/sync}"
)


def error_line(message: str, level: str = "ERROR", span: str = SPAN) -> str:
    return f"2026-06-10T09:17:30.402113Z {level} {span}: sozune::middleware::proxy: {message}"


def parse(text: str) -> RequestRecord | ErrorEvent:
    rec = parse_sozune_line_unguarded(text, 5, "sozune.log")
    assert rec is not None, text
    return rec


def access(text: str) -> RequestRecord:
    rec = parse(text)
    assert isinstance(rec, RequestRecord)
    return rec


def error(text: str) -> ErrorEvent:
    rec = parse(text)
    assert isinstance(rec, ErrorEvent)
    return rec


# --------------------------------------------------------------------------------------------- access lines


def _is_doc_record(rec: RequestRecord) -> None:
    assert rec.proxy == "sozune"
    assert rec.client == "192.0.2.10"
    assert rec.method == "GET"
    assert rec.host == "api.example.com"
    assert rec.target == "/v1/users"
    assert rec.status == 200
    assert rec.duration_s == pytest.approx(0.012)
    assert rec.outcome is Outcome.OK
    assert rec.detail == "backend"
    assert rec.time == pytest.approx(1777311907.300344)
    assert (rec.source, rec.line) == ("sozune.log", 5)


def test_documented_text_line() -> None:
    _is_doc_record(access(DOC_TEXT))


def test_documented_json_line() -> None:
    _is_doc_record(access(DOC_JSON))


def test_full_format_with_span_and_fields() -> None:
    _is_doc_record(access(FULL_TEXT))


def test_trace_suffix() -> None:
    _is_doc_record(access(DOC_TEXT + " trace=-"))
    _is_doc_record(access(DOC_TEXT + " trace=4bf92f3577b34da6a3ce929d0e0e4736"))


def test_ansi_coloured_full_format() -> None:
    """tracing-subscriber with ANSI on: dimmed timestamp, coloured level, bold span, italic field names."""
    text = (
        "\x1b[2m2026-04-27T17:45:07.300344Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[1mproxy.request\x1b[0m\x1b[1m{\x1b[0m"
        "\x1b[3motel.name\x1b[0m\x1b[2m=\x1b[0mGET api.example.com \x1b[3mserver.address\x1b[0m\x1b[2m=\x1b[0m"
        "api.example.com\x1b[1m}\x1b[0m\x1b[2m:\x1b[0m \x1b[2maccess\x1b[0m\x1b[2m:\x1b[0m 192.0.2.10 GET "
        'api.example.com /v1/users 200 12ms (backend) trace=- \x1b[3mclient_ip\x1b[0m\x1b[2m=\x1b[0m"192.0.2.10"'
    )
    _is_doc_record(access(text))


def test_middleware_phase_and_failure_status() -> None:
    rec = access("2026-04-27T17:45:08.000001Z  INFO access: 192.0.2.10 GET api.example.com /admin 403 0ms (middleware)")
    assert rec.detail == "middleware"
    assert rec.status == 403
    assert rec.outcome is Outcome.CLIENT_ERROR
    assert rec.duration_s == 0.0


def test_long_poll_access_line_has_no_query() -> None:
    rec = access(
        "2026-06-10T09:00:58.637470Z  INFO access: 203.0.113.58 GET matrix.example.com /_matrix/client/v3/sync "
        "200 29874ms (backend) trace=-"
    )
    assert rec.target == "/_matrix/client/v3/sync"
    assert rec.duration_s == pytest.approx(29.874)


def test_unknown_client_ip() -> None:
    rec = access("2026-04-27T17:45:07.300344Z  INFO access: - GET api.example.com /v1/users 200 12ms (backend)")
    assert rec.client is None


def test_older_sozune_wording() -> None:
    """Before the ``access`` target: the proxy module logged ``... 200 12ms`` (and ``(forward-auth)``)."""
    rec = access(
        "2026-03-20T08:00:00.000001Z  INFO sozune::middleware::proxy: 192.0.2.10 GET api.example.com /v1/users 200 12ms"
    )
    assert rec.status == 200 and rec.detail is None
    rec = access(
        "2026-03-20T08:00:00.000001Z  INFO sozune::middleware::proxy: 192.0.2.10 GET api.example.com /v1/users 401 "
        "3ms (forward-auth)"
    )
    assert rec.detail == "forward-auth" and rec.status == 401


def test_local_time_offset() -> None:
    rec = access(DOC_TEXT.replace("17:45:07.300344Z", "19:45:07.300344+02:00"))
    assert rec.time == pytest.approx(1777311907.300344)


def test_json_with_nested_fields() -> None:
    """``flatten_event(false)``: the event's fields sit under ``fields``."""
    obj = json.loads(DOC_JSON)
    fields = {
        k: obj.pop(k) for k in ["client_ip", "method", "host", "path", "status", "duration_ms", "phase", "message"]
    }
    obj["fields"] = fields
    _is_doc_record(access(json.dumps(obj)))


def test_json_with_message_only() -> None:
    obj = {"timestamp": "2026-04-27T17:45:07.300344Z", "level": "INFO", "target": "access",
           "fields": {"message": "192.0.2.10 GET api.example.com /v1/users 200 12ms (backend) trace=-"}}  # fmt: skip
    _is_doc_record(access(json.dumps(obj)))


def test_json_with_string_numbers() -> None:
    obj = json.loads(DOC_JSON)
    obj["status"], obj["duration_ms"] = "200", "12"
    _is_doc_record(access(json.dumps(obj)))


def test_json_with_bad_numbers_falls_back_to_the_message() -> None:
    obj = json.loads(DOC_JSON)
    obj["status"], obj["duration_ms"] = True, "NaN"
    _is_doc_record(access(json.dumps(obj)))
    obj["message"] = "not an access message"
    assert parse_sozune_line_unguarded(json.dumps(obj), 1, "x") is None


# --------------------------------------------------------------------------------------------- error lines


def test_middleware_timeout_text() -> None:
    ev = error(TIMEOUT_TEXT)
    assert ev.proxy == "sozune"
    assert ev.kind is ErrorKind.UPSTREAM_TIMEOUT
    assert ev.timeout_s == 30.0
    assert ev.attempts == 1
    assert ev.target == "/_matrix/client/v3/sync?timeout=30000"  # the query string carries the hold
    assert ev.host == "matrix.example.com"
    assert ev.method == "GET"
    assert ev.upstream == "172.20.0.4:8008"
    assert ev.level == "error"
    assert ev.time == pytest.approx(1781083050.402113)
    assert ev.message.startswith("Failed to forward request to http://172.20.0.4:8008/")


def test_timeout_after_retries() -> None:
    ev = error(
        error_line(
            "Failed to forward request to http://10.0.0.4:8080/cometd/connect?x=1 after 3 attempt(s): "
            "timed out after 60s"
        )
    )
    assert (ev.kind, ev.timeout_s, ev.attempts, ev.target) == (
        ErrorKind.UPSTREAM_TIMEOUT,
        60.0,
        3,
        "/cometd/connect?x=1",
    )


def test_timeout_without_span() -> None:
    text = (
        "2026-06-10T09:17:30.402113Z ERROR sozune::middleware::proxy: Failed to forward request to "
        "http://172.20.0.4:8008/_matrix/client/v3/sync?timeout=30000 after 1 attempt(s): timed out after 30s"
    )
    ev = error(text)
    assert ev.host is None  # the URI names the backend, not the virtual host
    assert ev.upstream == "172.20.0.4:8008"
    assert ev.timeout_s == 30.0


@pytest.mark.parametrize(
    ("err", "kind"),
    [
        ("client error (Connect)", ErrorKind.CONNECT_FAILED),
        ("error trying to connect: tcp connect error: Connection refused (os error 111)", ErrorKind.CONNECT_FAILED),
        ("client error (SendRequest)", ErrorKind.UPSTREAM_CLOSED),
        ("connection closed before message completed", ErrorKind.UPSTREAM_CLOSED),
        ("connection reset by peer", ErrorKind.UPSTREAM_CLOSED),
        ("something else entirely", ErrorKind.UPSTREAM_CLOSED),
        ("operation timed out", ErrorKind.UPSTREAM_TIMEOUT),
    ],
)
def test_forward_failure_kinds(err: str, kind: ErrorKind) -> None:
    ev = error(error_line(f"Failed to forward request to http://172.20.0.4:8008/api/poll after 2 attempt(s): {err}"))
    assert ev.kind is kind
    assert ev.attempts == 2
    assert ev.timeout_s is None
    assert ev.target == "/api/poll"


def test_older_error_wordings() -> None:
    ev = error(error_line("Backend request to http://172.20.0.4:8008/_matrix/client/v3/sync?timeout=30000 timed out"))
    assert ev.kind is ErrorKind.UPSTREAM_TIMEOUT and ev.timeout_s is None
    assert ev.target == "/_matrix/client/v3/sync?timeout=30000"
    ev = error(error_line("Failed to forward request to http://172.20.0.4:8008/x?y=1: client error (Connect)"))
    assert ev.kind is ErrorKind.CONNECT_FAILED and ev.attempts is None
    assert ev.target == "/x?y=1" and ev.upstream == "172.20.0.4:8008"


def test_no_backends_and_circuit_breaker() -> None:
    ev = error(error_line("No backends configured for host 'matrix.example.com'"))
    assert ev.kind is ErrorKind.NO_LIVE_UPSTREAMS and ev.host == "matrix.example.com"
    ev = error(error_line("circuit breaker open for host 'api.example.com', short-circuiting", level=" WARN"))
    assert ev.kind is ErrorKind.OTHER and ev.host == "api.example.com" and ev.level == "warn"


def test_json_error_line() -> None:
    obj = {
        "timestamp": "2026-06-10T09:17:30.402113Z",
        "level": "ERROR",
        "fields": {
            "message": "Failed to forward request to http://172.20.0.4:8008/_matrix/client/v3/sync?timeout=30000 "
            "after 1 attempt(s): timed out after 30s"
        },
        "target": "sozune::middleware::proxy",
        "span": {"server.address": "matrix.example.com", "http.request.method": "GET", "name": "proxy.request"},
    }
    ev = error(json.dumps(obj))
    assert (ev.kind, ev.timeout_s, ev.attempts) == (ErrorKind.UPSTREAM_TIMEOUT, 30.0, 1)
    assert (ev.host, ev.method, ev.target) == ("matrix.example.com", "GET", "/_matrix/client/v3/sync?timeout=30000")
    # Flattened message, host only in ``spans``.
    obj["message"] = obj.pop("fields")["message"]  # type: ignore[index]
    obj["spans"] = [obj.pop("span")]
    ev = error(json.dumps(obj))
    assert ev.host == "matrix.example.com" and ev.timeout_s == 30.0


def test_uri_forms() -> None:
    ev = error(
        error_line(
            "Failed to forward request to http://[2001:db8::4]:8008?since=5 after 1 attempt(s): timed out after 30s"
        )
    )
    assert ev.upstream == "[2001:db8::4]:8008" and ev.target == "/?since=5"
    ev = error(error_line("Failed to forward request to http://backend after 1 attempt(s): timed out after 5s"))
    assert ev.upstream == "backend" and ev.target == "/" and ev.timeout_s == 5.0


# --------------------------------------------------------------------------------------------- embedded Sōzu


def test_embedded_sozu_lines_are_read() -> None:
    rec = access(EMBEDDED_RESET)
    assert rec.proxy == "sozu"
    assert rec.outcome is Outcome.CLIENT_CLOSED
    assert rec.target == "/_matrix/client/v3/sync?timeout=30000&since=s72594_4483"
    assert rec.duration_s == 29.0
    rec = access(EMBEDDED_IDLE)
    assert rec.outcome is Outcome.RESET and rec.detail == "H2::IdleTimeout" and rec.duration_s == 30.0


def test_embedded_sozu_error_line() -> None:
    text = (
        "2026-06-10T09:18:00.000100Z 1781083080000100000 0 ERROR UNINITIALIZED\t[01JXB9B0B1C2D3E4F5G6H7J8K9 - - -]"
        "\tMUX\tSession(frontend=12)\t >>> backend server http_synapse-backend-0 at 127.0.0.1:3037 is down"
    )
    ev = error(text)
    assert ev.kind is ErrorKind.CONNECT_FAILED and ev.proxy == "sozu" and ev.upstream == "127.0.0.1:3037"


def test_standalone_sozu_lines_are_left_to_sozu_access() -> None:
    assert parse_sozune_line_unguarded(STANDALONE, 1, "x") is None


# --------------------------------------------------------------------------------------------- noise and hostile input

NOISE = [
    "2026-06-10T09:00:00.101223Z  INFO sozune: starting sozune 0.14.0",
    "2026-06-10T09:00:01.000000Z DEBUG sozune::middleware::proxy: Proxying GET /v1/users -> http://10.0.0.4:80/v1/users",
    "2026-06-10T09:00:01.000000Z  WARN sozune::middleware::proxy: Rate limited request from 192.0.2.10 to api.example.com",
    "2026-06-10T09:00:01.000000Z ERROR sozune::middleware::proxy: Backend rejected WebSocket upgrade: HTTP/1.1 400",
    "2026-06-10T09:00:01.000000Z DEBUG sozune::middleware::proxy: Backend http://10.0.0.4:80/x attempt 1/3 failed "
    "(client error (Connect)); retrying",
    '{"timestamp":"2026-06-10T09:00:00.101223Z","level":"INFO","fields":{"message":"starting"},"target":"sozune"}',
    '{"timestamp":"2026-06-10T09:00:00.101223Z","level":"INFO","target":"access","message":"half a message"}',
    "2026-06-10T09:18:00.000100Z 1781083080000100000 0 ERROR UNINITIALIZED\tcould not parse request",
    "Logs will be sent to stdout",
    "",
]
HOSTILE = [
    "garbage",
    "\x00" * 100,
    "{",
    "[1, 2, 3]",
    '"a string"',
    "{" + '"a":{' * 50_000 + "}" * 50_001,
    "[" * 100_000,
    '{"level": 5, "target": [], "message": {}}',
    '{"level":"INFO","target":"access","status":1e999,"duration_ms":-1,"method":"GET","host":"h","path":"/"}',
    '{"level":"ERROR","message":"Failed to forward request to  after 1 attempt(s): "}',
    DOC_TEXT.replace("12ms", "NaNms"),
    DOC_TEXT.replace("12ms", "99999999999999999999ms"),
    DOC_TEXT.replace("200", "20"),
    DOC_TEXT.replace("/v1/users", "/v1/\x00users"),
    DOC_TEXT[:40],
    DOC_TEXT.replace("/v1/users", "/" + "a" * 100_000),
    EMBEDDED_RESET.replace("29s/", "NaNs/"),
    error_line("Failed to forward request to " + "x" * 100_000 + " after 1 attempt(s): timed out after 30s"),
    "2026-06-10T09:17:30.402113Z ERROR " + "access: " * 10_000,
    "2026-06-10T09:17:30.402113Z  INFO " + "access: " * 10_000,
    "\x1b[31m" * 5_000,
]


@pytest.mark.parametrize("text", NOISE)
def test_noise_is_skipped(text: str) -> None:
    assert parse_sozune_line_unguarded(text, 1, "x") is None


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_lines_are_skipped(text: str) -> None:
    assert parse_sozune_line_unguarded(text, 1, "evil.log") is None
    assert parse_sozune_line(text, 1, "evil.log") is None


def test_pathological_lines_are_fast() -> None:
    shapes = [
        "2026-06-10T09:17:30.402113Z  INFO " + "access: a " * 10_000,
        "2026-06-10T09:17:30.402113Z  INFO access: " + "a " * 30_000,
        "2026-06-10T09:17:30.402113Z ERROR " + "Failed to forward request to " * 2_000,
        "2026-06-10T09:17:30.402113Z ERROR x: Failed to forward request to http://h/" + "a" * 16_000 + ": " * 1000,
        "2026-06-10T09:17:30.402113Z ERROR " + "server.address=" * 4_000,
    ]
    for text in shapes:
        started = time.perf_counter()
        parse_sozune_line(text, 1, "slow.log")
        assert time.perf_counter() - started < 0.5


def _sane(rec: object) -> bool:
    if isinstance(rec, RequestRecord):
        d = rec.duration_s
        return (d is None or 0 <= d < 1e9) and (rec.status is None or 100 <= rec.status <= 999)
    if isinstance(rec, ErrorEvent):
        return rec.timeout_s is None or 0 <= rec.timeout_s < 1e10
    return False


_VALID = [DOC_TEXT, DOC_JSON, FULL_TEXT, TIMEOUT_TEXT, EMBEDDED_RESET]


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
    rec = parse_sozune_line_unguarded(base[:pos] + insert + base[pos + cut :], 1, "fuzz.log")
    assert rec is None or _sane(rec)


@pytest.mark.fuzz
@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
                    max_leaves=20))  # fmt: skip
def test_arbitrary_json_never_raises(value: object) -> None:
    obj = {"level": "INFO", "target": "access", "fields": value, "status": value, "message": value}
    rec = parse_sozune_line_unguarded(json.dumps(obj), 1, "fuzz.log")
    assert rec is None or _sane(rec)


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_random_text_never_raises(text: str) -> None:
    rec = parse_sozune_line_unguarded(text, 1, "fuzz.log")
    assert rec is None or _sane(rec)


def test_every_truncation_of_the_timeout_line_is_skipped_or_sane() -> None:
    for cut in range(len(TIMEOUT_TEXT) + 1):
        rec = parse_sozune_line_unguarded(TIMEOUT_TEXT[:cut], 1, "cut.log")
        assert rec is None or _sane(rec), cut


# --------------------------------------------------------------------------------------------- the sample streams


@pytest.mark.parametrize(("name", "noise"), [("sozune-stdout.log", 4), ("sozune-stdout-json.log", 2)])
def test_sozune_sample_stream(name: str, noise: int) -> None:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    parsed = [parse_sozune_line(text, i, name) for i, text in enumerate(lines, 1)]
    assert sum(1 for p in parsed if p is None) == noise
    reqs = [p for p in parsed if isinstance(p, RequestRecord)]
    errors = [p for p in parsed if isinstance(p, ErrorEvent)]
    sozune_access = [r for r in reqs if r.proxy == "sozune"]
    sozu = [r for r in reqs if r.proxy == "sozu"]
    assert len(sozune_access) == 42
    assert all(r.outcome is Outcome.OK and r.duration_s is not None and r.duration_s < 30 for r in sozune_access)
    syncs = [r for r in sozune_access if r.target == "/_matrix/client/v3/sync"]
    assert len(syncs) == 25
    # The cut: Sōzune's middleware timeouts at 30 s, with the hold in the query string ...
    assert len(errors) == 10
    for ev in errors:
        assert (ev.kind, ev.timeout_s, ev.attempts, ev.host) == (
            ErrorKind.UPSTREAM_TIMEOUT,
            30.0,
            1,
            "matrix.example.com",
        )
        assert ev.target is not None and ev.target.startswith("/_matrix/client/v3/sync?timeout=30000&since=")
    # ... and the embedded Sōzu's h2 stream reaps at 30 s and client cancels at 29 s.
    idle = [r for r in sozu if r.detail == "H2::IdleTimeout"]
    resets = [r for r in sozu if r.detail == "H2::ResetFrame"]
    assert len(idle) == 6 and all(r.duration_s == 30.0 and r.outcome is Outcome.RESET for r in idle)
    assert len(resets) == 2 and all(r.duration_s == 29.0 and r.outcome is Outcome.CLIENT_CLOSED for r in resets)
    assert all(r.target and "timeout=30000" in r.target for r in idle + resets)
    times = [p.time for p in parsed if p is not None]
    assert None not in times


# --------------------------------------------------------------------------------------------- registration


def test_registered() -> None:
    fmt = get_format("sozune")
    assert fmt is not None and fmt in all_formats()
    assert fmt.kind == "access" and fmt.has_timing
    rec = fmt.parser()(DOC_TEXT, 1, "x")
    assert isinstance(rec, RequestRecord)


@pytest.mark.parametrize("name", ["sozune-stdout.log", "sozune-stdout-json.log"])
def test_detected_as_sozune(name: str) -> None:
    sample = [t for t in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if t.strip()][:50]
    detected = detect_format(sample, all_formats())
    assert detected is not None and detected.name == "sozune"


def test_stream_of_only_json_access_lines_is_sozune() -> None:
    """nginx-json reads Sōzune's JSON access lines too (status, method, host, path: no duration): a stream whose
    first lines are all access lines (no error or embedded Sōzu line yet) must still be Sōzune's."""
    lines = [t for t in (FIXTURES / "sozune-stdout-json.log").read_text(encoding="utf-8").splitlines()]
    access = [t for t in lines if '"target":"access"' in t]
    assert len(access) >= 40
    detected = detect_format(access, all_formats())
    assert detected is not None and detected.name == "sozune"
    detected = detect_format([DOC_JSON], all_formats())
    assert detected is not None and detected.name == "sozune"
    nginx = '{"time":"2026-11-21T10:00:00+00:00","status":200,"request":"GET /a HTTP/1.1","request_time":0.04}'
    detected = detect_format([nginx], all_formats())
    assert detected is not None and detected.name == "nginx-json"


def test_stream_of_only_embedded_sozu_lines_is_sozune() -> None:
    """Both formats read these lines; only ``sozune`` goes on to read Sōzune's own lines later."""
    detected = detect_format([EMBEDDED_RESET, EMBEDDED_IDLE], all_formats())
    assert detected is not None and detected.name == "sozune"
