"""No output lands on an input, no input hangs lpdoctor, and I/O failures are one line (issue 12, part A).

Every test runs the real command line (``python -m lpdoctor``) and checks what a user sees: the exit code,
the one line on stderr, and the bytes of the files involved.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_LOG = REPO / "samples" / "matrix-504" / "access.log"
ROUTE = "/_matrix/client/v3/sync"

NGINX_MAIN = f"""events {{}}
http {{
    include timeouts.conf;
    server {{
        listen 127.0.0.1:8080;
        location {ROUTE} {{ proxy_pass http://127.0.0.1:8008; }}
    }}
}}
"""


def run(
    *args: str, cwd: Path, stdin: int | None = subprocess.DEVNULL, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lpdoctor", *args],
        cwd=cwd,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    return lines[0]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "access.log").write_bytes(SAMPLE_LOG.read_bytes())
    (tmp_path / "nginx.conf").write_text(NGINX_MAIN)
    (tmp_path / "timeouts.conf").write_text("proxy_read_timeout 20s;\n")
    return tmp_path


# ---- data loss: every output is checked against every input the run read


def test_save_partial_onto_the_log_is_refused_and_the_log_kept(work: Path) -> None:
    before = digest(work / "access.log")
    r = run("scan", "access.log", "--save-partial", "access.log", cwd=work)
    assert r.returncode == 2
    assert "--save-partial access.log: that is an input (access.log)" in one_line(r.stderr)
    assert digest(work / "access.log") == before


def test_save_partial_through_a_symlink_to_the_log_is_refused(work: Path) -> None:
    (work / "alias.json").symlink_to(work / "access.log")
    before = digest(work / "access.log")
    r = run("scan", "access.log", "--save-partial", "alias.json", cwd=work)
    assert r.returncode == 2 and "that is an input" in one_line(r.stderr)
    assert digest(work / "access.log") == before


def test_merge_onto_one_of_its_partials_is_refused(work: Path) -> None:
    assert run("scan", "access.log", "--save-partial", "p.json", cwd=work).returncode == 0
    before = digest(work / "p.json")
    r = run("merge", "p.json", "-o", "p.json", cwd=work)
    assert r.returncode == 2 and "--output p.json: that is an input (p.json)" in one_line(r.stderr)
    assert digest(work / "p.json") == before


def test_scan_output_onto_its_nginx_conf_is_refused(work: Path) -> None:
    before = digest(work / "nginx.conf")
    r = run("scan", "access.log", "--nginx-conf", "nginx.conf", "-o", "nginx.conf", cwd=work)
    assert r.returncode == 2 and "that is an input (nginx.conf)" in one_line(r.stderr)
    assert digest(work / "nginx.conf") == before


@pytest.mark.parametrize("target", ["nginx.conf", "timeouts.conf"])
def test_check_config_output_onto_a_config_or_a_file_it_included_is_refused(work: Path, target: str) -> None:
    # timeouts.conf is named by no option: it is known only once nginx.conf has been read, and still kept.
    before = digest(work / target)
    r = run("check-config", "nginx.conf", "--hold", f"{ROUTE}=30s", "-o", target, "-f", "json", cwd=work)
    assert r.returncode == 2 and f"--output {target}: that is an input" in one_line(r.stderr)
    assert digest(work / target) == before
    assert not list(work.glob(".lpdoctor-*.tmp"))


def test_check_config_output_onto_its_from_scan_report_is_refused(work: Path) -> None:
    assert run("scan", "access.log", "-f", "json", "-o", "scan.json", cwd=work).returncode == 1
    before = digest(work / "scan.json")
    r = run("check-config", "nginx.conf", "--from-scan", "scan.json", "-o", "scan.json", cwd=work)
    assert r.returncode == 2 and "that is an input (scan.json)" in one_line(r.stderr)
    assert digest(work / "scan.json") == before


def test_check_config_output_onto_an_app_file_or_a_config_the_chain_file_names_is_refused(work: Path) -> None:
    (work / "gunicorn.conf.py").write_text("timeout = 20\n")
    (work / "lpdoctor.yaml").write_text("nginx: nginx.conf\n")
    for args, target in (
        (["nginx.conf", "--app", "gunicorn.conf.py"], "gunicorn.conf.py"),
        (["--chain", "lpdoctor.yaml"], "timeouts.conf"),  # found through the chain file, then its include
        (["--chain", "lpdoctor.yaml"], "lpdoctor.yaml"),
    ):
        before = digest(work / target)
        r = run("check-config", *args, "--hold", f"{ROUTE}=30s", "-o", target, cwd=work)
        assert r.returncode == 2 and "that is an input" in one_line(r.stderr), (args, r.stderr)
        assert digest(work / target) == before


def test_an_output_that_is_no_input_is_still_written(work: Path) -> None:
    r = run("check-config", "nginx.conf", "--hold", f"{ROUTE}=30s", "-o", "report.txt", cwd=work)
    assert r.returncode == 1, r.stderr
    assert "proxy_read_timeout" in (work / "report.txt").read_text()


# ---- hangs: no input is a FIFO, a device or stdin in disguise


@pytest.fixture
def idle_stdin() -> Iterator[int]:
    """A pipe whose writer never writes nor closes: reading it would block forever."""
    r, w = os.pipe()
    yield r
    os.close(r)
    os.close(w)


@pytest.mark.parametrize(
    "args",
    [
        ["check-config", "fifo"],
        ["check-config", "fifo.yaml"],
        ["check-config", "nginx.conf", "--from-scan", "fifo"],
        ["check-config", "--chain", "fifo"],
        ["merge", "fifo"],
        ["scan", "access.log", "--nginx-conf", "fifo"],
        ["check-config", "stdin.conf"],
        ["scan", "access.log", "--nginx-conf", "stdin.conf"],
        ["check-config", "nginx.conf", "--from-scan", "stdin.conf"],
        ["merge", "stdin.conf"],
    ],
)
def test_a_fifo_or_a_link_to_stdin_is_one_line_not_a_hang(work: Path, idle_stdin: int, args: list[str]) -> None:
    os.mkfifo(work / "fifo")
    (work / "fifo.yaml").symlink_to(work / "fifo")
    (work / "stdin.conf").symlink_to("/dev/stdin")
    started = time.monotonic()
    r = run(*args, cwd=work, stdin=idle_stdin, timeout=30)
    assert time.monotonic() - started < 30
    assert r.returncode == 2
    line = one_line(r.stderr)
    assert "named pipe" in line or "not a regular file" in line, line


def test_an_nginx_config_from_a_pipe_has_a_size_cap(work: Path) -> None:
    # 65 MiB of comments and then a server: refused past 64 MiB, never read whole nor silently cut.
    body = b"# padding padding padding padding padding padding padding\n" * ((65 << 20) // 58)
    r = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "check-config", "-", "--hold", f"{ROUTE}=30s"],
        cwd=work,
        input=body + NGINX_MAIN.replace("include timeouts.conf;", "proxy_read_timeout 20s;").encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 2
    assert "<stdin>: larger than 64 MiB" in one_line(r.stderr.decode())


# ---- I/O errors and interrupts: one line, the right exit code


def test_a_deeply_nested_toml_is_one_line_exit_2(work: Path) -> None:
    (work / "traefik.toml").write_text(
        '[http.routers.r]\nrule = "Path(`/poll`)"\na = ' + "[" * 50000 + "]" * 50000 + "\n"
    )
    r = run("check-config", "traefik.toml", cwd=work)
    assert r.returncode == 2
    assert "traefik.toml: not a Traefik configuration (TOML nested too deeply)" in one_line(r.stderr)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_full_stdout_is_one_line_exit_2(work: Path, fmt: str) -> None:
    with open("/dev/full", "w") as full:
        r = subprocess.run(
            [sys.executable, "-m", "lpdoctor", "scan", "access.log", "-f", fmt],
            cwd=work,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert r.returncode == 2
    assert one_line(r.stderr) == "lpdoctor: cannot write the report to standard output (No space left on device)"


def test_ctrl_c_is_interrupted_exit_130(work: Path, idle_stdin: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpdoctor", "scan", "-"],
        cwd=work,
        stdin=idle_stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.0)  # the scan is waiting for its first line
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert one_line(err) == "lpdoctor: interrupted"


# ---- a configuration's regular expressions: Python's own warnings about them never reach the screen

NESTED_SET_NGINX = """events {}
http { server { listen 80;
  location ~ "^/[[a-z]]+/sync" { proxy_pass http://127.0.0.1:9; proxy_read_timeout 20s; }
  location ~ "^/[a--z]+/poll" { proxy_pass http://127.0.0.1:9; proxy_read_timeout 20s; }
} }
"""
NESTED_SET_TRAEFIK = """http:
  routers:
    sync:
      rule: "PathRegexp(`^/[[a-z]]+/sync`) || PathRegexp(`^/[a--z]+/poll`)"
      service: app
  services:
    app:
      loadBalancer:
        servers:
          - url: "http://app:8008"
"""


@pytest.mark.parametrize(("name", "text"), [("nginx.conf", NESTED_SET_NGINX), ("dynamic.yml", NESTED_SET_TRAEFIK)])
def test_a_pattern_python_warns_about_prints_no_python_warning(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    r = run("check-config", name, "--hold", "/abc/sync=30s", "--hold", "/ab/poll=30s", cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    assert "Warning" not in r.stderr and "Warning" not in r.stdout, r.stderr
    assert ".py:" not in r.stderr, r.stderr
    assert "lines parsed" in r.stdout and ("nginx" in r.stdout if name == "nginx.conf" else "traefik" in r.stdout)
