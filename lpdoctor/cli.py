"""The ``lpdoctor`` command line: one click group, one module per command in :mod:`lpdoctor.commands`."""

from __future__ import annotations

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lpdoctor")
def main() -> None:
    """Find the hop that cuts your HTTP long-polls: from logs, proxy configs and live probes."""


def _register() -> None:
    from .commands import COMMANDS

    for command in COMMANDS:
        main.add_command(command)


_register()
