"""Group requests into routes: the query is dropped and ids, UUIDs, hashes and tokens become placeholders.

``/api/v1/orders/8812/items?x=1`` → ``/api/v1/orders/{id}/items``;
``/_matrix/client/v3/rooms/!abc:example.org/messages`` → ``/_matrix/client/v3/rooms/{id}/messages``;
``/bot123456:AAE…/getUpdates`` → ``/bot{token}/getUpdates``.
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
_LONG_DIGITS = re.compile(r"\d{6}")
_MIXED_CASE = re.compile(r"[A-Za-z0-9_-]{16,256}")


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


def _segment(seg: str) -> str:
    if not seg:
        return seg
    if "%" in seg:
        seg = unquote(seg)
    if _BOT.fullmatch(seg):
        return "bot{token}"
    if _NUMBER.fullmatch(seg):
        return "{id}"
    if _UUID.fullmatch(seg):
        return "{uuid}"
    if _MATRIX_ID.fullmatch(seg) and ":" in seg:
        return "{id}"
    if _HEX.fullmatch(seg) and _DIGIT.search(seg):
        return "{hash}"
    if "@" in seg and _EMAIL.fullmatch(seg):
        return "{email}"
    if len(seg) >= 20 and _TOKENISH.fullmatch(seg) and _DIGIT.search(seg) and re.search("[A-Za-z]", seg):
        return "{token}"
    if _LONG_DIGITS.search(seg):
        return "{id}"  # m1781082843512.7, order-20261121-88812 ...
    if len(seg) >= 16 and _MIXED_CASE.fullmatch(seg) and (_case_changes(seg) >= len(seg) // 3 or _few_vowels(seg)):
        return "{token}"  # random media ids (XyZkQpLmNoPqRsTu, ALxvAMNSNRAEkJyjoBqrsrof), not CamelCase words
    if len(seg) > MAX_SEGMENT_LEN:
        return "{long}"
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
