"""One probe request as the client saw it (:class:`Measurement`), in the probe's words for how a request
failed (``FAILURE_WORDS``): a reset, a close before or inside the answer, lpdoctor's own deadline, --max-time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lpdoctor.model import Outcome, RequestRecord, outcome_from_status
from lpdoctor.probe.target import host_of

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
