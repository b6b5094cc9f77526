"""``lpdoctor config``: the effective configuration, and where each value comes from.

Values come from lpdoctor's defaults, then ``[tool.lpdoctor]`` in ``pyproject.toml`` or ``.lpdoctor.toml``
(found from the working directory upwards: :mod:`lpdoctor.app.settings`), then the command line. The options
here are those of ``check-config`` and ``scan`` that the file can set, so ``lpdoctor config --fail-on warning``
shows what a run with that option would use.
"""

from __future__ import annotations

import json

import click

from lpdoctor.app.settings import FAIL_ON, FORMATS, KEYS
from lpdoctor.commands.lint import effective, from_settings, lint_options
from lpdoctor.text.safety import safe


def _toml(value: object) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, str):
        return json.dumps(safe(value, 500))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{safe(str(k), 200)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(safe(str(value), 500))


@click.command("config")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="error", callback=from_settings("fail-on"))
@click.option(
    "--format", "-f", "output_format", type=click.Choice(FORMATS), default="auto", callback=from_settings("format")
)
@click.option("--margin", type=click.FloatRange(min=0), default=5.0, callback=from_settings("margin"))
@click.option("--hold", "holds", multiple=True, metavar="ROUTE=DURATION", callback=from_settings("holds", tuple))
@click.option("--chain", "chain_file", metavar="FILE", callback=from_settings("chain"))
@lint_options
@click.option("--json", "as_json", is_flag=True, help="Print the configuration as JSON.")
def config_command(
    fail_on: str, output_format: str, margin: float, holds: tuple[str, ...], chain_file: str | None, as_json: bool
) -> None:
    """Print the effective configuration: every setting, its value and where it came from.

    Settings are read from [tool.lpdoctor] in pyproject.toml, or from .lpdoctor.toml, in the working directory
    or the nearest directory above it (up to the repository root); command-line options win.
    """
    settings = effective()
    if as_json:
        data = {
            "file": settings.file,
            "settings": {k: {"value": settings.get(k), "source": settings.sources[k]} for k in KEYS},
        }
        click.echo(json.dumps(data, indent=2, sort_keys=False, ensure_ascii=True))
        return
    where = safe(settings.file, 500) if settings.file else "none found (defaults only)"
    click.echo(f"# configuration file: {where}")
    width = max(len(k) for k in KEYS)
    for key in KEYS:
        unset = " (unset)" if settings.get(key) is None else ""
        click.echo(f"{key:<{width}} = {_toml(settings.get(key))}  # {safe(settings.sources[key], 300)}{unset}")
