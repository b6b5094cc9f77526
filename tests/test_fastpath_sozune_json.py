"""The compiled path of Sōzune's JSON lines (``log.format: json``; format ``sozune``): the scanner walks a line
that starts with ``{`` with sozune_log.FAST_KEYS and gives exactly what ``sozune_log._parse_json`` gives.

Each log is read twice, through ``lpdoctor/scan/_combined_fast.c`` and line by line in Python
(``LPDOCTOR_NO_FAST=1``), and the two aggregates compared (tests/test_fastpath.py's ``_compare_everywhere``:
bench traffic, odd lines in their place, seeded mutations, times spread over days and a window). The parser's
calls are counted too: the lines Sōzune writes are read in C (the parser reads one line a group), and every line
the reader might read otherwise goes to it whole.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from bench import traffic as bench_traffic
from lpdoctor.logformats.registry import all_formats
from lpdoctor.scan import fastpath
from tests.test_fastpath import (
    _LONG_NUMBERS,
    _RAW_STRINGS,
    _compare_everywhere,
    _fraction,
    _second_in_days,
    _write,
    assert_same,
    both,
    built,
    counted_parses,
)

pytestmark = built
ROOT = Path(__file__).resolve().parent.parent
SOZUNE = {f.name: f for f in all_formats()}["sozune"]
_FIXTURE = (ROOT / "tests/fixtures/sozu/sozune-stdout-json.log").read_text(encoding="utf-8").splitlines()
_DROP = object()
# the access fields, in the order Sōzune writes them (the fixture's)
_ACCESS: dict[str, Any] = {
    "client_ip": "198.51.100.7",
    "method": "GET",
    "host": "matrix.example.com",
    "path": "/_matrix/client/v3/sync",
    "status": 200,
    "duration_ms": 29870,
    "phase": "backend",
    "trace_id": "-",
    "message": "198.51.100.7 GET matrix.example.com /_matrix/client/v3/sync 200 29870ms (backend) trace=-",
}
_SPAN = {
    "otel.name": "GET matrix.example.com",
    "http.request.method": "GET",
    "server.address": "matrix.example.com",
    "url.path": "/_matrix/client/v3/sync",
    "http.response.status_code": 200,
    "name": "proxy.request",
}


def _szj(nested: bool = False, fields: Any = _DROP, **values: Any) -> str:
    """A Sōzune JSON access line: the access fields flattened (``log.format: json``, as Sōzune writes them), or
    under ``fields`` (``nested``: tracing-subscriber's default JSON); ``values`` replace or add keys where they
    belong (``_DROP``: left out); ``fields``: a ``fields`` object of a flattened line."""
    access = {**_ACCESS, **{k: v for k, v in values.items() if k in _ACCESS or k not in _HEAD}}
    head = {**_HEAD, **{k: v for k, v in values.items() if k in _HEAD}}
    access = {k: v for k, v in access.items() if v is not _DROP}
    head = {k: v for k, v in head.items() if v is not _DROP}
    if nested:
        line = {"timestamp": head.pop("timestamp", _DROP), "level": head.pop("level", _DROP), "fields": access}
        line.update(head)
    else:
        line = {"timestamp": head.pop("timestamp", _DROP), "level": head.pop("level", _DROP)}
        line.update({"target": head.pop("target", _DROP)})
        line.update(access)
        if fields is not _DROP:
            line["fields"] = fields
        line.update(head)
    return json.dumps({k: v for k, v in line.items() if v is not _DROP}, separators=(",", ":"), ensure_ascii=False)


_HEAD: dict[str, Any] = {
    "timestamp": "2026-11-21T10:00:30.075469Z",
    "level": "INFO",
    "target": "access",
    "span": _SPAN,
}
_KEYS = ("status", "duration_ms", "method", "host", "path", "phase")
_OTHER_TYPES = (None, True, False, 0, 200, 12.5, -1, "", "200", "x", [], {}, ["GET"], {"a": 1})


def _valid(key: str, value: Any) -> bool:
    """Whether one of _OTHER_TYPES is a value the compiled path reads for ``key``."""
    if key == "status":
        return value == 200 and type(value) is int
    if key == "duration_ms":
        return value in (0, 200) and type(value) is int
    return key in ("method", "host", "phase") and value in ("x", "200")


# Lines the compiled path reads (each is one group; the parser reads its first line, no line alone).
READ_IN_C = [
    _szj(),
    _szj(nested=True),
    _szj(status=504, duration_ms=30001, phase="middleware"),
    _szj(status=100),
    _szj(status=999),
    _szj(status=499, duration_ms=0),
    _szj(duration_ms=315_360_000_000),  # sozune_log._MAX_DURATION_MS
    _szj(duration_ms=999_999_999),
    _szj(phase=_DROP),
    _szj(nested=True, phase=_DROP),
    _szj(phase="p" * 32),
    _szj(phase="Backend"),
    _szj(phase="back end"),
    _szj(method="M" * 32),
    _szj(method="get"),
    _szj(method="M-SEARCH"),
    _szj(host="h" * 255),
    _szj(host="MATRIX.Example.COM"),
    _szj(host="caf\u00e9.example"),
    _szj(host="\u00e9" * 127),  # 254 bytes
    _szj(host="matrix.example.com:8448"),
    _szj(path="/_matrix/client/v3/sync?timeout=30000&since=s1_2"),
    _szj(path="/api/events/poll?timeout=55"),
    _szj(path="/a#f?timeout=5"),
    _szj(path="/" + "p" * 16_383),
    _szj(path="/"),
    _szj(path="//x"),
    _szj(path="/users/!room:example.org/%41"),
    _szj(client_ip=_DROP),
    _szj(client_ip=7),
    _szj(client_ip="\\u0000"),
    _szj(message=_DROP),
    _szj(message=None),
    _szj(message="\u00e9\\u0000 \\n"),
    _szj(trace_id=_DROP),
    _szj(span=_DROP),
    _szj(spans=[_SPAN, {"name": "x", "n": [1, 2.5e3, None]}]),
    _szj(timestamp=_DROP),
    _szj(timestamp="2026-11-21T10:00:30Z"),
    _szj(timestamp="2026-11-21T10:00:30.5Z"),
    _szj(timestamp="2026-11-21T10:00:30.123456789Z"),
    _szj(timestamp="2026-11-21T10:00:30.075469+00:00"),
    _szj(timestamp="2026-11-21T23:59:60.5Z"),
    _szj(timestamp="2028-02-29T10:00:30Z"),
    _szj(timestamp="1970-01-01T00:00:00Z"),
    _szj(fields={"message": "x", "client_ip": "1.2.3.4", "timestamp": "-", "level": "x", "target": "x"}),
    _szj(nested=True, message="x", timestamp="2026-11-21T10:00:30Z"),
    _szj(fields={}),
    _szj(**{"k" * 63: 1}),
    _szj(**{"fields.status": 504}),  # a top-level key with a dot in its name is not under "fields"
    _szj(**{"Status": 504}),  # (keys are read as they are)
    "{" + ",".join(f'"k{n}":{n}' for n in range(70)) + "," + _szj()[1:],  # more keys than the walker remembers
    '{"level":"INFO","target":"access","method":"GET","host":"h","path":"/a","status":200,"duration_ms":12}',
    '{ "level" : "INFO" , "target":"access","method":"GET","host":"h","path":"/b","status":200,"duration_ms":12 }',
    '{"status":200,"duration_ms":12,"path":"/c","host":"h","method":"GET","target":"access","level":"INFO"}',
]

# Lines the compiled path leaves to the reader, whole: what the reader might read another way (or not at all).
LEFT_TO_PYTHON = [
    # a key missing, or at the top level and under "fields" both (the top level wins in the reader)
    *(_szj(**{key: _DROP}) for key in ("level", "target", *_KEYS[:5])),
    *(_szj(nested=True, **{key: _DROP}) for key in _KEYS[:5]),
    *(_szj(fields={key: _ACCESS[key]}) for key in _KEYS),
    *(_szj(fields={key: _OTHER_TYPES[0]}) for key in _KEYS),
    _szj(fields={"status": 504}),
    # a top-level key named "fields.<key>" is not under "fields": the reader reads the message, or nothing
    _szj(status=_DROP, **{"fields.status": 504}),
    _szj(duration_ms=_DROP, **{"fields.duration_ms": 5}),
    _szj(path=_DROP, message=_DROP, **{"fields.path": "/a"}),
    # other types
    *(_szj(**{key: value}) for key in ("level", "target", *_KEYS) for value in _OTHER_TYPES if not _valid(key, value)),
    *(_szj(nested=True, **{key: v}) for key in _KEYS for v in (None, "200", 12.5, []) if not _valid(key, v)),
    _szj(timestamp=None),
    _szj(timestamp=1795132800),
    _szj(timestamp=""),
    _szj(timestamp="-"),
    # levels and targets
    *(_szj(level=level) for level in ("info", "Info", "INFO ", " INFO", "WARN", "ERROR", "DEBUG", "I" * 9)),
    *(_szj(target=target) for target in ("sozune::middleware::proxy", "Access", "access ", "sozune", "")),
    # statuses
    _szj().replace('"status":200', '"status":099'),
    _szj().replace('"status":200', '"status":200.0'),
    _szj().replace('"status":200', '"status":2e2'),
    _szj().replace('"status":200', '"status":-200'),
    _szj().replace('"status":200', '"status":0200'),
    *(_szj(status=status) for status in (99, 0, 1000, 12345, "200", "504", 200.0, 504.5, True)),
    # durations
    *(_szj(duration_ms=d) for d in (12.5, 12.0, "12", "-", -1, 315_360_000_001, 10**15, 10**30, 1e3, True, None)),
    _szj().replace('"duration_ms":29870', '"duration_ms":29870.0'),
    _szj().replace('"duration_ms":29870', '"duration_ms":2.987e4'),
    _szj().replace('"duration_ms":29870', '"duration_ms":-0'),
    _szj().replace('"duration_ms":29870', '"duration_ms":029870'),
    _szj().replace('"duration_ms":29870', '"duration_ms":Infinity'),
    _szj().replace('"duration_ms":29870', '"duration_ms":NaN'),
    # strings: empty, too long, escaped
    _szj(method=""),
    _szj(method="M" * 33),
    _szj(host=""),
    _szj(host="h" * 256),
    _szj(host="\u00e9" * 128),  # 256 bytes, 128 characters: the reader reads it
    _szj(phase=""),
    _szj(phase="p" * 33),
    _szj(path=""),
    _szj(path="/" + "p" * 16_384),
    _szj(path="api/x"),
    _szj(path="*"),
    _szj(path="http://h.example/a"),
    _szj(path="/caf\u00e9"),
    _szj(path="/a b"),
    _szj(method="G\\u0045T").replace("\\\\u", "\\u"),
    _szj(host="h\\u0000").replace("\\\\u", "\\u"),
    _szj(phase="back\\/end").replace("\\\\/", "\\/"),
    _szj(path="/a\\/b").replace("\\\\/", "\\/"),
    _szj(level="IN\\u0046O").replace("\\\\u", "\\u"),
    _szj(target="acces\\u0073").replace("\\\\u", "\\u"),
    _szj(timestamp="2026-11-21T10:00:30.075469\\u005a").replace("\\\\u", "\\u"),
    # timestamps the C does not read as rfc3339_epoch does
    *(
        _szj(timestamp=stamp)
        for stamp in (
            "2026-11-21T10:00:30.075469z",
            "2026-11-21 10:00:30.075469Z",
            "2026-11-21T10:00:30.075469+02:00",
            "2026-11-21T10:00:30.075469-05:30",
            "2026-11-21T10:00:30-00:00",
            "2026-11-21T10:00:30+00:00",  # (J_ISO_UTC reads +00:00 only after a fraction: Python, same time)
            "2026-11-21T10:00:30.075469",
            "2026-11-21T10:00:30.0754691234Z",
            "2026-11-21T10:00:30.Z",
            "2026-11-21T24:00:30Z",
            "2026-02-31T10:00:30Z",
            "2026-13-21T10:00:30Z",
            "0000-11-21T10:00:30Z",
            "1969-12-31T23:59:59Z",
            "2026-11-21T10:00:30,5Z",
            "2026-11-21T10:00:30.075469Z " + "x" * 40,
            "21/Nov/2026:10:00:30 +0000",
        )
    ),
    # "fields" that is not an object, twice, or holding the line's keys twice
    _szj(fields=None),
    _szj(fields=[]),
    _szj(fields="x"),
    _szj(fields=1),
    _szj(nested=True).replace('"fields":{', '"fields":{},"fields":{', 1),
    # keys twice (json.loads keeps the last value)
    *(_szj().replace(f'"{key}":', f'"{key}":"x","{key}":', 1) for key in ("level", "target", "timestamp", *_KEYS)),
    # the message alone (the reader reads the access line from it)
    _szj(status=_DROP, duration_ms=_DROP, method=_DROP, host=_DROP, path=_DROP),
    _szj(duration_ms="-"),
    # not JSON, or not as the reader reads it
    " " + _szj(),
    _szj() + " ",
    _szj() + "\t",
    _szj() + "\u00a0",
    "\x00" + _szj(),
    "\x1b[2m" + _szj() + "\x1b[0m",
    _szj(path="/a\x1b[0m"),
    _szj()[:-1],
    _szj() + "}",
    _szj() + " trailing",
    _szj()[:-1] + ",}",
    "\ufeff" + _szj(),
    _szj(span="x" * 65_600),
    _szj(span=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]),
    _szj(**{"k" * 64: 1}),
    _szj(**{"ke\u00e9": 1}),
    _szj(**{"st\\u0061tus": 504}).replace("\\\\u", "\\u"),
]
_BASE = _szj(host="HOST", phase="PHASE", method="METHOD", client_ip="CLIENT")
# raw string contents (escapes, control characters, bytes above 0x7f, invalid UTF-8) at every offset
ODD_RAW = [_BASE.replace('"CLIENT"', f'"{raw}"') for raw in _RAW_STRINGS[::2]]
ODD_RAW += [_BASE.replace('"HOST"', f'"{raw}"') for raw in _RAW_STRINGS[::3]]
ODD_RAW += [_BASE.replace('"PHASE"', f'"{raw[:30]}"') for raw in _RAW_STRINGS[1::3]]
ODD_RAW += [_BASE.replace('"METHOD"', f'"{raw[:30]}"') for raw in _RAW_STRINGS[2::3]]
ODD_RAW += [_BASE.replace('/_matrix/client/v3/sync"', f'/{raw}"') for raw in _RAW_STRINGS[::5]]
# numbers json.loads refuses (too many digits for int()) or takes (the walker leaves some of those to Python)
ODD_RAW += [_szj().replace('"trace_id":"-"', f'"trace_id":{number}') for number in _LONG_NUMBERS]
ODD_SOZUNE_JSON_LINES = [*_FIXTURE, *READ_IN_C, *LEFT_TO_PYTHON, *ODD_RAW]


def _restamped(lines: list[str], rnd: random.Random) -> list[str]:
    """Sōzune JSON lines with their timestamp spread over days, in the forms it may take (or none)."""
    out = []
    for line in lines:
        stamp = _second_in_days(rnd) + _fraction(rnd, (0, 1, 6, 6, 6, 9))
        zone = rnd.choice(("Z", "Z", "Z", "+00:00", "+02:00", ""))
        new = f'"timestamp":"{stamp}{zone}",' if zone else ""
        out.append(re.sub(r'"timestamp":"[^"]*",', new, line, count=1))
    return out


def _one_line_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: list[str]) -> list[dict[str, int]]:
    """Each line alone in a log: the parser's calls of the compiled path (the aggregates compared too)."""
    out = []
    for n, line in enumerate(lines):
        log = _write(tmp_path / f"one-{n}.log", [line])
        calls = counted_parses(monkeypatch)
        fast, slow = both(monkeypatch, log, SOZUNE)
        out.append(dict(calls))
        assert_same(fast, slow)
        assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
        monkeypatch.undo()
    return out


def test_what_the_compiled_path_reads_and_what_it_leaves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each line alone: READ_IN_C lines are read in C (the parser reads the group's first line, none alone);
    LEFT_TO_PYTHON lines go to the reader whole. Both give the Python path's aggregate."""
    for line, calls in zip(READ_IN_C, _one_line_each(tmp_path, monkeypatch, READ_IN_C), strict=True):
        assert calls == {"group": 1, "line": 0}, line
    for line, calls in zip(LEFT_TO_PYTHON, _one_line_each(tmp_path, monkeypatch, LEFT_TO_PYTHON), strict=True):
        assert calls == {"group": 0, "line": 1}, line[:300]


def test_sozune_json_traffic_odd_lines_and_mutations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sōzune JSON lines (the compiled path reads them too): bench traffic with every odd line in its place
    (auto-detected), seeded mutations, times spread over days, and a window."""
    common = list(bench_traffic.lines("sozune-json", "ids", 20_000, seed=83))
    _compare_everywhere(
        tmp_path, monkeypatch, SOZUNE, common, ODD_SOZUNE_JSON_LINES, _restamped, random.Random(89), detect=True
    )


def test_real_lines_take_the_compiled_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixture (Sōzune's JSON access and error lines, the embedded Sōzu's text lines, start-up noise) with the
    bench's JSON and text lines mixed in one stream: every access line, JSON or text, is read in C; the parser
    reads one line a group, and alone only the fixture's other lines."""
    access = [line for line in _FIXTURE if '"target":"access"' in line]
    assert len(access) == 42
    json_lines = list(bench_traffic.lines("sozune-json", "ids", 6000, seed=3))
    text_lines = list(bench_traffic.lines("sozune", "ids", 6000, seed=5))
    mixed = [line for pair in zip(json_lines, text_lines, strict=True) for line in pair]
    log = _write(tmp_path / "real.log", _FIXTURE * 100 + mixed)
    calls = counted_parses(monkeypatch)
    fast, slow = both(monkeypatch, log, None)
    assert fast.inputs[0].format == "sozune"
    assert fast.inputs[0].parsed == slow.inputs[0].parsed == 12_000 + 100 * (len(_FIXTURE) - 2)
    assert calls["line"] == 100 * (len(_FIXTURE) - len(access)) and 0 < calls["group"] < 1000
    assert_same(fast, slow)


def test_every_key_the_json_reader_reads_has_a_compiled_role() -> None:
    """A key _parse_json learns to read must be in FAST_KEYS (and, read through get(), under "fields" too in
    FAST_ALIASES), or be one the compiled path need not read: the client (the aggregate does not read it) and the
    message (read only when the fields are not valid: Python)."""
    from lpdoctor.logformats import sozune_log

    source = (ROOT / "lpdoctor/logformats/sozune_log.py").read_text(encoding="utf-8")
    body = source.split("def _parse_json", 1)[1].split("\ndef ", 1)[0]
    top = set(re.findall(r'obj\.get\("([^"]+)"\)', body))
    either = set(re.findall(r'(?<![.\w])get\("([^"]+)"\)', body)) - {"client_ip", "message"}
    assert {name for name, *_ in sozune_log.FAST_KEYS} == top | either
    assert {f"fields.{key}": key for key in either} == sozune_log.FAST_ALIASES
    assert {role for _, role, *_ in sozune_log.FAST_KEYS} <= set(fastpath._JSON_ROLES)
