"""The compiled path of text layouts (``fast == "fields"``): an nginx ``log_format`` given with ``--log-format``
or read from nginx.conf is walked in C, field by field, and gives exactly what its Python regex and record
builder give.

Each layout is read twice, through ``lpdoctor/scan/_combined_fast.c`` and line by line in Python
(``LPDOCTOR_NO_FAST=1``), and the two aggregates compared: bench traffic, odd lines in their place (values the
C path must leave to Python, lines the regex matches only by backtracking, blanks at the end), seeded mutations,
times spread over days and a window (tests/test_fastpath.py's ``_compare_everywhere``).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench import traffic as bench_traffic
from lpdoctor.logformats.layout import TextLayout
from lpdoctor.logformats.nginx_access import fast_layout, log_format_layout, make_custom_format
from lpdoctor.logformats.registry import all_formats
from lpdoctor.scan import fastpath
from tests.test_fastpath import (
    DAY,
    _compare_everywhere,
    _restamped,
    _second_in_days,
    _write,
    assert_same,
    both,
    built,
    counted_parses,
)

pytestmark = built
FORMATS = {f.name: f for f in all_formats()}

INGRESS = FORMATS["ingress-nginx"]
# the samples' key=value tail in a user's own words, with $host, X-Forwarded-For (several values) and
# $upstream_addr / $upstream_status unquoted (several tries)
MAIN = make_custom_format(
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
    '"$http_user_agent" "$http_x_forwarded_for" $host rt=$request_time uct="$upstream_connect_time" '
    'uht="$upstream_header_time" urt="$upstream_response_time" us=$upstream_status ua=$upstream_addr',
    "main",
)
# ISO time, then $msec when it is "-"; a multi field before a quote; the last field runs to the end
ISO = make_custom_format('$time_iso8601 $msec $http_host "$request" $status "$upstream_status" $request_time', "iso")
# $msec alone, $server_name, a literal after the last field
MSEC = make_custom_format('$msec|$server_name|$request|$status|$request_time|"$upstream_response_time";', "msec")


def _edits(line: str) -> Callable[..., str]:
    """``edit(old, new)``: ``line`` with ``old`` (its first place) made ``new``; ``edit()``: ``line``."""

    def edit(old: str = "", new: str = "") -> str:
        return line.replace(old, new, 1) if old else line

    return edit


def _layout_values(layout: TextLayout, odd: list[str], seed: int) -> list[tuple[str, dict[str, str] | None]]:
    """``odd`` and 20 000 seeded mutations of them, each with its values by field name where the layout's regex
    (which the C walk follows) matches it, None where it does not."""
    from lpdoctor.logformats.layout import layout_regex
    from tests.fuzz.mutate import mutate

    regex = layout_regex(layout)
    rnd = random.Random(seed)
    out: list[tuple[str, dict[str, str] | None]] = []
    for line in odd + [mutate(rnd.choice(odd), rnd) for _ in range(20_000)]:
        m = regex.match(line)
        out.append((line, {f.name: m[f"v{n}"] for n, f in enumerate(layout.fields)} if m else None))
    return out


_UA = "curl/8.5.0"
_P = '198.51.100.7 - - [21/Nov/2026:10:00:00 +0000] "'


def _main(
    request: str = "GET /api/poll?timeout=55 HTTP/1.1",
    status: str = "200",
    xff: str = "-",
    host: str = "api.example.com",
    rt: str = "30.001",
    uht: str = "30.001",
    urt: str = "30.001",
    us: str = "200",
    ua: str = "10.0.0.5:8080",
    stamp: str = "21/Nov/2026:10:00:00 +0000",
    end: str = "",
) -> str:
    return (
        f'198.51.100.7 - - [{stamp}] "{request}" {status} 512 "-" "{_UA}" "{xff}" {host} rt={rt} uct="0.001" '
        f'uht="{uht}" urt="{urt}" us={us} ua={ua}{end}'
    )


ODD_MAIN_LINES = [
    # read in C: the values that decide grouping
    _main(),
    _main(status="504", rt="60.000", urt="60.000", uht="-", us="504"),
    _main(xff="203.0.113.9, 10.0.0.1"),  # several values, each of [^ ,"]
    _main(xff="203.0.113.9 : 10.0.0.1, 10.0.0.2"),
    _main(xff=", , "),
    _main(xff=", ".join(["10.0.0.1"] * 65)),  # 65 values: the regex's limit
    _main(xff=", ".join(["10.0.0.1"] * 66)),  # 66: past it, no match
    _main(xff="x" * 256),
    _main(xff="x" * 257),  # a value of 257 bytes: no match
    _main(xff="a,b"),  # a comma without its space
    _main(host="-"),
    _main(host=""),
    _main(host="API.example.com"),
    _main(us="-", ua="-", urt="-", uht="-"),
    _main(us="", ua="", urt="", uht=""),
    _main(rt="-"),
    _main(rt=""),
    _main(rt="1e3"),
    _main(rt="0.5"),
    _main(rt="12"),
    _main(rt="1234567890.5"),  # past 9 digits of whole seconds
    _main(rt="30.0011112223"),
    _main(urt="0.002, 30.001", us="502, 504", ua="10.0.0.5:8080, 10.0.0.6:8080"),  # several tries: Python
    _main(urt="0.002 : 30.001", us="502 : 504", ua="10.0.0.5:8080 : 10.0.0.6:8080"),
    _main(us="5044"),
    _main(status="-"),
    _main(status="99"),
    _main(status="2000"),
    _main(request="GET https://api.example.com/api/poll HTTP/1.1"),  # absolute form
    _main(request="GET /caf\u00e9 HTTP/1.1"),
    _main(request="-"),
    _main(request="GET /a HTTP/2.0"),
    _main(request="GET /a  HTTP/1.1"),
    _main(request="get /a HTTP/1.1"),
    _main(stamp="-"),
    _main(stamp=""),
    _main(stamp="21/Nov/2026:10:00:00 +0000 x"),
    _main(stamp="21/Nov/0000:10:00:00 +0000"),
    _main(stamp="31/Feb/2026:10:00:00 +0000"),
    _main(end=" " * 16),  # the last field runs to the blanks, at most 16 of them
    _main(end=" " * 17),
    _main(end="\t \x0b\x0c"),
    _main(end="\u00a0"),
    _main(end="\u2003 "),
    _main(end=" extra"),
    _main()[:-3],
    _main().replace(" rt=", "  rt="),
    _main().replace('"-" "curl', '"-"  "curl'),
    _main().replace("[21/", "[ 21/"),
    "  " + _main(),
    "\x1b[31m" + _main(),
    "",
    "not a log line",
    '{"status":200,"request":"GET /a HTTP/1.1"}',
]


def _main_traffic(n: int, seed: int) -> list[str]:
    """Bench traffic as MAIN writes it (a third with a forwarded-for chain)."""
    rnd = random.Random(seed)
    out = []
    for line in bench_traffic.lines("nginx-kv", "ids", n, seed=seed):
        head, _, tail = line.partition('" rt=')
        xff = rnd.choice(["-", "203.0.113.9", "203.0.113.9, 10.0.0.1"])
        tail = tail.replace('us="', "us=").replace('" ua="', " ua=")[:-1]
        out.append(f'{head}" "{xff}" api.example.com rt={tail}')
    return out


def test_layouts_the_compiled_path_reads() -> None:
    """Which log_formats the compiled path reads, and the layout the reader's regex is made of."""
    assert all(f.fast == "fields" and fastpath.available(f) for f in (INGRESS, MAIN, ISO, MSEC))
    layout = log_format_layout('$remote_addr [$time_local] "$request" $status $request_time')
    assert [(f.before, f.name, f.role) for f in layout.fields] == [
        ("", "remote_addr", "skip"),
        (" [", "time_local", "clf"),
        ('] "', "request", "request"),
        ('" ', "status", "status"),
        (" ", "request_time", "duration"),
    ]
    assert layout.after == "" and fast_layout(layout)
    not_read = [
        '$remote_addr "$request_method $request_uri" $status',  # variables read only in Python
        '"$request" $status $uri',
        '"$request" $status $request_time $request_time',  # read twice: the last wins
        '"$request" $request_time',  # no $status
        "$status $request_time",  # no $request
        '"$request" $status $upstream_addr|$request_time',  # several values, then a literal of another start
        '"$request" \u2192 $status',  # a literal outside ASCII
        '"$request" $status ' + "x" * 256 + " $request_time",
    ]
    for fmt in not_read:
        assert not fast_layout(log_format_layout(fmt)), fmt
        assert make_custom_format(fmt).fast is None
    json_format = make_custom_format('{"status":"$status","request":"$request"}')
    assert json_format.fast == "json" and json_format.layouts == ()
    assert json_format.json_keys == {"status": "status", "request": "request"}
    for fmt in ['{"status":"$status","u":"$request_uri"}', '{"st\u00e4tus":"$status","request":"$request"}']:
        assert make_custom_format(fmt).fast is None, fmt


def test_scanner_refuses_a_layout_it_cannot_walk() -> None:
    """The scanner checks the layout it is given: a field with no literal after it (but the last), a field of
    several values before a literal of another start, a role a text field does not have."""
    scanner = fastpath._combined_fast.Scanner
    base: dict[str, Any] = dict(
        segment_template=str, route_template=str, hold_key=lambda r, q: 0, hold_names=lambda r: (), shape="fields"
    )
    good = ([(b"", 2, 0, False), (b" ", 3, 1, False)], b"", False)
    scanner(**base, text_layouts=[good])
    scanner(**base, text_layouts=[good] * 16)
    for fields, after in [
        ([(b"", 2, 0, False), (b"", 3, 1, False)], b""),
        ([(b"", 2, 0, True), (b"|", 3, 1, False)], b""),
        ([(b"", 17, 0, False)], b""),
        ([(b"", 30, 0, False)], b""),
        ([], b""),
    ]:
        with pytest.raises(ValueError):
            scanner(**base, text_layouts=[(fields, after, False)])
        with pytest.raises(ValueError):  # (a bad layout after a good one)
            scanner(**base, text_layouts=[good, (fields, after, False)])
    for layouts in ([], [good] * 17):
        with pytest.raises(ValueError):
            scanner(**base, text_layouts=layouts)
    with pytest.raises(ValueError):
        scanner(**{**base, "shape": "timing"}, text_layouts=[([(b"", 2, 0, False)], b"", False)])


def test_ingress_nginx_upstreaminfo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ingress-nginx's default log_format: bench traffic, odd lines, mutations, days, a window."""
    common = list(bench_traffic.lines("ingress-nginx", "ids", 20_000, seed=61))
    line = common[0]
    odd = [
        line,
        line.replace("[default-api-80] []", "[default-api-80] [canary-80]"),
        line.replace(" 200 ", " 504 ", 1),
        re.sub(r"\] \[\] \S+ ", "] [] 10.0.0.5:8080, 10.0.0.6:8080 ", line),
        line + " trailing",
        line.replace("[default-api-80]", "[]"),
        "garbage",
    ]
    _compare_everywhere(tmp_path, monkeypatch, INGRESS, common, odd, _restamped, random.Random(67))


def test_a_main_format_with_every_odd_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A log_format of the samples' key=value tail, X-Forwarded-For chains and unquoted upstream fields."""
    common = _main_traffic(20_000, seed=71)
    _compare_everywhere(tmp_path, monkeypatch, MAIN, common, ODD_MAIN_LINES, _restamped, random.Random(73))


def _iso_line(rnd: random.Random) -> str:
    when = DAY + rnd.randrange(130_000)
    iso = rnd.choice(
        [
            bench_traffic._iso(when, micro=False),
            "-",
            "",
            "2026-11-21T10:00:00Z",
            "2026-11-21 10:00:00.123456789+0130",
            "2026-11-21T10:00:00",
            "2026-11-21T10:00:00+00:00x",
            "0000-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "21/Nov/2026:10:00:00 +0000",
        ]
    )
    msec = rnd.choice([f"{when:.3f}", "-", "", f"{when:.0f}", f"{when:.3f}0000000", "1e9", ".5", "5.", "."])
    status, rt = rnd.choice([("200", "0.040"), ("504", "60.001"), ("499", "12.5"), ("200", "-"), ("-", "1")])
    target = rnd.choice(["/api/poll?timeout=55", "/v1/kv/a?index=3&wait=30s", "/img/1.png", "/a b"])
    us = rnd.choice(["200", "-", "", "502, 504", "502 : 504", '2"'])
    host = rnd.choice(["api.example.com", "-", "", "h:8080"])
    end = rnd.choice(["", "", " ", " " * 17, " x"])
    return f'{iso} {msec} {host} "GET {target} HTTP/1.1" {status} "{us}" {rt}{end}'


def _retimed(lines: list[str], rnd: random.Random) -> list[str]:
    """ISO and $msec lines are made with their times spread over days already."""
    return lines


def test_iso_time_then_msec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$time_iso8601, read unless it is empty or "-"; $msec then (exactly as float() reads it, or in Python)."""
    rnd = random.Random(79)
    common = [_iso_line(rnd) for _ in range(20_000)]
    _compare_everywhere(tmp_path, monkeypatch, ISO, common, ["junk", "- -"], _retimed, rnd)


def test_msec_and_a_literal_after_the_last_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(83)
    lines = []
    for _ in range(20_000):
        when = DAY + rnd.randrange(130_000) + rnd.randrange(1000) / 1000
        lines.append(
            f"{when:.3f}|{rnd.choice(['api', 'www', '-'])}|GET /api/poll?timeout={rnd.choice([30, 55])} HTTP/1.1|"
            f'{rnd.choice(["200", "504"])}|{rnd.uniform(0, 60):.3f}|"{rnd.choice(["-", "1.000", "1.000, 2.000"])}";'
            + rnd.choice(["", "", " ", "\t", " " * 17, "x"])
        )
    odd = ['1|a|GET / HTTP/1.1|200|1|"1"', '1|a|GET / HTTP/1.1|200|1|"1";;', '|||||"";']
    _compare_everywhere(tmp_path, monkeypatch, MSEC, lines, odd, _retimed, rnd)


def test_layout_is_the_regex_the_reader_had() -> None:
    """The reader's regex, now made of the layout, is the one compile_log_format made of the tokens before."""
    layout = log_format_layout('$remote_addr - [$time_local] "$request" $status $upstream_addr $request_time')
    assert isinstance(layout, TextLayout)
    from lpdoctor.logformats.layout import layout_regex

    assert layout_regex(layout).pattern == (
        r'^(?P<v0>[^\ ]{0,65536})\ \-\ \[(?P<v1>[^\]]{0,65536})\]\ "(?P<v2>[^"]{0,65536})"\ (?P<v3>[^\ ]{0,65536})\ '
        r"(?P<v4>(?:[^ ,\"]{0,256}(?:(?:, | : )[^ ,\"]{0,256}){0,64}))\ (?P<v5>.{0,65536}?)\s{0,16}$"
    )


# ------------------------------------------------------------------------------------- Traefik's CLF line

TRAEFIK_CLF = FORMATS["traefik-clf"]
# traefik_log's regex before it was made of CLF_LAYOUT (used with fullmatch)
_OLD_TRAEFIK_CLF = re.compile(
    r"(?P<client>\S{1,256}) \S{1,256} (?P<user>\S{1,256}) \[(?P<time>[^\]]{20,40})\] "
    r'"(?P<request>[^"]{0,16384})" (?P<status>\d{1,3}|-) (?P<size>\d{1,20}|-) '
    r'"(?P<referer>[^"]{0,8192})" "(?P<ua>[^"]{0,8192})" (?P<count>\d{1,20}|-) '
    r'"(?P<router>[^"]{0,1024})" "(?P<url>[^"]{0,2048})" (?P<ms>\d{1,15})ms'
)
_TC = '203.0.113.7 - - [12/Jun/2026:10:15:12 +0000] "GET /api/poll?cursor=42 HTTP/1.1" 504 15 "-" "curl/8.5.0" 42 '


_tc = _edits(_TC + '"api@docker" "http://10.0.0.5:8000" 30001ms')  # a Traefik CLF line


ODD_TRAEFIK_CLF_LINES = [
    _tc(),
    _tc(" 504 15 ", " 499 15 "),
    _tc(" 504 15 ", " - 15 "),
    _tc(" 504 15 ", " 0 15 "),  # older Traefik: OriginStatus 0
    _tc(" 504 15 ", " 99 15 "),
    _tc(" 504 15 ", " 5044 15 "),
    _tc(" 504 15 ", " 504 - "),
    _tc(" 504 15 ", " 504 \u0661 "),  # a digit of another script: \d matches it
    _tc(" 30001ms", " 1234567890ms"),  # 10 digits: Python
    _tc(" 30001ms", " 123456789012345ms"),
    _tc(" 30001ms", " 1234567890123456ms"),  # 16: no match
    _tc(" 30001ms", " 0ms"),
    _tc(" 30001ms", " 30001ms "),
    _tc(" 30001ms", " 30001 ms"),
    _tc(" 30001ms", " -1ms"),
    _tc("+0000]", "+0200]"),
    _tc("+0000]", "-0930]"),
    _tc("12/Jun/2026:10:15:12 +0000", "12/Jun/2026:10:15:12.123 +0000"),
    _tc("12/Jun/2026:10:15:12 +0000", "12/Jun/2026:10:15:12"),
    _tc("12/Jun/2026:10:15:12 +0000", "31/Jun/2026:10:15:12 +0000"),
    _tc("12/Jun/2026:10:15:12 +0000", "12/Jun/1969:10:15:12 +0000"),
    _tc("12/Jun/2026:10:15:12 +0000", "12/Jun/2026:10:15:12 +2400"),
    _tc("12/Jun/2026:10:15:12 +0000", "12/Jun/2026:10:15:12 +0000 \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"),
    _tc("12/Jun/2026:10:15:12 +0000", "1\u00e9/Jun/2026:10:15:12"),  # 20 bytes, 19 characters
    _tc("GET /api/poll?cursor=42 HTTP/1.1", "GET https://api.example.com/api/poll HTTP/1.1"),
    _tc("GET /api/poll?cursor=42 HTTP/1.1", "GET /api/poll http"),
    _tc("GET /api/poll?cursor=42 HTTP/1.1", "GET /api/poll"),
    _tc("GET /api/poll?cursor=42 HTTP/1.1", "-"),
    _tc("GET /api/poll?cursor=42 HTTP/1.1", "GET /" + "a" * 16400 + " HTTP/1.1"),
    _tc('"curl/8.5.0"', '"' + "u" * 8193 + '"'),
    _tc("203.0.113.7 -", "203.0.113.7\t-"),
    _tc("203.0.113.7 -", "\u00e9 -"),
    _tc("203.0.113.7 -", "x" * 257 + " -"),
    _tc("203.0.113.7 -", "\x7f -"),
    _tc(" 42 ", " - "),
    _tc('"api@docker"', '"' + "r" * 1025 + '"'),
    "  " + _tc(),
    "garbage ms",
]


def test_traefik_clf_regex_made_of_its_layout_reads_as_the_old_one() -> None:
    """traefik_log's regex, now made of CLF_LAYOUT, matches what the hand-written one matched, with the same
    values, on every odd line and 20 000 mutations of them."""
    from lpdoctor.logformats import traefik_log

    matched = 0
    for line, values in _layout_values(traefik_log.CLF_LAYOUT, ODD_TRAEFIK_CLF_LINES, seed=89):
        old = _OLD_TRAEFIK_CLF.fullmatch(line)
        assert (old is None) == (values is None), line
        if old and values:
            matched += 1
            assert {k: v for k, v in values.items() if k in old.groupdict()} == old.groupdict()
    assert matched > 1000


def test_traefik_clf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Traefik's default access line: bench traffic, odd lines, mutations, days, a window."""
    common = list(bench_traffic.lines("traefik-clf", "ids", 20_000, seed=97))
    _compare_everywhere(
        tmp_path, monkeypatch, TRAEFIK_CLF, common, ODD_TRAEFIK_CLF_LINES, _restamped, random.Random(101)
    )
    fixture = (Path(__file__).parent / "fixtures/logformats/traefik-clf.log").read_text().splitlines()
    fast, slow = both(monkeypatch, _write(tmp_path / "fixture.log", fixture * 50), None)
    assert fast.inputs[0].format == "traefik-clf" and fast.inputs[0].parsed == 50 * len(fixture)
    assert_same(fast, slow)


def test_a_field_with_a_least_length_outside_ascii(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A field of at least n characters holds fewer characters than bytes when it is not ASCII: such a line is
    the reader's (a layout of nginx variables with a field of 4 to 8 characters, read by the nginx builder)."""
    from lpdoctor.logformats import nginx_access
    from lpdoctor.logformats.base import LogFormat
    from lpdoctor.logformats.layout import TextField, layout_regex

    layout = TextLayout(
        (
            TextField("", "request", "request"),
            TextField("|", "status", "status"),
            TextField("|", "tag", "skip", min=4, max=8),
            TextField("|", "request_time", "duration"),
        )
    )
    regex = layout_regex(layout)

    def make_parser() -> Any:
        builder = nginx_access._RecordBuilder()

        def parse(line: str, line_no: int, source: str) -> Any:
            m = regex.match(line)
            values = {f.name: m[f"v{n}"] for n, f in enumerate(layout.fields)} if m else None
            return builder.build(values, line_no, source) if values else None

        return parse

    fmt = LogFormat("test-layout", "access", True, make_parser, fast="fields", layouts=(layout,))
    rnd = random.Random(103)
    tags = ["abcd", "abcdefgh", "abc", "abcdefghi", "\u00e9\u00e9\u00e9", "\u00e9\u00e9\u00e9\u00e9", "a\u00e9\u00e9"]
    lines = [
        f"GET /api/poll?timeout={rnd.choice([30, 55])} HTTP/1.1|{rnd.choice(['200', '504'])}|{rnd.choice(tags)}|"
        f"{rnd.uniform(0, 60):.3f}"
        for _ in range(5000)
    ]
    fast, slow = both(monkeypatch, _write(tmp_path / "tags.log", lines), fmt)
    assert 0 < fast.inputs[0].skipped < 5000
    assert_same(fast, slow)
    assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()


# ------------------------------------------------------------------------------- a user's JSON log_format

JSON_FORMAT = make_custom_format(
    '{"ts":"$time_local","msec":"$msec","addr":"$remote_addr","req":"$request","status":$status,'
    '"rt":$request_time,"duration":$request_time,"urt":"$upstream_response_time","ua":"$upstream_addr",'
    '"us":"$upstream_status","Host":"$host","len":$request_length}',
    "json",
)


def _json_line(rnd: random.Random, base: dict[str, Any]) -> str:
    """A line of JSON_FORMAT made of a bench request, with what users' logs hold: its keys in another order or
    case, a variable twice with two values, aliases of the stock reader, empty and odd values."""
    d = dict(base)
    when = DAY + rnd.randrange(130_000)
    clf = f"{bench_traffic._clf_time(when)} +0000"
    d["ts"] = rnd.choice([clf, clf, clf, "-", "", "21/Nov/2026:10:00:00 +0000 x", "31/Feb/2026:10:00:00 +0000"])
    d["msec"] = rnd.choice([f"{when}.{rnd.randrange(1000):03d}", "-", "", when + 0.25, when, "1e9", "x"])
    for _ in range(rnd.choice([0, 0, 0, 1, 2])):
        k = rnd.choice(list(d))
        v = d.pop(k)
        d[rnd.choice([k, k.upper(), k.capitalize(), k + "_"])] = v
    extra = rnd.choice([None, None, None, "time_iso8601", "request", "STATUS", "duration", "rt", "time", "http_host"])
    if extra == "time_iso8601":
        d["time_iso8601"] = rnd.choice(["2026-11-21T10:00:00+00:00", "-", ""])
    elif extra == "request":
        d["request"] = rnd.choice(["GET /other HTTP/1.1", "-"])
    elif extra == "STATUS":
        d["STATUS"] = 200
    elif extra in ("duration", "rt"):
        d[extra] = rnd.choice([0.5, "0.5", "", "-", None, True])
    elif extra == "time":
        d["time"] = rnd.choice(["2026-11-21T11:00:00Z", "-"])
    elif extra == "http_host":
        d["http_host"] = "other.example.com"
    items = list(d.items())
    if rnd.random() < 0.2:
        rnd.shuffle(items)
    return json.dumps(dict(items), separators=rnd.choice([(",", ":"), (", ", ": ")]))


def _json_traffic(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for line in bench_traffic.lines("nginx-json", "ids", n, seed=seed):
        src = json.loads(line)
        base = {
            "ts": "",
            "msec": "",
            "addr": src["remote_addr"],
            "req": src["request"],
            "status": src["status"],
            "rt": src["request_time"],
            "duration": src["request_time"],
            "urt": src["upstream_response_time"],
            "ua": src["upstream_addr"],
            "us": src["upstream_status"],
            "Host": "api.example.com",
            "len": src["request_length"],
        }
        out.append(_json_line(rnd, base))
    return out


def test_a_json_log_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's JSON log_format: its own keys looked up as they are, then the stock aliases lower-cased; a
    variable twice keeps the last; $time_local, then ISO times, then $msec."""
    assert JSON_FORMAT.fast == "json" and fastpath.available(JSON_FORMAT)
    common = _json_traffic(20_000, seed=107)
    odd = [
        '{"req":"GET /a HTTP/1.1","status":200,"rt":1.5,"duration":2.5}',
        '{"req":"GET /a HTTP/1.1","status":200,"duration":2.5,"rt":1.5}',
        '{"req":"GET /a HTTP/1.1","status":200,"rt":1.5,"rt":3.5}',
        # a key twice keeps its first place (json.loads), so "Rt" (an alias) comes after it
        '{"req":"GET /a HTTP/1.1","status":200,"duration":0.046,"Rt":0.04605,"duration":0.005}',
        '{"req":"GET /a HTTP/1.1","status":200,"rt":1.5,"rt":null}',
        '{"req":"GET /a HTTP/1.1","status":200,"RT":1.5}',
        '{"Req":"GET /a HTTP/1.1","status":200}',
        '{"request":"GET /a HTTP/1.1","Status":504}',
        '{"req":"GET /a HTTP/1.1","req":"GET /b HTTP/1.1","status":200}',
        '{"req":"GET /a HTTP/1.1","status":200,"host":"h1","Host":"h2"}',
        '{"req":"GET /a HTTP/1.1","status":200,"ts":"21/Nov/2026:10:00:00 +0000","ts":""}',
        '{"req":"GET /a HTTP/1.1","status":200,"msec":"1795132800.5","msec":""}',
        '{"req":"GET /a HTTP/1.1","status":200,"msec":1795132800.123456789}',
        '{"req":"GET /a HTTP/1.1","status":200,"msec":"1795132800.5","Msec":""}',  # the alias, last: no time
        '{"req":"GET /a HTTP/1.1","status":200,"ts":"21/Nov/2026:10:00:00 +0000","Time_Local":"-"}',
        '{"req":"GET /a HTTP/1.1","status":200,"msec":1.7951328e9}',
        '{"req":"GET /a HTTP/1.1","status":200,"msec":"17951328001234567890"}',
        '{"req":"GET /a HTTP/1.1","status":200,"time":"2026-11-21T10:00:00Z","time_iso8601":""}',
        '{"req":"GET /a HTTP/1.1","status":200,"time_iso8601":"-","time":"2026-11-21T10:00:00Z","msec":"5"}',
        '{"req":"GET /a HTTP/1.1","status":"200"}',
        '{"req":"GET /a HTTP/1.1"}',
        '{"status":200}',
        '{"req":"GET /a HTTP/1.1","status":200,"us":"502, 504","urt":"1.0, 2.0","ua":"a:1, b:2"}',
        '{"req":"GET /a HTTP/1.1","status":200,"uri":"/b"}',
        '{"r\\u0065q":"GET /a HTTP/1.1","status":200}',
        '{"req":"GET /a HTTP/1.1","status":200,"st\\u00e4tus":504}',
        "not json",
    ]
    _compare_everywhere(tmp_path, monkeypatch, JSON_FORMAT, common, odd, _retimed, random.Random(109))
    calls = counted_parses(monkeypatch)
    plain = []  # lines as nginx writes them with this log_format
    for line in bench_traffic.lines("nginx-json", "ids", 5000, seed=113):
        src = json.loads(line)
        plain.append(
            f'{{"ts":"21/Nov/2026:10:00:00 +0000","msec":"1795255200.125","addr":"{src["remote_addr"]}",'
            f'"req":"{src["request"]}","status":{src["status"]},"rt":{src["request_time"]},'
            f'"duration":{src["request_time"]},"urt":"{src["upstream_response_time"]}","ua":"{src["upstream_addr"]}",'
            f'"us":"{src["upstream_status"]}","Host":"api.example.com","len":{src["request_length"]}}}'
        )
    fast, slow = both(monkeypatch, _write(tmp_path / "plain.log", plain), JSON_FORMAT)
    assert fast.inputs[0].parsed == 5000 and calls["line"] == 0  # every line read in C
    assert_same(fast, slow)


def test_a_log_format_read_in_python_says_so(tmp_path: Path) -> None:
    """A user whose log_format the compiled path does not read hears why, once, on stderr (the report is
    untouched); one it reads says nothing."""
    import os
    import subprocess
    import sys

    log = _write(tmp_path / "a.log", ['1.2.3.4 "GET /a HTTP/1.1" 200 0.5'])

    def scan(fmt: str, **env: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "lpdoctor", "scan", "-f", "json", "--fail-on", "never", "--log-format", fmt]
        return subprocess.run([*argv, str(log)], capture_output=True, text=True, env={**os.environ, **env})

    slow = scan('$remote_addr "$request_method $request_uri" $status $request_time')
    assert slow.returncode == 0
    assert "read line by line in Python" in slow.stderr and "$request_method, $request_uri" in slow.stderr
    assert json.loads(slow.stdout)["inputs"][0]["parsed"] == 1
    twice = scan('$remote_addr "$request" $status $request_time $request_time')
    assert "it logs $request_time twice" in twice.stderr
    fast = scan('$remote_addr "$request" $status $request_time')
    assert fast.returncode == 0 and fast.stderr == ""
    python_anyway = scan('$remote_addr "$request_uri" $status $request_time', LPDOCTOR_NO_FAST="1")
    assert python_anyway.returncode == 0 and python_anyway.stderr == ""


def test_a_config_log_format_read_in_python_says_so(tmp_path: Path) -> None:
    """scan --nginx-conf: a log written in one of the config's formats that the compiled path does not read is
    announced once on stderr, with why; one it reads (or a config format no log is written in) says nothing."""
    import os
    import subprocess
    import sys

    (tmp_path / "slow.log").write_text('1.2.3.4 "GET /a?x=1" 200 0.5\n1.2.3.4 "GET /b" 200 0.5\n')
    (tmp_path / "slow.log.1").write_text('1.2.3.4 "GET /c" 504 60.0\n')
    (tmp_path / "fast.log").write_text('1.2.3.4 "GET /a HTTP/1.1" 200 0.5\n')
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n"
        "  log_format slow '$remote_addr \"$request_method $request_uri\" $status $request_time';\n"
        "  log_format fast '$remote_addr \"$request\" $status $request_time';\n"
        "  log_format unused '$remote_addr \"$uri\" $status';\n"
        f"  server {{ listen 80; access_log {tmp_path}/slow.log slow; access_log {tmp_path}/fast.log fast; }}\n"
        "}\n"
    )

    def scan(*logs: str, **env: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "lpdoctor", "scan", "-f", "json", "--fail-on", "never", "--nginx-conf", str(conf)]
        return subprocess.run(
            [*argv, *(str(tmp_path / log) for log in logs)], capture_output=True, text=True, env={**os.environ, **env}
        )

    slow = scan("slow.log", "slow.log.1", "fast.log")
    assert slow.returncode == 0, slow.stderr
    assert slow.stderr.count("lpdoctor: note: log_format slow is read line by line in Python") == 1, slow.stderr
    assert "$request_method, $request_uri" in slow.stderr and "unused" not in slow.stderr
    assert [i["parsed"] for i in json.loads(slow.stdout)["inputs"]] == [2, 1, 1]
    fast = scan("fast.log")
    assert fast.returncode == 0 and fast.stderr == ""
    anyway = scan("slow.log", LPDOCTOR_NO_FAST="1")
    assert anyway.returncode == 0 and anyway.stderr == ""


# ------------------------------------------------------------------------------------- Heroku router lines

HEROKU = FORMATS["heroku-router"]
_H = (
    '2026-11-21T10:00:00.123456+00:00 heroku[router]: at=info method=GET path="/api/poll?timeout=25" '
    "host=myapp.herokuapp.com request_id=0a7c1d8e-2b3f dyno=web.1 connect=0ms service=25002ms status=200 bytes=12 "
    "protocol=https"
).replace(" dyno=", ' fwd="186.22.250.42" dyno=')


_h = _edits(_H)  # a Heroku router at=info line


ODD_HEROKU_LINES = [
    _h(),
    _h("+00:00 heroku", "Z heroku"),
    _h("+00:00 heroku", "+02:00 heroku"),
    _h("+00:00 heroku", " heroku"),
    _h("10:00:00.123456", "10:00:00"),
    _h("10:00:00.123456", "10:00:00.1234567891"),
    _h("2026-11-21", "2026-02-30"),
    _h("2026-11-21", "1969-11-21"),
    _h("T10:", "t10:"),
    _h("at=info", 'at=error code=H12 desc="Request timeout"'),
    _h("at=info", 'at=error code=H13 desc="Connection closed without response"').replace("status=200", "status=503"),
    _h("at=info", 'at=error code=H27 desc="Client Request Interrupted"').replace("status=200", "status=499"),
    _h("at=info", 'at=error code=H123456789 desc="x"'),  # a code over 8 characters: the reader drops it
    _h("at=info", 'at=error code= desc="x"'),
    _h("at=info", 'at=error code=H12 desc="a \\"quoted\\" word"'),
    _h("at=info", 'at=error code=H12 desc="x method=POST path=/y"'),
    _h("at=info", "at=error code=H12 desc=Request"),
    _h("at=info", "at=error code=H12"),
    _h("at=info", 'sock=backend at=error code=H18 desc="Server Request Interrupted"'),
    _h("at=info", 'at=error code="H12" desc="Request timeout"'),
    _h("status=200", "status=503 code=H12"),  # a later code: the reader reads it
    _h("protocol=https", "protocol=https code=H12"),
    _h("protocol=https", "protocol=https "),
    _h("protocol=https", 'protocol="https"'),
    _h("method=GET", "method=" + "G" * 33),
    _h("method=GET", "method=get"),
    _h('path="/api/poll?timeout=25"', 'path="https://other.example.com/api/poll"'),
    _h('path="/api/poll?timeout=25"', 'path="/api/po ll"'),
    _h('path="/api/poll?timeout=25"', 'path="/api/\\"poll"'),
    _h('path="/api/poll?timeout=25"', 'path=""'),
    _h('path="/api/poll?timeout=25"', "path=/api/poll"),
    _h("host=myapp.herokuapp.com", "host="),
    _h("host=myapp.herokuapp.com", "host=MyApp.HerokuApp.com"),
    _h("host=myapp.herokuapp.com", "host=" + "h" * 301),
    _h("host=myapp.herokuapp.com", 'host=my"app'),
    _h('fwd="186.22.250.42"', 'fwd="186.22.250.42, 10.0.0.1"'),
    _h('fwd="186.22.250.42"', 'fwd="186.22.\\"250.42"'),
    _h("request_id=0a7c1d8e-2b3f", "request_id=a=b"),
    _h("request_id=0a7c1d8e-2b3f", 'request_id=0a7c"code=H12'),  # a quote ends a bare value: then a code
    # an escaped quote: the reader's path runs on over the host and request id after it
    '2026-11-21T10:00:00.123456+00:00 heroku[router]: at=info method=GET path="/api/poll\\" host=h request_id=r '
    'fwd="f" dyno=web.1 connect=0ms service=1ms status=200 bytes=1 protocol=https',
    _h("connect=0ms", "connect=7ms"),
    _h("connect=0ms", "connect=1234567890123ms"),
    _h("connect=0ms", "connect=ms"),
    _h("service=25002ms", "service=999999999999ms"),
    _h("service=25002ms", "service=25002.5ms"),
    _h("status=200", "status=099"),
    _h("status=200", "status=2000"),
    _h("status=200", "status=-"),
    _h(" dyno=web.1", " dyno=web.1 dyno=web.2"),
    _h("heroku[router]: ", "heroku/router: "),
    "<158>1 " + _h(),
    "123 " + _h(),
    _h() + " extra=1",
    '2026-06-12T10:16:07.000000+00:00 heroku[router]: at=error code=H15 desc="Idle connection" dyno=web.1 '
    "connect=1ms service=55449ms status=503 bytes=18",
    "not a router line",
]


def _iso_restamped(lines: list[str], rnd: random.Random, fractions: list[str], zones: list[str]) -> list[str]:
    """``lines`` whose first word is an ISO time with it spread over a day and a half, each with one of
    ``fractions`` (a random one of 6 digits for "rnd") and ``zones``: odd ones now and then."""
    out = []
    for line in lines:
        stamp, sep, rest = line.partition(" ")
        if not sep or not stamp[:4].isdigit():
            out.append(line)
            continue
        fraction = rnd.choice(fractions)
        fraction = f".{rnd.randrange(10**6):06d}" if fraction == "rnd" else fraction
        out.append(f"{_second_in_days(rnd)}{fraction}{rnd.choice(zones)} {rest}")
    return out


def _heroku_restamped(lines: list[str], rnd: random.Random) -> list[str]:
    return _iso_restamped(lines, rnd, ["", ".5", "rnd", ".123456789"], ["+00:00", "+00:00", "Z", "+01:00", "-0000"])


def test_heroku_router_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Heroku's router lines: at=info lines in the router's order read in C, the rest by the reader; bench
    traffic, odd lines, mutations, days, a window."""
    assert fastpath.available(HEROKU)
    common = list(bench_traffic.lines("heroku-router", "ids", 20_000, seed=127))
    _compare_everywhere(tmp_path, monkeypatch, HEROKU, common, ODD_HEROKU_LINES, _heroku_restamped, random.Random(131))
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, _write(tmp_path / "plain.log", common[:6000]), HEROKU)
    assert_same(fast, slow)
    assert sum(" at=error " in line for line in common[:6000]) > 0 and calls["line"] == 0  # error lines too


def test_heroku_layout_reads_the_fields_the_reader_reads() -> None:
    """On every line the layout matches (its regex, which the C walk follows), the reader's logfmt fields are
    the layout's fields, value for value: odd lines and 20 000 mutations of them."""
    from lpdoctor.logformats import heroku_log

    errors = [line for line in ODD_HEROKU_LINES if "at=error" in line]
    for layout, at, odd, seed in (
        (heroku_log.INFO_LAYOUT, "info", ODD_HEROKU_LINES, 137),
        (heroku_log.ERROR_LAYOUT, "error", errors, 138),
    ):
        assert _heroku_layout_reads_what_the_reader_reads(layout, at, odd, seed) > 1000


def _heroku_layout_reads_what_the_reader_reads(layout: TextLayout, at: str, odd: list[str], seed: int) -> int:
    from lpdoctor.logformats import heroku_log

    matched = 0
    for line, values in _layout_values(layout, odd, seed=seed):
        if not values:
            continue
        matched += 1
        marker = heroku_log._MARKER.search(line, 0, 400)
        assert marker is not None and marker.start() == len(values["time"]) + 1, line
        fields: dict[str, str] = {}
        for kv in heroku_log._KV.finditer(line, marker.end()):
            value = kv[2][1:-1].replace('\\"', '"') if kv[2].startswith('"') else kv[2]
            fields.setdefault(kv[1], value)
        expected = {name: value for name, value in values.items() if name != "time"}
        expected["connect"] += "ms"  # (the literal after them: the reader's value holds its unit)
        expected["service"] += "ms"
        assert fields == {"at": at, **expected}, line
        # a time the C walk reads (J_ISO_UTC) is the one the reader finds; any other is left to the reader
        if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|\+00:00)", values["time"]):
            stamp = heroku_log._STAMP.match(line)
            assert stamp is not None and stamp[1] == values["time"], line
    return matched


# ---------------------------------------------------------------------------------- Envoy's default text line

ENVOY_TEXT = FORMATS["envoy-default"]
_FIXTURE = Path(__file__).parent / "fixtures/logformats/envoy-default.log"
_E = (
    '[2026-11-21T10:14:57.301Z] "GET /api/poll?cursor=41 HTTP/1.1" 200 - 0 2 12004 12001 "203.0.113.7" '
    '"Mozilla/5.0" "2b4e0f3a-1c5d-4e6f-8a9b-0c1d2e3f4a5b" "api.example.com" "10.0.0.5:8000"'
)


_e = _edits(_E)  # an Envoy default line


ODD_ENVOY_TEXT_LINES = [
    *_FIXTURE.read_text().splitlines(),
    _e(),
    _e(" 200 - ", " 504 UT "),
    _e(" 200 - ", " 0 DC "),
    _e(" 200 - ", " 503 UC,URX "),
    _e(" 200 - ", " 504 UpstreamRequestTimeout "),
    _e(" 200 - ", " 200 -- "),
    _e(" 200 - ", " 2000 - "),
    _e(" 200 - ", " 099 - "),
    _e(" 200 - ", " 200 U;T "),
    _e(" 200 - 0 2 ", ' 200 - via_upstream - "-" 0 2 '),  # Istio's fields
    _e(" 200 - 0 2 ", " 200 - 7 0 2 "),
    _e(" 200 - 0 2 ", " 200 - 0 2 3 "),
    _e("12004 12001", "12004 -"),
    _e("12004 12001", "- 12001"),
    _e("12004 12001", "1234567890 1"),
    _e("12004 12001", "123456789012345678901 1"),
    _e('"GET ', '"- '),
    _e('"GET ', '"get '),
    _e('"GET ', '"-GET '),
    _e('"GET ', '"G1 '),
    _e('"GET ', '"' + "G" * 33 + " "),
    _e("/api/poll?cursor=41", "-"),
    _e("/api/poll?cursor=41", "https://api.example.com/api/poll"),
    _e("/api/poll?cursor=41", "/caf\u00e9"),
    _e("HTTP/1.1", "HTTP/2"),
    _e("HTTP/1.1", "HTTP/1.1!"),
    _e("HTTP/1.1", "h" * 17),
    _e("2026-11-21T10:14:57.301Z", "2026-11-21T10:14:57Z"),
    _e("2026-11-21T10:14:57.301Z", "2026-11-21T10:14:57.301+02:00"),
    _e("2026-11-21T10:14:57.301Z", "2026-11-21T10:14:57.301+00:00"),
    _e("2026-11-21T10:14:57.301Z", "2026-02-30T10:14:57.301Z"),
    _e("2026-11-21T10:14:57.301Z", "2026-11-21"),
    _e('"api.example.com"', '"-"'),
    _e('"api.example.com"', '"API.example.com:8443"'),
    _e('"api.example.com"', '""'),
    _e('"203.0.113.7"', '"198.51.100.4,10.0.0.2"'),
    _e() + " ",
    _e() + ' "extra"',
    _e()[:-1],
    " " + _e(),
    "not envoy",
]


_I = _e(" 200 - 0 2 ", ' 200 - via_upstream - "-" 0 2 ') + (
    " outbound|8000||api.default.svc.cluster.local 10.0.0.9:41922 10.0.0.5:8000 203.0.113.7:41922 - default"
)


_i = _edits(_I)  # an Istio default line

ODD_ISTIO_LINES = [
    _i(),
    _i(" 200 - via_upstream - ", " 504 UT response_timeout - "),
    _i(" 200 - via_upstream - ", " 503 UC upstream_reset_before_response_started{connection_termination} - "),
    _i(" 200 - via_upstream - ", " 0 DC downstream_remote_disconnect - "),
    _i(' - "-" 0 2 ', ' - "upstream connect error" 0 2 '),
    _i(' - "-" 0 2 ', ' - "" 0 2 '),
    _i(' - "-" 0 2 ', ' "-" "-" 0 2 '),  # a quoted termination detail: _TEXT's alternative, Python
    _i(' - "-" 0 2 ', " - - 0 2 "),  # a bare failure reason
    _i(' - "-" 0 2 ', ' - "-" x 0 2 '),  # four tokens
    _i(' via_upstream - "-" ', ' "-" '),  # one token
    _i(' via_upstream - "-" ', " via_upstream - "),  # two
    _i("via_upstream", "via" + "_" * 600),
    _i('"-" 0 2', '"' + "r" * 1025 + '" 0 2'),
    _i('"10.0.0.5:8000" outbound', '"10.0.0.5:8000"outbound'),
    _i(" - default", " - default "),
    _i(" outbound|8000||api.default.svc.cluster.local", ""),
    _i()[: _I.index('"10.0.0.5:8000"') + len('"10.0.0.5:8000"')],  # no field after the upstream: Python
    _i()[: _I.index('"10.0.0.5:8000"') + len('"10.0.0.5:8000"')] + " ",
    _i(" 200 ", " 2000 "),
    _i('"GET ', '"get '),
    _i("/api/poll?cursor=41", "/caf\u00e9"),
    _i() + "\x00",
]


def test_envoy_text_layout_reads_what_the_reader_reads() -> None:
    """Wherever a layout matches (and the method is one _TEXT takes, and no layout before it matches), _TEXT
    matches too, Envoy's layout with no optional field, Istio's with its three: its values are the layout's, over
    the odd lines and 20 000 mutations of them."""
    from lpdoctor.logformats import envoy_log
    from lpdoctor.logformats.layout import layout_regex

    envoy = layout_regex(envoy_log.TEXT_LAYOUT)
    for layout, odd, seed in (
        (envoy_log.TEXT_LAYOUT, ODD_ENVOY_TEXT_LINES, 139),
        (envoy_log.ISTIO_LAYOUT, ODD_ISTIO_LINES + ODD_ENVOY_TEXT_LINES, 141),
    ):
        matched = 0
        for line, values in _layout_values(layout, odd, seed=seed):
            if not values or not re.fullmatch(r"[A-Z][A-Z0-9_-]{0,31}|-", values["method"]):  # (J_METHOD)
                continue
            if layout is envoy_log.ISTIO_LAYOUT and envoy.match(line):
                continue  # (Envoy's layout reads it first)
            matched += 1
            old = envoy_log._TEXT.match(line)
            assert old is not None, line
            assert {k: v for k, v in old.groupdict().items()} == {k: values[k] for k in old.groupdict()}, line
        assert matched > 1000


def _envoy_restamped(lines: list[str], rnd: random.Random) -> list[str]:
    out = []
    for line in lines:
        if not line.startswith("[") or "]" not in line:
            out.append(line)
            continue
        new = _second_in_days(rnd)
        new += rnd.choice([".301Z", "Z", ".5Z", ".123456789Z", "+00:00", ".1+01:00"])
        out.append(f"[{new}{line[line.index(']') :]}")
    return out


def test_envoy_text_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Envoy's default text line: bench traffic, odd lines (Istio's fields among them), mutations, days, a window;
    plain traffic read in C, client-gone lines (code 0) too."""
    assert fastpath.available(ENVOY_TEXT)
    common = list(bench_traffic.lines("envoy-default", "ids", 20_000, seed=149))
    _compare_everywhere(
        tmp_path, monkeypatch, ENVOY_TEXT, common, ODD_ENVOY_TEXT_LINES, _envoy_restamped, random.Random(151)
    )
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, _write(tmp_path / "plain.log", common[:6000]), ENVOY_TEXT)
    assert_same(fast, slow)
    assert sum('" 0 DC ' in line for line in common[:6000]) > 0 and calls["line"] == 0  # code 0 too


def test_istio_text_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Istio's default text line (Envoy's second layout): bench traffic, odd lines, mutations, days, a window;
    plain traffic read in C, client-gone lines (code 0) too."""
    common = list(bench_traffic.lines("envoy-istio", "ids", 20_000, seed=173))
    odd = ODD_ISTIO_LINES + ODD_ENVOY_TEXT_LINES[-12:]
    _compare_everywhere(tmp_path, monkeypatch, ENVOY_TEXT, common, odd, _envoy_restamped, random.Random(179))
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, _write(tmp_path / "plain.log", common[:6000]), ENVOY_TEXT)
    assert_same(fast, slow)
    assert sum('" 0 DC ' in line for line in common[:6000]) > 0 and calls["line"] == 0  # code 0 too


# ------------------------------------------------------------------------------------ Sōzu's access lines

SOZU = FORMATS["sozu-access"]
_SOZU_FIXTURE = Path(__file__).parent / "fixtures/sozu/sozu-access.log"
_S = (
    "2026-06-10T14:00:29.845727Z 1781100029845727417 41237 INFO-ACCESS  WRK-00\t[01KTRXAMB7S9RM 01KTRXAMB8QPWY "
    "synapse synapse-0] 192.0.2.140:57493 10.0.0.5:8008 22s/535\u03bcs/22s/23ms/45\u03bcs 847 9737 "
    "[user-agent=Mozilla/5.0_(X11)] None http matrix.example.com GET /_matrix/client/v3/sync?timeout=30000 200 "
    "| H1::Complete"
)


_s = _edits(_S)  # a Sōzu 2.x INFO-ACCESS line

ODD_SOZU_LINES = [
    *_SOZU_FIXTURE.read_text().splitlines()[:20],
    _s(),
    _s("INFO-ACCESS  WRK-00", "ERROR-ACCESS WRK-00"),
    _s("INFO-ACCESS  WRK-00", "INFO-ACCESS WRK-00"),  # one space: the reader's
    _s("INFO-ACCESS  WRK-00", "ERROR-ACCESS  WRK-00"),
    _s("INFO-ACCESS  WRK-00", "WARN-ACCESS  WRK-00"),
    _s("INFO-ACCESS  WRK-00", "INFO-ACCESS  UNINITIALIZED").replace(" 41237 ", " 0 "),
    _s("WRK-00\t", "WRK-00 \t"),
    _s("WRK-00\t", "WRK-00  "),
    _s("WRK-00", "WRK[00"),
    _s("WRK-00", "WRK\\00"),
    _s("WRK-00", "WRK-\u00e900"),
    _s("WRK-00", "W" * 65),
    _s(" 41237 ", " -41237 "),
    _s(" 41237 ", " 12345678901 "),
    _s(" 1781100029845727417 ", " -1 "),
    _s("[01KTRXAMB7S9RM 01KTRXAMB8QPWY synapse synapse-0]", "[01KTRXAMB8QPWY synapse synapse-0]"),  # Sōzu 1.0
    _s("[01KTRXAMB7S9RM 01KTRXAMB8QPWY synapse synapse-0]", "[a b c d e]"),
    _s("[01KTRXAMB7S9RM 01KTRXAMB8QPWY synapse synapse-0]", "[a  c d]"),
    _s("[01KTRXAMB7S9RM 01KTRXAMB8QPWY synapse synapse-0]", "[- - - -]"),
    _s("[01KTRXAMB7S9RM 01KTRXAMB8QPWY synapse synapse-0]", "[a\tb c d]"),
    _s("[01KTRXAMB7S9RM 01KTRXAMB8QPWY synapse synapse-0]", "[a[ b c d]"),
    _s("[01KTRXAMB7S9RM 01KTRXAMB8QPWY synapse synapse-0]", "[" + "x" * 97 + " b c d]"),
    _s("synapse-0]", "synapse-\u00e9]"),
    _s(" 10.0.0.5:8008 ", " - "),
    _s("192.0.2.140:57493", "[2001:db8::1]:443"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "22s/535\u00b5s/22s/23ms/45us"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "22s/535ns/22s/23ms/45ns"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "-/-/-/-/-"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "22s/535\u03bcs/-/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "-/535\u03bcs/22s/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "22s/535\u03bcs/22s/23ms"),  # four: Sōzu 1.0
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "22s/535\u03bcs/22s/23ms/45\u03bcs/1ms"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "22.5s/535\u03bcs/22s/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "22/535\u03bcs/22s/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "22S/535\u03bcs/22s/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "NaNs/535\u03bcs/22s/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "s/535\u03bcs/22s/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "0022s/535\u03bcs/22s/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "315360000s/535\u03bcs/22s/23ms/45\u03bcs"),  # ten years
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "315360001s/535\u03bcs/22s/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "315360000000000000ns/1s/315360000000000001ns/1s/1s"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "99999999999999999999ns/1s/1s/1s/1s"),  # 20 digits
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "100000000000000000000ns/1s/1s/1s/1s"),  # 21
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "000000000000000000001s/1s/1s/1s/1s"),  # 21, a small value
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "17ms/3ms/7ms/1ms/1ms"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "950ns/1ms/412\u00b5s/1ms/1ms"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "950\u03bcs/1ms/412us/1ms/1ms"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "95us/1ms/7ns/1ms/1ms"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "22s /535\u03bcs/22s/23ms/45\u03bcs"),
    _s("22s/535\u03bcs/22s/23ms/45\u03bcs", "\u0662\u0662s/535\u03bcs/22s/23ms/45\u03bcs"),  # other digits
    _s(" 847 9737 ", " 847 -1 "),
    _s("[user-agent=Mozilla/5.0_(X11)]", "[]"),
    _s("[user-agent=Mozilla/5.0_(X11)]", "[a] b]"),
    _s("[user-agent=Mozilla/5.0_(X11)]", "[a]b]"),
    _s("[user-agent=Mozilla/5.0_(X11)]", "[a\x00b]"),
    _s("[user-agent=Mozilla/5.0_(X11)]", "[caf\u00e9 x]"),
    _s("] None ", "] Some(0af7651916cd43dd8448eb211c80319c) "),
    _s("] None ", "] "),  # no otel field: the reader's
    _s("] None ", "] none "),
    _s(" http ", " " + "h" * 33 + " "),
    _s(" http matrix.example.com GET /_matrix/client/v3/sync?timeout=30000 200 ", " tcp - "),  # a TCP session
    _s(" matrix.example.com ", " - "),
    _s(" matrix.example.com ", " MATRIX.example.com:8448 "),
    _s(" GET ", " get "),
    _s(" GET ", " - "),
    _s(" GET ", " G1 "),
    _s(" GET ", " " + "G" * 33 + " "),
    _s("/_matrix/client/v3/sync?timeout=30000", "-"),
    _s("/_matrix/client/v3/sync?timeout=30000", "*"),
    _s("/_matrix/client/v3/sync?timeout=30000", "https://matrix.example.com/sync"),
    _s("/_matrix/client/v3/sync?timeout=30000", "/caf\u00e9"),
    _s(" 200 | ", " 504 | "),
    _s(" 200 | ", " - | "),
    _s(" 200 | ", " 099 | "),
    _s(" 200 | ", " 2000 | "),
    _s(" 200 | ", " 20a | "),
    _s(" 200 | ", " 200 |"),
    _s("| H1::Complete", "| backend_timeout"),
    _s("| H1::Complete", "| H2::ResetFrame"),
    _s("| H1::Complete", "| H2::IdleTimeout"),
    _s("| H1::Complete", "| backend socket timeout"),
    _s("| H1::Complete", "| "),
    _s("| H1::Complete", "| H1::Complete  "),
    _s("| H1::Complete", "|  H1::Complete"),
    _s("| H1::Complete", "| a | b"),
    _s("| H1::Complete", "| H1::\x00Complete"),
    _s("| H1::Complete", "| H1::Compl\u00e9te"),
    _s(" | H1::Complete", ""),
    _s(" | H1::Complete", " "),
    _s() + "\r",
    _s() + " ",
    "\x00\x00" + _s(),
    " " + _s(),
    _s("INFO-ACCESS", "\x1b[32mINFO-ACCESS\x1b[0m"),
    _s("| H1::Complete", "| \x1b[31mH1::Complete\x1b[0m"),
    _s("2026-06-10T14:00:29.845727Z", "2026-06-10T14:00:29Z"),
    _s("2026-06-10T14:00:29.845727Z", "2026-06-10T14:00:29.123456789Z"),
    _s("2026-06-10T14:00:29.845727Z", "2026-06-10T14:00:29.1234567891Z"),
    _s("2026-06-10T14:00:29.845727Z", "2026-06-10T14:00:29.845727+00:00"),
    _s("2026-06-10T14:00:29.845727Z", "2026-06-10T14:00:29.845727z"),
    _s("2026-06-10T14:00:29.845727Z", "2026-06-10 14:00:29.845727Z"),
    _s("2026-06-10T14:00:29.845727Z", "2026-02-30T14:00:29.845727Z"),
    _s("2026-06-10T14:00:29.845727Z", "1969-06-10T14:00:29.845727Z"),
    _s("2026-06-10T14:00:29.845727Z", "2026-06-10T24:00:29.845727Z"),
    _s("2026-06-10T14:00:29.845727Z", "2026-06-10T14:00:60.5Z"),
    "2026-06-10T14:00:31.000001Z 1781100031000001000 41237 ERROR  WRK-00\tbackend server synapse-0 at "
    "10.0.0.5:8008 is down",
    "2026-06-10T14:00:31.000001Z 1781100031000001000 41237 INFO  WRK-00\tstarting worker",
    "not a sozu line",
]


def _sozu_restamped(lines: list[str], rnd: random.Random) -> list[str]:
    return _iso_restamped(lines, rnd, ["", ".5", "rnd", ".123456789"], ["Z", "Z", "+00:00"])


def test_sozu_access_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sōzu 2.x access lines: bench traffic, the fixture, odd lines, mutations, days, a window; plain traffic read
    in C, its client resets (status "-") too."""
    assert fastpath.available(SOZU)
    common = list(bench_traffic.lines("sozu-access", "ids", 20_000, seed=157))
    _compare_everywhere(tmp_path, monkeypatch, SOZU, common, ODD_SOZU_LINES, _sozu_restamped, random.Random(163))
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, _write(tmp_path / "plain.log", common[:6000]), SOZU)
    assert_same(fast, slow)
    assert sum(" - | H2::ResetFrame" in line for line in common[:6000]) > 0 and calls["line"] == 0
    fixture = _SOZU_FIXTURE.read_text().splitlines()
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, _write(tmp_path / "fixture.log", fixture * 50), None)
    assert fast.inputs[0].format == "sozu-access" and fast.inputs[0].parsed == 50 * len(fixture)
    assert calls["line"] == 0
    assert_same(fast, slow)


_ISO_Z = re.compile(r"\d{4}-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d{1,9})?Z")
_UNIT = re.compile(r"([0-9]{1,20})(s|ms|us|ns|\u03bcs|\u00b5s)|-")


def _c_reads(values: dict[str, str]) -> bool:
    """Whether the compiled path's roles take these layout values (else the line is the reader's)."""
    time = _ISO_Z.fullmatch(values["now"])
    if not time or values["now"][:4] < "1970" or int(time[3]) > 23 or int(time[4]) > 59 or int(time[5]) > 60:
        return False
    month, day = int(time[1]), int(time[2])
    if not 1 <= month <= 12 or not 1 <= day <= [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]:
        return False  # (leap years aside: this only narrows what the test compares)
    for name in ("request_time", "service_time", "response_time", "client_rtt", "server_rtt"):
        m = _UNIT.fullmatch(values[name])
        if not m or (m[1] and int(m[1]) * {"s": 10**9, "ms": 10**6, "ns": 1}.get(m[2], 1000) > 315360000 * 10**9):
            return False
    path = values["path"]
    return (
        re.fullmatch(r"[A-Z].*|-", values["method"]) is not None
        and re.fullmatch(r"[1-9][0-9][0-9]|-", values["status"]) is not None
        and path.startswith("/")
        and len(path) <= 16384
        and all("!" <= c <= "~" for c in path)
        and "\x00" not in "".join(values.values())
    )


def test_sozu_layouts_read_what_the_reader_reads() -> None:
    """Wherever a layout matches and its roles take the values (the compiled path reads the line), the reader
    reads the line too, with the same values: odd lines and 20 000 mutations of them, for each layout."""
    from lpdoctor.logformats import sozu_log
    from lpdoctor.logformats.layout import layout_regex

    matched = 0
    for n, layout in enumerate(sozu_log.ACCESS_LAYOUTS):
        before = [layout_regex(other) for other in sozu_log.ACCESS_LAYOUTS[:n]]  # (the C walk tries them first)
        for line, values in _layout_values(layout, ODD_SOZU_LINES, seed=167 + n):
            if not values or not _c_reads(values) or any(regex.match(line) for regex in before):
                continue
            matched += 1
            got = sozu_log.parse_access_fields(line)
            assert got is not None, line
            assert got.time == sozu_log.rfc3339_epoch(values["now"]), line
            assert got.error == (n >= 2), line
            assert (got.authority, got.method, got.target) == (
                None if values["authority"] == "-" else values["authority"],
                None if values["method"] == "-" else values["method"],
                values["path"],
            ), line
            assert got.status == (None if values["status"] == "-" else int(values["status"])) and not got.tcp, line
            assert got.total_s == sozu_log.parse_sozu_duration(values["request_time"]), line
            assert got.response_s == sozu_log.parse_sozu_duration(values["response_time"]), line
            assert got.backend_addr == (None if values["backend_addr"] == "-" else values["backend_addr"]), line
            # (the message is in the group key as written: the reader's reading of it, colours out, is its own)
            assert got.message == (sozu_log.strip_ansi(values.get("message") or "").strip() or None), line
    assert matched > 1000
