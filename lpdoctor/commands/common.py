"""What every command shares: output format, ``--fail-on``, exit codes, writing ``--output`` atomically."""

from __future__ import annotations

import io
import os
import secrets
import stat
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from lpdoctor.commands.lint import LintError, color_choice, finish, from_settings, lint_options
from lpdoctor.model import Report, Severity
from lpdoctor.reporters import FORMATS, get_renderer
from lpdoctor.reporters.sanitize import sanitized
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


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that it is either the old file or the whole new one, never a part.

    A temporary file beside the target is written, flushed and renamed over it; it gets the target's mode, or
    the usual one under the umask for a new file. A target that is not a regular file (``/dev/stdout``, a
    FIFO) is written directly: there is nothing to rename over.
    """
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


def _is_an_input(output: str, report: Report) -> str | None:
    """The input ``output`` would overwrite, if any: lpdoctor never writes over what it reads."""
    for i in report.inputs:
        if i.path == "-":
            continue
        try:
            if os.path.samefile(output, i.path):
                return i.path
        except OSError:
            continue
    return None


def _is_a_config_read(output: str, report: Report) -> str | None:
    """The configuration file (an include too) ``output`` would overwrite, if any."""
    for path in report.config_files:
        try:
            if os.path.samefile(output, path):
                return path
        except (OSError, ValueError):
            continue
    return None


def emit(report: Report, output_format: str, output: str | None) -> None:
    try:
        baseline = finish(report)  # --select/--ignore/--severity, suppressions, the baseline
    except LintError as exc:
        fail(str(exc))
        return
    if baseline is not None:
        overwritten = _is_an_input(baseline[0], report) or _is_a_config_read(baseline[0], report)
        if overwritten is not None:
            fail(
                f"--update-baseline {baseline[0]}: that is an input ({overwritten}); lpdoctor does not overwrite its inputs"
            )
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
        overwritten = _is_an_input(output, report)
        if overwritten is not None:
            fail(f"--output {output}: that is an input ({overwritten}); lpdoctor does not overwrite its inputs")
        buf = io.StringIO()
        render(safe_report, buf)
        try:
            write_atomically(output, buf.getvalue())
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror or exc}")
        warn(f"{fmt} report written to {output}{report_tally(report)}")
        return
    render(safe_report, sys.stdout)
    sys.stdout.flush()


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
