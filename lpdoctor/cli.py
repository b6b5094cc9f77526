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
        main()
    except KeyboardInterrupt:
        sys.stderr.write("lpdoctor: interrupted\n")
        raise SystemExit(130) from None
    except BrokenPipeError:
        raise SystemExit(0) from None
    except Exception as exc:  # a bug: say so in one line, keep the traceback for LPDOCTOR_DEBUG=1
        if os.environ.get("LPDOCTOR_DEBUG"):
            raise
        from .safety import safe

        sys.stderr.write(
            f"lpdoctor: internal error: {type(exc).__name__}: {safe(str(exc), 300)} "
            "(rerun with LPDOCTOR_DEBUG=1 for details, and please report it)\n"
        )
        raise SystemExit(3) from None
