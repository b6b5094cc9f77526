"""Every log format in the registry, held to the same contract (instead of one copy of these tests per format).

A format is registered in lpdoctor/logformats/registry.py and has a sample of real lines in
tests/fixtures/logformats/<format name>.log (written by the real proxy: the nginx ones by nginx 1.22 under
tests/realworld, the others taken from the proxies' fixtures, whose README says how each was recorded). Adding a
format without a sample fails here — that is the recipe in docs/architecture.md.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.logs import detect_file_format
from lpdoctor.logformats.registry import all_formats, get_format
from lpdoctor.model import ErrorEvent, RequestRecord

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "logformats"
FORMATS = {f.name: f for f in all_formats()}


def sample_lines(name: str) -> list[str]:
    return [line for line in (SAMPLES / f"{name}.log").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_registered_format_has_a_sample_and_every_sample_a_format() -> None:
    samples = {p.stem for p in SAMPLES.glob("*.log")}
    assert sorted(set(FORMATS) - samples) == [], "add a sample of real lines in tests/fixtures/logformats/"
    assert sorted(samples - set(FORMATS)) == [], "a sample names no registered format"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_the_sample_is_detected_as_its_format(name: str) -> None:
    detected = detect_file_format(str(SAMPLES / f"{name}.log"))
    assert detected is not None and detected.name == name


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_sample_line_parses_into_the_model(name: str) -> None:
    fmt: LogFormat = FORMATS[name]
    parse = fmt.parser()
    records = [parse(line, i + 1, "sample") for i, line in enumerate(sample_lines(name))]
    if fmt.kind == "error":
        # an error log also has lines that say nothing about a request (start-up notices): those are None
        events = [r for r in records if r is not None]
        assert events and all(isinstance(r, ErrorEvent) for r in events)
        return
    assert all(isinstance(r, RequestRecord) for r in records), [i + 1 for i, r in enumerate(records) if r is None]
    for r in records:
        assert isinstance(r, RequestRecord)
        # a target is a path (or an absolute URL); None only where the proxy logs none (Heroku's H15 idle cut)
        assert r.target is None or r.target.startswith("/") or "://" in r.target, r.target
        assert r.line >= 1 and r.source == "sample" and r.proxy
        if fmt.has_timing and r.status is not None and r.duration_s is not None:
            assert 0 <= r.duration_s < 86400


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_the_parser_never_raises_on_damaged_lines(name: str) -> None:
    """Every byte of a log line is attacker-controlled: truncations, splices and junk return None or a record."""
    parse = FORMATS[name].parser()
    rnd = random.Random(name)
    for line in sample_lines(name):
        for _ in range(60):
            cut = rnd.randrange(len(line) + 1)
            variants = (
                line[:cut],
                line[cut:],
                line[:cut] + rnd.choice(['"', "\x00", "\\", "{", "}", " ", "\u202e", "%", "-1e309"]) + line[cut:],
            )
            for variant in variants:
                result = parse(variant, 1, "fuzz")
                assert result is None or isinstance(result, RequestRecord | ErrorEvent)


@pytest.mark.parametrize("fmt", sorted(FORMATS.values(), key=lambda f: f.name), ids=lambda f: f.name)
def test_names_and_aliases_resolve(fmt: LogFormat) -> None:
    """``--input-format`` takes the name or any alias."""
    assert get_format(fmt.name) is fmt
    for alias in fmt.aliases:
        assert get_format(alias) is not None
