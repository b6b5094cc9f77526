"""Scanning on several processes, in pieces, and merging partials give the report a plain scan gives.

The logs come from the benchmark generator (bench/generate.py): realistic nginx combined + timing lines with
many distinct URLs, unique junk that fills the route cap, and long-polls cut at a wall.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.generate import generate
from lpdoctor.cli import main
from lpdoctor.commands.progress import ScanProgress
from lpdoctor.logformats.base import LogFormat, Parsed
from lpdoctor.logformats.registry import get_format
from lpdoctor.model import ErrorEvent, ErrorKind, InputSummary
from lpdoctor.reporters import get_renderer
from lpdoctor.reporters.sanitize import sanitized
from lpdoctor.scan import parallel
from lpdoctor.scan.aggregate import RouteFilter, ScanAggregate
from lpdoctor.scan.parallel import line_starts, scan_inputs
from lpdoctor.scan.pipeline import aggregate_logs
from lpdoctor.scan.report import ScanOptions, build_report
from lpdoctor.text.inputs import Span, iter_lines

LINES = 40_000  # about 6.7 MB: over the 2 MiB a file needs before it is cut in pieces


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "access.log"
    generate(str(path), LINES, seed=11)
    assert path.stat().st_size > 2 * parallel.MIN_PIECE_BYTES
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def report_json(agg: ScanAggregate) -> str:
    buf = io.StringIO()
    get_renderer("json")(sanitized(build_report(agg, ScanOptions())), buf)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------ the CLI


def test_scan_with_two_jobs_gives_the_plain_scan_report(big_log: Path) -> None:
    assert len(line_starts(str(big_log), big_log.stat().st_size, 2)) == 2  # --jobs 2 does cut it in two
    code1, plain, _ = run("scan", "-f", "json", "--jobs", "1", str(big_log))
    code2, two, _ = run("scan", "-f", "json", "--jobs", "2", str(big_log))
    assert code1 == code2 == 1  # the generated walls are found: error findings
    assert two == plain
    report = json.loads(two)
    assert report["inputs"][0]["lines"] == LINES and report["inputs"][0]["parsed"] == LINES
    cut = {f["route"]: f["cutoff_s"] for f in report["findings"] if f["rule"] == "hold-cut"}
    assert cut["/v1/health/service/web"] == pytest.approx(60.0, abs=0.5)  # Consul: nginx's 60 s
    assert cut["/api/events/poll"] == pytest.approx(50.0, abs=0.5)  # the upstream's 50 s


def test_merged_partials_give_the_plain_scan_report(big_log: Path, tmp_path: Path) -> None:
    lines = big_log.read_bytes().splitlines(keepends=True)
    shards = []
    for k, part in enumerate((lines[:15_000], lines[15_000:31_000], lines[31_000:])):
        shard = tmp_path / f"shard{k}.log"
        shard.write_bytes(b"".join(part))
        shards.append(str(shard))
    partials = []
    for shard in shards:
        partial = f"{shard}.partial.json"
        code, out, _ = run("scan", "--save-partial", partial, shard)
        assert code == 0 and out == ""  # a partial instead of a report
        partials.append(partial)
    _, plain, _ = run("scan", "-f", "json", "--jobs", "1", *shards)
    code, merged, _ = run("merge", "-f", "json", *partials)
    assert code == 1
    assert merged == plain


def test_merge_refuses_a_file_that_is_not_a_partial(big_log: Path, tmp_path: Path) -> None:
    code, out, err = run("merge", str(big_log))
    assert code == 2 and out == ""
    assert "not JSON" in err and len(err.strip().splitlines()) == 1
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps({"lpdoctor_partial": 3, "routes": [{"route": "/x"}]}))
    code, _, err = run("merge", str(damaged))
    assert code == 2 and "damaged partial" in err


# ------------------------------------------------------------------------------------------ the pieces


@pytest.mark.parametrize("max_routes", [5000, 40])
@pytest.mark.parametrize("pieces", [3, 7])
def test_pieces_on_two_processes_give_the_single_process_aggregate(big_log: Path, max_routes: int, pieces: int) -> None:
    plain, _ = aggregate_logs([str(big_log)], max_routes=max_routes)
    split, _ = scan_inputs([str(big_log)], max_routes=max_routes, jobs=2, pieces=pieces)
    assert report_json(split) == report_json(plain)
    assert [r for r in split.routes] == [r for r in plain.routes]
    assert split.overflow_requests == plain.overflow_requests


def test_a_piece_that_turned_away_a_kept_route_is_scanned_again(big_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a small route cap, later pieces fill it with their own junk and turn away routes the whole file
    keeps; scanning them again (keeping exactly those routes) is what makes the result exact."""
    rescans = []
    scan_piece = parallel._scan_piece

    def counting(piece: parallel.Piece, max_routes: int, report: bool = True) -> ScanAggregate:
        if piece.admit is not None:
            rescans.append(piece)
        return scan_piece(piece, max_routes, report)

    monkeypatch.setattr(parallel, "_scan_piece", counting)
    plain, _ = aggregate_logs([str(big_log)], max_routes=15)
    split, _ = scan_inputs([str(big_log)], max_routes=15, jobs=1, pieces=6)  # in this process: countable
    assert rescans  # the case this test is about did happen
    assert report_json(split) == report_json(plain)


def test_the_routes_a_piece_turned_away_are_never_forgotten() -> None:
    refused = RouteFilter()
    junk = [f"/{n:x}/admin.php" for n in range(60_000)]
    for route in junk:
        refused.add(route)
    assert all(route in refused for route in junk)  # what decides a second scan is never missed
    wrong = sum(1 for n in range(200_000) if f"/api/v{n}/users/{{id}}" in refused)
    assert wrong <= 2  # and a piece is rarely read again for nothing (expected: 0.1 in 200 000)


def test_the_format_of_the_head_is_used_for_every_piece(big_log: Path, tmp_path: Path) -> None:
    """The tail of this file is JSON lines: detected on its own it would be nginx-json. Read as the whole
    file is (nginx-timing, detected on its head), those lines are skipped, in pieces as in one go."""
    mixed = tmp_path / "mixed.log"
    tail = '{"status": 200, "request": "GET /tail HTTP/1.1", "request_time": "0.010"}\n' * 60_000
    mixed.write_bytes(big_log.read_bytes() + tail.encode())
    assert line_starts(str(mixed), mixed.stat().st_size, 4)[-1] > big_log.stat().st_size  # a piece of JSON only
    plain, _ = aggregate_logs([str(mixed)])
    split, _ = scan_inputs([str(mixed)], jobs=2, pieces=4)
    assert [i.format for i in split.inputs] == ["nginx-timing"]
    assert split.inputs[0].skipped == 60_000
    assert split.inputs[0].skipped_lines[0] == LINES + 1  # numbered as in the whole file
    assert report_json(split) == report_json(plain)


def _mixed_format() -> LogFormat:
    """nginx-timing lines, plus ``ERR <target>`` lines read as "upstream closed" error events: a format whose
    error lines add to a route only while the route has no request yet, so their meaning depends on what came
    before them in the file."""
    timing = get_format("nginx-timing")
    assert timing is not None

    def make() -> object:
        parse = timing.parser()

        def parser(line: str, line_no: int, source: str) -> Parsed | None:
            if line.startswith("ERR "):
                target = line[4:]
                return ErrorEvent(source, line_no, "nginx", ErrorKind.UPSTREAM_CLOSED, "closed", target=target)
            return parse(line, line_no, source)

        return parser

    return LogFormat(name="test-mixed", kind="access", has_timing=True, make_parser=make)


def test_a_file_with_error_lines_is_read_whole(big_log: Path, tmp_path: Path) -> None:
    """Requests of the poll route early, its error lines (asking for a 90 s hold) late: scanned whole, the
    errors add no hold (the route has requests by then); a piece holding only errors would add 90 s holds."""
    mixed = tmp_path / "errors.log"
    errors = "ERR /api/events/poll?timeout=90&cursor=1\n" * 60_000
    mixed.write_bytes(big_log.read_bytes() + errors.encode())
    assert line_starts(str(mixed), mixed.stat().st_size, 4)[-1] > big_log.stat().st_size  # a piece of errors only
    fmt = _mixed_format()
    plain, _ = aggregate_logs([str(mixed)], fmt)
    split, _ = scan_inputs([str(mixed)], fmt, jobs=2, pieces=4)
    assert "90.000" not in plain.routes["/api/events/poll"].holds
    assert report_json(split) == report_json(plain)


@pytest.fixture(scope="module")
def error_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nginx's error log beside 40 000 requests of the benchmark's traffic, and a few lines of no request
    (start-up notices) at its start and in its middle."""
    from bench.traffic import generate as traffic_generate

    folder = tmp_path_factory.mktemp("errors")
    body = folder / "body.log"
    traffic_generate(str(body), "nginx-error", "ids", 40_000, seed=12)
    notices = Path(__file__).parent.joinpath("fixtures", "logformats", "nginx-error.log").read_bytes()
    data = body.read_bytes()
    middle = data.index(b"\n", len(data) // 2) + 1
    path = folder / "error.log"
    path.write_bytes(notices + data[:middle] + notices + data[middle:])
    assert path.stat().st_size > 2 * parallel.MIN_PIECE_BYTES
    return path


@pytest.mark.parametrize("max_routes", [5000, 3])
@pytest.mark.parametrize("pieces", [2, 5])
def test_an_error_log_alone_is_read_in_pieces_with_the_single_process_result(
    error_log: Path, max_routes: int, pieces: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No line of an error log is a request, so what each line adds does not depend on the lines before it
    (a route's first error adds the hold its request asked for only while the route has no request): its
    pieces are merged, not read again whole. With a cap of 3 routes, later pieces turn away routes the file
    keeps and are read again keeping those, as for an access log."""
    wholes: list[parallel.Piece] = []
    scan_piece = parallel._scan_piece

    def counting(piece: parallel.Piece, max_routes: int, report: bool = True) -> ScanAggregate:
        if piece.span is None:
            wholes.append(piece)
        return scan_piece(piece, max_routes, report)

    monkeypatch.setattr(parallel, "_scan_piece", counting)
    plain, _ = aggregate_logs([str(error_log)], max_routes=max_routes)
    split, _ = scan_inputs([str(error_log)], max_routes=max_routes, jobs=1, pieces=pieces)  # countable here
    assert split.inputs[0].format == "nginx-error" and split.inputs[0].parsed == plain.inputs[0].parsed
    assert not wholes  # no piece was read again from the start of the file
    assert report_json(split) == report_json(plain)
    assert split.to_dict() == plain.to_dict()
    routed = sum(sum(rs.errors.values()) for rs in plain.routes.values())
    assert routed + sum(plain.unrouted_errors.values()) > 1000 and routed > 0
    on_two, _ = scan_inputs([str(error_log)], max_routes=max_routes, jobs=2, pieces=pieces)
    assert report_json(on_two) == report_json(plain)


# ------------------------------------------------------------------------------------------ boundaries


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.one_of(
            st.text(alphabet='ab \r\t"é/?=', max_size=30),
            st.just(""),
            st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
        ),
        max_size=40,
    ),
    final_newline=st.booleans(),
    count=st.integers(min_value=1, max_value=9),
)
def test_pieces_split_no_line_and_drop_none(tmp_path: Path, lines: list[str], final_newline: bool, count: int) -> None:
    data = "\n".join(lines).encode("utf-8", "surrogateescape") + (b"\n" if final_newline and lines else b"")
    path = tmp_path / "p.log"
    path.write_bytes(data)
    starts = line_starts(str(path), len(data), count)
    assert starts[0] == 0 and starts == sorted(set(starts))
    assert all(data[s - 1 : s] == b"\n" for s in starts[1:])  # every piece begins a line
    whole = list(iter_lines(str(path), InputSummary(str(path), "x")))
    pieced = []
    first = 1
    for start, end in zip(starts, [*starts[1:], len(data)], strict=True):
        pieced += list(iter_lines(str(path), InputSummary(str(path), "x"), span=Span(start, end, first)))
        first += data[start:end].count(b"\n")
    assert pieced == whole


def test_an_overlong_line_is_not_split_between_pieces(tmp_path: Path) -> None:
    path = tmp_path / "long.log"
    data = b"first\n" + b"x" * (3 << 20) + b"\nlast\n"
    path.write_bytes(data)
    starts = line_starts(str(path), len(data), 4)
    assert starts == [0, len(data) - len(b"last\n")]  # no piece begins inside the long line
    summary = InputSummary(str(path), "x")
    assert [n for n, _ in iter_lines(str(path), summary, span=Span(0, starts[1]))] == [1]
    assert summary.lines == 2 and summary.skipped_lines == [2]


def test_progress_counts_every_byte_and_line(big_log: Path) -> None:
    seen = [0, 0]

    def progress(nbytes: int, nlines: int) -> None:
        seen[0] += nbytes
        seen[1] += nlines

    scan_inputs([str(big_log)], jobs=2, progress=progress)
    assert seen == [big_log.stat().st_size, LINES]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_is_drawn_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    piped = io.StringIO()
    with ScanProgress(1000, stream=piped, delay_s=0) as bar:
        bar.advance(500, 10)
    assert piped.getvalue() == ""
    terminal = _Terminal()
    with ScanProgress(1000, stream=terminal, delay_s=0) as bar:
        bar.advance(500, 10)
        bar.advance(500, 10)
    assert "scanning" in terminal.getvalue() and "1.0/1.0 kB" in terminal.getvalue()
    assert capsys.readouterr().out == ""  # never on standard output, where --format json goes
