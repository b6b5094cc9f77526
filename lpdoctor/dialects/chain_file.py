"""The chain file (``lpdoctor.yaml``): what the proxy configuration cannot say about a long-poll route.

Per route the hold, a keepalive the server sends, and the hops around the proxy: the client, edges / load
balancers, other proxies, the app server. ``docs/chain-file.md`` documents the schema; every problem is reported
as one ``file:line: problem`` line (:class:`ChainFileError`).

The data is read with ``yaml.safe_load``; line numbers come from ``yaml.compose`` with the same
``SafeLoader`` (it builds nodes, never objects). Nothing in the file is ever executed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from lpdoctor import catalog
from lpdoctor.catalog.component_hops import (
    ComponentSpec,
    GivenTimer,
    build_hop,
    catalog_entry,
    known_component,
    zero_is_no_limit,
)
from lpdoctor.dialects.yaml_nodes import YamlTooLarge, compose_documents
from lpdoctor.model import Hold, HopKind, Keepalive, Semantics, SourceLocation
from lpdoctor.model.hops import HopFacts
from lpdoctor.text.durations import DurationError, parse_duration
from lpdoctor.text.inputs import InputError, read_input

MAX_BYTES = 1 << 20
SECTIONS = {"client": HopKind.CLIENT, "edges": HopKind.EDGE, "proxies": HopKind.PROXY, "app": HopKind.SERVER}
_LIST_SECTIONS = ("edges", "proxies")
_HOP_KEYS = {"component", "name", "timeouts", "worker_class", "keepalive_idle", "pool_idle", "buffering", "passes_1xx"}
_TOP_KEYS = {"version", "nginx", "margin", "defaults", "routes"}
_ROUTE_KEYS = {"route", "host", "hold", "keepalive", *SECTIONS, "edge", "proxy", "app_from"}
_DEFAULT_KEYS = {*SECTIONS, "edge", "proxy", "app_from"}
_NO_LIMIT = {"none", "off", "unlimited", "no limit", "infinite"}
KEEPALIVE_KINDS = ("102-processing", "bytes")


class ChainFileError(Exception):
    """A chain file lpdoctor cannot use. ``str()`` is one line: ``file:line: problem``."""

    def __init__(self, problem: str, file: str, line: int | None = None) -> None:
        problem = " ".join(problem.split())  # one line, whatever the YAML library said
        self.problem = problem
        self.file = file
        self.line = line
        super().__init__(f"{file}:{line}: {problem}" if line else f"{file}: {problem}")


@dataclass(slots=True)
class Hops:
    """Hops declared for a route (or as defaults), by section; app-server files to read."""

    client: HopFacts | None = None
    edges: list[HopFacts] | None = None
    proxies: list[HopFacts] | None = None
    app: HopFacts | None = None
    app_from: list[tuple[str, SourceLocation]] | None = None  # (path, where it was named)


@dataclass(slots=True)
class RouteSpec:
    route: str  # a path or path prefix
    host: str | None
    hold: Hold | None
    keepalive: Keepalive | None
    location: SourceLocation
    hops: Hops = field(default_factory=Hops)


@dataclass(slots=True)
class ChainFile:
    path: str
    nginx: list[tuple[str, SourceLocation]] = field(default_factory=list)  # configs to check, resolved paths
    margin_s: float | None = None
    defaults: Hops = field(default_factory=Hops)
    routes: list[RouteSpec] = field(default_factory=list)


class _Y:
    """A YAML value with its node, for line numbers."""

    def __init__(self, data: Any, node: yaml.Node | None, file: str) -> None:
        self.data = data
        self.node = node
        self.file = file

    @property
    def line(self) -> int | None:
        return self.node.start_mark.line + 1 if self.node is not None else None

    def where(self, context: str | None = None) -> SourceLocation:
        return SourceLocation(self.file, self.line, context)

    def error(self, problem: str) -> ChainFileError:
        return ChainFileError(problem, self.file, self.line)

    def items(self, what: str) -> list[tuple[str, _Y, _Y]]:
        if not isinstance(self.data, dict) or not isinstance(self.node, yaml.MappingNode):
            raise self.error(f"{what} must be a mapping (key: value lines)")
        out = []
        for knode, vnode in self.node.value:
            key = knode.value if isinstance(knode, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise ChainFileError(f"{what}: keys must be plain names", self.file, knode.start_mark.line + 1)
            data = self.data.get(key)
            out.append((key, _Y(key, knode, self.file), _Y(data, vnode, self.file)))
        return out

    def elements(self, what: str) -> list[_Y]:
        if not isinstance(self.data, list) or not isinstance(self.node, yaml.SequenceNode):
            raise self.error(f"{what} must be a list")
        return [_Y(d, n, self.file) for d, n in zip(self.data, self.node.value, strict=False)]

    def text(self, what: str) -> str:
        if isinstance(self.data, bool) or not isinstance(self.data, (str, int, float)):
            raise self.error(f"{what} must be a text value")
        return str(self.data).strip()


def load_chain_file(path: str) -> ChainFile:
    """Read and validate a chain file. Raises :class:`ChainFileError` with ``file:line: problem``."""
    try:
        raw = read_input(path, MAX_BYTES, "a chain file", included=True)
    except InputError as exc:
        raise ChainFileError(str(exc).removeprefix(f"{path}: "), path) from None
    text = raw.decode("utf-8", "replace")
    return parse_chain_file(text, path)


def parse_chain_file(text: str, path: str) -> ChainFile:
    try:
        docs = compose_documents(text)  # first: safe_load would copy every merged entry, however many
        data = yaml.safe_load(text)
        node = docs[0] if docs else None
    except YamlTooLarge as exc:
        raise ChainFileError(str(exc), path) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ChainFileError(f"not valid YAML: {exc.problem or exc.context}", path, line) from None
    except yaml.YAMLError as exc:
        raise ChainFileError(
            f"not valid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", path
        ) from None
    except RecursionError:
        raise ChainFileError("not valid YAML: nested too deeply", path) from None
    if data is None:
        raise ChainFileError("the file is empty", path)
    root = _Y(data, node, path)
    out = ChainFile(path=path)
    base = os.path.dirname(path)  # relative stays relative: reports name files as the user does
    for key, k, v in root.items("the chain file"):
        if key not in _TOP_KEYS:
            raise k.error(f"unknown key {key!r} (known: {', '.join(sorted(_TOP_KEYS))})")
        if key == "version":
            if v.data != 1:
                raise v.error("version must be 1")
        elif key == "nginx":
            for item in v.elements("nginx") if isinstance(v.data, list) else [v]:
                out.nginx.append((_resolve(base, item.text("nginx")), item.where("nginx")))
        elif key == "margin":
            value = _duration(v, "margin", "lpdoctor")
            if value is None:
                raise v.error("margin must be a duration, like 5s")
            out.margin_s = value
        elif key == "defaults":
            out.defaults = _hops(v, "defaults", base, _DEFAULT_KEYS)
        elif key == "routes":
            out.routes = [_route(item, base) for item in v.elements("routes")]
    return out


def _resolve(base: str, value: str) -> str:
    return value if os.path.isabs(value) else os.path.normpath(os.path.join(base, value))


def _duration(v: _Y, what: str, component: str) -> float | None:
    """Seconds, or None for no limit. Bare numbers are seconds; ``0`` follows the component's own meaning."""
    data = v.data
    if data is None:
        return None
    if isinstance(data, bool):
        raise v.error(f"{what}: expected a duration like 30s, got {data}")
    if isinstance(data, (int, float)):
        seconds = float(data) if not isinstance(data, int) or abs(data) < 10**15 else math.inf
        if not math.isfinite(seconds) or seconds < 0:
            raise v.error(f"{what}: {data} is not a duration (like 30s, 500ms, 2m, or none)")
    else:
        text = str(data).strip()
        if text.lower() in _NO_LIMIT:
            return None
        try:
            seconds = parse_duration(text, default_unit="s")
        except DurationError:
            raise v.error(f"{what}: {text!r} is not a duration (like 30s, 500ms, 2m, or none)") from None
    if seconds == 0 and zero_is_no_limit(component):
        return None
    return seconds


def _route(v: _Y, base: str) -> RouteSpec:
    fields = {key: (k, val) for key, k, val in v.items("a route")}
    for key, (k, _) in fields.items():
        if key not in _ROUTE_KEYS:
            raise k.error(f"unknown key {key!r} in a route (known: {', '.join(sorted(_ROUTE_KEYS))})")
    if "route" not in fields:
        raise v.error("a route needs route: (a path such as /_matrix/client/v3/sync)")
    route = fields["route"][1].text("route")
    host = fields["host"][1].text("host") if "host" in fields else None
    if not route.startswith("/"):
        raise fields["route"][1].error(f"route must be a path starting with /, got {route!r}")
    where = fields["route"][1].where(f"route {route}")
    hold = None
    if "hold" in fields:
        hv = fields["hold"][1]
        seconds = _duration(hv, "hold", "lpdoctor")
        if not seconds:
            raise hv.error("hold must be a positive duration, like 30s")
        hold = Hold(seconds=seconds, source="chain-file", detail=f"{where.file}:{where.line}")
    keepalive = _keepalive(fields["keepalive"][1]) if "keepalive" in fields else None
    hops = _hops(v, f"route {route}", base, _ROUTE_KEYS, skip={"route", "host", "hold", "keepalive"})
    return RouteSpec(route=route, host=host, hold=hold, keepalive=keepalive, location=where, hops=hops)


def _keepalive(v: _Y) -> Keepalive:
    fields = {key: val for key, _, val in v.items("keepalive")}
    unknown = set(fields) - {"every", "kind"}
    if unknown:
        raise v.error(f"keepalive: unknown key {sorted(unknown)[0]!r} (known: every, kind)")
    if "every" not in fields:
        raise v.error("keepalive needs every: (how often the server sends it, like 10s)")
    every = _duration(fields["every"], "keepalive every", "lpdoctor")
    if not every:
        raise fields["every"].error("keepalive every: must be a positive duration")
    kind = fields["kind"].text("keepalive kind") if "kind" in fields else "bytes"
    if kind not in KEEPALIVE_KINDS:
        raise fields["kind"].error(f"keepalive kind must be one of {', '.join(KEEPALIVE_KINDS)}, got {kind!r}")
    return Keepalive(interval_s=every, kind=kind)


def _hops(v: _Y, context: str, base: str, allowed: set[str], skip: frozenset[str] | set[str] = frozenset()) -> Hops:
    out = Hops()
    for key, k, val in v.items(context):
        if key in skip:
            continue
        if key not in allowed:
            raise k.error(f"unknown key {key!r} in {context} (known: {', '.join(sorted(allowed))})")
        if key == "app_from":
            items = val.elements("app_from") if isinstance(val.data, list) else [val]
            out.app_from = [(_resolve(base, i.text("app_from")), i.where("app_from")) for i in items]
            continue
        section = {"edge": "edges", "proxy": "proxies"}.get(key, key)
        kind = SECTIONS[section]
        if section in _LIST_SECTIONS:
            items = val.elements(key) if isinstance(val.data, list) else [val]
            setattr(out, section, [_hop(i, kind, f"{context} > {section}") for i in items])
        else:
            setattr(out, section, _hop(val, kind, f"{context} > {section}"))
    return out


def _hop(v: _Y, kind: HopKind, context: str) -> HopFacts:
    fields = {key: (k, val) for key, k, val in v.items(context)}
    for key, (k, _) in fields.items():
        if key not in _HOP_KEYS:
            raise k.error(f"unknown key {key!r} in {context} (known: {', '.join(sorted(_HOP_KEYS))})")
    if "component" not in fields:
        raise v.error(f"{context} needs component: (a name such as aws-alb, gunicorn, httpx)")
    component = fields["component"][1].text("component")
    where = v.where(f"{context} {component}")
    spec = ComponentSpec(kind=kind, component=component, location=where)
    if "name" in fields:
        spec.name = fields["name"][1].text("name")
    if "worker_class" in fields:
        spec.worker_class = fields["worker_class"][1].text("worker_class")
    for key, attr in (("keepalive_idle", "accept_idle"), ("pool_idle", "pool_idle")):
        if key in fields:
            val = fields[key][1]
            setattr(spec, attr, GivenTimer(key, _duration(val, key, component), val.where(f"{context} {component}")))
    for key, attr in (("buffering", "buffering"), ("passes_1xx", "passes_interim")):
        if key in fields:
            val = fields[key][1]
            if not isinstance(val.data, bool):
                raise val.error(f"{key} must be true or false")
            setattr(spec, attr, val.data)
    if "timeouts" in fields:
        for setting, _, val in fields["timeouts"][1].items(f"{context} timeouts"):
            spec.timers.append(_timer(component, setting, val, f"{context} {component}"))
    elif not known_component(component):
        raise v.error(f"unknown component {component!r}: give its timeouts: (with semantics)")
    return build_hop(spec)


def _timer(component: str, setting: str, v: _Y, context: str) -> GivenTimer:
    entry = catalog_entry(component, setting)
    semantics: Semantics | None = None
    value_node = v
    if isinstance(v.data, dict):
        fields = {key: val for key, _, val in v.items(setting)}
        unknown = set(fields) - {"value", "semantics"}
        if unknown:
            raise v.error(f"{setting}: unknown key {sorted(unknown)[0]!r} (known: value, semantics)")
        if "value" not in fields:
            raise v.error(f"{setting}: needs value:")
        value_node = fields["value"]
        if "semantics" in fields:
            text = fields["semantics"].text("semantics")
            try:
                semantics = Semantics(text)
            except ValueError:
                raise fields["semantics"].error(
                    f"semantics must be idle, total or until-headers, got {text!r}"
                ) from None
    if entry is None and semantics is None:
        known = ", ".join(s for s, e in _settings(component)) or "none in the catalog"
        raise v.error(
            f"{setting}: not a known setting of {component} ({known}); "
            "write {value: 30s, semantics: idle|total|until-headers}"
        )
    value = _duration(value_node, setting, component)
    return GivenTimer(setting, value, value_node.where(context), semantics)


def _settings(component: str) -> list[tuple[str, object]]:
    return list(catalog.components().get(component, {}).items())
