"""Write lpdoctor.text._invisible.py: the code points :func:`lpdoctor.text.safety.clean` never lets through as themselves.

    python scripts/gen_invisible.py /usr/share/unicode > lpdoctor.text._invisible.py

The argument is a folder with the Unicode Character Database files (Debian's ``unicode-data`` package installs
them in /usr/share/unicode; https://www.unicode.org/Public/<version>/ucd/ has the same files). The set is the
union of:

- ``Default_Ignorable_Code_Point`` (DerivedCoreProperties.txt): code points a renderer shows as nothing when it
  does not support them — soft hyphen U+00AD, Hangul fillers U+115F/U+3164/U+FFA0, Mongolian vowel separator
  U+180E, variation selectors U+FE00-FE0F, tags U+E0000-E0FFF ... Terminals and rich disagree on their width,
  which is what breaks a panel's border, and they hide text from a reader;
- ``Bidi_Control`` (PropList.txt): the reordering controls of "Trojan Source" (U+202A-202E, U+2066-2069 ...);
- ``Noncharacter_Code_Point`` (PropList.txt);
- the general categories Cc (controls), Cf (format), Cs (surrogates), Zl and Zp (line and paragraph
  separators) from UnicodeData.txt;
- U+FFF9-FFFB (interlinear annotations; Cf, listed for the record).

Python's :mod:`unicodedata` has the categories but not these properties, hence a table.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def ranges_with_property(path: Path, prop: str) -> list[tuple[int, int]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        cps, name = (part.strip() for part in line.split(";")[:2])
        if name != prop:
            continue
        lo, _, hi = cps.partition("..")
        out.append((int(lo, 16), int(hi or lo, 16)))
    return out


def ranges_in_categories(path: Path, categories: set[str]) -> list[tuple[int, int]]:
    out = []
    first: int | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split(";")
        cp, name, cat = int(fields[0], 16), fields[1], fields[2]
        if name.endswith(", First>"):
            first = cp
            continue
        lo = first if name.endswith(", Last>") and first is not None else cp
        first = None
        if cat in categories:
            out.append((lo, cp))
    return out


def merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def main() -> int:
    ucd = Path(sys.argv[1])
    header = (ucd / "DerivedCoreProperties.txt").read_text(encoding="utf-8").splitlines()[0]
    version = re.search(r"(\d+\.\d+\.\d+)", header)
    assert version, header
    ranges = merged(
        ranges_with_property(ucd / "DerivedCoreProperties.txt", "Default_Ignorable_Code_Point")
        + ranges_with_property(ucd / "PropList.txt", "Bidi_Control")
        + ranges_with_property(ucd / "PropList.txt", "Noncharacter_Code_Point")
        + ranges_in_categories(ucd / "UnicodeData.txt", {"Cc", "Cf", "Cs", "Zl", "Zp"})
        + [(0xFFF9, 0xFFFB)]
    )
    print('"""Code points that never reach an output as themselves (generated: do not edit).')
    print()
    print(f"Unicode {version.group(1)}: Default_Ignorable_Code_Point (DerivedCoreProperties.txt), Bidi_Control and")
    print("Noncharacter_Code_Point (PropList.txt), general categories Cc, Cf, Cs, Zl, Zp (UnicodeData.txt), from")
    print(f"https://www.unicode.org/Public/{version.group(1)}/ucd/. Made by scripts/gen_invisible.py, which says why.")
    print('"""')
    print()
    print(f'UNICODE_VERSION = "{version.group(1)}"')
    print()
    print("INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (")
    for lo, hi in ranges:
        print(f"    (0x{lo:04X}, 0x{hi:04X}),")
    print(")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
