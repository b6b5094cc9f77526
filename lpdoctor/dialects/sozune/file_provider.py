"""Sōzune's file provider: a YAML ``entrypoints:`` list (``id``, ``name``, ``protocol``, ``backends``,
``config.hostnames``, ``config.backend_timeout`` …), read by Sōzune with serde_yaml: a value of the wrong type
makes the whole file fail to load, an unknown key is silently ignored. Every value keeps its ``file:line``."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lpdoctor.dialects.sozune import labels as sl
from lpdoctor.dialects.sozune.nodes import is_null, node_get, node_items, node_line, node_text
from lpdoctor.dialects.sozune.routes import LabelProblem, Setting, SozuneConfig, SozuneRoute
from lpdoctor.model import Severity, SourceLocation

_ENTRYPOINT_KEYS = ("id", "name", "protocol", "backends", "config", "source")
_PROTOCOL_VALUES = ("Http", "Tcp", "Udp")


def read_file_provider(doc: Node, config: SozuneConfig) -> None:
    file = config.file
    seq = node_get(doc, "entrypoints")
    assert isinstance(seq, SequenceNode)
    seen_ids: dict[str, int | None] = {}
    for item in seq.value:
        if not isinstance(item, MappingNode):
            config.problems.append(
                LabelProblem(
                    "file-type",
                    "an entrypoints: item is not a mapping: Sōzune cannot load this file",
                    SourceLocation(file, node_line(item), "entrypoints"),
                    severity=Severity.ERROR,
                )
            )
            continue
        route = _file_entrypoint(item, config)
        if route is None:
            continue
        if route.id in seen_ids:
            config.problems.append(
                LabelProblem(
                    "file-duplicate",
                    f"entrypoint id {route.id!r} is used twice (first at line {seen_ids[route.id]}): "
                    "the later one replaces the earlier",
                    route.block,
                )
            )
        seen_ids[route.id] = route.block.line
        config.routes.append(route)


def _file_entrypoint(item: MappingNode, config: SozuneConfig) -> SozuneRoute | None:
    file = config.file
    ident = node_text(node_get(item, "id"))
    where = f"entrypoint {ident}" if ident else "entrypoint"
    block = SourceLocation(file, node_line(item), where)

    def fatal(
        message: str,
        node: Node | None,
        key: str | None = None,
        value: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        config.problems.append(
            LabelProblem(
                "file-type",
                message + ": Sōzune's file provider fails to load the whole file (serde_yaml)",
                SourceLocation(file, node_line(node) or block.line, where),
                severity=Severity.ERROR,
                key=key,
                value=value,
                suggestion=suggestion,
            )
        )

    for key, knode, vnode in node_items(item):
        if key not in _ENTRYPOINT_KEYS:
            hint = sl.suggest_file_key(key)
            config.problems.append(
                LabelProblem(
                    "file-unknown",
                    f"{where}: unknown key {key!r} is silently ignored by Sōzune"
                    + (f"; did you mean config.{hint} (under config:)?" if hint else ""),
                    SourceLocation(file, node_line(knode), where),
                    key=key,
                    value=node_text(vnode),
                    suggestion=_file_line(hint, node_text(vnode)) + "  # under config:" if hint else None,
                )
            )
    missing = [k for k in ("id", "name", "protocol", "backends", "config") if node_get(item, k) is None]
    if missing:
        fatal(f"{where} lacks required key(s) {', '.join(missing)}", item)
    protocol = node_text(node_get(item, "protocol"))
    if protocol is not None and protocol not in _PROTOCOL_VALUES:
        fixed = next((p for p in _PROTOCOL_VALUES if p.lower() == protocol.lower()), None)
        fatal(
            f"{where}: protocol {protocol!r} is not one of Http, Tcp, Udp (case matters)",
            node_get(item, "protocol"),
            suggestion=f"protocol: {fixed}" if fixed else None,
        )
    cfg = node_get(item, "config")
    if ident is None or not isinstance(cfg, MappingNode):
        if cfg is not None and not isinstance(cfg, MappingNode):
            fatal(f"{where}: config is not a mapping", cfg)
        return None
    if (protocol or "").lower() != "http":
        return None
    route = SozuneRoute(
        id=ident,
        service=node_text(node_get(item, "name")) or ident,
        form="file",
        file=file,
        block=SourceLocation(file, node_line(item), where),
        workload=node_text(node_get(item, "name")),
    )
    ctx = f"{where} > config"
    for key, knode, vnode in node_items(cfg):
        if key not in sl.FILE_CONFIG_KEYS:
            hint = sl.suggest_file_key(key)
            config.problems.append(
                LabelProblem(
                    "file-unknown",
                    f"{ctx}: unknown key {key!r} is silently ignored by Sōzune"
                    + (f"; did you mean {hint}?" if hint else ""),
                    SourceLocation(file, node_line(knode), ctx),
                    key=key,
                    value=node_text(vnode),
                    suggestion=_file_line(hint, node_text(vnode)) if hint else None,
                )
            )
            continue
        route.settings[_FILE_TO_LABEL.get(key, key)] = Setting(
            f"config.{key}", node_text(vnode) or "", SourceLocation(file, node_line(knode), ctx)
        )
    hosts = node_get(cfg, "hostnames")
    if isinstance(hosts, SequenceNode):
        route.hosts = [h.value for h in hosts.value[:32] if isinstance(h, ScalarNode)]
    elif hosts is None:
        fatal(f"{ctx}: hostnames is required", cfg)
    else:
        fatal(f"{ctx}: hostnames must be a list", hosts)
    for req in ("tls", "strip_prefix", "priority"):
        if node_get(cfg, req) is None:
            fatal(f"{ctx}: {req} is required (no default in the file provider)", cfg)
    route.tls = node_text(node_get(cfg, "tls")) in ("true", "True", "TRUE")
    prio = node_get(cfg, "priority")
    if prio is not None and not is_null(prio):
        number = _file_int(prio)
        if number is None:
            fatal(f"{ctx}: priority must be a whole number", prio)
        else:
            route.priority = number
    path = node_get(cfg, "path")
    if isinstance(path, MappingNode):
        rtype = node_text(node_get(path, "rule_type")) or "Prefix"
        value = node_text(node_get(path, "value"))
        if rtype not in ("Prefix", "Regex", "Exact"):
            fatal(f"{ctx}: path.rule_type {rtype!r} is not Prefix, Regex or Exact", node_get(path, "rule_type"))
            rtype = "Prefix"
        route.path_type, route.path = rtype, value or "/"
    bt = node_get(cfg, "backend_timeout")
    if bt is not None and not is_null(bt):
        parsed = _file_uint(bt)
        if parsed is None:
            raw = node_text(bt) or "?"
            fatal(
                f"{ctx}: backend_timeout {raw!r} is not a whole number of seconds (or null)" + sl.unit_hint(raw),
                bt,
                key="config.backend_timeout",
                value=raw,
                suggestion=f"backend_timeout: {sl.suggest_seconds(raw)}",
            )
        else:
            route.backend_timeout = parsed
    retry = node_get(cfg, "retry")
    if retry is not None and not is_null(retry):
        attempts = node_get(retry, "attempts")
        n = _file_uint(attempts) if attempts is not None else None
        if n is None:
            fatal(f"{ctx}: retry.attempts must be a whole number", attempts or retry)
        else:
            route.retry_attempts = max(1, n)
            route.settings["retry.attempts"] = Setting(
                "config.retry.attempts", str(n), SourceLocation(file, node_line(attempts), ctx)
            )
    ifr = node_get(cfg, "in_flight_req")
    if ifr is not None and not is_null(ifr):
        n = _file_uint(ifr)
        if n is None:
            fatal(f"{ctx}: in_flight_req must be a whole number", ifr)
        elif n > 0:
            route.in_flight_req = n
    for key in ("in_flight_req", "forward_auth", "rate_limit", "circuit_breaker"):
        if not is_null(node_get(cfg, key)):
            route.middleware_reasons.append(key)
    if route.backend_timeout is not None:
        route.middleware_reasons.append("backend_timeout")
    if node_text(node_get(cfg, "compress")) == "true":
        route.middleware_reasons.append("compress")
    for key in ("plugins", "match_headers", "match_query", "match_client_ip", "ip_allow_list"):
        node = node_get(cfg, key)
        if isinstance(node, SequenceNode) and node.value:
            route.middleware_reasons.append(key)
    if route.retry_attempts > 1:
        route.middleware_reasons.append("retry")
    route.middleware = bool(route.middleware_reasons)
    return route


def _file_line(key: str, value: str | None) -> str:
    if key == "backend_timeout" and value is not None and sl.parse_unsigned(value) is None:
        value = sl.suggest_seconds(value)
    return f"{key}: {value if value is not None else '…'}"


_FILE_TO_LABEL = {"backend_timeout": "backendTimeout", "in_flight_req": "inFlightReq", "hostnames": "host"}


def _file_int(node: Node) -> int | None:
    if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:int":
        return None
    text = node.value.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    number = sl.parse_unsigned(text.lstrip("+-"))
    return None if number is None else sign * number


def _file_uint(node: Node) -> int | None:
    """A u64 as serde_yaml reads it: a plain integer scalar (a quoted "60" is a string, not a number)."""
    if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:int":
        return None
    text = node.value.replace("_", "")
    return sl.parse_unsigned(text)
