"""Project configuration: ``[tool.lpdoctor]`` in ``pyproject.toml``, or ``.lpdoctor.toml``.

Looked for from the working directory upwards; the first directory holding a ``.lpdoctor.toml`` (its top level,
or its ``[tool.lpdoctor]`` table) or a ``pyproject.toml`` with a ``[tool.lpdoctor]`` table wins (``.lpdoctor.toml``
first in a directory). The search stops at the root of the repository (a directory holding ``.git``) or of the
file system. Paths in the file (``baseline``, ``chain``) are relative to the file's directory. The command line
wins over the file, and the file over lpdoctor's defaults; :class:`Settings` remembers where each value came
from (``lpdoctor config`` prints it).

Keys::

    fail-on = "warning"              # error | warning | info | never
    margin = 10                      # seconds
    format = "github"                # auto | rich | text | json | sarif | github | gitlab
    select = ["timeout-", "zero-timeout"]   # rule ids or prefixes; default: every rule
    ignore = ["keepalive-race"]
    severity = { timeout-order = "error" }  # per-rule severity
    baseline = "lpdoctor-baseline.json"
    holds = ["/poll=30s"]
    chain = "lpdoctor.yaml"
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FAIL_ON = ("error", "warning", "info", "never")
FORMATS = ("auto", "rich", "text", "json", "sarif", "github", "gitlab")
SEVERITIES = ("error", "warning", "info")
KEYS = ("fail-on", "margin", "format", "select", "ignore", "severity", "baseline", "holds", "chain")
DEFAULTS: dict[str, Any] = {
    "fail-on": "error",
    "margin": 5.0,
    "format": "auto",
    "select": [],
    "ignore": [],
    "severity": {},
    "baseline": None,
    "holds": [],
    "chain": None,
}
MAX_CONFIG_BYTES = 1 << 20


class SettingsError(Exception):
    """A configuration file lpdoctor cannot use; ``str()`` is the one line shown."""


@dataclass(slots=True)
class Settings:
    """The effective configuration: each key's value and where it came from."""

    values: dict[str, Any] = field(default_factory=lambda: dict(DEFAULTS))
    sources: dict[str, str] = field(default_factory=lambda: dict.fromkeys(DEFAULTS, "default"))
    file: str | None = None  # the configuration file found, if any

    def get(self, key: str) -> Any:
        return self.values[key]

    def set(self, key: str, value: Any, source: str) -> None:
        self.values[key] = value
        self.sources[key] = source


def _candidates(directory: str) -> list[tuple[str, bool]]:
    """(path, is_pyproject) to look at in one directory, in order."""
    return [(os.path.join(directory, ".lpdoctor.toml"), False), (os.path.join(directory, "pyproject.toml"), True)]


def _read_toml(path: str) -> dict[str, Any]:
    try:
        if os.path.getsize(path) > MAX_CONFIG_BYTES:
            raise SettingsError(f"{path}: larger than 1 MiB, not read as a configuration file")
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise SettingsError(f"{path}: {exc.strerror or exc}") from None


def find_config(start: str | None = None) -> tuple[str, dict[str, Any]] | None:
    """The first configuration file from ``start`` (default: the working directory) upwards, and its table."""
    directory = os.path.abspath(start or os.getcwd())
    while True:
        for path, is_pyproject in _candidates(directory):
            if not os.path.isfile(path):
                continue
            data = _read_toml(path)
            table = data.get("tool", {}).get("lpdoctor") if isinstance(data.get("tool"), dict) else None
            if table is None and not is_pyproject:
                table = {k: v for k, v in data.items() if k != "tool"}
            if table is not None:
                if not isinstance(table, dict):
                    raise SettingsError(f"{path}: [tool.lpdoctor] must be a table")
                return path, table
        parent = os.path.dirname(directory)
        if parent == directory or os.path.exists(os.path.join(directory, ".git")):
            return None
        directory = parent


def _str_list(path: str, key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{path}: {key} must be a list of strings")
    return [v for v in value if v]


def _validate(path: str, key: str, value: Any) -> Any:
    base = os.path.dirname(path)
    if key == "fail-on" or key == "format":
        allowed = FAIL_ON if key == "fail-on" else FORMATS
        if value not in allowed:
            raise SettingsError(f"{path}: {key} = {value!r} is not one of {', '.join(allowed)}")
        return value
    if key == "margin":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise SettingsError(f"{path}: margin must be a number of seconds, 0 or more")
        return float(value)
    if key in ("select", "ignore", "holds"):
        return _str_list(path, key, value)
    if key == "severity":
        if not isinstance(value, dict):
            raise SettingsError(f"{path}: severity must be a table of rule = level")
        for rule, level in value.items():
            if level not in SEVERITIES:
                raise SettingsError(f"{path}: severity.{rule} = {level!r} is not one of {', '.join(SEVERITIES)}")
        return dict(value)
    if key in ("baseline", "chain"):
        if not isinstance(value, str) or not value:
            raise SettingsError(f"{path}: {key} must be a path")
        return os.path.relpath(os.path.join(base, value)) if not os.path.isabs(value) else value
    raise SettingsError(f"{path}: unknown key {key!r} (known: {', '.join(KEYS)})")  # pragma: no cover


def load_settings(start: str | None = None) -> Settings:
    """Defaults, overlaid by the configuration file found from ``start`` upwards."""
    settings = Settings()
    found = find_config(start)
    if found is None:
        return settings
    path, table = found
    settings.file = path
    label = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    where = f"{label} [tool.lpdoctor]" if path.endswith("pyproject.toml") else label
    for key, value in table.items():
        key = key.replace("_", "-")
        if key == "hold":
            key = "holds"
        if key not in KEYS:
            raise SettingsError(f"{path}: unknown key {key!r} (known: {', '.join(KEYS)})")
        settings.set(key, _validate(path, key, value), where)
    return settings
