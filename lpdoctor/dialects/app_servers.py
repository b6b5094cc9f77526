"""App-server timeouts read from the files that usually set them, each with the ``file:line`` it came from.

- gunicorn: a command line in a ``Procfile``, a ``Dockerfile`` ``CMD``/``ENTRYPOINT`` (exec or shell form), a
  compose file's ``command:`` or a shell script; ``GUNICORN_CMD_ARGS``; ``gunicorn.conf.py`` (``-c`` too),
  read with :mod:`ast` (never executed): ``timeout``, ``worker_class``, ``threads``, ``keepalive``.
- uvicorn: ``--timeout-keep-alive`` (it has no request timeout).
- Go ``net/http``: ``http.Server{... WriteTimeout: 10 * time.Second ...}`` literals and ``srv.WriteTimeout = ...``
  assignments; ``IdleTimeout`` (or ``ReadTimeout`` when it is unset) for keep-alive races.
- php-fpm pools: ``request_terminate_timeout``; uWSGI: ``harakiri`` (ini or command line).

Only literal values are read; a timeout computed from a variable is reported as a note, not guessed.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import yaml

from lpdoctor.catalog.component_hops import ComponentSpec, GivenTimer, build_hop
from lpdoctor.dialects.yaml_nodes import YamlTooLarge, compose_documents
from lpdoctor.model import HopKind, SourceLocation
from lpdoctor.model.hops import HopFacts
from lpdoctor.text.durations import DurationError, parse_duration
from lpdoctor.text.inputs import InputError, read_input

MAX_FILE_BYTES = 2 << 20
MAX_FILES = 5000
MAX_DEPTH = 4
_SKIP_DIRS = {".git", "node_modules", "vendor", ".venv", "venv", "__pycache__", ".tox", "dist", "build"}

_GO_UNITS = {
    "Nanosecond": 1e-9,
    "Microsecond": 1e-6,
    "Millisecond": 1e-3,
    "Second": 1.0,
    "Minute": 60.0,
    "Hour": 3600.0,
}
_GO_SERVER = re.compile(r"http\.Server\s{0,4}\{")
_GO_FIELD = re.compile(r"\b(WriteTimeout|IdleTimeout|ReadTimeout)\s{0,8}:\s{0,8}([^,\n}]{1,120})")
_GO_ASSIGN = re.compile(
    r"\b[A-Za-z_][A-Za-z0-9_]{0,63}\.(WriteTimeout|IdleTimeout|ReadTimeout)\s{0,8}=\s{0,8}([^\n;]{1,120})"
)
_GO_FACTOR = re.compile(
    r"\s{0,4}(?:time\.Duration\(\s{0,4}(\d{1,9})\s{0,4}\)|time\.([A-Z][a-z]{3,11})|(\d{1,9}(?:\.\d{1,6})?))\s{0,4}"
)
_PHP_TIME = re.compile(r"(\d{1,9})\s{0,2}([smhd]?)")


@dataclass(slots=True)
class Discovery:
    """App servers found, and what could not be read (one line each)."""

    hops: list[HopFacts] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def discover_app_servers(paths: list[str]) -> Discovery:
    """Read every given file, or the usual files under every given directory."""
    out = Discovery()
    for path in paths:
        if os.path.isdir(path):
            for file in _walk(path):
                _read_file(file, out, explicit=False)
        elif os.path.exists(path):
            _read_file(path, out, explicit=True)
        else:
            out.notes.append(f"{path}: no such file")
    return out


def _walk(root: str) -> Iterator[str]:
    count = 0
    base_depth = root.rstrip(os.sep).count(os.sep)
    for current, dirs, files in os.walk(root):
        depth = current.count(os.sep) - base_depth
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".") and depth < MAX_DEPTH)
        for name in sorted(files):
            if _kind_of(name) is None:
                continue
            count += 1
            if count > MAX_FILES:
                return
            yield os.path.join(current, name)


def file_kind(name: str) -> str | None:
    """What app-server file a file name says it is ("gunicorn-conf", "procfile", "go" ...), or None."""
    return _kind_of(name)


def _kind_of(name: str) -> str | None:
    low = name.lower()
    if low == "procfile" or low.startswith("procfile."):
        return "procfile"
    if low == "dockerfile" or low.startswith("dockerfile.") or low.endswith(".dockerfile") or low == "containerfile":
        return "dockerfile"
    if re.fullmatch(r"(?:docker-)?compose(?:\.[\w-]{1,40})?\.ya?ml", low):
        return "compose"
    if low.endswith(".py") and ("gunicorn" in low or low in ("gunicorn.conf.py", "gunicorn_config.py")):
        return "gunicorn-conf"
    if low.endswith(".go") and not low.endswith("_test.go"):
        return "go"
    if low.endswith(".sh"):
        return "shell"
    if low in ("www.conf", "php-fpm.conf") or (low.endswith(".conf") and "fpm" in low):
        return "php-fpm"
    if low.endswith(".ini") and "uwsgi" in low:
        return "uwsgi-ini"
    return None


def _plain_file(path: str) -> bool:
    """A regular file outside /proc, /sys and /dev: a repository may hold a symlink ``Procfile -> /dev/stdin``
    (lpdoctor would wait forever) or ``gunicorn.conf.py -> /proc/self/environ``."""
    real = os.path.realpath(path)
    return not real.startswith(("/proc/", "/sys/", "/dev/")) and os.path.isfile(real)


def _read_text(path: str, out: Discovery) -> str | None:
    if not _plain_file(path):
        out.notes.append(f"{path}: not a regular file; not read")
        return None
    try:
        raw = read_input(path, MAX_FILE_BYTES, "an app-server file", included=True)
    except InputError as exc:
        out.notes.append(str(exc))
        return None
    return raw.decode("utf-8", "replace")


def _read_file(path: str, out: Discovery, explicit: bool) -> None:
    kind = _kind_of(os.path.basename(path))
    if kind is None and explicit:
        kind = _guess_kind(path)
    if kind is None:
        out.notes.append(f"{path}: not a file lpdoctor reads app-server settings from")
        return
    text = _read_text(path, out)
    if text is None:
        return
    before = len(out.hops)
    specs: list[ComponentSpec] = []
    if kind in ("procfile", "shell"):
        specs = _command_lines(text, path, out, kind)
    elif kind == "dockerfile":
        specs = _dockerfile(text, path, out)
    elif kind == "compose":
        specs = _compose(text, path, out)
    elif kind == "gunicorn-conf":
        spec = _gunicorn_conf(text, path, out)
        specs = [spec] if spec is not None else []
    elif kind == "go":
        specs = _go(text, path, out)
    elif kind == "php-fpm":
        specs = _php_fpm(text, path)
    elif kind == "uwsgi-ini":
        specs = _uwsgi_ini(text, path)
    out.hops.extend(build_hop(s) for s in specs)
    if len(out.hops) > before or explicit:
        out.files.append(path)


def _guess_kind(path: str) -> str | None:
    low = os.path.basename(path).lower()
    if low.endswith(".py"):
        return "gunicorn-conf"
    if low.endswith((".yml", ".yaml")):
        return "compose"
    if low.endswith(".conf"):
        return "php-fpm"
    if low.endswith(".ini"):
        return "uwsgi-ini"
    return "shell"


# --------------------------------------------------------------------------------------------- command lines


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with backslash continuations joined, numbered by their first physical line."""
    start = 0
    buf: list[str] = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not buf:
            start = i
        if line.rstrip().endswith("\\"):
            buf.append(line.rstrip()[:-1])
            continue
        buf.append(line)
        yield start, " ".join(buf)
        buf = []
    if buf:
        yield start, " ".join(buf)


def _split(command: str) -> list[str] | None:
    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return None


def _command_lines(text: str, path: str, out: Discovery, kind: str) -> list[ComponentSpec]:
    specs = []
    for line_no, line in _logical_lines(text):
        if kind == "procfile":
            _, sep, rest = line.partition(":")
            line = rest if sep else line
        if "gunicorn" not in line and "uvicorn" not in line and "uwsgi" not in line:
            continue
        tokens = _split(line)
        if tokens:
            spec = _from_argv(tokens, SourceLocation(path, line_no, kind), out)
            if spec is not None:
                specs.append(spec)
    return specs


def _dockerfile(text: str, path: str, out: Discovery) -> list[ComponentSpec]:
    specs = []
    env_args: tuple[str, int] | None = None
    for line_no, line in _logical_lines(text):
        head, _, rest = line.strip().partition(" ")
        instruction = head.upper()
        if instruction == "ENV" and "GUNICORN_CMD_ARGS" in rest:
            m = re.search(r"GUNICORN_CMD_ARGS[= ]\s{0,4}(\"[^\"]{0,500}\"|'[^']{0,500}'|\S{1,500})", rest)
            if m:
                env_args = (m.group(1).strip("\"'"), line_no)
            continue
        if instruction not in ("CMD", "ENTRYPOINT"):
            continue
        rest = rest.strip()
        tokens: list[str] | None
        if rest.startswith("["):
            try:
                parsed = json.loads(rest)
                tokens = [str(t) for t in parsed] if isinstance(parsed, list) else None
            except ValueError:
                tokens = None
        else:
            tokens = _split(rest)
        if tokens:
            spec = _from_argv(tokens, SourceLocation(path, line_no, instruction), out, env_args)
            if spec is not None:
                specs.append(spec)
    return specs


def _compose(text: str, path: str, out: Discovery) -> list[ComponentSpec]:
    try:
        docs = compose_documents(text)
        root = docs[0] if docs else None
    except YamlTooLarge as exc:
        out.notes.append(f"{path}: {exc}; not read")
        return []
    except yaml.YAMLError as exc:
        out.notes.append(f"{path}: not valid YAML ({str(exc).splitlines()[0]})")
        return []
    except RecursionError:
        out.notes.append(f"{path}: YAML nested too deeply; not read")
        return []
    services = _node_get(root, "services")
    if not isinstance(services, yaml.MappingNode):
        return []
    specs = []
    for name_node, service in services.value:
        command = _node_get(service, "command")
        if command is None:
            continue
        env_args = _compose_env(service)
        if isinstance(command, yaml.ScalarNode):
            tokens = _split(str(command.value))
        elif isinstance(command, yaml.SequenceNode):
            tokens = [str(n.value) for n in command.value if isinstance(n, yaml.ScalarNode)]
        else:
            tokens = None
        if tokens:
            where = SourceLocation(path, command.start_mark.line + 1, f"service {name_node.value}")
            spec = _from_argv(tokens, where, out, env_args)
            if spec is not None:
                specs.append(spec)
    return specs


def _node_get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _compose_env(service: yaml.Node) -> tuple[str, int] | None:
    env = _node_get(service, "environment")
    if isinstance(env, yaml.MappingNode):
        value = _node_get(env, "GUNICORN_CMD_ARGS")
        if isinstance(value, yaml.ScalarNode):
            return str(value.value), value.start_mark.line + 1
    elif isinstance(env, yaml.SequenceNode):
        for item in env.value:
            if isinstance(item, yaml.ScalarNode) and str(item.value).startswith("GUNICORN_CMD_ARGS="):
                return str(item.value).partition("=")[2], item.start_mark.line + 1
    return None


def _program(tokens: list[str]) -> tuple[str, int] | None:
    """Which server the command runs, and the index of its first argument."""
    for i, token in enumerate(tokens[:12]):
        base = os.path.basename(token)
        if base in ("gunicorn", "uvicorn", "uwsgi"):
            return base, i + 1
        if token == "-m" and i + 1 < len(tokens) and tokens[i + 1] in ("gunicorn", "uvicorn"):
            return tokens[i + 1], i + 2
    return None


def _from_argv(
    tokens: list[str], where: SourceLocation, out: Discovery, env_args: tuple[str, int] | None = None
) -> ComponentSpec | None:
    found = _program(tokens)
    if found is None:
        return None
    program, start = found
    args = tokens[start:]
    if program == "gunicorn":
        spec = ComponentSpec(kind=HopKind.SERVER, component="gunicorn", location=where)
        if env_args is not None:
            env_tokens = _split(env_args[0]) or []
            env_where = SourceLocation(where.file, env_args[1], "GUNICORN_CMD_ARGS")
            _gunicorn_args(env_tokens, spec, env_where, out)
        _gunicorn_args(args, spec, where, out)
        _finish_gunicorn(spec)
        return spec
    if program == "uvicorn":
        spec = ComponentSpec(kind=HopKind.SERVER, component="uvicorn", location=where)
        value = _option(args, ("--timeout-keep-alive",))
        if value is not None:
            seconds = _seconds(value)
            if seconds is not None:
                spec.accept_idle = GivenTimer("timeout_keep_alive", seconds or None, where)
        return spec
    spec = ComponentSpec(kind=HopKind.SERVER, component="uwsgi", location=where)
    value = _option(args, ("--harakiri",))
    if value is not None and (seconds := _seconds(value)) is not None:
        spec.timers.append(GivenTimer("harakiri", seconds or None, where))
    return spec


def _option(args: list[str], names: tuple[str, ...]) -> str | None:
    """The last value given to one of ``names`` (``--x 1``, ``--x=1``, ``-t1``)."""
    value = None
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                value = args[i + 1]
            elif name.startswith("--") and arg.startswith(name + "="):
                value = arg[len(name) + 1 :]
            elif not name.startswith("--") and arg.startswith(name) and len(arg) > len(name):
                value = arg[len(name) :]
    return value


def _seconds(text: str) -> float | None:
    try:
        return parse_duration(text.strip(), default_unit="s")
    except DurationError:
        return None


def _gunicorn_args(args: list[str], spec: ComponentSpec, where: SourceLocation, out: Discovery) -> None:
    config = _option(args, ("-c", "--config"))
    if config is not None and not config.startswith("python:"):
        candidate = config if os.path.isabs(config) else os.path.join(os.path.dirname(where.file or "."), config)
        if os.path.isfile(candidate):
            text = _read_text(candidate, out)
            conf = _gunicorn_conf(text, candidate, out) if text is not None else None
            if conf is not None:
                spec.timers, spec.worker_class = conf.timers, conf.worker_class
                spec.worker_class_location, spec.accept_idle = conf.worker_class_location, conf.accept_idle
                spec.notes.extend(conf.notes)
        else:
            spec.notes.append(f"{where.file}:{where.line}: gunicorn config {config} not found next to it; not read")
    timeout = _option(args, ("-t", "--timeout"))
    if timeout is not None and (seconds := _seconds(timeout)) is not None:
        spec.timers = [t for t in spec.timers if t.setting != "timeout"]
        spec.timers.append(
            GivenTimer("timeout", seconds or None, where, note="--timeout 0 disables it" if not seconds else None)
        )
    worker = _option(args, ("-k", "--worker-class"))
    if worker is not None:
        spec.worker_class, spec.worker_class_location = _short_worker(worker), where
    threads = _option(args, ("--threads",))
    if threads is not None and threads.isdecimal():
        spec.notes.append(f"threads={threads}")
    keepalive = _option(args, ("--keep-alive",))
    if keepalive is not None and (seconds := _seconds(keepalive)) is not None:
        spec.accept_idle = GivenTimer("keepalive", seconds or None, where)


def _short_worker(name: str) -> str:
    """``gthread`` for ``gunicorn.workers.gthread.ThreadWorker`` and the like; other classes as written."""
    low = name.lower()
    for short in ("sync", "gthread", "eventlet", "gevent", "tornado"):
        if low == short or low.startswith(f"gunicorn.workers.g{short}") or low.startswith(f"gunicorn.workers.{short}"):
            return short
    if low.startswith("egg:gunicorn#"):
        return low.split("#", 1)[1]
    return name


def _finish_gunicorn(spec: ComponentSpec) -> None:
    threads = next((n for n in spec.notes if n.startswith("threads=")), None)
    spec.notes = [n for n in spec.notes if not n.startswith("threads=")]
    if threads is not None and int(threads.split("=")[1]) > 1 and (spec.worker_class or "sync") == "sync":
        spec.worker_class = "gthread"  # gunicorn switches a sync worker with threads > 1 to gthread
        spec.notes.append("threads > 1 with the sync worker class runs gthread workers")


# --------------------------------------------------------------------------------------------- gunicorn.conf.py


def _literal(node: ast.expr) -> object:
    """A literal, or simple arithmetic on number literals (``60 * 5``); anything else raises ValueError."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add, ast.Sub)):
        left, right = _literal(node.left), _literal(node.right)
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            if isinstance(node.op, ast.Mult):
                return left * right
            return left + right if isinstance(node.op, ast.Add) else left - right
        raise ValueError("not a number")
    return ast.literal_eval(node)


def _gunicorn_conf(text: str, path: str, out: Discovery) -> ComponentSpec | None:
    try:
        with warnings.catch_warnings():  # a SyntaxWarning would print the file's own line, raw, on stderr
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        out.notes.append(f"{path}: not valid Python; not read")
        return None
    spec = ComponentSpec(kind=HopKind.SERVER, component="gunicorn", location=SourceLocation(path, 1, "gunicorn config"))
    found = False
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            continue
        name = stmt.targets[0].id
        if name not in ("timeout", "worker_class", "threads", "keepalive"):
            continue
        where = SourceLocation(path, stmt.lineno, "gunicorn config")
        try:
            value = _literal(stmt.value)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            spec.notes.append(f"{path}:{stmt.lineno}: {name} is not a literal; not read")
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not 0 <= value < 10**9:
            spec.notes.append(f"{path}:{stmt.lineno}: {name} is not a number of seconds lpdoctor can use; not read")
            continue  # 1e309, -5, a 400-digit integer
        found = True
        if name == "timeout" and isinstance(value, (int, float)) and not isinstance(value, bool):
            spec.timers = [GivenTimer("timeout", float(value) or None, where)]
            spec.location = where
        elif name == "worker_class" and isinstance(value, str):
            spec.worker_class, spec.worker_class_location = _short_worker(value), where
        elif name == "threads" and isinstance(value, int):
            spec.notes.append(f"threads={value}")
        elif name == "keepalive" and isinstance(value, (int, float)):
            spec.accept_idle = GivenTimer("keepalive", float(value) or None, where)
    if not found:
        return None
    _finish_gunicorn(spec)
    return spec


# --------------------------------------------------------------------------------------------- Go


def go_duration(expr: str) -> float | None:
    """``10 * time.Second``, ``time.Minute``, ``time.Duration(30) * time.Second``, ``0`` → seconds; else None."""
    text = expr.strip()
    if not text:
        return None
    total = 1.0
    has_unit = False
    for part in text.split("*"):
        m = _GO_FACTOR.fullmatch(part)
        if not m:
            return None
        if m.group(1):
            total *= float(m.group(1))
        elif m.group(2):
            if m.group(2) not in _GO_UNITS:
                return None
            total *= _GO_UNITS[m.group(2)]
            has_unit = True
        else:
            total *= float(m.group(3))
    if not has_unit:
        return total * 1e-9  # a bare number is nanoseconds (a time.Duration)
    return total


def _go(text: str, path: str, out: Discovery) -> list[ComponentSpec]:
    specs = []
    for m in _GO_SERVER.finditer(text):
        start = m.end()
        depth = 1
        end = start
        while end < len(text) and depth and end - start < 4000:
            ch = text[end]
            depth += 1 if ch == "{" else -1 if ch == "}" else 0
            end += 1
        body = text[start:end]
        line = text.count("\n", 0, m.start()) + 1
        spec = ComponentSpec(
            kind=HopKind.SERVER, component="go-http-server", location=SourceLocation(path, line, "http.Server")
        )
        fields = {}
        for f in _GO_FIELD.finditer(body):
            fields[f.group(1)] = (f.group(2), line + body.count("\n", 0, f.start()))
        _go_fields(fields, spec, path, out)
        specs.append(spec)
    assigned = {}
    for a in _GO_ASSIGN.finditer(text):
        assigned[a.group(1)] = (a.group(2), text.count("\n", 0, a.start()) + 1)
    if assigned and not specs:
        first = min(line for _, line in assigned.values())
        spec = ComponentSpec(
            kind=HopKind.SERVER, component="go-http-server", location=SourceLocation(path, first, "http.Server")
        )
        _go_fields(assigned, spec, path, out)
        specs.append(spec)
    return specs


def _go_fields(fields: dict[str, tuple[str, int]], spec: ComponentSpec, path: str, out: Discovery) -> None:
    values: dict[str, tuple[float | None, SourceLocation]] = {}
    for name, (expr, line) in fields.items():
        seconds = go_duration(expr)
        if seconds is None:
            spec.notes.append(f"{path}:{line}: {name} is {expr.strip()!r}, not a literal duration; not read")
            continue
        values[name] = (seconds or None, SourceLocation(path, line, f"http.Server {name}"))
    if "WriteTimeout" in values:
        value, where = values["WriteTimeout"]
        spec.timers.append(GivenTimer("WriteTimeout", value, where))
    idle = values.get("IdleTimeout")
    if idle is None or idle[0] is None:
        idle = values.get("ReadTimeout")  # net/http: IdleTimeout 0 falls back to ReadTimeout
    if idle is not None:
        spec.accept_idle = GivenTimer("IdleTimeout", idle[0], idle[1])


# --------------------------------------------------------------------------------------------- php-fpm, uWSGI


def _ini_values(text: str, keys: set[str]) -> Iterator[tuple[str, str, int, str | None]]:
    section = None
    for i, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        key, sep, value = line.partition("=")
        if sep and key.strip() in keys:
            yield key.strip(), value.strip().strip("\"'"), i, section


def _php_fpm(text: str, path: str) -> list[ComponentSpec]:
    specs = []
    for _key, value, line, section in _ini_values(text, {"request_terminate_timeout"}):
        m = _PHP_TIME.fullmatch(value)
        if not m:
            continue
        seconds = float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
        where = SourceLocation(path, line, f"pool {section}" if section else "php-fpm")
        spec = ComponentSpec(
            kind=HopKind.SERVER, component="php-fpm", location=where, name=f"php-fpm pool {section or ''}".strip()
        )
        spec.timers.append(GivenTimer("request_terminate_timeout", seconds or None, where))
        specs.append(spec)
    return specs


def _uwsgi_ini(text: str, path: str) -> list[ComponentSpec]:
    specs = []
    for _key, value, line, section in _ini_values(text, {"harakiri"}):
        if section not in (None, "uwsgi") or not value.isdecimal() or len(value) > 9:
            continue
        where = SourceLocation(path, line, "uwsgi")
        spec = ComponentSpec(kind=HopKind.SERVER, component="uwsgi", location=where)
        spec.timers.append(GivenTimer("harakiri", float(value) or None, where))
        specs.append(spec)
    return specs
