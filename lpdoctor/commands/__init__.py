"""One module per command; :data:`COMMANDS` is what ``lpdoctor`` offers."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
