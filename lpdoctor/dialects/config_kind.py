"""What a file given to ``check-config`` is, when it is no proxy configuration at all.

A CI lint must not pass what it did not read: an empty file, a binary, or an access log handed to
``check-config`` used to be read as an nginx config with nothing in it ("No findings", exit 0). Before any
reader sees a file, :func:`not_a_config` says what it really is, in one line, and :func:`is_app_server_file`
picks out the app-server files (``gunicorn.conf.py``, a Procfile, a Dockerfile, Go sources, a uWSGI ini)
that ``check-config`` reads as if given with ``--app``.
"""

from __future__ import annotations

import os

from lpdoctor.dialects.app_servers import file_kind
from lpdoctor.text.inputs import InputError, read_input

SNIFF_BYTES = 64 << 10
SNIFF_LINES = 20
APP_KINDS = ("gunicorn-conf", "procfile", "dockerfile", "go", "uwsgi-ini")


def is_app_server_file(path: str) -> bool:
    """A file whose name says it holds app-server settings, and no proxy's (``gunicorn.conf.py`` ...)."""
    name = os.path.basename(path)
    return path != "-" and (file_kind(name) in APP_KINDS or name.lower().endswith(".py"))


def not_a_config(path: str) -> str | None:
    """Why ``path`` is no configuration lpdoctor could check (one line, with the file), or None.

    Unreadable files are left to the readers, which say why; this only looks at what a readable file holds.
    """
    try:
        head = read_input(path, 64 << 20)[:SNIFF_BYTES]
    except InputError:
        return None
    shown = "<stdin>" if path == "-" else path
    if _is_binary(head[:8192]):
        return f"{shown}: binary data, not a configuration file"
    text = head.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines()]
    meaningful = [line for line in lines if line and not line.startswith(("#", "//", ";"))]
    if not meaningful:
        what = "empty" if not any(lines) else "only comments"
        return f"{shown}: the file is {what}: there is no configuration to check"
    log = _log_format(meaningful[:SNIFF_LINES])
    if log is not None:
        return (
            f"{shown}: this is an access or error log ({log}), not a configuration: "
            f"use `lpdoctor scan {path}`, or `check-config --log {path}` beside a config"
        )
    return None


_CONTROL = bytes(c for c in range(32) if chr(c) not in "\t\n\r\f\x1b") + b"\x7f"


def _is_binary(head: bytes) -> bool:
    """An executable, an archive, an image: a magic number, or more than one byte in ten a control character
    (a text config with a stray escape sequence or NUL in a value is still read, and shown escaped)."""
    if head.startswith((b"\x7fELF", b"\x1f\x8b", b"PK\x03\x04", b"\x89PNG", b"%PDF", b"\xfe\xed", b"\xcf\xfa")):
        return True
    return bool(head) and sum(head.count(c) for c in _CONTROL) * 10 > len(head)


def _log_format(sample: list[str]) -> str | None:
    """The log format most of ``sample`` parses in, if most of it does."""
    from lpdoctor.logformats.registry import all_formats

    best: tuple[int, str] | None = None
    for fmt in all_formats():
        parse = fmt.parser()
        hits = 0
        for i, line in enumerate(sample):
            try:
                hits += parse(line, i + 1, "<sniff>") is not None
            except Exception:  # a parser bug must not stop recognition
                continue
        if best is None or hits > best[0]:
            best = (hits, fmt.name)
    if best is not None and best[0] * 2 > len(sample):
        return best[1]
    return None
