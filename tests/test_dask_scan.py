"""``lpdoctor scan --dask ADDR``: the report from a dask.distributed cluster is byte-identical to one process.

A real ``LocalCluster`` (2 worker processes, 1 thread each, on 127.0.0.1) scans the bundled samples and a
generated log cut into several pieces. Skips without the ``dask`` extra (``pip install -e '.[test,dask]'``),
fails instead under ``LPDOCTOR_REQUIRE_REAL=1`` (CI). About 10 s.

Not tested here: a cluster of several machines (the paths then have to be the same on each).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.generate import generate
from lpdoctor.cli import main
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.scan import parallel

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
LINES = 50_000  # about 8 MB: cut in up to 8 pieces of at least 1 MiB


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    try:
        from distributed import LocalCluster
    except ImportError:
        if os.environ.get("LPDOCTOR_REQUIRE_REAL") == "1":
            pytest.fail("LPDOCTOR_REQUIRE_REAL=1 but dask.distributed is not installed: pip install -e '.[test,dask]'")
        pytest.skip("dask.distributed is not installed (the `dask` extra)")
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dask") / "access.log"
    generate(str(path), LINES, seed=7)
    return path


def test_samples_give_the_one_process_report(cluster: str) -> None:
    logs = [str(p) for p in sorted(SAMPLES.glob("*/*.log"))]
    assert len(logs) >= 8
    code, plain, _ = run("scan", "-f", "json", "--jobs", "1", *logs)
    code_dask, on_dask, err = run("scan", "-f", "json", "--dask", cluster, *logs)
    assert (code_dask, err) == (code, "")
    assert on_dask == plain


@pytest.mark.parametrize(
    ("extra", "pieces"),
    [
        ([], 2),  # default: as many pieces as the cluster has worker threads
        (["--jobs", "5"], 5),
        (["--jobs", "3", "--max-routes", "10"], 3),  # later pieces fill the cap: the file is read again whole
    ],
)
def test_a_log_in_pieces_gives_the_one_process_report(
    cluster: str, big_log: Path, extra: list[str], pieces: int
) -> None:
    assert len(parallel.line_starts(str(big_log), big_log.stat().st_size, pieces)) == pieces
    max_routes = extra[extra.index("--max-routes") :] if "--max-routes" in extra else []
    code, plain, _ = run("scan", "-f", "json", "--jobs", "1", *max_routes, str(big_log))
    code_dask, on_dask, err = run("scan", "-f", "json", "--dask", cluster, *extra, str(big_log))
    assert code == (0 if max_routes else 1)  # the generated walls are found (not with 10 routes kept)
    assert (code_dask, err) == (code, "")
    assert on_dask == plain


def test_an_error_log_in_pieces_gives_the_one_process_report(cluster: str, tmp_path: Path) -> None:
    """nginx's error log beside 40 000 requests: cut in three pieces and merged, not read again whole."""
    from bench.traffic import generate as traffic_generate

    log = tmp_path / "error.log"
    traffic_generate(str(log), "nginx-error", "ids", 40_000, seed=5)
    assert len(parallel.line_starts(str(log), log.stat().st_size, 3)) == 3
    code, plain, _ = run("scan", "-f", "json", "--jobs", "1", str(log))
    code_dask, on_dask, err = run("scan", "-f", "json", "--dask", cluster, "--jobs", "3", str(log))
    assert '"format": "nginx-error"' in plain and '"parsed": 40000' in plain and '"upstream-timeout"' in plain
    assert (code_dask, err) == (code, "")
    assert on_dask == plain


TIMING = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time $upstream_status'


@pytest.mark.parametrize("forced", [["--input-format", "nginx-timing"], ["--log-format", TIMING]])
def test_a_forced_format_travels_to_the_workers(cluster: str, big_log: Path, forced: list[str]) -> None:
    code, plain, _ = run("scan", "-f", "json", "--jobs", "1", *forced, str(big_log))
    _, on_dask, _ = run("scan", "-f", "json", "--dask", cluster, "--jobs", "3", *forced, str(big_log))
    assert code == 1 and '"parsed": 50000' in plain
    assert on_dask == plain


def test_every_built_in_format_travels_by_name() -> None:
    for fmt in all_formats():
        assert get_format(fmt.name) is fmt


def test_a_file_no_worker_can_read_is_one_line_and_exit_2(cluster: str, tmp_path: Path) -> None:
    missing = tmp_path / "gone.log"
    code, out, err = run("scan", "-f", "json", "--dask", cluster, str(SAMPLES / "healthy-20s/access.log"), str(missing))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"lpdoctor: {missing}: no such file (on dask worker tcp://127.0.0.1:"
    )
    assert "Traceback" not in err
    assert out  # the report of the file that could be read


def test_an_unreachable_scheduler_is_one_line_and_exit_2(cluster: str) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = str(SAMPLES / "healthy-20s/access.log")
    code, out, err = run("scan", "--dask", f"tcp://127.0.0.1:{port}", "--dask-timeout", "1", log)
    assert (code, out) == (2, "")
    assert err.startswith(f"lpdoctor: --dask tcp://127.0.0.1:{port}: cannot reach the dask scheduler")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("address", ["nonsense", "foo://x:1", "tcp://127.0.0.1:abc"])
def test_a_malformed_address_is_one_line_and_exit_2(cluster: str, address: str) -> None:
    code, out, err = run("scan", "--dask", address, str(SAMPLES / "healthy-20s/access.log"))
    assert (code, out) == (2, "")
    assert err.startswith(f"lpdoctor: --dask {address}: cannot reach the dask scheduler: ")
    assert len(err.strip().splitlines()) == 1


def test_without_the_extra_dask_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` raises ImportError
    code, out, err = run("scan", "--dask", "tcp://127.0.0.1:8786", str(SAMPLES / "healthy-20s/access.log"))
    assert (code, out) == (2, "")
    assert err == "lpdoctor: --dask needs dask.distributed, which is not installed: pip install 'lpdoctor[dask]'\n"


def test_dask_refuses_standard_input() -> None:
    code, _, err = run("scan", "--dask", "tcp://127.0.0.1:8786", "-")
    assert code == 2 and "standard input" in err
