"""One pass over a report before any reporter sees it: every string is redacted and made printable."""

from __future__ import annotations

import copy
import dataclasses
import os
from enum import Enum
from typing import Any

from lpdoctor.model import Report
from lpdoctor.text.safety import safe

KEY_LIMIT = 200  # dictionary keys (statuses, hosts, error kinds ...) are shown shorter than values

# Values that hold no string and are never changed: returned as they are (a deep copy would be the same object).
_ATOMS = frozenset({int, float, bool, type(None)})


class _Sanitizer:
    """Copies a value, passing every string in it through :func:`~lpdoctor.text.safety.safe` (``limit`` characters
    for values, :data:`KEY_LIMIT` for dictionary keys).

    A report repeats the same few strings thousands of times (status codes, methods, hosts, protocol names):
    each distinct one is made safe once. Containers and dataclasses are copied as they are walked, so the
    report given is never changed.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: dict[str, str] = {}
        self._keys: dict[str, str] = {}
        self._fields: dict[type, tuple[tuple[str, ...], bool]] = {}

    def text(self, value: str) -> str:
        done = self._values.get(value)
        if done is None:
            done = self._values[value] = safe(value, self.limit)
        return done

    def key(self, key: Any) -> Any:
        """A dictionary key: strings are made safe (shorter), anything else is kept."""
        if type(key) is str:
            done = self._keys.get(key)
            if done is None:
                done = self._keys[key] = safe(key, KEY_LIMIT)
            return done
        if isinstance(key, str) and not isinstance(key, Enum):
            return safe(key, KEY_LIMIT)
        return key

    def walk(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.text(value)
        if kind in _ATOMS:
            return value
        return self._other(value)

    def _other(self, value: Any) -> Any:
        """Everything but a plain string or number."""
        if isinstance(value, Enum):
            return value
        if isinstance(value, str):
            return safe(value, self.limit)
        if isinstance(value, dict):
            return self._dict(value)
        if isinstance(value, list):
            return [self.walk(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.walk(v) for v in value)
        if isinstance(value, (set, frozenset)):
            return type(value)(self.walk(v) for v in value)
        if isinstance(value, os.PathLike):
            path = os.fspath(value)
            return self.text(path if isinstance(path, str) else path.decode("utf-8", "replace"))
        if isinstance(value, bytes):
            return self.text(value.decode("utf-8", "replace"))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._dataclass(value)
        return copy.deepcopy(value)

    def _dict(self, value: dict[Any, Any]) -> dict[Any, Any]:
        """:meth:`key` and :meth:`walk` of each item, with the commonest items (a string key, a number or a
        string value: counters of statuses, methods, hosts) done here."""
        keys, texts, atoms = self._keys, self._values, _ATOMS
        out = {}
        for k, v in value.items():
            if type(k) is str:
                done = keys.get(k)
                if done is None:
                    done = self.key(k)
            else:
                done = self.key(k)
            kind = type(v)
            if kind in atoms:
                out[done] = v
            elif kind is str:
                text = texts.get(v)
                out[done] = text if text is not None else self.text(v)
            else:
                out[done] = self._other(v)
        return out

    def _dataclass(self, value: Any) -> Any:
        names, frozen = self._fields_of(type(value))
        if frozen:
            changed = {}
            for name in names:
                current = getattr(value, name)
                new = self.walk(current)
                if new is not current:
                    changed[name] = new
            return dataclasses.replace(value, **changed) if changed else value
        out = copy.copy(value)
        for name in names:
            setattr(out, name, self.walk(getattr(value, name)))
        return out

    def _fields_of(self, kind: type) -> tuple[tuple[str, ...], bool]:
        known = self._fields.get(kind)
        if known is None:
            params = getattr(kind, "__dataclass_params__", None)
            known = self._fields[kind] = (
                tuple(f.name for f in dataclasses.fields(kind)),
                bool(params is not None and params.frozen),
            )
        return known


def sanitized(report: Report, limit: int = 2000) -> Report:
    """A copy of ``report`` in which every string is :func:`lpdoctor.text.safety.safe` (``report`` is not changed)."""
    result: Report = _Sanitizer(limit).walk(report)
    return result
