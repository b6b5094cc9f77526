"""A text log line described once, as data: fixed literals between fields.

A :class:`TextLayout` is the one description of a positional text format. The reader's regex is made of it
(:func:`layout_regex`), and so is the compiled path's walk (``lpdoctor/scan/fastpath.py`` ``text_fields``, the C
scanner's ``parse_fields_line``): a format that states its layout gets both, and the two cannot drift apart.
nginx ``log_format`` strings become layouts (``nginx_access.log_format_layout``); Traefik's default access
line is one (``traefik_log.CLF_LAYOUT``).

Each field says what may be in it (``chars``, ``min``, ``max``, ``dash``) and what the reader does with it
(``role``, in the compiled path's vocabulary: ``skip``, ``request``, ``status``, ``duration``, ``key`` ... see
``fastpath._JSON_ROLES``). The scanner walks a line the way the regex tries it first, every quantifier greedy;
where the regex would have to backtrack, the scanner finds no match and leaves the line to the Python reader.
:func:`walkable` says whether a layout can be walked so (each field's run must stop where the literal after it
starts).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# A field of several values (nginx's $upstream_* after retries, X-Forwarded-For): [^ ,"]{0,256} joined by
# ", " or " : ", at most 65 of them.
MULTI_PATTERN = r"(?:[^ ,\"]{0,256}(?:(?:, | : )[^ ,\"]{0,256}){0,64})"
# What may be in a field: anything but the first character of the literal after it ("any"), no blank
# ("token": \S), digits ("digits": \d), no blank and no quote ("bare": [^\s"], a logfmt value), no quote and
# no backslash ("quoted": [^"\\], a logfmt quoted value without escapes, followed by its closing quote).
CHARS = ("any", "token", "digits", "bare", "quoted", "set")
# Or a set of ASCII characters, written as a regex bracket expression without negation: "[A-Za-z0-9/._-]".
_SET = re.compile(r"\[[\x20-\x7e]{1,64}\]")


def char_class(field: TextField) -> str:
    """``field.chars`` as one of :data:`CHARS` ("set" for a bracket expression)."""
    return "set" if _SET.fullmatch(field.chars) and not field.chars.startswith("[^") else field.chars


def char_set(field: TextField) -> bytes:
    """The bitmap of a "set" field's characters (bit c of byte c // 8: character c is in it); b"" otherwise."""
    if char_class(field) != "set":
        return b""
    pattern = re.compile(field.chars)
    bits = bytearray(32)
    for c in range(128):
        if pattern.fullmatch(chr(c)):
            bits[c >> 3] |= 1 << (c & 7)
    return bytes(bits)


class LayoutError(ValueError):
    """A layout whose fields cannot be told apart (a field with no literal after it but the last)."""


@dataclass(frozen=True)
class TextField:
    """One field of a :class:`TextLayout`: the literal text before it, the name of its value (an nginx variable,
    say), what the reader does with that value (``role``), whether it may hold several values joined by
    ``", "`` or ``" : "`` (``multi``), what characters it holds (``chars``: see :data:`CHARS`) and how many
    (``min``..``max``), and whether a lone ``-`` may stand in its place (``dash``, a field of digits)."""

    before: str
    name: str
    role: str
    multi: bool = False
    chars: str = "any"
    min: int = 0
    max: int = 65536
    dash: bool = False


@dataclass(frozen=True)
class TextLayout:
    """A text line as fixed literals between fields: ``fields[0].before``, field 0, ``fields[1].before``, ...,
    the last field, ``after``. ``end``: ``"blanks"`` (nginx: up to 16 blanks may follow; a last field with
    nothing after it runs lazily to them) or ``"exact"`` (the line ends there; a last field with nothing after it
    runs to the end, in its characters)."""

    fields: tuple[TextField, ...]
    after: str = ""
    end: str = "blanks"

    def literal_after(self, n: int) -> str:
        """The literal after field ``n``."""
        return self.fields[n + 1].before if n + 1 < len(self.fields) else self.after

    def runs_to_end(self, n: int) -> bool:
        """Whether field ``n`` is the last with nothing after it (it runs to the end of the line)."""
        return n + 1 == len(self.fields) and not self.after


# Each class of characters but "any" and "set": its regex, and whether a character ends its run.
_RUNS: dict[str, tuple[str, Callable[[str], bool]]] = {
    "token": (r"\S", str.isspace),
    "digits": (r"\d", lambda c: not c.isdigit()),
    "bare": (r'[^\s"]', lambda c: c.isspace() or c == '"'),
    "quoted": (r'[^"\\]', lambda c: c == '"'),
}


def _run(field: TextField) -> tuple[str, Callable[[str], bool]] | None:
    """The regex of ``field``'s characters and whether a character ends its run; None for "any" (anything but
    the literal after it)."""
    if char_class(field) == "set":
        return field.chars, lambda c: not re.fullmatch(field.chars, c)
    return _RUNS.get(field.chars)


def _field_pattern(layout: TextLayout, n: int) -> str:
    field = layout.fields[n]
    nxt = layout.literal_after(n)
    if layout.runs_to_end(n) and field.chars == "any" and layout.end == "blanks":
        return f".{{{field.min},{field.max}}}?"
    if field.multi:
        return MULTI_PATTERN
    run = _run(field)
    if run is not None:
        core = f"{run[0]}{{{field.min},{field.max}}}"
    elif not nxt:
        if layout.runs_to_end(n):
            return f".{{{field.min},{field.max}}}"
        before = field.before or (layout.fields[n - 1].name if n else "?")  # the token before it
        raise LayoutError(
            f"${field.name} is followed directly by ${layout.fields[n + 1].name} with no text between them, so the "
            f"two cannot be told apart (after {before!r})"
        )
    else:
        core = f"[^{re.escape(nxt[0])}]{{{field.min},{field.max}}}"
    return f"{core}|-" if field.dash else core


def layout_regex(layout: TextLayout) -> re.Pattern[str]:
    """The regex the reader matches a line with (group ``v<n>``: field n), to be used with ``match``: it is
    anchored at both ends."""
    parts: list[str] = ["^"]
    for n, field in enumerate(layout.fields):
        parts.append(re.escape(field.before))
        parts.append(f"(?P<v{n}>{_field_pattern(layout, n)})")
    parts.append(re.escape(layout.after))
    parts.append(r"\s{0,16}$" if layout.end == "blanks" else r"\Z")
    return re.compile("".join(parts))


def _stops(field: TextField, nxt: str) -> bool:
    """Whether the greedy run of ``field`` cannot go past the first character of ``nxt`` (so the regex, trying
    it first, never needs a shorter run)."""
    if not nxt or not nxt.isascii():
        return False
    c = nxt[0]
    if field.multi:
        return c in ' ,"'
    run = _run(field)
    if run is None:
        return True  # "any": [^c]
    return run[1](c) and not (field.dash and c == "-")


def walkable(layout: TextLayout) -> bool:
    """Whether the compiled path can walk ``layout``: ASCII literals of at most 255 characters, at most 128
    fields, each field's run stopped by the literal after it (or the last, running to the end of the line)."""
    literals = [f.before for f in layout.fields] + [layout.after]
    if not layout.fields or len(layout.fields) > 128:
        return False
    if not all(lit.isascii() and len(lit) <= 255 for lit in literals):
        return False
    for n, field in enumerate(layout.fields):
        if char_class(field) not in CHARS or (field.multi and field.chars != "any"):
            return False
        if field.dash and field.chars != "digits":  # (the scanner reads "-" in place of digits only)
            return False
        if layout.runs_to_end(n):  # (exactly: any class up to the end; blanks: "any" lazily to them)
            if field.chars == "quoted" or (field.multi and layout.end != "blanks"):
                return False
            if layout.end == "blanks" and (field.chars != "any" or field.dash):
                return False
            continue
        if not _stops(field, layout.literal_after(n)):
            return False
    return True
