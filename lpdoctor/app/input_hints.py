"""What to say when ``scan`` gets an input it cannot read as a log: a configuration given instead of a log, or a
log in a custom format without ``--log-format``.

Only regular files are looked at again (a FIFO or standard input has been consumed by the scan; reading it
again could block), and only their first 64 KiB. The line shown is made safe (no terminal escapes, secrets
redacted) and shortened.
"""

from __future__ import annotations

import os
import re
import stat

from lpdoctor.dialects.registry import sniff_config
from lpdoctor.model import InputSummary
from lpdoctor.text.safety import safe

HEAD_BYTES = 64 << 10
SHOWN = 160

_NGINX = re.compile(
    r"^\s*(?:(?:http|server|location|upstream|events|stream)\b[^;{}\n]*\{"
    r"|(?:proxy_pass|proxy_read_timeout|listen|server_name|worker_processes|include|access_log|log_format)\s)",
    re.MULTILINE,
)


def _head(path: str) -> str | None:
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        with open(path, "rb") as fh:
            raw = fh.read(HEAD_BYTES)
    except (OSError, ValueError):  # ValueError: a NUL or a lone surrogate in the path
        return None
    if raw[:2] == b"\x1f\x8b" or b"\x00" in raw[:8192]:
        return None  # compressed or binary: the scan said what it could
    return raw.decode("utf-8", "replace")


def config_kind(path: str, head: str | None = None) -> str | None:
    """``nginx``, ``haproxy``, ``caddy`` ... when ``path`` looks like a proxy configuration rather than a log."""
    head = _head(path) if head is None else head
    if not head:
        return None
    if len(_NGINX.findall(head)) >= 2:
        return "nginx"
    try:
        return sniff_config(path, head)
    except Exception:  # a hint must never break the error it explains
        return None


def _line(head: str, line_no: int) -> str | None:
    lines = head.splitlines()
    if 1 <= line_no <= len(lines) and (line_no < len(lines) or head.endswith("\n")):
        return lines[line_no - 1]
    return None


def unreadable_log_message(summary: InputSummary) -> str:
    """The one line for an input of which no line was in a known format."""
    path = summary.path
    head = _head(path) if path != "-" else None
    kind = config_kind(path, head) if head else None
    if kind is not None:
        also = f" (or `lpdoctor scan --nginx-conf {path} LOG...` to read its logs)" if kind == "nginx" else ""
        return f"{path}: this is {'an' if kind[0] in 'aeiou' or kind == 'nginx' else 'a'} {kind} configuration, not a log: check it with `lpdoctor check-config {path}`{also}"
    numbers = ", ".join(str(n) for n in summary.skipped_lines)
    message = (
        f"{path}: no line in a known format (first unparsed lines: {numbers}). A custom nginx log_format? Give it with --log-format '...' or "
        "--nginx-conf nginx.conf (`lpdoctor formats` lists the formats read)"
    )
    first = summary.skipped_lines[0] if summary.skipped_lines else None
    text = _line(head, first) if head is not None and first is not None else None
    if text is not None:  # last: a redaction in it cannot swallow the advice
        message += f"; line {first} reads: {safe(text, SHOWN)}"
    return message
