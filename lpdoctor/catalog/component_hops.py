"""A hop for a named component (``aws-alb``, ``gunicorn``, ``httpx`` ...): catalog defaults plus what was given.

Used by the chain file and by app-server discovery. Timers come from ``rules/components.yaml``; entries with a
``role`` (``accept-idle``, ``pool-idle``) are keep-alive idle timeouts, kept apart from the timers that can end
a held request. A timer restricted to some ``worker_classes`` (gunicorn's ``timeout`` only kills sync workers)
applies only with one of them.

What ``0`` means is each component's own business: a zero timeout in nginx (every request gets an immediate
504), no limit almost everywhere else (HAProxy, Go, Sōzune, curl, axios ...). :func:`zero_is_no_limit` says which.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from lpdoctor import catalog
from lpdoctor.model import Hop, HopKind, Semantics, SourceLocation, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_ROUTE, HopFacts, Setting
from lpdoctor.text.durations import fmt_s, nginx_time

# Components whose 0 is a real zero (nginx: ngx_add_timer(0) fires at once, [E] nginx 1.22.1 answered 504 in
# 0.4 ms with proxy_read_timeout 0). Everywhere else 0 means "no limit".
ZERO_IS_ZERO = frozenset({"nginx", "ingress-nginx"})

ROLE_ACCEPT_IDLE = "accept-idle"
ROLE_NOTE = "note"  # catalogued, but does not end a request in flight (reason in the source)
ROLE_POOL_IDLE = "pool-idle"


def zero_is_no_limit(component: str) -> bool:
    return component not in ZERO_IS_ZERO


def known_component(name: str) -> bool:
    return name in catalog.components()


def catalog_entry(component: str, setting: str) -> catalog.ComponentTimeout | None:
    return catalog.components().get(component, {}).get(setting)


@dataclass(slots=True)
class GivenTimer:
    """A timer value given by the user or read from a file, before catalog defaults fill the rest."""

    setting: str
    value_s: float | None  # None: no limit
    location: SourceLocation
    semantics: Semantics | None = None  # None: take the catalog's
    note: str | None = None


@dataclass(slots=True)
class ComponentSpec:
    """Everything known about one hop of a named component."""

    kind: HopKind
    component: str
    location: SourceLocation  # where the hop was declared (chain file line, Procfile line ...)
    name: str | None = None
    timers: list[GivenTimer] = field(default_factory=list)
    worker_class: str | None = None
    worker_class_location: SourceLocation | None = None
    accept_idle: GivenTimer | None = None
    pool_idle: GivenTimer | None = None
    buffering: bool | None = None
    passes_interim: bool | None = None
    notes: list[str] = field(default_factory=list)


def _applies(entry: catalog.ComponentTimeout, worker_class: str | None) -> bool:
    classes = entry.extra.get("worker_classes")
    if not classes:
        return True
    return (worker_class or "sync") in classes


def _from_catalog(entry: catalog.ComponentTimeout, where: SourceLocation) -> Timeout:
    return Timeout(
        component=entry.component,
        setting=entry.setting,
        value_s=None if entry.value_s is None else float(entry.value_s),
        semantics=entry.semantics,
        location=where,
        explicit=False,
        note=f"default {fmt_s(None if entry.value_s is None else float(entry.value_s))} ({entry.source})",
    )


def _given(component: str, g: GivenTimer, fallback: Semantics) -> Timeout:
    return Timeout(
        component=component,
        setting=g.setting,
        value_s=g.value_s,
        semantics=g.semantics or fallback,
        location=g.location,
        explicit=True,
        note=g.note,
    )


def build_hop(spec: ComponentSpec) -> HopFacts:
    """The :class:`HopFacts` of a component: given timers first, catalog defaults for the rest."""
    entries = catalog.components().get(spec.component, {})
    given = {g.setting: g for g in spec.timers}
    timeouts: list[Timeout] = []
    scope_of: dict[str, str] = {}
    notes = list(spec.notes)
    accept_idle = None
    pool_idle = None
    for setting, entry in entries.items():
        role = entry.extra.get("role")
        if role == ROLE_NOTE:
            # Catalogued so users can name it, but it does not end a held request: say so, never a timer.
            g = given.pop(setting, None)
            if g is not None:
                notes.append(f"{spec.component} {setting} does not end a held long-poll: {entry.source}")
            continue
        if role in (ROLE_ACCEPT_IDLE, ROLE_POOL_IDLE):
            if not _applies(entry, spec.worker_class):
                continue
            default = _from_catalog(entry, spec.location)
            if role == ROLE_ACCEPT_IDLE and spec.accept_idle is None:
                accept_idle = default
            elif role == ROLE_POOL_IDLE and spec.pool_idle is None:
                pool_idle = default
            continue
        g = given.pop(setting, None)
        if not _applies(entry, spec.worker_class):
            if g is not None:
                notes.append(
                    f"{spec.location.file}:{spec.location.line}: {spec.component} {setting} does not end requests "
                    f"with {spec.worker_class or 'sync'} workers"
                )
            continue
        t = _given(spec.component, g, entry.semantics) if g is not None else _from_catalog(entry, spec.location)
        timeouts.append(t)
        scope_of[setting] = SCOPE_ROUTE if g is not None else SCOPE_DEFAULT
        if entry.extra.get("also_pool_idle") and spec.pool_idle is None:
            pool_idle = t
    for g in given.values():  # settings the catalog does not know: the caller checked they carry semantics
        timeouts.append(_given(spec.component, g, g.semantics or Semantics.TOTAL))
        scope_of[g.setting] = SCOPE_ROUTE
    if spec.accept_idle is not None:
        accept_idle = _given(spec.component, spec.accept_idle, Semantics.IDLE)
    if spec.pool_idle is not None:
        pool_idle = _given(spec.component, spec.pool_idle, Semantics.IDLE)
    if accept_idle is not None and not accept_idle.value_s:
        accept_idle = None  # no limit (or keep-alive off): the server never closes an idle connection first
    name = spec.name or _default_name(spec)
    hop = Hop(kind=spec.kind, component=spec.component, name=name, timeouts=timeouts, location=spec.location)
    facts = HopFacts(
        hop=hop,
        block=spec.location,
        block_label=name,
        scope_of=scope_of,
        pool_idle=pool_idle,
        pool_owner=spec.location if pool_idle is not None else None,
        accept_idle=accept_idle,
        passes_interim=spec.passes_interim,
        worker_class=(spec.worker_class or "sync") if spec.component == "gunicorn" else spec.worker_class,
        notes=notes,
    )
    if spec.buffering is not None:
        facts.buffering = Setting("buffering", "on" if spec.buffering else "off", spec.location)
    return facts


def _default_name(spec: ComponentSpec) -> str:
    if spec.component == "gunicorn":
        return f"gunicorn ({spec.worker_class or 'sync'} workers)"
    return spec.component


def written(t: Timeout, value: float | None = None) -> str:
    """The timer as its component writes it: ``proxy_read_timeout 30s``, an annotation, or ``setting = 30 s``."""
    v = t.value_s if value is None else value
    if t.component == "nginx":
        if v is None:
            return f"{t.setting} (no limit)"
        text = "0" if v == 0 else f"{round(v * 1000)}ms" if v < 1 else nginx_time(v)
        return f"{t.setting} {text}"
    if t.component == "ingress-nginx":
        return f'{t.setting}: "{0 if v is None else math.ceil(v)}"'
    return f"{t.setting} {fmt_s(v)}"
