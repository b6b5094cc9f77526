"""App-server timeouts read from Procfiles, Dockerfiles, compose files, gunicorn.conf.py, Go sources ..."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpdoctor.dialects.app_servers import discover_app_servers, go_duration
from lpdoctor.model.hops import HopFacts


def one(tmp_path: Path, name: str, text: str) -> HopFacts:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    found = discover_app_servers([str(path)])
    assert len(found.hops) == 1, (found.hops, found.notes)
    return found.hops[0]


def timer(hop: HopFacts, setting: str) -> tuple[float | None, int | None]:
    (t,) = [t for t in hop.hop.timeouts if t.setting == setting]
    return t.value_s, t.location.line if t.location else None


@pytest.mark.parametrize(
    ("line", "timeout", "worker"),
    [
        ("web: gunicorn app:app --timeout 60", 60.0, "sync"),
        ("web: gunicorn app:app -t 90 --bind 0.0.0.0:$PORT", 90.0, "sync"),
        ("web: gunicorn --timeout=45 -w 4 app.wsgi", 45.0, "sync"),
        ("web: newrelic-admin run-program gunicorn app:app -t120", 120.0, "sync"),
        ("web: python -m gunicorn app:app --timeout 0", None, "sync"),
    ],
)
def test_gunicorn_sync_timeouts_in_a_procfile(tmp_path: Path, line: str, timeout: float | None, worker: str) -> None:
    hop = one(tmp_path, "Procfile", f"release: ./manage.py migrate\n{line}\n")
    assert hop.worker_class == worker
    assert timer(hop, "timeout") == (timeout, 2)


@pytest.mark.parametrize(
    ("args", "worker"),
    [
        ("-k gevent", "gevent"),
        ("--worker-class=gthread", "gthread"),
        ("--threads 4", "gthread"),
        ("-k uvicorn.workers.UvicornWorker", "uvicorn.workers.UvicornWorker"),
    ],
)
def test_non_sync_workers_are_not_cut_by_the_timeout(tmp_path: Path, args: str, worker: str) -> None:
    hop = one(tmp_path, "Procfile", f"web: gunicorn app:app --timeout 30 {args}\n")
    assert hop.worker_class == worker
    assert hop.hop.timeouts == []


def test_gthread_keepalive_default_and_option(tmp_path: Path) -> None:
    hop = one(tmp_path, "Procfile", "web: gunicorn app:app -k gthread\n")
    assert hop.accept_idle is not None and (hop.accept_idle.value_s, hop.accept_idle.explicit) == (2.0, False)
    hop = one(tmp_path, "Procfile", "web: gunicorn app:app -k gthread --keep-alive 75\n")
    assert hop.accept_idle is not None and hop.accept_idle.value_s == 75.0


def test_dockerfile_exec_and_shell_forms(tmp_path: Path) -> None:
    exec_form = one(tmp_path, "a/Dockerfile", 'FROM python:3.12\nCMD ["gunicorn", "--timeout", "75", "app:app"]\n')
    assert timer(exec_form, "timeout") == (75.0, 2)
    shell = one(
        tmp_path,
        "b/Dockerfile",
        'FROM python:3.12\nENV GUNICORN_CMD_ARGS="--timeout 40"\nENTRYPOINT gunicorn app:app \\\n    --workers 3\n',
    )
    assert timer(shell, "timeout") == (40.0, 2)  # from GUNICORN_CMD_ARGS, on its own line


def test_compose_command_string_and_list(tmp_path: Path) -> None:
    found = discover_app_servers([str(tmp_path)])
    assert found.hops == []
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: app\n    command: gunicorn app:app --timeout 50\n"
        "  api:\n    image: api\n    environment:\n      - GUNICORN_CMD_ARGS=--timeout 20\n"
        "    command:\n      - gunicorn\n      - api:app\n"
        "  db:\n    image: postgres\n"
    )
    found = discover_app_servers([str(tmp_path)])
    got = sorted((h.hop.location.context, timer(h, "timeout")) for h in found.hops)  # type: ignore[union-attr]
    assert got == [("service api", (20.0, 8)), ("service web", (50.0, 4))]


def test_gunicorn_conf_py_is_parsed_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    hop = one(
        tmp_path,
        "gunicorn.conf.py",
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('executed')\n"
        "workers = 4\ntimeout = 2 * 60\nworker_class = 'sync'\nkeepalive = 5\n",
    )
    assert not marker.exists()
    assert timer(hop, "timeout") == (120.0, 4)


def test_gunicorn_conf_py_with_computed_values_is_noted(tmp_path: Path) -> None:
    found = discover_app_servers(
        [
            str(
                _write(
                    tmp_path / "gunicorn.conf.py",
                    "import os\ntimeout = int(os.environ['T'])\nworker_class = 'gthread'\n",
                )
            )
        ]
    )
    (hop,) = found.hops
    assert hop.worker_class == "gthread"
    assert any("gunicorn.conf.py:2: timeout is not a literal" in n for n in hop.notes)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_dash_c_reads_the_config_next_to_the_command(tmp_path: Path) -> None:
    _write(tmp_path / "gunicorn.conf.py", "timeout = 300\n")
    hop = one(tmp_path, "Procfile", "web: gunicorn -c gunicorn.conf.py app:app\n")
    assert timer(hop, "timeout") == (300.0, 1)
    assert hop.hop.timeouts[0].location.file == str(tmp_path / "gunicorn.conf.py")  # type: ignore[union-attr]


GO = """package main

import (
\t"net/http"
\t"time"
)

func main() {
\tsrv := &http.Server{
\t\tAddr:              ":8080",
\t\tReadHeaderTimeout: 5 * time.Second,
\t\tReadTimeout:       time.Minute,
\t\tWriteTimeout:      time.Duration(15) * time.Second,
\t}
\tsrv.ListenAndServe()
}
"""


def test_go_http_server_literal(tmp_path: Path) -> None:
    hop = one(tmp_path, "cmd/server/main.go", GO)
    assert hop.hop.component == "go-http-server"
    assert timer(hop, "WriteTimeout") == (15.0, 13)
    assert hop.accept_idle is not None and hop.accept_idle.value_s == 60.0  # IdleTimeout unset: ReadTimeout


def test_go_assignment_and_variables(tmp_path: Path) -> None:
    hop = one(tmp_path, "server.go", "package x\n\nfunc run(s *http.Server) {\n\ts.WriteTimeout = 2 * time.Minute\n}\n")
    assert timer(hop, "WriteTimeout") == (120.0, 4)
    hop = one(tmp_path, "srv.go", "package x\n\nvar s = http.Server{\n\tWriteTimeout: cfg.WriteTimeout,\n}\n")
    assert hop.hop.timeouts[0].value_s is None and not hop.hop.timeouts[0].explicit  # the default: no limit
    assert any("srv.go:4: WriteTimeout is 'cfg.WriteTimeout', not a literal duration" in n for n in hop.notes)


@pytest.mark.parametrize(
    ("expr", "seconds"),
    [
        ("10 * time.Second", 10.0),
        ("time.Minute", 60.0),
        ("500 * time.Millisecond", 0.5),
        ("time.Duration(30) * time.Second", 30.0),
        ("2*time.Hour", 7200.0),
        ("0", 0.0),
        ("timeout", None),
        ("10 * time.Fortnight", None),
        ("", None),
    ],
)
def test_go_duration(expr: str, seconds: float | None) -> None:
    assert go_duration(expr) == seconds


def test_uvicorn_php_fpm_and_uwsgi(tmp_path: Path) -> None:
    hop = one(tmp_path, "start.sh", "#!/bin/sh\nexec uvicorn app:app --host 0.0.0.0 --timeout-keep-alive 30\n")
    assert hop.hop.component == "uvicorn" and hop.accept_idle is not None and hop.accept_idle.value_s == 30.0
    hop = one(tmp_path, "www.conf", "[www]\nlisten = /run/php/fpm.sock\nrequest_terminate_timeout = 2m\n")
    assert timer(hop, "request_terminate_timeout") == (120.0, 3)
    hop = one(tmp_path, "uwsgi.ini", "[uwsgi]\nmodule = app\nharakiri = 20\n")
    assert timer(hop, "harakiri") == (20.0, 3)


def test_directories_skip_vendored_code(tmp_path: Path) -> None:
    _write(tmp_path / "Procfile", "web: gunicorn app:app\n")
    (tmp_path / "node_modules" / "x").mkdir(parents=True)
    _write(tmp_path / "node_modules" / "x" / "main.go", GO)
    found = discover_app_servers([str(tmp_path)])
    assert [h.hop.component for h in found.hops] == ["gunicorn"]
    assert found.files == [str(tmp_path / "Procfile")]


NAMES = [
    "Procfile",
    "Dockerfile",
    "docker-compose.yml",
    "gunicorn.conf.py",
    "main.go",
    "run.sh",
    "www.conf",
    "uwsgi.ini",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(NAMES), text=st.text(max_size=400))
def test_hostile_files_never_raise(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    discover_app_servers([str(path)])
