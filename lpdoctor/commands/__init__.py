"""One module per command; :data:`COMMANDS` is what ``lpdoctor`` offers."""

from __future__ import annotations

import click

from .check_config import check_config_command
from .merge import merge_command
from .probe import probe_command
from .rules import explain_command, rules_command
from .scan import scan_command

COMMANDS: list[click.Command] = [
    scan_command,
    merge_command,
    check_config_command,
    probe_command,
    rules_command,
    explain_command,
]
