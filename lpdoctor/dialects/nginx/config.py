"""nginx configuration → effective per-location timeouts, upstreams and log definitions.

Entry point: :func:`load_nginx_config` reads a main ``nginx.conf`` (with its includes) or the output of
``nginx -T`` and returns an :class:`NginxConfig`: every ``server`` with its ``location`` blocks (nested ones
too), each carrying the timeouts nginx would really use there after inheritance
(http → server → location → nested location, built-in defaults where nothing is set), with the
``file:line`` that set each value. :mod:`lpdoctor.dialects.nginx.locations` answers "which location serves
this host and path"; :mod:`lpdoctor.dialects.nginx.ingress` maps ingress-nginx manifests into the same types.

Parsing is crossplane's (nginx's own tokenizer rules, line numbers, include globs). We call
``crossplane.parse(main, single=False, check_ctx=False, check_args=True, strict=False, comments=False)``:

- ``single=False``: crossplane follows includes itself, so each included file is parsed in the context
  it was included from; that context is what makes the argument checks below work inside included files.
  Relative include paths resolve against the main file's directory, as nginx does (its conf prefix).
- ``check_args=True``: the only way a missing ``;`` shows up (``proxy_read_timeout 30s`` followed by
  the next directive becomes one statement with too many arguments, or a directive closed by ``}``).
- ``check_ctx=False``: crossplane's directive table dates from 2020 and is wrong about some contexts.
- ``strict=False``: directives from third-party modules are fine.
- ``comments=False``: comments carry no configuration.

We do not use crossplane's ``combine=True``: it recurses forever on an include loop. Includes are spliced
here instead, with a stack that turns a loop into a clear :class:`NginxConfigError` (nginx itself crashes
on one). An ``nginx -T`` dump is split into its files in a temporary directory that is removed afterwards;
absolute include paths are pointed into that directory so includes resolve against the dump, never the
machine lpdoctor runs on, and every reported file name is the original one.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import crossplane
import crossplane.analyzer

from lpdoctor.dialects.nginx.interpret import interpret
from lpdoctor.dialects.nginx.model import (
    DUMP_MARKER,
    MAX_STATEMENTS,
    NginxConfig,
    NginxConfigError,
    Stmt,
)
from lpdoctor.text.inputs import InputError, note_input, read_input

# --------------------------------------------------------------------------------------------- loading


def load_nginx_config(path: str) -> NginxConfig:
    """Read a main nginx config (with its includes) or an ``nginx -T`` dump; ``-`` reads stdin.

    Raises :class:`NginxConfigError` (one line, ``file:line: problem``) for what nginx would refuse:
    a syntax error, a missing literal include, an include loop, an unreadable file.
    """
    if path == "-":
        text = _read_all(path)
        if is_nginx_dump(text):
            return _load_dump(text, source="-")
        return _load_text(text, source="-", display="<stdin>", base_dir=os.getcwd())
    regular = _check_readable(path)
    if not regular:  # a pipe such as <(nginx -T): it can be read only once
        text = _read_all(path)
        if is_nginx_dump(text):
            return _load_dump(text, source=path)
        return _load_text(text, source=path, display=path, base_dir=os.getcwd())
    if is_nginx_dump(_read_head(path)):
        return _load_dump(_read_all(path), source=path)
    tree, files = _parse_files(path, display=os.path.normpath, dump=False)
    return interpret(tree, source=path, main_file=os.path.normpath(path), files=files, from_dump=False)


def is_nginx_dump(text: str) -> bool:
    """True when ``text`` starts like ``nginx -T`` output (test messages may come first)."""
    for raw in text.splitlines()[:50]:
        line = raw.strip()
        if not line or line.startswith("nginx: "):
            continue
        return bool(DUMP_MARKER.fullmatch(line))
    return False


def split_nginx_dump(text: str) -> list[tuple[str, str]]:
    """Split ``nginx -T`` output into ``(original file name, content)``, main file first.

    nginx writes ``# configuration file NAME:``, the file, then one extra newline; line numbers inside
    each file are therefore the original ones. A name dumped twice keeps its first content.
    """
    files: list[tuple[str, str]] = []
    seen: set[str] = set()
    name: str | None = None
    buf: list[str] = []

    def flush() -> None:
        if name is not None and name not in seen:
            content = "".join(buf)
            if content.endswith("\n"):
                content = content[:-1]  # the newline nginx adds after each file
            files.append((name, content))
            seen.add(name)

    for line in text.splitlines(keepends=True):
        m = DUMP_MARKER.fullmatch(line.rstrip("\r\n"))
        if m:
            flush()
            name, buf = m.group(1), []
        elif name is not None:
            buf.append(line)
    flush()
    return files


def _check_readable(path: str) -> bool:
    """Raise unless ``path`` can be read; True for a regular file, False for a pipe (``/dev/fd/N``)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NginxConfigError("no such file", path) from None
    except OSError as exc:
        raise NginxConfigError(f"cannot read ({exc.strerror or exc})", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise NginxConfigError("is a directory, not an nginx config file", path)
    if not stat.S_ISREG(st.st_mode):
        return False  # read_input takes a pipe into stdin (``<(nginx -T)``) and refuses the rest
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise NginxConfigError(f"cannot read ({exc.strerror or exc})", path) from None
    return True


def _read_head(path: str, size: int = 65536) -> str:
    with open(path, "rb") as fh:
        return fh.read(size).decode("utf-8", "replace")


def _read_all(path: str) -> str:
    """A config that is not a regular file (stdin, ``<(nginx -T)``), read once, at most 64 MiB (a dump holds
    every file); a named pipe, a device or a socket is refused (:func:`lpdoctor.text.inputs.read_input`)."""
    shown = "<stdin>" if path == "-" else path
    try:
        data = read_input(path, MAX_DUMP_BYTES, "an nginx config")
    except InputError as exc:
        raise NginxConfigError(str(exc).removeprefix(f"{shown}: "), shown) from None
    return data.decode("utf-8", "replace")


MAX_DUMP_BYTES = 64 << 20


def _load_dump(text: str, source: str) -> NginxConfig:
    files = split_nginx_dump(text)
    if not files:
        raise NginxConfigError("looks like `nginx -T` output but holds no configuration file", source)
    with tempfile.TemporaryDirectory(prefix="lpdoctor-nginx-") as tmp:
        root = os.path.realpath(tmp)

        def to_disk(name: str) -> str:
            return root + os.path.normpath(name)

        try:
            for name, content in files:
                disk = to_disk(name)
                os.makedirs(os.path.dirname(disk), exist_ok=True)
                with open(disk, "w", encoding="utf-8", errors="surrogateescape") as fh:
                    fh.write(content)
            for name, content in files:
                _retarget_includes(to_disk(name), content, root)
        except OSError as exc:  # a file name too long, or one that clashes with a directory of the dump
            raise NginxConfigError(
                f"cannot split the `nginx -T` output into its files ({exc.strerror or exc})", source
            ) from None

        def display(p: str) -> str:
            p = os.path.normpath(p)
            return p[len(root) :] if p.startswith(root + os.sep) else p

        tree, read = _parse_files(to_disk(files[0][0]), display=display, dump=True)
    config = interpret(tree, source=source, main_file=files[0][0], files=read, from_dump=True)
    return config


MAX_MIRRORED_ENTRIES = 10_000


def _load_text(text: str, source: str, display: str, base_dir: str) -> NginxConfig:
    """A plain config read from a pipe: relative includes resolve against ``base_dir`` (the current directory).

    crossplane resolves relative includes against the main file's directory, so the text is written to a
    temp directory that mirrors ``base_dir`` with symlinks (nothing is written to ``base_dir``); names are
    shown as ``base_dir`` paths.
    """
    base = os.path.realpath(base_dir)
    with tempfile.TemporaryDirectory(prefix="lpdoctor-nginx-") as tmp:
        root = os.path.realpath(tmp)
        main = os.path.join(root, ".lpdoctor-stdin.conf")
        try:
            for i, entry in enumerate(os.scandir(base)):
                if i >= MAX_MIRRORED_ENTRIES:
                    break
                if entry.name != os.path.basename(main):
                    os.symlink(entry.path, os.path.join(root, entry.name))
        except OSError:
            pass  # an unreadable current directory: includes then fail with a clear message
        with open(main, "w", encoding="utf-8") as fh:
            fh.write(text)

        def show(p: str) -> str:
            p = os.path.normpath(p)
            if p == main:
                return display
            return base + p[len(root) :] if p.startswith(root + os.sep) else p

        tree, read = _parse_files(main, display=show, dump=False)
    return interpret(tree, source=source, main_file=display, files=read, from_dump=False)


def _retarget_includes(disk: str, text: str, root: str) -> None:
    """Point absolute include paths of a dumped file (a temp copy) into ``root``, where the dump was split.

    Works on the tokens crossplane's lexer finds, touching only the include argument's own line, so
    line numbers never move. A file that does not lex is left alone (parsing reports the error).
    """
    lines = text.split("\n")
    changed = False
    try:
        tokens = list(crossplane.lex(disk))
    except Exception:
        return
    expect_directive = True
    i = 0
    while i < len(tokens):
        token, line, quoted = tokens[i]
        if not quoted and token in (";", "{", "}"):
            expect_directive = True
            i += 1
            continue
        if expect_directive and not quoted and token.startswith("#"):
            i += 1
            continue
        if expect_directive and token == "include" and i + 1 < len(tokens):
            arg, arg_line, _ = tokens[i + 1]
            new = root + arg if arg.startswith("/") else None
            if new is not None and 0 < arg_line <= len(lines):
                row = lines[arg_line - 1]
                start = row.find("include") + len("include") if arg_line == line else 0
                pos = row.find(arg, max(start, 0))
                if pos >= 0:
                    lines[arg_line - 1] = row[:pos] + new + row[pos + len(arg) :]
                    changed = True
        expect_directive = False
        i += 1
    if changed:
        with open(disk, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))


MAX_CONFIG_FILE_BYTES = 16 << 20
_KERNEL_TREES = ("/proc/", "/sys/", "/dev/")


def _include_problem(path: str) -> OSError | None:
    """Why an included file must not be read: a kernel file under /proc, /sys or /dev (``/dev/zero`` never ends,
    ``/dev/stdin`` waits), not a regular file (a FIFO blocks), or too large. None when it may be read (or does
    not exist: crossplane then reports it as nginx would)."""
    try:
        real = os.path.realpath(path)
        if os.path.abspath(path).startswith(_KERNEL_TREES) or real.startswith(_KERNEL_TREES):
            return OSError(errno.EINVAL, "not a regular file", path)
        st = os.stat(real)
    except (OSError, ValueError):
        return None
    if stat.S_ISDIR(st.st_mode):
        return None  # crossplane says "is a directory", as nginx does
    if not stat.S_ISREG(st.st_mode):
        return OSError(errno.EINVAL, "not a regular file", path)
    if st.st_size > MAX_CONFIG_FILE_BYTES:
        return OSError(errno.EFBIG, f"larger than {MAX_CONFIG_FILE_BYTES >> 20} MiB", path)
    return None


def _guarded_lex(filename: str) -> Iterator[tuple[str, int, bool]]:
    problem = _include_problem(filename)
    if problem is not None:
        raise problem
    note_input(filename)  # no output may land on it (commands/common.py)
    yield from crossplane.lexer.lex(filename)


def _guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
    problem = _include_problem(str(file))
    if problem is not None:
        raise problem
    return open(file, *args, **kwargs)


class _BoundedGlob:
    """What crossplane sees as its ``glob`` module: a wildcard in a *directory* of an include outside the
    main file's tree (``include /*/*/*/*.conf;``) would walk this machine's whole file system for minutes,
    and is refused; a wildcard in the file name (``/etc/nginx/conf.d/*.conf``) lists one directory, as before."""

    has_magic = staticmethod(glob.has_magic)

    def __init__(self, tree: str) -> None:
        self.tree = tree.rstrip(os.sep) + os.sep

    def glob(self, pattern: str) -> list[str]:
        inside = os.path.abspath(pattern).startswith(self.tree)
        if not inside and glob.has_magic(os.path.dirname(pattern)):
            raise NginxConfigError(
                f"wildcard include {pattern}: a directory outside the configuration's tree is not expanded "
                "(it would walk this machine's file system)"
            )
        return glob.glob(pattern)


@contextlib.contextmanager
def _guarded_crossplane(main: str) -> Iterator[None]:
    """crossplane opens included files itself: check each one first (an ``include /dev/zero;`` in a config
    under review must not hang CI), and bound what its include wildcards may walk."""
    parser = crossplane.parser
    saved = parser.lex
    parser.lex = _guarded_lex
    parser.open = _guarded_open  # shadows the builtin crossplane uses to check a literal include
    parser.glob = _BoundedGlob(os.path.dirname(os.path.abspath(main)))
    try:
        yield
    finally:
        parser.lex = saved
        parser.glob = glob
        del parser.open


def _parse_files(main: str, display: Callable[[str], str], dump: bool) -> tuple[list[Stmt], list[str]]:
    try:
        with _guarded_crossplane(main):
            payload = crossplane.parse(
                main,
                onerror=lambda exc: exc,
                catch_errors=True,
                single=False,
                comments=False,
                strict=False,
                check_ctx=False,
                check_args=True,
            )
    except NginxConfigError as exc:
        raise NginxConfigError(exc.problem, exc.file or display(main), exc.line) from None
    except Exception as exc:  # crossplane has no documented exceptions; never show a traceback
        raise NginxConfigError(f"cannot parse ({exc})", display(main)) from None
    configs: list[dict[str, Any]] = payload.get("config", [])
    if payload.get("errors"):
        error = _first_error(payload["errors"], display, dump)
        top = configs[0].get("parsed", []) if configs else []
        if error.problem.startswith("include ") and not any(st.get("directive") == "http" for st in top):
            error = NginxConfigError(
                error.problem + " (relative includes resolve against the main nginx.conf's directory: "
                "pass the main nginx.conf, or its `nginx -T` output)",
                error.file,
                error.line,
            )
        raise error
    files = [display(c["file"]) for c in configs]
    budget = [MAX_STATEMENTS]
    tree = _splice(configs, 0, [(os.path.realpath(configs[0]["file"]), files[0])], files, budget)
    return tree, files


def _first_error(errors: list[dict[str, Any]], display: Callable[[str], str], dump: bool) -> NginxConfigError:
    err = errors[0]
    exc = err.get("callback")
    file = display(err.get("file") or "")
    line = err.get("line")
    if isinstance(exc, OSError) and line:  # a literal include that cannot be opened
        target = display(exc.filename) if isinstance(exc.filename, str) else "?"
        if exc.errno == errno.ENOENT:
            reason = "not in the nginx -T dump" if dump else "no such file"
        elif exc.errno == errno.EISDIR:
            reason = "is a directory"
        else:
            reason = exc.strerror or str(exc)
        problem = f"include {target}: {reason}"
    elif isinstance(exc, OSError):
        problem = f"cannot read ({exc.strerror or exc})"
    elif isinstance(exc, StopIteration) or not str(exc or err.get("error") or ""):
        problem = 'unexpected end of file, expecting ";" or "}"'
        line = line or _count_lines(err.get("file"))
    else:
        problem = getattr(exc, "strerror", None) or _strip_where(str(err.get("error", "")))
        if "number of arguments" in problem or "not terminated" in problem or "no opening" in problem:
            problem += " (missing ';'?)"
        elif "unexpected end of file" in problem:
            problem += " (unbalanced '{')"
        elif 'unexpected "}"' in problem:
            problem += " (unbalanced '}')"
    more = len(errors) - 1
    if more:
        problem += f" (and {more} more problem{'s' if more > 1 else ''})"
    return NginxConfigError(problem, file or None, line)


def _strip_where(message: str) -> str:
    return re.sub(r" in [^ ]{1,4096}$", "", message)


def _count_lines(path: str | None) -> int | None:
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            return fh.read().count(b"\n") + 1
    except OSError:
        return None


def _splice(
    configs: list[dict[str, Any]],
    index: int,
    stack: list[tuple[str, str]],
    files: list[str],
    budget: list[int],
) -> list[Stmt]:
    """The statements of ``configs[index]`` with every include replaced by the included statements."""
    file = files[index]
    return _convert(configs[index].get("parsed", []), file, configs, stack, files, budget)


def _convert(
    raw: list[dict[str, Any]],
    file: str,
    configs: list[dict[str, Any]],
    stack: list[tuple[str, str]],
    files: list[str],
    budget: list[int],
) -> list[Stmt]:
    out: list[Stmt] = []
    for item in raw:
        budget[0] -= 1
        if budget[0] < 0:
            raise NginxConfigError(f"more than {MAX_STATEMENTS} statements after includes", file)
        name = item.get("directive", "")
        line = int(item.get("line") or 0)
        if name == "include" and "includes" in item:
            for idx in item["includes"]:
                real = os.path.realpath(configs[idx]["file"])
                reals = [seen for seen, _ in stack]
                if real in reals:
                    names = [shown for _, shown in stack[reals.index(real) :]] + [files[idx]]
                    base = os.path.dirname(files[0])
                    cycle = [os.path.relpath(n, base) if base and n.startswith(base + os.sep) else n for n in names]
                    raise NginxConfigError(f"include loop: {' → '.join(cycle)} (nginx crashes on this)", file, line)
                out.extend(_splice(configs, idx, [*stack, (real, files[idx])], files, budget))
            continue
        block = None
        if "block" in item:
            block = _convert(item["block"], file, configs, stack, files, budget)
        out.append(Stmt(name, [str(a) for a in item.get("args", [])], file, line, block))
    return out
