"""Kubernetes manifests → the hops in front of the app: Ingress by controller, GKE BackendConfig, OpenShift Route,
Gateway API HTTPRoute, F5 NGINX Ingress, Cloud Run / Knative services.

All files given together are read as one manifest set (a GKE Ingress names a Service, whose annotation names a
BackendConfig, often in three files). Where each platform reads its timeout, and its default when unset:

- AWS Load Balancer Controller (class ``alb``): ``alb.ingress.kubernetes.io/load-balancer-attributes:
  idle_timeout.timeout_seconds=N``; the ALB's idle timeout, 60 s (idle, both sides, 504). Ingresses of one
  ``alb.ingress.kubernetes.io/group.name`` share one load balancer, so the attribute may sit on another of them.
- GKE (class ``gce``/``gce-internal``): ``BackendConfig.spec.timeoutSec``, referenced from the Service's
  ``cloud.google.com/backend-config: '{"default": "NAME"}'`` (or ``{"ports": {"80": "NAME"}}``); the backend
  service timeout, 30 s, a total response timeout.
- Azure Application Gateway Ingress Controller: ``appgw.ingress.kubernetes.io/request-timeout`` (seconds), 30 s.
- F5 NGINX Ingress Controller: ``nginx.org/proxy-read-timeout`` (nginx time), 60 s (nginx's ``proxy_read_timeout``).
- OpenShift ``Route``: ``haproxy.router.openshift.io/timeout`` (HAProxy time), else the IngressController's
  ``spec.tuningOptions.serverTimeout`` when given, else 30 s (HAProxy ``timeout server``, idle).
- Gateway API ``HTTPRoute``: ``spec.rules[].timeouts.request`` / ``backendRequest`` (total); unset, the
  implementation decides: Envoy Gateway's is Envoy's 15 s route timeout, applied when the manifests show the
  route's Gateway is Envoy Gateway's (its GatewayClass ``controllerName``).
- Cloud Run / Knative ``serving.knative.dev/v1`` Service: ``spec.template.spec.timeoutSeconds``, 300 s, total.

ingress-nginx Ingresses stay with :mod:`lpdoctor.dialects.nginx.ingress`; this reader only says which they are.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from lpdoctor.dialects.base import ConfigReadError, RoutedSource, Y, go_duration, load_documents, read_text
from lpdoctor.dialects.edges import ingress_class as ic
from lpdoctor.dialects.edges.common import (
    MAX_NESTING,
    EdgeRoute,
    PathRule,
    Speller,
    default_timer,
    edge_hop,
    routed,
    set_timer,
    too_deep,
)
from lpdoctor.model import HopKind, SourceLocation, Timeout
from lpdoctor.text.durations import DurationError, parse_duration

KIND = "kubernetes-edges"
ALB_ATTRS = "alb.ingress.kubernetes.io/load-balancer-attributes"
ALB_GROUP = "alb.ingress.kubernetes.io/group.name"
AGIC_TIMEOUT = "appgw.ingress.kubernetes.io/request-timeout"
F5_READ = "nginx.org/proxy-read-timeout"
ROUTE_TIMEOUT = "haproxy.router.openshift.io/timeout"
BACKEND_CONFIG = ("cloud.google.com/backend-config", "beta.cloud.google.com/backend-config")
ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller"

_SNIFF = re.compile(
    r"(?m)^\s*kind:\s*[\"']?(?:Route|HTTPRoute|BackendConfig)\b"
    r"|serving\.knative\.dev/|alb\.ingress\.kubernetes\.io/|appgw\.ingress\.kubernetes\.io/|nginx\.org/"
    r"|ingress\.k8s\.aws/alb"
    r"|cloud\.google\.com/backend-config|ingress\.class[\"']?\s*:\s*[\"']?(?:gce|alb|azure/application-gateway)"
    r"|ingressClassName:\s*[\"']?(?:alb|gce|gce-internal|azure-application-gateway)\b"
)


class KubernetesEdgeError(ConfigReadError):
    pass


def looks_like(name: str, text: str) -> bool:
    """Kubernetes YAML/JSON with something in front of the app that is not ingress-nginx."""
    if not name.endswith((".yaml", ".yml", ".json")):
        return False
    head = text[:400_000]
    # by its words only (cheap, never parses): ingress-nginx Ingresses in the same file are read by the nginx
    # dialect as well (:func:`has_ingress_nginx`)
    return bool(_SNIFF.search(head)) and "kind" in head and "apiVersion" in head


def has_ingress_nginx(path: str) -> bool:
    """Whether a manifest file also holds Ingresses for ingress-nginx (read by the nginx dialect)."""
    try:
        text = read_text(path)
        if too_deep(text):
            return False
        objects = _objects(load_documents(text, path))
    except ConfigReadError:
        return False
    classes = _ingress_classes(objects)
    return any(_s(o.get("kind")) == "Ingress" and _controller(o, classes) == ic.INGRESS_NGINX for o in objects)


def load_source(path: str) -> RoutedSource:
    """The dialect's entry point (:class:`lpdoctor.dialects.base.Dialect`)."""
    return load_sources([path])


def load_sources(paths: list[str]) -> RoutedSource:
    """Every file of a manifest set read together. Raises :class:`KubernetesEdgeError`."""
    found = _Manifests()
    for path in paths:
        shown = "<stdin>" if path == "-" else path
        try:
            text = read_text(path)
            if too_deep(text):
                raise ConfigReadError(f"brackets nested more than {MAX_NESTING} deep; not a manifest", shown)
            docs = load_documents(text, shown)
        except ConfigReadError as exc:
            raise KubernetesEdgeError(exc.problem, exc.file, exc.line) from None
        found.files.append(shown)
        for obj in _objects(docs):
            found.objects.append((shown, obj))
    routes = _Reader(found).read()
    label = found.files[0] if len(found.files) == 1 else f"{found.files[0]} (+{len(found.files) - 1} files)"
    nginx_only = any(_s(o.get("kind")) == "Ingress" for _, o in found.objects)
    if not routes and not nginx_only:  # ingress-nginx Ingresses only: the nginx dialect reads them
        found.warnings.append(f"{label}: nothing in front of the app found (no Ingress, Route, HTTPRoute or service)")
    files = [f for f in found.files if f != "<stdin>"]
    return routed(KIND, label, routes, files or found.files, found.warnings)


# ---- tree helpers


def _s(node: Y | None) -> str | None:
    return node.text() if node is not None else None


def _objects(docs: list[Y]) -> list[Y]:
    out: list[Y] = []
    for doc in docs:
        if _s(doc.get("kind")) == "List":
            out.extend(item for item in (doc.get("items") or Y([])).seq() if item.is_map)
        elif doc.is_map:
            out.append(doc)
    return out


def _annotation(obj: Y, key: str) -> Y | None:
    return obj.get("metadata", "annotations", key)


def _annotation_keys(obj: Y) -> list[str]:
    node = obj.get("metadata", "annotations")
    return [k for k, _ in node.items()] if node is not None else []


def _name(obj: Y) -> tuple[str, str]:
    return (_s(obj.get("metadata", "namespace")) or "default", _s(obj.get("metadata", "name")) or "?")


def _ingress_classes(objects: list[Y]) -> dict[str, str]:
    out: dict[str, str] = {}
    for obj in objects:
        if _s(obj.get("kind")) == "IngressClass":
            controller = _s(obj.get("spec", "controller"))
            if controller:
                out[_name(obj)[1]] = controller
    return out


def _class_name(obj: Y) -> str | None:
    return _s(obj.get("spec", "ingressClassName")) or _s(_annotation(obj, "kubernetes.io/ingress.class"))


def _controller(obj: Y, classes: dict[str, str]) -> str:
    return ic.controller_of(_class_name(obj), _annotation_keys(obj), classes)


def _annotation_slot(file: str, obj: Y) -> SourceLocation:
    """Where a new annotation goes: the ``annotations:`` line, else ``metadata:``."""
    ns, name = _name(obj)
    node = obj.get("metadata", "annotations") or obj.get("metadata")
    return SourceLocation(file, node.line if node is not None else obj.line, f"{obj_kind(obj)} {ns}/{name}")


def obj_kind(obj: Y) -> str:
    return _s(obj.get("kind")) or "object"


def _seconds(text: str, default_unit: str) -> float | None:
    try:
        return parse_duration(text, default_unit=default_unit)
    except DurationError:
        return None


@dataclass(slots=True)
class _Manifests:
    files: list[str] = field(default_factory=list)
    objects: list[tuple[str, Y]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, found: _Manifests) -> None:
        self.found = found
        self.classes = _ingress_classes([o for _, o in found.objects])
        self.routes: list[EdgeRoute] = []

    def of_kind(self, kind: str) -> list[tuple[str, Y]]:
        return [(f, o) for f, o in self.found.objects if _s(o.get("kind")) == kind]

    def warn(self, text: str) -> None:
        if text not in self.found.warnings:
            self.found.warnings.append(text)

    def read(self) -> list[EdgeRoute]:
        for file, obj in self.of_kind("Ingress"):
            family = _controller(obj, self.classes)
            if family == ic.ALB:
                self.alb(file, obj)
            elif family == ic.GCE:
                self.gce(file, obj)
            elif family == ic.AGIC:
                self.agic(file, obj)
            elif family == ic.F5_NGINX:
                self.f5(file, obj)
            elif family == ic.OTHER:
                ns, name = _name(obj)
                self.warn(
                    f"{file}:{obj.line}: Ingress {ns}/{name} is for the {_class_name(obj)} controller, whose "
                    "timeouts lpdoctor does not read from Ingress manifests: give its own configuration"
                )
        for file, obj in self.of_kind("Route"):
            if "openshift" in (_s(obj.get("apiVersion")) or ""):
                self.openshift(file, obj)
        for file, obj in self.of_kind("HTTPRoute"):
            self.httproute(file, obj)
        for file, obj in self.of_kind("Service"):
            if (_s(obj.get("apiVersion")) or "").startswith("serving.knative.dev"):
                self.knative(file, obj)
        return self.routes

    # ---- Ingress: one route per rule path, a default backend as a catch-all

    def ingress_paths(self, obj: Y) -> list[tuple[list[str], PathRule, Y, str]]:
        """(hosts, path rule, the path entry node, backend service name) for every path of an Ingress."""
        out: list[tuple[list[str], PathRule, Y, str]] = []
        for rule in (obj.get("spec", "rules") or Y([])).seq():
            host = _s(rule.get("host"))
            for entry in (rule.get("http", "paths") or Y([])).seq():
                path = _s(entry.get("path")) or "/"
                kind = "exact" if _s(entry.get("pathType")) == "Exact" else "prefix"
                service = _s(entry.get("backend", "service", "name")) or _s(entry.get("backend", "serviceName"))
                port = _s(entry.get("backend", "service", "port", "number")) or _s(
                    entry.get("backend", "service", "port", "name")
                )
                port = port or _s(entry.get("backend", "servicePort")) or ""
                out.append(([host] if host else [], PathRule(kind, path), entry, f"{service or '?'}:{port}"))
        default = obj.get("spec", "defaultBackend") or obj.get("spec", "backend")
        if default is not None:
            service = _s(default.get("service", "name")) or _s(default.get("serviceName")) or "?"
            port = _s(default.get("service", "port", "number")) or _s(default.get("servicePort")) or ""
            out.append(([], PathRule("prefix", "/"), default, f"{service}:{port}"))
        return out

    def alb(self, file: str, obj: Y) -> None:
        ns, name = _name(obj)
        attrs, where_file, holder = self.alb_attributes(file, obj)
        value: float | None = None
        text = _s(attrs) if attrs is not None else None
        pairs = _alb_pairs(text or "")
        if "idle_timeout.timeout_seconds" in pairs:
            raw = pairs["idle_timeout.timeout_seconds"]
            value = float(raw) if raw.isdecimal() and len(raw) < 10 else None
            if value is None:
                self.warn(
                    f"{where_file}:{attrs.line if attrs else '?'}: idle_timeout.timeout_seconds={_short(raw)!r} "
                    "is not a whole number of seconds; the ALB default 60 s is shown"
                )
        setting = "idle_timeout.timeout_seconds"
        others = ",".join(f"{k}={v}" for k, v in pairs.items() if k != setting)
        context = f"{obj_kind(holder)} {'/'.join(_name(holder))}"
        if value is not None and attrs is not None:
            where = SourceLocation(where_file, attrs.line, context)
            t = set_timer("aws-alb", "idle_timeout", setting, value, where)
        else:
            where = (
                SourceLocation(where_file, attrs.line, context) if attrs is not None else _annotation_slot(file, obj)
            )
            t = default_timer("aws-alb", "idle_timeout", setting, where)

        def spell(n: int) -> str:
            joined = f"{others},{setting}={n}" if others else f"{setting}={n}"
            return f"{ALB_ATTRS}: {joined}  # in the annotations of {where.context} ({where.file}:{where.line})"

        group = _s(_annotation(obj, ALB_GROUP))
        label = f"AWS ALB (Ingress {ns}/{name}" + (f", group {group})" if group else ")")
        self.ingress_routes(file, obj, "aws-alb", label, [(t, spell)], HopKind.EDGE, pool_idle=t)

    def alb_attributes(self, file: str, obj: Y) -> tuple[Y | None, str, Y]:
        """The load-balancer-attributes annotation of this Ingress, or of another in its ALB group."""
        own = _annotation(obj, ALB_ATTRS)
        if own is not None and "idle_timeout" in (_s(own) or ""):
            return own, file, obj
        group = _s(_annotation(obj, ALB_GROUP))
        if group:
            for other_file, other in self.of_kind("Ingress"):
                node = _annotation(other, ALB_ATTRS)
                if (
                    other is not obj
                    and _s(_annotation(other, ALB_GROUP)) == group
                    and node is not None
                    and "idle_timeout" in (_s(node) or "")
                ):
                    return node, other_file, other
        return own, file, obj

    def agic(self, file: str, obj: Y) -> None:
        ns, name = _name(obj)
        node = _annotation(obj, AGIC_TIMEOUT)
        setting = AGIC_TIMEOUT
        raw = (_s(node) or "").strip()
        if node is not None and raw.isdecimal() and len(raw) < 10:
            t = set_timer(
                AGIC_COMPONENT,
                "request-timeout",
                setting,
                float(raw),
                SourceLocation(file, node.line, f"Ingress {ns}/{name}"),
            )
        else:
            if node is not None:
                self.warn(
                    f"{file}:{node.line}: {AGIC_TIMEOUT} {_short(raw)!r} is not a whole number of seconds (int32)"
                )
            where = (
                SourceLocation(file, node.line, f"Ingress {ns}/{name}")
                if node is not None
                else _annotation_slot(file, obj)
            )
            t = default_timer(AGIC_COMPONENT, "request-timeout", setting, where)

        def spell(n: int) -> str:
            return f'{AGIC_TIMEOUT}: "{n}"  # in the annotations of Ingress {ns}/{name} ({_at(t)})'

        self.ingress_routes(
            file, obj, AGIC_COMPONENT, f"Azure Application Gateway (Ingress {ns}/{name})", [(t, spell)], HopKind.EDGE
        )

    def f5(self, file: str, obj: Y) -> None:
        ns, name = _name(obj)
        node = _annotation(obj, F5_READ)
        value = _seconds(_s(node) or "", "s") if node is not None else None
        if node is not None and value is not None:
            t = set_timer(
                F5_COMPONENT,
                "proxy-read-timeout",
                F5_READ,
                value,
                SourceLocation(file, node.line, f"Ingress {ns}/{name}"),
            )
        else:
            if node is not None:
                self.warn(f"{file}:{node.line}: {F5_READ} {_short(_s(node) or '')!r} is not an nginx time")
            where = (
                SourceLocation(file, node.line, f"Ingress {ns}/{name}")
                if node is not None
                else _annotation_slot(file, obj)
            )
            t = default_timer(F5_COMPONENT, "proxy-read-timeout", F5_READ, where)

        def spell(n: int) -> str:
            return f'{F5_READ}: "{n}s"  # in the annotations of Ingress {ns}/{name} ({_at(t)})'

        self.ingress_routes(
            file, obj, F5_COMPONENT, f"F5 NGINX Ingress (Ingress {ns}/{name})", [(t, spell)], HopKind.PROXY
        )

    def ingress_routes(
        self,
        file: str,
        obj: Y,
        component: str,
        label: str,
        timers: list[tuple[Timeout, Speller]],
        kind: HopKind,
        pool_idle: Timeout | None = None,
    ) -> None:
        paths = self.ingress_paths(obj)
        if not paths:
            ns, name = _name(obj)
            self.warn(f"{file}:{obj.line}: Ingress {ns}/{name} has no rules and no default backend")
            return
        block = timers[0][0].location or SourceLocation(file, obj.line)
        for hosts, rule, _entry, backend in paths:
            facts = edge_hop(kind, component, label, block, timers, route_text=f"{rule.value} {backend}")
            if pool_idle is not None:  # the ALB's idle timeout also closes its idle connections to the targets
                facts.pool_idle, facts.pool_owner = pool_idle, block
            self.routes.append(EdgeRoute(hosts, [rule], facts))

    # ---- GKE: Ingress → Service → BackendConfig

    def gce(self, file: str, obj: Y) -> None:
        ns, name = _name(obj)
        for hosts, rule, entry, backend in self.ingress_paths(obj):
            service_name, _, port = backend.partition(":")
            t, spell, note = self.backend_config_timer(file, obj, entry, ns, service_name, port)
            label = f"GCP load balancer (Ingress {ns}/{name} → Service {service_name})"
            block = t.location or SourceLocation(file, entry.line)
            facts = edge_hop(
                HopKind.EDGE,
                "gcp-lb",
                label,
                block,
                [(t, spell)],
                route_text=f"{rule.value} {backend}",
                notes=[note] if note else None,
            )
            self.routes.append(EdgeRoute(hosts, [rule], facts))

    def backend_config_timer(
        self, file: str, ingress: Y, entry: Y, ns: str, service_name: str, port: str
    ) -> tuple[Timeout, Speller, str | None]:
        setting = "spec.timeoutSec"
        service = next(
            ((f, o) for f, o in self.of_kind("Service") if _name(o) == (ns, service_name) and not _is_knative(o)), None
        )
        if service is None:
            where = SourceLocation(file, entry.line, f"Ingress {'/'.join(_name(ingress))} backend {service_name}")
            t = default_timer("gcp-lb", "timeoutSec", setting, where)
            note = f"Service {ns}/{service_name} is not in the manifests given: its BackendConfig (if any) is unknown"
            return t, _create_backend_config(ns, service_name, None), note
        sfile, sobj = service
        ref_node = next((n for k in BACKEND_CONFIG if (n := _annotation(sobj, k)) is not None), None)
        bc_name = _backend_config_name(_s(ref_node) or "", port) if ref_node is not None else None
        if bc_name is None:
            where = _annotation_slot(sfile, sobj)
            return (
                default_timer("gcp-lb", "timeoutSec", setting, where),
                _create_backend_config(ns, service_name, where),
                None,
            )
        bc = next(((f, o) for f, o in self.of_kind("BackendConfig") if _name(o) == (ns, bc_name)), None)
        if bc is None:
            where = SourceLocation(
                sfile, ref_node.line if ref_node is not None else sobj.line, f"Service {ns}/{service_name}"
            )
            note = f"BackendConfig {ns}/{bc_name} is not in the manifests given"
            t = default_timer("gcp-lb", "timeoutSec", setting, where)
            return t, (lambda n: f"timeoutSec: {n}  # under spec: of BackendConfig {ns}/{bc_name}"), note
        bfile, bobj = bc
        node = bobj.get("spec", "timeoutSec")
        raw = (_s(node) or "").strip()
        context = f"BackendConfig {ns}/{bc_name}"
        if node is not None and raw.isdecimal() and len(raw) < 11:
            where = SourceLocation(bfile, node.line, context)
            t = set_timer("gcp-lb", "timeoutSec", setting, float(raw), where)
        else:
            spec = bobj.get("spec")
            where = SourceLocation(bfile, (node or spec or bobj).line, context)
            t = default_timer("gcp-lb", "timeoutSec", setting, where)
        return t, (lambda n: f"timeoutSec: {n}  # under spec: of {context} ({where.file}:{where.line})"), None

    # ---- OpenShift Route

    def openshift(self, file: str, obj: Y) -> None:
        ns, name = _name(obj)
        node = _annotation(obj, ROUTE_TIMEOUT)
        context = f"Route {ns}/{name}"
        value = None
        if node is not None:
            raw = (_s(node) or "").strip()
            value = _seconds(raw, "ms")
            if value is None:
                self.warn(f"{file}:{node.line}: {ROUTE_TIMEOUT} {_short(raw)!r} is not an HAProxy time (30s, 2m ...)")
            elif raw.replace(".", "", 1).isdecimal():
                self.warn(
                    f"{file}:{node.line}: {ROUTE_TIMEOUT} {_short(raw)!r} has no unit; HAProxy reads a bare number in ms"
                )
        if node is not None and value is not None:
            t = set_timer(ROUTER_COMPONENT, "timeout", ROUTE_TIMEOUT, value, SourceLocation(file, node.line, context))
        else:
            where = SourceLocation(file, node.line, context) if node is not None else _annotation_slot(file, obj)
            t = default_timer(ROUTER_COMPONENT, "timeout", ROUTE_TIMEOUT, where, value_s=self.router_default())

        def spell(n: int) -> str:
            return f"{ROUTE_TIMEOUT}: {n}s  # in the annotations of {context} ({_at(t)})"

        host = _s(obj.get("spec", "host"))
        path = _s(obj.get("spec", "path")) or "/"
        facts = edge_hop(
            HopKind.PROXY,
            ROUTER_COMPONENT,
            f"OpenShift router ({context})",
            t.location or SourceLocation(file, obj.line),
            [(t, spell)],
            route_text=f"{path} {_s(obj.get('spec', 'to', 'name')) or ''}",
        )
        self.routes.append(EdgeRoute([host] if host else [], [PathRule("prefix", path)], facts))

    def router_default(self) -> float | None:
        for file, obj in self.of_kind("IngressController"):
            node = obj.get("spec", "tuningOptions", "serverTimeout")
            if node is not None and (v := go_duration(_s(node) or "")) is not None:
                self.warn(f"{file}:{node.line}: routes without {ROUTE_TIMEOUT} use this serverTimeout")
                return v
        return None

    # ---- Gateway API HTTPRoute

    def httproute(self, file: str, obj: Y) -> None:
        ns, name = _name(obj)
        hosts = [h for h in ((_s(n) or "") for n in (obj.get("spec", "hostnames") or Y([])).seq()) if h]
        envoy = self.envoy_gateway(obj, ns)
        for i, rule in enumerate((obj.get("spec", "rules") or Y([])).seq()):
            context = f"HTTPRoute {ns}/{name} rule {i + 1}"
            timers: list[tuple[Timeout, Speller]] = []
            notes: list[str] = []
            for key in ("request", "backendRequest"):
                node = rule.get("timeouts", key)
                if node is None:
                    continue
                value = go_duration(_s(node) or "")
                if value is None:
                    self.warn(
                        f"{file}:{node.line}: timeouts.{key} {_short(_s(node) or '')!r} is not a Gateway API duration"
                    )
                    continue
                t = set_timer(
                    GATEWAY_COMPONENT,
                    "timeouts.request",
                    f"timeouts.{key}",
                    None if value == 0 else value,
                    SourceLocation(file, node.line, context),
                    note="0s disables it" if value == 0 else None,
                )
                timers.append((t, _spell_timeouts(key, context, file, node.line)))
            if not any(t.setting == "timeouts.request" for t, _ in timers):
                slot = SourceLocation(file, (rule.get("timeouts") or rule).line, context)
                if envoy:
                    t = default_timer(ENVOY_GATEWAY_COMPONENT, "request timeout", "timeouts.request", slot)
                    t.component = GATEWAY_COMPONENT
                    timers.append((t, _spell_timeouts("request", context, file, slot.line)))
                else:
                    notes.append(
                        f"{context}: no timeouts.request: the Gateway implementation's own default applies "
                        "(Envoy Gateway: 15 s)"
                    )
            paths = []
            for match in (rule.get("matches") or Y([])).seq():
                ptype = _s(match.get("path", "type")) or "PathPrefix"
                pvalue = _s(match.get("path", "value")) or "/"
                paths.append(PathRule({"Exact": "exact", "RegularExpression": "regex"}.get(ptype, "prefix"), pvalue))
            if not paths:
                paths = [PathRule("prefix", "/")]
            label = f"Gateway API ({'Envoy Gateway, ' if envoy else ''}{context})"
            facts = edge_hop(
                HopKind.PROXY,
                GATEWAY_COMPONENT,
                label,
                SourceLocation(file, rule.line, context),
                timers,
                route_text=" ".join(p.value for p in paths),
                notes=notes,
            )
            self.routes.append(EdgeRoute(hosts, paths, facts))

    def envoy_gateway(self, route: Y, ns: str) -> bool:
        """Whether the route's parent Gateway is served by Envoy Gateway, as far as the manifests tell."""
        classes = {_name(o)[1]: _s(o.get("spec", "controllerName")) or "" for _, o in self.of_kind("GatewayClass")}
        gateways = {_name(o): _s(o.get("spec", "gatewayClassName")) or "" for _, o in self.of_kind("Gateway")}
        for parent in (route.get("spec", "parentRefs") or Y([])).seq():
            gw = (_s(parent.get("namespace")) or ns, _s(parent.get("name")) or "")
            cls = gateways.get(gw)
            if cls is not None and classes.get(cls) == ENVOY_GATEWAY_CONTROLLER:
                return True
        return False

    # ---- Cloud Run / Knative

    def knative(self, file: str, obj: Y) -> None:
        _ns, name = _name(obj)
        cloud_run = (
            any(k.startswith("run.googleapis.com/") for k in _annotation_keys(obj))
            or any(
                k.startswith("run.googleapis.com/")
                for k, _ in (obj.get("spec", "template", "metadata", "annotations") or Y({})).items()
            )
            or (obj.get("metadata", "labels", "cloud.googleapis.com/location") is not None)
        )
        component = "cloud-run" if cloud_run else "knative"
        context = f"{'Cloud Run' if cloud_run else 'Knative'} Service {name}"
        node = obj.get("spec", "template", "spec", "timeoutSeconds")
        raw = (_s(node) or "").strip()
        if node is not None and raw.isdecimal() and len(raw) < 10:
            t = set_timer(
                component, "timeoutSeconds", "timeoutSeconds", float(raw), SourceLocation(file, node.line, context)
            )
        else:
            slot = obj.get("spec", "template", "spec") or obj.get("spec", "template") or obj
            t = default_timer(
                component, "timeoutSeconds", "timeoutSeconds", SourceLocation(file, (node or slot).line, context)
            )

        def spell(n: int) -> str:
            line = f"timeoutSeconds: {n}  # under spec.template.spec of {context} ({_at(t)})"
            if cloud_run and n > 3600:
                line += "; Cloud Run allows at most 3600: hold for less"
            return line

        url = _s(obj.get("status", "url")) or ""
        host = re.sub(r"^https?://", "", url).split("/", 1)[0] if url else ""
        facts = edge_hop(
            HopKind.EDGE,
            component,
            context,
            t.location or SourceLocation(file, obj.line),
            [(t, spell)],
            route_text=name,
            catch_all=True,
        )
        self.routes.append(EdgeRoute([host] if host else [], [PathRule("prefix", "/")], facts))


AGIC_COMPONENT = ic.AGIC
F5_COMPONENT = ic.F5_NGINX
ROUTER_COMPONENT = "openshift-router"
GATEWAY_COMPONENT = "gateway-api"
ENVOY_GATEWAY_COMPONENT = "envoy-gateway"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _at(t: Timeout) -> str:
    loc = t.location
    return f"{loc.file}:{loc.line}" if loc is not None and loc.file else "?"


def _is_knative(obj: Y) -> bool:
    return (_s(obj.get("apiVersion")) or "").startswith("serving.knative.dev")


def _alb_pairs(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.strip().partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def _backend_config_name(text: str, port: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    ports = data.get("ports")
    if isinstance(ports, dict) and port and isinstance(ports.get(port), str):
        return str(ports[port])
    default = data.get("default")
    return default if isinstance(default, str) else None


def _create_backend_config(ns: str, service: str, where: SourceLocation | None) -> Speller:
    at = f" ({where.file}:{where.line})" if where is not None and where.file else ""

    def spell(n: int) -> str:
        return (
            f"a BackendConfig {ns}/{service}-backendconfig with `spec: {{timeoutSec: {n}}}`, and on Service "
            f"{ns}/{service}{at} the annotation `cloud.google.com/backend-config: "
            f'\'{{"default": "{service}-backendconfig"}}\'`'
        )

    return spell


def _spell_timeouts(key: str, context: str, file: str, line: int | None) -> Speller:
    def spell(n: int) -> str:
        return f"timeouts: {{{key}: {n}s}}  # in {context} ({file}:{line})"

    return spell


def manifest_files(directory: str) -> list[str]:
    """The YAML/JSON files of a manifest folder, in name order (not recursive)."""
    return sorted(
        os.path.join(directory, f) for f in os.listdir(directory) if f.lower().endswith((".yaml", ".yml", ".json"))
    )
