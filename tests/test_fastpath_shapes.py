"""The compiled scanner on high-cardinality traffic (bench.traffic's ``ids`` and ``spa`` shapes): the same
aggregate as the Python path, and cheap — a segment shape (``item-61141`` and ``item-88812``) templated once, file
names and generated ids templated in C."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.traffic import lines
from lpdoctor.scan import fastpath, routes
from tests.test_fastpath import assert_same, both, built


def counted_templates(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The segments the fast path asks routes.segment_template about, from now on."""
    calls: list[str] = []
    real = routes.segment_template

    def counting(seg: str) -> str:
        calls.append(seg)
        return real(seg)

    monkeypatch.setattr(fastpath, "segment_template", counting)
    return calls


def timing_scanner() -> fastpath._combined_fast.Scanner:
    """A scanner of nginx-timing lines with lpdoctor's own callbacks."""
    assert fastpath._combined_fast is not None
    holds = fastpath._Holds()
    return fastpath._combined_fast.Scanner(
        segment_template=routes.segment_template,
        route_template=routes.normalize_path,
        hold_key=holds.key,
        hold_names=holds.names,
        shape="timing",
    )


@built
@pytest.mark.parametrize("shape", ["ids", "spa"])
def test_high_cardinality_traffic_is_the_python_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    log = tmp_path / f"{shape}.log"
    log.write_text("\n".join(lines("nginx-timing", shape, 20_000, seed=9)) + "\n")
    fast, slow = both(monkeypatch, log, None)
    assert fast.inputs[0].format == "nginx-timing" and fast.inputs[0].parsed == 20_000
    assert_same(fast, slow)
    assert len(fast.routes) < 200


@built
def test_a_segment_shape_is_templated_once_when_its_template_has_no_digit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = random.Random(5)
    prefix = '198.51.100.7 - - [21/Nov/2026:10:00:00 +0000] "GET '
    tail = ' HTTP/1.1" 200 512 "-" "curl/8" 0.010 0.009 200'
    paths = [f"/img/item-{r.randint(10_000, 99_999)}" for _ in range(3000)]  # one shape: item-00000
    paths += [f"/img/{r.randint(10_000, 99_999)}.png" for _ in range(300)]  # templated in C
    paths += [f"/v{r.randint(1, 9)}/x" for _ in range(300)]  # templates with digits: v1 ... v9, each exact
    r.shuffle(paths)
    log = tmp_path / "shapes.log"
    log.write_text("".join(f"{prefix}{p}{tail}\n" for p in paths))
    calls = counted_templates(monkeypatch)
    fast, slow = both(monkeypatch, log, None)
    assert_same(fast, slow)
    assert {rs for rs in fast.routes} >= {"/img/item-{id}", "/img/{id}.png"} and len(fast.routes) == 11
    items = [c for c in calls if c.startswith("item-")]
    assert len(items) == 1, items[:5]
    assert not [c for c in calls if c.endswith(".png")]
    assert sorted(c for c in calls if c.startswith("v")) == [f"v{i}" for i in range(1, 10)]
    assert "x" in calls and "img" in calls


@built
def test_spa_traffic_templates_its_file_names_and_ids_without_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bench.traffic's SPA shape (Vite, Next.js and CRA chunks, Matrix event ids, Slack ids): 20 000 lines ask
    routes.segment_template about 51 segments, the words (static, assets, ...), where they asked 6 585 before
    file names and colon-less ids were templated in C."""
    log = tmp_path / "spa.log"
    log.write_text("\n".join(lines("nginx-timing", "spa", 20_000, seed=9)) + "\n")
    calls = counted_templates(monkeypatch)
    fast, slow = both(monkeypatch, log, None)
    assert_same(fast, slow)
    assert len(calls) < 100, sorted(calls)[:20]
    assert len(calls) == len(set(calls))  # each a word, asked once


def _odd_in(r: random.Random, s: str, odd: str, chance: float) -> str:
    """``s`` as a segment (no "/", not empty), ``chance`` of the time with a character of ``odd`` put in."""
    if r.random() < chance:
        at = r.randrange(len(s) + 1)
        s = s[:at] + r.choice(odd) + s[at:]
    return s.replace("/", "_") or "x"


def _random_segments(r: random.Random, count: int) -> list[str]:
    """Segments of the kinds the scanner templates itself, and their near misses: UUIDs (dashed or not, with and
    without letters, dashes out of place), hex runs of every length, base64 and url-safe tokens, Matrix ids,
    and every one of them with a character of another class put in."""
    hexdigits, b64 = "0123456789abcdefABCDEF", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    odd = "%:.@~=+!$#/bot_-G"
    out = []
    for _ in range(count):
        kind = r.randrange(7)
        if kind == 0:
            hx = "".join(r.choice(hexdigits) for _ in range(32))
            s = f"{hx[:8]}-{hx[8:12]}-{hx[12:16]}-{hx[16:20]}-{hx[20:]}" if r.random() < 0.6 else hx
        elif kind == 1:
            s = "".join(r.choice("0123456789" if r.random() < 0.2 else hexdigits) for _ in range(r.randint(8, 140)))
        elif kind == 2:
            s = "".join(r.choice(b64) for _ in range(r.randint(10, 600)))
        elif kind == 3:
            s = r.choice("!@$#+") + "".join(r.choice(b64 + ":.") for _ in range(r.randint(0, 300)))
        elif kind == 4:
            s = "".join(r.choice("0123456789-") for _ in range(r.randint(12, 45)))
        elif kind == 5:
            s = (
                "bot"
                + "".join(r.choice("0123456789") for _ in range(r.randint(3, 9)))
                + ":"
                + "".join(r.choice(b64) for _ in range(r.randint(8, 30)))
            )
        else:
            s = "".join(r.choice(b64 + ".~=+") for _ in range(r.randint(18, 90)))
        out.append(_odd_in(r, s, odd, 0.3))
    return out


@built
def test_the_scanner_templates_generated_segments_as_routes_does() -> None:
    """The scanner templates UUIDs, hex hashes, tokens and Matrix ids itself (no Python call): over 60 000
    random segments of those kinds and their near misses, the same template as routes.segment_template."""
    scanner = timing_scanner()
    r = random.Random(73)
    seen: set[str] = set()
    for seg in _random_segments(r, 60_000):
        want = routes.segment_template(seg)
        assert scanner.template(seg.encode("ascii")) == want, seg
        seen.add(want)
    assert {"{uuid}", "{hash}", "{token}", "{id}", "bot{token}", "{long}"} <= seen


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_WORDS = ["index", "Settings", "settings", "vendor", "main", "runtime", "vendors", "_app", "[id]", "Dashboard"]
_WORDS += ["jquery", "app", "my_story", "chunk", "min", "img", "a", "x-y", "foo~bar", "HTTP2", "README", "v2"]
_EXTENSIONS = ["js", "css", "JS", "Css", "mp4", "h264", "webp", "x", "tar", "png", "jpegxx", "jpegxxx", "1js"]
_EXTENSIONS += ["j_s", "js-", "", "js~"]


def _chars(r: random.Random, alphabet: str, lo: int, hi: int) -> str:
    return "".join(r.choice(alphabet) for _ in range(r.randint(lo, hi)))


def _piece(r: random.Random) -> str:
    """One piece of a file name or path segment: a word, a number, a hex hash, or letters and digits mixed."""
    kind = r.randrange(9)
    if kind == 0:
        return r.choice(_WORDS)
    if kind == 1:
        return _chars(r, "0123456789", 1, 7)
    if kind == 2:
        return _chars(r, r.choice(["0123456789abcdef", "0123456789ABCDEF", "0123456789abcdefABCDEF"]), 5, 20)
    if kind == 3:
        return _chars(r, "abcdef", 6, 9)  # hex letters only: no hash
    if kind == 4:
        return _chars(r, _B64[:62], 6, 20)
    if kind == 5:  # letters only, long: case changes and vowels decide
        return _chars(r, r.choice([_B64[:52], "bcdfghjklmnpqrstvwxyzBCDFG", "aeiouAEIOUxyzXYZ", "aeioubcdBCD"]), 12, 24)
    if kind == 6:
        return _chars(r, r.choice(["aB", "aB1", "a1", "A1"]), 6, 20)
    if kind == 7:
        return r.choice(["", _vowels_near_028(r)])
    return _chars(r, _B64 + "[]!+=,", 1, 10)


def _vowels_near_028(r: random.Random) -> str:
    """25 or 50 letters, upper case then lower case (one case change), with about 28 % vowels: _few_vowels' edge."""
    n = r.choice([25, 50])
    vowels = n * 7 // 25 + r.choice([-1, 0, 0, 1])
    letters = [r.choice("aeiou") for _ in range(vowels)] + [
        r.choice("bcdfghjklmnpqrstvwxyz") for _ in range(n - vowels)
    ]
    r.shuffle(letters)
    upper = r.randint(1, n - 1)
    return "".join(letters[:upper]).upper() + "".join(letters[upper:])


def _vite_tail(r: random.Random) -> str:
    alphabet = r.choice([_B64, _B64[:52], "abcdefghijklmnopqrstuvwxyz", "0123456789", "aeiouAEIOU", "aB_", "aB-", "aB"])
    return r.choice([_chars(r, alphabet, 8, 8), "Settings", "my_story", "Settings"[::-1], "PtXLICHK", "xYzWvUtS"])


def _file_name(r: random.Random) -> str:
    """A file name of the shapes build tools give (Vite, webpack/CRA, Next.js, versions), or a near miss."""
    kind = r.randrange(8)
    ext = r.choice(_EXTENSIONS) if r.random() < 0.3 else r.choice(["js", "css", "map"])
    if kind == 0:  # Vite/Rollup: name-HASH8.js
        name = r.choice([*_WORDS, _piece(r), "", "-", "a-b"])
        rest = r.choice(["", "", ".min", f".{_piece(r)}", ".27961"])
        return f"{name}-{_vite_tail(r)}{rest}.{ext}"
    if kind == 1:  # webpack/CRA: name.HASH.chunk.js, 123.HASH.js
        name = r.choice([*_WORDS, _chars(r, "0123456789", 1, 4)])
        hsh = _chars(r, r.choice(["0123456789abcdef", "0123456789ABCDEF", "abcdef", "0123456789"]), 6, 21)
        return f"{name}.{hsh}{r.choice(['.chunk', '', '.bundle'])}.{ext}"
    if kind == 2:  # Next.js: _app-16hex.js
        return f"{r.choice(_WORDS)}-{_chars(r, '0123456789abcdef', 14, 18)}.{ext}"
    if kind == 3:  # versions: jquery-3.6.0.min.js, app.27961.js, 61141_128.jpg
        version = ".".join(_chars(r, "0123456789", 1, 5) for _ in range(r.randint(1, 4)))
        sep = r.choice("-._~")
        return f"{r.choice(_WORDS)}{sep}{version}{r.choice(['', '.min', '_128', '-rc1'])}.{ext}"
    if kind == 4:  # long
        return "-".join(_piece(r) for _ in range(r.randint(6, 14))) + f".{ext}"
    if kind == 5:
        return r.choice(["", ".", "~", "."]) + r.choice(_WORDS) + "." + _piece(r) + f".{ext}"
    if kind == 6:  # dots doubled, at the end, an extension alone
        return r.choice([f"a..{ext}", f"{_piece(r)}.", f".{ext}", f"{_piece(r)}.{_piece(r)}..{ext}", f"x.{ext}"])
    return "".join(_piece(r) + r.choice("._~-") for _ in range(r.randint(1, 5))) + ext


# What bench.traffic's SPA shape and real build tools write, and a few near misses of each.
_EXAMPLES = [
    "$BnGB-Mt8KenNUG8_vn44cRvQEtI1KhBJ4GTxt925SoT",
    "!abcdefghijklmnop",
    "!abcdefghijklmno",
    "$abc.def_ghijklmnopq",
    "CL969GNTKHS",
    "C024BE91L",
    "U0G9QF9C6",
    "README",
    "HTTP2",
    "ABCDEF12",
    "ABCDEF123456",
    "A1234567",
    "AEIOU1",
    "index-0Jv9Qge9.js",
    "Settings-YROJinVG.js",
    "Settings-xm-GmRWb.js",
    "index-Settings.js",
    "index-12345678.js",
    "_app-72f52443e0bacfff.js",
    "[id]-99f0c372745640ca.js",
    "501.89758ec7.chunk.css",
    "main.35f18e7f.chunk.css",
    "jquery-3.6.0.min.js",
    "jquery-3.6.10000.min.js",
    "app.27961.js",
    "61141_128.jpg",
    "a.1234.5.js",
    "x.12.3.JS",
    "favicon.ico",
    ".htaccess",
    "~user.js",
    "video.h264",
    "archive.tar.gz",
    "a-b_c~d.e.f",
    "v1.2.3",
    "style.CSS",
]


def _random_segments_more(r: random.Random, count: int) -> list[str]:
    """Segments of the kinds the scanner templates since the SPA work, and their near misses: Matrix event ids
    without a server name ("$" or "!", no colon), capitals-and-digits ids, file names of every build tool's
    shape, and segments with '.', '-', '_' or '~' that are no file name (routes._pieces, last rule)."""
    odd = "%:@.~-_!$[]+=, bB0aA"
    out = []
    for _ in range(count):
        kind = r.randrange(5)
        if kind == 0:
            body = _chars(r, _B64 + "+=" if r.random() < 0.7 else _B64 + "+=.%@:~!", 0, 300)
            s = r.choice("$$$!!@#+") + body
        elif kind == 1:
            alphabet = r.choice(
                [
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                    "BCDFGHJKLMNPQRSTVWXYZ0123456789",
                    "AEIOU0123456789",
                    "0123456789ABCDEF",
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                    "AEIOUBC1",
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ01",
                ]
            )
            s = _chars(r, alphabet, 4, 45)
        elif kind == 2:
            s = "-".join(_piece(r) for _ in range(r.randint(1, 6)))
            s = "".join(c if c != "-" else r.choice("._~-") for c in s)
        else:
            s = _file_name(r)
        out.append(_odd_in(r, s, odd, 0.2))
    return out


@built
def test_the_scanner_templates_file_names_and_sigil_and_upper_ids_as_routes_does() -> None:
    """The scanner templates file names (index-{hash}.js, main.{hash}.chunk.css, jquery-3.6.0.min.js), Matrix
    event ids without a colon and C024BE91L-style ids itself: over 160 000 random segments of those kinds and their
    near misses, the same template as routes.segment_template (a fresh scanner now and then, so that its caches
    do not hide a rule)."""
    r = random.Random(29)
    segments = _EXAMPLES + _random_segments_more(r, 160_000)
    seen: set[str] = set()
    for start in range(0, len(segments), 4000):
        scanner = timing_scanner()
        for seg in segments[start : start + 4000]:
            want = routes.segment_template(seg)
            assert scanner.template(seg.encode("ascii")) == want, seg
            seen.add(want)
    for want in ["{id}", "{token}", "{long}", "index-{hash}.js", "_app-{hash}.js", "main.{hash}.chunk.css"]:
        assert want in seen, want
    assert "{id}.{hash}.chunk.js" in seen and "jquery-3.6.0.min.js" in seen and "{id}_{id}.jpg" in seen
