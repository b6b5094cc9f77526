"""A real long-poll backend for end-to-end tests: stdlib only, asyncio, HTTP/1.1 with keep-alive.

It holds a request until an "event" arrives or until the hold expires, then answers ``200`` with a JSON body
(``{"events":[]}`` on expiry). The hold comes from the query string, as real long-poll APIs take it:

- ``timeout=<n>``: Matrix style, milliseconds by default (``BackendConfig.timeout_unit="s"`` for seconds);
- ``wait=<duration>``: Consul/Nomad/Go style (``15s``, ``1m30s``, ``500ms``);
- otherwise ``BackendConfig.fixed_hold_s`` for paths under ``hold_paths``; every other request is answered at
  once (ordinary API traffic).

Whether an event arrives before expiry, and when, is drawn from a pseudo-random generator seeded with
``(seed, request index)``: the same run gives the same draws, and the logs show a realistic spread of
durations below the hold.

Modes emulate how real servers end a held request:

- ``normal``: as above.
- ``write-timeout=N``: Go ``http.Server{WriteTimeout: N}``. The deadline is set when the request headers have
  been read; the handler still runs to its natural end (event or expiry) and, if that end is later than N s,
  the connection is closed at that moment **without any response bytes** (curl: "Empty reply from server"
  at handler completion, not at N; research/timeouts.md, Go net/http row and note 6).
- ``close-after=N``: a request still running after N s gets its socket closed without a response (a worker
  killed by a supervisor). Requests that finish earlier are answered normally.
- ``heartbeat=N``: response headers at once, then one whitespace byte every N s (chunked for HTTP/1.1,
  raw until close for HTTP/1.0), then the JSON body. Leading whitespace is still valid JSON.
- ``processing=N``: an interim ``HTTP/1.1 102 Processing`` every N s (HTTP/1.1 requests only), then the
  final response.

A client that closes its connection during a hold (nginx does this when its own client gave up) ends the
hold at once; the request is recorded with outcome ``client-gone``.

Use in-process (a thread with its own event loop)::

    with Backend(BackendConfig(mode="write-timeout", mode_s=10, event_probability=0.5)) as b:
        print(b.port)

or as a subprocess (prints ``LISTENING 127.0.0.1:<port>`` once it accepts, stops after ``--lifetime``)::

    python -m tests.realworld.backend --port 0 --mode write-timeout=10 --event-probability 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

HOST = "127.0.0.1"
MODES = ("normal", "write-timeout", "close-after", "heartbeat", "processing")
DEFAULT_LIFETIME_S = 900.0  # a subprocess backend always stops by itself
_MAX_HEAD_BYTES = 64 * 1024
_MAX_BODY_BYTES = 1024 * 1024

_GO_DURATION_PART = re.compile(r"(\d{1,12}(?:\.\d{1,9})?)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def parse_go_duration(text: str) -> float | None:
    """Seconds for a Go-style duration (``15s``, ``1m30s``, ``250ms``); None when it is not one."""
    text = text.strip()
    if not text or len(text) > 40:
        return None
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(text):
        m = _GO_DURATION_PART.match(text, pos)
        if m is None:
            return None
        total += float(m.group(1)) * _GO_UNITS[m.group(2)]
        pos = m.end()
    return total


def parse_mode(text: str) -> tuple[str, float | None]:
    """``"write-timeout=10"`` → ``("write-timeout", 10.0)``; ``"normal"`` → ``("normal", None)``."""
    name, _, value = text.strip().partition("=")
    if name not in MODES:
        raise ValueError(f"unknown backend mode {name!r}; expected one of {', '.join(MODES)}")
    if name == "normal":
        if value:
            raise ValueError("mode 'normal' takes no value")
        return name, None
    if not value:
        raise ValueError(f"mode {name!r} needs a value in seconds, e.g. {name}=10")
    seconds = float(value)
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"mode {name!r} needs a positive number of seconds, got {value!r}")
    return name, seconds


@dataclass(frozen=True)
class BackendConfig:
    """How the backend holds and ends requests. All times are seconds.

    ``event_probability``: chance that an event arrives during a hold. ``event_delay``: when it arrives,
    ``"uniform"`` (anywhere in the hold) or ``"exp:<mean>"`` (exponential with that mean); a drawn delay past
    the hold means no event. ``quick_delay_s``: upper bound of the (uniform) service time of ordinary,
    non-held requests.
    """

    mode: str = "normal"
    mode_s: float | None = None
    fixed_hold_s: float | None = None
    hold_paths: tuple[str, ...] = ("",)  # path prefixes that get fixed_hold_s; "" matches every path
    timeout_unit: str = "ms"  # unit of ?timeout=: "ms" (Matrix) or "s"
    event_probability: float = 0.0
    event_delay: str = "uniform"
    seed: int = 0
    max_hold_s: float = 600.0
    quick_delay_s: float = 0.01
    host: str = HOST
    port: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown backend mode {self.mode!r}")
        if self.mode != "normal" and not self.mode_s:
            raise ValueError(f"mode {self.mode!r} needs mode_s")
        if self.timeout_unit not in ("ms", "s"):
            raise ValueError("timeout_unit must be 'ms' or 's'")
        if not 0.0 <= self.event_probability <= 1.0:
            raise ValueError("event_probability must be within 0..1")
        _event_delay_mean(self.event_delay)  # validates

    @classmethod
    def with_mode(cls, mode: str, **kwargs: object) -> BackendConfig:
        """A config from a mode string as the CLI takes it: ``BackendConfig.with_mode("close-after=5")``."""
        name, seconds = parse_mode(mode)
        return cls(mode=name, mode_s=seconds, **kwargs)  # type: ignore[arg-type]

    @property
    def mode_text(self) -> str:
        return self.mode if self.mode_s is None else f"{self.mode}={self.mode_s:g}"


def _event_delay_mean(spec: str) -> float | None:
    if spec == "uniform":
        return None
    if spec.startswith("exp:"):
        mean = float(spec[4:])
        if mean > 0 and math.isfinite(mean):
            return mean
    raise ValueError(f"event_delay must be 'uniform' or 'exp:<mean seconds>', got {spec!r}")


@dataclass
class BackendRequest:
    """What the backend saw and did for one request (for assertions; times are ``time.monotonic()``)."""

    index: int
    method: str
    target: str
    http_version: str
    hold_s: float | None  # None: an ordinary request, answered at once
    planned_s: float  # when the handler finishes (event, expiry, or quick answer), after the headers
    event: bool
    started: float
    connection: int = 0  # which TCP connection carried it (1, 2, ...): shows keep-alive reuse
    ended: float | None = None
    outcome: str = "running"  # answered | dropped (closed, no bytes) | client-gone | error
    status: int | None = None

    @property
    def elapsed_s(self) -> float | None:
        return None if self.ended is None else self.ended - self.started


@dataclass
class _Plan:
    hold_s: float | None
    finish_s: float
    event: bool


class _Server:
    """The asyncio part: one instance per running backend, used only from its event loop."""

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self.requests: list[BackendRequest] = []
        self._count = 0
        self._connections = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(
            self._on_connection, self.config.host, self.config.port, limit=_MAX_HEAD_BYTES, backlog=512
        )
        sock = self._server.sockets[0]
        return int(sock.getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2.0)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2.0)

    def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(self._connection(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        connection = self._connections
        try:
            while await self._one_request(reader, writer, connection):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: int) -> bool:
        """Serve one request on a connection; True when the connection stays open for another."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # the peer closed an idle keep-alive connection
        loop = asyncio.get_running_loop()
        started = loop.time()
        request_line, headers = _parse_head(head)
        if request_line is None:
            await _write(writer, _response(400, b'{"error":"bad request"}\n', keep_alive=False))
            return False
        method, target, version = request_line
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > _MAX_BODY_BYTES or "transfer-encoding" in headers:
            await _write(writer, _response(400, b'{"error":"unsupported body"}\n', keep_alive=False))
            return False
        if int(length):
            await reader.readexactly(int(length))
        keep_alive = _wants_keep_alive(version, headers.get("connection", ""))

        self._count += 1
        plan = self._plan(self._count, target)
        record = BackendRequest(
            index=self._count,
            method=method,
            target=target,
            http_version=version,
            hold_s=plan.hold_s,
            planned_s=plan.finish_s,
            event=plan.event,
            started=time.monotonic(),
            connection=connection,
        )
        self.requests.append(record)
        try:
            keep = await self._serve(reader, writer, record, plan, started, keep_alive)
        except (ConnectionError, OSError):
            record.outcome = "client-gone"
            keep = False
        except asyncio.CancelledError:
            record.outcome = "error"
            raise
        finally:
            record.ended = time.monotonic()
        return keep

    def _plan(self, index: int, target: str) -> _Plan:
        cfg = self.config
        rng = random.Random(f"{cfg.seed}/{index}")
        hold = _hold_from_target(target, cfg)
        if hold is None:
            return _Plan(None, rng.uniform(0.0, cfg.quick_delay_s), False)
        hold = min(hold, cfg.max_hold_s)
        # Draw both numbers for every request so one request's draws never depend on another's.
        roll, u = rng.random(), rng.random()
        mean = _event_delay_mean(cfg.event_delay)
        delay = u * hold if mean is None else -mean * math.log(1.0 - u)
        if roll < cfg.event_probability and delay < hold:
            return _Plan(hold, delay, True)
        return _Plan(hold, hold, False)

    async def _serve(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: BackendRequest,
        plan: _Plan,
        started: float,
        keep_alive: bool,
    ) -> bool:
        cfg = self.config
        body = _body(record.index, plan)
        finish_at = started + plan.finish_s
        watcher = asyncio.ensure_future(reader.read(1)) if plan.hold_s is not None else None
        try:
            if plan.hold_s is not None and cfg.mode == "heartbeat":
                return await self._serve_heartbeat(writer, record, watcher, finish_at, body, keep_alive)
            if plan.hold_s is not None and cfg.mode == "processing" and record.http_version == "HTTP/1.1":
                assert cfg.mode_s is not None
                next_at = started + cfg.mode_s
                while next_at < finish_at:
                    if not await _hold_until(next_at, watcher):
                        record.outcome = "client-gone"
                        return False
                    await _write(writer, b"HTTP/1.1 102 Processing\r\n\r\n")
                    next_at += cfg.mode_s
            cut_at = None
            if cfg.mode == "close-after":
                assert cfg.mode_s is not None
                cut_at = started + cfg.mode_s
            if not await _hold_until(min(finish_at, cut_at or math.inf), watcher):
                record.outcome = "client-gone"
                return False
            if cut_at is not None and cut_at < finish_at:
                record.outcome = "dropped"  # the "worker" was killed mid-request
                return False
            if cfg.mode == "write-timeout":
                assert cfg.mode_s is not None
                if plan.finish_s > cfg.mode_s:
                    record.outcome = "dropped"  # Go: the late write fails, the connection is closed
                    return False
            keep = keep_alive and not (watcher is not None and watcher.done())
            await _write(writer, _response(200, body, keep_alive=keep, version=record.http_version))
            record.outcome, record.status = "answered", 200
            return keep
        finally:
            if watcher is not None and not watcher.done():
                watcher.cancel()
                with contextlib.suppress(BaseException):
                    await watcher

    async def _serve_heartbeat(
        self,
        writer: asyncio.StreamWriter,
        record: BackendRequest,
        watcher: asyncio.Future[bytes] | None,
        finish_at: float,
        body: bytes,
        keep_alive: bool,
    ) -> bool:
        assert self.config.mode_s is not None
        chunked = record.http_version == "HTTP/1.1"
        keep = keep_alive and chunked
        head = [f"{record.http_version} 200 OK", "Content-Type: application/json", f"Date: {_date()}"]
        head += ["Server: lpdoctor-test-backend"]
        head += ["Transfer-Encoding: chunked"] if chunked else []
        head += ["Connection: keep-alive" if keep else "Connection: close"]
        await _write(writer, ("\r\n".join(head) + "\r\n\r\n").encode())
        record.status = 200
        loop = asyncio.get_running_loop()
        next_at = loop.time() + self.config.mode_s
        while next_at < finish_at:
            if not await _hold_until(next_at, watcher):
                record.outcome = "client-gone"
                return False
            await _write(writer, b"1\r\n \r\n" if chunked else b" ")
            next_at += self.config.mode_s
        if not await _hold_until(finish_at, watcher):
            record.outcome = "client-gone"
            return False
        await _write(writer, (b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)) if chunked else body)
        record.outcome = "answered"
        return keep


async def _hold_until(deadline: float, watcher: asyncio.Future[bytes] | None) -> bool:
    """Sleep until ``deadline`` (loop time); False if the peer closed the connection meanwhile."""
    loop = asyncio.get_running_loop()
    delay = deadline - loop.time()
    if watcher is None:
        if delay > 0:
            await asyncio.sleep(delay)
        return True
    if delay > 0 and not watcher.done():
        await asyncio.wait([watcher], timeout=delay)
    if watcher.done():
        # EOF (b"") or an error: the client went away. Unexpected bytes (pipelining): keep holding.
        if watcher.cancelled() or watcher.exception() is not None or watcher.result() == b"":
            return False
        remaining = deadline - loop.time()
        if remaining > 0:
            await asyncio.sleep(remaining)
    return True


async def _write(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(data)
    await writer.drain()


def _parse_head(head: bytes) -> tuple[tuple[str, str, str] | None, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1"):
        return None, {}
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return (parts[0], parts[1], parts[2]), headers


def _wants_keep_alive(version: str, connection: str) -> bool:
    tokens = {t.strip().lower() for t in connection.split(",")}
    if version == "HTTP/1.1":
        return "close" not in tokens
    return "keep-alive" in tokens


def _hold_from_target(target: str, cfg: BackendConfig) -> float | None:
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "timeout" in query:
        try:
            value = float(query["timeout"])
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value / 1000.0 if cfg.timeout_unit == "ms" else value
    if "wait" in query:
        seconds = parse_go_duration(query["wait"])
        if seconds is not None:
            return seconds
    if cfg.fixed_hold_s is not None and any(parts.path.startswith(p) for p in cfg.hold_paths):
        return cfg.fixed_hold_s
    return None


def _body(index: int, plan: _Plan) -> bytes:
    if plan.hold_s is None:
        return json.dumps({"ok": True, "request": index}, separators=(",", ":")).encode() + b"\n"
    events = [{"id": index, "type": "update", "after_ms": round(plan.finish_s * 1000)}] if plan.event else []
    return json.dumps({"events": events, "next": f"s{index}"}, separators=(",", ":")).encode() + b"\n"


def _date() -> str:
    return formatdate(usegmt=True)


def _response(status: int, body: bytes, *, keep_alive: bool, version: str = "HTTP/1.1") -> bytes:
    head = [
        f"{version} {status} {_REASONS.get(status, 'Unknown')}",
        f"Date: {_date()}",
        "Server: lpdoctor-test-backend",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if not keep_alive:
        head.append("Connection: close")
    elif version == "HTTP/1.0":
        head.append("Connection: keep-alive")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Backend:
    """A backend running in this process, on a daemon thread with its own event loop.

    ``start()`` returns once the socket accepts; ``stop()`` closes the listener and every connection.
    Usable as a context manager. ``requests`` is what the backend saw (a copy, safe to read any time).
    """

    def __init__(self, config: BackendConfig | None = None) -> None:
        self.config = config or BackendConfig()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"{self.config.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def requests(self) -> list[BackendRequest]:
        return list(self._server.requests) if self._server else []

    def start(self, timeout_s: float = 5.0) -> Backend:
        ready = threading.Event()
        failure: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._server = _Server(self.config)

        def run() -> None:
            assert self._loop is not None and self._server is not None
            asyncio.set_event_loop(self._loop)
            try:
                self.port = self._loop.run_until_complete(self._server.start())
            except BaseException as exc:  # reported to start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._server.close())
            self._loop.close()

        self._thread = threading.Thread(target=run, name=f"backend-{self.config.mode_text}", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            raise RuntimeError("backend did not start in time")
        if failure:
            raise RuntimeError(f"backend failed to start: {failure[0]!r}") from failure[0]
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout_s)
        self._thread = None

    def __enter__(self) -> Backend:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class BackendProcess:
    """A backend running as a subprocess (``python -m tests.realworld.backend``)."""

    process: subprocess.Popen[str]
    port: int
    config: BackendConfig
    host: str = HOST
    _stopped: bool = field(default=False, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout_s)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> BackendProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def config_to_args(config: BackendConfig, lifetime_s: float = DEFAULT_LIFETIME_S) -> list[str]:
    """The command-line arguments that make the subprocess backend run ``config``."""
    args = ["--host", config.host, "--port", str(config.port), "--mode", config.mode_text]
    if config.fixed_hold_s is not None:
        args += ["--hold", f"{config.fixed_hold_s:g}"]
    for prefix in config.hold_paths:
        args += ["--hold-path", prefix]
    args += ["--timeout-unit", config.timeout_unit, "--event-probability", f"{config.event_probability:g}"]
    args += ["--event-delay", config.event_delay, "--seed", str(config.seed)]
    args += ["--max-hold", f"{config.max_hold_s:g}", "--quick-delay", f"{config.quick_delay_s:g}"]
    args += ["--lifetime", f"{lifetime_s:g}"]
    return args


def start_backend_process(
    config: BackendConfig | None = None, *, lifetime_s: float = DEFAULT_LIFETIME_S, timeout_s: float = 10.0
) -> BackendProcess:
    """Start the backend as a separate Python process and wait for its ``LISTENING`` line."""
    config = config or BackendConfig()
    repo_root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(repo_root), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "tests.realworld.backend", *config_to_args(config, lifetime_s)]
    proc = subprocess.Popen(cmd, cwd=repo_root, env=env, stdout=subprocess.PIPE, text=True)
    port = _read_listening_port(proc, timeout_s)
    if port is None:
        proc.kill()
        proc.wait(5)
        raise RuntimeError(f"backend subprocess did not report a port: {' '.join(cmd)}")
    return BackendProcess(process=proc, port=port, config=replace(config, port=port), host=config.host)


def _read_listening_port(proc: subprocess.Popen[str], timeout_s: float) -> int | None:
    result: list[int] = []

    def read() -> None:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.match(r"LISTENING [\d.]+:(\d+)", line)
        if m:
            result.append(int(m.group(1)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout_s)
    return result[0] if result else None


@contextlib.contextmanager
def running_backend(config: BackendConfig | None = None) -> Iterator[Backend]:
    """``with running_backend(cfg) as b:`` — an in-process backend for the duration of the block."""
    backend = Backend(config).start()
    try:
        yield backend
    finally:
        backend.stop()


def _build_arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.realworld.backend", description=__doc__.split("\n")[0])
    p.add_argument("--host", default=HOST)
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    p.add_argument(
        "--mode", default="normal", help="normal | write-timeout=N | close-after=N | heartbeat=N | processing=N"
    )
    p.add_argument("--hold", type=float, default=None, help="fixed hold (s) when the query names none")
    p.add_argument("--hold-path", action="append", default=None, help="path prefix that gets --hold (repeatable)")
    p.add_argument("--timeout-unit", choices=("ms", "s"), default="ms", help="unit of ?timeout=")
    p.add_argument("--event-probability", type=float, default=0.0)
    p.add_argument("--event-delay", default="uniform", help="uniform | exp:<mean seconds>")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-hold", type=float, default=600.0)
    p.add_argument("--quick-delay", type=float, default=0.01)
    p.add_argument("--lifetime", type=float, default=DEFAULT_LIFETIME_S, help="exit after this many seconds")
    return p


async def _serve_for(config: BackendConfig, lifetime_s: float) -> None:
    server = _Server(config)
    port = await server.start()
    print(f"LISTENING {config.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=lifetime_s)
    await server.close()


def main(argv: list[str] | None = None) -> int:
    args = _build_arg_parser().parse_args(argv)
    name, seconds = parse_mode(args.mode)
    config = BackendConfig(
        mode=name,
        mode_s=seconds,
        fixed_hold_s=args.hold,
        hold_paths=tuple(args.hold_path) if args.hold_path else ("",),
        timeout_unit=args.timeout_unit,
        event_probability=args.event_probability,
        event_delay=args.event_delay,
        seed=args.seed,
        max_hold_s=args.max_hold,
        quick_delay_s=args.quick_delay,
        host=args.host,
        port=args.port,
    )
    asyncio.run(_serve_for(config, args.lifetime))
    return 0


if __name__ == "__main__":
    sys.exit(main())
