"""Sōzune routes as lpdoctor sees them (and :class:`SozuneConfig`, what one file says of them), the hop each
one forms, and fixes in Sōzune's own syntax.

A route is one HTTP entrypoint (``http_<service>`` for labels, the ``id`` in the file provider), whatever
surface it came from (compose labels, Kubernetes annotations, the file provider). Its hop:

- **proxy: Sōzune** — ``backendTimeout`` (seconds; ``0`` = none; unset = 30 s). Set, it is a
  ``tokio::time::timeout`` around the backend request, which ends at the response headers
  (``src/middleware/proxy.rs``): *until-headers*. Unset on a route that bypasses the middleware, the 30 s
  is Sōzu's ``back_timeout`` on the backend socket (*idle*). ``retry.attempts`` is the hop's attempts.

Sōzu's own listener timeouts (back 30 s idle, HTTP/2 stream idle 30 s, front 60 s), which Sōzune never sets,
stay *out* of the hop on purpose: that they cut a route through the middleware is inferred from the code,
not measured, and generic rules would state it as a fact. The ``sozune-sozu-ceiling`` rule reports
:data:`SOZU_CEILING_S` with its evidence and confidence instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lpdoctor.catalog import default_seconds
from lpdoctor.model import Hop, HopKind, Semantics, Severity, SourceLocation, Timeout

DEFAULT_BACKEND_TIMEOUT_S = default_seconds("sozune", "backendTimeout")
SOZU_BACK_TIMEOUT_S = 30.0  # sozu command/src/config.rs (2.1.0) DEFAULT_BACK_TIMEOUT
SOZU_H2_STREAM_IDLE_S = 30.0  # sozu 82338600: max(30, back_timeout)
SOZU_FRONT_TIMEOUT_S = 60.0
SOZU_CEILING_S = 30.0
UNIT_TRAP_THRESHOLD = 1000  # a backendTimeout this large was almost certainly meant in milliseconds


@dataclass(frozen=True, slots=True)
class LabelProblem:
    """A configuration value Sōzune would ignore, refuse or read differently than written."""

    code: str  # Sōzune's own diagnostic code when it has one (W003, W013 …), else a short lpdoctor tag
    message: str
    location: SourceLocation
    severity: Severity = Severity.WARNING
    key: str | None = None
    value: str | None = None
    suggestion: str | None = None  # the corrected key or line
    explanation: str | None = None


@dataclass(frozen=True, slots=True)
class Setting:
    """One configured value and where it was written."""

    key: str  # as the user wrote it: "sozune.http.synapse.backendTimeout" or "config.backend_timeout"
    raw: str
    location: SourceLocation


@dataclass(slots=True)
class SozuneRoute:
    """One Sōzune HTTP entrypoint."""

    id: str  # entrypoint id = Sōzu cluster id: "http_synapse", or the file provider's id
    service: str  # the <service> of the labels, or the entrypoint's name
    form: str  # "label" (compose), "annotation" (Kubernetes Service), "file" (file provider)
    file: str
    block: SourceLocation  # the compose service, the Service's annotations, the entrypoint item
    hosts: list[str] = field(default_factory=list)
    path_type: str = "Prefix"  # Prefix | Exact | Regex
    path: str = "/"
    tls: bool = False
    backend_timeout: int | None = None  # seconds as the runtime reads it; None = unset or invalid; 0 = none
    retry_attempts: int = 1
    in_flight_req: int | None = None
    middleware: bool = False  # routed through Sōzune's internal middleware proxy
    middleware_reasons: list[str] = field(default_factory=list)
    settings: dict[str, Setting] = field(default_factory=dict)  # by label field name: "backendTimeout" …
    label_style: str = "list"  # compose labels written as a list ("- k=v") or a mapping ("k: v")
    protocol: str = "http"
    priority: int = 0
    workload: str | None = None  # compose service / Kubernetes Service name
    image: str | None = None

    @property
    def path_label(self) -> str:
        if self.path_type == "Regex":
            return f"~ {self.path}"
        if self.path_type == "Exact":
            return f"= {self.path}"
        return self.path or "/"

    def describe(self) -> str:
        host = ",".join(self.hosts) or "*"
        return f"{self.id} ({host} {self.path_label})"

    def location_of(self, name: str) -> SourceLocation:
        s = self.settings.get(name)
        return s.location if s else self.block


# ---- fixes in Sōzune's own syntax

_FILE_FIELDS = {
    "backendTimeout": ("backend_timeout", "{value}"),
    "retry.attempts": ("retry", "{{attempts: {value}}}"),
    "inFlightReq": ("in_flight_req", "{value}"),
}


def setting_line(route: SozuneRoute, name: str, value: object) -> str:
    """The line that sets ``name`` (a label field) to ``value`` in the route's own syntax."""
    if route.form == "file":
        key, template = _FILE_FIELDS.get(name, (name, "{value}"))
        return f"{key}: {template.format(value=value)}"
    label = f"sozune.{route.protocol}.{route.service}.{name}"
    if route.form == "label" and route.label_style == "list":
        return f'- "{label}={value}"'
    return f'{label}: "{value}"'


def where(route: SozuneRoute) -> str:
    """Where the fix line goes, in words."""
    if route.form == "file":
        return f"under config: of entrypoint {route.id} ({route.block.file}:{route.block.line})"
    if route.form == "annotation":
        return f"under metadata.annotations of Service {route.workload} ({route.block.file}:{route.block.line})"
    return f"under labels: of compose service {route.workload} ({route.block.file}:{route.block.line})"


def fix_for(route: SozuneRoute, name: str, value: object, comment: str | None = None) -> str:
    tail = f"; {comment}" if comment else ""
    return f"{setting_line(route, name, value)}  # {where(route)}{tail}"


# ---- the hop


def sozune_hop(route: SozuneRoute) -> Hop:
    setting = route.settings.get("backendTimeout")
    value = route.backend_timeout
    if value is not None and setting is not None:
        if value == 0:
            t = Timeout(
                "sozune",
                "backendTimeout",
                None,
                Semantics.UNTIL_HEADERS,
                setting.location,
                explicit=True,
                note="0 = no timeout: the middleware waits for the backend forever",
            )
        else:
            note = "seconds; ends at the backend's response headers"
            if value >= UNIT_TRAP_THRESHOLD:
                note = f"read as {value} SECONDS by Sōzune's runtime (its docs say milliseconds)"
            t = Timeout(
                "sozune",
                "backendTimeout",
                float(value),
                Semantics.UNTIL_HEADERS,
                setting.location,
                explicit=True,
                note=note,
            )
    else:
        context = f"{route.block.context or route.id}: no backendTimeout (default 30 s)"
        if route.middleware:
            semantics = Semantics.UNTIL_HEADERS
            note = "unset: Sōzune's middleware applies its default, unwrap_or(30) seconds"
        else:
            semantics = Semantics.IDLE
            note = "unset: the route goes straight to Sōzu, whose backend timeout (back_timeout, 30 s idle) applies"
        t = Timeout(
            "sozune",
            "backendTimeout",
            DEFAULT_BACKEND_TIMEOUT_S,
            semantics,
            SourceLocation(route.block.file, route.block.line, context),
            explicit=False,
            note=note,
        )
    return Hop(
        kind=HopKind.PROXY,
        component="sozune",
        name=f"Sōzune entrypoint {route.describe()}",
        timeouts=[t],
        attempts=max(1, route.retry_attempts),
        location=route.block,
    )


MAX_REGEX_CHARS = 512
# A quantified group that itself holds a quantifier ("(a+)+", "(.*)*"): Python's backtracking engine can take
# exponential time on it (Sōzu's Rust regex cannot). Such a rule is not tried; the route is not matched.
_NESTED_QUANTIFIER = re.compile(r"\([^()]{0,200}[+*][^()]{0,200}\)[+*{]")


def path_matches(route: SozuneRoute, path: str) -> bool:
    """Whether the route's path rule takes ``path`` (Sōzu: prefix = string prefix; regex = search)."""
    if route.path_type == "Regex":
        pattern = route.path[:MAX_REGEX_CHARS]
        if _NESTED_QUANTIFIER.search(pattern):
            return False
        try:
            return re.search(pattern, path[:MAX_REGEX_CHARS]) is not None
        except re.error:
            return False
    if route.path_type == "Exact":
        return path == route.path
    return path.startswith(route.path or "/")


@dataclass(slots=True)
class SozuneConfig:
    """What one file says about Sōzune routes."""

    path: str  # the path as given
    file: str  # as shown in reports ("<stdin>" for -)
    form: str  # "compose" | "kubernetes" | "file" | "none"
    routes: list[SozuneRoute] = field(default_factory=list)
    problems: list[LabelProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
