"""Every reader of attacker-controlled input as a fuzz target: its seeds, and what it may and may not do.

A target takes one input and raises (``AssertionError`` or anything else) only on a bug. What each one is
allowed to do with bad input is its contract:

- a **log format** parser returns ``None`` for a line it does not understand, never raises, and what it
  returns has finite, non-negative durations and a status in 100..999;
- a **config reader** returns its model or raises its own one-line error (``file[:line]: problem``), and the
  model can be asked every question check-config asks of it;
- the **pipelines** (scan, check-config) end in a report every reporter can render, and every rendered byte is
  safe for a terminal (:mod:`tests.fuzz.payloads`);
- small **value parsers** (durations, --hold, --header, URLs, routes, redaction) return or raise their error.

Seeds are real inputs: the fixture and sample logs (each line goes to the formats that accept it), the
fixture configs, and the configuration strings of the readers' own tests (found by their ``looks_like``).
Targets are listed in :func:`all_targets`; ``tests/test_fuzz_parsers.py`` checks that every reader module
has one.
"""

from __future__ import annotations

import ast
import functools
import io
import math
import os
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.registry import all_formats
from lpdoctor.model import ErrorEvent, RequestRecord
from lpdoctor.scan.aggregate import PARTIAL_VERSION

from .mutate import mutate, random_text
from .payloads import check_json_output, output_text

ROOT = Path(__file__).resolve().parents[2]
PWNED = "/tmp/lpdoctor-pwned"  # what the YAML !!python/object payload in the mutations would create

# A small input: files by relative path (the first is the one handed to the reader), or one string.
Files = dict[str, str]


@dataclass
class Target:
    name: str
    kind: str  # "text" or "files"
    seeds: Callable[[], list[Any]]
    check: Callable[..., None]  # text: check(text); files: check(main_path)
    limit_s: float = 10.0  # past this the input counts as a hang
    slow_s: float = 2.0  # past this, as too slow
    multiline: bool = False
    modules: tuple[str, ...] = ()  # the reader modules this target covers, dotted below lpdoctor ("dialects.haproxy")
    notes: list[str] = field(default_factory=list)


def materialize(files: Files, directory: Path) -> str:
    """Write ``files`` under ``directory`` (bytes as-is: lone surrogates become invalid UTF-8) and return the
    path of the first one."""
    main = ""
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        main = main or str(path)
    return main


def one_line(message: str) -> None:
    """An error message a user can act on. (A line break inside it is shown escaped: commands print every
    message through lpdoctor.text.safety.safe, so it is one line on the terminal whatever it holds.)"""
    assert message.strip(), "an empty error message"
    assert "Traceback" not in message, message[:300]


# ---- seeds


def _lines_of(path: Path, limit: int = 400) -> list[str]:
    import gzip

    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, ValueError):
        return []
    return [ln for ln in raw.decode("utf-8", "replace").splitlines()[:limit] if ln.strip()]


@functools.lru_cache(maxsize=1)
def _all_log_lines() -> tuple[str, ...]:
    lines: list[str] = []
    for pattern in ("samples/**/*.log", "tests/fixtures/**/*.log", "tests/fixtures/**/*.log.gz"):
        for path in sorted(ROOT.glob(pattern)):
            lines.extend(_lines_of(path))
    from tests.logfactory import long_poll_route, ordinary_traffic

    lines.extend(long_poll_route("/_matrix/client/v3/sync?timeout=30000&since=s1", n=20, hold=30.0, cut=25.0))
    lines.extend(ordinary_traffic(20))
    return tuple(dict.fromkeys(lines))


def log_seeds(fmt: LogFormat, per_format: int = 60) -> list[str]:
    """Lines of the fixtures and samples this format's parser accepts (any lines when none does)."""
    parse = fmt.parser()
    accepted: list[str] = []
    for i, line in enumerate(_all_log_lines()):
        try:
            if parse(line, i + 1, "seed") is not None:
                accepted.append(line)
        except Exception:
            continue
        if len(accepted) >= per_format:
            break
    return accepted or list(_all_log_lines()[:: max(1, len(_all_log_lines()) // 20)])


def _test_literals(*test_files: str) -> list[str]:
    """Multi-line string constants of the given test modules: the configurations those tests are written on."""
    out: list[str] = []
    for name in test_files:
        path = ROOT / "tests" / name
        try:
            tree = ast.parse(path.read_text())
        except (OSError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if "\n" in text and 30 <= len(text) <= 200_000:
                    out.append(text)
    return list(dict.fromkeys(out))


def _files_under(*patterns: str) -> list[Path]:
    out: list[Path] = []
    for pattern in patterns:
        out.extend(p for p in sorted(ROOT.glob(pattern)) if p.is_file())
    return out


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace")


def nginx_seeds() -> list[Files]:
    seeds: list[Files] = [{"nginx.conf": _read(p)} for p in _files_under("samples/*/nginx.conf")]
    for p in _files_under("tests/fixtures/nginx_conf/**/*"):
        if p.suffix in (".conf", ".txt", "") or p.name == "nginx.conf":
            seeds.append({"nginx.conf": _read(p)})
    site = ROOT / "tests/fixtures/nginx_conf/site"
    if site.is_dir():  # a whole tree: includes, snippets, sites-enabled; mutations hit any one of its files
        tree = {"nginx.conf": _read(site / "nginx.conf")}
        for p in sorted(site.rglob("*")):
            if p.is_file() and p.name != "nginx.conf":
                tree[str(p.relative_to(site))] = _read(p)
        seeds.append(tree)
    seeds += [{"nginx.conf": t} for t in _test_literals("test_nginx_config.py") if "location" in t or "http {" in t]
    seeds.append({"nginx.conf": _MINIMAL_NGINX})
    return seeds


_MINIMAL_NGINX = """events {}
http {
  upstream synapse { server 127.0.0.1:8008 max_fails=2 fail_timeout=10s; keepalive 16; }
  server {
    listen 443 ssl;
    server_name matrix.example.org;
    proxy_read_timeout 30s;
    location /_matrix/ {
      proxy_pass http://synapse;
      proxy_read_timeout 25s;
      proxy_next_upstream error timeout;
    }
    location ~ ^/_matrix/client/(r0|v3)/sync$ { proxy_pass http://synapse; }
  }
}
"""


def ingress_seeds() -> list[Files]:
    seeds = [{"ingress.yaml": _read(p)} for p in _files_under("tests/fixtures/nginx_conf/ingress/*")]
    seeds += [{"ingress.yaml": t} for t in _test_literals("test_nginx_config.py") if "kind: Ingress" in t]
    return seeds or [{"ingress.yaml": "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\n"}]


_CHAIN = """version: 1
margin: 5s
routes:
  - route: /_matrix/client/v3/sync
    host: matrix.example.org
    hold: 30s
    keepalive: {kind: bytes, interval: 10s}
    client: {component: element-web, timeouts: {read: 90s}}
    edges:
      - {component: cloudflare, name: cf}
    app: {component: gunicorn, worker_class: sync, timeouts: {timeout: 30s}}
"""


def chain_seeds() -> list[Files]:
    seeds = [
        {"lpdoctor.yaml": t} for t in _test_literals("test_chain_file.py", "test_check_config.py") if "routes:" in t
    ]
    return [*seeds, {"lpdoctor.yaml": _CHAIN}]


_APP_SEEDS: Files = {
    "Procfile": "web: gunicorn app:app --timeout 30 -k sync --workers 3\nworker: celery -A app worker\n",
    "Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "--timeout", "20", "--worker-class", "gthread", "app:app"]\n',
    "docker-compose.yml": (
        "services:\n  app:\n    image: x\n    command: gunicorn -t 25 app:app\n"
        "    environment:\n      GUNICORN_CMD_ARGS: --timeout 40\n"
    ),
    "gunicorn.conf.py": "timeout = 30\nworker_class = 'sync'\nkeepalive = 2\nthreads = 1\n",
    "main.go": (
        'package main\nimport ("net/http"; "time")\nfunc main() {\n\tsrv := &http.Server{\n'
        '\t\tAddr: ":8080",\n\t\tWriteTimeout: 10 * time.Second,\n\t\tIdleTimeout: time.Duration(30) * time.Second,\n'
        "\t}\n\tsrv.ReadTimeout = 5 * time.Second\n}\n"
    ),
    "www.conf": "[www]\nlisten = 127.0.0.1:9000\nrequest_terminate_timeout = 30s\n",
    "uwsgi.ini": "[uwsgi]\nmodule = app:app\nharakiri = 30\n",
    "start.sh": "#!/bin/sh\nexec uvicorn app:app --timeout-keep-alive 5\n",
}


def app_seeds() -> list[Files]:
    seeds: list[Files] = [{name: text} for name, text in _APP_SEEDS.items()]
    for text in _test_literals("test_app_servers.py"):
        for name in _APP_SEEDS:  # the reader decides by file name: try a literal under each
            seeds.append({name: text})
    return seeds


# config kind → (file name for a seed, the readers' own tests, fixture globs)
_KIND_SOURCES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "haproxy": ("haproxy.cfg", ("test_haproxy_config.py",), ("tests/fixtures/proxies/haproxy/*.cfg",)),
    "traefik": ("traefik.yml", ("test_traefik_config.py",), ()),
    "caddy": ("Caddyfile", ("test_caddy_config.py",), ()),
    "envoy": ("envoy.yaml", ("test_envoy_config.py",), ()),
    "apache": ("httpd.conf", ("test_apache_config.py",), ()),
    "kubernetes-edges": ("ingress.yaml", ("test_edge_dialects.py",), ("tests/fixtures/configs/kubernetes/*/*.yaml",)),
    "terraform": ("main.tf", ("test_edge_dialects.py",), ("tests/fixtures/configs/terraform/*/*.tf",)),
    "sozune": (
        "docker-compose.yml",
        ("test_sozune_config.py",),
        ("tests/fixtures/sozune/*", "samples/sozune-*/*.yml", "samples/sozune-*/*.yaml"),
    ),
}


def config_seeds(kind: str) -> list[Files]:
    from lpdoctor.dialects.registry import DIALECTS

    name, tests, globs = _KIND_SOURCES[kind]
    module = DIALECTS[kind]
    seeds: list[Files] = []
    for p in _files_under(*globs):
        seeds.append({p.name if kind == "sozune" else name: _read(p)})
    for text in _test_literals(*tests):
        file = "caddy.json" if kind == "caddy" and text.lstrip().startswith("{") else name
        for candidate in (file.lower(), "entrypoints.yaml", "docker-compose.yml"):
            try:
                if module.looks_like(candidate, text):
                    seeds.append({candidate if kind == "sozune" else file: text})
                    break
            except Exception:
                break
    return seeds or [{name: ""}]


# ---- checks


def assert_sane_record(result: object) -> None:
    """None, or a record whose numbers are finite and in range and whose text fields are text."""
    if result is None:
        return
    assert isinstance(result, RequestRecord | ErrorEvent), type(result)
    if isinstance(result, RequestRecord):
        for value in (result.duration_s, result.header_s):
            assert value is None or (math.isfinite(value) and value >= 0), f"duration {value!r}"
        assert result.status is None or 0 <= result.status <= 999, f"status {result.status!r}"  # 0: none sent
        for up in result.upstream:
            for v in (up.connect_s, up.header_s, up.response_s):
                assert v is None or (math.isfinite(v) and v >= 0), f"upstream time {v!r}"
    else:
        assert result.timeout_s is None or (math.isfinite(result.timeout_s) and result.timeout_s >= 0)
        assert isinstance(result.message, str)
    assert result.time is None or math.isfinite(result.time), f"time {result.time!r}"
    for name in ("target", "host", "method", "client", "detail"):
        value = getattr(result, name, None)
        assert value is None or isinstance(value, str), (name, value)


def _log_check(fmt: LogFormat) -> Callable[[str], None]:
    state: dict[str, Any] = {"parser": fmt.parser(), "n": 0}

    def check(line: str) -> None:
        state["n"] += 1
        if state["n"] % 500 == 0:  # a fresh parser now and then: parsers may cache per input
            state["parser"] = fmt.parser()
        assert_sane_record(state["parser"](line, state["n"], "fuzz.log"))

    return check


def _exercise_source(source: Any) -> None:
    """Ask a proxy source every question check-config asks of one."""
    for host in (None, "matrix.example.org", "example.org", "\x1b[2J", "a" * 300):
        for path in ("/", "/_matrix/client/v3/sync", "/poll", "/" + "a" * 40 + "!", "/%2e%2e/x?y=1"):
            source.hop_for(host, path)
    for _ in source.each_server("/_matrix/client/v3/sync"):
        pass
    for _ in source.all_timers():
        pass
    for warning in source.warnings():
        assert isinstance(warning, str)


def _nginx_check(path: str) -> None:
    from lpdoctor.dialects.nginx.config import load_nginx_config
    from lpdoctor.dialects.nginx.interpret import iter_timeouts
    from lpdoctor.dialects.nginx.model import NginxConfigError
    from lpdoctor.dialects.nginx.source import NginxSource

    try:
        config = load_nginx_config(path)
    except NginxConfigError as exc:
        one_line(str(exc))
        return
    for _ in iter_timeouts(config):
        pass
    for server in config.servers:
        for loc in server.locations:
            loc.max_attempts_on_timeout("POST")
    _exercise_source(NginxSource(config))


def _ingress_check(path: str) -> None:
    from lpdoctor.dialects.nginx.ingress import load_ingress_manifests
    from lpdoctor.dialects.nginx.model import NginxConfigError
    from lpdoctor.dialects.nginx.source import NginxSource

    try:
        config = load_ingress_manifests(path)
    except NginxConfigError as exc:
        one_line(str(exc))
        return
    _exercise_source(NginxSource(config))


def _chain_check(path: str) -> None:
    from lpdoctor.dialects.chain_file import ChainFileError, load_chain_file

    try:
        load_chain_file(path)
    except ChainFileError as exc:
        one_line(str(exc))


def _app_check(path: str) -> None:
    from lpdoctor.dialects.app_servers import discover_app_servers

    found = discover_app_servers([path])
    for note in found.notes:
        one_line(note)
    for hop in found.hops:
        for t in hop.hop.timeouts:
            assert t.value_s is None or (math.isfinite(t.value_s) and t.value_s >= 0), t


def _config_kind_check(kind: str) -> Callable[[str], None]:
    def check(path: str) -> None:
        from lpdoctor.dialects.base import ConfigReadError
        from lpdoctor.dialects.registry import DIALECTS

        try:
            source = DIALECTS[kind].load_source(path)
        except ConfigReadError as exc:
            one_line(str(exc))
            return
        _exercise_source(source)
        if hasattr(source, "input_summary"):
            source.input_summary()

    return check


def render_everywhere(report: Any) -> None:
    """Every reporter renders the sanitized report; every byte it writes is terminal-safe."""
    from lpdoctor.reporters import FORMATS, get_renderer
    from lpdoctor.reporters.sanitize import sanitized

    safe_report = sanitized(report)
    for fmt in FORMATS:
        buf = io.StringIO()
        get_renderer(fmt)(safe_report, buf)
        raw = buf.getvalue().encode("utf-8")
        if fmt in ("json", "sarif"):
            check_json_output(raw)
        else:
            output_text(raw)


def _scan_pipeline_check(path: str) -> None:
    from lpdoctor.scan.pipeline import aggregate_logs
    from lpdoctor.scan.report import ScanOptions, build_report

    agg, errors = aggregate_logs([path])
    for e in errors:
        one_line(e)
    if not agg.inputs or not any(i.parsed for i in agg.inputs):
        return
    render_everywhere(build_report(agg, ScanOptions()))


def _check_config_pipeline_check(path: str) -> None:
    from lpdoctor.app.config_report import ConfigCheckError, ConfigCheckOptions, build_config_report

    directory = os.path.dirname(path)
    chain = os.path.join(directory, "lpdoctor.yaml")
    logs = [os.path.join(directory, "access.log")] if os.path.exists(os.path.join(directory, "access.log")) else []
    opts = ConfigCheckOptions(
        configs=[path],
        chain_file=chain if os.path.exists(chain) else None,
        holds=["/_matrix/client/v3/sync=30s", "/poll=25s"],
        logs=logs,
    )
    try:
        report, errors = build_config_report(opts, on_input_error=lambda m: None)
    except ConfigCheckError as exc:
        one_line(str(exc))
        return
    for e in errors:
        one_line(e)
    render_everywhere(report)


def _pipeline_scan_seeds() -> list[Files]:
    lines = _all_log_lines()
    step = max(1, len(lines) // 8)
    return [{"access.log": "\n".join(lines[i : i + 60]) + "\n"} for i in range(0, len(lines), step)]


def _pipeline_config_seeds() -> list[Files]:
    from tests.logfactory import long_poll_route

    log = "\n".join(long_poll_route("/_matrix/client/v3/sync?timeout=30000", n=40, hold=30.0, cut=25.0)) + "\n"
    seeds: list[Files] = []
    for s in nginx_seeds()[:12]:
        seeds.append({**s, "lpdoctor.yaml": _CHAIN, "access.log": log})
    return seeds


def _real_scan(tmp: str) -> Any:
    from lpdoctor.scan.pipeline import aggregate_logs

    log = os.path.join(tmp, "access.log")
    with open(log, "w", encoding="utf-8") as fh:
        fh.write("\n".join(_all_log_lines()[:400]) + "\n")
    agg, _ = aggregate_logs([log])
    return agg


def _partial_seeds() -> list[Files]:
    """Partials as ``scan --save-partial`` writes them, of the fixture and sample lines."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        agg = _real_scan(tmp)
    data = {"lpdoctor_partial": PARTIAL_VERSION, **agg.to_dict()}
    return [{"partial.json": json.dumps(data)}, {"partial.json": json.dumps(data, indent=1)}]


def _partial_check(path: str) -> None:
    from lpdoctor.commands.merge import PartialError, load_partial
    from lpdoctor.scan.report import ScanOptions, build_report

    try:
        agg = load_partial(path)
    except PartialError as exc:
        one_line(str(exc))
        return
    agg.merge(load_partial(path))
    render_everywhere(build_report(agg, ScanOptions()))


def _scan_report_seeds() -> list[Files]:
    """``scan -f json`` reports of the fixture and sample lines, as ``check-config --from-scan`` reads them."""
    import json
    import tempfile

    from lpdoctor.reporters.json_report import report_dict
    from lpdoctor.scan.report import ScanOptions, build_report

    with tempfile.TemporaryDirectory() as tmp:
        report = build_report(_real_scan(tmp), ScanOptions())
    return [{"scan.json": json.dumps(report_dict(report), indent=1)}]


def _from_scan_check(path: str) -> None:
    from lpdoctor.chains.hold_specs import SpecError, endpoint_specs, scan_file_endpoints

    try:
        endpoints = scan_file_endpoints(path)
    except SpecError as exc:
        one_line(str(exc))
        return
    for e in endpoints:
        assert e.hold_s is None or (math.isfinite(e.hold_s) and e.hold_s >= 0), e.hold_s
    endpoint_specs(endpoints, path)


# ---- small value parsers


def _expect(func: Callable[[], object], errors: tuple[type[BaseException], ...]) -> object:
    try:
        return func()
    except errors as exc:
        one_line(str(exc))
        return None


def _duration_check(text: str) -> None:
    from lpdoctor.text.durations import DurationError, parse_duration, parse_nginx_time

    for unit in ("s", "ms"):
        value = _expect(lambda u=unit: parse_duration(text, default_unit=u), (DurationError,))  # type: ignore[misc]
        assert value is None or (isinstance(value, float) and math.isfinite(value) and value >= 0), value
    _expect(lambda: parse_nginx_time(text), (DurationError,))


def _hold_check(text: str) -> None:
    from lpdoctor.chains.hold_specs import SpecError, parse_hold_option

    spec = _expect(lambda: parse_hold_option(text), (SpecError,))
    if spec is not None:
        seconds = spec.hold.seconds  # type: ignore[attr-defined]
        assert math.isfinite(seconds) and seconds > 0


def _probe_args_check(text: str) -> None:
    from lpdoctor.probe.target import ProbeError, parse_header, resolve_hold_param, validate_url

    _expect(lambda: parse_header(text), (ProbeError,))
    url = _expect(lambda: validate_url(text), (ProbeError,))
    if url is not None:
        _expect(lambda: resolve_hold_param(text), (ProbeError,))
    _expect(lambda: resolve_hold_param("http://example.org/poll?" + text, "timeout"), (ProbeError,))


def _route_check(text: str) -> None:
    from lpdoctor.dialects.nginx.locations import normalize_uri
    from lpdoctor.scan.routes import RouteCache, normalize_path, split_target

    path, _ = split_target(text)
    assert isinstance(normalize_path(path), str)
    assert isinstance(RouteCache(16).route(path), str)
    assert isinstance(normalize_uri(text), str)


def _safety_check(text: str) -> None:
    from lpdoctor.text.safety import clean, redact, safe

    out = safe(text, 300)
    output_text(out.encode("utf-8"))  # printable, encodable
    assert len(out) <= 300 * 10 + 1  # escapes expand at most tenfold
    assert isinstance(redact(text), str) and isinstance(clean(text), str)
    if "Zq9XwV" not in text:  # a credential stays hidden whatever follows it
        assert "Zq9XwV" not in safe("?access_token=Zq9XwV" + text[:50] + "&x=1", 500)


def _sozune_labels_check(text: str) -> None:
    from lpdoctor.dialects.sozune.labels import parse_bool, parse_unsigned, split_key, variable_default

    key = split_key(text)
    if key is not None:
        from lpdoctor.dialects.sozune.labels import suggest_label

        suggest_label(key)
    for bits in (32, 64):
        value = parse_unsigned(text, bits)
        assert value is None or 0 <= value < 2**bits
    parse_bool(text)
    variable_default(text)


def _traefik_rule_check(text: str) -> None:
    from lpdoctor.dialects.traefik import evaluate_rule

    for host, path in ((None, "/"), ("example.org", "/_matrix/client/v3/sync"), ("a.b", "/" + "a" * 30 + "!")):
        assert evaluate_rule(text, host, path) in (True, False, None)


_TEXT_SEEDS: dict[str, list[str]] = {
    "duration": ["30s", "1m30s", "500ms", "30000", "1h 30m", "2.5s", "412μs", "0", "90", "1d"],
    "hold": ["/poll=30s", "/_matrix/client/v3/sync=30000ms", "chat.example.org/api/poll=25s", "x=1", "/a=b=c"],
    "probe": [
        "https://matrix.example.org/_matrix/client/v3/sync?timeout=30000&since=s1",
        "http://127.0.0.1:8080/poll?wait=30s",
        "Authorization: Bearer abc",
        "X-Forwarded-For: 1.2.3.4",
        "timeout=30000&x=1",
    ],
    "route": [
        "/_matrix/client/v3/rooms/!abc:example.org/messages?dir=b",
        "/bot123456:AAEabcdefghijkl/getUpdates?timeout=30",
        "/api/v1/orders/8812/items?x=1#frag",
        "http://example.org/a/../b//c/./d",
        "/%2e%2e/%41%zz/é",
        "*",
    ],
    "safety": [
        "/sync?access_token=abc&timeout=30000",
        "Authorization: Bearer abcdefghij",
        "\x1b]0;x\x07[bold red]",
        '{"password": "x y"}',
        "eyJhbGciOi.eyJzdWIiOi.sig",
    ],
    "sozune-labels": ["sozune.http.synapse.backendTimeout", "60", "true", "${TIMEOUT:-30}", "sozune.enable"],
    "traefik-rule": [
        "Host(`example.org`) && PathPrefix(`/_matrix`)",
        "PathRegexp(`^/api/v[0-9]+/poll$`) || Path(`/x`)",
        "Host(`a.example`, `b.example`) && !Method(`POST`)",
        "HostRegexp(`{sub:[a-z]+}.example.org`)",
    ],
}


# ---- the list


def all_targets() -> list[Target]:
    targets: list[Target] = []
    for fmt in all_formats():
        module = str(getattr(fmt.make_parser, "__module__", "") or "")
        targets.append(
            Target(
                name=f"log:{fmt.name}",
                kind="text",
                seeds=functools.partial(log_seeds, fmt),
                check=_log_check(fmt),
                limit_s=5.0,
                slow_s=0.5,
                modules=(module.removeprefix("lpdoctor."),),
            )
        )
    targets += [
        Target(
            "config:nginx",
            "files",
            nginx_seeds,
            _nginx_check,
            multiline=True,
            modules=(
                "dialects.nginx.config",
                "dialects.nginx.model",
                "dialects.nginx.interpret",
                "dialects.nginx.locations",
                "dialects.nginx.source",
            ),
        ),
        Target(
            "config:ingress-nginx",
            "files",
            ingress_seeds,
            _ingress_check,
            multiline=True,
            modules=("dialects.nginx.ingress",),
        ),
        Target(
            "config:chain-file", "files", chain_seeds, _chain_check, multiline=True, modules=("dialects.chain_file",)
        ),
        Target("config:app-servers", "files", app_seeds, _app_check, multiline=True, modules=("dialects.app_servers",)),
    ]
    for kind, modules in (
        ("haproxy", ("dialects.haproxy", "dialects.haproxy_model", "dialects.haproxy_routes", "dialects.registry")),
        ("traefik", ("dialects.traefik",)),
        ("caddy", ("dialects.caddy",)),
        ("envoy", ("dialects.envoy",)),
        ("apache", ("dialects.apache",)),
        (
            "sozune",
            (
                "dialects.sozune.config",
                "dialects.sozune.file_provider",
                "dialects.sozune.nodes",
                "dialects.sozune.labels",
                "dialects.sozune.routes",
                "dialects.sozune.source",
                "dialects.base",
            ),
        ),
        ("kubernetes-edges", ("dialects.edges.kubernetes", "dialects.edges.ingress_class", "dialects.edges.common")),
        ("terraform", ("dialects.edges.terraform",)),
    ):
        targets.append(
            Target(
                f"config:{kind}",
                "files",
                functools.partial(config_seeds, kind),
                _config_kind_check(kind),
                multiline=True,
                modules=modules,
            )
        )
    targets += [
        Target("pipeline:scan", "files", _pipeline_scan_seeds, _scan_pipeline_check, limit_s=30.0, slow_s=8.0,
               multiline=True, modules=("logformats.logs", "text.inputs")),
        Target("pipeline:check-config", "files", _pipeline_config_seeds, _check_config_pipeline_check, limit_s=30.0,
               slow_s=8.0, multiline=True, modules=("app.config_log_formats",)),
        Target("input:partial", "files", _partial_seeds, _partial_check, limit_s=30.0, slow_s=8.0, multiline=True),
        Target("input:from-scan", "files", _scan_report_seeds, _from_scan_check, multiline=True),
        Target("value:duration", "text", lambda: _TEXT_SEEDS["duration"], _duration_check, slow_s=0.2),
        Target("value:hold", "text", lambda: _TEXT_SEEDS["hold"], _hold_check, slow_s=0.2),
        Target("value:probe-args", "text", lambda: _TEXT_SEEDS["probe"], _probe_args_check, slow_s=0.5,
               modules=("probe.transport",)),
        Target("value:route", "text", lambda: _TEXT_SEEDS["route"], _route_check, slow_s=0.5),
        Target("value:safety", "text", lambda: _TEXT_SEEDS["safety"], _safety_check, slow_s=0.5),
        Target("value:sozune-labels", "text", lambda: _TEXT_SEEDS["sozune-labels"], _sozune_labels_check,
               slow_s=0.5, modules=("dialects.sozune.labels",)),
        Target("value:traefik-rule", "text", lambda: _TEXT_SEEDS["traefik-rule"], _traefik_rule_check,
               slow_s=0.5, modules=("dialects.traefik",)),
    ]  # fmt: skip
    return targets


def covered_modules(targets: Iterable[Target]) -> set[str]:
    return {m for t in targets for m in t.modules}


def mutated(target: Target, seed: Any, rnd: random.Random, pool: list[Any]) -> Any:
    """A mutation of ``seed`` for ``target``: one string, or the same files with one of them mutated."""
    if target.kind == "text":
        others = [p for p in pool if isinstance(p, str)]
        if rnd.random() < 0.1:
            return random_text(rnd)
        return mutate(seed, rnd, others)
    files = dict(seed)
    rel = rnd.choice(list(files)) if rnd.random() < 0.3 else next(iter(files))
    others = [text for s in pool for text in s.values()][:50]
    files[rel] = mutate(files[rel], rnd, others, multiline=True)
    return files
