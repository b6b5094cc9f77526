"""The dialects ``check-config`` reads besides nginx, and how a file is dispatched to one by its content.

A dialect module is a :class:`~lpdoctor.dialects.base.Dialect`: ``looks_like(name, text)`` (a cheap sniff) and
``load_source(path)``, the file as a :class:`~lpdoctor.model.hops.ProxySource`.
To add a dialect: write its module, add it to :data:`DIALECTS` (sniffing order: most distinctive first), add its
fixtures under tests/fixtures/configs/<kind>/ (tests/test_dialect_registry.py fails without them).
"""

from __future__ import annotations

import os
from typing import Any

from lpdoctor.dialects import apache, caddy, envoy, haproxy, traefik
from lpdoctor.dialects.base import ConfigReadError, Dialect, read_text
from lpdoctor.dialects.edges import kubernetes as kubernetes_edges
from lpdoctor.dialects.edges import terraform
from lpdoctor.dialects.sozune import source as sozune
from lpdoctor.model.hops import ProxySource

DIALECTS: dict[str, Dialect] = {
    "terraform": terraform,
    "sozune": sozune,
    "kubernetes-edges": kubernetes_edges,
    "haproxy": haproxy,
    "envoy": envoy,
    "traefik": traefik,
    "caddy": caddy,
    "apache": apache,
}
CONFIG_KINDS = tuple(DIALECTS)


def sniff_config(path: str, text: str | None = None) -> str | None:
    """Which of :data:`CONFIG_KINDS` a file is, from its name and content; None when none. Never raises."""
    if text is None:
        try:
            text = read_text(path)
        except ConfigReadError:
            return None
    name = os.path.basename(path).lower()
    for kind in CONFIG_KINDS:
        try:
            if DIALECTS[kind].looks_like(name, text):
                return kind
        except Exception:  # sniffing must never break dispatch
            continue
    return None


def load_config_source(path: str, kind: str | None = None) -> ProxySource:
    """Read ``path`` as the given (or sniffed) kind and return it as a proxy source.

    Raises :class:`ConfigReadError` (a subclass per reader) when the file is none of the known kinds or cannot
    be read.
    """
    kind = kind or sniff_config(path)
    if kind is None or kind not in CONFIG_KINDS:
        raise ConfigReadError(
            "not a configuration lpdoctor reads (nginx, Sōzune, HAProxy, Traefik, Caddy, Envoy, Apache, Kubernetes, "
            "Terraform)",
            path,
        )
    return DIALECTS[kind].load_source(path)


def load_config_sources(items: list[tuple[str, str]]) -> list[Any]:
    """Sources for ``(path, kind)`` pairs, in order. Traefik's files (static, dynamic, compose labels) are read
    together into one configuration: a router in one file uses the transport and entry points of another.

    Raises :class:`ConfigReadError` (a subclass per reader) for a file that cannot be read.
    """
    out: list[Any] = []
    traefik_paths = [p for p, k in items if k == "traefik"]
    together = {k: [p for p, kind in items if kind == k] for k in ("kubernetes-edges", "terraform")}
    for path, kind in items:
        if kind == "traefik":
            if path == traefik_paths[0]:
                out.append(traefik.load_traefik_config(traefik_paths).source())
            continue
        if kind in together:  # a manifest set or a Terraform module: one source, read together
            if path == together[kind][0]:
                out.append((kubernetes_edges if kind == "kubernetes-edges" else terraform).load_sources(together[kind]))
            continue
        out.append(load_config_source(path, kind))
    return out
