"""ingress-nginx (Kubernetes) manifests → the same :class:`~lpdoctor.dialects.nginx.config.NginxConfig`.

Each Ingress rule path becomes one pseudo-location of a server named after the rule's host, with the
timeouts ingress-nginx renders into nginx.conf for it: the ``nginx.ingress.kubernetes.io/*`` annotation
when set, else the controller ConfigMap's value when the manifests contain it, else ingress-nginx's own
default. Every value keeps the ``file:line`` of the annotation (or of the path, for a default).

ingress-nginx defaults differ from plain nginx (kubernetes/ingress-nginx
``internal/ingress/controller/config/config.go``, ``NewDefault``): ``proxy-connect-timeout`` 5 s,
``proxy-next-upstream-tries`` **3**, ``proxy-buffering`` off, client ``keep-alive`` 75 s, upstream
keepalive 320 connections for 60 s. Annotation values are whole seconds without a unit; ingress-nginx
reads them as integers and falls back to the default when they are not
(``internal/ingress/annotations/proxy/main.go``).

Only ``yaml.compose_all`` with the safe loader is used: it builds nodes (with line numbers) and never
constructs Python objects from tags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lpdoctor.dialects.base import ConfigReadError, read_text
from lpdoctor.dialects.edges.ingress_class import is_ingress_nginx
from lpdoctor.dialects.nginx.interpret import compile_location_regex
from lpdoctor.dialects.nginx.model import (
    NextUpstream,
    NginxConfig,
    NginxConfigError,
    NginxListen,
    NginxLocation,
    NginxServer,
    NginxSetting,
    Upstream,
)
from lpdoctor.dialects.yaml_nodes import YamlTooLarge, compose_documents
from lpdoctor.model import Semantics, SourceLocation, Timeout

COMPONENT = "ingress-nginx"
PREFIX = "nginx.ingress.kubernetes.io/"
MAX_MANIFEST_BYTES = 32 << 20

# key → (default, unit note). Timeouts are whole seconds.
DEFAULTS: dict[str, str] = {
    "proxy-read-timeout": "60",
    "proxy-send-timeout": "60",
    "proxy-connect-timeout": "5",
    "proxy-next-upstream": "error timeout",
    "proxy-next-upstream-tries": "3",
    "proxy-next-upstream-timeout": "0",
    "proxy-buffering": "off",
    "keep-alive": "75",  # ConfigMap only: client keepalive_timeout
    "upstream-keepalive-connections": "320",  # ConfigMap only
    "upstream-keepalive-timeout": "60",  # ConfigMap only
}
_TIMEOUT_KEYS = {
    "proxy-read-timeout": ("read", Semantics.IDLE),
    "proxy-send-timeout": ("send", Semantics.IDLE),
    "proxy-connect-timeout": ("connect", Semantics.TOTAL),
    "proxy-next-upstream-timeout": ("next_upstream", Semantics.TOTAL),
}
_INT_KEYS = frozenset({*_TIMEOUT_KEYS, "proxy-next-upstream-tries"})
_PROTOCOL_KIND = {"GRPC": "grpc", "GRPCS": "grpc", "FCGI": "fastcgi"}


@dataclass(frozen=True, slots=True)
class _Value:
    text: str
    key: str  # the full annotation or ConfigMap key it came from; "" for a built-in default
    location: SourceLocation | None
    rejected: str | None = None  # an annotation ingress-nginx ignored (not a whole number) in favour of this


def load_ingress_manifests(path: str) -> NginxConfig:
    """Read Kubernetes YAML (several documents, ``kind: List`` too) and map every Ingress rule path.

    Raises :class:`~lpdoctor.dialects.nginx.config.NginxConfigError` when the file cannot be read or is
    not YAML (one line, with ``file:line``).
    """
    text = _read(path)
    shown = "<stdin>" if path == "-" else path
    try:
        docs = compose_documents(text)
    except YamlTooLarge as exc:
        raise NginxConfigError(str(exc), shown) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise NginxConfigError(f"not valid YAML ({exc.problem or exc.context})", shown, line) from None
    except yaml.YAMLError as exc:
        raise NginxConfigError(f"not valid YAML ({' '.join(str(exc).split())})", shown) from None
    except RecursionError:
        raise NginxConfigError("not valid YAML (nested too deeply)", shown) from None
    objects = [obj for doc in docs for obj in _objects(doc)]
    config = NginxConfig(source=path, main_file=shown, files=[shown], dialect="ingress-nginx")
    globals_ = _controller_configmap(objects, shown, config)
    classes = {
        _text(_get(_get(o, "metadata"), "name")) or "": _text(_get(_get(o, "spec"), "controller")) or ""
        for o in objects
        if _text(_get(o, "kind")) == "IngressClass"
    }
    for obj in objects:
        if _text(_get(obj, "kind")) == "Ingress" and _for_ingress_nginx(obj, classes):
            _ingress(obj, shown, config, globals_)
    if not config.servers:
        config.warnings.append(f"{shown}: no Ingress with rules found")
    return config


def _for_ingress_nginx(obj: Node, classes: dict[str, str]) -> bool:
    """Whether ingress-nginx serves this Ingress, by its class and annotations (an ALB, GKE or AGIC Ingress is read
    by :mod:`lpdoctor.dialects.edges.kubernetes`)."""
    meta = _get(obj, "metadata")
    annotations = _get(meta, "annotations")
    keys = [str(k.value) for k, _ in annotations.value] if isinstance(annotations, MappingNode) else []
    name = _text(_get(_get(obj, "spec"), "ingressClassName")) or _text(_get(annotations, "kubernetes.io/ingress.class"))
    return is_ingress_nginx(name, keys, classes)


def _read(path: str) -> str:
    try:
        return read_text(path, limit=MAX_MANIFEST_BYTES)
    except ConfigReadError as exc:
        raise NginxConfigError(exc.problem, exc.file, exc.line) from None


# ---- YAML nodes


def _get(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return v
    return None


def _key_node(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    return next((k for k, _ in node.value if isinstance(k, ScalarNode) and k.value == key), None)


def _text(node: Node | None) -> str | None:
    return str(node.value) if isinstance(node, ScalarNode) else None


def _items(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _objects(doc: Node) -> list[Node]:
    if _text(_get(doc, "kind")) == "List":
        return [item for item in _items(_get(doc, "items")) if isinstance(item, MappingNode)]
    return [doc] if isinstance(doc, MappingNode) else []


# ---- ConfigMap and Ingress


def _controller_configmap(objects: list[Node], file: str, config: NginxConfig) -> dict[str, _Value]:
    """Global values from the controller ConfigMap, when the manifests include it."""
    found: dict[str, _Value] = {}
    for obj in objects:
        if _text(_get(obj, "kind")) != "ConfigMap":
            continue
        name = _text(_get(_get(obj, "metadata"), "name")) or ""
        data = _get(obj, "data")
        keys = [k for k in DEFAULTS if _get(data, k) is not None]
        if "nginx" not in name or not keys:
            continue
        for key in keys:
            node = _get(data, key)
            key_node = _key_node(data, key)
            value = _text(node)
            if value is None or key_node is None:
                continue
            where = SourceLocation(file, _line(key_node), f"ConfigMap {name}")
            found.setdefault(key, _Value(value.strip(), key, where))
    return found


def _ingress(obj: Node, file: str, config: NginxConfig, globals_: dict[str, _Value]) -> None:
    meta = _get(obj, "metadata")
    name = _text(_get(meta, "name")) or "?"
    namespace = _text(_get(meta, "namespace")) or "default"
    annotations = _get(meta, "annotations")
    spec = _get(obj, "spec")

    def value(key: str, where: SourceLocation) -> _Value:
        node = _get(annotations, PREFIX + key)
        key_node = _key_node(annotations, PREFIX + key)
        text = _text(node)
        fallback = globals_.get(key) or _Value(DEFAULTS[key], "", where)
        if text is None or key_node is None:
            return fallback
        at = SourceLocation(file, _line(key_node), f"Ingress {namespace}/{name}")
        if key in _INT_KEYS and not text.strip().isdecimal():
            why = (
                f"{at.file}:{at.line}: {PREFIX + key} {text.strip()!r} is not a whole number of seconds; "
                f"ingress-nginx ignores it and uses {fallback.text}"
            )
            if why not in config.warnings:
                config.warnings.append(why)
            return _Value(fallback.text, fallback.key, fallback.location, rejected=why)
        return _Value(text.strip(), PREFIX + key, at)

    regex = (
        _text(_get(annotations, PREFIX + "use-regex")) == "true"
        or _get(annotations, PREFIX + "rewrite-target") is not None
    )
    protocol = (_text(_get(annotations, PREFIX + "backend-protocol")) or "HTTP").upper()
    kind = _PROTOCOL_KIND.get(protocol, "proxy")
    for rule in _items(_get(spec, "rules")):
        host = _text(_get(rule, "host")) or ""
        server = _server(config, host, file, _line(rule))
        for entry in _items(_get(_get(rule, "http"), "paths")):
            path = _text(_get(entry, "path")) or "/"
            path_type = _text(_get(entry, "pathType")) or "ImplementationSpecific"
            modifier = "=" if path_type == "Exact" else ("~*" if regex else "")
            pattern = f"^{path}" if modifier == "~*" else path
            shown = f"{modifier} {pattern}" if modifier else pattern
            label = f"{server.label} > location {shown} (Ingress {namespace}/{name})"
            loc = NginxLocation(
                server=server,
                modifier=modifier,
                pattern=pattern,
                file=file,
                line=_line(entry),
                label=label,
                pass_kind=kind,
                pass_target=_backend(entry),
            )
            if modifier == "~*":
                loc.regex = compile_location_regex(pattern, True)
            elif path_type == "Prefix" and not path.endswith("/"):
                loc.notes.append(
                    f"pathType Prefix matches whole path elements ({path} and {path}/...); "
                    "matched here as an nginx prefix"
                )
            _fill(loc, kind, value, config, globals_)
            loc.upstream = Upstream(
                name=f"{namespace}-{loc.pass_target}",
                file=file,
                line=_line(entry),
                keepalive=int(
                    _number(
                        globals_.get("upstream-keepalive-connections"),
                        DEFAULTS["upstream-keepalive-connections"],
                        config,
                    )
                ),
                note="the number of endpoints (pods) behind the Service is not in the manifests",
            )
            loc.upstream.keepalive_timeout = _timeout(
                "upstream-keepalive-timeout",
                "keepalive_timeout",
                Semantics.IDLE,
                globals_.get("upstream-keepalive-timeout")
                or _Value(DEFAULTS["upstream-keepalive-timeout"], "", loc.source),
                config,
            )
            server.locations.append(loc)


def _server(config: NginxConfig, host: str, file: str, line: int) -> NginxServer:
    names = [host] if host else ["_"]
    for server in config.servers:
        if server.names == names:
            return server
    label = f"server {host}" if host else "server _ (Ingress rules without host)"
    listens = [] if host else [NginxListen("80", 80, True, file, line)]
    server = NginxServer(names=names, listens=listens, file=file, line=line, label=label)
    config.servers.append(server)
    return server


def _backend(entry: Node) -> str:
    backend = _get(entry, "backend")
    service = _get(backend, "service")
    if service is not None:  # networking.k8s.io/v1
        port = _get(service, "port")
        number = _text(_get(port, "number")) or _text(_get(port, "name")) or "?"
        return f"{_text(_get(service, 'name')) or '?'}:{number}"
    name = _text(_get(backend, "serviceName"))  # extensions/v1beta1
    return f"{name or '?'}:{_text(_get(backend, 'servicePort')) or '?'}"


def _fill(
    loc: NginxLocation,
    kind: str,
    lookup: Callable[[str, SourceLocation], _Value],
    config: NginxConfig,
    globals_: dict[str, _Value],
) -> None:
    def get(key: str) -> _Value:
        return lookup(key, loc.source)

    for key, (role, semantics) in _TIMEOUT_KEYS.items():
        directive = f"{kind}_{role}_timeout"
        loc.timeouts[directive] = _timeout(key, directive, semantics, get(key), config)
    keepalive = globals_.get("keep-alive") or _Value(DEFAULTS["keep-alive"], "", loc.source)
    loc.timeouts["keepalive_timeout"] = _timeout("keep-alive", "keepalive_timeout", Semantics.IDLE, keepalive, config)
    loc.timeouts["send_timeout"] = Timeout(
        COMPONENT,
        "send_timeout",
        60.0,
        Semantics.IDLE,
        loc.source,
        explicit=False,
        note="nginx default; ingress-nginx has no setting for it",
    )
    conditions = get("proxy-next-upstream")
    tries = get("proxy-next-upstream-tries")
    where_c = conditions.location or loc.source
    where_t = tries.location or loc.source
    loc.next_upstream = NextUpstream(
        conditions=tuple(conditions.text.split()) or ("error", "timeout"),
        tries=int(_number(tries, DEFAULTS["proxy-next-upstream-tries"], config)),
        timeout=loc.timeouts[f"{kind}_next_upstream_timeout"],
        conditions_setting=_setting(conditions, "proxy-next-upstream", where_c),
        tries_setting=_setting(tries, "proxy-next-upstream-tries", where_t),
    )
    if kind != "grpc":
        buffering = get("proxy-buffering")
        loc.buffering = _setting(buffering, "proxy-buffering", buffering.location or loc.source)


def _setting(v: _Value, key: str, where: SourceLocation) -> NginxSetting:
    if v.key:
        return NginxSetting(v.key, v.text, where, note=v.rejected)
    note = "ingress-nginx default" + (f"; {v.rejected}" if v.rejected else "")
    return NginxSetting(PREFIX + key, v.text, where, explicit=False, note=note)


def _number(v: _Value | None, default: str, config: NginxConfig) -> float:
    if v is None:
        return float(default)
    if v.text.isascii() and v.text.isdecimal() and len(v.text) <= 9:  # not "²", not 10**400
        return float(v.text)
    config.warnings.append(
        f"{v.location}: {v.key or 'value'} {v.text!r} is not a whole number of seconds, which ingress-nginx "
        f"expects; the default {default} is shown"
    )
    return float(default)


def _timeout(key: str, directive: str, semantics: Semantics, v: _Value, config: NginxConfig) -> Timeout:
    """One timer; ``setting`` is the key to change (the annotation, or the ConfigMap key for global ones)."""
    seconds = _number(v, DEFAULTS[key], config)
    value: float | None = seconds
    note: str | None = None
    if key == "proxy-next-upstream-timeout" and seconds == 0:
        value, note = None, "0 means no limit"
    elif seconds == 0 and key == "keep-alive":
        note = "0 disables keep-alive client connections"
    elif seconds == 0:
        note = "0 is a zero timeout (nginx gives up at once, 504), not 'no limit'"
    if not v.key:
        note = "ingress-nginx default" + (f"; {note}" if note else "")
    if v.rejected:
        note = f"{v.rejected}; {note}" if note else v.rejected
    setting = v.key or (PREFIX + key if key in _TIMEOUT_KEYS else key)
    return Timeout(COMPONENT, setting, value, semantics, v.location, explicit=bool(v.key), note=note)
