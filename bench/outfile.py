"""Writing a bench log: atomically into a regular file, directly into anything else.

A log is written to a temporary file renamed into place, so a run never reads half a log. A rename replaces what
the path names, so a path that is not a regular file (``/dev/stdout``, a FIFO, a symlink) is written directly:
renaming onto ``/dev/stdout`` as root replaced that symlink with a regular file.
"""

from __future__ import annotations

import os


def staging(path: str) -> str:
    """Where to write ``path``'s new content: a temporary file beside it, or ``path`` itself when it exists and is
    not a regular file, or is a symlink."""
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
        return path
    return f"{path}.tmp{os.getpid()}"


def finish(written: str, path: str) -> None:
    """Put what :func:`staging` gave in place."""
    if written != path:
        os.replace(written, path)
