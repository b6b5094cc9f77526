"""``-f html`` (issue 17) opened in a real browser: Debian's chromium, headless, takes a screenshot and dumps the
DOM. Checked: the findings' text and the fix are on the page, the charts are drawn (coloured pixels in the PNG,
decoded here with zlib), hostile log content renders as text, and the file parses without a single parse error
under html5lib's strict WHATWG parser (the parser browsers follow: a conformance check of the syntax, which
``html.parser`` is not — it accepts anything).

Without chromium the browser tests skip; under ``LPDOCTOR_REQUIRE_REAL=1`` (CI, which installs it) they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import html5lib
import pytest

from tests.realworld import require_real

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "matrix-504"
HOSTILE_ROUTE = "/<script>alert(1)</script>/sync"
JS_ROUTE = "/api/javascript:alert(1)/poll"
BIDI_ROUTE = "/rooms/\u202egnp.exe/poll"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def _lpdoctor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lpdoctor", *args], capture_output=True, text=True, timeout=300, cwd=REPO
    )


def _chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        require_real("chromium is not installed (apt-get install chromium)")
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    try:
        proc = subprocess.run(
            [exe, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
            capture_output=True,
            timeout=180,
            env={**os.environ, "HOME": str(tmp_path)},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        require_real(f"chromium did not run: {exc}")
    if proc.returncode != 0:
        require_real(f"chromium failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace')[-400:]}")
    return proc


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit RGB/RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = bpp = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def _count(rows: list[bytes], bpp: int, rgb: tuple[int, int, int], x_from: int = 0) -> int:
    n = 0
    for row in rows:
        for x in range(x_from, len(row) // bpp):
            px = row[x * bpp : x * bpp + 3]
            if all(abs(px[k] - rgb[k]) <= 12 for k in range(3)):
                n += 1
    return n


@pytest.fixture(scope="module")
def sample_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "r.html"
    proc = _lpdoctor("scan", str(SAMPLE / "access.log"), str(SAMPLE / "error.log"), "-f", "html", "-o", str(out))
    assert proc.returncode == 1, proc.stderr  # a finding of severity error
    return out


def test_html_is_valid_self_contained_and_carries_the_json(sample_page: Path) -> None:
    text = sample_page.read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(text)  # raises on the first parse error
    doc = html5lib.parse(text, namespaceHTMLElements=False)
    for el in doc.iter():
        for name, value in el.attrib.items():
            if name in ("src", "href") or (isinstance(value, str) and "://" in value and name != "xmlns"):
                pytest.fail(f"the page refers to something outside it: <{el.tag} {name}={value!r}>")
    data = [el for el in doc.iter("script")]
    assert len(data) == 1 and data[0].get("type") == "application/json"
    embedded = json.loads(data[0].text or "")
    direct = json.loads(_lpdoctor("scan", str(SAMPLE / "access.log"), str(SAMPLE / "error.log"), "-f", "json").stdout)
    assert embedded == direct


def test_browser_shows_findings_fix_and_charts(sample_page: Path, tmp_path: Path) -> None:
    dom = _chromium(tmp_path, sample_page, "--dump-dom").stdout.decode()
    assert "long-polls holding 30 s are cut at 30 s" in dom
    assert "proxy_read_timeout 35s;" in dom
    assert "cut-offs at 30 s from 2026-11-21 20:15:16 to 20:16:55 UTC" in dom
    assert dom.index("Findings and fixes") < dom.index("Long-poll routes") < dom.index("Inputs")
    png = tmp_path / "shot.png"
    _chromium(tmp_path, sample_page, "--window-size=412,2400", f"--screenshot={png}")
    width, height, rows, bpp = _png_pixels(png.read_bytes())
    assert (width, height) == (412, 2400)
    # the failure bars (#cf222e) right of the findings' red edge, and the successes' bars (#6e8fb3)
    assert _count(rows, bpp, (0xCF, 0x22, 0x2E), x_from=40) > 400
    assert _count(rows, bpp, (0x6E, 0x8F, 0xB3), x_from=40) > 300


def _hostile_log(path: Path) -> None:
    lines = []
    for i in range(60):
        ts = f"21/Nov/2026:20:{10 + i // 60:02d}:{i % 60:02d} +0000"
        for route in (HOSTILE_ROUTE, JS_ROUTE, BIDI_ROUTE):
            status, rt = (504, 20.0) if i % 2 else (200, 30.0)
            ua = "Mozilla/5.0 <script>alert(2)</script> \u202etxt.exe"
            lines.append(
                f'192.0.2.{i + 1} - - [{ts}] "GET {route}?timeout=30000 HTTP/1.1" {status} 10 "javascript:alert(3)" '
                f'"{ua}" {rt:.3f} {rt:.3f} {status}'
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_hostile_input_renders_as_text(tmp_path: Path) -> None:
    log = tmp_path / "<img src=x onerror=alert(4)>.log"
    _hostile_log(log)
    page = tmp_path / "hostile.html"
    proc = _lpdoctor("scan", str(log), "-f", "html", "-o", str(page))
    assert proc.returncode == 1, proc.stderr
    text = page.read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=True).parse(text)
    assert "\u202e" not in text  # bidi controls are shown as escapes, never applied
    dom = _chromium(tmp_path, page, "--dump-dom").stdout.decode()
    doc = html5lib.parse(dom, namespaceHTMLElements=False)
    assert [el.get("type") for el in doc.iter("script")] == ["application/json"]
    assert not list(doc.iter("img"))
    assert not [el for el in doc.iter() if any(k.startswith("on") for k in el.attrib)]
    assert not [el for el in doc.iter("a")]
    visible = "".join(doc.find("body").find("main").itertext())
    assert HOSTILE_ROUTE in visible and "/api/javascript:alert(1)/poll" in visible
    assert "<img src=x onerror=alert(4)>.log" in visible
    assert "\\u202e" in visible or "\\u202E" in visible
