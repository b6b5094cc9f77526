"""Run the REAL Apache httpd and Caddy (Debian's packages) as reverse proxies, with logs you can read afterwards.

::

    with start_apache(ApacheConfig(backend=go.address, proxy_timeout=2), tmp_path / "apache") as apache:
        ...drive clients at apache.port...
    apache.access_log, apache.error_log, apache.conf_path

    with start_caddy(CaddyConfig(backend=node.address, read_timeout="2s"), tmp_path / "caddy") as caddy:
        ...
    caddy.access_log (JSON "handled request"), caddy.runtime_log (JSON, http.log.error ...), caddy.conf_path

- **Apache** runs as ``apache2 -DFOREGROUND -f <workdir>/httpd.conf`` with its own ``PidFile``,
  ``DefaultRuntimeDir``, ``Mutex`` folder and ``Listen 127.0.0.1:<port>``; ``mod_mpm_event``, ``mod_proxy`` and
  ``mod_proxy_http`` come from ``/usr/lib/apache2/modules``. The access log is combined plus ``%D`` (the
  microseconds a request took); the error log is Apache's default 2.4 format.
- **Caddy** runs as ``caddy run --config <workdir>/Caddyfile --adapter caddyfile`` with ``admin off``; the site
  block's ``log`` writes the access log, the global ``log`` the runtime log (where ``reverse_proxy`` writes its
  ``http.log.error`` entries). ``read_timeout`` goes into ``transport http { }``.

Both run under coreutils ``timeout`` (they stop by themselves) and bind only 127.0.0.1. When the binary is
missing or will not start, the test is skipped, or fails with ``LPDOCTOR_REQUIRE_REAL=1``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.realworld import require_real
from tests.realworld.nginx import HOST, _wait_accepting, free_port

DEFAULT_LIFETIME_S = 600.0
APACHE_MODULES = Path("/usr/lib/apache2/modules")
ACCESS_FORMAT_D = r'"%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %D"'


class ProxyUnavailable(RuntimeError):
    """The proxy is not installed or would not start."""


def _find(names: tuple[str, ...], extra: tuple[str, ...] = ()) -> str | None:
    for candidate in (*(shutil.which(n) for n in names), *extra):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _watchdog(lifetime_s: float) -> list[str]:
    timeout_bin = shutil.which("timeout")
    return [timeout_bin, "--kill-after=5", f"{lifetime_s:g}"] if timeout_bin else []


def _read(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []


@dataclass
class RunningProxy:
    """A running (or stopped) proxy and the files it wrote."""

    kind: str
    workdir: Path
    port: int
    process: subprocess.Popen[bytes]
    version: str
    conf_path: Path
    access_log: Path
    error_log: Path  # Apache: its error log; Caddy: its runtime log (JSON)
    host: str = HOST

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def access_lines(self) -> list[str]:
        return _read(self.access_log)

    def error_lines(self) -> list[str]:
        return _read(self.error_log)

    def wait_for_access_lines(self, count: int, timeout_s: float = 5.0) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while len(self.access_lines()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.access_lines()

    def stop(self, wait_s: float = 5.0) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(wait_s)

    def __enter__(self) -> RunningProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _start(
    kind: str, cmd: list[str], workdir: Path, port: int, version: str, conf: Path, access: Path, error: Path
) -> RunningProxy:
    out_path = workdir / f"{kind}.stdout"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=workdir
        )
    running = RunningProxy(kind, workdir, port, proc, version, conf, access, error)
    if not _wait_accepting(HOST, port, proc, 15.0):
        running.stop(1.0)
        tail = (_read(out_path) + _read(error))[-3:]
        raise ProxyUnavailable(f"{kind} did not start: {' | '.join(tail) or 'no output'}")
    return running


# --- Apache -------------------------------------------------------------------------------------


@dataclass
class ApacheConfig:
    """One ``ProxyPass / http://<backend>/`` with ``ProxyTimeout`` (seconds; None leaves Apache's ``Timeout``)."""

    backend: str
    proxy_timeout: int | None = 2
    timeout: int = 30
    pass_params: str = ""  # appended to the ProxyPass line, e.g. "timeout=3"

    def render(self, workdir: Path, port: int) -> str:
        mods = ("mpm_event", "authz_core", "proxy", "proxy_http")
        lines = [
            "# Generated by tests/realworld/webservers.py (lpdoctor's real-component harness).",
            f'ServerRoot "{workdir}"',
            f'PidFile "{workdir}/httpd.pid"',
            f'DefaultRuntimeDir "{workdir}"',
            f"Mutex file:{workdir} default",
            "ServerName localhost",
            f"Listen {HOST}:{port}",
            *(f'LoadModule {m}_module "{APACHE_MODULES}/mod_{m}.so"' for m in mods),
            f'ErrorLog "{workdir}/error.log"',
            "LogLevel warn",
            f"LogFormat {ACCESS_FORMAT_D} combined_D",
            f'CustomLog "{workdir}/access.log" combined_D',
            f"Timeout {self.timeout}",
        ]
        if self.proxy_timeout is not None:
            lines.append(f"ProxyTimeout {self.proxy_timeout}")
        params = f" {self.pass_params}" if self.pass_params else ""
        lines += [f"ProxyPass / http://{self.backend}/{params}", f"ProxyPassReverse / http://{self.backend}/", ""]
        return "\n".join(lines)


def launch_apache(config: ApacheConfig, workdir: Path, lifetime_s: float = DEFAULT_LIFETIME_S) -> RunningProxy:
    binary = _find(("apache2", "httpd"), ("/usr/sbin/apache2",))
    if binary is None or not (APACHE_MODULES / "mod_proxy_http.so").exists():
        raise ProxyUnavailable("apache2 (with mod_proxy_http) not found: apt-get install apache2")
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "httpd.conf"
    conf.write_text(config.render(workdir, port), encoding="utf-8")
    version = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=30).stdout.splitlines()[0]
    cmd = [*_watchdog(lifetime_s), binary, "-DFOREGROUND", "-f", str(conf)]
    return _start("apache", cmd, workdir, port, version, conf, workdir / "access.log", workdir / "error.log")


def start_apache(config: ApacheConfig, workdir: Path) -> RunningProxy:
    try:
        return launch_apache(config, workdir)
    except ProxyUnavailable as exc:
        require_real(str(exc))


# --- Caddy --------------------------------------------------------------------------------------


@dataclass
class CaddyConfig:
    """One site ``http://127.0.0.1:<port>`` with ``reverse_proxy <backends>``; ``transport http { }`` gets the
    timers that are not None (Caddy durations: ``2s``)."""

    backends: list[str]
    read_timeout: str | None = None
    response_header_timeout: str | None = None
    proxy_extra: list[str] = field(default_factory=list)

    def render(self, workdir: Path, port: int) -> str:
        transport = [
            f"{name} {value}"
            for name, value in (
                ("read_timeout", self.read_timeout),
                ("response_header_timeout", self.response_header_timeout),
            )
            if value is not None
        ]
        lines = [
            "# Generated by tests/realworld/webservers.py (lpdoctor's real-component harness).",
            "{",
            "\tadmin off",
            "\tlog {",
            f"\t\toutput file {workdir}/caddy.log",
            "\t\tformat json",
            "\t\tlevel INFO",
            "\t}",
            "}",
            "",
            f"http://{HOST}:{port} {{",
            f"\tbind {HOST}",
            "\tlog {",
            f"\t\toutput file {workdir}/access.log",
            "\t\tformat json",
            "\t}",
            f"\treverse_proxy {' '.join(self.backends)} {{",
            *(f"\t\t{d}" for d in self.proxy_extra),
        ]
        if transport:
            lines += ["\t\ttransport http {", *(f"\t\t\t{t}" for t in transport), "\t\t}"]
        lines += ["\t}", "}", ""]
        return "\n".join(lines)


def launch_caddy(config: CaddyConfig, workdir: Path, lifetime_s: float = DEFAULT_LIFETIME_S) -> RunningProxy:
    binary = _find(("caddy",), ("/usr/bin/caddy",))
    if binary is None:
        raise ProxyUnavailable("caddy not found: apt-get install caddy")
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = workdir / "Caddyfile"
    conf.write_text(config.render(workdir, port), encoding="utf-8")
    version = subprocess.run([binary, "version"], capture_output=True, text=True, timeout=30).stdout.strip()
    env_cmd = [
        shutil.which("env") or "/usr/bin/env",
        f"HOME={workdir}",
        f"XDG_DATA_HOME={workdir}/data",
        f"XDG_CONFIG_HOME={workdir}/config",
    ]
    cmd = [*_watchdog(lifetime_s), *env_cmd, binary, "run", "--config", str(conf), "--adapter", "caddyfile"]
    return _start("caddy", cmd, workdir, port, f"caddy {version}", conf, workdir / "access.log", workdir / "caddy.log")


def start_caddy(config: CaddyConfig, workdir: Path) -> RunningProxy:
    try:
        return launch_caddy(config, workdir)
    except ProxyUnavailable as exc:
        require_real(str(exc))
