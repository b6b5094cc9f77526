"""Reporters: one module per output format, each with ``render(report, out)``.

Every reporter receives a report that :func:`lpdoctor.reporters.sanitize.sanitized` has already passed over:
no string that came from an input carries a secret or a control character by the time it is rendered.
"""

from __future__ import annotations

import importlib
from typing import Protocol, TextIO

from lpdoctor.model import Report

FORMATS = ("rich", "text", "json", "sarif", "github", "gitlab", "html")


class Renderer(Protocol):
    def __call__(self, report: Report, out: TextIO) -> None: ...


def get_renderer(name: str) -> Renderer:
    module = importlib.import_module(f"{__package__}.{name}_report")
    return module.render
