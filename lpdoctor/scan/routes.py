"""Group requests into routes: the query is dropped and ids, UUIDs, hashes and tokens become placeholders.

``/api/v1/orders/8812/items?x=1`` → ``/api/v1/orders/{id}/items``;
``/_matrix/client/v3/rooms/!abc:example.org/messages`` → ``/_matrix/client/v3/rooms/{id}/messages``;
``/bot123456:AAE…/getUpdates`` → ``/bot{token}/getUpdates``;
``/img/61141.png`` → ``/img/{id}.png``; ``/static/js/main.3f2a9c1b.chunk.js`` → ``/static/js/main.{hash}.chunk.js``;
``/assets/index-BXq3k9aZ.js`` → ``/assets/index-{hash}.js``; ``/api/channels/C024BE91L`` → ``/api/channels/{id}``.

A segment's template depends on where its digits are, never on their values (except through a ``%`` escape):
two segments that differ only in the values of their digits get the same template whenever that template holds
no digit. The compiled scanner (``_combined_fast.c``) relies on it to template ``61141.png`` and ``88812.png``
with one call; tests/test_route_shapes.py checks it.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import unquote

MAX_SEGMENTS = 12
MAX_SEGMENT_LEN = 80
MAX_DIGIT_ID = 41  # all-digit segments up to this long are "{id}" without a regex

_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_NUMBER = re.compile(r"[0-9][0-9_.,-]{0,40}")
_HEX = re.compile(r"[0-9a-fA-F]{12,128}")
_MATRIX_ID = re.compile(r"[!@$#+][^/]{1,255}")
_EMAIL = re.compile(r"[^/@]{1,64}@[^/@]{1,255}\.[A-Za-z]{2,24}")
_BOT = re.compile(r"bot\d{3,20}:[A-Za-z0-9_-]{10,200}")
_TOKENISH = re.compile(r"[A-Za-z0-9_=+.~-]{20,512}")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile("[A-Za-z]")
_LONG_DIGITS = re.compile(r"\d{6}")
_MIXED_CASE = re.compile(r"[A-Za-z0-9_-]{16,256}")
# Matrix event ids of room versions 3+ ("$" and 43 base64 characters, no server name) and similar sigil ids.
_SIGIL_ID = re.compile(r"[$!][A-Za-z0-9_+/=-]{16,255}")
# Slack/Stripe-style object ids: upper-case letters and digits mixed (C024BE91L, U0G9QF9C6, 01KTRXAHVP1HAYVEXW...).
_UPPER_ID = re.compile(r"[A-Z0-9]{8,40}")
# A file name: a stem, then an extension of letters (and digits after the first), or several (.chunk.js).
_FILE_NAME = re.compile(r"[^.]+(?:\.[^.]+)*\.[A-Za-z][A-Za-z0-9]{0,5}")
_PIECES = re.compile(r"([._~-])")
_HEX_PIECE = re.compile(r"[0-9a-f]{7,128}|[0-9A-F]{7,128}")
_ALNUM_PIECE = re.compile(r"[A-Za-z0-9]{8,128}")
_VITE_STEM = re.compile(r"(.+)-([A-Za-z0-9_-]{8})")  # Vite/Rollup: name-HASH8.js, the hash base64url


def split_target(target: str) -> tuple[str, str]:
    """``/a/b?x=1#f`` → ``("/a/b", "x=1")``."""
    hash_at = target.find("#")
    if hash_at >= 0:
        target = target[:hash_at]
    q = target.find("?")
    if q < 0:
        return target, ""
    return target[:q], target[q + 1 :]


def _case_changes(seg: str) -> int:
    return sum(1 for a, b in itertools.pairwise(seg) if a.isalpha() and b.isalpha() and a.isupper() != b.isupper())


def _few_vowels(seg: str) -> bool:
    """Random letters are about 19 % vowels, English words nearer 38 %: both cases and few vowels is an id."""
    letters = [c for c in seg if c.isalpha()]
    if not letters or not any(c.isupper() for c in letters) or not any(c.islower() for c in letters):
        return False
    return sum(1 for c in letters if c in "aeiouAEIOU") / len(letters) < 0.28


def _transitions(piece: str) -> int:
    """How often a piece switches between letters and digits (``BXq3k9aZ``: 4; ``Windows10``: 1)."""
    return sum(1 for a, b in itertools.pairwise(piece) if a.isdigit() != b.isdigit())


def _upper_id(seg: str) -> bool:
    """Capitals and digits as in ids, not in words (README, X86, HTTP2): digits among the letters, or a digit and
    hardly a vowel."""
    letters = [c for c in seg if c.isalpha()]
    digits = len(seg) - len(letters)
    if not letters or not digits:
        return False
    return _transitions(seg) >= 2 or sum(1 for c in letters if c in "AEIOU") / len(letters) < 0.25


def _random_piece(piece: str) -> bool:
    """Whether a piece of a file name or id looks generated: a hex hash with a digit, letters and digits mixed
    as no word is (at least two switches between them), or 16+ letters whose case flips as in no word."""
    if _HEX_PIECE.fullmatch(piece):
        return any(c.isdigit() for c in piece) and any(c.isalpha() for c in piece)
    if not _ALNUM_PIECE.fullmatch(piece):
        return False
    if any(c.isdigit() for c in piece):
        return any(c.isalpha() for c in piece) and _transitions(piece) >= 2
    return len(piece) >= 16 and (_case_changes(piece) >= len(piece) // 3 or _few_vowels(piece))


def _random_tail(tail: str) -> bool:
    """The 8 characters after the last ``-`` of a Vite/Rollup chunk name (``BXq3k9aZ``, ``D_f-2kQa``, ``PtXLICHK``);
    not a word (``Settings``, ``my_story``) nor a number."""
    if not any(c.isalpha() for c in tail):
        return False
    if any(c.isdigit() for c in tail):
        return True
    if not any(c.isupper() for c in tail[1:]):  # Settings, my_story, lowercase words
        return False
    return "_" in tail or "-" in tail or _case_changes(tail) >= 3 or _few_vowels(tail)


def _in_version(parts: list[str], i: int) -> bool:
    """Whether the number ``parts[i]`` is one of a dotted version (``jquery-3.6.0.min.js``)."""
    before = i >= 2 and parts[i - 1] == "." and parts[i - 2].isdigit() and len(parts[i - 2]) <= 4
    after = i + 2 < len(parts) and parts[i + 1] == "." and parts[i + 2].isdigit() and len(parts[i + 2]) <= 4
    return before or after


def _pieces(seg: str) -> str:
    """Template the generated parts of a segment the whole-segment rules left alone: numbers of three digits or
    more (in a file name, any number but a version's) and hashes between ``.``, ``-``, ``_`` or ``~`` (``app.27961.js``,
    ``main.3f2a9c1b.chunk.js``, ``61141_128.jpg``, ``index-BXq3k9aZ.js``). Words stay as they are."""
    is_file = seg[0] != "." and _FILE_NAME.fullmatch(seg) is not None
    if is_file:
        dot = seg.find(".")
        m = _VITE_STEM.fullmatch(seg[:dot])
        if m and _random_tail(m.group(2)) and not m.group(2).isdigit():
            return f"{_pieces(m.group(1)) if m.group(1) else ''}-{{hash}}{seg[dot:]}"
    parts = _PIECES.split(seg)
    changed = False
    for i in range(0, len(parts), 2):
        piece = parts[i]
        if not piece or (is_file and i == len(parts) - 1):  # the extension stays
            continue
        if piece.isdigit() and piece.isascii() and (len(piece) >= 3 or (is_file and not _in_version(parts, i))):
            parts[i], changed = "{id}", True
        elif _random_piece(piece):
            parts[i], changed = "{hash}", True
    return "".join(parts) if changed else seg


def _segment(seg: str) -> str:
    if not seg:
        return seg
    if "%" in seg:
        seg = unquote(seg)
    # Each regex is tried only where it can match (its first character, its length): cheaper, same result.
    first = seg[0]
    if first == "b" and _BOT.fullmatch(seg):
        return "bot{token}"
    if "0" <= first <= "9" and _NUMBER.fullmatch(seg):
        return "{id}"
    if 32 <= len(seg) <= 36 and _UUID.fullmatch(seg):
        return "{uuid}"
    if first in "!@$#+" and _MATRIX_ID.fullmatch(seg) and ":" in seg:
        return "{id}"
    if len(seg) >= 12 and _HEX.fullmatch(seg) and _DIGIT.search(seg):
        return "{hash}"
    if "@" in seg and _EMAIL.fullmatch(seg):
        return "{email}"
    if "." in seg and seg[0] != "." and _FILE_NAME.fullmatch(seg) and len(seg) <= MAX_SEGMENT_LEN:
        return _pieces(seg)  # a file name: its generated parts only (app.{id}.js), never the name as a token
    if len(seg) >= 20 and _TOKENISH.fullmatch(seg) and _DIGIT.search(seg) and _LETTER.search(seg):
        return "{token}"
    if _LONG_DIGITS.search(seg):
        return "{id}"  # m1781082843512.7, order-20261121-88812 ...
    if len(seg) >= 16 and _MIXED_CASE.fullmatch(seg) and (_case_changes(seg) >= len(seg) // 3 or _few_vowels(seg)):
        return "{token}"  # random media ids (XyZkQpLmNoPqRsTu, ALxvAMNSNRAEkJyjoBqrsrof), not CamelCase words
    if _SIGIL_ID.fullmatch(seg):
        return "{id}"  # $YUwRidLecu9k5V_fdNzdBvn0IqeFz6TAPq5b0ly0bY4 (a Matrix event id)
    if _UPPER_ID.fullmatch(seg) and _upper_id(seg):
        return "{id}"  # C024BE91L, U0G9QF9C6, CTVXRQEBXD6
    if len(seg) > MAX_SEGMENT_LEN:
        return "{long}"
    if any(c in "._~-" for c in seg):
        return _pieces(seg)
    return seg


def normalize_path(path: str, templates: dict[str, str] | None = None) -> str:
    """The route template of a request path (query already removed); ``templates`` caches segment templates."""
    if not path.startswith("/"):
        # "*" (OPTIONS), absolute-form targets ("http://host/x") or garbage.
        if path.startswith(("http://", "https://")):
            rest = path.split("://", 1)[1]
            slash = rest.find("/")
            path = rest[slash:] if slash >= 0 else "/"
        else:
            return "{invalid}" if path not in ("*",) else "*"
    parts = path.split("/")
    if len(parts) > MAX_SEGMENTS + 1:
        parts = [*parts[: MAX_SEGMENTS + 1], "…"]
    out = []
    for seg in parts:
        if seg.isdigit() and seg.isascii() and len(seg) <= MAX_DIGIT_ID:
            out.append("{id}")  # the commonest id, decided without a regex (what _segment says of it)
            continue
        if templates is None:
            out.append(_segment(seg))
            continue
        template = templates.get(seg)
        if template is None:
            template = templates[seg] = _segment(seg)
        out.append(template)
    return "/".join(out)


def segment_template(seg: str) -> str:
    """The template of one segment of a path that :func:`normalize_path` cuts itself (it starts with ``/``
    and has at most :data:`MAX_SEGMENTS` + 1 parts): what it puts in the route for ``seg``."""
    if seg.isdigit() and seg.isascii() and len(seg) <= MAX_DIGIT_ID:
        return "{id}"
    return _segment(seg)


class RouteCache:
    """Remember the route of recent paths, and the template of recent segments: real logs repeat both a lot
    (paths differ by an id; segments such as ``api`` or ``users`` do not). Both caches are bounded."""

    def __init__(self, size: int = 16384) -> None:
        self._size = size
        self._cache: dict[str, str] = {}
        self._templates: dict[str, str] = {}

    def route(self, path: str) -> str:
        r = self._cache.get(path)
        if r is None:
            if len(self._cache) >= self._size:
                self._cache.clear()
            if len(self._templates) >= self._size:
                self._templates.clear()
            r = normalize_path(path, self._templates)
            self._cache[path] = r
        return r
