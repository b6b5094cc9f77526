"""The compiled scanner on high-cardinality traffic (bench.traffic's ``ids`` and ``spa`` shapes): the same
aggregate as the Python path, and cheap — a segment shape (``61141.png`` and ``88812.png``) templated once."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bench.traffic import lines
from lpdoctor.scan import fastpath, routes
from tests.test_fastpath import assert_same, both, built


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
    paths = [f"/img/{r.randint(10_000, 99_999)}.png" for _ in range(3000)]  # one shape: 00000.png
    paths += [f"/v{r.randint(1, 9)}/x" for _ in range(300)]  # templates with digits: v1 ... v9, each exact
    r.shuffle(paths)
    log = tmp_path / "shapes.log"
    log.write_text("".join(f"{prefix}{p}{tail}\n" for p in paths))
    calls: list[str] = []
    real = routes.segment_template

    def counting(seg: str) -> str:
        calls.append(seg)
        return real(seg)

    monkeypatch.setattr(fastpath, "segment_template", counting)
    fast, slow = both(monkeypatch, log, None)
    assert_same(fast, slow)
    assert {rs for rs in fast.routes} >= {"/img/{id}.png"} and len(fast.routes) == 10
    png = [c for c in calls if c.endswith(".png")]
    assert len(png) == 1, png[:5]
    assert sorted(c for c in calls if c.startswith("v")) == [f"v{i}" for i in range(1, 10)]
    assert "x" in calls and "img" in calls


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
        if r.random() < 0.3:
            at = r.randrange(len(s) + 1)
            s = s[:at] + r.choice(odd) + s[at:]
        out.append(s.replace("/", "_") or "x")
    return out


@built
def test_the_scanner_templates_generated_segments_as_routes_does() -> None:
    """The scanner templates UUIDs, hex hashes, tokens and Matrix ids itself (no Python call): over 60 000
    random segments of those kinds and their near misses, the same template as routes.segment_template."""
    assert fastpath._combined_fast is not None
    holds = fastpath._Holds()
    scanner = fastpath._combined_fast.Scanner(
        segment_template=routes.segment_template,
        route_template=routes.normalize_path,
        hold_key=holds.key,
        hold_names=holds.names,
        shape="timing",
    )
    r = random.Random(73)
    seen: set[str] = set()
    for seg in _random_segments(r, 60_000):
        want = routes.segment_template(seg)
        assert scanner.template(seg.encode("ascii")) == want, seg
        seen.add(want)
    assert {"{uuid}", "{hash}", "{token}", "{id}", "bot{token}", "{long}"} <= seen
