"""Invisible code points never reach an output as themselves.

U+206A (inhibit symmetric swapping), U+00AD (soft hyphen), U+3164 (Hangul filler), U+FE0F (variation selector
16) and U+180E (Mongolian vowel separator) went through the sanitiser (issue 12): terminals and rich disagree on
their width, so a route holding one broke the border of rich's panels, and they hide text from a reader. Each is
a Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt): the sanitiser now escapes that whole
property, the bidi controls and the control, format and separator categories, from a table generated from the
Unicode Character Database (lpdoctor.text._invisible.py, scripts/gen_invisible.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from lpdoctor.text._invisible import INVISIBLE_RANGES, UNICODE_VERSION
from lpdoctor.text.safety import clean
from tests.logfactory import kv_line
from tests.realworld import require_real

ISSUE_POINTS = ("\u206a", "\u00ad", "\u3164", "\ufe0f", "\u180e")
# More Default_Ignorable code points of other kinds: combining grapheme joiner, Hangul fillers, Khmer inherent
# vowels, Mongolian free variation selectors, a reserved one (U+2065), halfwidth Hangul filler, a variation
# selector supplement, a reserved default-ignorable plane-14 point.
MORE_POINTS = ("\u034f", "\u115f", "\u1160", "\u17b4", "\u180b", "\u2065", "\uffa0", "\U000e0100", "\U000e0fff")


def escaped(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


@pytest.mark.parametrize("ch", ISSUE_POINTS + MORE_POINTS)
def test_every_default_ignorable_code_point_is_escaped(ch: str) -> None:
    out = clean(f"/a{ch}b")
    assert ch not in out
    assert out == f"/a{escaped(ch)}b"


def test_visible_text_is_left_alone() -> None:
    text = "/_matrix/client/v3/sync — Zürich 東京 ñ ❤ 😀"
    assert clean(text) == text


def test_the_table_holds_every_control_format_and_separator_python_knows() -> None:
    """Python's own database, where it is not newer than the table's, agrees on the categories."""
    if tuple(map(int, unicodedata.unidata_version.split("."))) > tuple(map(int, UNICODE_VERSION.split("."))):
        pytest.skip("Python's Unicode is newer than the table's")
    table = {cp for lo, hi in INVISIBLE_RANGES for cp in range(lo, hi + 1)}
    for cp in range(0x110000):
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            assert cp in table, hex(cp)


def test_the_table_is_the_one_the_generator_makes_from_the_ucd() -> None:
    ucd = Path("/usr/share/unicode")  # Debian's unicode-data
    if not (ucd / "DerivedCoreProperties.txt").exists():
        require_real("no Unicode Character Database in /usr/share/unicode (apt-get install unicode-data)")
    if UNICODE_VERSION not in (ucd / "DerivedCoreProperties.txt").read_text(encoding="utf-8").splitlines()[0]:
        pytest.skip("the installed Unicode Character Database is another version than the table's")
    repo = Path(__file__).resolve().parent.parent
    made = subprocess.run(
        [sys.executable, str(repo / "scripts" / "gen_invisible.py"), str(ucd)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert made == (repo / "lpdoctor" / "text" / "_invisible.py").read_text(encoding="utf-8")


def test_a_rich_report_draws_them_escaped(tmp_path: Path) -> None:
    """On a forced terminal, routes holding them come out escaped."""
    lines = []
    for j, ch in enumerate(ISSUE_POINTS):
        for i in range(6):
            status = 504 if i % 2 else 200
            lines.append(kv_line(f"/poll{ch}x{j}?timeout=30000", status, 10.0 if status == 504 else 30.0, i=i + 10 * j))
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    r = subprocess.run(
        [sys.executable, "-m", "lpdoctor", "scan", str(log), "-f", "rich"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "COLUMNS": "160", "FORCE_COLOR": "1", "TERM": "xterm-256color"},
        check=False,
    )
    assert r.returncode == 1, r.stderr
    for ch in ISSUE_POINTS:
        assert ch not in r.stdout
        assert escaped(ch) in r.stdout
