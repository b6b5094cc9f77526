"""Read-only by construction, and damaged inputs lose nothing that can be kept.

- Inputs (logs, .gz, nginx configs with includes, ``nginx -T`` dumps, chain files, app-server files, scan
  reports) are byte-identical with unchanged mtimes after ``scan`` and ``check-config``.
- lpdoctor writes nothing but the ``--output`` file: a Python audit hook in the lpdoctor process records
  every open-for-writing, rename, delete, mkdir and chmod, and only the output (through its temporary file
  beside it) may appear; temporary directories lpdoctor needs (to split an ``nginx -T`` dump) are gone
  afterwards. ``--output`` is atomic: a failure leaves the old file (or none), never a part, and no
  temporary file. It never overwrites an input.
- Unusable inputs (missing, unreadable, a directory, a socket, a FIFO, a device) get one line each and the
  others are still scanned; a truncated ``.gz`` keeps its lines and says so.
- Broken configuration (include loops, missing includes, invalid YAML, YAML tags, wrong types in the chain
  file) gives ``file:line: problem`` and exit 2; nothing in YAML is ever executed.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lpdoctor.commands.common import emit, write_atomically
from lpdoctor.model import InputSummary, Report
from tests.logfactory import long_poll_route

LPDOCTOR = [sys.executable, "-m", "lpdoctor"]
FIXTURES = Path(__file__).parent / "fixtures"


def run_cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("LPDOCTOR_DEBUG", "GITHUB_STEP_SUMMARY")}
    base.update({"NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    return subprocess.run(
        [*LPDOCTOR, *args], capture_output=True, text=True, timeout=timeout, env={**base, **(env or {})}, cwd=cwd
    )


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under ``root``: content, mtime (ns) and mode."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            out[str(p.relative_to(root))] = (p.read_bytes(), st.st_mtime_ns, stat.S_IMODE(st.st_mode))
    return out


def log_lines(n: int = 60) -> list[str]:
    return long_poll_route("/_matrix/client/v3/sync?timeout=30000&since=s1", n=n, hold=30.0, cut=25.0, fail_status=504)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """Every kind of input lpdoctor reads, under ``tmp_path/in``; outputs go to ``tmp_path/out``."""
    inputs = tmp_path / "in"
    (inputs / "logs").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    body = "\n".join(log_lines()) + "\n"
    (inputs / "logs" / "access.log").write_text(body)
    (inputs / "logs" / "access.log.1.gz").write_bytes(gzip.compress(body.encode()))
    conf = inputs / "nginx"
    (conf / "conf.d").mkdir(parents=True)
    (conf / "nginx.conf").write_text(
        "events {}\nhttp {\n  include conf.d/*.conf;\n  log_format kv '$remote_addr';\n}\n"
    )
    (conf / "conf.d" / "matrix.conf").write_text(
        "server {\n  listen 443;\n  server_name matrix.example.org;\n  location /_matrix/ {\n"
        "    proxy_pass http://127.0.0.1:8008;\n    proxy_read_timeout 25s;\n  }\n}\n"
    )
    dump = FIXTURES / "nginx_conf" / "dump" / "nginx-T.txt"
    (inputs / "nginx-T.txt").write_bytes(dump.read_bytes())
    (inputs / "lpdoctor.yaml").write_text(
        "version: 1\nroutes:\n  - route: /_matrix/client/v3/sync\n    hold: 30s\n"
        "    edges:\n      - {component: cloudflare}\n"
    )
    app = inputs / "app"
    app.mkdir()
    (app / "Procfile").write_text("web: gunicorn app:app --timeout 30\n")
    (app / "gunicorn.conf.py").write_text("timeout = 30\nworker_class = 'sync'\n")
    for p in inputs.rglob("*"):  # an old mtime: a rewrite would show even within the same second
        os.utime(p, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return tmp_path


def _scan_json(ws: Path) -> Path:
    out = ws / "in" / "scan.json"
    r = run_cli(ws, "scan", str(ws / "in/logs/access.log"), "-f", "json", "-o", str(out))
    assert r.returncode == 1, r.stderr
    os.utime(out, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return out


def test_inputs_are_byte_identical_with_unchanged_mtimes(workspace: Path) -> None:
    ws = workspace
    scan_json = _scan_json(ws)
    before = snapshot(ws / "in")
    runs = [
        ("scan", "in/logs/access.log", "in/logs/access.log.1.gz", "-f", "json", "-o", "out/scan.json"),
        ("scan", "in/logs/access.log", "--nginx-conf", "in/nginx/nginx.conf", "-f", "sarif", "-o", "out/scan.sarif"),
        (
            "check-config", "in/nginx/nginx.conf", "--chain", "in/lpdoctor.yaml", "--app", "in/app",
            "--log", "in/logs/access.log", "--from-scan", str(scan_json), "-f", "json", "-o", "out/check.json",
        ),
        ("check-config", "in/nginx-T.txt", "-f", "github", "-o", "out/check.github"),
    ]  # fmt: skip
    for args in runs:
        r = run_cli(ws, *args)
        assert r.returncode in (0, 1), (args, r.stderr)
    assert snapshot(ws / "in") == before
    assert sorted(p.name for p in (ws / "out").iterdir()) == ["check.github", "check.json", "scan.json", "scan.sarif"]


_AUDIT = textwrap.dedent(
    """
    import json, os, sys
    LOG = sys.argv.pop(1)
    events = []
    WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if isinstance(path, (str, bytes, os.PathLike)) and (flags or 0) & WRITE:
                events.append(["open-write", os.path.abspath(os.fsdecode(path))])
        elif event in ("os.rename", "os.replace", "os.link", "os.symlink"):
            events.append([event, os.fsdecode(args[0]), os.fsdecode(args[1])])
        elif event in ("os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.utime", "os.truncate",
                       "shutil.rmtree", "shutil.copyfile", "shutil.move"):
            path = os.fsdecode(args[0]) if not isinstance(args[0], int) else f"/proc/self/fd/{args[0]}"
            dir_fd = args[-1] if event in ("os.remove", "os.rmdir", "os.mkdir", "shutil.rmtree") else None
            if isinstance(dir_fd, int) and not os.path.isabs(path):  # TemporaryDirectory cleans up by dir_fd
                path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
            events.append([event, os.path.abspath(path)])
    sys.addaudithook(hook)
    import atexit
    def dump():
        taken = list(events)  # before this open() of our own is recorded
        with open(LOG, "w") as fh:
            json.dump(taken, fh)
    atexit.register(dump)
    from lpdoctor.cli import run
    sys.argv = ["lpdoctor"] + sys.argv[1:]
    run()
    """
)


def audited(
    ws: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    log = ws / "audit.json"
    base = {k: v for k, v in os.environ.items() if k not in ("LPDOCTOR_DEBUG", "GITHUB_STEP_SUMMARY")}
    base.update({"NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    r = subprocess.run(
        [sys.executable, "-c", _AUDIT, str(log), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        cwd=ws,
    )
    events = json.loads(log.read_text())
    return r, events


def test_the_only_file_written_is_the_output(workspace: Path) -> None:
    ws = workspace
    tmpdir = ws / "tmp"
    tmpdir.mkdir()
    out = ws / "out" / "report.json"
    scan_json = _scan_json(ws)
    for args in (
        ("scan", "in/logs/access.log", "in/logs/access.log.1.gz", "-f", "json", "-o", str(out)),
        ("check-config", "in/nginx/nginx.conf", "--chain", "in/lpdoctor.yaml", "--app", "in/app",
         "--log", "in/logs/access.log", "--from-scan", str(scan_json), "-f", "sarif", "-o", str(out)),
        ("check-config", "in/nginx-T.txt", "-f", "json", "-o", str(out)),
    ):  # fmt: skip
        r, events = audited(ws, *args, env={"TMPDIR": str(tmpdir)})
        assert r.returncode in (0, 1), (args, r.stderr)
        temps: set[str] = set()
        unexpected = []
        for event, path, *rest in events:
            if os.path.realpath(path).startswith(str(tmpdir.resolve())):
                continue  # a temporary directory (a split nginx -T dump); checked empty below
            beside_output = Path(path).parent == out.parent and Path(path).name.startswith(".lpdoctor-")
            if event == "open-write" and beside_output:
                temps.add(path)
            elif event in ("os.rename", "os.replace") and path in temps and rest[0] == str(out):
                continue  # the atomic rename onto the output
            elif event == "os.chmod" and path in temps:
                continue  # the replaced output's mode, kept
            elif not (event == "open-write" and path == str(out)):
                unexpected.append((event, path, *rest))
        assert not unexpected, (args, unexpected)
        assert temps, "the output went through a temporary file beside it (atomic rename)"
        assert list(tmpdir.iterdir()) == [], "a temporary file or directory was left behind"
        assert sorted(p.name for p in out.parent.iterdir()) == ["report.json"]


# ---- --output: atomic, never over an input


def _report(path: str = "x.log") -> Report:
    return Report(command="scan", inputs=[InputSummary(path=path, format="nginx-kv", lines=1, parsed=1)])


def test_a_renderer_that_fails_leaves_the_old_output_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.json"
    out.write_text("OLD")

    def broken(report: Report, fh: object) -> None:
        fh.write('{"partial": ')  # type: ignore[attr-defined]
        raise RuntimeError("renderer bug")

    monkeypatch.setattr("lpdoctor.commands.common.get_renderer", lambda fmt: broken)
    with pytest.raises(RuntimeError):
        emit(_report(), "json", str(out))
    assert out.read_text() == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_output_and_no_temporary_file(
    step: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    out.write_text("OLD")

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, step, full)
    with pytest.raises(SystemExit) as exc:
        emit(_report(), "json", str(out))
    assert exc.value.code == 2
    assert out.read_text() == "OLD"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    err = capsys.readouterr().err
    assert err == f"lpdoctor: cannot write {out}: No space left on device\n"


def test_a_full_disk_is_one_line_and_exit_2(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    log = tmp_path / "a.log"
    log.write_text("\n".join(log_lines()) + "\n")
    r = run_cli(tmp_path, "scan", str(log), "-f", "json", "-o", "/dev/full")
    assert r.returncode == 2
    assert r.stderr == "lpdoctor: cannot write /dev/full: No space left on device\n"


def test_output_to_stdout_device_is_written_directly(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("\n".join(log_lines()) + "\n")
    r = run_cli(tmp_path, "scan", str(log), "-f", "json", "-o", "/dev/stdout")
    assert r.returncode == 1, r.stderr
    assert json.loads(r.stdout)["tool"] == "lpdoctor"


def test_output_never_overwrites_an_input(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("\n".join(log_lines()) + "\n")
    link = tmp_path / "link.log"
    link.symlink_to(log)
    before = (log.read_bytes(), log.stat().st_mtime_ns)
    for target in (log, link):
        r = run_cli(tmp_path, "scan", str(log), "-f", "json", "-o", str(target))
        assert r.returncode == 2
        assert "that is an input" in r.stderr and r.stderr.count("\n") == 1
    assert (log.read_bytes(), log.stat().st_mtime_ns) == before


def test_new_outputs_follow_the_umask_and_existing_ones_keep_their_mode(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_text("\n".join(log_lines()) + "\n")
    new = tmp_path / "new.json"
    r = subprocess.run(
        [*LPDOCTOR, "scan", str(log), "-f", "json", "-o", str(new)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0o027),
    )
    assert r.returncode == 1, r.stderr
    assert stat.S_IMODE(new.stat().st_mode) == 0o640
    private = tmp_path / "private.json"
    private.write_text("old")
    private.chmod(0o600)
    write_atomically(str(private), "new")
    assert private.read_text() == "new" and stat.S_IMODE(private.stat().st_mode) == 0o600


def test_output_through_a_symlink_replaces_the_file_not_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomically(str(link), "new")
    assert link.is_symlink() and real.read_text() == "new"


# ---- unusable and damaged inputs: one line each, the others still scanned


def _good(tmp_path: Path) -> Path:
    good = tmp_path / "good.log"
    good.write_text("\n".join(log_lines()) + "\n")
    return good


def test_every_kind_of_unusable_input_gets_one_line_and_the_good_one_is_scanned(tmp_path: Path) -> None:
    good = _good(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        directory = tmp_path / "dir"
        directory.mkdir()
        missing = tmp_path / "missing.log"
        r = run_cli(tmp_path, "scan", str(fifo), str(sock_path), str(directory), "/dev/zero", str(missing), str(good),
                    "-f", "json", timeout=60)  # fmt: skip
    finally:
        sock.close()
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert lines == [
        f"lpdoctor: {fifo}: is a named pipe; pipe it into `lpdoctor scan -` instead",
        f"lpdoctor: {sock_path}: is a socket, not a log file",
        f"lpdoctor: {directory}: is a directory, not a log file",
        "lpdoctor: /dev/zero: is a device, not a log file",
        f"lpdoctor: {missing}: no such file",
    ], r.stderr
    report = json.loads(r.stdout)
    assert [i["path"] for i in report["inputs"]] == [str(good)] and report["inputs"][0]["parsed"] == 60


def test_an_unreadable_file_gets_one_line(tmp_path: Path) -> None:
    good = _good(tmp_path)
    secret = tmp_path / "secret.log"
    secret.write_text("x\n")
    secret.chmod(0)
    try:
        try:
            secret.read_bytes()
        except PermissionError:
            pass
        else:
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not stop reading here")
        r = run_cli(tmp_path, "scan", str(secret), str(good), "-f", "json")
    finally:
        secret.chmod(0o600)
    assert r.returncode == 2
    assert r.stderr == f"lpdoctor: {secret}: permission denied\n"
    assert json.loads(r.stdout)["inputs"][0]["path"] == str(good)


def test_a_truncated_gz_keeps_its_lines_with_a_warning_and_others_are_scanned(tmp_path: Path) -> None:
    good = _good(tmp_path)
    data = ("\n".join(log_lines(300)) + "\n").encode()
    blob = gzip.compress(data)
    cut = tmp_path / "rotated.log.2.gz"
    cut.write_bytes(blob[: len(blob) // 2])
    garbage = tmp_path / "garbage.gz"
    garbage.write_bytes(b"\x1f\x8b" + os.urandom(4000))
    r = run_cli(tmp_path, "scan", str(cut), str(garbage), str(good), "-f", "json")
    report = json.loads(r.stdout)
    by_path = {i["path"]: i for i in report["inputs"]}
    assert 0 < by_path[str(cut)]["parsed"] < 300
    assert any("truncated" in w and "were read" in w for w in by_path[str(cut)]["warnings"])
    assert by_path[str(good)]["parsed"] == 60
    assert "Traceback" not in r.stderr


def test_a_fifo_never_hangs_the_scan(tmp_path: Path) -> None:
    """A FIFO with no writer would block a naive open() forever; lpdoctor opens without blocking."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = run_cli(tmp_path, "scan", str(fifo), timeout=30)
    assert r.returncode == 2 and "named pipe" in r.stderr


# ---- broken configuration: file:line, exit 2, nothing executed


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("include_loop/nginx.conf", "include_loop/conf.d/b.inc:2: include loop:"),
        ("missing_include/nginx.conf", "missing_include/nginx.conf:4: include "),
        ("unbalanced/nginx.conf", "unbalanced/nginx.conf:11: unexpected end of file"),
        ("missing_semicolon/nginx.conf", "missing_semicolon/conf.d/poll.conf:7: invalid number of arguments"),
    ],
)
def test_broken_nginx_configs_name_file_and_line(fixture: str, expected: str, tmp_path: Path) -> None:
    r = run_cli(tmp_path, "check-config", str(FIXTURES / "nginx_conf" / "broken" / fixture))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and expected in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("include", "problem"),
    [
        ("/dev/zero", "not a regular file"),
        ("/proc/self/environ", "not a regular file"),
        ("/dev/stdin", "not a regular file"),
    ],
)
def test_includes_of_special_files_are_refused_not_read(include: str, problem: str, tmp_path: Path) -> None:
    """A config under review in CI may be anyone's: it must not hang lpdoctor or read the runner's secrets."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"events {{}}\nhttp {{\n  include {include};\n}}\n")
    r = run_cli(tmp_path, "check-config", str(conf), timeout=30)
    assert r.returncode == 2
    assert r.stderr == f"lpdoctor: {conf}:3: include {include}: {problem}\n"


_PWNED = "lpdoctor-pwned-by-yaml"
_PYTHON_TAG = f"!!python/object/apply:os.system ['touch {_PWNED}']"


@pytest.mark.parametrize(
    ("name", "text", "args"),
    [
        ("lpdoctor.yaml", f"version: 1\nroutes:\n  - route: {_PYTHON_TAG}\n    hold: 30s\n", ("--chain",)),
        ("ingress.yaml", f"apiVersion: v1\nkind: {_PYTHON_TAG}\n", ()),
        ("docker-compose.yml", f"services:\n  web:\n    labels: {_PYTHON_TAG}\n    image: x\n", ()),
        ("traefik.yml", f"entryPoints:\n  web:\n    address: {_PYTHON_TAG}\n", ()),
        ("envoy.yaml", f"static_resources:\n  listeners: {_PYTHON_TAG}\nvirtual_hosts: x\nroutes: y\n", ()),
    ],
)
def test_yaml_tags_are_never_executed(name: str, text: str, args: tuple[str, ...], tmp_path: Path) -> None:
    (tmp_path / name).write_text(text)
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp {\n  server { listen 80; location / { proxy_pass http://127.0.0.1:1; } }\n}\n")
    argv = ("check-config", str(conf), "--chain", name) if args else ("check-config", name)
    r = run_cli(tmp_path, *argv)
    assert not (tmp_path / _PWNED).exists(), "a YAML tag was executed"
    assert "Traceback" not in r.stderr and r.returncode in (0, 1, 2)


def test_a_python_tag_in_the_chain_file_is_refused_with_its_line(tmp_path: Path) -> None:
    chain = tmp_path / "lpdoctor.yaml"
    chain.write_text(f"version: 1\nroutes:\n  - route: {_PYTHON_TAG}\n    hold: 30s\n")
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp {\n  server { listen 80; location / { proxy_pass http://127.0.0.1:1; } }\n}\n")
    r = run_cli(tmp_path, "check-config", str(conf), "--chain", str(chain))
    assert r.returncode == 2
    assert r.stderr.startswith(f"lpdoctor: {chain}:3: not valid YAML: could not determine a constructor for the tag")
    assert not (tmp_path / _PWNED).exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\nroutes:\n  - route: /poll\n    hold: \"30s\n", ":5: not valid YAML"),  # unclosed quote
        ("version: 1\nroutes: 5\n", ":2: routes must be a list"),
        ("version: 1\nroutes:\n  - route: /poll\n    hold: [1, 2]\n", ":4: hold: '[1, 2]' is not a duration"),
        ("version: 1\nroutes:\n  - route: /poll\n    hold: 30s\n    app: {component: gunicorn, timeouts: {timeout: yes}}\n",
         ":5: timeout: expected a duration"),
        ("version: 1\nroutes:\n  - route: /poll\n    hold: 30s\n    bogus: 1\n", ":5: unknown key 'bogus'"),
        ("version: 2\n", ":1: version must be 1"),
        ("routes:\n" + "  " * 0 + "x: " + "[" * 3000 + "\n", "not valid YAML"),
    ],
)  # fmt: skip
def test_chain_file_problems_are_file_line_and_exit_2(text: str, expected: str, tmp_path: Path) -> None:
    chain = tmp_path / "lpdoctor.yaml"
    chain.write_text(text)
    conf = tmp_path / "nginx.conf"
    conf.write_text("events {}\nhttp {\n  server { listen 80; location / { proxy_pass http://127.0.0.1:1; } }\n}\n")
    r = run_cli(tmp_path, "check-config", str(conf), "--chain", str(chain))
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"lpdoctor: {chain}") and expected in r.stderr and r.stderr.count("\n") == 1, r.stderr


@pytest.mark.parametrize("name", ["ingress.yaml", "traefik.yml", "docker-compose.yml"])
def test_invalid_yaml_configs_name_file_and_line(name: str, tmp_path: Path) -> None:
    text = {
        "ingress.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x\n",
        "traefik.yml": "entryPoints:\n  web:\n    address: ':80\n",
        "docker-compose.yml": "services:\n  web:\n    labels:\n      - sozune.enable=true\n     - x: [\n",
    }[name]
    (tmp_path / name).write_text(text)
    r = run_cli(tmp_path, "check-config", name)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith(f"lpdoctor: {name}:") and "YAML" in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_a_misspelled_timeout_directive_is_reported_with_its_line(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n  server {\n    listen 80;\n    location /_matrix/ {\n"
        "      proxy_pass http://127.0.0.1:8008;\n      proxy_read_timout 60s;\n    }\n  }\n}\n"
    )
    r = run_cli(tmp_path, "check-config", str(conf), "-f", "json")
    shown = r.stderr + json.dumps(json.loads(r.stdout)["inputs"]) if r.stdout else r.stderr
    assert f"{conf}:7" in shown and "proxy_read_timout" in shown
