"""A group's many distinct durations folded as they come (``durations_add`` in ``_combined_fast.c``): once a
group has more than FOLD_MIN (48) distinct durations, each (histogram bin, failure bin) cell keeps its smallest
and largest value and the rest's count, sum and times, instead of one entry per distinct value. What Python is
handed over must be what folding every value at the hand-over gives (``_combined_fast.c``'s contract): here
checked item by item against a model of that contract written from the Python path's own bin functions, and
aggregate against the Python path, with the values arriving in every order, repeated, and across hand-overs."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from bench import traffic as bench_traffic
from lpdoctor.logformats.logs import parse_line
from lpdoctor.model import RequestRecord
from lpdoctor.scan import fastpath
from lpdoctor.scan.histogram import bin_key
from lpdoctor.scan.pipeline import aggregate_file
from lpdoctor.scan.time_buckets import failure_bin
from lpdoctor.text.durations import MAX_REQUEST_S
from tests.test_fastpath import FORMATS, assert_same, both, built
from tests.test_fastpath_cap import restamped

FOLD_MIN = 48
FOLD_MAX_VALUE = 1 << 50

# Cell anchors (seconds) on and around every histogram and failure bin edge, and inside wide cells.
_ANCHORS = [
    0.0,
    0.0004994,
    0.0005,
    0.0123,
    0.4995,
    0.9994,
    0.9995,
    0.9996,
    1.5,
    9.994,
    9.995,
    9.996,
    30.0,
    59.449,
    59.45,
    59.5,
    99.94,
    99.95,
    100.0,
    599.4,
    599.5,
    600.0,
    1234.5,
    3599.4,
    3599.5,
    3600.0,
    7199.9,
    7200.0,
    90000.0,
]


def _values(r: random.Random, unit: int) -> list[int]:
    """Durations in whole ``unit``s a second: around each anchor a cell's worth of 1 to 7 distinct values
    (one unit apart, so most stay in the anchor's cell and some cross its edge), each seen 1 to 3 times."""
    out = []
    for anchor in _ANCHORS:
        base = round(anchor * unit)
        for j in range(r.randint(1, 7)):
            out += [base + j] * r.randint(1, 3)
    return out


def _order(plan: list[tuple[int, int]], order: str, r: random.Random) -> list[tuple[int, int]]:
    """(value, status) pairs in the order of the lines."""
    if order == "ascending":  # each new value the largest of its cell so far
        return sorted(plan)
    if order == "descending":  # ... the smallest
        return sorted(plan, reverse=True)
    plan = list(plan)
    r.shuffle(plan)
    return plan


def _traefik_line(tmpl: str, ns: int, status: int, start_s: int) -> str:
    line = re.sub(r'"Duration":\d+', f'"Duration":{ns}', tmpl)
    line = re.sub(r'"(Downstream|Origin)Status":\d+', rf'"\1Status":{status}', line)
    hh, mm, ss = start_s // 3600, start_s // 60 % 60, start_s % 60
    return re.sub(r'"StartUTC":"[^"]*"', f'"StartUTC":"2026-06-09T{hh:02}:{mm:02}:{ss:02}.{ns % 997:09}Z"', line)


def _expected(lines: list[tuple[int, float]]) -> list[tuple[str, Any, int, float, float]]:
    """What the contract hands over for a group's (nanoseconds, time) lines: each distinct value as
    (value, lines, first time, last time), sorted; once there are more than FOLD_MIN, each run of more than three
    distinct values of one (bin_key, failure_bin) cell as its smallest, the rest's clamped mean (a float) and
    its largest. Typed, so that an int is not taken for a float of the same value."""
    n: dict[int, int] = defaultdict(int)
    lo: dict[int, float] = {}
    hi: dict[int, float] = {}
    for v, t in lines:
        n[v] += 1
        lo[v] = min(lo.get(v, t), t)
        hi[v] = max(hi.get(v, t), t)
    values = sorted(n)
    whole = [("int", v, n[v], lo[v], hi[v]) for v in values]
    if len(values) <= FOLD_MIN:
        return whole

    def cell(v: int) -> tuple[int, int] | None:
        s = v / 1_000_000_000
        return (bin_key(s), failure_bin(s)) if 0 <= v <= FOLD_MAX_VALUE and 0.0 <= s <= MAX_REQUEST_S else None

    out: list[tuple[str, Any, int, float, float]] = []
    i = 0
    while i < len(values):
        j = i + 1
        c = cell(values[i])
        while c is not None and j < len(values) and cell(values[j]) == c:
            j += 1
        if j - i <= 3:
            out += whole[i:j]
        else:
            rest = values[i + 1 : j - 1]
            count = sum(n[v] for v in rest)
            mean = sum(v * n[v] for v in rest) / count  # exact sums here (below 2**53): the double C computes
            mean = min(max(mean, float(rest[0])), float(rest[-1]))
            span = (min(lo[v] for v in rest), max(hi[v] for v in rest))
            out += [whole[i], ("float", mean, count, *span), whole[j - 1]]
        i = j
    return out


@built
@pytest.mark.parametrize("order", ["shuffled", "ascending", "descending"])
def test_folded_items_are_the_contracts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str) -> None:
    """Traefik lines of one route, in one hand-over: a 200 group and a 504 group with durations on every bin
    edge (more than FOLD_MIN distinct: folded), a 502 group with exactly FOLD_MIN (not folded, runs of four and
    more in one cell included) and a 503 group with one more (folded). Each group's items are the model's: the
    same values, counts, first and last times, and the rest's mean where a cell holds more than three values."""
    r = random.Random(f"online-fold-{order}")
    tmpl = next(iter(bench_traffic.lines("traefik-json", "few", 1, seed=1)))
    plan: list[tuple[int, int]] = [(v, 200) for v in _values(r, 1_000_000_000)]
    plan += [(v, 504) for v in _values(r, 1_000_000_000)]
    # 48 and 49 distinct values, 12 per cell (bin_key 30: 29.5 ms to 30.5 ms) and some repeated
    for status, distinct in ((502, FOLD_MIN), (503, FOLD_MIN + 1)):
        for k in range(distinct):
            ms = 28 + k // 12
            v = ms * 1_000_000 + 1_000 * (k % 12)
            plan += [(v, status)] * (1 + k % 2)
    plan = _order(plan, order, r)
    lines = [_traefik_line(tmpl, v, s, 36_000 + i) for i, (v, s) in enumerate(plan)]
    log = tmp_path / "traefik.log"
    log.write_text("\n".join(lines) + "\n")
    assert log.stat().st_size < (1 << 20)  # one block: each group in one hand-over

    fmt = FORMATS["traefik-json"]
    parse = fmt.parser()
    model: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for i, (text, (v, status)) in enumerate(zip(lines, plan, strict=True)):
        rec = parse_line(parse, text, i + 1, "t")
        assert isinstance(rec, RequestRecord) and rec.time is not None and rec.status == status
        model[status].append((v, rec.time))

    seen: dict[int, list[tuple[str, Any, int, float, float]]] = {}
    taken = fastpath._taken

    def recording(scanner: Any) -> Any:
        for entry in taken(scanner):
            if not isinstance(entry, RequestRecord):
                _, _, _, request_ms, _, key, _ = entry
                status = key[2]
                assert status not in seen  # one hand-over per group
                seen[status] = [(type(v).__name__, v, k, a, b) for v, k, a, b in request_ms]
            yield entry

    monkeypatch.setattr(fastpath, "_taken", recording)
    monkeypatch.delenv("LPDOCTOR_NO_FAST", raising=False)
    agg = aggregate_file(str(log), None)
    assert sum(rs.requests for rs in agg.routes.values()) == len(lines)
    assert set(seen) == {200, 502, 503, 504}
    for status, items in seen.items():
        got = sorted(items) if status == 502 else items  # (not folded: in the table's order)
        assert got == _expected(model[status]), status
    assert len(seen[502]) == FOLD_MIN
    assert any(t == "float" for t, *_ in seen[200]) and any(t == "float" for t, *_ in seen[503])


def _line(fmt: str, tmpl: str, v: int, status: int, i: int) -> str:
    """A bench line of ``fmt`` with the duration ``v`` (in the format's units) and the status given."""
    if fmt == "traefik-json":
        return _traefik_line(tmpl, v, status, 36_000 + i)
    return restamped(fmt, tmpl, str(v) if fmt == "apache-combined-D" else f"{v // 1000}.{v % 1000:03}", status)


_UNITS = {"traefik-json": 1_000_000_000, "nginx-timing": 1_000, "apache-combined-D": 1_000_000}


@built
@pytest.mark.parametrize("fmt", list(_UNITS))
@pytest.mark.parametrize("order", ["shuffled", "ascending", "descending"])
def test_online_fold_is_the_python_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, order: str) -> None:
    """Each format with a fast path and a duration unit, values on every bin edge in every order, repeated, some
    out of the histogram's range (above MAX_REQUEST_S: never folded), a hand-over every block (so a group folds
    anew after each): the Python path's aggregate, and exactly its bins, minimum, maximum and failure spans."""
    r = random.Random(f"{fmt}-{order}")
    unit = _UNITS[fmt]
    values: list[int] = []
    for _ in range(12):
        values += _values(r, unit)
    if fmt != "traefik-json":  # (Traefik's 15 digits of ns stay below 13 days)
        values += [int(MAX_REQUEST_S * unit) + k for k in (1, 1, 2, 3, 4, 5)]
    plan = _order([(v, 504 if v > 20 * unit else 200) for v in values], order, r)
    tmpl = next(iter(bench_traffic.lines(fmt, "few", 1, seed=1)))
    lines = [_line(fmt, tmpl, v, status, i) for i, (v, status) in enumerate(plan)]
    log = tmp_path / f"{fmt}.log"
    log.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 1)
    fast, slow = both(monkeypatch, log, None)
    assert sum(rs.requests for rs in fast.routes.values()) == len(lines)
    assert_same(fast, slow)
    for route, rs in slow.routes.items():
        mine = fast.routes[route]
        assert mine.durations.keys() == rs.durations.keys()
        for outcome, h in rs.durations.items():
            assert (mine.durations[outcome].min, mine.durations[outcome].max) == (h.min, h.max)
            assert mine.durations[outcome].bins == h.bins
        assert mine.failure_times == rs.failure_times
    assert sum(len(h.bins) for rs in slow.routes.values() for h in rs.durations.values()) > 15


@built
@pytest.mark.parametrize("fmt", ["traefik-json", "nginx-json", "envoy-json"])
def test_a_remembered_key_takes_its_colon_only_when_it_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """The JSON walker remembers each place's key with the ':' right after it (json_key): after compact lines,
    a line whose key is followed by anything else (spaces then ':', valid; ',' or ';' or nothing, which
    json.loads refuses) is read as the Python path reads it: the same lines parsed and skipped, the same
    aggregate."""
    good = list(bench_traffic.lines(fmt, "few", 40, seed=3))
    key = {"traefik-json": '"Duration":', "nginx-json": '"status":', "envoy-json": '"response_code":'}[fmt]
    assert all(key in line for line in good)
    odd = []
    for k, line in enumerate(good[20:]):
        bad = [key[:-1] + " :", key[:-1] + " : ", key[:-1] + ",", key[:-1] + ";", key[:-1] + " ", key[:-1]][k % 6]
        odd.append(line.replace(key, bad, 1))
    lines = [x for pair in zip(good[:20], odd, strict=True) for x in pair] + good[:5]
    log = tmp_path / f"{fmt}.log"
    log.write_text("\n".join(lines) + "\n")
    read = fastpath.read_line
    to_python: list[str] = []

    def counting(parse: Any, text: str, *args: Any) -> Any:
        to_python.append(text)
        return read(parse, text, *args)

    monkeypatch.setattr(fastpath, "read_line", counting)
    fast, slow = both(monkeypatch, log, None)
    assert fast.inputs[0].parsed == slow.inputs[0].parsed
    assert fast.inputs[0].skipped == slow.inputs[0].skipped > 0
    assert_same(fast, slow)
    # the compiled path read every valid line (the compact ones, and those with spaces before the ':'); only
    # the lines json.loads refuses went to the Python parser
    assert sorted(to_python) == sorted(x for x in odd if key[:-1] + " :" not in x)


@built
@pytest.mark.parametrize("fmt", ["traefik-json", "envoy-json"])
def test_a_start_time_read_again_from_its_date_and_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    """The walker reads a start time (Traefik's StartUTC, Envoy's start_time) whose first 19 bytes are the
    previous line's from those bytes' whole seconds, and reads only the fraction and the 'Z' again: times a
    second, a minute, a day, a month and a year apart, and after a valid one lines with the same date and time
    but a bad fraction, no 'Z', an offset or too many digits, are read as the Python path reads them (the odd ones
    by the Python parser)."""
    key = {"traefik-json": "StartUTC", "envoy-json": "start_time"}[fmt]
    tmpl = next(iter(bench_traffic.lines(fmt, "few", 1, seed=1)))
    stamps = [
        "2026-06-09T10:13:20.034742162Z",
        "2026-06-09T10:13:20.5Z",
        "2026-06-09T10:13:20Z",
        "2026-06-09T10:13:21.034Z",
        "2026-06-09T10:14:20.034Z",
        "2026-06-10T10:14:20.034Z",
        "2026-07-10T10:14:20.034Z",
        "2027-07-10T10:14:20.034Z",
        "2027-07-10T10:14:20.034",
        "2027-07-10T10:14:20.Z",
        "2027-07-10T10:14:20.0342342342Z",
        "2027-07-10T10:14:20+00:00",
        "2027-07-10T10:14:20.03a4Z",
        "2027-07-10T10:14:20.034Z",
        "2027-07-10T10:14:21,034Z",
        "2027-07-10T10:14:20.999Z",
        "2024-02-29T23:59:59.999Z",
        "2024-02-30T23:59:59.999Z",
        "2024-02-29T23:59:59.5Z",
    ]
    path = {"traefik-json": "RequestPath", "envoy-json": "x-envoy-origin-path"}[fmt]
    lines = []
    for stamp, word in zip(stamps, _WORDS, strict=False):  # a route each: its first and last time that line's
        line = re.sub(rf'"{key}":"[^"]*"', f'"{key}":"{stamp}"', tmpl)
        lines += [re.sub(rf'"{path}":"[^"]*"', f'"{path}":"/api/{word}"', line)] * 2
    log = tmp_path / f"{fmt}.log"
    log.write_text("\n".join(lines) + "\n")
    fast, slow = both(monkeypatch, log, None)
    assert fast.inputs[0].parsed == slow.inputs[0].parsed
    assert_same(fast, slow)
    times = {route: (rs.first_time, rs.last_time) for route, rs in slow.routes.items()}
    assert {route: (rs.first_time, rs.last_time) for route, rs in fast.routes.items()} == times
    assert len(times) > 12


_WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliett",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
]
_WORDS += ["quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey"]
