"""Write every report lpdoctor gives on the bundled samples, the test fixtures and a bench log into one folder.

    python scripts/snapshot_reports.py /tmp/before      # on the old tree
    python scripts/snapshot_reports.py /tmp/after       # on the new tree
    diff -r /tmp/before /tmp/after                      # a refactor keeps every byte

Each report is one file named after its command line; its first line is the exit code. The bench log (200 000
lines, seed 1, made by bench.generate outside the repository) is scanned with the fast path and without it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOG_SUFFIXES = (".log", ".log.gz", ".jsonl")
CONFIG_DIRS = ("tests/fixtures/configs", "tests/fixtures/nginx_conf", "tests/fixtures/chains", "tests/fixtures/sozune")


def run(out: Path, args: list[str], env: dict[str, str] | None = None) -> None:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", " ".join(args))[:180]
    if len(name) >= 180:
        name += hashlib.sha1(" ".join(args).encode()).hexdigest()[:10]
    proc = subprocess.run(
        [sys.executable, "-m", "lpdoctor", *args],
        cwd=REPO,
        capture_output=True,
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1", **(env or {})},
        timeout=600,
    )
    (out / name).write_bytes(f"exit {proc.returncode}\n".encode() + proc.stdout + b"\n--stderr--\n" + proc.stderr)


def main() -> int:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    samples = sorted(p for p in (REPO / "samples").iterdir() if p.is_dir())
    for sample in samples:
        logs = sorted(str(p.relative_to(REPO)) for p in sample.iterdir() if p.name.endswith(LOG_SUFFIXES))
        confs = sorted(str(p.relative_to(REPO)) for p in sample.iterdir() if p.suffix in (".conf", ".yaml", ".yml"))
        for fmt in ("json", "text"):
            if logs:
                run(out, ["scan", "-f", fmt, *logs])
            if confs:
                run(out, ["check-config", "-f", fmt, *confs])
            if logs and confs:
                run(out, ["check-config", "-f", fmt, *confs, *[a for log in logs for a in ("--log", log)]])
        if logs:
            run(out, ["scan", "-f", "sarif", *logs])
            run(out, ["scan", "-f", "github", *logs])
    for path in sorted((REPO / "tests/fixtures").rglob("*")):
        rel = str(path.relative_to(REPO))
        if path.is_file() and path.name.endswith(LOG_SUFFIXES):
            run(out, ["scan", "-f", "json", rel])
    for top in CONFIG_DIRS:
        for path in sorted((REPO / top).rglob("*")):
            if (path.is_file() and path.suffix in (".conf", ".cfg", ".yaml", ".yml", ".json", ".toml", ".py")) or (
                path.is_file() and path.name in ("Caddyfile", "Procfile", "Dockerfile")
            ):
                rel = str(path.relative_to(REPO))
                run(out, ["check-config", "-f", "json", rel])
                run(out, ["check-config", "-f", "sarif", rel])
        for path in sorted(p for p in (REPO / top).iterdir() if p.is_dir()):
            run(out, ["check-config", "-f", "json", str(path.relative_to(REPO))])
    bench = Path(tempfile.gettempdir()) / "lpdoctor-snapshot-bench.log"
    if not bench.exists():
        subprocess.run(
            [sys.executable, "-m", "bench.generate", "--lines", "200000", "--out", str(bench)], cwd=REPO, check=True
        )
    run(out, ["scan", "-f", "json", str(bench)])
    run(out, ["scan", "-f", "text", str(bench)])
    run(out, ["scan", "-f", "json", "--jobs", "1", str(bench)], env={"LPDOCTOR_NO_FAST": "1"})
    print(f"{len(list(out.iterdir()))} reports in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
