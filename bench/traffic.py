"""Seeded traffic in every log format lpdoctor reads, in several shapes: the logs of ``bench.run``'s table.

    python -m bench.traffic --format nginx-json --shape ids --lines 1000000 --out /tmp/x.log

A *shape* is what the requests are (their URLs, statuses and times); a *format* is how a proxy writes them. The
same seed and shape give the same requests in every format, so the rows of the table differ only by format.
The line layouts are those real proxies wrote in tests/fixtures/logformats/*.log (nginx 1.22, HAProxy, Apache
``%D``, Caddy, an ALB, Sōzune, Traefik and Envoy Gateway JSON), with the fields of each request put in their place;
``sozune-json`` is Sōzune's ``log.format: json`` (tests/fixtures/sozu/sozune-stdout-json.log), the same requests;
``nginx-error`` is the error log nginx writes beside them (``error_log ... info``: a line for each request that
ended badly, the closed keepalive connection for the others); ``nginx-error-outage`` the same log while the
upstreams are down: every request fails, every line names its request; ``caddy-runtime`` Caddy's runtime log
in the same outage (an ``http.log.error`` entry for every failed request).

Shapes:

- ``ids``: a site serving files and API objects by number: ``/img/61141.png``, ``/static/app.27961.js``,
  ``/api/v1/users/88121`` (100 000 distinct ids), plus the long-polls of every shape (below);
- ``spa``: a single-page app behind a CDN: hashed build chunks (``/static/js/main.3f2a9c1b.chunk.js``,
  ``/assets/index-BXq3k9aZ.js``, ``/_next/static/chunks/pages/_app-a1b2c3d4e5f6a7b8.js``), UUIDs, base64
  cursors in the path, Slack-style channel ids, Matrix event ids;
- ``few``: a handful of API routes (what a small service's log looks like).

Every shape holds 4 % long-polls: a Matrix ``/sync?timeout=30000`` held 30 s (answered), a Consul
``?index=…&wait=5m`` watch cut at 60 s (504), and a ``/api/events/poll?timeout=55`` whose upstream closes at
50 s (502) and whose clients give up at 40 s (499): the findings lpdoctor must make in every format.
"""

from __future__ import annotations

import argparse
import base64
import random
import sys
import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

from bench.outfile import finish, staging

START_EPOCH = 1_781_000_000  # 2026-06-09
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_B62 = _LETTERS + _LETTERS.upper() + "0123456789"
_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "okhttp/4.12.0",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "python-requests/2.31.0",
)
_WORDS = ("account", "billing", "profile", "settings", "search", "orders", "cart", "checkout", "reports", "teams")
SHAPES = ("ids", "spa", "few")
FORMATS = (
    "nginx-timing",
    "nginx-json",
    "nginx-kv",
    "haproxy-httplog",
    "haproxy-tcplog",
    "apache-combined-D",
    "caddy-json",
    "aws-alb",
    "sozune",
    "sozune-json",
    "traefik-json",
    "envoy-json",
    "ingress-nginx",
    "traefik-clf",
    "heroku-router",
    "envoy-default",
    "sozu-access",
    "envoy-istio",
    "nginx-error",
    "nginx-error-outage",
    "caddy-runtime",
)


class Request(NamedTuple):
    epoch: float
    ip: str
    port: int
    method: str
    target: str
    status: int  # 499: the client gave up
    size: int
    ua: str
    rt: float  # seconds
    upstream_rt: float | None  # None: no upstream answer ("-")
    upstream_status: int | None


# ------------------------------------------------------------------------------------------------ traffic


class Traffic:
    """The requests of one shape; ``self.r`` is the only source of randomness."""

    def __init__(self, shape: str, seed: int = 1, ids: int = 100_000) -> None:
        if shape not in SHAPES:
            raise ValueError(f"unknown shape {shape!r} (one of {', '.join(SHAPES)})")
        self.shape, self.r, self.ids = shape, random.Random(seed), ids
        r = self.r
        self.ips = [
            f"{r.randint(1, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}" for _ in range(3000)
        ]
        self.chunks = [f"{r.getrandbits(32):08x}" for _ in range(400)]  # a few builds' worth of hashed chunks
        self.vite = ["".join(r.choices(_B62 + "_-", k=8)) for _ in range(400)]
        self.rooms = [f"!{''.join(r.choices(_B62[:52], k=18))}:example.org" for _ in range(300)]
        self.channels = [f"C{''.join(r.choices('0123456789ABCDEFGHJKLMNPQRSTUVWXYZ', k=10))}" for _ in range(500)]
        self.now = float(START_EPOCH)

    def _fast(self) -> float:
        return min(self.r.expovariate(1 / 0.045), 9.0) + 0.001

    def _plain(self, target: str, method: str = "GET") -> Request:
        r = self.r
        s = r.random()
        status = 200 if s < 0.90 else 304 if s < 0.94 else 404 if s < 0.975 else 301 if s < 0.99 else 500
        rt = self._fast()
        size = r.randint(200, 60_000) if status == 200 else r.randint(0, 600)
        return self._req(method, target, status, size, rt, max(rt - 0.001, 0.0), status)

    def _req(
        self,
        method: str,
        target: str,
        status: int,
        size: int,
        rt: float,
        urt: float | None,
        ust: int | None,
        ua: str = "",
    ) -> Request:
        r = self.r
        return Request(
            self.now, r.choice(self.ips), r.randint(1024, 65535), method, target, status, size,
            ua or r.choice(_UAS), round(rt, 3), None if urt is None else round(urt, 3), ust,
        )  # fmt: skip

    def _ids(self) -> Request:
        r, n = self.r, self.r.randint(1, self.ids)
        k = r.random()
        if k < 0.30:
            return self._plain(f"/img/{n}.png")
        if k < 0.45:
            return self._plain(f"/static/app.{n}.js")
        if k < 0.55:
            return self._plain(f"/thumbs/{n}_{r.choice((64, 128, 256))}.jpg")
        if k < 0.75:
            return self._plain(f"/api/v1/users/{n}")
        if k < 0.85:
            return self._plain(f"/api/v1/orders/{n}/items", "POST" if r.random() < 0.3 else "GET")
        if k < 0.92:
            return self._plain(f"/download/report-{n}.pdf")
        return self._plain(r.choice(("/", "/login", "/cart", "/favicon.ico", "/robots.txt", "/healthz")))

    def _spa(self) -> Request:
        r = self.r
        k = r.random()
        if k < 0.15:
            name = r.choice(("main", "vendors", "runtime", str(r.randint(1, 900))))
            kind = r.choice(("js", "css"))
            return self._plain(f"/static/{kind}/{name}.{r.choice(self.chunks)}.chunk.{kind}")
        if k < 0.28:
            return self._plain(
                f"/assets/{r.choice(('index', 'vendor', 'Dashboard', 'Settings'))}-{r.choice(self.vite)}.js"
            )
        if k < 0.36:
            page = r.choice(("_app", "index", "orders/[id]", "settings"))
            return self._plain(f"/_next/static/chunks/pages/{page}-{r.getrandbits(64):016x}.js")
        if k < 0.52:
            return self._plain(f"/api/documents/{_uuid(r)}", r.choice(("GET", "GET", "PUT")))
        if k < 0.62:
            cursor = base64.urlsafe_b64encode(
                f'{{"id":{r.randint(1, 10**7)},"ts":{r.randint(10**9, 2 * 10**9)}}}'.encode()
            )
            return self._plain(f"/api/feed/page/{cursor.decode().rstrip('=')}")
        if k < 0.72:
            return self._plain(f"/api/channels/{r.choice(self.channels)}/history")
        if k < 0.80:
            event = "$" + "".join(r.choices(_B62 + "_-", k=43))
            return self._plain(f"/_matrix/client/v3/rooms/{r.choice(self.rooms)}/event/{event}")
        if k < 0.88:
            return self._plain(f"/api/users/{r.getrandbits(96):024x}/avatar")
        return self._plain(r.choice(("/", "/index.html", "/manifest.json", "/favicon.ico", "/service-worker.js")))

    def _few(self) -> Request:
        r = self.r
        k = r.random()
        if k < 0.4:
            return self._plain(f"/api/{r.choice(_WORDS)}")
        if k < 0.7:
            return self._plain(f"/api/v1/{r.choice(_WORDS)}/{r.randint(1, 50)}")
        return self._plain(r.choice(("/", "/login", "/healthz", "/static/app.css", "/static/app.js")))

    def _poll(self) -> Request:
        r = self.r
        k = r.random()
        if k < 0.5:  # Matrix sync: an event during the hold, or an empty answer at 30 s
            since = f"s{r.randint(100000, 999999)}_{r.randint(1, 99999)}"
            rt = r.uniform(0.05, 29.9) if r.random() < 0.35 else 30.0 + r.expovariate(1 / 0.03)
            return self._req(
                "GET",
                f"/_matrix/client/v3/sync?timeout=30000&since={since}",
                200,
                r.randint(200, 4000),
                rt,
                rt - 0.001,
                200,
            )
        if k < 0.75:  # Consul blocking query cut at 60 s (proxy_read_timeout)
            target = f"/v1/health/service/{r.choice(('web', 'api', 'db'))}?index={r.randint(1000, 900_000)}&wait=5m"
            if r.random() < 0.3:
                rt = r.uniform(0.01, 59.0)
                return self._req("GET", target, 200, r.randint(300, 5000), rt, rt - 0.001, 200, "Consul-Template/0.37")
            rt = 60.0 + r.random() / 200
            return self._req("GET", target, 504, 160, rt, None, 504, "Consul-Template/0.37")
        target = f"/api/events/poll?timeout=55&cursor={r.randint(1, 10**9)}"
        j = r.random()
        if j < 0.45:
            rt = r.uniform(0.01, 49.0)
            return self._req("GET", target, 200, r.randint(100, 3000), rt, rt - 0.001, 200)
        if j < 0.85:  # the upstream closes held requests at 50 s
            rt = 50.0 + r.random() / 50
            return self._req("GET", target, 502, 150, rt, rt - 0.001, 502)
        rt = 40.0 + r.random() / 5  # the client gives up at 40 s
        return self._req("GET", target, 499, 0, rt, None, None)

    def next(self) -> Request:
        self.now += self.r.expovariate(12.0)
        if self.r.random() < 0.04:
            return self._poll()
        return self._ids() if self.shape == "ids" else self._spa() if self.shape == "spa" else self._few()


def _uuid(r: random.Random) -> str:
    h = f"{r.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


# ------------------------------------------------------------------------------------------------ formats


def _clf_time(epoch: float) -> str:
    t = time.gmtime(int(epoch))
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


def _iso(epoch: float, micro: bool = True) -> str:
    t = time.gmtime(int(epoch))
    base = f"{t.tm_year}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
    return f"{base}.{int(epoch % 1 * 1e6):06d}Z" if micro else f"{base}+00:00"


def _s(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


def _st(v: int | None) -> str:
    return "-" if v is None else str(v)


def nginx_timing(q: Request) -> str:
    # log_format timing '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    #                    "$http_referer" "$http_user_agent" $request_time $upstream_response_time $upstream_status';
    return (
        f'{q.ip} - - [{_clf_time(q.epoch)} +0000] "{q.method} {q.target} HTTP/1.1" {q.status} {q.size} "-" '
        f'"{q.ua}" {q.rt:.3f} {_s(q.upstream_rt)} {_st(q.upstream_status)}'
    )


def nginx_kv(q: Request) -> str:
    # combined + ' rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time"
    #              urt="$upstream_response_time" us="$upstream_status" ua="$upstream_addr"' (the samples' format)
    up = q.upstream_rt is not None or q.upstream_status is not None
    uht = _s(q.upstream_rt) if q.status < 500 else "-"
    return (
        f'{q.ip} - - [{_clf_time(q.epoch)} +0000] "{q.method} {q.target} HTTP/1.1" {q.status} {q.size} "-" '
        f'"{q.ua}" rt={q.rt:.3f} uct="{"0.000" if up else "-"}" uht="{uht}" urt="{_s(q.upstream_rt)}" '
        f'us="{_st(q.upstream_status)}" ua="{"10.0.0.5:8080" if up else "-"}"'
    )


def nginx_json(q: Request) -> str:
    # log_format json escape=json '{"time":"$time_iso8601","remote_addr":"$remote_addr",...}'
    up = q.upstream_rt is not None or q.upstream_status is not None
    return (
        f'{{"time":"{_iso(q.epoch, micro=False)}","remote_addr":"{q.ip}","host":"api.example.com",'
        f'"request":"{q.method} {q.target} HTTP/1.1","status":{q.status},"body_bytes_sent":{q.size},'
        f'"request_length":{180 + len(q.target)},"request_time":{q.rt:.3f},"http_user_agent":"{q.ua}",'
        f'"upstream_addr":"{"10.0.0.5:8080" if up else ""}","upstream_status":"{_st(q.upstream_status) if up else ""}",'
        f'"upstream_connect_time":"{"0.000" if up else ""}","upstream_header_time":"{_s(q.upstream_rt) if up else ""}",'
        f'"upstream_response_time":"{_s(q.upstream_rt) if up else ""}"}}'
    )


def _haproxy_head(q: Request) -> str:
    """What HAProxy's httplog and tcplog lines start with, through rsyslog: the syslog header
    ("Jun  9 08:53:20 lb1 haproxy[2211]: "), the client and %tr with milliseconds."""
    t = time.gmtime(int(q.epoch))
    prefix = f"{_MONTHS[t.tm_mon - 1]} {t.tm_mday:2d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} lb1 haproxy[2211]: "
    return f"{prefix}{q.ip}:{q.port} [{_clf_time(q.epoch)}.{int(q.epoch % 1 * 1000):03d}]"


def haproxy_httplog(q: Request) -> str:
    # option httplog, through rsyslog
    total = int(q.rt * 1000)
    if q.status == 504:
        tr, status, flags = "-1", "504", "sH--"
    elif q.status == 502:
        tr, status, flags = "-1", "502", "SH--"
    elif q.status == 499:
        tr, status, flags = "-1", "-1", "CH--"
    else:
        tr, status, flags = str(max(total - 1, 0)), str(q.status), "----"
    return (
        f"{_haproxy_head(q)} fe_main be_app/app1 0/0/0/{tr}/{total} {status} {q.size} - - {flags} "
        f'12/12/3/3/0 0/0 "{q.method} {q.target} HTTP/1.1"'
    )


def haproxy_tcplog(q: Request) -> str:
    # option tcplog (mode tcp), through rsyslog: one line a TCP session, no request. Each request is a session
    # here, on the frontend/backend of its service (the long-polls' services have their own), its state from how
    # it ended: sD the server's idle timeout, SD the server closing, CD the client leaving, -- a normal end.
    path = q.target.split("?", 1)[0]
    if path.endswith("/sync"):
        stream = "fe_matrix be_synapse/syn1"
    elif "wait=" in q.target:
        stream = "fe_consul be_consul/c1"
    elif path.startswith("/api/events"):
        stream = "fe_events be_events/ev1"
    else:
        stream = f"fe_tcp be_app/app{q.port % 3 + 1}"
    state = {504: "sD", 502: "SD", 499: "CD"}.get(q.status, "--")
    return f"{_haproxy_head(q)} {stream} 0/0/{int(q.rt * 1000)} {q.size} {state} 12/12/3/3/0 0/0"


def apache_combined_d(q: Request) -> str:
    # LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %D"
    return (
        f'{q.ip} - - [{_clf_time(q.epoch)} +0000] "{q.method} {q.target} HTTP/1.1" {q.status} {q.size} "-" '
        f'"{q.ua}" {int(q.rt * 1_000_000)}'
    )


def ingress_upstreaminfo(q: Request) -> str:
    # lpdoctor.logformats.nginx_access.UPSTREAMINFO (ingress-nginx's default log_format); the request id is 32
    # hex digits, a new value every line
    up = q.upstream_rt is not None or q.upstream_status is not None
    return (
        f'{q.ip} - - [{_clf_time(q.epoch)} +0000] "{q.method} {q.target} HTTP/1.1" {q.status} {q.size} "-" '
        f'"{q.ua}" {180 + len(q.target)} {q.rt:.3f} [default-api-80] [] {"10.0.0.5:8080" if up else "-"} '
        f"{q.size if up else 0} {_s(q.upstream_rt)} {_st(q.upstream_status)} {(q.port * 2654435761 + int(q.epoch * 1e6)) % 2**128:032x}"
    )


def traefik_clf(q: Request) -> str:
    # Traefik's default access log: the time is when the request started, then a request counter, the router,
    # the server URL and the duration in milliseconds
    start = _clf_time(q.epoch - q.rt)
    return (
        f'{q.ip} - - [{start} +0000] "{q.method} {q.target} HTTP/1.1" {q.status} {q.size} "-" "{q.ua}" '
        f'{q.port} "api@docker" "http://10.0.0.5:8000" {int(q.rt * 1000)}ms'
    )


def heroku_router(q: Request) -> str:
    # heroku logs: the router's logfmt line when the request ends; a request it cut or that ended without an
    # answer is an error line with its code (H12 at the router's 30 s, H13, H27 for a client gone)
    stamp = f"{_iso(q.epoch).removesuffix('Z')}+00:00"
    ms = int(q.rt * 1000)
    codes = {504: ("H12", "Request timeout", 503), 502: ("H13", "Connection closed without response", 503)}
    codes[499] = ("H27", "Client Request Interrupted", 499)
    head = "at=info"
    status = q.status
    if q.status in codes:
        code, desc, status = codes[q.status]
        head = f'at=error code={code} desc="{desc}"'
    return (
        f'{stamp} heroku[router]: {head} method={q.method} path="{q.target}" host=api.example.com '
        f'request_id={q.port:08x}-{q.size:04x} fwd="{q.ip}" dyno=web.{q.port % 3 + 1} connect={q.port % 3}ms service={ms}ms '
        f"status={status} bytes={q.size} protocol=https"
    )


def caddy_json(q: Request) -> str:
    level = "error" if q.status >= 500 else "info"
    return (
        f'{{"level":"{level}","ts":{q.epoch:.3f},"logger":"http.log.access.log0","msg":"handled request",'
        f'"request":{{"remote_ip":"{q.ip}","remote_port":"{q.port}","client_ip":"{q.ip}","proto":"HTTP/1.1",'
        f'"method":"{q.method}","host":"api.example.com","uri":"{q.target}","headers":{{"User-Agent":["{q.ua}"]}}}},'
        f'"bytes_read":0,"user_id":"","duration":{q.rt:.6f},"size":{q.size},"status":{q.status},'
        f'"resp_headers":{{"Server":["Caddy"]}}}}'
    )


def caddy_runtime(q: Request) -> str:
    # Caddy's runtime (default) log while the upstreams are down: an http.log.error entry for every failed
    # proxied request (Caddy 2.6's fields, tests/fixtures/logformats/caddy-runtime.log); the message names the
    # connection (its ports), so no two are alike. The long-polls end as in the access logs: read_timeout (504),
    # the upstream closing (502), the client leaving (499); the others find the port closed.
    conn = f"10.0.0.7:{40000 + q.port % 20000}->10.0.0.5:8080"
    if q.status == 504:
        msg, status = f"read tcp {conn}: i/o timeout", 504
    elif q.status == 502:
        msg, status = f"read tcp {conn}: read: connection reset by peer", 502
    elif q.status == 499:
        msg, status = "context canceled", 499
    else:
        msg, status = "dial tcp 10.0.0.5:8080: connect: connection refused", 502
    return (
        f'{{"level":"error","ts":{q.epoch:.6f},"logger":"http.log.error.log0","msg":"{msg}",'
        f'"request":{{"remote_ip":"{q.ip}","remote_port":"{q.port}","client_ip":"{q.ip}","proto":"HTTP/1.1",'
        f'"method":"{q.method}","host":"api.example.com","uri":"{q.target}","headers":{{"User-Agent":["{q.ua}"],'
        f'"Accept":["application/json"]}}}},"duration":{q.rt:.9f},"status":{status},"err_id":"{q.port:09x}",'
        f'"err_trace":"reverseproxy.statusError (reverseproxy.go:1272)"}}'
    )


def aws_alb(q: Request) -> str:
    if q.status in (502, 504) or q.upstream_rt is None:
        target_time, target_status = "-1", "-"
    else:
        target_time, target_status = f"{q.upstream_rt:.3f}", str(q.status)
    elb_status = "460" if q.status == 499 else str(q.status)
    start = q.epoch - q.rt
    return (
        f"https {_iso(q.epoch)} app/my-alb/50dc6c495c0c9188 {q.ip}:{q.port} 10.0.1.23:8000 0.000 {target_time} "
        f'0.000 {elb_status} {target_status} {180 + len(q.target)} {q.size} "{q.method} '
        f'https://api.example.com:443{q.target} HTTP/1.1" "{q.ua}" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
        f"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/73e2d6bc24d8a067 "
        f'"Root=1-{int(start):08x}-{q.port:024x}" "api.example.com" '
        f'"arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" 0 '
        f'{_iso(start)} "forward" "-" "-" "10.0.1.23:8000" "{target_status}" "-" "-"'
    )


def sozune(q: Request) -> str:
    path = q.target.split("?", 1)[0]  # Sōzune logs the path without its query
    host = "matrix.example.com"
    ms = int(q.rt * 1000)
    return (
        f"{_iso(q.epoch)}  INFO proxy.request{{otel.name={q.method} {host} http.request.method={q.method} "
        f"server.address={host} url.path={path} http.response.status_code={q.status}}}: access: {q.ip} {q.method} "
        f'{host} {path} {q.status} {ms}ms (backend) trace=- client_ip="{q.ip}" method="{q.method}" host="{host}" '
        f'path="{path}" status={q.status} duration_ms={ms} phase="backend" trace_id=-'
    )


def _sozu_duration(seconds: float) -> str:
    """A duration as Sōzu prints it: whole seconds from 10 s (truncated), then ms, μs, else ns."""
    if seconds >= 10:
        return f"{int(seconds)}s"
    if seconds >= 0.01:
        return f"{int(seconds * 1e3)}ms"
    if seconds >= 0.00001:
        return f"{int(seconds * 1e6)}\u03bcs"
    return f"{int(seconds * 1e9)}ns"


def sozu(q: Request) -> str:
    # a standalone Sōzu 2.x (its logger set up: a pid and a worker tag) in front of one cluster, as
    # tests/fixtures/sozu/sozu-access.log: request/service/response/client_rtt/server_rtt, tags, otel None; 504
    # and 502 are Sōzu's own answers (H1::Complete), a client that gives up resets its HTTP/2 stream
    ulid = f"01KT{q.port:06X}{int(q.epoch * 1000) % (1 << 40):010X}{q.size % 1000:03d}Z"
    level, tag = ("ERROR-ACCESS", "WRK-01") if q.status == 499 else ("INFO-ACCESS ", "WRK-00")
    response = q.upstream_rt if q.upstream_rt is not None else q.rt
    status, message, protocol = str(q.status), "H1::Complete", "http"
    if q.status == 499:
        status, message, protocol = "-", "H2::ResetFrame", "https"
    return (
        f"{_iso(q.epoch)} {int(q.epoch * 1e9)} 41237 {level} {tag}\t[{ulid} {ulid[::-1]} api api-0] "
        f"{q.ip}:{q.port} 10.0.0.5:8008 {_sozu_duration(q.rt)}/{_sozu_duration(0.00021)}/"
        f"{_sozu_duration(response)}/{_sozu_duration(0.011 + q.port % 17 / 1000)}/{_sozu_duration(0.000048)} "
        f"{400 + q.size % 900} {q.size} [user-agent={q.ua.replace(' ', '_')}] None {protocol} api.example.com "
        f"{q.method} {q.target} {status} | {message}"
    )


def sozune_json(q: Request) -> str:
    # log.format: json: tracing-subscriber's JSON with the access fields flattened, then the message and the
    # request's span (the keys and order of tests/fixtures/sozu/sozune-stdout-json.log); the same requests as sozune
    path = q.target.split("?", 1)[0]
    host = "matrix.example.com"
    ms = int(q.rt * 1000)
    return (
        f'{{"timestamp":"{_iso(q.epoch)}","level":"INFO","target":"access","client_ip":"{q.ip}",'
        f'"method":"{q.method}","host":"{host}","path":"{path}","status":{q.status},"duration_ms":{ms},'
        f'"phase":"backend","trace_id":"-","message":"{q.ip} {q.method} {host} {path} {q.status} {ms}ms (backend) '
        f'trace=-","span":{{"otel.name":"{q.method} {host}","http.request.method":"{q.method}",'
        f'"server.address":"{host}","url.path":"{path}","http.response.status_code":{q.status},'
        f'"name":"proxy.request"}}}}'
    )


def _iso_ns(ns: int, places: int = 9) -> str:
    """Epoch nanoseconds as Go's RFC3339Nano writes them in UTC (``places`` digits, trailing zeros dropped)."""
    t = time.gmtime(ns // 1_000_000_000)
    frac = f"{ns % 1_000_000_000:09d}"[:places].rstrip("0")
    return (
        f"{t.tm_year}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        f"{'.' + frac if frac else ''}Z"
    )


def traefik_json(q: Request) -> str:
    # accessLog.format: json (Traefik 2/3, default fields; logrus sorts the keys): Duration in ns, StartUTC when
    # the request came in, OriginStatus 0 when Traefik answered itself (timeout, upstream gone, client gone)
    duration = round(q.rt * 1e9) + q.port * 7  # (Go's clock: nanoseconds, not whole milliseconds)
    start = round(q.epoch * 1000) * 1_000_000 - duration
    origin = 0 if q.status in (499, 502, 504) else q.status
    origin_duration = max(duration - 350_000, 0)
    t = time.gmtime(int(q.epoch))
    end = f"{t.tm_year}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}Z"
    return (
        f'{{"ClientAddr":"{q.ip}:{q.port}","ClientHost":"{q.ip}","ClientPort":"{q.port}","ClientUsername":"-",'
        f'"DownstreamContentSize":{q.size},"DownstreamStatus":{q.status},"Duration":{duration},'
        f'"OriginContentSize":{q.size if origin else 0},"OriginDuration":{origin_duration},"OriginStatus":{origin},'
        f'"Overhead":{duration - origin_duration},"RequestAddr":"api.example.com","RequestContentSize":0,'
        f'"RequestCount":{q.port * 13 % 100_000},"RequestHost":"api.example.com","RequestMethod":"{q.method}",'
        f'"RequestPath":"{q.target}","RequestPort":"-","RequestProtocol":"HTTP/1.1","RequestScheme":"https",'
        f'"RetryAttempts":0,"RouterName":"api@docker","ServiceAddr":"10.0.0.5:8000","ServiceName":"api@docker",'
        f'"ServiceURL":"http://10.0.0.5:8000","StartLocal":"{_iso_ns(start)}","StartUTC":"{_iso_ns(start)}",'
        f'"entryPointName":"websecure","level":"info","msg":"","time":"{end}"}}'
    )


def envoy_json(q: Request) -> str:
    # Envoy Gateway's default JSON access log (the keys and order of its EnvoyProxy default format): duration in
    # ms, start_time in ms; a timeout is "UT" 504, an upstream reset before the headers "UC" 503, a client that
    # went away "DC" with response_code 0
    ms = round(q.rt * 1000)
    start = _iso_ns(round(q.epoch * 1000) * 1_000_000 - ms * 1_000_000, 3)
    code, flags, details = q.status, "-", "via_upstream"
    if q.status == 504:
        flags, details = "UT", "upstream_response_timeout"
    elif q.status == 502:
        code, flags, details = 503, "UC", "upstream_reset_before_response_started{connection_termination}"
    elif q.status == 499:
        code, flags, details = 0, "DC", "downstream_remote_disconnect"
    service = f'"{round(q.upstream_rt * 1000)}"' if q.upstream_rt is not None and flags == "-" else "null"
    return (
        f'{{"start_time":"{start}","method":"{q.method}","x-envoy-origin-path":"{q.target}","protocol":"HTTP/1.1",'
        f'"response_code":{code},"response_flags":"{flags}","response_code_details":"{details}",'
        f'"connection_termination_details":null,"upstream_transport_failure_reason":null,"bytes_received":0,'
        f'"bytes_sent":{q.size},"duration":{ms},"x-envoy-upstream-service-time":{service},'
        f'"x-forwarded-for":"{q.ip}","user-agent":"{q.ua}","x-request-id":"{q.port:08x}-{int(q.epoch) % 65536:04x}-'
        f'4b5c-9c8d-{int(q.epoch * 1000) % (1 << 48):012x}",":authority":"api.example.com",'
        f'"upstream_host":"10.0.0.5:8000","upstream_cluster":"httproute/default/api/rule/0",'
        f'"upstream_local_address":"10.0.0.9:{q.port}","downstream_local_address":"10.0.0.9:10080",'
        f'"downstream_remote_address":"{q.ip}:{q.port}","requested_server_name":null,'
        f'"route_name":"httproute/default/api/rule/0/match/0/api_example_com"}}'
    )


def envoy_default(q: Request) -> str:
    # Envoy's default text access log (no Istio fields): the same requests and flags as envoy_json
    ms = round(q.rt * 1000)
    start = _iso_ns(round(q.epoch * 1000) * 1_000_000 - ms * 1_000_000, 3)
    code, flags = q.status, "-"
    if q.status == 504:
        flags = "UT"
    elif q.status == 502:
        code, flags = 503, "UC"
    elif q.status == 499:
        code, flags = 0, "DC"
    service = str(round(q.upstream_rt * 1000)) if q.upstream_rt is not None and flags == "-" else "-"
    return (
        f'[{start}] "{q.method} {q.target} HTTP/1.1" {code} {flags} 0 {q.size} {ms} {service} "{q.ip}" "{q.ua}" '
        f'"{q.port:08x}-{int(q.epoch) % 65536:04x}-4b5c-9c8d-{int(q.epoch * 1000) % (1 << 48):012x}" '
        f'"api.example.com" "10.0.0.5:8000"'
    )


def envoy_istio(q: Request) -> str:
    # Istio's default text line: Envoy's, with the response code details, connection termination details and
    # upstream failure reason after the flags, and the cluster, addresses, SNI and route name after the upstream
    line = envoy_default(q)
    details = {"UT": "response_timeout", "UC": "upstream_reset_before_response_started{connection_termination}"}
    flags = line.split('" ', 1)[1].split(" ", 2)[1]
    head, sep, tail = line.partition(f" {flags} ")
    extra = f'{details.get(flags, "via_upstream")} - "-"'
    return (
        f"{head}{sep}{extra} {tail} outbound|8000||api.default.svc.cluster.local 10.0.0.9:{q.port} "
        f"10.0.0.5:8000 {q.ip}:{q.port} - default"
    )


def _nginx_error_head(q: Request) -> tuple[str, str]:
    """An nginx error line's prefix, its level left as "{}" ("2026/06/09 10:13:20 [{}] 2213#2213: *1143568 "), and
    the fields that name the request ("client: ..., server: ..., request: ...")."""
    t = time.gmtime(int(q.epoch))
    head = (
        f"{t.tm_year}/{t.tm_mon:02d}/{t.tm_mday:02d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} "
        f"[{{}}] {2211 + q.port % 4}#{2211 + q.port % 4}: *{q.port * 31 + int(q.epoch) % 9973} "
    )
    return head, f'client: {q.ip}, server: api.example.com, request: "{q.method} {q.target} HTTP/1.1"'


def nginx_error(q: Request) -> str:
    # error_log ... info; nginx 1.22's lines (ngx_http_log_error): what it writes for each request that ended
    # badly, and for the others the keepalive connection closed after them (info). No duration: an error log
    # says how a request ended, not when it began.
    head, request = _nginx_error_head(q)
    upstream = f'upstream: "http://10.0.0.5:8080{q.target}", host: "api.example.com"'
    if q.status == 504:
        what = "upstream timed out (110: Connection timed out) while reading response header from upstream"
        return f"{head.format('error')}{what}, {request}, {upstream}"
    if q.status == 502:
        what = "upstream prematurely closed connection while reading response header from upstream"
        return f"{head.format('error')}{what}, {request}, {upstream}"
    if q.status == 499:
        what = (
            "epoll_wait() reported that client prematurely closed connection, so upstream connection is closed "
            "too while reading response header from upstream"
        )
        return f"{head.format('info')}{what}, {request}, {upstream}"
    path = q.target.split("?", 1)[0]
    if q.status == 404 and "." in path.rsplit("/", 1)[-1]:  # a static file (an API's 404 is its upstream's)
        what = f'open() "/usr/share/nginx/html{path}" failed (2: No such file or directory)'
        return f'{head.format("error")}{what}, {request}, host: "api.example.com"'
    return f"{head.format('info')}client {q.ip} closed keepalive connection"


def nginx_error_outage(q: Request) -> str:
    # The same error log while the upstreams are down: every request fails and its line names it (the shape of an
    # error log at level error during an incident, the one an SRE scans). The long-polls end as in nginx_error;
    # the others find the port closed (connect() failed), or, once max_fails took every server out, no server
    # left to try (no live upstreams: $upstream_addr is the group's name).
    if q.status in (504, 502, 499):
        return nginx_error(q)
    level_head, request = _nginx_error_head(q)
    head = level_head.format("error")
    if q.port % 3:
        what = "connect() failed (111: Connection refused) while connecting to upstream"
        return f'{head}{what}, {request}, upstream: "http://10.0.0.5:8080{q.target}", host: "api.example.com"'
    what = "no live upstreams while connecting to upstream"
    return f'{head}{what}, {request}, upstream: "http://backend{q.target}", host: "api.example.com"'


WRITERS: dict[str, Callable[[Request], str]] = {
    "nginx-timing": nginx_timing,
    "nginx-json": nginx_json,
    "nginx-kv": nginx_kv,
    "haproxy-httplog": haproxy_httplog,
    "haproxy-tcplog": haproxy_tcplog,
    "apache-combined-D": apache_combined_d,
    "caddy-json": caddy_json,
    "aws-alb": aws_alb,
    "sozune": sozune,
    "sozune-json": sozune_json,
    "traefik-json": traefik_json,
    "envoy-json": envoy_json,
    "ingress-nginx": ingress_upstreaminfo,
    "traefik-clf": traefik_clf,
    "heroku-router": heroku_router,
    "envoy-default": envoy_default,
    "sozu-access": sozu,
    "envoy-istio": envoy_istio,
    "nginx-error": nginx_error,
    "nginx-error-outage": nginx_error_outage,
    "caddy-runtime": caddy_runtime,
}
# The error logs among them: their lines are events, not requests, and are read in Python (no compiled path).
ERROR_FORMATS = ("nginx-error", "nginx-error-outage", "caddy-runtime")
ACCESS_FORMATS = tuple(f for f in FORMATS if f not in ERROR_FORMATS)
# The format lpdoctor reads a writer's lines as, where its name is not the writer's.
READ_AS = {"envoy-istio": "envoy-default", "sozune-json": "sozune", "nginx-error-outage": "nginx-error"}


def lines(fmt: str, shape: str, count: int, seed: int = 1) -> Iterator[str]:
    write = WRITERS[fmt]
    traffic = Traffic(shape, seed)
    for _ in range(count):
        yield write(traffic.next())


def generate(path: str, fmt: str, shape: str, count: int, seed: int = 1) -> int:
    """Write ``count`` lines to ``path`` (atomically, when it is a regular file). Returns the bytes written."""
    tmp = staging(path)
    written = 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        batch: list[str] = []
        for text in lines(fmt, shape, count, seed):
            batch.append(text)
            if len(batch) == 10_000:
                written += fh.write("\n".join(batch) + "\n")
                batch.clear()
        if batch:
            written += fh.write("\n".join(batch) + "\n")
    finish(tmp, path)
    return written


def generate_many(paths: dict[str, str], shape: str, count: int, seed: int = 1) -> None:
    """Write the same ``count`` requests in several formats at once (``{format: path}``): what
    :func:`generate` writes for each, in one pass over the traffic."""
    tmps = {fmt: staging(path) for fmt, path in paths.items()}
    handles = {fmt: open(tmp, "w", encoding="utf-8", newline="\n") for fmt, tmp in tmps.items()}  # noqa: SIM115
    try:
        traffic = Traffic(shape, seed)
        batch: list[Request] = []
        for i in range(count):
            batch.append(traffic.next())
            if len(batch) == 10_000 or i == count - 1:
                for fmt, fh in handles.items():
                    write = WRITERS[fmt]
                    fh.write("\n".join(write(q) for q in batch) + "\n")
                batch.clear()
    finally:
        for fh in handles.values():
            fh.close()
    for fmt, tmp in tmps.items():
        finish(tmp, paths[fmt])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--format", choices=FORMATS, default="nginx-timing")
    ap.add_argument("--shape", choices=SHAPES, default="ids")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="file to write (keep it out of the repository)")
    args = ap.parse_args(argv)
    started = time.monotonic()
    size = generate(args.out, args.format, args.shape, args.lines, args.seed)
    print(f"{args.out}: {args.lines} lines, {size / 1e6:.1f} MB in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
