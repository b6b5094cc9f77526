"""The table of issue 18: ``lpdoctor scan`` on every format and traffic shape, against ``grep -c``, mawk and GoAccess.

    python -m bench.run                          # every row, 1 M lines each, median of 3 runs
    python -m bench.run --rows ids-json,spa      # some rows
    python -m bench.run --lines 10000000 --repeat 1

Each row is a log of :mod:`bench.traffic` (or, for ``bench``, the project's own :mod:`bench.generate` log),
written once to ``--dir`` and read into the page cache before it is timed. For every tool: the first run is not
counted (``--warmup``), then the median wall time of ``--repeat`` runs; peak memory is the largest sum of the
PSS (shared pages split between the processes sharing them) over the whole process tree, sampled every 20 ms
during the warm-up run (the timed runs go without the sampler, which takes CPU from the tool).

- ``grep -c ' 504 '``, output to a file (GNU grep stops at the first match when its output is /dev/null);
- ``lpdoctor scan -f json --fail-on never`` with its default ``--jobs`` and with ``--jobs 1`` (both reports
  must be byte-identical: the table says so);
- mawk doing the core job, when installed: per route (query dropped, digit runs made ``{id}``), requests,
  499/502/504s and the longest duration, with the format's fields read by position (:data:`MAWK`);
- GoAccess, when installed, with a ``--log-format`` for the formats it reads (:data:`GOACCESS`), JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import generate as bench_generate
from bench import traffic
from bench.run import DEFAULT_DIR, LPDOCTOR, Result, bench, cpu_scaling, machine


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    fmt: str
    shape: str  # a bench.traffic shape, or "bench" for bench.generate's log


ROWS = (
    Row("ids", "nginx combined+timing, `/img/61141.png`, `/static/app.27961.js` (100 k ids)", "nginx-timing", "ids"),
    Row("ids-json", "same traffic, nginx JSON (`escape=json`)", "nginx-json", "ids"),
    Row("ids-kv", "same traffic, `key=value` timing tail (the samples' format)", "nginx-kv", "ids"),
    Row("ids-haproxy", "same traffic, HAProxy `option httplog` (syslog prefix)", "haproxy-httplog", "ids"),
    Row(
        "ids-haproxy-tcp", "same traffic, HAProxy `option tcplog` (mode tcp: a session a line)", "haproxy-tcplog", "ids"
    ),
    Row("ids-apache", "same traffic, Apache combined + `%D`", "apache-combined-D", "ids"),
    Row("ids-caddy", "same traffic, Caddy JSON", "caddy-json", "ids"),
    Row("ids-alb", "same traffic, AWS ALB", "aws-alb", "ids"),
    Row("ids-sozune", "same traffic, Sōzune", "sozune", "ids"),
    Row("ids-sozune-json", "same traffic, Sōzune JSON (`log.format: json`)", "sozune-json", "ids"),
    Row("ids-traefik", "same traffic, Traefik JSON (default fields)", "traefik-json", "ids"),
    Row("ids-envoy", "same traffic, Envoy JSON (Envoy Gateway's default layout)", "envoy-json", "ids"),
    Row("ids-ingress", "same traffic, ingress-nginx's `upstreaminfo` log_format", "ingress-nginx", "ids"),
    Row("ids-traefik-clf", "same traffic, Traefik's default (CLF) access log", "traefik-clf", "ids"),
    Row("ids-heroku", "same traffic, Heroku router lines (logfmt)", "heroku-router", "ids"),
    Row("ids-envoy-text", "same traffic, Envoy's default text format", "envoy-default", "ids"),
    Row("ids-sozu", "same traffic, Sōzu 2.x access log", "sozu-access", "ids"),
    Row("ids-istio", "same traffic, Istio's default text format (Envoy's, with Istio's fields)", "envoy-istio", "ids"),
    Row("errors-nginx", "same traffic, nginx's error log (`error_log ... info`)", "nginx-error", "ids"),
    Row(
        "errors-outage",
        "same traffic, nginx's error log in an outage (every line a failed request)",
        "nginx-error-outage",
        "ids",
    ),
    Row(
        "errors-caddy",
        "same traffic, Caddy's runtime log in an outage (every line a failed request)",
        "caddy-runtime",
        "ids",
    ),
    Row("spa", "SPA/CDN paths (hashed chunks, uuids, base64 cursors), combined+timing", "nginx-timing", "spa"),
    Row("spa-json", "SPA/CDN paths, nginx JSON", "nginx-json", "spa"),
    Row("few", "a few routes, combined+timing", "nginx-timing", "few"),
    Row("bench", "the bench's own log (bench.generate)", "nginx-timing", "bench"),
)

_CLF = "%d/%b/%Y"
_HMS = "%H:%M:%S"
_ISO = "%Y-%m-%d"
# GoAccess 1.7: --log-format, --date-format, --time-format for each format it reads.
GOACCESS: dict[str, tuple[str, str, str]] = {
    "nginx-timing": ('%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %T %^ %^', _CLF, _HMS),
    "nginx-kv": ('%h %^[%d:%t %^] "%r" %s %b "%R" "%u" rt=%T %^', _CLF, _HMS),
    "ingress-nginx": ('%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %^ %T %^', _CLF, _HMS),
    "traefik-clf": ('%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %^ "%^" "%^" %Lms', _CLF, _HMS),
    "envoy-default": ('[%dT%t.%^Z] "%m %U %H" %s %^ %^ %b %L %^ "%h" "%u" %^', _ISO, _HMS),
    "envoy-istio": ('[%dT%t.%^Z] "%m %U %H" %s %^ %^ %^ "%^" %^ %b %L %^ "%h" "%u" %^', _ISO, _HMS),
    # its at=info lines (an error line has more fields: GoAccess counts it failed)
    "heroku-router": (
        '%dT%t.%^ heroku[router]: at=%^ method=%m path="%U" host=%v request_id=%^ fwd="%h" dyno=%^ connect=%^ '
        "service=%Lms status=%s bytes=%b protocol=%^",
        _ISO,
        _HMS,
    ),
    "apache-combined-D": ('%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %D', _CLF, _HMS),
    "nginx-json": (
        '{"time":"%dT%t+%^","remote_addr":"%h","request":"%r","status":"%s","body_bytes_sent":"%b",'
        '"request_time":"%T","http_user_agent":"%u"}',
        _ISO,
        _HMS,
    ),
    "haproxy-httplog": (
        '%^haproxy[%^]: %h:%^ [%d:%t.%^] %^ %^ %^/%^/%^/%^/%L %s %b %^ %^ %^ %^ %^ "%r"',
        _CLF,
        _HMS,
    ),
    "caddy-json": ("CADDY", "", ""),
    "aws-alb": ("AWSALB", "", ""),
    "sozune": ("%dT%t.%^Z %^}: access: %h %m %v %U %s %Lms %^", _ISO, _HMS),
    # Envoy's response_code 0 (a client gone: flag DC) is not a status to GoAccess: it counts those lines failed.
    "envoy-json": (
        '{"start_time":"%dT%t.%^Z","method":"%m","x-envoy-origin-path":"%U","response_code":"%s","duration":"%L",'
        '"x-forwarded-for":"%h","user-agent":"%u"}',
        _ISO,
        _HMS,
    ),
    # sozu-access: none either. Sōzu writes a duration with a unit that changes with its size (22s, 13ms, 210μs),
    # which no GoAccess specifier reads.
    # traefik-json: none. GoAccess 1.7 reads a request's time in seconds (%T), ms (%L) or µs (%D), not in Traefik's
    # nanoseconds (Duration, OriginDuration): it would read every time 1000x too long, or none. Its cell stays empty.
}

_MAWK_END = r"""
function add(t, st, d) {
    sub(/\?.*/, "", t); gsub(/[0-9]+/, "{id}", t)
    n[t]++; if (st == 499 || st == 502 || st == 504 || st == 460) bad[t]++
    if (d + 0 > mx[t] + 0) mx[t] = d
}
END { for (r in n) if (bad[r]) printf "%s %d %d %.3f\n", r, n[r], bad[r], mx[r] }
"""
_QUOTED = '-F"'
# mawk doing the core job (route, status, duration of each line), fields read by position for each layout.
MAWK: dict[str, tuple[list[str], str]] = {
    # an error log: the request of each line that has one, how it ended from the message, no duration
    "nginx-error": (
        [],
        '/, request: "/ { match($0, /, request: "[A-Z]+ [^ "]*/); r = substr($0, RSTART + 11, RLENGTH - 11); '
        'sub(/^[A-Z]+ /, "", r); s = 200; if (index($0, "upstream timed out")) s = 504; '
        'else if (index($0, "upstream prematurely")) s = 502; else if (index($0, "client prematurely")) s = 499; '
        "add(r, s, 0) }",
    ),
    "nginx-timing": ([_QUOTED], '{ split($2, a, " "); split($3, b, " "); split($7, c, " "); add(a[2], b[1], c[1]) }'),
    "ingress-nginx": ([_QUOTED], '{ split($2, a, " "); split($3, b, " "); split($7, c, " "); add(a[2], b[1], c[2]) }'),
    "traefik-clf": ([_QUOTED], '{ split($2, a, " "); split($3, b, " "); add(a[2], b[1], substr($11, 2) / 1000) }'),
    "envoy-default": (
        [],
        "{ s = $5; if ($6 ~ /UT/) s = 504; else if ($6 ~ /DC/) s = 499; else if ($6 ~ /UC/) s = 502; "
        "add($3, s, $9 / 1000) }",
    ),
    # Istio: Envoy's fields with three more after the flags
    "envoy-istio": (
        [],
        "{ s = $5; if ($6 ~ /UT/) s = 504; else if ($6 ~ /DC/) s = 499; else if ($6 ~ /UC/) s = 502; "
        "add($3, s, $12 / 1000) }",
    ),
    # Heroku: an error line's code says how it ended (H12 the router's timeout, H13 closed, H27 the client)
    "heroku-router": (
        [],
        '{ match($0, /path="[^"]*"/); u = substr($0, RSTART + 6, RLENGTH - 7); '
        "match($0, /status=[0-9]+/); s = substr($0, RSTART + 7, RLENGTH - 7); "
        "if ($0 ~ / code=H12 /) s = 504; else if ($0 ~ / code=H13 /) s = 502; else if ($0 ~ / code=H27 /) s = 499; "
        "match($0, /service=[0-9]+/); add(u, s, substr($0, RSTART + 8, RLENGTH - 8) / 1000) }",
    ),
    "nginx-kv": (
        [_QUOTED],
        '{ split($2, a, " "); split($3, b, " "); split($7, c, " "); add(a[2], b[1], substr(c[1], 4)) }',
    ),
    "apache-combined-D": ([_QUOTED], '{ split($2, a, " "); split($3, b, " "); add(a[2], b[1], $7 / 1000000) }'),
    "nginx-json": ([_QUOTED], '{ split($16, a, " "); add(a[2], substr($19, 2) + 0, substr($25, 2) + 0) }'),
    "caddy-json": (
        [],
        '{ match($0, /"uri":"[^"]*"/); u = substr($0, RSTART + 7, RLENGTH - 8); '
        'match($0, /"status":[0-9]+/); s = substr($0, RSTART + 9, RLENGTH - 9); '
        'match($0, /"duration":[0-9.]+/); add(u, s, substr($0, RSTART + 11, RLENGTH - 11)) }',
    ),
    "haproxy-httplog": ([], '{ split($10, t, "/"); add($(NF - 1), $11, t[5] / 1000) }'),
    "aws-alb": ([], '{ u = $14; sub(/^[a-z]+:\\/\\/[^\\/]*/, "", u); add(u, $9, $7 < 0 ? 0 : $6 + $7 + $8) }'),
    "sozune": ([], "{ add($13, $14, ($15 + 0) / 1000) }"),
    # Sōzu: fields counted from the end (the tags may hold blanks); a client reset has status "-"; the request time
    # is the first of the five durations, in its own unit
    "sozu-access": (
        [],
        '{ s = $(NF - 2); if (s == "-") s = 499; split($12, t, "/"); d = t[1]; '
        "if (d ~ /ms$/) v = d / 1e3; else if (d ~ /ns$/) v = d / 1e9; else if (d ~ /[0-9]s$/) v = d + 0; "
        "else v = d / 1e6; add($(NF - 3), s, v) }",
    ),
    "sozune-json": (
        [],
        '{ match($0, /"path":"[^"]*"/); u = substr($0, RSTART + 8, RLENGTH - 9); '
        'match($0, /"status":[0-9]+/); s = substr($0, RSTART + 9, RLENGTH - 9); '
        'match($0, /"duration_ms":[0-9]+/); add(u, s, substr($0, RSTART + 14, RLENGTH - 14) / 1000) }',
    ),
    "traefik-json": (
        [],
        '{ match($0, /"RequestPath":"[^"]*"/); u = substr($0, RSTART + 15, RLENGTH - 16); '
        'match($0, /"DownstreamStatus":[0-9]+/); s = substr($0, RSTART + 19, RLENGTH - 19); '
        'match($0, /"Duration":[0-9]+/); add(u, s, substr($0, RSTART + 11, RLENGTH - 11) / 1e9) }',
    ),
    # Envoy: the flags say how a request ended (a client gone is code 0 "DC", an upstream reset 503 "UC")
    "envoy-json": (
        [],
        '{ match($0, /"x-envoy-origin-path":"[^"]*"/); u = substr($0, RSTART + 23, RLENGTH - 24); '
        'match($0, /"response_code":[0-9]+/); s = substr($0, RSTART + 16, RLENGTH - 16); '
        'match($0, /"response_flags":"[^"]*"/); f = substr($0, RSTART + 18, RLENGTH - 19); '
        "if (f ~ /UT/) s = 504; else if (f ~ /DC/) s = 499; else if (f ~ /UC/) s = 502; "
        'match($0, /"duration":[0-9]+/); add(u, s, substr($0, RSTART + 11, RLENGTH - 11) / 1000) }',
    ),
}
MAWK["nginx-error-outage"] = MAWK["nginx-error"]  # the same lines, every one with a request
# Caddy's runtime log: the request's uri, how it ended from the message, its duration
MAWK["caddy-runtime"] = (
    [],
    '{ match($0, /"uri":"[^"]*"/); u = substr($0, RSTART + 7, RLENGTH - 8); s = 502; '
    'if (index($0, "i/o timeout")) s = 504; else if (index($0, "context canceled")) s = 499; '
    'match($0, /"duration":[0-9.]+/); add(u, s, substr($0, RSTART + 11, RLENGTH - 11)) }',
)
# tcplog: the stream is the route, the state says how it ended, %Tt the duration (ms); after the syslog header
MAWK["haproxy-tcplog"] = (
    [],
    "{ s = 200; if ($12 ~ /^s/) s = 504; else if ($12 ~ /^S/) s = 502; else if ($12 ~ /^C/) s = 499; "
    'split($10, a, "/"); add($8 " " $9, s, a[3] / 1000) }',
)


def log_path(directory: Path, row: Row, lines: int, seed: int) -> Path:
    if row.shape == "bench":
        return directory / f"access-{lines}-seed{seed}.log"
    return directory / f"{row.fmt}-{row.shape}-{lines}-seed{seed}.log"


def ensure_log(directory: Path, row: Row, lines: int, seed: int) -> Path:
    path = log_path(directory, row, lines, seed)
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        if row.shape == "bench":
            bench_generate.generate(str(path), lines, seed)
        else:
            traffic.generate(str(path), row.fmt, row.shape, lines, seed)
    with open(path, "rb") as fh:  # into the page cache
        while fh.read(1 << 24):
            pass
    return path


@dataclass
class Measured:
    row: Row
    path: Path
    size: int
    results: dict[str, Result]
    identical: bool
    findings: int
    goaccess_note: str = ""


def run_row(row: Row, args: argparse.Namespace) -> Measured:
    log = ensure_log(args.dir, row, args.lines, args.seed)
    out_dir = args.dir / "out"
    out_dir.mkdir(exist_ok=True)
    results: dict[str, Result] = {}
    print(f"{row.key}: {log}", file=sys.stderr)
    results["grep"] = bench(
        "grep -c ' 504 '", ["grep", "-c", " 504 ", str(log)], args.repeat, out_dir / "grep.out", args.warmup
    )
    reports = []
    for key, extra in (("default", []), ("jobs1", ["--jobs", "1"])):
        out = out_dir / f"report-{key}.json"
        cmd = [*LPDOCTOR, "scan", "--format", "json", "--fail-on", "never", *extra, str(log)]
        results[key] = bench(f"lpdoctor {key}", cmd, args.repeat, out, args.warmup)
        reports.append(out.read_bytes())
    findings = len(json.loads(reports[0]).get("findings", []))
    if shutil.which("mawk") and row.fmt in MAWK and not args.no_mawk:
        opts, body = MAWK[row.fmt]
        cmd = ["mawk", *opts, _MAWK_END + body, str(log)]
        results["mawk"] = bench("mawk", cmd, args.repeat, out_dir / "mawk.out", args.warmup)
    note = ""
    if shutil.which("goaccess") and row.fmt in GOACCESS and not args.no_goaccess:
        fmt, date, clock = GOACCESS[row.fmt]
        cmd = ["goaccess", str(log), "--no-global-config", f"--log-format={fmt}"]
        cmd += [f"--date-format={date}", f"--time-format={clock}"] if date else []
        cmd += ["-o", str(out_dir / "goaccess.json")]
        results["goaccess"] = bench("goaccess", cmd, args.goaccess_repeat, out_dir / "goaccess.out", 0)
        general = json.loads((out_dir / "goaccess.json").read_text())["general"]
        note = f"{general['valid_requests']} valid, {general['failed_requests']} failed"
    return Measured(row, log, log.stat().st_size, results, reports[0] == reports[1], findings, note)


def _mb(r: Result | None) -> str:
    kb = r.peak("tree_pss_kb") if r else None
    return f"{kb / 1024:.0f}" if kb else "-"


def _cpu(r: Result) -> str:
    values = [x.cpu_s for x in r.runs if x.cpu_s is not None]
    return f"{statistics.median(values):.2f}" if values else "-"


def table(rows: list[Measured], lines: int) -> str:
    head = [
        f"log ({lines:,} lines)", "MB", "lpdoctor default s (CPU s)", "`--jobs 1` s (CPU s)", "`grep -c` s",
        "x grep (default / jobs 1)", "mawk s", "GoAccess s", "x faster than GoAccess", "peak PSS MB (default / jobs 1)",
        "findings; reports identical",
    ]  # fmt: skip
    out = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 2) + "|---|"]
    for m in rows:
        r = m.results
        grep = r["grep"].wall_s
        ga = r.get("goaccess")
        best = min(r["default"].wall_s, r["jobs1"].wall_s)
        cells = [
            m.row.label,
            f"{m.size / 1e6:.0f}",
            f"{r['default'].wall_s:.2f} ({_cpu(r['default'])})",
            f"{r['jobs1'].wall_s:.2f} ({_cpu(r['jobs1'])})",
            f"{grep:.2f}",
            f"{r['default'].wall_s / grep:.1f} / {r['jobs1'].wall_s / grep:.1f}",
            f"{r['mawk'].wall_s:.2f}" if "mawk" in r else "–",
            f"{ga.wall_s:.1f}" if ga else "–",
            f"{ga.wall_s / best:.1f}" if ga else "–",
            f"{_mb(r['default'])} / {_mb(r['jobs1'])}",
            f"{m.findings}; {'yes' if m.identical else 'NO'}",
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"where the logs go (default {DEFAULT_DIR})")
    ap.add_argument("--rows", default="", help=f"comma-separated, of: {', '.join(r.key for r in ROWS)}")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--goaccess-repeat", type=int, default=1, help="GoAccess runs per row (slow; default 1)")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--no-goaccess", action="store_true")
    ap.add_argument("--no-mawk", action="store_true")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    args = ap.parse_args(argv)
    wanted = [k for k in args.rows.split(",") if k]
    unknown = set(wanted) - {r.key for r in ROWS}
    if unknown:
        ap.error(f"unknown rows: {', '.join(sorted(unknown))}")
    args.dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    measured = [run_row(row, args) for row in ROWS if not wanted or row.key in wanted]
    info = machine()
    cores = int(info["cores"])
    print()
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; {info['os']}; Python {info['python']}")
    print(f"versions: {info['lpdoctor']}; {info['grep']}; {info['goaccess']}")
    print(f"median of {args.repeat} runs (GoAccess: {args.goaccess_repeat}); took {time.monotonic() - started:.0f} s")
    if cores > 1:
        print(f"CPU check: {cores} busy Python processes got {cpu_scaling(cores):.2f}x the work of one")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(table(measured, args.lines))
    for m in measured:
        if m.goaccess_note:
            print(f"GoAccess on {m.row.key}: {m.goaccess_note} requests")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "lines": args.lines,
                    "rows": [
                        {
                            "row": m.row.key,
                            "bytes": m.size,
                            "identical_reports": m.identical,
                            "findings": m.findings,
                            "median_wall_s": {k: r.wall_s for k, r in m.results.items()},
                            "peak_tree_pss_kb": {k: r.peak("tree_pss_kb") for k, r in m.results.items()},
                        }
                        for m in measured
                    ],
                },
                indent=2,
            )
        )
    return 0 if all(m.identical for m in measured) else 1


if __name__ == "__main__":
    raise SystemExit(main())
