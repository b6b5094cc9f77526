"""The explicit list of log formats lpdoctor reads, in auto-detection order.

Each module named here exposes ``FORMATS: list[LogFormat]``. To add a format: write the module, add its
name below, add parser tests on real lines.
"""

from __future__ import annotations

import functools
import importlib

from lpdoctor.logformats.base import LogFormat

_MODULES = (
    "nginx_access",
    "nginx_error",
    "sozu_log",
    "sozune_log",
    "haproxy_log",
    "apache_log",
    "caddy_log",
    "traefik_log",
    "envoy_log",
    "alb_log",
    "heroku_log",
)


@functools.lru_cache(maxsize=1)
def all_formats() -> tuple[LogFormat, ...]:
    out: list[LogFormat] = []
    for mod in _MODULES:
        module = importlib.import_module(f"{__package__}.{mod}")
        out.extend(module.FORMATS)
    return tuple(out)


def get_format(name: str) -> LogFormat | None:
    for fmt in all_formats():
        if fmt.name == name or name in fmt.aliases:
            return fmt
    return None
