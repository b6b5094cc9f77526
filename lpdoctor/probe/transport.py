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

import base64
import contextlib
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, unquote_plus, urlsplit, urlunsplit

import httpcore
import httpx

from lpdoctor import __version__, catalog
from lpdoctor.catalog.holds import HoldMatcher, parse_query
from lpdoctor.model import Outcome, RequestRecord, outcome_from_status
from lpdoctor.text.durations import DurationError, parse_duration
from lpdoctor.text.safety import REDACTED, safe

HOLD_UNITS = ("ms", "s", "duration")
MAX_REDIRECTS = 3
MAX_BODY_BYTES = 4 * 1024 * 1024
BODY_HINT_BYTES = 512
_HEAD_LIMIT = 64 * 1024

# Failure kinds (Measurement.failure); None means a complete response arrived.
RESET = "reset"  # the connection was reset (RST)
EOF_BEFORE_HEADERS = "eof-before-headers"  # closed with nothing sent ("Empty reply from server")
EOF_IN_BODY = "eof-in-body"  # closed after the headers, before the body was complete
OWN_TIMEOUT = "own-timeout"  # lpdoctor's own deadline passed (never a cut of the chain)
MAX_TIME = "max-time"  # --max-time ran out during this request: it says nothing about the chain
UNFRAMED = "body-ended-by-close"  # a 2xx whose body had no length and no chunks: only the close ended it
CONNECT = "connect"  # could not connect (refused, DNS, connect timeout)
TLS = "tls"  # the TLS handshake failed
PROTOCOL = "protocol"  # the answer was not HTTP
REDIRECT_OTHER_HOST = "redirect-other-host"  # a redirect to another origin: not followed
TOO_MANY_REDIRECTS = "too-many-redirects"
WRITE = "write"  # sending the request failed
FAILURE_WORDS = {
    RESET: "connection reset",
    EOF_BEFORE_HEADERS: "connection closed before any response",
    EOF_IN_BODY: "connection closed in the middle of the response",
    OWN_TIMEOUT: "no answer within lpdoctor's own limit",
    MAX_TIME: "stopped at --max-time",
    UNFRAMED: "the body ended only when the connection closed (no Content-Length, not chunked)",
    CONNECT: "could not connect",
    TLS: "TLS handshake failed",
    PROTOCOL: "not an HTTP response",
    REDIRECT_OTHER_HOST: "redirected to another host (not followed)",
    TOO_MANY_REDIRECTS: "too many redirects",
    WRITE: "sending the request failed",
}

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)? (\d{3})")
_SERVER_LINE = re.compile(rb"(?im)^server:[ \t]*([^\r\n]{0,200})")


class ProbeError(ValueError):
    """The probe cannot run as asked (bad URL, header, hold parameter): a usage error, exit 2."""


# ---------------------------------------------------------------------------------------------------------
# Where the hold goes in the URL


@dataclass(frozen=True)
class HoldParam:
    """How a hold is asked for: a query parameter and its unit, or a hold the server fixes itself."""

    name: str | None  # None: the server decides the hold (ElectricSQL, CometD ...); it cannot be varied
    unit: str  # ms | s | duration
    protocol: str | None = None  # catalog id when a known protocol matched
    source: str = "query"  # "option" (--param), "protocol" or "query" (a generic parameter in the URL)
    fixed_s: float | None = None  # the server's own hold when name is None
    max_s: float | None = None  # the server caps holds at this (Telegram 50 s)

    def describe(self) -> str:
        if self.name is None:
            held = f"{self.fixed_s:g} s" if self.fixed_s is not None else "a hold the server decides"
            return f"{self.protocol or 'server'}: {held}, not set by the client"
        who = f"{self.protocol}: " if self.protocol else ("--param " if self.source == "option" else "")
        return f"{who}{self.name} in {self.unit}"

    def format_value(self, hold_s: float) -> str:
        if self.unit == "ms":
            return str(round(hold_s * 1000))
        if self.unit == "s":
            return _plain_number(hold_s)
        ms = round(hold_s * 1000)
        return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"

    def apply(self, url: str, hold_s: float) -> str:
        """``url`` with this parameter set to ``hold_s`` (other parameters keep their order and encoding)."""
        if self.name is None:
            return url
        return set_query_param(url, self.name, self.format_value(hold_s))


def _plain_number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def set_query_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    pieces = [p for p in parts.query.split("&") if p] if parts.query else []
    out: list[str] = []
    placed = False
    encoded = f"{quote(name, safe='')}={quote(value, safe='')}"
    for piece in pieces:
        key = unquote_plus(piece.partition("=")[0])
        if key == name:
            if not placed:
                out.append(encoded)
                placed = True
            continue
        out.append(piece)
    if not placed:
        out.append(encoded)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "&".join(out), ""))


def _infer_unit(value: str | None) -> str:
    """The unit a hold value in a URL is written in: ``15s`` → duration, ``30000`` → ms, ``25`` → s."""
    if value is None:
        return "s"
    text = unquote_plus(value).strip()
    if text.isascii() and text.replace(".", "", 1).isdecimal():
        return "ms" if float(text) >= 1000 else "s"
    try:
        parse_duration(text)
    except DurationError:
        return "s"
    return "duration"


def resolve_hold_param(url: str, param: str | None = None, unit: str | None = None) -> HoldParam | None:
    """Where the hold goes: ``--param`` first, then a known protocol, then a generic parameter in the URL."""
    if unit is not None and unit not in HOLD_UNITS:
        raise ProbeError(f"--unit must be one of {', '.join(HOLD_UNITS)}")
    parts = urlsplit(url)
    params = parse_query(parts.query)
    if param:
        if not _TOKEN.fullmatch(param):
            raise ProbeError("--param must be a plain query parameter name")
        return HoldParam(param, unit or _infer_unit(params.get(param)), source="option")
    path = parts.path or "/"
    for proto in catalog.protocols():
        if not proto.path.search(path):
            continue
        if any(name not in params or not rx.search(params[name]) for name, rx in proto.require.items()):
            continue
        if proto.param:
            return HoldParam(proto.param, unit or proto.unit or "s", proto.id, "protocol", max_s=proto.max_s)
        return HoldParam(None, "s", proto.id, "protocol", fixed_s=proto.default_s, max_s=proto.max_s)
    for generic in catalog.generic_params():
        if generic.name in params:
            inferred = generic.unit if generic.unit != "auto" else _infer_unit(params[generic.name])
            return HoldParam(generic.name, unit or inferred, None, "query")
    return None


def hold_in_url(url: str, hold: HoldParam | None) -> float | None:
    """The hold the URL asks for as it stands (None when it names none)."""
    if hold is not None and hold.name is None:
        return hold.fixed_s
    parts = urlsplit(url)
    if hold is not None and hold.source == "option":
        raw = parse_query(parts.query).get(hold.name or "")
        if raw is None:
            return None
        try:
            return parse_duration(unquote_plus(raw), default_unit="s" if hold.unit == "duration" else hold.unit)
        except DurationError:
            return None
    found = HoldMatcher().match(parts.path or "/", parts.query)
    return found.seconds if found is not None else None


# ---------------------------------------------------------------------------------------------------------
# Request headers (--header): values are secrets


def parse_header(text: str) -> tuple[str, str]:
    """``"Authorization: Bearer x"`` → (name, value). Errors never repeat the value."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name:
        raise ProbeError("--header must look like 'Name: value'")
    if not _TOKEN.fullmatch(name):
        raise ProbeError("--header: the name before ':' is not a valid header name")
    value = value.strip()
    if any(c in value for c in "\r\n\x00") or len(value) > 16384:
        raise ProbeError(f"--header {safe(name, 60)}: the value has a line break or is too long")
    if name.lower() in ("host", "content-length", "transfer-encoding", "connection"):
        raise ProbeError(f"--header {safe(name, 60)}: lpdoctor sets this header itself")
    return name, value


def validate_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
        _ = urlsplit(url).port  # what the rest of the probe parses with: "[x]" hosts, bad ports
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ProbeError(f"not a valid URL: {safe(hide_userinfo(url), 200)}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ProbeError(f"the URL must be http:// or https:// with a host: {safe(hide_userinfo(url), 200)}")
    return url


def _authority_span(url: str) -> tuple[int, int]:
    """Where the authority (``user:pw@host:port``) of ``url`` starts and ends (with or without ``scheme://``).

    Found by position, not by a URL parser: the userinfo must go even from a URL no parser accepts."""
    sep = url.find("//")
    start = sep + 2 if sep >= 0 and "/" not in url[:sep] else 0  # "host" alone: no scheme, no "//"
    end = len(url)
    for ch in "/?#":
        at = url.find(ch, start)
        if 0 <= at < end:
            end = at
    return start, end


def hide_userinfo(url: str) -> str:
    """``url`` with its userinfo (``user:password@``, ``:password@``, ``token@``) replaced by ``REDACTED@``."""
    start, end = _authority_span(url)
    at = url.rfind("@", start, end)
    if at < 0:
        return url
    return url[:start] + REDACTED + url[at:]


def host_of(url: str) -> str:
    """``host:port`` of ``url``, never its userinfo."""
    start, end = _authority_span(url)
    authority = url[start:end]
    return authority.rpartition("@")[2]


def userinfo_secrets(url: str) -> list[str]:
    """The userinfo of ``url`` and its parts as they may be echoed (raw and percent-decoded)."""
    start, end = _authority_span(url)
    at = url.rfind("@", start, end)
    if at < 0:
        return []
    info = url[start:at]
    user, _sep, password = info.partition(":")
    out = {info, unquote(info)}
    for part in (user, password):
        out.update((part, unquote(part)))
    # httpx sends the userinfo as "Authorization: Basic base64(user:password)": a server may echo that too.
    out.add(base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii"))
    return sorted((x for x in out if len(x) >= 3), key=len, reverse=True)


# ---------------------------------------------------------------------------------------------------------
# One measurement


@dataclass
class Measurement:
    """One probe request as the client saw it. Times are seconds from the start of the request."""

    index: int
    hold_s: float | None  # the hold asked for (None: the URL as given, hold unknown)
    url: str  # as sent, without its userinfo; query secrets included: always redact before output
    started: float  # Unix time
    total_s: float = 0.0  # start to the end (last byte, failure, or lpdoctor's limit)
    status: int | None = None  # the final status; None when none arrived
    header_s: float | None = None  # when the final response headers arrived
    connect_s: float | None = None  # TCP connect done (about one round trip)
    sent_s: float | None = None  # the request was fully written: the server's hold starts about here
    failure: str | None = None  # see FAILURE_WORDS; None: a complete response
    interim: list[tuple[int, float]] = field(default_factory=list)  # 1xx responses: (status, time)
    interim_server: str | None = None  # the Server header of the first interim response
    framing: str | None = None  # how the final body was delimited: length | chunked | close | none
    body_bytes: int = 0
    body_chunks: int = 0
    longest_silence_s: float | None = None  # longest gap between bytes after the headers
    last_byte_s: float | None = None
    server: str | None = None  # the Server header
    via: str | None = None
    edge_headers: tuple[str, ...] = ()  # names of headers that identify an edge (cf-ray, x-amz-cf-id ...)
    body_hint: str | None = None  # the start of an error body (Heroku, Envoy and CDN error pages)
    location: str | None = None  # where a redirect pointed (scheme://host/path only)
    redirects: int = 0
    truncated: bool = False
    error: str | None = None  # the transport error, scrubbed of header values

    @property
    def since_sent(self) -> float:
        return self.sent_s or 0.0

    @property
    def failed_at_s(self) -> float:
        """When the failure showed, from the moment the request was sent (a status: when it arrived)."""
        if self.failure is None and self.header_s is not None:
            return self.header_s - self.since_sent
        return self.total_s - self.since_sent

    @property
    def held_s(self) -> float:
        """How long the chain kept the request open after it was sent."""
        return self.total_s - self.since_sent

    @property
    def rtt_s(self) -> float:
        return min(self.connect_s or 0.0, 1.0)

    @property
    def outcome(self) -> Outcome:
        if self.failure is None and self.status is not None:
            return outcome_from_status(self.status)
        if self.failure in (EOF_BEFORE_HEADERS, UNFRAMED):
            return Outcome.UPSTREAM_CLOSED
        if self.failure in (OWN_TIMEOUT, MAX_TIME):
            return Outcome.CLIENT_CLOSED
        if self.failure in (REDIRECT_OTHER_HOST, TOO_MANY_REDIRECTS) and self.status is not None:
            return outcome_from_status(self.status)
        return Outcome.RESET

    @property
    def target(self) -> str:
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @property
    def host(self) -> str:
        return host_of(self.url)

    def describe(self) -> str:
        """``504 after 3.00 s (headers at 3.00 s)``; ``connection reset after 29.9 s`` — secrets-free."""
        if self.failure is None and self.status is not None:
            text = f"{self.status} after {self.total_s:.2f} s"
            if self.header_s is not None and self.total_s - self.header_s >= 0.05:
                text += f" (headers at {self.header_s:.2f} s)"
        else:
            word = FAILURE_WORDS.get(self.failure or "", self.failure or "failed")
            if self.failure == EOF_BEFORE_HEADERS and self.interim:
                word = "connection closed before the final response"
            text = f"{word} after {self.total_s:.2f} s"
            if self.status is not None:
                text = f"{self.status}, then {text}"
        if self.interim:
            text += f", {len(self.interim)}× {self.interim[0][0]} interim"
        if self.body_chunks > 1 and self.longest_silence_s is not None:
            text += f", body in {self.body_chunks} pieces (longest silence {self.longest_silence_s:.2f} s)"
        return text

    def record(self) -> RequestRecord:
        """This measurement in the model every analysis reads."""
        return RequestRecord(
            source="probe",
            line=self.index,
            proxy="probe",
            target=self.target,
            status=self.status if self.failure is None else None,
            duration_s=round(self.total_s, 3),
            outcome=self.outcome,
            method="GET",
            host=self.host,
            time=self.started,
            detail=self.failure,
            header_s=None if self.header_s is None else round(self.header_s, 3),
        )

    def as_dict(self) -> dict[str, Any]:
        """For the JSON report (``stats.probe.requests``); the URL is redacted later with the whole report."""
        d: dict[str, Any] = {
            "request": self.index,
            "hold_s": self.hold_s,
            "url": self.url,
            "status": self.status,
            "failure": self.failure,
            "outcome": self.outcome.value,
            "header_s": _r(self.header_s),
            "total_s": _r(self.total_s),
            "sent_s": _r(self.sent_s),
            "held_s": _r(self.held_s),
        }
        if self.interim:
            d["interim"] = [{"status": s, "at_s": _r(t)} for s, t in self.interim[:20]]
            d["interim_count"] = len(self.interim)
            if self.interim_server:
                d["interim_server"] = self.interim_server
        if self.framing:
            d["framing"] = self.framing
        if self.body_chunks > 1:
            d["body_chunks"] = self.body_chunks
            d["longest_silence_s"] = _r(self.longest_silence_s)
        if self.server:
            d["server"] = self.server
        if self.via:
            d["via"] = self.via
        if self.edge_headers:
            d["edge_headers"] = list(self.edge_headers)
        if self.location:
            d["location"] = self.location
        if self.redirects:
            d["redirects"] = self.redirects
        if self.error:
            d["error"] = self.error
        return d


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


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
            stream = self._inner.connect_tcp(host, port, self._rec.wait_s(timeout), local_address, socket_options)
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
