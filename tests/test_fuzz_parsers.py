"""Parsers that cannot be made to crash or crawl: property tests and a mutation fuzz over every reader.

Every log format of the registry and every config reader (nginx, ingress-nginx, the chain file, app-server
files, Sōzune, HAProxy, Traefik, Caddy, Envoy, Apache) is a target of :mod:`tests.fuzz.targets`. Here they get:

- a **mutation fuzz** (real lines and configs, mutated: NaN and 400-digit numbers, unbalanced quotes and
  brackets, NUL, invalid UTF-8, control characters, YAML aliases and tags, hostile include lines ...), each
  input under a hard time limit, with a fixed total budget (``LPDOCTOR_FUZZ_SECONDS``, default 45 s) and a
  fixed seed (``LPDOCTOR_FUZZ_SEED``) so a failure can be replayed;
- **hypothesis** property tests (arbitrary text, and real lines with arbitrary text spliced in);
- **1 MB** adversarial inputs against every regex-based parser, each within a time bound (catastrophic
  backtracking shows up as seconds or hours; linear parsing takes milliseconds).

``python -m tests.fuzz.run --minutes 60`` runs the same targets for as long as you like.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.registry import all_formats
from lpdoctor.text.safety import safe
from tests.fuzz.harness import Budget, Verdict, run_one
from tests.fuzz.payloads import output_text
from tests.fuzz.run import fuzz_target, run_input
from tests.fuzz.targets import PWNED, Target, all_targets, assert_sane_record, covered_modules, log_seeds

pytestmark = pytest.mark.fuzz

BUDGET_S = float(os.environ.get("LPDOCTOR_FUZZ_SECONDS", "45"))  # the mutation fuzz, all targets together
SEED = int(os.environ.get("LPDOCTOR_FUZZ_SEED", "20261121"))
SCALE = float(os.environ.get("LPDOCTOR_FUZZ_SCALE", "3"))  # time bounds are generous: CI machines are busy

TARGETS = all_targets()
FORMATS = all_formats()

# Known problems in modules whose owners are still editing them. Each has a strict xfail test below that
# reproduces it; the fuzz reports them without failing. Remove an entry when its xfail turns into a pass.
KNOWN: dict[str, list[tuple[str, str]]] = {
    "input:partial": [
        (r"^MemoryError", "load_partial reads up to 1 GiB in one call; only under the fuzz driver's memory limit"),
    ],
}


def _known(v: Verdict) -> bool:
    import re

    return any(re.search(pattern, v.detail) for pattern, _ in KNOWN.get(v.target, []))


def _describe(problems: list[Verdict]) -> str:
    lines = []
    for v in problems[:8]:
        data = v.data if isinstance(v.data, str) else {k: t[:300] for k, t in dict(v.data or {}).items()}
        lines.append(f"{v.kind} after {v.seconds:.2f} s: {v.detail[:1500]}\n    input: {str(data)[:600]!r}")
    return "\n".join(lines)


# ---- every reader has a target


# Reader modules (tests/test_fuzz_parsers.py reader_modules) that read no attacker-controlled input themselves, or are covered through another
# target (named here).
NOT_TARGETS = {
    "logformats": "package",
    "logformats.base": "the LogFormat/LineParser types",
    "logformats.registry": "the list of log formats",
    "logformats.layout": "a text line's description: its regexes run in the nginx, Traefik CLF and Heroku targets",
    "dialects": "package",
    "dialects.nginx": "package",
    "dialects.sozune": "package",
    "dialects.edges": "package",
    "logformats.samples": "sample lines for `lpdoctor formats`: data, reads no input",
    "text.inputs": "file opening: covered by pipeline:scan and tests/test_readonly.py",
    "probe.transport": "parses HTTP through httpx: value:probe-args and the hostile-server tests of test_security_terminal",
    "dialects.config_kind": "what a file given to check-config is: run on every input of pipeline:check-config",
    "dialects.config_regex": "the run's budget around safety.untrusted_match: run by every config target with regexes",
    "dialects.nginx.directives": "data: the directive names of nginx's source",
    "dialects.yaml_nodes": "the YAML composer of every YAML config target (sozune, ingress, traefik, chain file ...)",
}
READER_PACKAGES = ("logformats", "dialects")  # every module that reads input, plus the two below
READER_MODULES = ("text.inputs", "probe.transport")


def reader_modules() -> list[str]:
    root = Path(__file__).parents[1] / "lpdoctor"
    out = list(READER_MODULES)
    for package in READER_PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(out)


def test_every_reader_module_is_fuzzed() -> None:
    readers = reader_modules()
    assert len(readers) > 25, readers  # the walk itself found the readers (it once globbed a folder that had moved)
    covered = covered_modules(TARGETS)
    missing = [m for m in readers if m not in covered and m not in NOT_TARGETS]
    assert not missing, (
        f"reader modules without a fuzz target: {missing}; add one to tests/fuzz/targets.py (all_targets) "
        "or, if the module reads no input itself, to NOT_TARGETS here with the reason"
    )
    stale = [m for m in (covered | set(NOT_TARGETS)) - set(readers) if m.split(".")[0] in READER_PACKAGES]
    assert not stale, f"fuzz targets name modules that do not exist: {stale}"


def test_every_log_format_has_real_seeds() -> None:
    """A format fuzzed only with other formats' lines would never get past its first check."""
    weak = [f.name for f in FORMATS if not any(f.parser()(s, 1, "seed") for s in log_seeds(f, 5))]
    assert not weak, f"no fixture or sample line parses as {weak}: add real lines under tests/fixtures/"


# ---- mutation fuzz, fixed budget


_shared: dict[str, Budget] = {}
_started: list[str] = []


def _share(name: str) -> float:
    """This target's slice of the budget: the time left, shared by the targets not yet run."""
    budget = _shared.setdefault("all", Budget(BUDGET_S))
    _started.append(name)
    remaining = max(1, len(TARGETS) - len(_started) + 1)
    return max(0.5, budget.left() / remaining)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_mutation_fuzz(target: Target, tmp_path: Path) -> None:
    rnd = random.Random(f"{SEED}:{target.name}")
    runs, problems = fuzz_target(target, _share(target.name), rnd, tmp_path, scale=SCALE)
    assert runs > 0
    assert not os.path.exists(PWNED), "a YAML payload was executed"
    unexpected = [p for p in problems if not _known(p)]
    assert not unexpected, (
        f"{len(unexpected)} problem(s) in {runs} inputs (seed {SEED}; replay with LPDOCTOR_FUZZ_SEED={SEED}):\n"
        + _describe(unexpected)
    )


# ---- hypothesis: arbitrary text, and real lines with arbitrary text spliced in


def _timed_parse(fmt: LogFormat, line: str) -> None:
    parse = fmt.parser()
    started = time.perf_counter()
    result = parse(line, 1, "hypothesis.log")
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5 * SCALE, f"{fmt.name}: {elapsed:.2f} s on {line[:120]!r}"
    assert_sane_record(result)


_HOSTILE_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(
        alphabet=st.sampled_from('"[]{}\\ \t=:;,-/%$#?&0123456789.eE+-NaInfy²①\x00\x1b\r\u202e\ufffd'), max_size=300
    ),
    st.sampled_from(["NaN", "-1", "1e309", "9" * 400, "-", '"', '\\"', "", "\ud800", "¹", "١٢٣", "{}", "[]"]),
)


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_HOSTILE_TEXT, data=st.data())
def test_any_text_and_any_splice_into_a_real_line(fmt: LogFormat, text: str, data: st.DataObject) -> None:
    _timed_parse(fmt, text)
    seeds = log_seeds(fmt, 20)
    line = data.draw(st.sampled_from(seeds))
    at = data.draw(st.integers(min_value=0, max_value=len(line)))
    cut = data.draw(st.integers(min_value=0, max_value=min(40, len(line) - at)))
    _timed_parse(fmt, line[:at] + text + line[at + cut :])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=500))
def test_safe_output_is_printable_bounded_and_encodable(text: str) -> None:
    out = safe(text, 200)
    output_text(out.encode("utf-8"))
    assert len(out) <= 200 * 10 + 1


_NOT_IN_VALUE = "&#\"',;[] \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(["access_token", "token", "api_key", "sig", "password", "X-Amz-Signature", "session"]),
    value=st.text(alphabet=st.characters(blacklist_characters=_NOT_IN_VALUE), min_size=1, max_size=60),
    before=st.sampled_from(["/sync?", "/x?a=1&", "?", "/bot?x=y&"]),
)
def test_a_credential_in_a_query_string_never_survives(name: str, value: str, before: str) -> None:
    """Whatever the value, the parameter comes out as ``name=REDACTED`` and its neighbours intact."""
    assume(not value.endswith(":"))  # "token=x:" then the end: the colon ends a message ("file?token=x: ...")
    assume("cookie" not in value.lower())  # a Cookie header inside a value takes the rest of the line with it
    out = safe(f"{before}{name}={value}&timeout=30000", 2000)
    assert out == f"{before}{name}=REDACTED&timeout=30000", (value, out)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_durations_are_finite_and_non_negative_or_refused(text: str) -> None:
    from lpdoctor.text.durations import DurationError, parse_duration

    for unit in ("s", "ms"):
        try:
            value = parse_duration(text, default_unit=unit)
        except DurationError:
            continue
        assert math.isfinite(value) and value >= 0


# ---- 1 MB adversarial lines: linear parsers take milliseconds, backtracking ones take seconds or hours

MB = 1 << 20
_RUNS = ("a", '"', "[", "{", " ", "\\", "9", "%", "\x00", "é", '\\"', "=", ":", "-", "/", ".", '{"a":', "1.", "\t")


def _big_lines(seed: str) -> list[str]:
    """1 MB runs of each hostile character, alone and spliced into a real line at its first quote, bracket,
    space and end."""
    out = [ch * (MB // len(ch)) for ch in _RUNS]
    spots = sorted({seed.find('"') + 1, seed.find("[") + 1, seed.find(" ") + 1, len(seed) // 2, len(seed)} - {0})
    for ch in _RUNS[:12]:
        run = ch * (MB // len(ch))
        out.extend(seed[:p] + run + seed[p:] for p in spots)
    return out


@pytest.mark.timeout(600)
@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_one_megabyte_lines_parse_in_linear_time(fmt: LogFormat) -> None:
    seeds = log_seeds(fmt, 1)
    slow: list[Verdict] = []
    for line in _big_lines(seeds[0]):
        v = run_one(fmt.name, lambda ln=line: _timed_or_none(fmt, ln), limit_s=10 * SCALE, slow_s=0.5 * SCALE)
        if v.kind != "ok":
            slow.append(Verdict(v.target, v.kind, v.seconds, v.detail, data=line[:200]))
    assert not slow, _describe(slow)


def _timed_or_none(fmt: LogFormat, line: str) -> None:
    assert_sane_record(fmt.parser()(line, 1, "big.log"))


_VALUE_PARSERS = {
    "redact": lambda s: safe(s, 300),
    "routes": lambda s: __import__("lpdoctor.scan.routes", fromlist=["x"]).RouteCache().route("/" + s),
    "normalize_uri": lambda s: __import__("lpdoctor.dialects.nginx.locations", fromlist=["x"]).normalize_uri(s),
    "duration": lambda s: _swallow(lambda: __import__("lpdoctor.text.durations", fromlist=["x"]).parse_duration(s)),
    "hold-option": lambda s: _swallow(
        lambda: __import__("lpdoctor.chains.hold_specs", fromlist=["x"]).parse_hold_option("/p=" + s)
    ),
    "traefik-rule": lambda s: __import__("lpdoctor.dialects.traefik", fromlist=["x"]).evaluate_rule(
        "PathRegexp(`" + s[:2000] + "`)", "example.org", "/" + s
    ),
}


def _swallow(func: object) -> None:
    with contextlib.suppress(ValueError):
        func()  # type: ignore[operator]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(_VALUE_PARSERS))
def test_one_megabyte_values_parse_in_linear_time(name: str) -> None:
    func = _VALUE_PARSERS[name]
    shapes = [ch * (MB // len(ch)) for ch in _RUNS] + [
        "eyJ" * (MB // 3),
        "access_token=" * (MB // 13),
        "a." * (MB // 2),
        "Bearer " * (MB // 7),
        "http://" * (MB // 7),
        "/bot1234:" * (MB // 9),
        "a=a=" * (MB // 4),
        '"a": ' * (MB // 5),
    ]
    slow = []
    for s in shapes:
        v = run_one(name, lambda s=s: func(s), limit_s=10 * SCALE, slow_s=1.0 * SCALE)
        if v.kind != "ok":
            slow.append(Verdict(v.target, v.kind, v.seconds, v.detail, data=s[:100]))
    assert not slow, _describe(slow)


_BIG_CONFIGS = {
    "config:nginx": ("nginx.conf", ["a " * (MB // 2), "location " * (MB // 9), "{" * MB, '"' * MB, "proxy_read_timeout " + "9" * MB + ";"]),
    "config:chain-file": ("lpdoctor.yaml", ["routes:\n" + "  - route: /x\n" * (MB // 14), "a: " + "[" * 5000, "x: " + "9" * MB]),
    "config:ingress-nginx": ("ingress.yaml", ["items:\n" + "- {kind: Ingress}\n" * (MB // 18), "a: " + "{" * 5000]),
    "config:app-servers": ("gunicorn.conf.py", ["timeout = " + "(" * 5000 + "1" + ")" * 5000, "x = 1\n" * (MB // 6)]),
    "config:haproxy": ("haproxy.cfg", ["frontend f\n" + "  acl a path_reg ^/(a+)+$\n" * (MB // 26), "defaults\n timeout server " + "9" * MB]),
    "config:traefik": ("traefik.yml", ["http:\n  routers:\n" + "".join(f"    r{i}: {{rule: 'PathRegexp(`^/(a+)+$`)', service: s}}\n" for i in range(20000))]),
    "config:caddy": ("Caddyfile", ["example.org {\n" + "  reverse_proxy 127.0.0.1:1\n" * (MB // 27) + "}\n", "{" * MB]),
    "config:envoy": ("envoy.yaml", ["static_resources: " + "[" * 5000, "virtual_hosts: x\nroutes: y\n" + "a: b\n" * (MB // 5)]),
    "config:apache": ("httpd.conf", ["ProxyPassMatch ^/(a+)+$ http://127.0.0.1:1/\n" * (MB // 44), "<VirtualHost *:80>\n" * (MB // 19)]),
    "config:sozune": ("docker-compose.yml", ["services:\n  a:\n    labels:\n" + "      - sozune.http.a.host=x\n" * (MB // 31)]),
}  # fmt: skip


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(_BIG_CONFIGS))
def test_one_megabyte_configs_are_read_or_refused_in_bounded_time(name: str, tmp_path: Path) -> None:
    target = next(t for t in TARGETS if t.name == name)
    file, texts = _BIG_CONFIGS[name]
    problems = []
    for text in texts:
        # PyYAML composes ~200 KB/s: a megabyte of YAML takes seconds however the reader behaves. The bound
        # (four times a target's own) tells linear from exponential, not fast from slow.
        v = run_input(target, {file: text}, tmp_path, scale=SCALE * 4)
        if v.kind not in ("ok", "error"):
            problems.append(Verdict(v.target, v.kind, v.seconds, v.detail, data={file: text[:300]}))
    assert not problems, _describe(problems)


def test_a_damaged_partial_is_one_clear_error(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    log = tmp_path / "access.log"
    from tests.logfactory import long_poll_route

    log.write_text("\n".join(long_poll_route("/poll?timeout=25", n=40, hold=25.0, cut=10.0)) + "\n")
    partial = tmp_path / "p.json"
    subprocess.run([sys.executable, "-m", "lpdoctor", "scan", str(log), "--save-partial", str(partial)], check=True)
    data = json.loads(partial.read_text())
    data["routes"][0]["counters"]["holds"]["²"] = 3  # a hold that is not a number
    partial.write_text(json.dumps(data))
    r = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "merge", str(partial)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and "damaged partial" in r.stderr, r.stderr
