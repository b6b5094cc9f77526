"""Time ``lpdoctor scan --format json`` against ``grep -c``, mawk and GoAccess.

    python -m bench.run                               # every format and traffic shape: see bench/matrix.py
    python -m bench.run --detail                      # the detailed run on the bench's own nginx log, 1 M lines
    python -m bench.run --detail --lines 10000000     # 10 M lines (about 1.7 GB): only when asked
    python -m bench.run --detail --json results.json  # also keep the figures

The log is made by :mod:`bench.generate` (seeded: the same file every time) outside the repository, once. It
is read once into the page cache; the first run of every tool is not counted (``--warmup``); then each tool
runs ``--repeat`` times and the median is kept. For each run: wall time; the largest resident set of one
process (``/usr/bin/time -v`` when present, ``getrusage`` otherwise); and, sampled every 20 ms from ``/proc``
during the warm-up run (never during a timed one: the sampling takes CPU from the tool), the peak of the
resident and proportional (PSS: shared pages split between the processes sharing them) set sizes summed over
the whole process tree, which is what worker processes really cost.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.generate import GOACCESS_DATE_FORMAT, GOACCESS_LOG_FORMAT, GOACCESS_TIME_FORMAT, generate

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DIR = Path(tempfile.gettempdir()) / "lpdoctor-bench"
LPDOCTOR = [sys.executable, "-m", "lpdoctor"]
GREP_PATTERNS = ("", '" 504 ', '" (499|502|504) ')  # count lines; one status; the three a wall leaves


@dataclass
class Run:
    wall_s: float
    cpu_s: float | None  # user + system, the process and the children it waited for
    max_rss_kb: int | None  # largest single process
    tree_rss_kb: int | None  # peak, summed over the process tree
    tree_pss_kb: int | None


@dataclass
class Result:
    name: str
    command: list[str]
    runs: list[Run] = field(default_factory=list)  # the timed runs (no memory sampler)
    note: str = ""
    sampled: list[Run] = field(default_factory=list)  # the runs whose memory was sampled (not timed)

    @property
    def wall_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    def peak(self, attr: str) -> int | None:
        values = [getattr(r, attr) for r in (*self.runs, *self.sampled) if getattr(r, attr) is not None]
        return max(values) if values else None


# --------------------------------------------------------------------------------------- measuring


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


class TreeSampler(threading.Thread):
    """Samples the summed RSS and PSS of a process and all its descendants until told to stop."""

    def __init__(self, pid: int, every_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.every_s = pid, every_s
        self.peak_rss = self.peak_pss = 0
        self.available = os.path.exists(f"/proc/{pid}/smaps_rollup")
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            todo, rss, pss = [self.pid], 0, 0
            while todo:
                pid = todo.pop()
                r, p = _memory_kb(pid)
                rss, pss = rss + r, pss + p
                todo.extend(_children(pid))
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self._done.wait(self.every_s)

    def stop(self) -> None:
        self._done.set()
        self.join()


_GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
_RUSAGE_WRAPPER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"Maximum resident set size (kbytes): {r.ru_maxrss}", file=sys.stderr)
print(f"User time (seconds): {r.ru_utime}\\nSystem time (seconds): {r.ru_stime}", file=sys.stderr)
sys.exit(code)
"""
_MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
_CPU = re.compile(r"(?:User|System) time \(seconds\): ([0-9.]+)")


def measure(command: Sequence[str], stdout: Path, env: dict[str, str] | None = None, sample: bool = True) -> Run:
    """Run ``command`` once, its output to the file ``stdout``, and return the wall time and memory figures
    (the summed RSS and PSS of its process tree only with ``sample``).

    Never /dev/null: GNU grep notices output to /dev/null and stops at the first match, even with -c.
    """
    # Without GNU time: getrusage of a small wrapper's children (it may count ~10 MB of the forked wrapper).
    wrapped = [_GNU_TIME, "-v", *command] if _GNU_TIME else [sys.executable, "-c", _RUSAGE_WRAPPER, *command]
    with open(stdout, "wb") as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(wrapped, stdout=out, stderr=err, env={**os.environ, **(env or {})})
        sampler = TreeSampler(proc.pid)
        if sample:
            sampler.start()
        proc.wait()
        wall = time.perf_counter() - started
        if sample:
            sampler.stop()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if proc.returncode not in (0, 1):  # grep -c says 1 when it counted 0
        raise SystemExit(f"{command[0]} failed ({proc.returncode}):\n{text[-2000:]}")
    found = _MAX_RSS.search(text)
    cpu = _CPU.findall(text)
    tree = sample and sampler.available
    return Run(
        wall_s=wall,
        cpu_s=sum(float(x) for x in cpu) if cpu else None,
        max_rss_kb=int(found.group(1)) if found else None,
        tree_rss_kb=sampler.peak_rss if tree else None,
        tree_pss_kb=sampler.peak_pss if tree else None,
    )


def bench(
    name: str, command: list[str], repeat: int, stdout: Path, warmup: int = 1, env: dict[str, str] | None = None
) -> Result:
    """``warmup`` runs not counted (imports, .pyc, the tool's own caches), which sample the memory of the process
    tree, then ``repeat`` timed runs without the sampler (with it when there is no warm-up run): reading every
    process's ``smaps_rollup`` every 20 ms costs about 3 ms of CPU each time for a 100 MB scan (0.4 CPU s in a
    2 s run of the bench log), which on a 2-core machine comes out of the two scanning processes' time."""
    result = Result(name, command)
    for _ in range(warmup):
        result.sampled.append(measure(command, stdout, env))
    for _ in range(repeat):
        result.runs.append(measure(command, stdout, env, sample=not warmup))
        print(f"  {name}: {result.runs[-1].wall_s:.2f} s", file=sys.stderr)
    return result


_SPIN = "import time\nt=time.perf_counter()\nx=0\nfor i in range(20_000_000): x+=i\nprint(time.perf_counter()-t)"


def cpu_scaling(processes: int) -> float:
    """How much more pure-Python work ``processes`` busy processes got done than one, here and now: 1.0 when
    they share one core, ``processes`` when each has a free core. Virtual machines often give less than that."""

    def spin(n: int) -> float:
        procs = [subprocess.Popen([sys.executable, "-c", _SPIN], stdout=subprocess.PIPE, text=True) for _ in range(n)]
        return max(float(p.communicate()[0]) for p in procs)

    one = min(spin(1) for _ in range(2))
    many = min(spin(processes) for _ in range(2))
    return processes * one / many


# --------------------------------------------------------------------------------------- reporting


def machine() -> dict[str, str]:
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for tool, args in (("grep", ["grep", "--version"]), ("goaccess", ["goaccess", "--version"])):
        try:
            first = subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.splitlines()
            versions[tool] = next((line for line in first if line.strip()), "")
        except (OSError, subprocess.SubprocessError):
            versions[tool] = "not installed"
    lpd = subprocess.run([*LPDOCTOR, "--version"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    return {
        "cpu": model or platform.processor(),
        "cores": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "lpdoctor": lpd,
        **versions,
    }


def table(results: list[Result], floors: list[Result], lines: int, size: int) -> str:
    """A Markdown table: one row per tool, the ratio of its time to each floor's."""

    def mb(kb: int | None) -> str:
        return f"{kb / 1024:.0f}" if kb else "-"

    head = ["tool", "wall s (median)", "CPU s", "lines/s", "MB/s", *(f"x `{_cell(f.name)}`" for f in floors)]
    head += ["max RSS, one process (MB)", "peak RSS / PSS, all processes (MB)"]
    rows = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
    for r in results:
        wall = r.wall_s
        cpu = statistics.median(x.cpu_s for x in r.runs if x.cpu_s is not None) if r.runs[0].cpu_s is not None else None
        cells = [f"`{_cell(r.name)}`", f"{wall:.2f}", f"{cpu:.2f}" if cpu is not None else "-"]
        cells += [f"{lines / wall:,.0f}", f"{size / wall / 1e6:.0f}"]
        cells += [f"{wall / f.wall_s:.1f}" for f in floors]
        cells += [mb(r.peak("max_rss_kb")), f"{mb(r.peak('tree_rss_kb'))} / {mb(r.peak('tree_pss_kb'))}"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def compile_lpdoctor() -> None:
    """Write the bytecode of every lpdoctor module first, as installing a package does: where the sources were
    edited and Python may not write bytecode (PYTHONDONTWRITEBYTECODE, a read-only tree), every run would
    compile them again (0.3 s instead of 0.23 s to start, measured on the project's VM)."""
    import compileall

    import lpdoctor

    compileall.compile_dir(str(Path(lpdoctor.__file__).resolve().parent), quiet=1)


def main(argv: list[str] | None = None) -> int:
    """The table of every format and shape (:mod:`bench.matrix`); with ``--detail``, the detailed run on the
    bench's own log (every grep, the pure-Python path, memory of one process and of the tree)."""
    args = sys.argv[1:] if argv is None else argv
    compile_lpdoctor()
    if "--detail" not in args:
        from bench.matrix import main as matrix_main

        return matrix_main(args)
    return detail_main([a for a in args if a != "--detail"])


def detail_main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"where the log goes (default {DEFAULT_DIR})")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="runs of each tool not counted (default 1)")
    ap.add_argument("--no-goaccess", action="store_true")
    ap.add_argument(
        "--no-python-path", action="store_true", help="skip the run without the compiled fast path (LPDOCTOR_NO_FAST=1)"
    )
    ap.add_argument("--json", type=Path, help="also write every figure here")
    args = ap.parse_args(argv)

    args.dir.mkdir(parents=True, exist_ok=True)
    log = args.dir / f"access-{args.lines}-seed{args.seed}.log"
    if not log.exists():
        print(f"generating {log} ...", file=sys.stderr)
        generate(str(log), args.lines, args.seed)
    size = log.stat().st_size
    print(f"{log}: {args.lines} lines, {size / 1e6:.1f} MB", file=sys.stderr)
    with open(log, "rb") as fh:  # into the page cache: every tool reads it from memory
        while fh.read(1 << 24):
            pass

    results: list[Result] = []
    for pattern in GREP_PATTERNS:
        flags = "-cE" if "|" in pattern else "-c"
        out = args.dir / "grep.out"
        results.append(
            bench(f"grep {flags} '{pattern}'", ["grep", flags, pattern, str(log)], args.repeat, out, args.warmup)
        )
        results[-1].note = f"counted {out.read_text().strip()} lines"
    reports = {}
    variants: list[tuple[list[str], dict[str, str]]] = [([], {}), (["--jobs", "1"], {})]
    if not args.no_python_path:  # what an install without the compiled fast path does
        variants.append((["--jobs", "1"], {"LPDOCTOR_NO_FAST": "1"}))
    for jobs, env in variants:
        name = " ".join([*(f"{k}={v}" for k, v in env.items()), "lpdoctor scan -f json", *jobs])
        out = args.dir / f"report{'-'.join(['', *jobs, *env])}.json"
        cmd = [*LPDOCTOR, "scan", "--format", "json", "--fail-on", "never", *jobs, str(log)]
        results.append(bench(name, cmd, args.repeat, out, args.warmup, env))
        reports[name] = out.read_bytes()
    identical = len(set(reports.values())) == 1
    if shutil.which("goaccess") and not args.no_goaccess:
        out = args.dir / "goaccess.json"
        cmd = [
            "goaccess",
            str(log),
            "--no-global-config",
            f"--log-format={GOACCESS_LOG_FORMAT}",
            f"--date-format={GOACCESS_DATE_FORMAT}",
            f"--time-format={GOACCESS_TIME_FORMAT}",
            "-o",
            str(out),
        ]
        result = bench("goaccess -o report.json", cmd, args.repeat, args.dir / "goaccess.out", args.warmup)
        general = json.loads(out.read_text())["general"]
        result.note = f"{general['valid_requests']} valid, {general['failed_requests']} failed requests"
        results.append(result)

    floors = [results[0], results[len(GREP_PATTERNS) - 1]]  # reading the lines; a typical grep for cut requests
    info = machine()
    cores = int(info["cores"])
    scaling = cpu_scaling(cores) if cores > 1 else 1.0
    print()
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['memory']}; {info['os']}; Python {info['python']}")
    print(f"versions: {info['lpdoctor']}; {info['grep']}; {info['goaccess']}")
    print(f"input: {log.name}, {args.lines:,} lines, {size / 1e6:.1f} MB; median of {args.repeat} runs")
    print(f"CPU check: {cores} busy Python processes got {scaling:.2f}x the work of one ({cores} = a free core each)")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(table(results, floors, args.lines, size))
    print()
    print(f"lpdoctor reports of every variant ({len(reports)}) identical: {'yes' if identical else 'NO'}")
    for r in results:
        if r.note:
            print(f"{r.name}: {r.note}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "lines": args.lines,
                    "bytes": size,
                    "seed": args.seed,
                    "identical_reports": identical,
                    "cpu_scaling": scaling,
                    "results": [{**asdict(r), "median_wall_s": r.wall_s} for r in results],
                },
                indent=2,
            )
        )
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
