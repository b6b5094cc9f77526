"""Build the constructed Sōzune stdout of the two Sōzune samples (deterministic; standard library only).

    .venv/bin/python samples/sozune-matrix/make_logs.py            # writes both samples' sozune.log

No real Sōzune log was found publicly, and the harness in ``tests/realworld/`` has no Sōzune, so these lines
are **constructed**, not captured, from the documented formats (shared/research/sozune.md §3 and §4, the same
formats as the reader fixtures in ``tests/fixtures/sozu/``):

- Sōzune's access line (tracing Full format, ``RUST_LOG=access=info``): ``proxy.request{...}: access:
  {client_ip} {method} {host} {path} {status} {duration_ms}ms ({phase}) trace=- {fields}`` — the path without
  its query string; written only for requests that got a response from the middleware route;
- Sōzune's ERROR line when ``backendTimeout`` fires: ``Failed to forward request to {uri} after 1 attempt(s):
  timed out after 30s`` (no access line for that 504);
- the embedded Sōzu's ``ERROR-ACCESS`` lines (pid 0, tag ``UNINITIALIZED``, a TAB before the context, adaptive
  duration units): ``H2::IdleTimeout`` when Sōzu reaps an HTTP/2 stream silent for 30 s, ``H2::ResetFrame``
  when a client cancels a stream.

The scenario: 12 Matrix clients (Element web/desktop, Android, iOS; all HTTPS, so HTTP/2) sync with
``/_matrix/client/v3/sync?timeout=30000`` through Sōzune's middleware (the route has ``ratelimit.*`` labels);
events end a held sync after an exponential delay (mean 25 s), so about a third of the syncs run the full
30 s; clients also send messages, query keys, read push rules and thumbnails.

- ``sozune-matrix`` (no ``backendTimeout``): a sync that runs the full 30 s is cut at 30 s — by the
  middleware's default 30 s timer (the ERROR line) or by Sōzu's HTTP/2 stream idle timeout (``H2::IdleTimeout``);
  the client backs off 1–4 s and syncs again.
- ``sozune-matrix-fixed`` (``backendTimeout=60``): such a sync gets Synapse's empty 200 at 30.0 s. This is
  the outcome Sōzune's long-polling page promises for the fix; whether Sōzu's own 30 s timers still cut it is
  what check-config's ``sozune-sozu-ceiling`` warning asks to verify. Constructed lines cannot settle that.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
START = datetime(2026, 6, 10, 9, 0, 0, tzinfo=timezone.utc)
DURATION_S = 600.0
HOST = "matrix.example.com"
BACKEND = "172.20.0.4:8008"
MIDDLEWARE = "127.0.0.1:3037"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
    "Safari/537.36",
    "Element/1.6.20 (Google Pixel 7; Android 14; UP1A.231005.007; Flavour GooglePlay; MatrixAndroidSdk2 1.6.20)",
    "Element X/1.9.3 (iPhone15,3; iOS 18.1; en; Element X)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Element/1.11.85 Chrome/130.0.6723.137 "
    "Electron/33.2.1 Safari/537.36",
)


@dataclass
class Line:
    at: datetime
    text: str


def ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond:06d}Z"


def epoch_ns(at: datetime, rng: random.Random) -> int:
    seconds = int((at - datetime(1970, 1, 1, tzinfo=timezone.utc)).total_seconds())
    return seconds * 10**9 + at.microsecond * 1000 + rng.randrange(1000)


def ulid(at: datetime, rng: random.Random) -> str:
    ms = int(at.timestamp() * 1000)
    head = "".join(CROCKFORD[(ms >> (5 * i)) & 31] for i in reversed(range(10)))
    return head + "".join(rng.choice(CROCKFORD) for _ in range(16))


def sozu_duration(seconds: float) -> str:
    """Sōzu's adaptive units: whole seconds from 10 s (truncated), ms from 10 ms, μs from 10 μs, else ns."""
    ns = int(seconds * 1e9)
    if ns >= 10 * 10**9:
        return f"{ns // 10**9}s"
    if ns >= 10 * 10**6:
        return f"{ns // 10**6}ms"
    if ns >= 10 * 10**3:
        return f"{ns // 10**3}μs"
    return f"{ns}ns"


def access(at: datetime, ip: str, method: str, path: str, status: int, ms: int) -> Line:
    span = (
        f"proxy.request{{otel.name={method} {HOST} http.request.method={method} server.address={HOST} "
        f"url.path={path} http.response.status_code={status}}}"
    )
    fields = (
        f'client_ip="{ip}" method="{method}" host="{HOST}" path="{path}" status={status} duration_ms={ms} '
        'phase="backend" trace_id=-'
    )
    text = f"{ts(at)}  INFO {span}: access: {ip} {method} {HOST} {path} {status} {ms}ms (backend) trace=- {fields}"
    return Line(at, text)


def forward_timeout(at: datetime, target: str) -> Line:
    path = target.split("?", 1)[0]
    span = f"proxy.request{{otel.name=GET {HOST} http.request.method=GET server.address={HOST} url.path={path}}}"
    text = (
        f"{ts(at)} ERROR {span}: sozune::middleware::proxy: Failed to forward request to http://{BACKEND}{target} "
        "after 1 attempt(s): timed out after 30s"
    )
    return Line(at, text)


def sozu_error_access(
    at: datetime, started: datetime, rng: random.Random, ip: str, agent: str, target: str, token: str
) -> Line:
    total = (at - started).total_seconds()
    durations = "/".join(
        (
            sozu_duration(total),
            sozu_duration(rng.uniform(180e-6, 520e-6)),
            sozu_duration(total - rng.uniform(0.0005, 0.002)),
            sozu_duration(rng.uniform(0.011, 0.029)),
            sozu_duration(rng.uniform(40e-6, 70e-6)),
        )
    )
    ua = agent.replace(" ", "_").replace("[", "{").replace("]", "}")
    context = f"[{ulid(started, rng)} {ulid(started, rng)} http_synapse http_synapse-backend-0]"
    port = rng.randrange(32768, 61000)
    text = (
        f"{ts(at)} {epoch_ns(at, rng)} 0 ERROR-ACCESS UNINITIALIZED\t{context} {ip}:{port} {MIDDLEWARE} "
        f"{durations} {rng.randrange(1150, 1320)} 0 [user-agent={ua}] None https {HOST} GET {target} - | {token}"
    )
    return Line(at, text)


def other_request(at: datetime, rng: random.Random, ip: str, n: int) -> Line:
    kind = rng.random()
    if kind < 0.35:
        room = "".join(rng.choice(string.ascii_letters) for _ in range(18))
        path = f"/_matrix/client/v3/rooms/!{room}:example.com/send/m.room.message/m{int(at.timestamp() * 1000)}.{n}"
        return access(at, ip, "PUT", path, 200, rng.randrange(60, 180))
    if kind < 0.55:
        return access(at, ip, "POST", "/_matrix/client/v3/keys/query", 200, rng.randrange(15, 60))
    if kind < 0.75:
        return access(at, ip, "GET", "/_matrix/client/v3/pushrules/", 200, rng.randrange(5, 25))
    if kind < 0.85:
        return access(at, ip, "GET", "/_matrix/client/versions", 200, rng.randrange(1, 6))
    media = "".join(rng.choice(string.ascii_letters) for _ in range(24))  # Synapse: random_string(24)
    return access(at, ip, "GET", f"/_matrix/media/v3/thumbnail/example.com/{media}", 200, rng.randrange(80, 260))


def simulate(fixed: bool, seed: int = 30) -> list[Line]:
    rng = random.Random(f"sozune-matrix/{seed}")
    lines = [
        Line(
            START + timedelta(microseconds=101223),
            f"{ts(START + timedelta(microseconds=101223))}  INFO sozune: starting sozune 0.14.0",
        ),
        Line(
            START + timedelta(microseconds=104518),
            f"{ts(START + timedelta(microseconds=104518))}  INFO "
            "sozune::middleware: middleware proxy listening on 127.0.0.1:3037",
        ),
        Line(
            START + timedelta(microseconds=105325),
            f"{ts(START + timedelta(microseconds=105325))}  INFO "
            f"sozune::provider::docker: registered entrypoint http_synapse ({HOST}, 1 backend)",
        ),
    ]
    nets = ("192.0.2", "198.51.100", "203.0.113")
    for c in range(12):
        ip = f"{nets[c % 3]}.{rng.randrange(2, 254)}"
        agent = AGENTS[c % len(AGENTS)]
        t = START + timedelta(seconds=rng.uniform(5, 40))
        since = rng.randrange(72000, 73000)
        n = 0
        while (t - START).total_seconds() < DURATION_S:
            target = f"/_matrix/client/v3/sync?timeout=30000&since=s{since}_4483"
            event = rng.expovariate(1 / 25.0)
            if rng.random() < 0.03:  # the app goes to the background and cancels its sync
                end = t + timedelta(seconds=rng.uniform(2.0, 27.0))
                lines.append(sozu_error_access(end, t, rng, ip, agent, target, "H2::ResetFrame"))
                t = end + timedelta(seconds=rng.uniform(20, 90))
                continue
            if event < 30.0:
                end = t + timedelta(seconds=event + rng.uniform(0.004, 0.03))
                lines.append(
                    access(end, ip, "GET", "/_matrix/client/v3/sync", 200, int((end - t).total_seconds() * 1000))
                )
                since += rng.randrange(1, 40)
                pause = rng.uniform(0.01, 0.2)
            elif fixed:
                end = t + timedelta(seconds=30.0 + rng.uniform(0.002, 0.012))
                lines.append(
                    access(end, ip, "GET", "/_matrix/client/v3/sync", 200, int((end - t).total_seconds() * 1000))
                )
                pause = rng.uniform(0.01, 0.2)
            elif rng.random() < 0.6:  # the middleware's default 30 s backendTimeout fires: 504, no access line
                end = t + timedelta(seconds=30.0 + rng.uniform(0.0005, 0.004))
                lines.append(forward_timeout(end, target))
                pause = rng.uniform(1.0, 4.0)
            else:  # Sōzu reaps the HTTP/2 stream silent for 30 s
                end = t + timedelta(seconds=30.0 + rng.uniform(0.001, 0.35))
                lines.append(sozu_error_access(end, t, rng, ip, agent, target, "H2::IdleTimeout"))
                pause = rng.uniform(1.0, 4.0)
            # requests sent while the sync was held
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                n += 1
                at = t + timedelta(seconds=rng.uniform(0.5, max(0.6, (end - t).total_seconds() - 0.5)))
                lines.append(other_request(at, rng, ip, n))
            t = end + timedelta(seconds=pause)
    lines.sort(key=lambda line: line.at)
    return [line for line in lines if (line.at - START).total_seconds() <= DURATION_S + 60]


def main() -> None:
    for fixed, directory in ((False, HERE), (True, HERE.parent / "sozune-matrix-fixed")):
        lines = simulate(fixed)
        (directory / "sozune.log").write_text("".join(line.text + "\n" for line in lines), encoding="utf-8")
        print(f"{directory.name}/sozune.log: {len(lines)} lines")


if __name__ == "__main__":
    main()
