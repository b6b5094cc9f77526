"""Hostile strings, a report poisoned with them, and checks on the raw bytes lpdoctor writes.

The checks are written independently of :mod:`lpdoctor.text.safety` on purpose: they say what may reach a
terminal or a CI log, not how lpdoctor achieves it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from enum import Enum
from typing import Any

from lpdoctor.model import Report

# (what an attacker writes, how it must show up once neutralised)
TERMINAL_PIECES: tuple[tuple[str, str], ...] = (
    ("\x1b]0;pwned-title\x07", "\\x1b]0;pwned-title\\x07"),  # OSC: set the window title
    ("\x1b[2J", "\\x1b[2J"),  # CSI: clear the screen
    ("\x1b]8;;https://evil.example/\x1b\\", "\\x1b]8;;https://evil.example/\\x1b\\"),  # OSC 8 hyperlink
    ("\r", "\\x0d"),  # carriage return: overwrite the line
    ("\x00", "\\x00"),
    ("\x08", "\\x08"),  # backspace
    ("\x9b2J", "\\x9b2J"),  # C1 CSI
    ("\u202e", "\\u202e"),  # right-to-left override
    ("\u2066", "\\u2066"),  # bidi isolate
    ("\u2028", "\\u2028"),  # line separator
    ("\u200b", "\\u200b"),  # zero-width space
    ("\U000e0041", "\\U000e0041"),  # Unicode tag (invisible text)
)
# Rich markup that must be shown as typed, never interpreted.
MARKUP_PIECES: tuple[str, ...] = ("[bold red]", "[/]", "[link=https://evil.example/]", "[blink]")

# One string with every attack; pieces are separated so each stays recognisable in the output.
TERMINAL_PAYLOAD = "P<" + "|".join(raw for raw, _ in TERMINAL_PIECES) + "|" + "|".join(MARKUP_PIECES) + ">"
# The same, plus a lone surrogate (only reachable through JSON escapes or in-process).
TERMINAL_PAYLOAD_SURROGATE = TERMINAL_PAYLOAD + "\ud800"

SECRET_MARK = "S3CR3T"

# Each: a string carrying a credential; the marker must never reach an output.
SECRET_CARRIERS: tuple[str, ...] = (
    *(
        f"/poll?timeout=30000&{name}={SECRET_MARK}{i}x&since=s72594"
        for i, name in enumerate(
            (
                "access_token",
                "token",
                "api_key",
                "key",
                "sig",
                "signature",
                "password",
                "secret",
                "auth",
                "session",
                "X-Amz-Signature",
                "client_secret",
                "refresh_token",
            )
        )
    ),
    f"/_matrix/client/v3/sync?timeout=30000&access_token=syt_YWxpY2U_{SECRET_MARK}Tok_0a1b2c",
    f"/api/poll?jwt=1&t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.{SECRET_MARK}jwtSignature",
    f"/poll/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.{SECRET_MARK}inPath/wait",
    f"/bot123456789:{SECRET_MARK}telegramAAAAAA/getUpdates?timeout=30",
    f"/bot123456789%3A{SECRET_MARK}telegramAAAAAA/getUpdates?timeout=30",
    f"https://alice:{SECRET_MARK}pw@example.org/poll",
    f"Authorization: Bearer {SECRET_MARK}bearer1234567",
    f"Authorization: Basic {SECRET_MARK}dXNlcjpwYXNz",
    f"Cookie: theme=dark; session_id={SECRET_MARK}cookie",
    f'{{"access_token": "{SECRET_MARK}json", "timeout": 30000}}',
    f"X-Api-Key: {SECRET_MARK}apikey",
    f"redirect=https%3A%2F%2Fapp%2Fcb%3Faccess_token%3D{SECRET_MARK}enc%26y%3D1",
)

# What may never appear in output text, whatever the format: C0 controls but newline and tab, DEL, C1
# controls, bidi controls, zero-width and invisible characters, line/paragraph separators, Unicode tags.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]"
)
# Select Graphic Rendition: colours and bold, the only escape sequence lpdoctor itself writes (rich).
_SGR = re.compile("\x1b\\[[0-9;]*m")


def output_text(raw: bytes, *, styled: bool = False) -> str:
    """Check the raw bytes of an output and return its text (SGR sequences removed when ``styled``).

    The bytes must be valid UTF-8; once lpdoctor's own colours are removed, no control character, escape
    sequence, bidi control or invisible character may remain.
    """
    text = raw.decode("utf-8")  # strict: lpdoctor never writes invalid UTF-8
    if styled:
        text = _SGR.sub("", text)
    bad = _FORBIDDEN.search(text)
    assert bad is None, f"raw {bad.group(0)!r} in output near {text[max(0, bad.start() - 60) : bad.end() + 60]!r}"
    return text


def json_strings(value: Any) -> list[str]:
    """Every string (keys too) in a parsed JSON document."""
    out: list[str] = []
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            out.append(str(k))
            out.extend(json_strings(v))
    elif isinstance(value, list):
        for v in value:
            out.extend(json_strings(v))
    return out


def check_json_output(raw: bytes) -> Any:
    """JSON (and SARIF) output: safe bytes, valid JSON, and no string that is unsafe once decoded (``jq -r``
    prints decoded strings to a terminal)."""
    doc = json.loads(output_text(raw))
    for s in json_strings(doc):
        bad = _FORBIDDEN.search(s)
        assert bad is None, f"decoded JSON string carries {bad.group(0)!r}: {s[:200]!r}"
    return doc


def check_github_output(raw: bytes) -> str:
    """GitHub annotations: safe bytes and every line one of lpdoctor's own workflow commands."""
    text = output_text(raw)
    for line in text.splitlines():
        assert line.startswith(("::error ", "::warning ", "::notice ", "::error::", "::warning::", "::notice::")), (
            f"a line that is not an lpdoctor annotation: {line[:200]!r}"
        )
    return text


def assert_neutralised_markers(text: str, *, surrogate: bool = False) -> None:
    """The payload reached the output, shown as visible escapes and literal markup (it was not dropped)."""
    for _, shown in TERMINAL_PIECES:
        assert shown in text, f"{shown!r} missing from the output"
    for markup in MARKUP_PIECES:
        assert markup in text, f"{markup!r} missing: rich markup was interpreted or dropped"
    if surrogate:
        assert "\\ud800" in text


# ---- a report with every string field poisoned


def _resolve(hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _resolve(args[0]) if args else None
    return hint


def poison(cls: type, text: str, _depth: int = 0) -> Any:
    """An instance of the model dataclass ``cls`` with ``text`` in every string field, recursively."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        values[f.name] = _value(_resolve(hints[f.name]), text, _depth + 1)
    return cls(**values)


def _value(hint: Any, text: str, depth: int) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is str or hint is Any or hint is object:
        return text
    if hint is bool:
        return True
    if hint is int:
        return 3
    if hint is float:
        return 12.5
    if isinstance(hint, type) and issubclass(hint, Enum):
        members = list(hint)
        return members[-1] if hint.__name__ == "Severity" else members[0]
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return poison(hint, text, depth) if depth < 6 else None
    if origin is list:
        return [_value(_resolve(args[0]), text, depth)] if args else [text]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (_value(_resolve(args[0]), text, depth),)
        return tuple(_value(_resolve(a), text, depth) for a in args)
    if origin is dict:
        return {text: _value(_resolve(args[1]), text, depth) if args else text}
    return None


def poisoned_report(text: str, command: str = "scan") -> Report:
    """A report where every string a reporter might print is ``text`` (rule ids stay real: they are
    lpdoctor's own, and reporters look them up)."""
    report = poison(Report, text)
    report.command = command
    report.findings[0].rule = "hold-cut"
    report.histograms = {text: [(0.0, 3, 0), (10.0, 1, 4), (20.0, 2, 0)]}
    report.stats = {"probe": {"url": text, "requests": [{"url": text, "detail": text}]}, text: text}
    extra_finding = poison(type(report.findings[0]), text)
    extra_finding.rule = "timeout-below-hold"
    extra_finding.location = dataclasses.replace(report.findings[0].location, file=text, line=7)
    report.findings.append(extra_finding)
    return report
