"""Regenerate lpdoctor's bundled samples with the REAL nginx and the harness backend, at real time scale.

    .venv/bin/python samples/generate.py                      # all scenarios, in parallel (~2.5 min)
    .venv/bin/python samples/generate.py --only client-499    # one scenario
    .venv/bin/python samples/generate.py --out /tmp/s --duration 20 --clients 5   # a quick dry run

Each scenario starts the long-poll backend as a subprocess (``python -m tests.realworld.backend``), a real
nginx in a temporary prefix (``tests/realworld/nginx.py``) and N raw-socket long-poll clients
(``tests/realworld/clients.py``), then copies nginx's ``nginx.conf``, ``access.log`` and ``error.log`` into
``samples/<scenario>/`` unchanged and writes a README with counts taken from the access log. Client addresses
come from ``X-Forwarded-For`` through nginx's realip module (documentation ranges 192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24), because every client really connects from 127.0.0.1.

Ports: nginx and the backend bind the fixed, neutral ports listed per scenario when they are free. If one is
taken, an ephemeral port is used and **only nginx.conf** is rewritten back to the neutral port (the sample's
README then says so; the log lines keep the port that was really used).
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.realworld.backend import BackendConfig, start_backend_process  # noqa: E402
from tests.realworld.clients import ClientConfig, PollResult, TargetFn, run_clients  # noqa: E402
from tests.realworld.nginx import NginxConfig, find_nginx, launch_nginx, port_is_free  # noqa: E402

REALIP = ("set_real_ip_from 127.0.0.1", "real_ip_header X-Forwarded-For")


@dataclass
class Scenario:
    name: str
    summary: str  # one line for the README
    nginx_port: int
    backend_port: int
    backend: BackendConfig
    nginx: Callable[[str], NginxConfig]  # backend address -> config
    clients: Callable[[int], ClientConfig]  # nginx port -> clients
    notes: list[str] = field(default_factory=list)


def client_ips(seed: int, n: int) -> list[str]:
    rng = random.Random(f"ips/{seed}")
    nets = ("192.0.2", "198.51.100", "203.0.113")
    return [f"{nets[i % 3]}.{rng.randint(2, 254)}" for i in range(n)]


# --- matrix-504 -----------------------------------------------------------------------------------------

MATRIX_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Element/1.11.85 "
    "Chrome/130.0.6723.137 Electron/33.2.1 Safari/537.36",
    "Element/1.6.24 (Google Pixel 7; Android 14; UP1A.231005.007; Flavour GooglePlay; MatrixAndroidSdk2 1.6.24)",
    "mautrix-go/v0.21.1 go1.23.2",  # a bridge bot: puts access_token in the query string
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Safari/605.1.15",
    "Element X/1.9.3 (iPhone15,3; iOS 18.1; en; Element X)",
)
MATRIX_USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")


def matrix_targets() -> TargetFn:
    since: dict[int, int] = defaultdict(int)

    def target(rng: random.Random, client: int, seq: int, last: PollResult | None) -> str:
        user = MATRIX_USERS[client % len(MATRIX_USERS)]
        token = None
        if client % len(MATRIX_AGENTS) == 2:  # the bot sends its token as ?access_token=
            local = base64.b64encode(user.encode()).decode().rstrip("=")
            tok_rng = random.Random(f"token/{client}")
            alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
            token = f"syt_{local}_{''.join(tok_rng.choices(alnum, k=20))}_{''.join(tok_rng.choices(alnum, k=6))}"
        if last is not None and last.ok and "/sync" in last.target:
            since[client] += 1
        if seq == 1 or (last is not None and not last.ok and rng.random() < 0.5):
            path = "/_matrix/client/versions"  # start-up, and matrix-js-sdk's keep-alive after a failed sync
        elif seq == 2:
            path = "/_matrix/client/v3/sync?filter=0&timeout=0"  # initial sync does not wait
        else:
            r = rng.random()
            room = "!abc:example.org" if client % 2 else "%21abc%3Aexample.org"
            if r < 0.08:
                path = f"/_matrix/client/v3/rooms/{room}/messages?dir=b&from=t{40 + seq}-{rng.randint(10**5, 10**6)}&limit=20"
            elif r < 0.12:
                path = f"/_matrix/client/v3/profile/@{rng.choice(MATRIX_USERS)}:example.org"
            elif r < 0.14:
                path = f"/_matrix/client/v3/profile/@{rng.choice(MATRIX_USERS)}:example.org/displayname"
            else:
                s = 72594 + client * 7 + since[client]
                path = f"/_matrix/client/v3/sync?filter=0&since=s{s}_4483_{1934 + since[client]}_1&timeout=30000"
        if token is not None:
            path += ("&" if "?" in path else "?") + f"access_token={token}"
        return path

    return target


def matrix_scenario(duration_s: float, clients: int) -> Scenario:
    return Scenario(
        name="matrix-504",
        summary="Matrix `/sync?timeout=30000` behind `proxy_read_timeout 30s`: held syncs end in 504 at ~30.0 s.",
        nginx_port=8081,
        backend_port=8008,
        backend=BackendConfig(timeout_unit="ms", event_probability=0.5, event_delay="exp:6", seed=504),
        nginx=lambda upstream: NginxConfig(
            upstreams=[upstream],
            log_format="kv_timing",
            proxy_read_timeout="30s",
            server_name="matrix.example.org",
            http_extra=REALIP,
        ),
        clients=lambda port: ClientConfig(
            port=port,
            clients=clients,
            duration_s=duration_s,
            read_timeout_s=90.0,  # matrix-js-sdk waits timeout + 80 s before it gives up on a sync
            targets=matrix_targets(),
            host_header="matrix.example.org",
            user_agents=MATRIX_AGENTS,
            forwarded_for=client_ips(504, clients),
            stagger_s=15.0,
            repoll_delay_s=(0.0, 0.05),
            failure_backoff_s=(1.0, 4.0),
            seed=504,
        ),
    )


# --- go-writetimeout-502 ---------------------------------------------------------------------------------

GO_AGENTS = ("Go-http-client/1.1", "watcher/2.3.1 (+https://example.com/watcher)", "curl/7.88.1")


def go_targets() -> TargetFn:
    index: dict[int, int] = defaultdict(lambda: 0)

    def target(rng: random.Random, client: int, seq: int, last: PollResult | None) -> str:
        if last is not None and last.ok:
            index[client] += 1
        if seq > 1 and rng.random() < 0.05:
            return f"/api/items/{rng.randint(1, 999)}"
        return f"/api/events?index={1200 + client * 13 + index[client]}&wait=15s"

    return target


def go_scenario(duration_s: float, clients: int) -> Scenario:
    return Scenario(
        name="go-writetimeout-502",
        summary="`/api/events?wait=15s` against a Go server with `WriteTimeout: 10s`: 200 below 10 s, 502 "
        '"upstream prematurely closed connection" between 10 s and 15 s (at the handler\'s end).',
        nginx_port=8082,
        backend_port=9000,
        backend=BackendConfig(mode="write-timeout", mode_s=10.0, event_probability=0.7, event_delay="exp:6", seed=502),
        nginx=lambda upstream: NginxConfig(
            upstreams=[upstream],
            log_format="combined_timing",
            proxy_read_timeout="60s",
            upstream_keepalive=0,  # nginx's default (HTTP/1.0 to the upstream); see tests/realworld/nginx.py
            server_name="api.example.com",
            http_extra=REALIP,
        ),
        clients=lambda port: ClientConfig(
            port=port,
            clients=clients,
            duration_s=duration_s,
            read_timeout_s=60.0,
            targets=go_targets(),
            host_header="api.example.com",
            user_agents=GO_AGENTS,
            forwarded_for=client_ips(502, clients),
            stagger_s=10.0,
            repoll_delay_s=(0.0, 0.05),
            failure_backoff_s=(1.0, 2.0),
            seed=502,
        ),
    )


# --- client-499 -------------------------------------------------------------------------------------------

POLL_AGENTS = (
    "python-requests/2.32.3",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "okhttp/4.12.0",
)


def client_499_scenario(duration_s: float, clients: int) -> Scenario:
    return Scenario(
        name="client-499",
        summary="Clients with a 10 s read timeout poll `/poll?timeout=25` (seconds) against a 25 s hold: 499 at "
        "~10 s, logged as JSON (`escape=json`).",
        nginx_port=8083,
        backend_port=9001,
        backend=BackendConfig(timeout_unit="s", event_probability=0.5, event_delay="exp:5", seed=499),
        nginx=lambda upstream: NginxConfig(
            upstreams=[upstream],
            log_format="json_timing",
            server_name="push.example.net",
            http_extra=REALIP,
        ),
        clients=lambda port: ClientConfig(
            port=port,
            clients=clients,
            duration_s=duration_s,
            read_timeout_s=10.0,
            targets=lambda rng, client, seq, last: f"/poll?channel=c{client % 7}&timeout=25",
            host_header="push.example.net",
            user_agents=POLL_AGENTS,
            forwarded_for=client_ips(499, clients),
            stagger_s=10.0,
            repoll_delay_s=(0.0, 0.05),
            timeout_backoff_s=(0.0, 0.2),
            seed=499,
        ),
    )


# --- healthy-20s ------------------------------------------------------------------------------------------


def healthy_scenario(duration_s: float, clients: int) -> Scenario:
    return Scenario(
        name="healthy-20s",
        summary="A 20 s hold (`/updates?timeout=20000`) behind `proxy_read_timeout 60s`: every poll answered, "
        "no failures.",
        nginx_port=8084,
        backend_port=9002,
        backend=BackendConfig(timeout_unit="ms", event_probability=0.5, event_delay="uniform", seed=200),
        nginx=lambda upstream: NginxConfig(
            upstreams=[upstream],
            log_format="combined_timing",
            proxy_read_timeout="60s",
            server_name="app.example.com",
            http_extra=REALIP,
        ),
        clients=lambda port: ClientConfig(
            port=port,
            clients=clients,
            duration_s=duration_s,
            read_timeout_s=30.0,
            targets=lambda rng, client, seq, last: f"/updates?cursor={client}-{seq}&timeout=20000",
            host_header="app.example.com",
            user_agents=POLL_AGENTS,
            forwarded_for=client_ips(200, clients),
            stagger_s=15.0,
            repoll_delay_s=(0.0, 0.05),
            seed=200,
        ),
    )


SCENARIOS: dict[str, Callable[[float, int], Scenario]] = {
    "matrix-504": matrix_scenario,
    "go-writetimeout-502": go_scenario,
    "client-499": client_499_scenario,
    "healthy-20s": healthy_scenario,
}
DEFAULTS = {  # (duration s, clients)
    "matrix-504": (100.0, 40),
    "go-writetimeout-502": (90.0, 40),
    "client-499": (90.0, 40),
    "healthy-20s": (90.0, 50),
}


# --- access-log summary for the README --------------------------------------------------------------------

_STATUS = re.compile(r'" (\d{3}) ')
_RT = re.compile(r" rt=(\d+\.\d+)")


def _status_and_time(line: str, log_format: str) -> tuple[int, float | None] | None:
    if log_format == "json_timing":
        try:
            rec = json.loads(line)
        except ValueError:
            return None
        return int(rec["status"]), float(rec["request_time"])
    m = _STATUS.search(line)
    if not m:
        return None
    if log_format == "kv_timing":
        rt = _RT.search(line)
        return int(m.group(1)), float(rt.group(1)) if rt else None
    # combined_timing: the request time follows the quoted user agent
    tail = line.rsplit('" ', 1)[-1].split()
    return int(m.group(1)), float(tail[0]) if tail else None


def summarize(access_log: Path, log_format: str) -> list[str]:
    by_status: dict[int, list[float]] = defaultdict(list)
    lines = access_log.read_text(encoding="utf-8").splitlines()
    for line in lines:
        parsed = _status_and_time(line, log_format)
        if parsed and parsed[1] is not None:
            by_status[parsed[0]].append(parsed[1])
    out = [f"{len(lines)} access-log lines. By status (request_time min / median / max, seconds):", ""]
    for status in sorted(by_status):
        t = by_status[status]
        out.append(f"- {status}: {len(t)} (min {min(t):.3f} / median {statistics.median(t):.3f} / max {max(t):.3f})")
    return out


# --- running one scenario ---------------------------------------------------------------------------------


def nginx_version(binary: str) -> str:
    proc = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10, check=False)
    return (proc.stderr or proc.stdout).strip().replace("nginx version: ", "")


def run_scenario(scenario: Scenario, out_dir: Path, log: Callable[[str], None]) -> None:
    notes = list(scenario.notes)
    backend_port = scenario.backend_port if port_is_free(scenario.backend_port) else 0
    nginx_port = scenario.nginx_port if port_is_free(scenario.nginx_port) else None
    backend_cfg = replace(scenario.backend, port=backend_port)
    with tempfile.TemporaryDirectory(prefix=f"lpdoctor-sample-{scenario.name}-") as tmp:
        with start_backend_process(backend_cfg, lifetime_s=600) as backend:
            nginx_cfg = scenario.nginx(backend.address)
            nginx = launch_nginx(nginx_cfg, Path(tmp), port=nginx_port)
            try:
                log(
                    f"{scenario.name}: nginx on {nginx.address}, backend on {backend.address} ({backend_cfg.mode_text})"
                )
                began = datetime.now(timezone.utc)
                run = run_clients(scenario.clients(nginx.port))
                log(f"{scenario.name}: clients done in {run.wall_s:.0f} s: {dict(run.statuses())}")
                time.sleep(0.5)  # let nginx write the last lines
            finally:
                nginx.stop(graceful_s=5.0)
        target = out_dir / scenario.name
        target.mkdir(parents=True, exist_ok=True)
        conf = nginx.conf_path.read_text(encoding="utf-8")
        if nginx.port != scenario.nginx_port:
            conf = conf.replace(f"127.0.0.1:{nginx.port};", f"127.0.0.1:{scenario.nginx_port};")
            notes.append(
                f"nginx really listened on 127.0.0.1:{nginx.port} (8xxx was busy); nginx.conf shows the neutral port."
            )
        if backend.port != scenario.backend_port:
            conf = conf.replace(f"server 127.0.0.1:{backend.port};", f"server 127.0.0.1:{scenario.backend_port};")
            notes.append(
                f"The backend really listened on 127.0.0.1:{backend.port} (the neutral port was busy); nginx.conf "
                "shows the neutral port, the log lines the real one."
            )
        (target / "nginx.conf").write_text(conf, encoding="utf-8")
        shutil.copyfile(nginx.access_log, target / "access.log")
        shutil.copyfile(nginx.error_log, target / "error.log")
    clients_cfg = scenario.clients(nginx.port)
    readme = [
        f"# {scenario.name}",
        "",
        scenario.summary,
        "",
        f"Made on {began:%Y-%m-%d %H:%M} UTC by `.venv/bin/python samples/generate.py --only {scenario.name}` with "
        f"{nginx_version(nginx.binary)} in front of `python -m tests.realworld.backend "
        f"--port {scenario.backend_port} --mode {backend_cfg.mode_text} --timeout-unit {backend_cfg.timeout_unit} "
        f"--event-probability {backend_cfg.event_probability:g} --event-delay {backend_cfg.event_delay} "
        f"--seed {backend_cfg.seed}`, driven by {clients_cfg.clients} clients for {clients_cfg.duration_s:g} s "
        f"(read timeout {clients_cfg.read_timeout_s:g} s, log format `{nginx_cfg.log_format}`). Files are copied "
        "unchanged from nginx's prefix.",
        "",
        *summarize(target / "access.log", nginx_cfg.log_format),
    ]
    if notes:
        readme += ["", "Notes:", "", *[f"- {n}" for n in notes]]
    (target / "README.md").write_text("\n".join(readme) + "\n", encoding="utf-8")
    log(f"{scenario.name}: wrote {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), help="scenario (repeatable)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--duration", type=float, default=None, help="override every scenario's duration (s)")
    parser.add_argument("--clients", type=int, default=None, help="override every scenario's client count")
    args = parser.parse_args(argv)
    if find_nginx() is None:
        print("nginx not found: apt-get install nginx-light", file=sys.stderr)
        return 2
    names = args.only or list(SCENARIOS)
    lock = threading.Lock()

    def log(msg: str) -> None:
        with lock:
            print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    errors: list[str] = []

    def worker(name: str) -> None:
        duration, clients = DEFAULTS[name]
        scenario = SCENARIOS[name](args.duration or duration, args.clients or clients)
        try:
            run_scenario(scenario, args.out, log)
        except Exception as exc:  # reported at the end; other scenarios keep running
            errors.append(f"{name}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(n,), name=n) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(900)
    for e in errors:
        print(f"FAILED {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
