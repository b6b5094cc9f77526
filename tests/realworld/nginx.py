"""Run the REAL nginx for a test: generated config, private prefix, logs you can read afterwards.

::

    cfg = NginxConfig(upstreams=[backend.address], proxy_read_timeout="1s", log_format="kv_timing")
    with start_nginx(cfg, tmp_path) as nginx:       # skips (or fails, LPDOCTOR_REQUIRE_REAL=1) without nginx
        ...drive clients at nginx.port...
    nginx.access_lines(), nginx.error_lines(), nginx.conf_path

nginx runs in the foreground as ``nginx -p <prefix>/ -c nginx.conf -g 'daemon off; pid nginx.pid;'``. Every
path in the generated ``nginx.conf`` is relative to the prefix (``access.log``, ``error.log``, ``temp/``), so
the file shows only the addresses as specific to a run. ``error_log error.log info`` is always set: at the
default ``error`` level nginx does not log "client prematurely closed connection" (the 499 story).

Log formats (``LOG_FORMATS``): ``combined`` (built in, no timing), ``combined_timing`` (combined +
``$request_time $upstream_response_time $upstream_status``), ``kv_timing`` (combined + ``rt= uct= uht= urt=
us= ua=``), ``json_timing`` (``escape=json``, every ``$upstream_*`` value quoted), ``upstreaminfo``
(ingress-nginx's default; its ``$proxy_upstream_name``, ``$proxy_alternative_upstream_name`` and ``$req_id`` set
in the location as ingress-nginx's template sets them).

Scenario presets (each an :class:`NginxConfig`): :func:`read_timeout_below_hold` (504),
:func:`upstream_closes` (502 "upstream prematurely closed connection"), :func:`client_gives_up` (499),
:func:`retry_next_upstream` (two servers, a timed-out poll retried), :func:`healthy_chain`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lpdoctor.logformats.nginx_access import UPSTREAMINFO

from . import require_real

HOST = "127.0.0.1"
DEFAULT_LIFETIME_S = 900.0  # nginx is stopped by coreutils timeout after this, even if our process dies
NGINX_ENV = "LPDOCTOR_NGINX"  # optional path to an nginx binary

_COMBINED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
)
LOG_FORMATS: dict[str, str | None] = {
    # name -> format body (None: nginx's built-in "combined")
    "combined": None,
    "combined_timing": _COMBINED + " $request_time $upstream_response_time $upstream_status",
    "kv_timing": _COMBINED + ' rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time"'
    ' urt="$upstream_response_time" us="$upstream_status" ua="$upstream_addr"',
    "json_timing": "escape=json "
    '{"time":"$time_iso8601","remote_addr":"$remote_addr","host":"$host","request":"$request",'
    '"status":$status,"body_bytes_sent":$body_bytes_sent,"request_length":$request_length,'
    '"request_time":$request_time,"http_user_agent":"$http_user_agent","upstream_addr":"$upstream_addr",'
    '"upstream_status":"$upstream_status","upstream_connect_time":"$upstream_connect_time",'
    '"upstream_header_time":"$upstream_header_time","upstream_response_time":"$upstream_response_time"}',
    "upstreaminfo": UPSTREAMINFO,
}
# the variables of ingress-nginx's that upstreaminfo logs, as its nginx.tmpl sets them in each location
_UPSTREAMINFO_SETS = (
    'set $proxy_upstream_name "default-app-8000"',
    'set $proxy_alternative_upstream_name ""',
    "set $req_id $request_id",
)


def find_nginx() -> str | None:
    """The nginx binary: ``$LPDOCTOR_NGINX``, then ``nginx`` on PATH, then ``/usr/sbin/nginx``."""
    for candidate in (os.environ.get(NGINX_ENV), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (the caller retries if someone takes it meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a server could bind ``port`` now (with SO_REUSEADDR, as nginx and asyncio bind, so
    connections in TIME_WAIT do not count as "busy")."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def _nginx_string(value: str) -> str:
    """Quote a string for nginx.conf with single quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass
class NginxConfig:
    """What goes into the generated nginx.conf: one ``upstream backend`` block and one ``location /``.

    ``None`` for a timeout or ``proxy_next_upstream`` leaves the directive out, so nginx's default applies
    (60s; ``error timeout``). ``upstream_keepalive`` > 0 adds ``keepalive N`` plus ``proxy_http_version
    1.1`` and ``proxy_set_header Connection ""`` (the documented way to reuse upstream connections); 0
    leaves nginx's HTTP/1.0, one-connection-per-request default.
    """

    upstreams: Sequence[str]
    log_format: str = "kv_timing"  # a LOG_FORMATS name
    proxy_read_timeout: str | None = None
    proxy_send_timeout: str | None = None
    proxy_connect_timeout: str | None = None
    proxy_next_upstream: str | None = None
    proxy_next_upstream_tries: int | None = None
    server_params: str = ""  # appended to every "server" line, e.g. "max_fails=1 fail_timeout=10s"
    upstream_keepalive: int = 16
    server_name: str = "_"
    keepalive_timeout: str | None = None
    worker_processes: int = 1
    location_extra: Sequence[str] = ()  # extra directives inside "location /", without the ";"
    http_extra: Sequence[str] = ()  # extra directives inside "http", without the ";"
    custom_log_formats: dict[str, str] = field(default_factory=dict)  # name -> format body

    def render(self, listen: str) -> str:
        """The nginx.conf text, listening on ``listen`` (``"127.0.0.1:8080"``)."""
        formats = {**LOG_FORMATS, **self.custom_log_formats}
        if self.log_format not in formats:
            raise ValueError(f"unknown log format {self.log_format!r}; known: {', '.join(formats)}")
        body = formats[self.log_format]
        lines = [
            "# Generated by tests/realworld/nginx.py (lpdoctor's real-component harness).",
            "# Run: nginx -p <prefix>/ -c nginx.conf -g 'daemon off; pid nginx.pid;'",
            f"worker_processes {self.worker_processes};",
            "error_log error.log info;",
            "",
            "events {",
            "    worker_connections 1024;",
            "}",
            "",
            "http {",
        ]
        if body is not None:
            escape, _, rest = body.partition(" ") if body.startswith("escape=") else ("", "", body)
            head = f"    log_format {self.log_format} {escape + ' ' if escape else ''}"
            lines.append(head + _nginx_string(rest) + ";")
        lines += [
            f"    access_log access.log {self.log_format};",
            "    client_body_temp_path temp/client_body;",
            "    proxy_temp_path temp/proxy;",
            "    fastcgi_temp_path temp/fastcgi;",
            "    uwsgi_temp_path temp/uwsgi;",
            "    scgi_temp_path temp/scgi;",
        ]
        if self.keepalive_timeout is not None:
            lines.append(f"    keepalive_timeout {self.keepalive_timeout};")
        lines += [f"    {d};" for d in self.http_extra]
        lines += ["", "    upstream backend {"]
        for address in self.upstreams:
            params = f" {self.server_params}" if self.server_params else ""
            lines.append(f"        server {address}{params};")
        if self.upstream_keepalive > 0:
            lines.append(f"        keepalive {self.upstream_keepalive};")
        lines += [
            "    }",
            "",
            "    server {",
            f"        listen {listen};",
            f"        server_name {self.server_name};",
            "",
            "        location / {",
            "            proxy_pass http://backend;",
        ]
        if self.upstream_keepalive > 0:
            lines += ["            proxy_http_version 1.1;", '            proxy_set_header Connection "";']
        lines += [
            "            proxy_set_header Host $host;",
            "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        ]
        for name in ("proxy_connect_timeout", "proxy_send_timeout", "proxy_read_timeout"):
            value = getattr(self, name)
            if value is not None:
                lines.append(f"            {name} {value};")
        if self.proxy_next_upstream is not None:
            lines.append(f"            proxy_next_upstream {self.proxy_next_upstream};")
        if self.proxy_next_upstream_tries is not None:
            lines.append(f"            proxy_next_upstream_tries {self.proxy_next_upstream_tries};")
        if self.log_format == "upstreaminfo":
            lines += [f"            {d};" for d in _UPSTREAMINFO_SETS]
        lines += [f"            {d};" for d in self.location_extra]
        lines += ["        }", "    }", "}", ""]
        return "\n".join(lines)


# Scenario presets. The backend and the clients make the failure happen; these set the nginx side.


def read_timeout_below_hold(upstream: str, read_timeout: str, log_format: str = "kv_timing") -> NginxConfig:
    """``proxy_read_timeout`` shorter than the backend's hold: nginx answers 504, "upstream timed out"."""
    return NginxConfig(upstreams=[upstream], proxy_read_timeout=read_timeout, log_format=log_format)


def upstream_closes(upstream: str, log_format: str = "combined_timing", upstream_keepalive: int = 0) -> NginxConfig:
    """For a backend that closes without answering (write-timeout / close-after modes): 502.

    Upstream keep-alive is off by default (nginx's own default: HTTP/1.0, a new connection per request). With
    ``upstream_keepalive`` > 0, a close on a *reused* connection is retried once on a new connection even with a
    single server (``ngx_http_upstream_next``: ``u->peer.cached && ft_type == NGX_HTTP_UPSTREAM_FT_ERROR`` →
    ``u->peer.tries++``), so the client waits twice and ``$upstream_status`` reads ``502, 502``.
    """
    return NginxConfig(
        upstreams=[upstream], proxy_read_timeout="60s", log_format=log_format, upstream_keepalive=upstream_keepalive
    )


def client_gives_up(upstream: str, log_format: str = "json_timing") -> NginxConfig:
    """nginx with its defaults; the clients' read timeout is below the hold, so they leave first: 499."""
    return NginxConfig(upstreams=[upstream], log_format=log_format)


def retry_next_upstream(
    upstreams: Sequence[str], read_timeout: str, log_format: str = "kv_timing", server_params: str = ""
) -> NginxConfig:
    """Two (or more) servers and nginx's default ``proxy_next_upstream error timeout``: a poll that times out
    on one server is resent to the next before the client sees anything (research/timeouts.md note 1, 14)."""
    if len(upstreams) < 2:
        raise ValueError("retry_next_upstream needs at least two upstream servers")
    return NginxConfig(
        upstreams=list(upstreams),
        proxy_read_timeout=read_timeout,
        log_format=log_format,
        server_params=server_params,
    )


def healthy_chain(upstream: str, read_timeout: str = "60s", log_format: str = "combined_timing") -> NginxConfig:
    """``proxy_read_timeout`` comfortably above the hold: no failures."""
    return NginxConfig(upstreams=[upstream], proxy_read_timeout=read_timeout, log_format=log_format)


@dataclass
class NginxInstance:
    """A running (or stopped) nginx and the files it wrote."""

    binary: str
    prefix: Path
    port: int
    process: subprocess.Popen[bytes]
    config: NginxConfig
    host: str = HOST

    @property
    def conf_path(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def access_log(self) -> Path:
        return self.prefix / "access.log"

    @property
    def error_log(self) -> Path:
        return self.prefix / "error.log"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def access_lines(self) -> list[str]:
        return _read_lines(self.access_log)

    def error_lines(self) -> list[str]:
        return _read_lines(self.error_log)

    def wait_for(self, predicate: Callable[[NginxInstance], bool], timeout_s: float = 5.0) -> bool:
        """Poll ``predicate(self)`` until it is true or ``timeout_s`` passes (nginx writes logs at request end)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if predicate(self):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    def wait_for_access_lines(self, count: int, timeout_s: float = 5.0) -> list[str]:
        self.wait_for(lambda n: len(n.access_lines()) >= count, timeout_s)
        return self.access_lines()

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, graceful_s: float = 3.0) -> None:
        """SIGQUIT (graceful: finish requests in flight), then SIGTERM, then SIGKILL. Idempotent."""
        proc = self.process
        for sig, wait_s in ((signal.SIGQUIT, graceful_s), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(wait_s)

    def __enter__(self) -> NginxInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []


def _listening(host: str, port: int) -> bool | None:
    """Whether a socket listens on host:port, read from /proc/net/tcp (None when that is unavailable).

    Checking this way makes no connection, so nginx logs no "client closed connection while waiting for
    request" line for a readiness probe.
    """
    try:
        table = Path("/proc/net/tcp").read_text(encoding="ascii")
    except OSError:
        return None
    want = "{:08X}:{:04X}".format(int.from_bytes(socket.inet_aton(host), "little"), port)
    return any(len(f) > 3 and f[1] == want and f[3] == "0A" for f in (line.split() for line in table.splitlines()[1:]))


def _wait_accepting(host: str, port: int, proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        listening = _listening(host, port)
        if listening is None:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                listening = s.connect_ex((host, port)) == 0
        if listening:
            return True
        time.sleep(0.05)
    return False


def start_nginx(
    config: NginxConfig,
    workdir: Path,
    *,
    port: int | None = None,
    start_timeout_s: float = 10.0,
    attempts: int = 3,
    lifetime_s: float = DEFAULT_LIFETIME_S,
) -> NginxInstance:
    """Write ``workdir/nginx.conf`` from ``config`` and start nginx with ``workdir`` as its prefix.

    Returns once nginx accepts connections on 127.0.0.1:``port`` (a free port when None). If nginx cannot be
    found or will not start, the test is skipped (failed with ``LPDOCTOR_REQUIRE_REAL=1``) through
    :func:`tests.realworld.require_real`. For use outside pytest, see :func:`launch_nginx` (raises instead).
    """
    try:
        return launch_nginx(config, workdir, port=port, start_timeout_s=start_timeout_s, attempts=attempts)
    except NginxUnavailable as exc:
        require_real(str(exc))


class NginxUnavailable(RuntimeError):
    """nginx is not installed or would not start."""


def launch_nginx(
    config: NginxConfig,
    workdir: Path,
    *,
    port: int | None = None,
    start_timeout_s: float = 10.0,
    attempts: int = 3,
    lifetime_s: float = DEFAULT_LIFETIME_S,
) -> NginxInstance:
    """Like :func:`start_nginx` but raises :class:`NginxUnavailable` instead of skipping (for scripts).

    nginx runs under ``timeout --signal=QUIT --kill-after=10 <lifetime_s>`` (coreutils) when available, so
    it stops by itself even if the test process is killed; ``timeout`` forwards our SIGQUIT/SIGTERM to it.
    """
    binary = find_nginx()
    if binary is None:
        raise NginxUnavailable("nginx not found: apt-get install nginx-light")
    prefix = Path(workdir).resolve()
    (prefix / "temp").mkdir(parents=True, exist_ok=True)
    problem = "nginx did not start"
    timeout_bin = shutil.which("timeout")
    watchdog = [timeout_bin, "--signal=QUIT", "--kill-after=10", f"{lifetime_s:g}"] if timeout_bin else []
    for _ in range(attempts if port is None else 1):
        listen_port = port if port is not None else free_port()
        (prefix / "nginx.conf").write_text(config.render(f"{HOST}:{listen_port}"), encoding="utf-8")
        stderr_path = prefix / "nginx.stderr"
        with stderr_path.open("wb") as stderr:
            proc = subprocess.Popen(
                [*watchdog, binary, "-p", f"{prefix}/", "-c", "nginx.conf", "-g", "daemon off; pid nginx.pid;"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # a Ctrl-C in the terminal does not reach it; stop() does
            )
        instance = NginxInstance(binary=binary, prefix=prefix, port=listen_port, process=proc, config=config)
        if _wait_accepting(HOST, listen_port, proc, start_timeout_s):
            return instance
        instance.stop(graceful_s=0.5)
        errors = [ln for ln in _read_lines(stderr_path) + instance.error_lines() if "[emerg]" in ln]
        problem = f"nginx ({binary}) did not start: {errors[-1] if errors else 'no [emerg] line'}"
        if not any("Address already in use" in e for e in errors):
            break
    raise NginxUnavailable(problem)


@contextlib.contextmanager
def running_nginx(config: NginxConfig, workdir: Path, **kwargs: object) -> Iterator[NginxInstance]:
    """``with running_nginx(cfg, tmp_path) as nginx:`` — started, then stopped at the end of the block."""
    instance = start_nginx(config, workdir, **kwargs)  # type: ignore[arg-type]
    try:
        yield instance
    finally:
        instance.stop()


__all__ = [
    "LOG_FORMATS",
    "NginxConfig",
    "NginxInstance",
    "NginxUnavailable",
    "client_gives_up",
    "find_nginx",
    "free_port",
    "healthy_chain",
    "launch_nginx",
    "port_is_free",
    "read_timeout_below_hold",
    "require_real",
    "retry_next_upstream",
    "running_nginx",
    "start_nginx",
    "upstream_closes",
]
