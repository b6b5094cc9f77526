"""What every command shares: output format, ``--fail-on``, exit codes, writing ``--output`` atomically."""

from __future__ import annotations

import io
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from lpdoctor.commands.lint import LintError, color_choice, finish, from_settings, lint_options
from lpdoctor.dialects.config_regex import reset_budget
from lpdoctor.model import Report, Severity
from lpdoctor.reporters import FORMATS, get_renderer
from lpdoctor.reporters.sanitize import sanitized
from lpdoctor.text.inputs import begin_run, input_at
from lpdoctor.text.safety import safe

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

F = TypeVar("F", bound=Callable[..., Any])


def output_options(func: F) -> F:
    func = lint_options(func)
    func = click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, writable=True),
        help="Write the report to FILE (atomically) instead of stdout.",
    )(func)
    func = click.option(
        "--fail-on",
        type=click.Choice(["error", "warning", "info", "never"]),
        default="error",
        show_default=True,
        callback=from_settings("fail-on"),
        help="Exit 1 when a finding at or above this severity is reported (suppressed and baseline ones do not count).",
    )(func)
    func = click.option(
        "--format",
        "-f",
        "output_format",
        type=click.Choice(["auto", *FORMATS]),
        default="auto",
        show_default=True,
        callback=from_settings("format"),
        help="Report format; auto is github in GitHub Actions, rich on a terminal, text otherwise (or when NO_COLOR "
        "is set).",
    )(func)
    return func


def choose_format(requested: str, to_file: bool, color: str = "auto") -> str:
    if requested != "auto":
        return requested
    if color != "auto":  # asked for explicitly: a terminal report, even in GitHub Actions
        return "rich" if color == "always" else "text"
    if os.environ.get("GITHUB_ACTIONS") == "true" and not to_file:
        return "github"
    if to_file or os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return "text"
    return "rich"


def exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "never":
        return EXIT_OK
    threshold = Severity(fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in report.findings) else EXIT_OK


def write_atomically(path: str, text: str, option: str = "--output") -> None:
    """Write ``text`` to ``path`` so that it is either the old file or the whole new one, never a part.

    ``path`` is refused (exit 2, nothing written) when it is an input of this run (:func:`refuse_input`).

    A temporary file beside the target is written, flushed and renamed over it; it gets the target's mode, or
    the usual one under the umask for a new file. A target that is not a regular file (``/dev/stdout``, a
    FIFO) is written directly: there is nothing to rename over.
    """
    refuse_input(option, path)
    try:
        st: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return
    target = os.path.realpath(path)  # through a symlink: replace the file, not the link
    tmp = os.path.join(os.path.dirname(target), f".lpdoctor-{os.getpid()}-{secrets.token_hex(6)}.tmp")
    # 0o666 under the umask, as any new file; O_EXCL: never through a file or link someone put there.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def guard_outputs(inputs: Iterable[str], **outputs: str | None) -> None:
    """Before any work: note every input a command was given, and refuse (exit 2) an output that is one.

    ``outputs`` maps an option name (``output``, ``save_partial``) to the file it names. Readers note the
    files they find on their own (includes, app-server files, the chain file's configs) as they open them;
    :func:`write_atomically` checks again before it writes, so no output ever lands on anything read.
    """
    begin_run(inputs)
    reset_budget()  # a new time budget for regular expressions from configs
    for name, target in outputs.items():
        if target:
            refuse_input("--" + name.replace("_", "-"), target)


def refuse_input(option: str, target: str) -> None:
    """Exit 2 when ``target`` is the same file (:func:`os.path.samefile`) as any input of this run."""
    overwritten = input_at(target)
    if overwritten is not None:
        fail(f"{option} {target}: that is an input ({overwritten}); lpdoctor never writes over what it reads")


def emit(report: Report, output_format: str, output: str | None) -> None:
    try:
        baseline = finish(report)  # --select/--ignore/--severity, suppressions, the baseline
    except LintError as exc:
        fail(str(exc))
        return
    if baseline is not None:
        refuse_input("--update-baseline", baseline[0])  # the one registry of what this run read (includes too)
        try:
            write_atomically(*baseline)
        except OSError as exc:
            fail(f"cannot write {baseline[0]}: {exc.strerror or exc}")
        warn(f"baseline of {len(report.suppressed):,} finding(s) written to {baseline[0]}")
    color = color_choice()
    fmt = choose_format(output_format, output is not None, color)
    render = get_renderer(fmt)
    if fmt == "rich" and color != "auto":
        from functools import partial

        from lpdoctor.reporters.rich_report import render as rich_render

        render = partial(rich_render, color=color == "always")
    safe_report = sanitized(report)
    if output:
        buf = io.StringIO()
        render(safe_report, buf)
        try:
            write_atomically(output, buf.getvalue())
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
        warn(f"{fmt} report written to {output}{report_tally(report)}")
        return
    try:
        render(safe_report, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        raise  # the reader went away (| head): not an error (cli.py)
    except OSError as exc:  # a full disk (> /dev/full), a closed descriptor
        abandon_stdout()
        fail(f"cannot write the report to standard output ({exc.strerror or exc})")


def report_tally(report: Report) -> str:
    """`` (3 findings, 2 suppressed)``: what a report written to a file holds, for the line that says where."""
    if not report.findings and not report.suppressed:
        return " (no findings)"
    text = f" ({len(report.findings):,} finding{'s' if len(report.findings) != 1 else ''}"
    return text + (f", {len(report.suppressed):,} suppressed)" if report.suppressed else ")")


def warn(message: str) -> None:
    click.echo(f"lpdoctor: {safe(message, 500)}", err=True)


def fail(message: str) -> None:
    """One line on stderr, exit 2: for usage and input errors. Never a traceback."""
    warn(message)
    raise SystemExit(EXIT_USAGE)


def abandon_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered for a closed pipe or a full disk is dropped at exit
    instead of raising again while Python shuts down."""
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
