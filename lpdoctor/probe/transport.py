"""The probe's measuring part: send one long-poll request with a given hold and record how it ended.

Like the log readers, it turns what it saw into the model (:class:`~lpdoctor.model.RequestRecord`); unlike
them it sees the chain from the client's side, so it records what no access log has:

- the time to the response headers and to the last byte, measured from the moment the request was sent;
- how the request ended when no response came: a reset (RST), the connection closed before any header
  (EOF), the connection closed in the middle of the body, or lpdoctor's own limit;
- ``102 Processing`` interim responses and body bytes that arrived during the hold (heartbeats). Idle timers
  restart on every byte, total ones do not, so these change which timeouts can cut.

httpx does the HTTP; a thin wrapper around httpcore's network backend timestamps every read (httpx drops
1xx interim responses before they reach the caller) and enforces lpdoctor's own deadline, which is always
set well above the hold being tried: the probe must never be the hop that cuts.

Header values given with ``--header`` never appear in any output: not in measurements, not in errors.
"""

from __future__ import annotations

import contextlib
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpcore
import httpx

from lpdoctor import __version__
from lpdoctor.probe.measurement import (
    CONNECT,
    EOF_BEFORE_HEADERS,
    EOF_IN_BODY,
    MAX_TIME,
    OWN_TIMEOUT,
    PROTOCOL,
    REDIRECT_OTHER_HOST,
    RESET,
    TLS,
    TOO_MANY_REDIRECTS,
    UNFRAMED,
    WRITE,
    Measurement,
)
from lpdoctor.probe.target import HoldParam, hide_userinfo, userinfo_secrets, validate_url
from lpdoctor.text.safety import REDACTED, safe

MAX_REDIRECTS = 3
MAX_BODY_BYTES = 4 * 1024 * 1024
BODY_HINT_BYTES = 512
_HEAD_LIMIT = 64 * 1024


_STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)? (\d{3})")
_SERVER_LINE = re.compile(rb"(?im)^server:[ \t]*([^\r\n]{0,200})")


# ---------------------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------------------
# Recording every read: 1xx responses, resets, lpdoctor's own deadline


class _Recorder:
    """What the network layer saw during one measurement; every wait on it ends by its deadline.

    ``deadline`` is lpdoctor's own limit for the request (far above the hold); ``budget`` the end of
    ``--max-time``. Whichever comes first bounds connects, TLS handshakes, writes and reads.
    """

    def __init__(self, clock: Callable[[], float], start: float, deadline: float, budget: float | None = None) -> None:
        self.clock = clock
        self.start = start
        self.budget = budget
        self.deadline = deadline if budget is None else min(deadline, budget)
        self.connect_s: float | None = None
        self.sent_s: float | None = None
        self.interim: list[tuple[int, float]] = []
        self.interim_server: str | None = None
        self.reset = False
        self.deadline_hit = False
        self.aborted = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._head = b""
        self._final = False

    @property
    def budget_hit(self) -> bool:
        """The deadline that passed was --max-time's, not lpdoctor's own limit for the request."""
        return self.deadline_hit and self.budget is not None and self.budget <= self.deadline + 1e-9

    def wait_s(self, timeout: float | None) -> float:
        """``timeout`` clamped to the time left; raises when none is left."""
        remaining = self.deadline - self.clock()
        if remaining <= 0 or self.aborted:
            self.deadline_hit = not self.aborted
            raise httpcore.ReadTimeout("lpdoctor's own time limit")
        return remaining if timeout is None else min(timeout, remaining)

    def note_timeout(self) -> None:
        if self.clock() >= self.deadline - 0.05:
            self.deadline_hit = True

    def add_socket(self, sock: Any) -> None:
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            aborted = self.aborted
        if aborted:
            _shut(sock)

    def abort(self) -> None:
        """End the request now: every socket is shut down, which wakes a read blocked on it."""
        with self._lock:
            self.aborted = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)

    def now(self) -> float:
        return self.clock() - self.start

    def on_connect(self) -> None:
        if self.connect_s is None:
            self.connect_s = self.now()

    def on_write(self) -> None:
        self.sent_s = self.now()
        self._head = b""
        self._final = False

    def on_read(self, data: bytes) -> None:
        if self._final or not data:
            return
        self._head += data
        while not self._final:
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                if len(self._head) > _HEAD_LIMIT:
                    self._final = True
                break
            head, self._head = self._head[:end], self._head[end + 4 :]
            m = _STATUS_LINE.match(head)
            status = int(m.group(1)) if m else 0
            if 100 <= status < 200 and status != 101:
                if len(self.interim) < 1000:
                    self.interim.append((status, self.now()))
                if self.interim_server is None:
                    found = _SERVER_LINE.search(head)
                    if found:
                        self.interim_server = found.group(1).decode("latin-1").strip()
            else:
                self._final = True
                self._head = b""

    def on_error(self, exc: BaseException) -> None:
        if _caused_by(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
            self.reset = True


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _caused_by(exc: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, kinds):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _RecordingStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, rec: _Recorder) -> None:
        self._inner = inner
        self._rec = rec

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        rec = self._rec
        wait = rec.wait_s(timeout)
        try:
            data = self._inner.read(max_bytes, wait)
        except httpcore.ReadTimeout:
            rec.note_timeout()
            raise
        except Exception as exc:
            rec.on_error(exc)
            raise
        rec.on_read(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._inner.write(buffer, self._rec.wait_s(timeout))
        except httpcore.WriteTimeout:
            self._rec.note_timeout()
            raise
        except Exception as exc:
            self._rec.on_error(exc)
            raise
        self._rec.on_write()

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        try:
            inner = self._inner.start_tls(ssl_context, server_hostname, self._rec.wait_s(timeout))
        except httpcore.ConnectTimeout:
            self._rec.note_timeout()
            raise
        self._rec.add_socket(inner.get_extra_info("socket"))
        return _RecordingStream(inner, self._rec)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _is_address(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host.strip("[]"))
    except OSError:
        return False
    return True


def resolve_within(host: str, port: int, wait_s: float) -> list[str]:
    """The addresses of ``host``, in the resolver's order, or :class:`httpcore.ConnectTimeout` after ``wait_s``.

    ``socket.create_connection`` resolves without any timeout: a resolver that does not answer held a probe
    for the resolver's own retries (5 s x 2 attempts x each nameserver with glibc's defaults), past
    ``--max-time``. The lookup runs on a daemon thread, left to finish on its own when it takes too long."""
    if _is_address(host):
        return [host.strip("[]")]
    done = threading.Event()
    found: list[Any] = []

    def lookup() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # gaierror, UnicodeError on a bad name: said by the caller
            found.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name=f"lpdoctor-resolve-{host[:40]}", daemon=True).start()
    if not done.wait(max(wait_s, 0.0)):
        raise httpcore.ConnectTimeout(f"resolving {host} took more than {wait_s:.1f} s")
    result = found[0]
    if isinstance(result, BaseException):
        raise httpcore.ConnectError(str(result)) from result
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in result:
        if str(sockaddr[0]) not in addresses:
            addresses.append(str(sockaddr[0]))
    if not addresses:
        raise httpcore.ConnectError(f"{host} has no address")
    return addresses


class _RecordingBackend(httpcore.NetworkBackend):
    def __init__(self, rec: _Recorder) -> None:
        self._inner = httpcore.SyncBackend()
        self._rec = rec

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve_within(host, port, self._rec.wait_s(timeout))
            # each address in turn, as socket.create_connection tries them (an IPv6 one unreachable from here)
            for i, address in enumerate(addresses):
                try:
                    stream = self._inner.connect_tcp(
                        address, port, self._rec.wait_s(timeout), local_address, socket_options
                    )
                    break
                except httpcore.ConnectError:
                    if i == len(addresses) - 1:
                        raise
        except httpcore.ConnectTimeout:
            self._rec.note_timeout()
            raise
        self._rec.add_socket(stream.get_extra_info("socket"))
        self._rec.on_connect()
        return _RecordingStream(stream, self._rec)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, self._rec.wait_s(timeout), socket_options)
        self._rec.add_socket(stream.get_extra_info("socket"))
        self._rec.on_connect()
        return _RecordingStream(stream, self._rec)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


TransportFactory = Callable[[_Recorder], httpx.BaseTransport]


def recording_transport(ssl_context: ssl.SSLContext) -> TransportFactory:
    """An httpx transport over httpcore's connection pool built on the recording network backend.

    httpx's own ``HTTPTransport`` takes no network backend, so :class:`_PoolTransport` does its small job
    (hand the request to the pool, the body back as a stream, errors as httpx errors) through public APIs
    only. One fresh connection per measurement (no keep-alive): every request is measured from its own
    connect.
    """

    def make(rec: _Recorder) -> httpx.BaseTransport:
        pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=4,
            max_keepalive_connections=0,
            http1=True,
            http2=False,
            network_backend=_RecordingBackend(rec),
        )
        return _PoolTransport(pool)

    return make


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """httpcore's exceptions as httpx's classes of the same name (httpx.ReadTimeout for ReadTimeout ...)."""
    try:
        yield
    except httpcore.UnsupportedProtocol as exc:
        raise httpx.UnsupportedProtocol(str(exc)) from exc
    except Exception as exc:
        for kind in type(exc).__mro__:
            if kind.__module__.startswith("httpcore"):
                target = getattr(httpx, kind.__name__, None)
                if isinstance(target, type) and issubclass(target, httpx.TransportError):
                    raise target(str(exc)) from exc
        raise


class _PoolBody(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._response.iter_stream()

    def close(self) -> None:
        with _as_httpx_errors():
            self._response.close()


class _PoolTransport(httpx.BaseTransport):
    def __init__(self, pool: httpcore.ConnectionPool) -> None:
        self._pool = pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,  # a SyncByteStream: an iterable of bytes
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = self._pool.handle_request(core)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_PoolBody(response),
            extensions=response.extensions,
        )

    def close(self) -> None:
        with _as_httpx_errors():
            self._pool.close()


# ---------------------------------------------------------------------------------------------------------
# The prober


def client_limit_s(hold_s: float | None, budget_s: float) -> float:
    """lpdoctor's own limit for one request: far above the hold (room for a proxy's retries), within budget."""
    if hold_s is None:
        return max(1.0, budget_s)
    return max(hold_s + own_margin_s(hold_s), min(2.5 * hold_s + 5.0, budget_s))


def own_margin_s(hold_s: float) -> float:
    """How far above the hold lpdoctor's own limit always is."""
    return max(3.0, 0.5 * hold_s)


class Prober:
    """Sends probe requests to one URL; thread-safe (each measurement has its own client and connection)."""

    def __init__(
        self,
        url: str,
        hold: HoldParam | None,
        headers: Sequence[tuple[str, str]] = (),
        *,
        connect_timeout_s: float = 10.0,
        transport_factory: TransportFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        verify: bool = True,
    ) -> None:
        self.url = validate_url(url)
        self.hold = hold
        self.headers = list(headers)
        if not any(name.lower() == "user-agent" for name, _v in self.headers):
            self.headers.append(("User-Agent", f"lpdoctor-probe/{__version__}"))
        self._secrets = sorted(
            [v for _n, v in self.headers if len(v) >= 3] + userinfo_secrets(url), key=len, reverse=True
        )
        self._active: set[_Recorder] = set()
        self._active_lock = threading.Lock()
        self._aborted = False
        self.connect_timeout_s = connect_timeout_s
        self.clock = clock
        if transport_factory is None:
            context = httpx.create_ssl_context(verify=verify, trust_env=False)
            transport_factory = recording_transport(context)
        self._factory = transport_factory
        self._origin = _origin(httpx.URL(url))

    def url_for(self, hold_s: float | None) -> str:
        if hold_s is None or self.hold is None:
            return self.url
        return self.hold.apply(self.url, hold_s)

    def measure(
        self,
        hold_s: float | None,
        index: int,
        budget_s: float = 600.0,
        set_hold: bool = True,
        deadline: float | None = None,
    ) -> Measurement:
        """One request asking for ``hold_s`` (``set_hold=False``: the URL as given, whose hold is ``hold_s``).

        ``deadline`` (on this prober's clock) is the end of ``--max-time``: nothing in the request, connect
        and TLS handshake included, waits past it; a request it ends is recorded as :data:`MAX_TIME`.
        """
        url = self.url_for(hold_s) if set_hold else self.url
        limit = client_limit_s(hold_s, budget_s)
        start = self.clock()
        rec = _Recorder(self.clock, start, start + limit, deadline)
        m = Measurement(index=index, hold_s=hold_s, url=hide_userinfo(url), started=time.time())
        timeout = httpx.Timeout(
            connect=self.connect_timeout_s, read=limit, write=self.connect_timeout_s, pool=self.connect_timeout_s
        )
        with self._active_lock:
            if self._aborted:
                rec.aborted = True
            self._active.add(rec)
        try:
            with httpx.Client(
                transport=self._factory(rec), timeout=timeout, follow_redirects=False, trust_env=False
            ) as client:
                self._exchange(client, url, rec, m)
        except httpx.HTTPError as exc:  # closing the client
            m.failure = m.failure or PROTOCOL
            m.error = m.error or self._scrub(f"{type(exc).__name__}: {exc}")
        finally:
            with self._active_lock:
                self._active.discard(rec)
            m.total_s = rec.now()
            m.connect_s = rec.connect_s
            m.sent_s = rec.sent_s
            m.interim = list(rec.interim)
            m.interim_server = self._scrub(rec.interim_server) if rec.interim_server else None
        if m.failure in (OWN_TIMEOUT, CONNECT, TLS, WRITE, PROTOCOL) and rec.budget_hit:
            m.failure = MAX_TIME
        return m

    def abort(self) -> None:
        """Stop every request in flight now (their sockets are shut down) and any request started later."""
        with self._active_lock:
            self._aborted = True
            active = list(self._active)
        for rec in active:
            rec.abort()

    def _exchange(self, client: httpx.Client, url: str, rec: _Recorder, m: Measurement) -> None:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                request = client.build_request("GET", current, headers=self.headers)
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                m.failure = self._failure(exc, rec, headers_seen=False)
                m.error = self._scrub(f"{type(exc).__name__}: {exc}")
                return
            except (ValueError, TypeError):  # a header httpx refuses: never repeat its value
                m.failure = PROTOCOL
                m.error = "the request could not be built (check --header)"
                return
            try:
                m.status = response.status_code
                m.header_s = rec.now()
                _identify(response, m, self._scrub)
                location = response.headers.get("location")
                if response.is_redirect and location:
                    try:
                        nxt = request.url.join(location)
                    except (httpx.InvalidURL, ValueError):
                        m.failure = PROTOCOL
                        return
                    m.location = self._scrub(hide_userinfo(str(nxt.copy_with(query=None, fragment=None))))
                    if _origin(nxt) != self._origin:
                        m.failure = REDIRECT_OTHER_HOST
                        return
                    m.redirects += 1
                    current = str(nxt)
                    continue
                m.framing = _framing(response)
                self._read_body(response, rec, m)
                if m.failure is None and m.framing == "close" and 200 <= response.status_code < 300:
                    m.failure = UNFRAMED  # its end cannot be told from a cut
                return
            finally:
                response.close()
        m.failure = TOO_MANY_REDIRECTS

    def _read_body(self, response: httpx.Response, rec: _Recorder, m: Measurement) -> None:
        last = m.header_s or 0.0
        longest = 0.0
        hint = b""
        want_hint = (m.status or 0) >= 400
        try:
            for chunk in _raw_chunks(response):
                if not chunk:
                    continue
                now = rec.now()
                longest = max(longest, now - last)
                last = now
                m.body_chunks += 1
                m.body_bytes += len(chunk)
                if want_hint and len(hint) < BODY_HINT_BYTES:
                    hint += chunk[: BODY_HINT_BYTES - len(hint)]
                if m.body_bytes > MAX_BODY_BYTES:
                    m.truncated = True
                    break
        except httpx.HTTPError as exc:
            m.failure = self._failure(exc, rec, headers_seen=True)
            m.error = self._scrub(f"{type(exc).__name__}: {exc}")
            longest = max(longest, rec.now() - last)
        m.last_byte_s = last
        m.longest_silence_s = longest if m.body_chunks else None
        if hint:
            m.body_hint = self._scrub(hint.decode("utf-8", "replace"))

    @staticmethod
    def _failure(exc: httpx.HTTPError, rec: _Recorder, headers_seen: bool) -> str:
        if rec.deadline_hit:
            return MAX_TIME if rec.budget_hit else OWN_TIMEOUT
        if rec.reset or _caused_by(exc, (ConnectionResetError, ConnectionAbortedError)):
            return RESET
        if isinstance(exc, httpx.ConnectTimeout):
            return CONNECT
        if isinstance(exc, httpx.ReadTimeout):
            return OWN_TIMEOUT
        if isinstance(exc, httpx.TimeoutException):
            return WRITE if isinstance(exc, httpx.WriteTimeout) else CONNECT
        if isinstance(exc, httpx.ConnectError):
            return TLS if _caused_by(exc, (ssl.SSLError,)) or "SSL" in str(exc) else CONNECT
        if isinstance(exc, httpx.RemoteProtocolError):
            text = str(exc).lower()
            if "disconnect" in text or "closed" in text or "incomplete" in text:
                return EOF_IN_BODY if headers_seen else EOF_BEFORE_HEADERS
            return PROTOCOL
        if isinstance(exc, httpx.ReadError):
            return RESET if "reset" in str(exc).lower() or not headers_seen else EOF_IN_BODY
        if isinstance(exc, httpx.WriteError):
            return WRITE
        return PROTOCOL

    def _scrub(self, text: str, limit: int = 300) -> str:
        """Header values and userinfo given on the command line, then every other credential: never shown."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return safe(text, limit)


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body as it arrives (a response built in memory, as by httpx.MockTransport, in one piece)."""
    try:
        yield from response.iter_raw()
    except httpx.StreamConsumed:
        yield response.content


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host.lower(), url.port or default)


_EDGE_HEADERS = ("cf-ray", "x-amz-cf-id", "x-amzn-trace-id", "x-served-by", "x-cache", "x-azure-ref", "fly-request-id")


def _identify(response: httpx.Response, m: Measurement, scrub: Callable[[str, int], str]) -> None:
    """Who answered. A Server or Via header that echoes a --header value is scrubbed like an error body."""
    headers = response.headers
    server = headers.get("server")
    m.server = scrub(server, 100) if server else None
    via = headers.get("via")
    m.via = scrub(via, 100) if via else None
    m.edge_headers = tuple(h for h in _EDGE_HEADERS if h in headers)


def _framing(response: httpx.Response) -> str:
    """How the end of the body is known: ``length``, ``chunked``, ``none`` (no body) or ``close`` (only the
    connection closing ends it, so a cut looks like a complete answer)."""
    if response.status_code in (204, 304) or response.status_code < 200 or response.request.method == "HEAD":
        return "none"
    encoding = response.headers.get("transfer-encoding", "").lower()
    if "chunked" in encoding:
        return "chunked"
    if "content-length" in response.headers:
        return "length"
    return "close"
