"""The options that make ``lpdoctor`` a CI lint: ``--select``, ``--ignore``, ``--severity``, ``--baseline``,
``--update-baseline``, ``--color``, and the project configuration (:mod:`lpdoctor.app.settings`) behind the
options a command line leaves out.

The lint options do not reach the commands' functions: their values are kept on the click context, and
:func:`finish` applies them to the report just before it is rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from lpdoctor.app.baseline import BaselineError
from lpdoctor.app.policy import Policy, apply_policy
from lpdoctor.app.settings import SEVERITIES, Settings, SettingsError, load_settings
from lpdoctor.model import Report

F = TypeVar("F", bound=Callable[..., Any])
META = "lpdoctor.lint"
SETTINGS = "lpdoctor.settings"


class LintError(Exception):
    """A lint option or configuration that cannot be used; ``str()`` is the one line shown."""


def project_settings(ctx: click.Context | None = None) -> Settings:
    """The project configuration, read once per run."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return load_settings()
    root = ctx.find_root()
    settings = root.meta.get(SETTINGS)
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as exc:
            click.echo(f"lpdoctor: {exc}", err=True)
            raise SystemExit(2) from None
        root.meta[SETTINGS] = settings
    return settings


def from_settings(key: str, convert: Callable[[Any], Any] | None = None) -> Callable[..., Any]:
    """A click callback: the option's value when the command line gives it, else the project's, else the default."""

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        source = ctx.get_parameter_source(param.name or "")
        settings = project_settings(ctx)
        if source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT, ParameterSource.PROMPT):
            settings.set(key, value, "command line")
            return value
        if settings.sources.get(key, "default") == "default":
            return value
        found = settings.get(key)
        return convert(found) if convert else found

    return callback


def _lint_meta(ctx: click.Context) -> dict[str, Any]:
    meta: dict[str, Any] = ctx.meta.setdefault(META, {})
    return meta


def _store(key: str) -> Callable[..., None]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        source = ctx.get_parameter_source(param.name or "")
        given = source == ParameterSource.COMMANDLINE
        if key == "severity":
            parsed: dict[str, str] = {}
            for item in value or ():
                rule, sep, level = item.partition("=")
                if not sep or not rule or level not in SEVERITIES:
                    raise click.BadParameter(f"{item!r}: expected RULE=LEVEL, LEVEL one of {', '.join(SEVERITIES)}")
                parsed[rule.strip()] = level
            value = parsed
        elif key in ("select", "ignore"):
            value = [r.strip() for item in value or () for r in item.split(",") if r.strip()]
        _lint_meta(ctx)[key] = value if given else None

    return callback


def lint_options(func: F) -> F:
    """``--select``, ``--ignore``, ``--severity``, ``--baseline``, ``--update-baseline``, ``--color``."""
    options = [
        click.option(
            "--color",
            type=click.Choice(["auto", "always", "never"]),
            default="auto",
            show_default=True,
            expose_value=False,
            callback=_store("color"),
            help="Colour in the rich report: always (even into a pipe), never (-f auto then writes text), auto.",
        ),
        click.option(
            "--update-baseline",
            metavar="FILE",
            expose_value=False,
            callback=_store("update_baseline"),
            help="Write every current finding to FILE as the baseline (sorted JSON, no line numbers).",
        ),
        click.option(
            "--baseline",
            metavar="FILE",
            expose_value=False,
            callback=_store("baseline"),
            help="Findings recorded in FILE (--update-baseline) are listed apart and do not count for --fail-on.",
        ),
        click.option(
            "--severity",
            metavar="RULE=LEVEL",
            multiple=True,
            expose_value=False,
            callback=_store("severity"),
            help="Report RULE (an id or prefix) at LEVEL (error, warning, info). Repeatable.",
        ),
        click.option(
            "--ignore",
            metavar="RULE,...",
            multiple=True,
            expose_value=False,
            callback=_store("ignore"),
            help="Leave out these rules (ids or prefixes, e.g. timeout- or keepalive-race).",
        ),
        click.option(
            "--select",
            metavar="RULE,...",
            multiple=True,
            expose_value=False,
            callback=_store("select"),
            help="Report only these rules (ids or prefixes). Default: every rule.",
        ),
    ]
    for option in options:
        func = option(func)
    return func


def effective(ctx: click.Context | None = None) -> Settings:
    """The project settings with the lint options of this command line laid over them."""
    ctx = ctx or click.get_current_context(silent=True)
    settings = project_settings(ctx)
    if ctx is None:
        return settings
    meta = _lint_meta(ctx)
    for key, name in (("select", "select"), ("ignore", "ignore"), ("severity", "severity"), ("baseline", "baseline")):
        value = meta.get(name)
        if value:
            settings.set(key, value, "command line")
    return settings


def color_choice() -> str:
    ctx = click.get_current_context(silent=True)
    return (_lint_meta(ctx).get("color") if ctx is not None else None) or "auto"


def finish(report: Report) -> tuple[str, str] | None:
    """Apply selection, severities, suppressions and the baseline to ``report``.

    Returns ``(path, text)`` of the baseline to write for ``--update-baseline``, or None.
    """
    ctx = click.get_current_context(silent=True)
    settings = effective(ctx)
    meta = _lint_meta(ctx) if ctx is not None else {}
    policy = Policy(
        select=list(settings.get("select")),
        ignore=list(settings.get("ignore")),
        severity=dict(settings.get("severity")),
        baseline=settings.get("baseline"),
        update_baseline=meta.get("update_baseline"),
    )
    try:
        new_baseline = apply_policy(report, policy)
    except BaselineError as exc:
        raise LintError(str(exc)) from None
    if new_baseline is None or policy.update_baseline is None:
        return None
    return policy.update_baseline, new_baseline
