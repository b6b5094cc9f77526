"""Bad input gets one clear line and the right exit code; damaged input keeps what can be kept."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.logfactory import long_poll_route

LPDOCTOR = [sys.executable, "-m", "lpdoctor"]


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LPDOCTOR, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )


def lines(n: int = 60) -> list[str]:
    return long_poll_route("/poll?timeout=25", n=n, hold=25.0, cut=10.0, fail_status=499)


def test_missing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    r = run("scan", str(tmp_path / "nope.log"))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"lpdoctor: {tmp_path / 'nope.log'}: no such file"]
    assert "Traceback" not in r.stderr + r.stdout


def test_directory_and_missing_are_reported_and_the_good_file_still_scanned(tmp_path: Path) -> None:
    good = tmp_path / "good.log"
    good.write_text("\n".join(lines()) + "\n")
    r = run("scan", str(tmp_path), str(good), str(tmp_path / "gone.log"), "-f", "json")
    assert r.returncode == 2  # an input was unusable
    assert f"{tmp_path}: is a directory, not a log file" in r.stderr
    assert "gone.log: no such file" in r.stderr
    report = json.loads(r.stdout)
    assert [i["path"] for i in report["inputs"]] == [str(good)]
    assert any(f["rule"] == "hold-cut" for f in report["findings"])


def test_empty_file_is_unusable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("")
    r = run("scan", str(empty))
    assert r.returncode == 2
    assert "empty" in r.stderr and "Traceback" not in r.stderr


def test_binary_garbage_is_counted_by_line_number(tmp_path: Path) -> None:
    log = tmp_path / "mixed.log"
    body = "\n".join(lines(40)).encode()
    log.write_bytes(b"\x00\xff\xfe garbage\n" + body + b"\n\x1b[2J\xc3\x28 more garbage\n")
    r = run("scan", str(log), "-f", "json")
    report = json.loads(r.stdout)
    (inp,) = report["inputs"]
    assert inp["parsed"] == 40 and inp["skipped"] == 2 and inp["skipped_lines"] == [1, 42]


def test_only_garbage_exits_2_naming_the_lines(tmp_path: Path) -> None:
    log = tmp_path / "junk.log"
    log.write_bytes(b"\x00\x01\x02\nnot a log\n")
    r = run("scan", str(log))
    assert r.returncode == 2
    assert "no line in a known format" in r.stderr and "1, 2" in r.stderr


def test_one_megabyte_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    log = tmp_path / "long.log"
    body = lines(30)
    log.write_text(body[0] + "\n" + "A" * (1 << 20) + "X" * 100 + "\n" + "\n".join(body[1:]) + "\n")
    r = run("scan", str(log), "-f", "json")
    report = json.loads(r.stdout)
    (inp,) = report["inputs"]
    assert inp["parsed"] == 30 and inp["skipped_lines"] == [2]
    assert any("longer than 1 MiB" in w for w in inp["warnings"])


def test_gzip_is_read_transparently_and_a_truncated_one_keeps_its_lines(tmp_path: Path) -> None:
    data = ("\n".join(lines(200)) + "\n").encode()
    whole = tmp_path / "access.log.1"  # no .gz suffix: detected by magic bytes
    whole.write_bytes(gzip.compress(data))
    r = run("scan", str(whole), "-f", "json")
    assert json.loads(r.stdout)["inputs"][0]["parsed"] == 200
    cut = tmp_path / "cut.log.gz"
    blob = gzip.compress(data)
    cut.write_bytes(blob[: len(blob) * 2 // 3])
    r = run("scan", str(cut), "-f", "json")
    assert r.returncode in (0, 1), r.stderr
    inp = json.loads(r.stdout)["inputs"][0]
    assert 0 < inp["parsed"] < 200
    assert any("truncated" in w for w in inp["warnings"])


def test_stdin(tmp_path: Path) -> None:
    r = run("scan", "-", "-f", "json", stdin=("\n".join(lines()) + "\n").encode())
    report = json.loads(r.stdout)
    assert report["inputs"][0]["path"] == "-" and report["inputs"][0]["parsed"] == 60


def test_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("\n".join(lines()) + "\n")
    assert run("scan", str(log)).returncode == 1
    assert run("scan", str(log), "--fail-on", "never").returncode == 0
    assert run("scan", "--bogus-option", str(log)).returncode == 2


def test_output_file_is_written_and_inputs_untouched(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("\n".join(lines()) + "\n")
    before = (log.read_bytes(), log.stat().st_mtime_ns)
    out = tmp_path / "report.json"
    r = run("scan", str(log), "-f", "json", "-o", str(out))
    assert r.stdout == ""
    assert json.loads(out.read_text())["tool"] == "lpdoctor"
    assert (log.read_bytes(), log.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.log", "report.json"]
