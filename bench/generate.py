"""Deterministic nginx access logs for the benchmark: combined + ``$request_time $upstream_response_time $upstream_status``.

The same ``--seed`` and ``--lines`` always give the same bytes. The mix is meant to look like a real site:

- ~95 % ordinary traffic over many distinct URLs: numeric ids, UUIDs, hashes and Matrix room ids that collapse
  into a few hundred routes, static files, blog slugs, searches;
- ~1 % scanner junk (``/xkqzvw/admin.php``): every one a new route, enough to hit the route cap (5000) from
  about 600 k lines on;
- ~4 % long-polls on known protocols, some cut at a wall:
  Matrix ``/sync?timeout=30000`` (held 30 s, answered 200), Consul ``?index=…&wait=5m`` (held 5 min, cut by
  nginx's default 60 s ``proxy_read_timeout``: 504 after 60.00x s), and a generic ``/api/events/poll?timeout=55``
  (an upstream that closes at 50 s: 502, and clients that give up at about 40 s: 499).

Written the way nginx writes them with::

    log_format timing '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                      '"$http_referer" "$http_user_agent" $request_time $upstream_response_time $upstream_status';

Usage: ``python -m bench.generate --lines 1000000 --out /tmp/lpdoctor-bench/access-1M.log``
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable, Iterator

from bench.outfile import finish, staging

NGINX_LOG_FORMAT = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" $request_time $upstream_response_time $upstream_status'
)
# The same layout in GoAccess's --log-format words (%T = request time in seconds with ms; the two trailing
# upstream fields are skipped with %^).
GOACCESS_LOG_FORMAT = '%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %T %^ %^'
GOACCESS_DATE_FORMAT = "%d/%b/%Y"
GOACCESS_TIME_FORMAT = "%H:%M:%S"

START_EPOCH = 1_710_028_800  # 2024-03-10 00:00:00 UTC
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_USER_AGENTS = (
    # Browsers, and the API clients and apps that make most requests of a busy site.
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "okhttp/4.12.0",
    "okhttp/4.12.0",
    "Dalvik/2.1.0 (Linux; U; Android 14)",
    "ShopApp/5.2.1 (iPhone; iOS 17.3; Scale/3.00)",
    "ShopApp/5.2.1 (iPhone; iOS 17.3; Scale/3.00)",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "Go-http-client/1.1",
    "python-requests/2.31.0",
    "Prometheus/2.50.1",
    "okhttp/4.9.3",
    "ShopApp/5.1.0 (Android 13)",
    "kube-probe/1.29",
    "Wget/1.21.4",
)
_MATRIX_UA = (
    "Element/1.11.58 (Android 14)",
    "Mozilla/5.0 (X11; Linux x86_64) Element/1.11.58 Chrome/120.0 Electron/28.2",
)
_REFERERS = ("-", "-", "-", "-", "-", "https://shop.example.com/", "https://shop.example.com/products")
_WORDS = [
    *("alpha", "bravo", "cedar", "delta", "ember", "falcon", "garnet", "harbor", "indigo", "juniper", "kestrel"),
    *("lumen", "maple", "nectar", "orbit", "pepper", "quartz", "raven", "sierra", "tundra", "umber", "velvet"),
    *("willow", "xenon", "yarrow", "zephyr", "amber", "basalt", "cobalt", "dune"),
]
_STATIC = tuple(
    f"/static/{kind}/{name}.{ext}"
    for kind, ext in (("css", "css"), ("js", "js"), ("img", "png"), ("fonts", "woff2"))
    for name in ("main", "vendor", "app", "theme", "logo", "icons", "print", "runtime")
)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class _Line:
    """Builds one line; ``self.r`` is the only source of randomness."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        r = self.r
        self.ips = [
            f"{r.randint(1, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}" for _ in range(5000)
        ]
        self.slugs = ["-".join(r.sample(_WORDS, r.randint(2, 4))) for _ in range(300)]
        self.rooms = [f"!{''.join(r.choices(_LETTERS + _LETTERS.upper(), k=18))}:example.org" for _ in range(400)]
        self.now = float(START_EPOCH)
        self._stamp_second = -1
        self._stamp = ""

    # ----------------------------------------------------------------------------------------- fields

    def stamp(self) -> str:
        second = int(self.now)
        if second != self._stamp_second:
            t = time.gmtime(second)
            self._stamp = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
            self._stamp_second = second
        return self._stamp

    def fast(self) -> float:
        return min(self.r.expovariate(1 / 0.045), 9.0) + 0.001

    def line(self, target: str, status: int, size: int, rt: float, upstream: str | None = None, ua: str = "") -> str:
        """One line; ``upstream`` is ``"$upstream_response_time $upstream_status"`` (default: answered 1 ms
        before the request ended, with the same status)."""
        r = self.r
        if upstream is None:
            upstream = f"{max(rt - 0.001, 0.0):.3f} {status}"
        return (
            f'{r.choice(self.ips)} - - [{self.stamp()}] "{"POST" if "/items" in target and r.random() < 0.3 else "GET"} '
            f'{target} HTTP/1.1" {status} {size} "{r.choice(_REFERERS)}" "{ua or r.choice(_USER_AGENTS)}" '
            f"{rt:.3f} {upstream}"
        )

    # ------------------------------------------------------------------------------------ traffic

    def ordinary(self) -> str:
        r = self.r
        k = r.random()
        if k < 0.20:
            target = f"/api/v1/users/{r.randint(1, 2_000_000)}"
        elif k < 0.32:
            target = f"/api/v1/orders/{r.randint(1, 5_000_000)}/items"
        elif k < 0.42:
            target = f"/api/v1/products/{r.randint(1, 80_000)}?page={r.randint(1, 20)}"
        elif k < 0.50:
            target = f"/img/{r.getrandbits(128):032x}/thumb.jpg"
        elif k < 0.55:
            target = f"/static/build/{r.getrandbits(64):016x}/bundle.js"
        elif k < 0.72:
            target = r.choice(_STATIC)
        elif k < 0.78:
            target = f"/blog/{r.choice(self.slugs)}"
        elif k < 0.83:
            target = f"/search?q={r.choice(_WORDS)}+{r.choice(_WORDS)}"
        elif k < 0.88:
            target = f"/_matrix/client/v3/rooms/{r.choice(self.rooms)}/messages?dir=b"
        elif k < 0.93:
            target = r.choice(("/", "/login", "/cart", "/checkout", "/favicon.ico", "/robots.txt", "/healthz"))
        else:
            target = f"/api/v2/accounts/{r.randint(1, 90_000)}/settings/{r.choice(('profile', 'billing', 'security'))}"
        s = r.random()
        status = 200 if s < 0.90 else 304 if s < 0.94 else 404 if s < 0.975 else 301 if s < 0.99 else 500
        return self.line(target, status, r.randint(0, 60_000) if status == 200 else r.randint(0, 600), self.fast())

    def junk(self) -> str:
        r = self.r
        a = "".join(r.choices(_LETTERS, k=r.randint(5, 9)))
        b = "".join(r.choices(_LETTERS, k=r.randint(4, 8)))
        return self.line(f"/{a}/{b}.php", 404, 162, 0.001 + r.random() / 100)

    def matrix_sync(self) -> str:
        r = self.r
        since = f"s{r.randint(100000, 999999)}_{r.randint(1, 99999)}"
        if r.random() < 0.05:  # first sync of a client: no hold
            return self.line(f"/_matrix/client/v3/sync?since={since}", 200, r.randint(2000, 90_000), self.fast())
        # An event arrived during the hold (35 %), or the hold expired: an empty answer at 30 s.
        rt = r.uniform(0.05, 29.9) if r.random() < 0.35 else 30.0 + r.expovariate(1 / 0.03)
        ua = r.choice(_MATRIX_UA)
        return self.line(f"/_matrix/client/v3/sync?timeout=30000&since={since}", 200, r.randint(200, 4000), rt, ua=ua)

    def consul_watch(self) -> str:
        r = self.r
        svc = r.choice(("web", "api", "db", "cache", "queue"))
        target = f"/v1/health/service/{svc}?index={r.randint(1000, 900_000)}&wait=5m"
        if r.random() < 0.3:  # the index moved: answered before the wall
            rt = r.uniform(0.01, 59.0)
            return self.line(target, 200, r.randint(300, 5000), rt, ua="Consul-Template/0.37")
        rt = 60.0 + r.random() / 200  # proxy_read_timeout 60s
        return self.line(target, 504, 160, rt, f"{rt - 0.001:.3f} 504", ua="Consul-Template/0.37")

    def generic_poll(self) -> str:
        r = self.r
        target = f"/api/events/poll?timeout=55&cursor={r.randint(1, 10**9)}"
        k = r.random()
        if k < 0.45:  # an event arrived
            return self.line(target, 200, r.randint(100, 3000), r.uniform(0.01, 49.0))
        if k < 0.85:  # the upstream closes held requests at 50 s
            rt = 50.0 + r.random() / 50
            return self.line(target, 502, 150, rt, f"{rt - 0.001:.3f} 502")
        rt = 40.0 + r.random() / 5  # the client library gives up at 40 s
        return self.line(target, 499, 0, rt, f"{rt - 0.001:.3f} -")

    def next(self) -> str:
        self.now += self.r.expovariate(12.0)  # ~12 requests/s, about 1 M lines a day
        k = self.r.random()
        if k < 0.950:
            return self.ordinary()
        if k < 0.960:
            return self.junk()
        if k < 0.980:
            return self.matrix_sync()
        if k < 0.990:
            return self.consul_watch()
        return self.generic_poll()


def lines(count: int, seed: int = 1) -> Iterator[str]:
    """The first ``count`` lines of the log for ``seed`` (no trailing newline)."""
    gen = _Line(seed)
    for _ in range(count):
        yield gen.next()


def generate(path: str, count: int, seed: int = 1, progress: Callable[[int], None] | None = None) -> int:
    """Write ``count`` lines to ``path`` (atomically, when it is a regular file: a temporary file renamed into
    place; bench.outfile). Returns bytes written."""
    tmp = staging(path)
    written = 0
    batch: list[str] = []
    with open(tmp, "w", encoding="ascii", newline="\n") as fh:
        for i, text in enumerate(lines(count, seed), 1):
            batch.append(text)
            if len(batch) == 10_000:
                block = "\n".join(batch) + "\n"
                fh.write(block)
                written += len(block)
                batch.clear()
                if progress:
                    progress(i)
        if batch:
            block = "\n".join(batch) + "\n"
            fh.write(block)
            written += len(block)
    finish(tmp, path)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="file to write (keep it out of the repository)")
    args = ap.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    started = time.monotonic()
    size = generate(args.out, args.lines, args.seed)
    print(f"{args.out}: {args.lines} lines, {size / 1e6:.1f} MB in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
