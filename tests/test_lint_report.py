"""The terminal report at 80 columns: unwrapped fixes, routes elided in the middle, findings and chains grouped
across routes, thousands separators, the ``-`` status explained, the histogram legend, ``--color`` and where
``-o`` wrote the report."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from lpdoctor.cli import main
from lpdoctor.reporters.layout import elide_label, elide_middle

MATRIX = ["samples/matrix-504/access.log", "samples/matrix-504/error.log"]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(*args: str, columns: int = 80) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def consul_log(tmp_path: Path, services: tuple[str, ...], n: int = 12) -> str:
    """Consul blocking queries (wait=300s) cut at 60 s by a proxy, the same way on every service."""
    lines = []
    for i in range(n):
        for s in services:
            ok = i % 3 == 0
            status, took = ("200", "12.500") if ok else ("504", "60.001")
            lines.append(
                f'203.0.113.9 - - [12/Jun/2026:10:{i % 60:02d}:00 +0000] "GET /v1/health/service/{s}?index={i}&'
                f'wait=300s HTTP/1.1" {status} 160 "-" "consul-template" {took} {took} {status}'
            )
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_text_fix_lines_are_whole_and_prose_fits_80_columns() -> None:
    code, out, _ = run(
        "check-config", "samples/matrix-504/nginx.conf", "--log", MATRIX[0], "--log", MATRIX[1], "-f", "text"
    )
    assert code == 1
    doc = json.loads(
        run("check-config", "samples/matrix-504/nginx.conf", "--log", MATRIX[0], "--log", MATRIX[1], "-f", "json")[1]
    )
    lines = out.splitlines()
    for f in doc["findings"]:
        assert f"    fix: {f['fix']}" in lines  # the whole fix, one line
    in_findings = lines[lines.index(next(x for x in lines if x.startswith("Findings"))) :]
    assert all(len(x) <= 80 for x in in_findings if not x.startswith("    fix: "))


def test_rich_fix_is_one_line_under_the_box() -> None:
    code, out, _ = run("scan", *MATRIX, "-f", "rich", "--color", "never")
    assert code == 1
    fix = json.loads(run("scan", *MATRIX, "-f", "json")[1])["findings"][0]["fix"]
    assert f"  fix: {fix}" in out.splitlines()
    assert all(len(line) <= 80 for line in out.splitlines() if "fix:" not in line)


def test_routes_are_elided_in_the_middle_and_stay_apart() -> None:
    code, out, _ = run("scan", *MATRIX, "-f", "rich", "--color", "never")
    assert code == 1
    table = out[out.index("Routes") : out.index("durations of")]
    shown = [row.split("│")[0].strip(" ⟳") for row in table.splitlines() if "│" in row]
    assert len(shown) == 5 and len(set(shown)) == 5, shown
    assert all(not s.endswith("…") for s in shown)
    assert elide_middle("/_matrix/client/v3/profile/{id}/displayname", 27) == "/…/profile/{id}/displayname"
    assert elide_middle("/_matrix/client/v3/profile/{id}/displayname", 24) == "/_matrix/…/displayname"
    assert elide_middle("/_matrix/client/v3/profile/{id}", 20) == "/…/v3/profile/{id}"


def test_chain_labels_are_shortened_at_a_word_boundary_of_the_setting() -> None:
    """The hop and component stay whole; the setting loses its start at a boundary, never half a word."""
    for fmt in ("text", "rich"):
        code, out, _ = run("check-config", "samples/alb-ingress", "-f", fmt, "--color", "never", columns=100)
        assert code == 1
        (row,) = [line for line in out.splitlines() if "60 s idle" in line]
        assert row.split()[:3] == ["edge:", "aws-alb", "…timeout_seconds"], row
    label = "proxy: ingress-nginx nginx.ingress.kubernetes.io/proxy-read-timeout"
    assert elide_label(label, 35) == "proxy: ingress-nginx …read-timeout"
    assert elide_label(label, 45) == "proxy: ingress-nginx …proxy-read-timeout"
    assert elide_label(label, len(label)) == label
    assert elide_label("edge: aws-alb idle_timeout.timeout_seconds", 30) == "edge: aws-alb …timeout_seconds"
    assert elide_label("edge: aws-alb idle_timeout.timeout_seconds", 27) == "edge: aws-alb …seconds"
    long_head = "edge: cloudflare-enterprise-plan proxy_read_timeout"
    assert elide_label(long_head, 20) == elide_middle(long_head, 20)  # no tail fits after the head


def test_identical_findings_across_routes_are_one_with_every_route(tmp_path: Path) -> None:
    services = ("web", "api", "db", "cache", "queue")
    log = consul_log(tmp_path, services)
    doc = json.loads(run("scan", log, "-f", "json")[1])
    assert len(doc["findings"]) == 5  # JSON keeps one finding per route
    code, out, _ = run("scan", log, "-f", "text")
    assert code == 1
    assert out.count("ERROR hold-cut") == 1 and "ERROR hold-cut hop=proxy (5 routes)" in out
    routes_block = out[out.index("routes: ") : out.index("routes: ") + 300]
    assert all(f"/v1/health/service/{s}" in routes_block for s in services)
    code, out, _ = run("scan", log, "-f", "rich", "--color", "never")
    assert out.count("hold-cut") == 1 and "5 routes" in out


def test_identical_chains_are_drawn_once(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        "events {}\nhttp {\n  server {\n    listen 127.0.0.1:8080;\n    location /v1/ {\n"
        "      proxy_pass http://127.0.0.1:8500;\n      proxy_read_timeout 60s;\n    }\n  }\n}\n",
        encoding="utf-8",
    )
    holds = [a for s in ("web", "api", "db") for a in ("--hold", f"/v1/health/service/{s}=300s")]
    code, out, _ = run("check-config", str(conf), *holds, "-f", "text", "--no-catalog")
    assert code == 1
    assert out.count("Chain ") == 1
    assert "the same for: /v1/health/service/api, /v1/health/service/db" in out


def test_thousands_separators(tmp_path: Path) -> None:
    log = consul_log(tmp_path, ("web",), n=1500)
    _code, out, _ = run("scan", log, "-f", "text")
    assert "1,500/1,500 lines parsed" in out and "1,000 (504×1,000)" in out
    _code, out, _ = run("scan", log, "-f", "rich", "--color", "never")
    assert "1,500" in out and "504×1,000" in out and "peak 1,000" in out


def test_no_status_is_explained() -> None:
    _code, out, _ = run("scan", "tests/fixtures/proxies/caddy/access.log", "-f", "text")
    assert "-×1" in out and "-: no status" in out
    _code, out, _ = run("scan", *MATRIX, "-f", "text")
    assert "no status" not in out  # only when a "-" was shown


def test_the_histogram_legend_names_only_marks_drawn() -> None:
    # matrix-504: hold and cut-off at 30 s fall in one column, where only ✂ is drawn
    _code, out, _ = run("scan", *MATRIX, "-f", "rich", "--color", "never")
    assert "✂: cut-off" in out and "H: requested hold" not in out
    panel = out[out.index("durations of") :].split("╰")[0]
    assert "H" not in panel.replace("durations of", "")


def test_color_and_output_file(tmp_path: Path) -> None:
    code, out, _ = run("scan", *MATRIX, "--color", "always")
    assert ANSI.search(out) and "durations of" in out  # rich, coloured, into a pipe
    code, out, _ = run("scan", *MATRIX, "--color", "never")
    assert not ANSI.search(out) and out.startswith("lpdoctor scan\n\nInputs")
    target = tmp_path / "report.json"
    code, out, err = run("scan", *MATRIX, "-f", "json", "-o", str(target))
    assert code == 1
    assert out == "" and f"json report written to {target} (1 finding)" in err
    assert json.loads(target.read_text())["findings"]
