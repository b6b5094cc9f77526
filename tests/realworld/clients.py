"""Concurrent long-poll clients on raw sockets: bounded, self-stopping, with a real read timeout.

Each client is a thread that sends ``GET <target> HTTP/1.1``, waits for the answer with a socket read timeout
(idle semantics, like httpx/requests: the timer restarts on every byte), and re-polls at once, as long-poll
clients do. When the read timeout fires the client **closes the connection** (what makes nginx log 499) and
opens a new one for the next poll. Keep-alive connections are reused otherwise.

::

    run = run_clients(ClientConfig(port=nginx.port, clients=5, duration_s=3, read_timeout_s=1,
                                   targets=fixed_target("/poll?timeout=2000")))
    run.count(499)  # nothing: 499 is nginx's word; here the results say error="read-timeout"

Bounds: no client starts a request after ``duration_s`` (or after ``max_requests``); a request in flight ends
within ``read_timeout_s`` of its last byte; :func:`run_clients` joins every thread with a hard deadline.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

HOST = "127.0.0.1"
# (rng, client id, request number from 1, this client's previous result or None) -> request target
TargetFn = Callable[[random.Random, int, int, "PollResult | None"], str]
_MAX_HEAD = 64 * 1024
_MAX_BODY = 4 * 1024 * 1024

DEFAULT_USER_AGENTS = ("lpdoctor-harness/1.0",)


def fixed_target(target: str) -> TargetFn:
    """Every request asks for the same target."""
    return lambda _rng, _client, _seq, _last: target


@dataclass
class PollResult:
    """One request as the client saw it."""

    client: int
    seq: int
    target: str
    started: float  # wall clock (time.time()) when the request was sent
    elapsed_s: float
    status: int | None  # None: no final response
    error: str | None = None  # read-timeout | closed (no response) | connect | protocol | incomplete
    body: bytes = b""
    interim: tuple[int, ...] = ()  # 1xx statuses seen before the final response

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


@dataclass
class ClientConfig:
    port: int
    host: str = HOST
    clients: int = 10
    duration_s: float = 10.0  # no new request starts after this many seconds
    max_requests: int | None = None  # per client; None: as many as fit in duration_s
    read_timeout_s: float = 30.0  # per socket read, idle semantics
    connect_timeout_s: float = 5.0
    targets: TargetFn = field(default_factory=lambda: fixed_target("/"))
    host_header: str | None = None  # default: host:port
    user_agents: Sequence[str] = DEFAULT_USER_AGENTS  # client i sends user_agents[i % len]
    forwarded_for: Sequence[str] = ()  # client i sends X-Forwarded-For: forwarded_for[i % len] (with realip)
    stagger_s: float = 0.0  # clients start spread uniformly over this many seconds
    repoll_delay_s: tuple[float, float] = (0.0, 0.0)  # pause before the next poll after a success
    failure_backoff_s: tuple[float, float] = (0.5, 1.0)  # pause after a 5xx or a close: clients back off
    timeout_backoff_s: tuple[float, float] = (0.0, 0.0)  # pause after the client's own read timeout
    keep_alive: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.read_timeout_s <= 0 or self.duration_s < 0 or self.clients < 1:
            raise ValueError("clients need a positive read timeout, a duration and at least one client")


@dataclass
class ClientRun:
    """All results of one :func:`run_clients` call."""

    results: list[PollResult]
    wall_s: float
    unfinished_clients: int = 0  # threads still alive at the hard deadline (should be 0)

    def count(self, status: int | None = None, error: str | None = None) -> int:
        return sum(1 for r in self.results if (status is None or r.status == status) and r.error == error)

    def statuses(self) -> Counter[int | str]:
        return Counter(r.status if r.status is not None else (r.error or "none") for r in self.results)


class _Connection:
    def __init__(self, cfg: ClientConfig) -> None:
        self.sock = socket.create_connection((cfg.host, cfg.port), timeout=cfg.connect_timeout_s)
        self.sock.settimeout(cfg.read_timeout_s)
        self.buffer = b""
        self.used = False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buffer += data
        return True

    def read_until(self, marker: bytes, limit: int) -> bytes | None:
        while marker not in self.buffer:
            if len(self.buffer) > limit or not self._fill():
                return None
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def read_exact(self, n: int) -> bytes | None:
        while len(self.buffer) < n:
            if not self._fill():
                return None
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def read_to_close(self) -> bytes:
        while len(self.buffer) <= _MAX_BODY and self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


class _Incomplete(Exception):
    pass


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise _Incomplete("protocol")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


def _read_chunked(conn: _Connection) -> bytes:
    body = b""
    while True:
        size_line = conn.read_until(b"\r\n", 1024)
        if size_line is None:
            raise _Incomplete("incomplete")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            conn.read_until(b"\r\n", _MAX_HEAD)  # trailers end with an empty line
            return body
        chunk = conn.read_exact(size + 2)
        if chunk is None:
            raise _Incomplete("incomplete")
        body += chunk[:-2]
        if len(body) > _MAX_BODY:
            raise _Incomplete("protocol")


def _exchange(conn: _Connection, request: bytes) -> tuple[int, dict[str, str], bytes, tuple[int, ...], bool]:
    """Send one request, read one final response. Returns status, headers, body, interim codes, reusable."""
    conn.sock.sendall(request)
    interim: list[int] = []
    while True:
        head = conn.read_until(b"\r\n\r\n", _MAX_HEAD)
        if head is None:
            raise _Incomplete("closed" if not interim else "incomplete")
        status, headers = _parse_head(head)
        if 100 <= status < 200:
            interim.append(status)
            continue
        break
    reusable = "close" not in headers.get("connection", "").lower()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _read_chunked(conn)
    elif "content-length" in headers:
        got = conn.read_exact(int(headers["content-length"]))
        if got is None:
            raise _Incomplete("incomplete")
        body = got
    else:
        body, reusable = conn.read_to_close(), False
    return status, headers, body, tuple(interim), reusable


def _client_loop(cfg: ClientConfig, client: int, start_at: float, stop_at: float, out: list[PollResult]) -> None:
    rng = random.Random(f"{cfg.seed}/client/{client}")
    agent = cfg.user_agents[client % len(cfg.user_agents)]
    host_header = cfg.host_header or f"{cfg.host}:{cfg.port}"
    delay = start_at + rng.uniform(0.0, cfg.stagger_s) - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    forwarded = (
        f"X-Forwarded-For: {cfg.forwarded_for[client % len(cfg.forwarded_for)]}\r\n" if cfg.forwarded_for else ""
    )
    close = "" if cfg.keep_alive else "Connection: close\r\n"
    conn: _Connection | None = None
    last: PollResult | None = None
    seq = 0
    try:
        while time.monotonic() < stop_at and (cfg.max_requests is None or seq < cfg.max_requests):
            seq += 1
            target = cfg.targets(rng, client, seq, last)
            request = (
                f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {agent}\r\n"
                f"Accept: application/json\r\n{forwarded}{close}\r\n"
            ).encode("latin-1")
            last, conn = _one_poll(cfg, conn, client, seq, target, request)
            out.append(last)
            if last.ok:
                pause = cfg.repoll_delay_s
            elif last.error == "read-timeout":
                pause = cfg.timeout_backoff_s
            else:
                pause = cfg.failure_backoff_s
            wait = rng.uniform(*pause)
            if wait > 0 and time.monotonic() + wait < stop_at:
                time.sleep(wait)
    finally:
        if conn is not None:
            conn.close()


def _one_poll(
    cfg: ClientConfig, conn: _Connection | None, client: int, seq: int, target: str, request: bytes
) -> tuple[PollResult, _Connection | None]:
    started_wall, started = time.time(), time.monotonic()
    for attempt in (1, 2):
        fresh = conn is None
        try:
            if conn is None:
                conn = _Connection(cfg)
            status, _headers, body, interim, reusable = _exchange(conn, request)
        except TimeoutError:
            # The client gives up and closes the connection (nginx then logs 499).
            if conn is None:
                return PollResult(client, seq, target, started_wall, time.monotonic() - started, None, "connect"), None
            conn.close()
            elapsed = time.monotonic() - started
            return PollResult(client, seq, target, started_wall, elapsed, None, "read-timeout"), None
        except (_Incomplete, OSError, ValueError) as exc:
            if conn is not None:
                conn.close()
            kind = str(exc) if isinstance(exc, _Incomplete) else ("connect" if fresh else "closed")
            if attempt == 1 and not fresh and kind == "closed" and time.monotonic() - started < 0.5:
                conn = None  # a stale keep-alive connection: retry once on a new one, as HTTP clients do
                started_wall, started = time.time(), time.monotonic()
                continue
            elapsed = time.monotonic() - started
            return PollResult(client, seq, target, started_wall, elapsed, None, kind), None
        elapsed = time.monotonic() - started
        result = PollResult(client, seq, target, started_wall, elapsed, status, None, body, interim)
        if not (reusable and cfg.keep_alive):
            conn.close()
            conn = None
        return result, conn
    raise AssertionError("unreachable")


def run_clients(cfg: ClientConfig) -> ClientRun:
    """Run ``cfg.clients`` clients until ``cfg.duration_s`` has passed; wait for their last polls to end."""
    results: list[PollResult] = []
    began = time.monotonic()
    stop_at = began + cfg.duration_s
    threads = [
        threading.Thread(
            target=_client_loop, args=(cfg, i, began, stop_at, results), name=f"poll-client-{i}", daemon=True
        )
        for i in range(cfg.clients)
    ]
    for t in threads:
        t.start()
    # A poll started just before stop_at ends within connect + read timeout (+ a retry) of it.
    hard_deadline = stop_at + cfg.stagger_s + 2 * (cfg.connect_timeout_s + cfg.read_timeout_s) + 5.0
    for t in threads:
        t.join(max(0.0, hard_deadline - time.monotonic()))
    unfinished = sum(1 for t in threads if t.is_alive())
    results.sort(key=lambda r: r.started)
    return ClientRun(results=list(results), wall_s=time.monotonic() - began, unfinished_clients=unfinished)


def poll_once(port: int, target: str, *, read_timeout_s: float = 30.0, host: str = HOST) -> PollResult:
    """A single request (one client, one poll) — handy in smoke tests."""
    cfg = ClientConfig(port=port, host=host, clients=1, duration_s=0.0, max_requests=1, read_timeout_s=read_timeout_s)
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: {DEFAULT_USER_AGENTS[0]}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("latin-1")
    result, conn = _one_poll(cfg, None, 0, 1, target, request)
    if conn is not None:
        conn.close()
    return result
