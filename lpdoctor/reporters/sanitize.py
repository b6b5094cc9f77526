"""One pass over a report before any reporter sees it: every string is redacted and made printable."""

from __future__ import annotations

import copy
import dataclasses
import os
from enum import Enum
from typing import Any

from ..model import Report
from ..safety import safe


def _walk(value: Any, limit: int) -> Any:
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return safe(value, limit)
    if isinstance(value, dict):
        return {_walk(k, 200) if isinstance(k, str) else k: _walk(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, limit) for v in value]
    if isinstance(value, tuple):
        return tuple(_walk(v, limit) for v in value)
    if isinstance(value, (set, frozenset)):
        return type(value)(_walk(v, limit) for v in value)
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        return safe(path if isinstance(path, str) else path.decode("utf-8", "replace"), limit)
    if isinstance(value, bytes):
        return safe(value.decode("utf-8", "replace"), limit)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            current = getattr(value, f.name)
            new = _walk(current, limit)
            if new is not current:
                try:
                    setattr(value, f.name, new)
                except dataclasses.FrozenInstanceError:
                    value = dataclasses.replace(value, **{f.name: new})
        return value
    return value


def sanitized(report: Report, limit: int = 2000) -> Report:
    """A deep copy of ``report`` in which every string is :func:`lpdoctor.safety.safe`."""
    return _walk(copy.deepcopy(report), limit)
