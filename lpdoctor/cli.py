"""The ``lpdoctor`` command line: one click group, one module per command in :mod:`lpdoctor.commands`."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

import click

from lpdoctor import __version__
from lpdoctor.commands import COMMANDS


class LazyCommands(MutableMapping[str, click.Command]):
    """The group's commands by name; a command's module is imported the first time the command is looked up.

    ``lpdoctor scan`` looks up one command, so it imports one command module; ``lpdoctor --help`` and anything
    that goes through every command (``.items()``) import them all, and see exactly the commands a plain dict
    would hold.
    """

    def __init__(self, where: dict[str, str], package: str) -> None:
        self._where = dict(where)  # name -> "module:attribute", not imported yet
        self._package = package
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        command = self._loaded.get(name)
        if command is None:
            module, attribute = self._where[name].split(":")
            command = getattr(importlib.import_module(module, self._package), attribute)
            if not isinstance(command, click.Command) or command.name != name:
                raise TypeError(f"{self._where[name]} is not the command {name!r}")
            self._loaded[name] = command
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._where.pop(name, None)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._where.pop(name, None)
        self._loaded.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*self._where, *self._loaded]))

    def __len__(self) -> int:
        return len(self._where.keys() | self._loaded.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._where or name in self._loaded


@click.group(
    commands=LazyCommands(COMMANDS, "lpdoctor.commands"), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, prog_name="lpdoctor")
def main() -> None:
    """Find the hop that cuts your HTTP long-polls: from logs, proxy configs and live probes."""
    from lpdoctor.dialects.config_regex import reset_budget
    from lpdoctor.text.inputs import begin_run

    begin_run([])  # a run's inputs, which no output may overwrite, start empty (commands/common.py)
    reset_budget()  # and a new time budget for regular expressions from configs


def run() -> None:
    """Entry point: no traceback reaches the user unless LPDOCTOR_DEBUG is set."""
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        # A terminal or CI log that cannot show a character gets an escape, not a crash (LANG=C, latin-1).
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        # Not click's standalone mode: it turns Ctrl-C into "Aborted!" and exit 1, the code for "findings".
        code = main.main(standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        sys.stderr.write("lpdoctor: interrupted\n")
        raise SystemExit(130) from None
    except click.ClickException as exc:  # a usage error: click's message, exit 2
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except BrokenPipeError:
        from lpdoctor.commands.common import abandon_stdout

        abandon_stdout()
        raise SystemExit(0) from None
    except Exception as exc:  # a bug: say so in one line, keep the traceback for LPDOCTOR_DEBUG=1
        if os.environ.get("LPDOCTOR_DEBUG"):
            raise
        from lpdoctor.text.safety import safe

        sys.stderr.write(
            f"lpdoctor: internal error: {type(exc).__name__}: {safe(str(exc), 300)} "
            "(rerun with LPDOCTOR_DEBUG=1 for details, and please report it)\n"
        )
        raise SystemExit(3) from None
    raise SystemExit(code if isinstance(code, int) else 0)
