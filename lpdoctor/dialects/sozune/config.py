"""Sōzune configuration → :class:`~lpdoctor.dialects.sozune.routes.SozuneRoute` (and from there, Chains).

Three surfaces, one scheme (shared/research/sozune.md §1):

- a **Docker compose file**: ``labels:`` of each service, as a list (``- "sozune.http.synapse.host=…"``)
  or a mapping (``sozune.http.synapse.host: …``); ``deploy.labels`` too (the Swarm provider). The route
  keeps the compose service's name, so the same service's ``command:`` (read by
  :mod:`lpdoctor.dialects.app_servers`) can become the chain's server hop;
- **Kubernetes** manifests: ``sozune.*`` annotations of ``kind: Service`` objects (several documents,
  ``kind: List`` too);
- the **file provider** YAML: a top-level ``entrypoints:`` list, read by
  :mod:`lpdoctor.dialects.sozune.file_provider`.

This module reads the file, tells the surfaces apart and reads the labels and annotations; YAML nodes are
walked with :mod:`lpdoctor.dialects.sozune.nodes`, label keys and values read with
:mod:`lpdoctor.dialects.sozune.labels`.

Every value keeps its ``file:line``; a default keeps the line of the block it applies to. Values Sōzune
would ignore or read differently become :class:`~lpdoctor.dialects.sozune.routes.LabelProblem`\\ s, never
exceptions. Only ``yaml.compose_all`` with the safe loader is used (nodes with line numbers; no Python
objects are ever constructed from tags). Invalid YAML raises :class:`SozuneConfigError` with ``file:line``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lpdoctor.dialects.base import ConfigReadError, read_text
from lpdoctor.dialects.sozune import labels as sl
from lpdoctor.dialects.sozune.file_provider import read_file_provider
from lpdoctor.dialects.sozune.nodes import is_null, node_get, node_items, node_line, node_text, plain_scalar_text
from lpdoctor.dialects.sozune.routes import LabelProblem, Setting, SozuneConfig, SozuneRoute
from lpdoctor.dialects.yaml_nodes import YamlTooLarge, compose_documents
from lpdoctor.model import Severity, SourceLocation

MAX_CONFIG_BYTES = 32 << 20
FORMS = ("compose", "kubernetes", "file")


class SozuneConfigError(ConfigReadError):
    """The file cannot be read or is not YAML. ``str()`` is one line with ``file:line``."""


# ---- reading


def _read(path: str) -> str:
    try:
        return read_text(path, limit=MAX_CONFIG_BYTES)
    except ConfigReadError as exc:
        raise SozuneConfigError(exc.problem, exc.file, exc.line) from None


def _compose_yaml(text: str, shown: str) -> list[Node]:
    try:
        return compose_documents(text)
    except YamlTooLarge as exc:
        raise SozuneConfigError(str(exc), shown) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise SozuneConfigError(f"not valid YAML ({exc.problem or exc.context})", shown, line) from None
    except yaml.YAMLError as exc:
        raise SozuneConfigError(f"not valid YAML ({exc})", shown) from None
    except RecursionError:
        raise SozuneConfigError("YAML nested too deeply", shown) from None


def sniff_sozune_yaml(text: str) -> str | None:
    """Which Sōzune surface a YAML text is ("compose", "kubernetes", "file"), or None.

    Cheap and never raises: for dispatching a config file to this reader.
    """
    head = text[:MAX_CONFIG_BYTES]
    if "sozune." not in head and "entrypoints" not in head:
        return None
    try:
        docs = _compose_yaml(head, "-")
    except SozuneConfigError:
        return None
    for doc in docs:
        form = _form_of(doc)
        if form is not None:
            return form
    return None


def looks_like(name: str, text: str) -> bool:
    """Whether a file is Sōzune's (the dialect's sniff: :func:`lpdoctor.dialects.registry.sniff_config`)."""
    return name.endswith((".yml", ".yaml")) and sniff_sozune_yaml(text) is not None


def is_sozune_config(path: str) -> bool:
    try:
        return sniff_sozune_yaml(_read(path)) is not None
    except SozuneConfigError:
        return False


def load_sozune_config(path: str) -> SozuneConfig:
    """Read a compose file, Kubernetes manifests or a file-provider YAML. Raises :class:`SozuneConfigError`
    only when the file cannot be read or is not YAML."""
    shown = "<stdin>" if path == "-" else path
    docs = _compose_yaml(_read(path), shown)
    forms = [f for f in (_form_of(d) for d in docs) if f is not None]
    config = SozuneConfig(path=path, file=shown, form=forms[0] if forms else "none")
    for doc in docs:
        form = _form_of(doc)
        if form == "compose":
            _compose(doc, config)
        elif form == "kubernetes":
            for obj in _k8s_objects(doc):
                _k8s_object(obj, config)
        elif form == "file":
            read_file_provider(doc, config)
    if config.form == "none":
        config.notes.append(f"{shown}: no sozune.* labels or annotations and no file-provider entrypoints: found")
    elif not config.routes and not config.problems:
        config.notes.append(f"{shown}: no Sōzune HTTP route found")
    return config


def _form_of(doc: Node) -> str | None:
    if not isinstance(doc, MappingNode):
        return None
    if isinstance(node_get(doc, "entrypoints"), SequenceNode):
        return "file"
    services = node_get(doc, "services")
    if isinstance(services, MappingNode):
        for _, _, svc in node_items(services):
            if any(k.startswith("sozune.") for k, *_ in _labels_of(svc, None)):
                return "compose"
        return None
    if node_text(node_get(doc, "kind")) is not None:
        for obj in _k8s_objects(doc):
            ann = node_get(node_get(obj, "metadata"), "annotations")
            if isinstance(ann, MappingNode) and any(k.startswith("sozune.") for k, _, _ in node_items(ann)):
                return "kubernetes"
    return None


# ---- labels and annotations


def _labels_of(
    svc: Node, problems: list[LabelProblem] | None, file: str = "", where: str = ""
) -> list[tuple[str, str, int | None, str]]:
    """(key, value, line, style) of a compose service's ``labels`` and ``deploy.labels``."""
    out: list[tuple[str, str, int | None, str]] = []
    for node, label in (
        (node_get(svc, "labels"), "labels"),
        (node_get(node_get(svc, "deploy"), "labels"), "deploy.labels"),
    ):
        if node is None or is_null(node):
            continue
        if isinstance(node, SequenceNode):
            for item in node.value:
                text = node_text(item)
                if text is None:
                    if problems is not None:
                        problems.append(
                            LabelProblem(
                                "yaml",
                                f'a {label} item of {where} is not a string (expected "key=value"): ignored',
                                SourceLocation(file, node_line(item), where),
                            )
                        )
                    continue
                key, _, value = text.partition("=")
                out.append((key.strip(), value, node_line(item), "list"))
        elif isinstance(node, MappingNode):
            for key, knode, vnode in node_items(node):
                if isinstance(vnode, ScalarNode):
                    out.append((key.strip(), plain_scalar_text(vnode), node_line(knode), "mapping"))
                elif problems is not None:
                    problems.append(
                        LabelProblem(
                            "yaml",
                            f"label {key} of {where} has a list or mapping as its value: ignored",
                            SourceLocation(file, node_line(knode), where),
                            key=key,
                        )
                    )
        elif problems is not None:
            problems.append(
                LabelProblem(
                    "yaml",
                    f"{label} of {where} is neither a list nor a mapping: ignored",
                    SourceLocation(file, node_line(node), where),
                )
            )
    return out


@dataclass(slots=True)
class _Workload:
    """A container (compose service) or Kubernetes Service carrying sozune.* labels."""

    form: str  # "label" | "annotation"
    name: str
    block: SourceLocation
    labels: list[tuple[str, str, int | None, str]]
    image: str | None = None


def _compose(doc: Node, config: SozuneConfig) -> None:
    file = config.file
    for name, knode, svc in node_items(node_get(doc, "services")):
        where = f"service {name}"
        labels = _labels_of(svc, config.problems, file, where)
        if not any(k.startswith("sozune.") for k, *_ in labels):
            continue
        w = _Workload("label", name, SourceLocation(file, node_line(knode), where), labels)
        w.image = node_text(node_get(svc, "image"))
        _routes_from_labels(w, config)


def _k8s_objects(doc: Node, depth: int = 0) -> Iterator[Node]:
    if depth > 4 or not isinstance(doc, MappingNode):
        return
    items = node_get(doc, "items")
    if node_text(node_get(doc, "kind")) in ("List",) or (
        isinstance(items, SequenceNode) and node_get(doc, "metadata") is None
    ):
        if isinstance(items, SequenceNode):
            for item in items.value:
                yield from _k8s_objects(item, depth + 1)
        return
    yield doc


def _k8s_object(obj: Node, config: SozuneConfig) -> None:
    kind = node_text(node_get(obj, "kind")) or "?"
    meta = node_get(obj, "metadata")
    name = node_text(node_get(meta, "name")) or "?"
    namespace = node_text(node_get(meta, "namespace")) or "default"
    ann = node_get(meta, "annotations")
    if not isinstance(ann, MappingNode):
        return
    labels: list[tuple[str, str, int | None, str]] = []
    for key, knode, vnode in node_items(ann):
        if key.startswith("sozune."):
            labels.append((key, node_text(vnode) or "", node_line(knode), "mapping"))
    if not labels:
        return
    where = f"{kind} {namespace}/{name}"
    if kind != "Service":
        config.problems.append(
            LabelProblem(
                "k8s-kind",
                f"{where} carries sozune.* annotations, but Sōzune reads them only on a Service: ignored",
                SourceLocation(config.file, node_line(ann), where),
                explanation="Sōzune's Kubernetes provider makes candidates of Services (annotations) and of "
                "Ingress/HTTPRoute objects; annotations on other kinds are not read "
                "(kemeter/sozune documentation/providers/kubernetes.md).",
            )
        )
        return
    block = SourceLocation(config.file, node_line(ann), f"Service {namespace}/{name} > annotations")
    _routes_from_labels(_Workload("annotation", name, block, labels), config)


def _routes_from_labels(w: _Workload, config: SozuneConfig) -> None:
    file = config.file
    ctx = w.block.context
    values: dict[str, tuple[str, int | None]] = {}
    styles: set[str] = set()
    groups: dict[tuple[str, str], dict[str, tuple[str, int | None, str]]] = {}
    order: list[tuple[str, str]] = []
    bad_protocols: set[tuple[str | None, str | None]] = set()
    for key, value, line, style in w.labels:
        if not key.startswith("sozune."):
            continue
        styles.add(style)
        values[key] = (value, line)
        k = sl.split_key(key)
        loc = SourceLocation(file, line, ctx)
        if k is None:
            continue
        if k.is_global:
            continue
        if k.field is None:
            config.problems.append(_unknown(w, k, value, loc, "is not sozune.<protocol>.<service>.<field>"))
            continue
        if k.protocol not in sl.PROTOCOLS:
            if (k.protocol, k.service) in bad_protocols:
                continue
            bad_protocols.add((k.protocol, k.service))
            hint = sl.suggest_label(k)
            config.problems.append(
                LabelProblem(
                    "W012",
                    f"unsupported protocol {k.protocol!r} in {key}: Sōzune ignores the label"
                    + (f"; did you mean {hint}?" if hint else " (use http, tcp or udp)"),
                    loc,
                    key=key,
                    value=value,
                    suggestion=_line_for(w, hint, value) if hint else None,
                )
            )
            continue
        assert k.service is not None
        group = groups.setdefault((k.protocol, k.service), {})
        if (k.protocol, k.service) not in order:
            order.append((k.protocol, k.service))
        if not sl.is_known_field(k.field):
            config.problems.append(_unknown(w, k, value, loc, "is not a Sōzune label"))
            continue
        group[k.field] = (value, line, key)
    enable = values.get("sozune.enable")
    if enable is None or not sl.parse_bool(enable[0]):
        what = "no sozune.enable=true" if enable is None else f"sozune.enable={enable[0]!r} (only 'true' enables)"
        config.problems.append(
            LabelProblem(
                "E001",
                f"{ctx} has {what}: Sōzune ignores it unless the provider sets expose_by_default (checked here anyway)",
                SourceLocation(file, enable[1] if enable else w.block.line, ctx),
                severity=Severity.INFO,
                key="sozune.enable",
                value=enable[0] if enable else None,
                suggestion=_line_for(w, "sozune.enable", "true"),
            )
        )
    for protocol, service in order:
        if protocol != "http":
            continue
        route = _label_route(w, protocol, service, groups[(protocol, service)], config)
        if route is not None:
            route.label_style = "mapping" if styles == {"mapping"} else "list"
            config.routes.append(route)


def _line_for(w: _Workload, key: str, value: str) -> str:
    if w.form == "label" and all(style == "list" for *_, style in w.labels):
        return f'- "{key}={value}"'
    return f'{key}: "{value}"'


def _unknown(w: _Workload, k: sl.LabelKey, value: str, loc: SourceLocation, why: str) -> LabelProblem:
    hint = sl.suggest_label(k)
    if hint is not None and hint.endswith(".backendTimeout") and sl.parse_unsigned(value) is None:
        value = sl.suggest_seconds(value)  # "5s" becomes the whole seconds backendTimeout takes
    return LabelProblem(
        "W013",
        f"unknown label {k.raw} ({why}): Sōzune ignores it" + (f"; did you mean {hint}?" if hint else ""),
        loc,
        key=k.raw,
        value=value,
        suggestion=_line_for(w, hint, value) if hint else None,
    )


def _label_route(
    w: _Workload,
    protocol: str,
    service: str,
    fields: dict[str, tuple[str, int | None, str]],
    config: SozuneConfig,
) -> SozuneRoute | None:
    file = config.file
    ctx = w.block.context
    route = SozuneRoute(
        id=f"{protocol}_{service}",
        service=service,
        form=w.form,
        file=file,
        block=SourceLocation(file, w.block.line, f"{ctx} > sozune.{protocol}.{service}"),
        protocol=protocol,
        workload=w.name,
        image=w.image,
    )
    for name, (raw, line, key) in fields.items():
        route.settings[name] = Setting(key, raw, SourceLocation(file, line, ctx))

    def loc(name: str) -> SourceLocation:
        return route.settings[name].location if name in route.settings else route.block

    def problem(
        code: str,
        name: str,
        message: str,
        severity: Severity = Severity.WARNING,
        suggestion: str | None = None,
    ) -> None:
        s = route.settings.get(name)
        config.problems.append(
            LabelProblem(
                code,
                message,
                loc(name),
                severity=severity,
                key=s.key if s else None,
                value=s.raw if s else None,
                suggestion=suggestion,
            )
        )

    host = fields.get("host")
    if host is None or not host[0].strip():
        config.problems.append(
            LabelProblem(
                "E002",
                f"sozune.{protocol}.{service} has no host label: Sōzune drops this service (E002), "
                "so it is not routed at all",
                route.block,
                severity=Severity.ERROR,
                suggestion=_line_for(w, f"sozune.{protocol}.{service}.host", "example.com"),
            )
        )
        return None
    route.hosts = [h.strip() for h in host[0].split(",") if h.strip()][:32]
    for name, rtype in (("path", "Prefix"), ("prefix", "Prefix"), ("pathRegex", "Regex")):
        if name in fields:
            route.path_type, route.path = rtype, fields[name][0]
            break
    if "path" in fields and "prefix" in fields:
        problem(
            "path-precedence",
            "prefix",
            f"both path and prefix are set on sozune.{protocol}.{service}: Sōzune uses path "
            f"({fields['path'][0]!r}) and ignores prefix",
            severity=Severity.INFO,
        )
    tls = fields.get("tls")
    route.tls = sl.parse_bool(tls[0]) if tls else False
    for name in ("tls", "compress", "stickySession", "httpsRedirect", "stripPrefix"):
        f = fields.get(name)
        if f is not None and f[0] != "true" and f[0].strip().lower() in ("true", "1", "yes", "on"):
            problem(
                "bool",
                name,
                f"{f[2]}={f[0]!r} is read as false: Sōzune treats only the literal 'true' as true",
                suggestion=_line_for(w, f[2], "true"),
            )

    bt = fields.get("backendTimeout")
    if bt is not None:
        raw = bt[0]
        value, is_var = sl.variable_default(raw)
        parsed = sl.parse_unsigned(value) if value is not None else None
        if is_var and parsed is not None:
            config.notes.append(f"{file}:{bt[1]}: {bt[2]}={raw}: checked with its default {value}")
        if parsed is None:
            if is_var:
                problem(
                    "variable",
                    "backendTimeout",
                    f"{bt[2]}={raw} comes from an environment variable lpdoctor cannot see: not checked "
                    "(the default 30 s is assumed)",
                    severity=Severity.INFO,
                )
            else:
                problem(
                    "W003",
                    "backendTimeout",
                    f"{bt[2]}={raw!r} is not a whole number of seconds: Sōzune ignores it (W003) and the "
                    "default 30 s applies" + sl.unit_hint(raw),
                    suggestion=_line_for(w, bt[2], sl.suggest_seconds(raw)),
                )
        else:
            route.backend_timeout = parsed
    retry = fields.get("retry.attempts")
    if retry is not None:
        n = sl.parse_unsigned(retry[0].strip(), bits=32)
        if n is None:
            problem(
                "W023",
                "retry.attempts",
                f"{retry[2]}={retry[0]!r} is not a whole number: Sōzune disables retries (W023)",
            )
        else:
            route.retry_attempts = max(1, n)
    ifr = fields.get("inFlightReq")
    if ifr is not None:
        n = sl.parse_unsigned(ifr[0])
        if n is None or n == 0:
            problem(
                "W025",
                "inFlightReq",
                f"{ifr[2]}={ifr[0]!r} is not a positive whole number: Sōzune disables the in-flight limiter (W025)",
            )
        else:
            route.in_flight_req = n
    for name in sl.MIDDLEWARE_FIELDS:
        if name in fields and (name != "backendTimeout" or route.backend_timeout is not None):
            route.middleware_reasons.append(name)
    if fields.get("compress", ("",))[0] == "true":
        route.middleware_reasons.append("compress")
    if route.retry_attempts > 1:
        route.middleware_reasons.append("retry.attempts")
    route.middleware = bool(route.middleware_reasons)
    prio = fields.get("priority")
    if prio is not None:
        try:
            route.priority = int(prio[0])
        except ValueError:
            problem("W002", "priority", f"{prio[2]}={prio[0]!r} is not a whole number: Sōzune uses 0 (W002)")
    return route
