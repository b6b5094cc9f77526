"""The data in ``rules/``: known long-poll protocols, default timeouts of components, rule documentation.

``rules/`` sits at the top of the source tree and is shipped inside the wheel as ``lpdoctor/rules``;
:func:`rules_dir` finds whichever of the two exists.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lpdoctor.catalog.rule_examples import RuleExample, examples_text, parse_examples
from lpdoctor.model import HopKind, Semantics
from lpdoctor.text.safety import authored


class CatalogError(Exception):
    """The shipped catalog is broken: a packaging bug, never the user's fault."""


def rules_dir() -> Path:
    package = Path(__file__).resolve().parent.parent  # lpdoctor/: the wheel ships rules/ inside it
    for candidate in (package / "rules", package.parent / "rules"):
        if (candidate / "protocols.yaml").is_file():
            return candidate
    raise CatalogError(
        f"lpdoctor's rules/ catalog is missing (looked in {package / 'rules'} and {package.parent / 'rules'})"
    )


def _load_yaml(path: Path) -> Any:
    """A file of the shipped catalog, with libyaml's safe loader when PyYAML was built with it (the same data
    for these files, about ten times faster: every scan reads protocols.yaml and the rule docs)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


@functools.cache
def _catalog_file(name: str) -> Any:
    """``rules/<name>``, parsed once per process (two tables come from protocols.yaml). Read-only."""
    return _load_yaml(rules_dir() / name)


@dataclass(frozen=True)
class Protocol:
    id: str
    name: str
    path: re.Pattern[str]
    require: dict[str, re.Pattern[str]]
    param: str | None
    unit: str | None
    default_s: float | None
    max_s: float | None
    jitter: float
    source: str


@dataclass(frozen=True)
class GenericParam:
    name: str
    unit: str  # ms | s | auto


@dataclass(frozen=True)
class ComponentTimeout:
    component: str
    setting: str
    value_s: float | None
    semantics: Semantics
    hop: HopKind
    status: int | None
    source: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleDoc:
    id: str
    title: str
    severity: str
    summary: str
    what: str
    why: str
    fix: str
    applies_to: tuple[str, ...]
    sources: tuple[str, ...]
    fixes: dict[str, str] = field(default_factory=dict)
    examples: tuple[RuleExample, ...] = ()  # complete inputs, run by tests/checks/test_rule_examples.py

    def cases(self, kind: str) -> tuple[RuleExample, ...]:
        """The examples of one kind: "fail" or "pass"."""
        return tuple(e for e in self.examples if e.kind == kind)

    @property
    def example_fail(self) -> str:
        """The failing examples as plain text (command line and files)."""
        return examples_text(self.examples, "fail")

    @property
    def example_pass(self) -> str:
        """The passing examples as plain text (command line and files)."""
        return examples_text(self.examples, "pass")


@functools.lru_cache(maxsize=1)
def protocols() -> tuple[Protocol, ...]:
    data = _catalog_file("protocols.yaml")
    out = []
    for p in data["protocols"]:
        hold = p.get("hold") or {}
        out.append(
            Protocol(
                id=p["id"],
                name=p["name"],
                path=re.compile(p["path"]),
                require={k: re.compile(v) for k, v in (p.get("require") or {}).items()},
                param=hold.get("param"),
                unit=hold.get("unit"),
                default_s=hold.get("default_s"),
                max_s=hold.get("max_s"),
                jitter=float(hold.get("jitter", 0.0)),
                source=p["source"],
            )
        )
    return tuple(out)


@functools.lru_cache(maxsize=1)
def generic_params() -> tuple[GenericParam, ...]:
    data = _catalog_file("protocols.yaml")
    return tuple(GenericParam(g["name"], g["unit"]) for g in data["generic_params"])


@functools.lru_cache(maxsize=1)
def components() -> dict[str, dict[str, ComponentTimeout]]:
    data = _catalog_file("components.yaml")
    out: dict[str, dict[str, ComponentTimeout]] = {}
    for name, comp in data["components"].items():
        hop = HopKind(comp["hop"])
        settings: dict[str, ComponentTimeout] = {}
        for setting, t in (comp.get("timeouts") or {}).items():
            extra = {k: v for k, v in t.items() if k not in ("value_s", "semantics", "status", "source")}
            settings[setting] = ComponentTimeout(
                component=name,
                setting=setting,
                value_s=t.get("value_s"),
                semantics=Semantics(t["semantics"]),
                hop=hop,
                status=t.get("status"),
                source=t.get("source", ""),
                extra=extra,
            )
        out[name] = settings
    return out


def component_hop(name: str) -> HopKind:
    data = _catalog_file("components.yaml")
    comp = data["components"].get(name)
    return HopKind(comp["hop"]) if comp else HopKind.UNKNOWN


def default_timeout(component: str, setting: str) -> ComponentTimeout:
    try:
        return components()[component][setting]
    except KeyError as exc:
        raise CatalogError(f"no default for {component} {setting} in rules/components.yaml") from exc


def default_seconds(component: str, setting: str) -> float:
    """The default of a timer that has one (``rules/components.yaml``): the one place dialects take it from."""
    value = default_timeout(component, setting).value_s
    if value is None:
        raise CatalogError(f"{component} {setting} has no default value in rules/components.yaml")
    return value


@functools.lru_cache(maxsize=1)
def rule_docs() -> dict[str, RuleDoc]:
    out: dict[str, RuleDoc] = {}
    for path in sorted((rules_dir() / "checks").glob("*.yaml")):
        d = _load_yaml(path)
        try:
            examples = parse_examples(d.get("examples"), require=False)
        except ValueError as exc:
            raise CatalogError(f"rules/checks/{path.name}: {exc}") from exc
        out[d["id"]] = RuleDoc(
            id=d["id"],
            title=d["title"],
            severity=d["severity"],
            summary=d["summary"].strip(),
            what=d["what"].strip(),
            why=d["why"].strip(),
            fix=d["fix"].strip(),
            applies_to=tuple(d.get("applies_to", [])),
            sources=tuple(d.get("sources", [])),
            fixes=dict(d.get("fixes") or {}),
            examples=examples,
        )
    return out


def render_fix(rule_id: str, component: str, hop: HopKind, **values: object) -> str | None:
    """The fix template of a rule for a component and hop, filled in (unknown placeholders stay visible).

    A key ``component/setting:hop`` (e.g. ``envoy/stream_idle_timeout:proxy``) is preferred for that setting.
    """
    doc = rule_docs().get(rule_id)
    if doc is None:
        return None
    setting = values.get("setting")
    specific = (f"{component}/{setting}:{hop.value}",) if setting else ()
    for key in (*specific, f"{component}:{hop.value}", f"*:{hop.value}", f"{component}:*", "*:*"):
        template = doc.fixes.get(key)
        if template:
            return authored(template, values)  # the template is lpdoctor's: only the values are redacted
    return None
