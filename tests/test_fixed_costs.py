"""The fixed cost around a scan (issue #6): what was made cheaper still does exactly what it did.

- commands are imported when used: ``lpdoctor scan`` does not import the HTTP client, rich or the config readers,
  and every command is still there for ``--help`` and for code that goes through all of them;
- the catalog is read with libyaml when PyYAML has it, giving the same data as the pure-Python loader;
- the sanitiser copies as it walks (no deep copy first) and makes each distinct string safe once: its result is
  the one of the plain deep-copy-then-walk it replaced, and the report given to it is left as it was;
- garbage collection paused around the merge and the report comes back on afterwards.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import os
import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from lpdoctor import catalog
from lpdoctor.cli import main
from lpdoctor.commands import COMMANDS
from lpdoctor.model import (
    Chain,
    Endpoint,
    Finding,
    Hold,
    Hop,
    HopKind,
    InputSummary,
    Keepalive,
    Report,
    Semantics,
    Severity,
    SourceLocation,
    Timeout,
)
from lpdoctor.reporters import get_renderer
from lpdoctor.reporters.sanitize import sanitized
from lpdoctor.scan.parallel import gc_paused
from lpdoctor.scan.pipeline import aggregate_logs
from lpdoctor.scan.report import ScanOptions, build_report
from lpdoctor.text.safety import safe

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

# ------------------------------------------------------------------ commands imported when used


def test_every_command_is_found_under_its_name() -> None:
    assert list(main.commands) == list(COMMANDS)
    for name, command in main.commands.items():
        assert isinstance(command, click.Command)
        assert command.name == name
    ctx = click.Context(main)
    assert main.list_commands(ctx) == sorted(COMMANDS)
    assert main.get_command(ctx, "no-such-command") is None


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:", 1)[1].split()
    for name in COMMANDS:
        assert name in listed


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["scna"])
    assert result.exit_code == 2
    assert "No such command" in result.output


_IMPORTS_OF_A_SCAN = """
import sys
from lpdoctor.cli import main
try:
    main(["scan", "--format", "json", "--fail-on", "never", "--output", sys.argv[2], sys.argv[1]])
except SystemExit as exc:
    assert exc.code == 0, exc.code
print(" ".join(sorted(sys.modules)))
"""


def test_scan_imports_only_what_it_uses(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    out = subprocess.run(
        [sys.executable, "-c", _IMPORTS_OF_A_SCAN, str(SAMPLES / "matrix-504" / "access.log"), str(report)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert '"endpoints"' in report.read_text()
    modules = set(out.stdout.split())
    assert "lpdoctor.commands.scan" in modules and "lpdoctor.reporters.json_report" in modules
    for heavy in (
        "rich",  # the terminal reporter and the progress bar on a terminal
        "httpx",  # probe
        "lpdoctor.commands.probe",
        "lpdoctor.commands.check_config",
        "lpdoctor.commands.rules",
        "lpdoctor.app.config_report",  # scan --nginx-conf only
        "lpdoctor.dialects.nginx.config",
    ):
        assert heavy not in modules, heavy


def test_scan_with_a_config_still_names_the_timeout() -> None:
    sample = SAMPLES / "matrix-504"
    result = CliRunner().invoke(
        main,
        [
            "scan",
            "--format",
            "text",
            "--fail-on",
            "never",
            "--nginx-conf",
            str(sample / "nginx.conf"),
            str(sample / "access.log"),
            str(sample / "error.log"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "proxy_read_timeout" in result.output


# ------------------------------------------------------------------ the catalog


def _catalog_files() -> list[Path]:
    rules = catalog.rules_dir()
    return sorted([*rules.glob("*.yaml"), *rules.glob("checks/*.yaml")])


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", _catalog_files(), ids=lambda p: p.name)
def test_libyaml_reads_the_catalog_as_the_python_loader_does(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = yaml.load(text, Loader=yaml.CSafeLoader)
    plain = yaml.load(text, Loader=yaml.SafeLoader)
    assert fast == plain
    assert repr(fast) == repr(plain)  # same types and order, not only equal


def test_protocols_yaml_is_parsed_once() -> None:
    assert catalog.protocols() and catalog.generic_params()
    assert catalog._catalog_file("protocols.yaml") is catalog._catalog_file("protocols.yaml")


# ------------------------------------------------------------------ the sanitiser


def _reference_walk(value: Any, limit: int) -> Any:
    """The sanitiser as it was: a deep copy of the report, then this walk over it (changing it in place)."""
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return safe(value, limit)
    if isinstance(value, dict):
        return {
            _reference_walk(k, 200) if isinstance(k, str) else k: _reference_walk(v, limit) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_reference_walk(v, limit) for v in value]
    if isinstance(value, tuple):
        return tuple(_reference_walk(v, limit) for v in value)
    if isinstance(value, (set, frozenset)):
        return type(value)(_reference_walk(v, limit) for v in value)
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        return safe(path if isinstance(path, str) else path.decode("utf-8", "replace"), limit)
    if isinstance(value, bytes):
        return safe(value.decode("utf-8", "replace"), limit)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            current = getattr(value, f.name)
            new = _reference_walk(current, limit)
            if new is not current:
                try:
                    setattr(value, f.name, new)
                except dataclasses.FrozenInstanceError:
                    value = dataclasses.replace(value, **{f.name: new})
        return value
    return value


def _reference(report: Report, limit: int = 2000) -> Report:
    result: Report = _reference_walk(copy.deepcopy(report), limit)
    return result


TOKEN = "syt_c2VjcmV0_AbCdEfGhIjKlMnOpQrSt_1a2B3c"
HOSTILE = f"/sync?access_token={TOKEN}&x=\x1b[31mred\x1b[0m\u202e"


def _hostile_report() -> Report:
    where = SourceLocation(f"/etc/nginx/{HOSTILE}.conf", 12, f"location {HOSTILE}")
    long_key = "k" * 500 + "\x07"
    return Report(
        command="scan",
        inputs=[InputSummary(path=HOSTILE, format="nginx", lines=3, parsed=2, skipped=1, warnings=[HOSTILE, "ok"])],
        endpoints=[
            Endpoint(
                route=f"/r/{i % 3}",
                host="example.org",
                requests=i,
                long_poll=bool(i % 2),
                hold_s=30.0,
                observed={"p50_s": 1.0, "p95_s": 2.5, "max_s": 3.0},
                failures=1,
                cutoff_s=None,
                extra={
                    "statuses": {"200": 3, "504": 1},
                    "example": HOSTILE if i % 2 else "/r/1?timeout=30000",
                    long_key: ["x" * 3000, (HOSTILE, 1, 2.5, None, True)],
                    504: "a non-string key",  # type: ignore[dict-item]
                    "set": {HOSTILE, "plain"},
                    "frozen": frozenset({"a\x00b"}),
                    "path": Path(f"/tmp/{HOSTILE}"),
                    "bytes": f"{HOSTILE}".encode() + b"\xff",
                    "severity": Severity.ERROR,
                },
            )
            for i in range(6)
        ],
        findings=[
            Finding(
                rule="hold-cut",
                severity=Severity.WARNING,
                message=f"cut at 30 s: {HOSTILE}",
                hop=HopKind.PROXY,
                route=HOSTILE,
                evidence={"error_log": {HOSTILE: 3}, "statuses": {"504": 3}},
                fix=f"proxy_read_timeout 65s; # {HOSTILE}",
                location=where,
            )
        ],
        chains=[
            Chain(
                route=HOSTILE,
                hold=Hold(30.0, "query", detail=HOSTILE),
                hops=[
                    Hop(
                        HopKind.PROXY,
                        "nginx",
                        f"nginx location {HOSTILE}",
                        timeouts=[Timeout("nginx", "proxy_read_timeout", 30.0, Semantics.IDLE, where, note=HOSTILE)],
                        location=where,
                    )
                ],
                host=HOSTILE,
                keepalive=Keepalive(10.0, "bytes"),
            )
        ],
        histograms={HOSTILE: [(0.0, 1, 0), (30.0, 0, 3)]},
        notes=[HOSTILE, "a note"],
        stats={"routes": 3, HOSTILE: {"nested": [HOSTILE]}},
    )


def _sample_report(name: str) -> Report:
    logs = sorted(str(p) for p in (SAMPLES / name).glob("*.log"))
    agg, errors = aggregate_logs(logs)
    assert not errors
    return build_report(agg, ScanOptions())


def test_sanitised_as_by_a_deep_copy_then_a_walk() -> None:
    report = _hostile_report()
    odd_keys: dict[Any, Any] = report.stats
    odd_keys[(HOSTILE, 1)] = "a tuple key: kept as it is, contents and all"
    before = copy.deepcopy(report)
    result = sanitized(report)
    assert result == _reference(before)
    assert report == before  # the report given is not changed
    kept: dict[Any, Any] = result.stats
    assert kept[(HOSTILE, 1)] == "a tuple key: kept as it is, contents and all"


@pytest.mark.parametrize("sample", ["matrix-504", "client-499", "go-writetimeout-502"])
def test_sanitised_sample_reports_render_as_before(sample: str) -> None:
    report = _sample_report(sample)
    before = copy.deepcopy(report)
    result = sanitized(report)
    assert result == _reference(before)
    assert report == before
    for fmt in ("json", "text", "sarif", "github"):
        assert _render(fmt, result) == _render(fmt, _reference(before)), fmt


def test_sanitised_report_carries_no_secret_or_control_character() -> None:
    result = sanitized(_hostile_report())
    strings = [
        result.inputs[0].path,
        *result.inputs[0].warnings,
        result.endpoints[1].extra["example"],
        *result.endpoints[1].extra["set"],
        result.endpoints[1].extra["path"],
        result.endpoints[1].extra["bytes"],
        result.findings[0].message,
        result.findings[0].route or "",
        result.findings[0].location.file if result.findings[0].location else "",
        result.chains[0].hops[0].timeouts[0].note or "",
        *result.histograms,
        *result.notes,
    ]
    assert len(strings) == 15
    for text in strings:
        assert isinstance(text, str)
        assert TOKEN not in text
        assert not any(ch in text for ch in "\x00\x07\x1b\u202e"), text
    assert all(len(k) <= 201 for k in result.endpoints[0].extra if isinstance(k, str))  # keys: 200 and "…"


def test_sanitised_copies_share_nothing_mutable_with_the_report() -> None:
    report = _hostile_report()
    result = sanitized(report)
    result.endpoints[0].extra["statuses"]["999"] = 1
    result.chains[0].hops[0].timeouts.clear()
    result.inputs[0].warnings.append("more")
    assert "999" not in report.endpoints[0].extra["statuses"]
    assert report.chains[0].hops[0].timeouts
    assert report.inputs[0].warnings == [HOSTILE, "ok"]


def _render(fmt: str, report: Report) -> str:
    import io

    buf = io.StringIO()
    get_renderer(fmt)(report, buf)
    return buf.getvalue()


# ------------------------------------------------------------------ garbage collection


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # an inner pause does not end an outer one
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("the collector comes back on after an error too")
    assert gc.isenabled()


def test_gc_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
