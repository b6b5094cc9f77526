"""REAL app servers in other languages for the end-to-end tests: a Go ``net/http`` server and a Node ``http`` one.

Both hold a request the way a long-poll API does and answer ``200 {"events":[]}`` when the hold expires:

- ``?timeout=<ms>`` (Matrix style) is the hold; any other request is answered at once (``{}``).
- Go: ``-write-timeout`` sets ``http.Server.WriteTimeout`` (a held request that outlives it is dropped when the
  handler writes: no byte, the connection closed — research/timeouts.md, Go net/http row).
- Node: ``&processing=<s>`` sends an interim ``102 Processing`` every ``s`` seconds (``res.writeProcessing()``).

The Go program is compiled once per test session with the system ``go`` (stdlib only; ``GOCACHE``, ``GOPATH``
and the binary live under a temporary folder). Each server prints ``LISTENING 127.0.0.1:<port>`` once it
accepts, runs under coreutils ``timeout`` and stops by itself after its lifetime.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.realworld import require_real
from tests.realworld.nginx import HOST, _wait_accepting, free_port

DEFAULT_LIFETIME_S = 600.0

GO_SOURCE = r"""// A long-poll backend: stdlib net/http only (lpdoctor tests/realworld/servers.py).
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	writeTimeout := flag.Duration("write-timeout", 0, "http.Server WriteTimeout (0: none)")
	lifetime := flag.Duration("lifetime", 10*time.Minute, "exit after this long")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("timeout"))
		if err != nil || ms <= 0 {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, "{}\n")
			return
		}
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "{\"events\":[]}\n")
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("LISTENING %s\n", ln.Addr())
	go func() { time.Sleep(*lifetime); os.Exit(0) }()
	srv := &http.Server{Handler: mux, WriteTimeout: *writeTimeout}
	fmt.Fprintln(os.Stderr, srv.Serve(ln))
}
"""

NODE_SOURCE = r"""// A long-poll backend: Node's http module only (lpdoctor tests/realworld/servers.py).
'use strict';
const http = require('http');
const port = Number(process.argv[2] || 0);
const lifetime = Number(process.argv[3] || 600) * 1000;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const ms = Number(url.searchParams.get('timeout'));
  if (!(ms > 0)) {
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end('{}\n');
    return;
  }
  const every = Number(url.searchParams.get('processing')) * 1000;
  let beat = null;
  if (every > 0) beat = setInterval(() => res.writeProcessing(), every);
  const done = setTimeout(() => {
    if (beat) clearInterval(beat);
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end('{"events":[]}\n');
  }, ms);
  req.on('close', () => { if (!res.writableEnded) { clearTimeout(done); if (beat) clearInterval(beat); } });
});
server.keepAliveTimeout = 75000;
server.headersTimeout = 80000;
server.requestTimeout = 0;
server.listen(port, '127.0.0.1', () => console.log('LISTENING 127.0.0.1:' + server.address().port));
setTimeout(() => process.exit(0), lifetime).unref();
"""


class ServerUnavailable(RuntimeError):
    """A toolchain (go, node) is missing or the server would not start."""


@dataclass
class AppServer:
    """A running Go or Node server; ``stop()`` ends it (idempotent)."""

    kind: str  # "go" or "node"
    port: int
    process: subprocess.Popen[bytes]
    version: str
    host: str = HOST

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self, wait_s: float = 3.0) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(wait_s)

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _watchdog(lifetime_s: float) -> list[str]:
    timeout_bin = shutil.which("timeout")
    return [timeout_bin, "--kill-after=5", f"{lifetime_s:g}"] if timeout_bin else []


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr).strip() else "?"


def build_go_server(workdir: Path) -> tuple[Path, str]:
    """Compile :data:`GO_SOURCE` under ``workdir`` with the system ``go``; (binary, ``go version``)."""
    go = shutil.which("go") or ("/usr/bin/go" if os.path.exists("/usr/bin/go") else None)
    if go is None:
        raise ServerUnavailable("go not found: apt-get install golang-go")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.go").write_text(GO_SOURCE, encoding="utf-8")
    (workdir / "go.mod").write_text("module lpdoctor.test/holdserver\n\ngo 1.19\n", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "GOCACHE": str(workdir / "gocache"),
        "GOPATH": str(workdir / "gopath"),
        "GOFLAGS": "-mod=mod",
        "GOTOOLCHAIN": "local",
        "GO111MODULE": "on",
        "CGO_ENABLED": "0",
        "GOPROXY": "off",
    }
    binary = workdir / "holdserver"
    proc = subprocess.run(
        [go, "build", "-o", str(binary), "."], cwd=workdir, env=env, capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        raise ServerUnavailable(f"go build failed: {proc.stderr.strip()[-500:]}")
    return binary, _version([go, "version"])


def _launch(kind: str, cmd: list[str], port: int, version: str, workdir: Path, timeout_s: float) -> AppServer:
    with (workdir / f"{kind}-{port}.out").open("wb") as out:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = AppServer(kind=kind, port=port, process=proc, version=version)
    if not _wait_accepting(HOST, port, proc, timeout_s):
        server.stop()
        raise ServerUnavailable(f"{kind} server did not start: {(workdir / f'{kind}-{port}.out').read_text()[-300:]}")
    return server


def launch_go(
    binary: Path, version: str, workdir: Path, *, write_timeout: str = "0", lifetime_s: float = DEFAULT_LIFETIME_S
) -> AppServer:
    port = free_port()
    cmd = [
        *_watchdog(lifetime_s + 5),
        str(binary),
        "-addr",
        f"{HOST}:{port}",
        "-write-timeout",
        write_timeout,
        "-lifetime",
        f"{lifetime_s:g}s",
    ]
    return _launch("go", cmd, port, version, workdir, 10.0)


def launch_node(workdir: Path, *, lifetime_s: float = DEFAULT_LIFETIME_S) -> AppServer:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise ServerUnavailable("node not found: apt-get install nodejs")
    workdir.mkdir(parents=True, exist_ok=True)
    script = workdir / "holdserver.js"
    script.write_text(NODE_SOURCE, encoding="utf-8")
    port = free_port()
    cmd = [*_watchdog(lifetime_s + 5), node, str(script), str(port), f"{lifetime_s:g}"]
    return _launch("node", cmd, port, _version([node, "--version"]), workdir, 10.0)


def start_go(binary: Path, version: str, workdir: Path, **kwargs: object) -> AppServer:
    try:
        return launch_go(binary, version, workdir, **kwargs)  # type: ignore[arg-type]
    except ServerUnavailable as exc:
        require_real(str(exc))


def start_node(workdir: Path, **kwargs: object) -> AppServer:
    try:
        return launch_node(workdir, **kwargs)  # type: ignore[arg-type]
    except ServerUnavailable as exc:
        require_real(str(exc))


def wait_until(predicate: object, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.05)
    return False
