"""What the HAProxy, Traefik, Caddy, Envoy and Apache config readers share.

Each of those readers turns its dialect into a list of :class:`Frontend` objects — one per virtual server
(HAProxy frontend, Traefik entryPoint, Caddy site, Envoy virtual host, Apache ``VirtualHost``) — that can
say which of its blocks serves a request, as :class:`~lpdoctor.model.hops.HopFacts`. :class:`RoutedSource`
wraps them as a :class:`~lpdoctor.model.hops.ProxySource`, so the chain builder and every generic rule
(``timeout-below-hold``, ``unbounded-timeout`` ...) see these proxies exactly as they see nginx.

Only timers that can end a request *already being held* go into ``Hop.timeouts`` (the proxy's response or
read timeout, total stream caps); timers of other phases (connect, request headers, keep-alive) are kept by
each reader's own model and appear as notes, ``accept_idle`` or ``pool_idle``. A timer nothing set keeps the
location of the block it applies to, with ``explicit=False``.

:func:`sniff_config` and :func:`load_config_source` let ``check-config`` dispatch a file by its content.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from lpdoctor.dialects.yaml_nodes import YamlTooLarge, compose_documents
from lpdoctor.model import InputSummary, Semantics, SourceLocation, Timeout
from lpdoctor.model.hops import HopFacts, ProxySource
from lpdoctor.text.inputs import InputError, count_input_lines, read_input

MAX_CONFIG_BYTES = 16 << 20


class Dialect(Protocol):
    """What a config dialect module gives the registry (:mod:`lpdoctor.dialects.registry`); a module conforms
    by defining these two functions."""

    def looks_like(self, name: str, text: str) -> bool:
        """Whether a file named ``name`` (lower case, no folder) with ``text`` is in this dialect. Cheap; may raise
        (the registry treats an exception as no)."""
        ...

    def load_source(self, path: str) -> ProxySource:
        """Read ``path`` (``-``: stdin) as a proxy source. Raises a :class:`ConfigReadError` subclass."""
        ...


class ConfigReadError(Exception):
    """A configuration lpdoctor cannot use at all. ``str()`` is one line: ``file[:line]: problem``."""

    def __init__(self, problem: str, file: str | None = None, line: int | None = None) -> None:
        self.problem = problem
        self.file = file
        self.line = line
        where = f"{file}:{line}" if file and line else (file or "")
        super().__init__(f"{where}: {problem}" if where else problem)


def read_text(path: str, *, included: bool = False, limit: int = MAX_CONFIG_BYTES) -> str:
    """The file (or stdin for ``-``) as text; invalid UTF-8 replaced. Raises :class:`ConfigReadError`.

    Read with :func:`lpdoctor.text.inputs.read_input` (no FIFO, no device, at most ``limit`` bytes); ``included``:
    a file another config names, a regular file outside /proc, /sys and /dev only.
    """
    try:
        raw = read_input(path, limit, included=included)
    except InputError as exc:
        raise ConfigReadError(_problem(exc, path), path if path != "-" else "<stdin>") from None
    if b"\x00" in raw[:8192]:
        raise ConfigReadError("binary data, not a configuration file", path)
    return raw.decode("utf-8", "replace")


def _problem(exc: InputError, path: str) -> str:
    """An :class:`InputError`'s message without the path it starts with (ConfigReadError puts it back)."""
    text = str(exc)
    for prefix in (f"{path}: ", "<stdin>: "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def timer(
    component: str,
    setting: str,
    value_s: float | None,
    semantics: Semantics,
    location: SourceLocation | None,
    *,
    explicit: bool = True,
    note: str | None = None,
) -> Timeout:
    return Timeout(
        component=component,
        setting=setting,
        value_s=value_s,
        semantics=semantics,
        location=location,
        explicit=explicit,
        note=note,
    )


def host_matches(pattern: str, host: str) -> bool:
    """A server-name pattern against a host: exact, ``*.example.com``, ``example.*``, or ``*`` (case-insensitive)."""
    pattern = pattern.strip().lower().rstrip(".")
    host = host.strip().lower().rstrip(".")
    if ":" in host and not host.startswith("["):
        host = host.split(":", 1)[0]
    if pattern in ("*", ""):
        return True
    if ":" in pattern and not pattern.startswith("["):
        pattern = pattern.split(":", 1)[0]
    if "*" in pattern:
        return fnmatch.fnmatchcase(host, pattern)
    return pattern == host


def concrete_host(patterns: Iterable[str]) -> str | None:
    """A host name the patterns answer to: the first plain one, a wildcard made concrete, else None."""
    plain = [p for p in patterns if p and "*" not in p and not p.startswith("~") and p != "_"]
    if plain:
        return plain[0].split(":", 1)[0].lower() if not plain[0].startswith("[") else plain[0]
    for p in patterns:
        if p.startswith("*."):
            return "www" + p[1:].lower()
    return None


@dataclass(slots=True)
class Frontend:
    """One virtual server: the host names it answers to and how it picks the block for a request.

    ``pick(host, path)`` returns the serving hop, or None when the request is not passed to any upstream.
    ``hosts`` are patterns (empty: any host). ``probe_hosts`` are concrete names worth trying when the
    request's host is not known (HAProxy's host ACLs, Traefik's ``Host()`` rules ...).
    """

    name: str
    hosts: list[str]
    pick: Callable[[str | None, str], HopFacts | None]
    probe_hosts: list[str] = field(default_factory=list)

    def answers(self, host: str | None) -> bool:
        if host is None or not self.hosts:
            return True
        return any(host_matches(p, host) for p in self.hosts)


class RoutedSource:
    """A :class:`~lpdoctor.model.hops.ProxySource` over a reader's :class:`Frontend` list."""

    def __init__(
        self,
        component: str,
        label: str,
        frontends: list[Frontend],
        warnings: list[str] | None = None,
        every_hop: Callable[[], Iterable[HopFacts]] | None = None,
        files: list[str] | None = None,
        dialect: str | None = None,
    ) -> None:
        self.component = component
        self.label = label
        self.frontends = frontends
        self._warnings = list(warnings or [])
        self._every_hop = every_hop
        self.files = list(files or [label])
        self.dialect = dialect or f"{component}-config"

    def input_summary(self) -> InputSummary:
        """The config as one input of the report: files read, lines, and the reader's warnings."""
        lines = sum(count_input_lines(f) for f in self.files)
        summary = InputSummary(path=self.label, format=self.dialect, lines=lines, parsed=lines, kind="config")
        summary.warnings.extend(self._warnings)
        if len(self.files) > 1:
            summary.warnings.insert(0, f"{len(self.files)} files read")
        return summary

    def warnings(self) -> list[str]:
        return list(self._warnings)

    def hop_for(self, host: str | None, path: str) -> HopFacts | None:
        generic = [f for f in self.frontends if not f.hosts]
        if host is None:  # host unknown: a catch-all server first, then any server that serves the path
            order = generic + [f for f in self.frontends if f.hosts]
        else:
            order = [f for f in self.frontends if f.hosts and f.answers(host)] + generic
        for fe in order:
            facts = fe.pick(host, path)
            if facts is not None:
                return facts
        return None

    def each_server(self, path: str) -> Iterable[tuple[str | None, HopFacts]]:
        seen: set[int] = set()
        for fe in self.frontends:
            candidates: list[str | None] = []
            if fe.hosts:
                candidates.append(concrete_host(fe.hosts))
            candidates.extend(fe.probe_hosts)
            candidates.append(None)
            for host in dict.fromkeys(candidates):
                facts = fe.pick(host, path)
                if facts is None or id(facts) in seen:
                    continue
                seen.add(id(facts))
                yield host, facts

    def all_timers(self) -> Iterable[tuple[Timeout, HopFacts]]:
        if self._every_hop is None:
            return
        seen: set[int] = set()
        for facts in self._every_hop():
            if id(facts) in seen:
                continue
            seen.add(id(facts))
            for t in facts.hop.timeouts:
                if t.explicit:
                    yield t, facts


# ---- YAML / JSON documents with line numbers (safe: nodes only, nothing is ever constructed from tags)

MAX_DEPTH = 64


@dataclass(slots=True)
class Y:
    """A YAML/JSON value with the line it starts on: a dict of ``Y``, a list of ``Y``, or a scalar."""

    value: object
    line: int | None = None
    tag: str = "str"  # for scalars: "str", "int", "float", "bool", "null"

    def get(self, *keys: str) -> Y | None:
        node: Y | None = self
        for key in keys:
            if node is None or not isinstance(node.value, dict):
                return None
            node = node.value.get(key)
        return node

    def items(self) -> list[tuple[str, Y]]:
        return list(self.value.items()) if isinstance(self.value, dict) else []

    def seq(self) -> list[Y]:
        return list(self.value) if isinstance(self.value, list) else []

    def text(self) -> str | None:
        """A scalar as text (None for mappings, lists and null)."""
        if isinstance(self.value, (dict, list)) or self.tag == "null":
            return None
        return str(self.value)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)


_YAML_TAGS = {
    "tag:yaml.org,2002:int": "int",
    "tag:yaml.org,2002:float": "float",
    "tag:yaml.org,2002:bool": "bool",
    "tag:yaml.org,2002:null": "null",
}


MAX_NODES = 1_000_000  # values in one document once aliases are expanded


class _TooManyNodes(Exception):
    pass


def _from_node(node: object, depth: int = 0, budget: list[int] | None = None, inside: set[int] | None = None) -> Y:
    """``node`` as a :class:`Y` tree. Aliases are expanded, so a few lines of ``&a [*b, *b, ...]`` can stand
    for billions of values ("billion laughs"): past :data:`MAX_NODES` the document is refused, and at once
    when an alias refers to a collection that contains it (``&a [*a]``)."""
    import yaml

    if budget is None:
        budget = [MAX_NODES]
    if inside is None:
        inside = set()
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooManyNodes
    if depth > MAX_DEPTH:
        return Y(None, None, "null")
    line = node.start_mark.line + 1 if isinstance(node, yaml.Node) else None
    if isinstance(node, yaml.CollectionNode):
        if id(node) in inside:
            raise _TooManyNodes
        inside.add(id(node))
    try:
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Y] = {}
            for knode, vnode in node.value:
                if isinstance(knode, yaml.ScalarNode):
                    if knode.value == "<<" and knode.tag == "tag:yaml.org,2002:merge":
                        merged = _from_node(vnode, depth + 1, budget, inside)
                        for src in [merged] if merged.is_map else merged.seq():
                            for k, v in src.items():
                                out.setdefault(k, v)
                        continue
                    child = _from_node(vnode, depth + 1, budget, inside)
                    child.line = knode.start_mark.line + 1  # a block is where its key is written
                    out[knode.value] = child
            return Y(out, line)
        if isinstance(node, yaml.SequenceNode):
            return Y([_from_node(v, depth + 1, budget, inside) for v in node.value], line)
    finally:
        if isinstance(node, yaml.CollectionNode):
            inside.discard(id(node))
    if isinstance(node, yaml.ScalarNode):
        return Y(node.value, line, _YAML_TAGS.get(node.tag, "str"))
    return Y(None, line, "null")


def _from_json(value: object, depth: int = 0) -> Y:
    if depth > MAX_DEPTH:
        return Y(None, None, "null")
    if isinstance(value, dict):
        return Y({str(k): _from_json(v, depth + 1) for k, v in value.items()})
    if isinstance(value, list):
        return Y([_from_json(v, depth + 1) for v in value])
    if value is None:
        return Y(None, None, "null")
    if isinstance(value, bool):
        return Y("true" if value else "false", None, "bool")
    if isinstance(value, int):
        return Y(str(value), None, "int")
    if isinstance(value, float):
        return Y(repr(value), None, "float")
    return Y(str(value))


def load_documents(text: str, file: str) -> list[Y]:
    """Every YAML document (or the one JSON value) in ``text``, with line numbers when YAML can give them.

    Raises :class:`ConfigReadError` (with the line) when the text is neither YAML nor JSON.
    """
    import json

    import yaml

    try:
        nodes = compose_documents(text)
        budget = [MAX_NODES]
        return [_from_node(n, 0, budget) for n in nodes]
    except (_TooManyNodes, YamlTooLarge):
        raise ConfigReadError(
            f"YAML aliases expand to more than {MAX_NODES} values (or into themselves); not a configuration", file
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = f"not valid YAML or JSON ({exc.problem or exc.context})"
        yaml_error = ConfigReadError(problem, file, mark.line + 1 if mark is not None else None)
    except (yaml.YAMLError, RecursionError) as exc:
        yaml_error = ConfigReadError(f"not valid YAML or JSON ({exc.__class__.__name__})", file)
    try:
        return [_from_json(json.loads(text))]
    except (ValueError, RecursionError):
        raise yaml_error from None


def go_duration(text: str, *, bare_unit: str | None = None) -> float | None:
    """A Go ``time.Duration`` string (``1m30s``, ``300ms``, ``1.5h``) in seconds; a bare number in
    ``bare_unit`` when given (Traefik reads ``60`` as seconds); None when it is not one."""
    s = text.strip()
    if not s or len(s) > 64:
        return None
    if bare_unit is not None and _BARE.fullmatch(s):
        return float(s) * _GO_UNITS[bare_unit]
    if s in ("0", "-0", "+0"):
        return 0.0
    pos = 0
    total = 0.0
    sign = 1.0
    if s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        pos = 1
    matched = False
    while pos < len(s):
        m = _GO_PART.match(s, pos)
        if m is None:
            return None
        total += float(m[1]) * _GO_UNITS[m[2]]
        pos = m.end()
        matched = True
    if not matched:
        return None
    return sign * total


_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_GO_PART = re.compile(r"(\d{1,15}(?:\.\d{1,9})?|\.\d{1,9})(ns|us|µs|μs|ms|s|m|h|d)")
_BARE = re.compile(r"\d{1,15}(?:\.\d{1,9})?")
