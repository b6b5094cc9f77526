"""Mutation operators: turn a realistic input (a log line, a config file) into a hostile one.

Each operator takes the text and a :class:`random.Random`; :func:`mutate` applies a few at random. Inputs stay
close enough to the real format to get past the first checks of a parser, which is where bugs hide: a
number that is NaN or has 400 digits, a quote that never closes, a field cut in half, a control character,
invalid UTF-8 (as the replacement character lpdoctor decodes it to), a bracket nested a thousand deep.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence

# Tokens that break parsers: quotes, brackets, escapes, format strings, numbers of every odd kind
# (int() accepts "١٢٣", str.isdigit() accepts "²" which int() refuses), control characters, bidi.
HOSTILE_TOKENS: tuple[str, ...] = (
    '"',
    "'",
    "\\",
    '\\"',
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "<",
    ">",
    "%",
    "%n",
    "%s",
    "%{",
    "{0}",
    "{}",
    "${x}",
    "$",
    "\x00",
    "\x1b[2J",
    "\x1b]0;t\x07",
    "\r",
    "\t",
    "\x0b",
    "\x85",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "\ud800",
    "\\ud800",
    "\\u0000",
    "\\u001b",
    " ",
    "  ",
    "-",
    ":",
    ";",
    "=",
    "&",
    "?",
    "#",
    "/",
    "//",
    "..",
    "*",
    "+",
    "|",
    ",",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "-Infinity",
    "1e309",
    "-1e309",
    "1e-400",
    "-1",
    "-0",
    "0",
    "00",
    "-0.000",
    "0x1f",
    "1_000",
    "9" * 30,
    "9" * 400,
    "-" + "9" * 40,
    "4294967296",
    "18446744073709551616",
    "²",
    "١٢٣",
    "①",
    "١.٥",
    "۳۰s",
    "1.2.3",
    "1e",
    ".",
    "null",
    "true",
    "false",
    "[]",
    "{}",
    '""',
    "30s",
    "30ms",
    "1h30m",
    "-30s",
    "0s",
    "99999999999999999999h",
    "[bold red]",
    "[/]",
    "&access_token=S3CR3T",
    "!!python/object/apply:os.system ['true']",
    "&a [*a]",
    "*a",
)

_NUMBER = re.compile(r"-?\d{1,40}(?:\.\d{1,20})?")
_WORD = re.compile(r"[A-Za-z_]{1,40}")
_QUOTED = re.compile(r'"[^"\n]{0,200}"')

Operator = Callable[[str, random.Random], str]


def _pos(text: str, rnd: random.Random) -> int:
    return rnd.randint(0, len(text)) if text else 0


def insert_token(text: str, rnd: random.Random) -> str:
    p = _pos(text, rnd)
    return text[:p] + rnd.choice(HOSTILE_TOKENS) + text[p:]


def replace_number(text: str, rnd: random.Random) -> str:
    spots = list(_NUMBER.finditer(text))
    if not spots:
        return insert_token(text, rnd)
    m = rnd.choice(spots)
    number = rnd.choice(
        ("NaN", "inf", "-inf", "-1", "-0.5", "0", "1e309", "9" * 400, "-" + "9" * 30, "١٢٣", "²", "1.2.3", "", "0x10")
    )
    return text[: m.start()] + number + text[m.end() :]


def replace_word(text: str, rnd: random.Random) -> str:
    spots = list(_WORD.finditer(text))
    if not spots:
        return insert_token(text, rnd)
    m = rnd.choice(spots)
    return text[: m.start()] + rnd.choice(HOSTILE_TOKENS) + text[m.end() :]


def break_quote(text: str, rnd: random.Random) -> str:
    spots = list(_QUOTED.finditer(text))
    if not spots:
        return insert_token(text, rnd)
    m = rnd.choice(spots)
    inner = m.group(0)[1:-1]
    choice = rnd.randrange(4)
    if choice == 0:  # never closed
        return text[: m.start()] + '"' + inner + text[m.end() :]
    if choice == 1:  # an escaped quote inside
        return text[: m.start()] + '"' + inner + '\\"' + inner + '"' + text[m.end() :]
    if choice == 2:  # emptied
        return text[: m.start()] + '""' + text[m.end() :]
    return text[: m.start()] + '"' + inner + '""' + text[m.end() :]


def flip_char(text: str, rnd: random.Random) -> str:
    if not text:
        return chr(rnd.randrange(0x20000))
    p = rnd.randrange(len(text))
    code = rnd.choice((rnd.randrange(0x20), rnd.randrange(0x80, 0x100), rnd.randrange(0x100, 0x30000)))
    if 0xD800 <= code <= 0xDFFF and rnd.random() < 0.8:
        code = 0xFFFD
    return text[:p] + chr(code) + text[p + 1 :]


def delete_span(text: str, rnd: random.Random) -> str:
    if len(text) < 2:
        return text
    a = rnd.randrange(len(text))
    b = min(len(text), a + rnd.randint(1, max(1, len(text) // 4)))
    return text[:a] + text[b:]


def duplicate_span(text: str, rnd: random.Random) -> str:
    if not text:
        return text
    a = rnd.randrange(len(text))
    b = min(len(text), a + rnd.randint(1, 40))
    times = rnd.choice((2, 3, 10, 100, 1000))
    return text[:b] + text[a:b] * times + text[b:]


def truncate(text: str, rnd: random.Random) -> str:
    return text[: rnd.randint(0, len(text))]


def repeat_token(text: str, rnd: random.Random) -> str:
    p = _pos(text, rnd)
    token = rnd.choice(("[", "{", "(", '"', "\\", "a", "%", " ", "/", "=", ":", "-", "0", "{{", '{"a":', "[["))
    return text[:p] + token * rnd.choice((50, 500, 5000)) + text[p:]


def swap_case(text: str, rnd: random.Random) -> str:
    return text.swapcase() if rnd.random() < 0.5 else text.upper()


def mutate_json(text: str, rnd: random.Random) -> str:
    """For JSON lines (Caddy, Traefik, Envoy, Sōzune JSON): replace one value by another type or a hostile one."""
    start = text.find("{")
    if start < 0:
        return insert_token(text, rnd)
    try:
        doc = json.loads(text[start:])
    except (ValueError, RecursionError):
        return insert_token(text, rnd)
    paths: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k in list(node):
                paths.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                paths.append((node, i))
                walk(node[i])

    walk(doc)
    if not paths:
        return insert_token(text, rnd)
    parent, key = rnd.choice(paths)
    value = rnd.choice(
        (
            None,
            True,
            -1,
            0,
            1e308,
            float("nan"),
            float("inf"),
            10**40,
            "",
            "NaN",
            "\x1b[2J\ud800",
            [],
            {},
            [[[[]]]],
            {"a": {"b": None}},
            "9" * 400,
            rnd.choice(HOSTILE_TOKENS),
        )
    )
    parent[key] = value  # type: ignore[index]
    return text[:start] + json.dumps(doc)  # NaN and Infinity as Python's json writes them


def splice(text: str, rnd: random.Random, others: Sequence[str]) -> str:
    if not others:
        return text
    other = rnd.choice(others)
    a = _pos(text, rnd)
    b = _pos(other, rnd)
    return text[:a] + other[b:]


OPERATORS: tuple[Operator, ...] = (
    insert_token,
    insert_token,
    replace_number,
    replace_number,
    replace_word,
    break_quote,
    flip_char,
    flip_char,
    delete_span,
    duplicate_span,
    truncate,
    repeat_token,
    swap_case,
    mutate_json,
)

# Line operators for multi-line inputs (configs): the structure of the file, not only its characters.


def _lines_op(text: str, rnd: random.Random) -> str:
    lines = text.split("\n")
    if not lines:
        return text
    i = rnd.randrange(len(lines))
    op = rnd.randrange(5)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[rnd.randrange(len(lines))])
    elif op == 2:
        j = rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        lines[i] = rnd.choice(OPERATORS)(lines[i], rnd)
    else:
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines.insert(i, indent + rnd.choice(CONFIG_LINES))
    return "\n".join(lines)


# Lines that readers of nginx, YAML, Caddyfile, HAProxy and Apache configs must survive.
CONFIG_LINES: tuple[str, ...] = (
    "include /dev/zero;",
    "include /dev/stdin;",
    "include /proc/self/environ;",
    "include *;",
    "include ../../../../../../etc/passwd;",
    "proxy_read_timeout NaN;",
    "proxy_read_timeout -1s;",
    "proxy_read_timeout 99999999999999999999999d;",
    "location ~ ^/(a+)+$ { proxy_pass http://127.0.0.1:1; }",
    "location ~ ( { }",
    "server_name ~^(?<x>.+)$;",
    "upstream u { server 127.0.0.1:1 max_fails=NaN; }",
    "}" * 3,
    "{" * 3,
    "key: !!python/object/apply:os.system ['echo pwned > /tmp/lpdoctor-pwned']",
    "a: &a [*a, *a]",
    "b: &b [&c [*b]]",
    "- " * 50 + "x",
    "x: " + "[" * 2000,
    "timeouts: {read: NaN, write: -1, idle: 1e309}",
    "hold: 30 years",
    "backendTimeout: 18446744073709551616",
    "timeout server 0",
    "timeout server 2147483648s",
    "timeout client -1",
    "ProxyTimeout 1e309",
    'ProxyPassMatch "^/(a+)+$" "http://127.0.0.1:1/"',
    "reverse_proxy 127.0.0.1:1 { transport http { response_header_timeout NaN } }",
    "rule: PathRegexp(`^/(a+)+$`)",
    '"safe_regex": {"regex": "^/(a+)+$"}',
    "\ufeffserver {",
    "\x00",
)


def config_line_op(text: str, rnd: random.Random) -> str:
    return _lines_op(text, rnd)


def mutate(text: str, rnd: random.Random, others: Sequence[str] = (), *, multiline: bool = False) -> str:
    """Apply one to four mutations to ``text`` (line-level ones too when ``multiline``)."""
    out = text
    for _ in range(rnd.choice((1, 1, 2, 3, 4))):
        r = rnd.random()
        if r < 0.08 and others:
            out = splice(out, rnd, others)
        elif multiline and r < 0.5:
            out = _lines_op(out, rnd)
        else:
            out = rnd.choice(OPERATORS)(out, rnd)
        if len(out) > 200_000:  # mutations stay small; 1 MB inputs have their own test
            out = out[:200_000]
    return out


def random_text(rnd: random.Random, max_len: int = 200) -> str:
    """Text from scratch: hostile tokens, random characters and ordinary words."""
    parts: list[str] = []
    while sum(len(p) for p in parts) < rnd.randint(0, max_len):
        kind = rnd.random()
        if kind < 0.4:
            parts.append(rnd.choice(HOSTILE_TOKENS))
        elif kind < 0.7:
            parts.append("".join(chr(rnd.randrange(0x20, 0x7F)) for _ in range(rnd.randint(1, 12))))
        else:
            parts.append(chr(rnd.randrange(0x30000)) if rnd.random() < 0.5 else rnd.choice(("GET", "/", " ", "200")))
    return "".join(parts)
