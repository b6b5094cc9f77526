"""The long-running fuzzer: every log format, config reader and pipeline, for as long as you like.

    python -m tests.fuzz.run --minutes 60                 # all targets, round-robin, one hour
    python -m tests.fuzz.run --minutes 10 --target config:  # only targets whose name contains "config:"
    python -m tests.fuzz.run --list                       # the targets and their seed counts
    python -m tests.fuzz.run --replay fuzz-findings/x.json  # run one saved input again, with its traceback

Each input runs under a hard time limit (SIGALRM; a regex that backtracks is interrupted too) and an address-
space limit (a memory bomb becomes a MemoryError instead of taking the machine down). Crashes, hangs and
inputs slower than the target's bound are saved as JSON in ``--out`` (default ``fuzz-findings/``), one file
per distinct problem, and the run exits 1 if there is any. ``tests/test_fuzz_parsers.py`` runs the same
targets in CI with a budget of 45 seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .harness import Budget, Verdict, run_one
from .targets import PWNED, Target, all_targets, materialize, mutated


def run_input(target: Target, data: Any, workdir: Path, scale: float = 1.0) -> Verdict:
    """One input through one target, judged."""
    if target.kind == "text":
        return run_one(target.name, lambda: target.check(data), target.limit_s * scale, target.slow_s * scale, data)
    directory = Path(tempfile.mkdtemp(prefix="in-", dir=workdir))
    try:
        main = materialize(data, directory)
        return run_one(target.name, lambda: target.check(main), target.limit_s * scale, target.slow_s * scale, data)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def fuzz_target(
    target: Target,
    seconds: float,
    rnd: random.Random,
    workdir: Path,
    *,
    max_inputs: int | None = None,
    scale: float = 1.0,
) -> tuple[int, list[Verdict]]:
    """Seeds first, then mutations, until ``seconds`` or ``max_inputs``. Returns (inputs run, problems)."""
    budget = Budget(seconds)
    seeds = target.seeds()
    problems: list[Verdict] = []
    runs = 0
    queue = list(seeds)
    while not budget.spent() and (max_inputs is None or runs < max_inputs):
        data = queue.pop(0) if queue else mutated(target, rnd.choice(seeds), rnd, seeds) if seeds else ""
        verdict = run_input(target, data, workdir, scale)
        runs += 1
        if verdict.kind not in ("ok", "error"):
            problems.append(verdict)
        if os.path.exists(PWNED):
            problems.append(Verdict(target.name, "crash", 0.0, f"{PWNED} exists: YAML executed a payload", data))
    return runs, problems


def _key(v: Verdict) -> str:
    head = v.detail.strip().splitlines()[0] if v.detail.strip() else ""
    last = v.detail.strip().splitlines()[-1] if v.detail.strip() else ""
    return hashlib.sha1(f"{v.target}|{v.kind}|{head}|{last}".encode("utf-8", "replace")).hexdigest()[:12]


def save(v: Verdict, out: Path) -> Path | None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{v.target.replace(':', '_')}-{v.kind}-{_key(v)}.json"
    if path.exists():
        return None
    data = v.data if isinstance(v.data, str | dict) else repr(v.data)
    doc = {"target": v.target, "kind": v.kind, "seconds": round(v.seconds, 3), "detail": v.detail, "input": data}
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=True))
    return path


def replay(path: Path) -> int:
    doc = json.loads(path.read_text())
    targets = {t.name: t for t in all_targets()}
    target = targets[doc["target"]]
    with tempfile.TemporaryDirectory(prefix="lpdoctor-fuzz-") as tmp:
        v = run_input(target, doc["input"], Path(tmp))
    print(f"{v.target}: {v.kind} in {v.seconds:.3f} s")
    if v.detail:
        print(v.detail)
    return 0 if v.kind in ("ok", "error") else 1


def _limit_memory(gigabytes: float) -> None:
    try:
        import resource

        limit = int(gigabytes * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="total time (default 5)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time)")
    parser.add_argument("--target", action="append", default=[], help="only targets whose name contains this")
    parser.add_argument("--out", default="fuzz-findings", help="where problems are saved (default fuzz-findings/)")
    parser.add_argument("--slice", type=float, default=20.0, help="seconds per target per round (default 20)")
    parser.add_argument("--memory-gb", type=float, default=4.0, help="address-space limit (default 4 GB)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--replay", type=Path, help="run one saved finding again")
    args = parser.parse_args(argv)

    if args.replay:
        return replay(args.replay)
    targets = [t for t in all_targets() if not args.target or any(s in t.name for s in args.target)]
    if args.list:
        for t in targets:
            print(f"{t.name:32} {len(t.seeds()):5} seeds  limit {t.limit_s:g} s  slow {t.slow_s:g} s")
        return 0
    if not targets:
        print("no target matches", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else int(time.time())
    rnd = random.Random(seed)
    _limit_memory(args.memory_gb)
    total = Budget(args.minutes * 60)
    out = Path(args.out)
    counts = dict.fromkeys((t.name for t in targets), 0)
    found: list[Path] = []
    print(f"fuzzing {len(targets)} targets for {args.minutes:g} min, seed {seed}; findings go to {out}/", flush=True)
    with tempfile.TemporaryDirectory(prefix="lpdoctor-fuzz-") as tmp:
        while not total.spent():
            for target in targets:
                if total.spent():
                    break
                runs, problems = fuzz_target(target, min(args.slice, total.left()), rnd, Path(tmp))
                counts[target.name] += runs
                for v in problems:
                    saved = save(v, out)
                    if saved is not None:
                        found.append(saved)
                        print(f"  {v.kind.upper()} {v.target}: {v.detail.splitlines()[0][:160]} -> {saved}", flush=True)
            done = sum(counts.values())
            print(f"{(total.seconds - total.left()) / 60:.1f} min: {done} inputs, {len(found)} findings", flush=True)
    for name, n in counts.items():
        print(f"  {name:32} {n:8} inputs")
    print(f"{len(found)} distinct problems" + (f" in {out}/" if found else ""))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
