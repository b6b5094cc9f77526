"""lpdoctor.reporters.json_text.dumps writes exactly what json.dumps(indent=2, ensure_ascii=True,
allow_nan=False) writes, and fails where it fails."""

from __future__ import annotations

import enum
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.reporters.json_text import dumps


def _stdlib(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=True, allow_nan=False)


class Level(enum.IntEnum):
    LOW = 1


class Name(str, enum.Enum):
    A = "a\u00e9\n"


scalars = (
    st.text()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.booleans()
    | st.none()
    | st.sampled_from([Level.LOW, Name.A, 10**40, -0.0, 1e300, 5e-324])
)
keys = st.text() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans() | st.none()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.lists(inner, max_size=3).map(tuple) | st.dictionaries(keys, inner, max_size=5)
    ),
    max_leaves=60,
)


@settings(max_examples=600, deadline=None)
@given(values)
def test_the_text_of_json_dumps(value: Any) -> None:
    assert dumps(value) == _stdlib(value)


@pytest.mark.parametrize(
    "value",
    [float("nan"), [1, float("inf")], {"a": -float("inf")}, {float("nan"): 1}, {(1, 2): 3}, [object()], {1j: 2}],
)
def test_what_json_dumps_refuses_is_refused(value: Any) -> None:
    with pytest.raises((ValueError, TypeError)) as theirs:
        _stdlib(value)
    with pytest.raises(theirs.type):
        dumps(value)


def test_whole_reports() -> None:
    """lpdoctor's own JSON and SARIF reports on a bundled sample are what json.dumps writes of them."""
    logs = sorted(str(p) for p in (Path(__file__).resolve().parent.parent / "samples" / "matrix-504").glob("*.log"))
    assert logs
    for fmt in ("json", "sarif", "gitlab"):
        out = subprocess.run(
            [sys.executable, "-m", "lpdoctor", "scan", "-f", fmt, *logs], capture_output=True, text=True, check=False
        ).stdout
        data = json.loads(out)
        assert out == _stdlib(data) + "\n" == dumps(data) + "\n"
