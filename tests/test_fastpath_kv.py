"""The compiled scanner reads the samples' ``key=value`` tail (nginx-kv) exactly as the Python parser does: the
same aggregate on real traffic, on odd tails (other key orders, extra keys, several upstream tries, ``-`` in
every place, an upstream that sent no header) in their place among common lines, and on seeded mutations."""

from __future__ import annotations

import random
from pathlib import Path

from bench.traffic import lines as traffic_lines
from lpdoctor.logformats.registry import get_format
from lpdoctor.scan import fastpath
from tests.test_fastpath import _write, assert_same, both, built, mutated_lines

KV = get_format("nginx-kv")
_HEAD = '198.51.100.7 - - [21/Nov/2026:10:00:00 +0000] "GET /_matrix/client/v3/sync?timeout=30000 HTTP/1.1"'
_UA = '"-" "Element/1.11"'
ODD_KV_LINES = [
    f'{_HEAD} 200 512 {_UA} rt=30.001 uct="0.000" uht="30.001" urt="30.001" us="200" ua="127.0.0.1:8008"',
    f'{_HEAD} 504 160 {_UA} rt=60.002 uct="0.000" uht="-" urt="60.002" us="504" ua="127.0.0.1:8008"',
    f'{_HEAD} 504 160 {_UA} rt=60.002 uct="0.000" uht="60.001" urt="60.002" us="504" ua="127.0.0.1:8008"',
    f'{_HEAD} 502 150 {_UA} rt=50.000 uct="0.001" uht="-" urt="50.000" us="502" ua="127.0.0.1:8008"',
    f'{_HEAD} 499 0 {_UA} rt=40.000 uct="-" uht="-" urt="-" us="-" ua="-"',
    f'{_HEAD} 499 0 {_UA} rt=40.000 uct="0.000" uht="-" urt="40.000" us="-" ua="127.0.0.1:8008"',
    f'{_HEAD} 504 160 {_UA} rt=60.002 uct="0.000, 0.000" uht="-, -" urt="30.001, 30.001" us="504, 504" ua="a:1, b:2"',
    f'{_HEAD} 200 512 {_UA} rt=1.000 uct="0.000" uht="1.000" urt="1.000" us="200" ua="127.0.0.1:8008" extra="x"',
    f'{_HEAD} 200 512 {_UA} uct="0.000" rt=1.000 uht="1.000" urt="1.000" us="200" ua="127.0.0.1:8008"',
    f'{_HEAD} 200 512 {_UA} rt=1.000 urt="1.000" us="200"',
    f'{_HEAD} 200 512 {_UA} rt=- uct="0.000" uht="1.000" urt="1.000" us="200" ua="127.0.0.1:8008"',
    f'{_HEAD} 200 512 {_UA} rt=1.000 uct="0.000" uht="1.000" urt="1.000" us="200" ua="127.0.0.1:8008 : b:1"',
    f'{_HEAD} 200 512 {_UA} rt=1.0 uct="0.000" uht="1.000" urt="1.000" us="200" ua="x"',
    f'{_HEAD} 200 512 {_UA} rt=1.000 uct="0.000" uht="1.000" urt="1.000" us="2000" ua="x"',
    f'{_HEAD} 200 512 {_UA} rt=1.000 uct="0.000" uht="1.000" urt="1.000" us="200" ua=""',
    f'{_HEAD} 200 512 {_UA} rt=1.000 uct="0.000" uht="1.000" urt="1.000" us="200" ua="unix:/run/app.sock"',
    f'{_HEAD} 200 512 {_UA} RT=1.000 UCT="0.000" UHT="1.000" URT="1.000" US="200" UA="x"',
    f'{_HEAD} 200 512 {_UA} rt=1.000 uct="0.000" uht="1.000" urt="1.000" us="200" ua="x" ',
    f'{_HEAD} 200 512 {_UA}  rt=1.000 uct="0.000" uht="1.000" urt="1.000" us="200" ua="x"',
    f"{_HEAD} 200 512 {_UA} 1.000 1.000 200",
    f"{_HEAD} 200 512 {_UA}",
]


def _kv(n: int, seed: int, shape: str = "ids") -> list[str]:
    return list(traffic_lines("nginx-kv", shape, n, seed=seed))


@built
def test_kv_is_read_by_the_compiled_scanner() -> None:
    assert KV is not None and fastpath.available(KV)


@built
def test_kv_traffic_is_the_python_scan(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    log = _write(tmp_path / "kv.log", _kv(20_000, 3) + _kv(5_000, 4, "spa"))
    fast, slow = both(monkeypatch, log, None)
    assert fast.inputs[0].format == "nginx-kv" and fast.inputs[0].parsed == 25_000
    assert_same(fast, slow)


@built
def test_odd_kv_tails_in_their_place(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    common = _kv(400, 5)
    rnd = random.Random(3)
    for round_ in range(4):
        lines = common + ODD_KV_LINES * 3
        rnd.shuffle(lines)
        log = _write(tmp_path / f"odd-{round_}.log", lines)
        fast, slow = both(monkeypatch, log, KV)
        assert fast.inputs[0].skipped > 0
        assert_same(fast, slow)
        assert fast.inputs[0].to_dict() == slow.inputs[0].to_dict()
        # the upstream that sent no header: counted as such on both paths
        assert fast.routes["/_matrix/client/v3/sync"].no_header_failures > 0


@built
def test_seeded_mutations_of_kv_lines(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rnd = random.Random(2027)
    seeds = _kv(2000, 7) + ODD_KV_LINES
    lines = mutated_lines(seeds, 20_000, rnd)
    log = _write(tmp_path / "mutated.log", lines)
    fast, slow = both(monkeypatch, log, KV)
    assert_same(fast, slow)
    monkeypatch.setattr(fastpath, "_TAKE_EVERY", 3)
    fast, slow = both(monkeypatch, log, KV, max_routes=40)
    assert_same(fast, slow)
