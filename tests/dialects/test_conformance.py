"""Every config dialect in the registry, held to the same contract (the recipe in docs/architecture.md).

A dialect is registered in lpdoctor/dialects/registry.py (``DIALECTS``) and has fixtures of real configuration
in tests/fixtures/configs/<kind>/ (Sōzune's live in tests/fixtures/sozune/). Registering a dialect without
fixtures fails here; so does a fixture folder that no dialect reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lpdoctor.dialects.base import ConfigReadError
from lpdoctor.dialects.registry import CONFIG_KINDS, DIALECTS, load_config_source, sniff_config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FOLDER = {"sozune": FIXTURES / "sozune", "kubernetes-edges": FIXTURES / "configs" / "kubernetes"}  # else configs/<kind>
SHARED = {"cross"}  # folders of several dialects at once (a chain across proxies)


def folder(kind: str) -> Path:
    return FOLDER.get(kind, FIXTURES / "configs" / kind)


def files_of(kind: str) -> list[Path]:
    """The fixture files that sniff as ``kind``."""
    return [p for p in sorted(folder(kind).rglob("*")) if p.is_file() and sniff_config(str(p)) == kind]


def test_every_dialect_has_fixtures_and_every_fixture_folder_a_dialect() -> None:
    missing = [k for k in CONFIG_KINDS if not folder(k).is_dir()]
    assert missing == [], f"add fixtures of real configuration under tests/fixtures/configs/<kind>/: {missing}"
    folders = {p for p in (FIXTURES / "configs").iterdir() if p.is_dir()}
    assert sorted(p.name for p in folders - {folder(k) for k in CONFIG_KINDS} if p.name not in SHARED) == []


@pytest.mark.parametrize("kind", CONFIG_KINDS)
def test_fixtures_are_recognised_as_their_dialect(kind: str) -> None:
    assert files_of(kind), f"no file in {folder(kind)} is recognised as {kind}"


@pytest.mark.parametrize("kind", CONFIG_KINDS)
def test_each_fixture_loads_into_hops_with_their_lines(kind: str) -> None:
    loaded = 0
    for path in files_of(kind):
        try:
            source = load_config_source(str(path), kind)
        except ConfigReadError as exc:
            # a fixture of a broken file must say so in one line with where
            assert "\n" not in str(exc) and str(path.name) in str(exc)
            continue
        loaded += 1
        assert source.component
        for timer, facts in source.all_timers():
            assert timer.explicit and timer.location is not None and timer.location.line, (path, timer)
            assert facts.hop.timeouts
    assert loaded, f"no fixture of {kind} loads"


@pytest.mark.parametrize("kind", CONFIG_KINDS)
def test_the_dialect_declines_what_is_not_its_own(kind: str, tmp_path: Path) -> None:
    """A sniff never claims an access log or an empty file."""
    log = tmp_path / "access.log"
    log.write_text('127.0.0.1 - - [21/Nov/2026:20:14:46 +0000] "GET / HTTP/1.1" 200 2 "-" "curl/8"\n')
    empty = tmp_path / "empty.conf"
    empty.write_text("")
    dialect = DIALECTS[kind]
    assert not dialect.looks_like(log.name, log.read_text())
    assert not dialect.looks_like(empty.name, "")
