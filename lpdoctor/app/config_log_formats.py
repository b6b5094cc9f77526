"""Read access logs in the ``log_format`` their nginx configuration declares.

An ``access_log /var/log/nginx/matrix.access.log timing;`` line says which format that file (and its rotated
copies: ``.1``, ``.2.gz``, ``-20240101``) is written in. A log no ``access_log`` names is detected as usual,
with the configuration's formats added to the candidates.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from lpdoctor.dialects.nginx.model import NginxConfig
from lpdoctor.logformats.base import LogFormat
from lpdoctor.logformats.logs import SNIFF_LINES, detect_format
from lpdoctor.logformats.nginx_access import LogFormatError, make_custom_format, slow_reason
from lpdoctor.logformats.registry import all_formats
from lpdoctor.model import InputSummary
from lpdoctor.scan import fastpath
from lpdoctor.scan.aggregate import DEFAULT_MAX_ROUTES, ScanAggregate
from lpdoctor.scan.pipeline import aggregate_file
from lpdoctor.text.inputs import InputError, iter_lines

_ROTATION = re.compile(r"(?:\.gz|\.\d{1,4}|-\d{8,10})+$")


def base_name(path: str) -> str:
    """``access.log`` for ``/var/log/nginx/access.log.2.gz`` or ``access.log-20240101``."""
    return _ROTATION.sub("", os.path.basename(path))


def config_formats(config: NginxConfig) -> tuple[dict[str, LogFormat], list[str]]:
    """The configuration's own log formats, compiled (``combined`` is built in), and why any could not be."""
    out: dict[str, LogFormat] = {}
    problems: list[str] = []
    for name, fmt in config.log_formats.items():
        if fmt.builtin:
            continue
        try:
            out[name] = make_custom_format(fmt.format, name)
        except LogFormatError as exc:
            problems.append(f"{fmt.location}: log_format {name}: {exc}")
    return out, problems


def format_for(path: str, config: NginxConfig, formats: dict[str, LogFormat]) -> LogFormat | None:
    """The format the configuration writes ``path`` in; None when no ``access_log`` names the file."""
    wanted = base_name(path)
    for log in config.access_logs:
        if log.off or not log.path or base_name(log.path) != wanted:
            continue
        return formats.get(log.format)  # None for "combined": detection reads it
    return None


def _sniffed(path: str, formats: dict[str, LogFormat]) -> LogFormat | None:
    if not formats or path == "-":
        return None
    sample: list[str] = []
    try:
        for _, text in iter_lines(path, InputSummary(path=path, format="unknown")):
            if text.strip():
                sample.append(text)
            if len(sample) >= SNIFF_LINES:
                break
    except InputError:
        return None
    chosen = detect_format(sample, [*formats.values(), *all_formats()])
    return chosen if chosen in formats.values() else None


def aggregate_with_config(
    paths: list[str],
    config: NginxConfig,
    max_routes: int = DEFAULT_MAX_ROUTES,
    on_input_error: Callable[[str], None] | None = None,
    window: tuple[float | None, float | None] = (None, None),
    on_slow: Callable[[str], None] | None = None,
) -> tuple[ScanAggregate, list[str], list[str]]:
    """Scan every log in the format its configuration declares: (aggregate, input errors, notes).
    ``on_slow`` hears, once for each of the configuration's formats a log is read in, why the compiled path
    cannot read it (the Python reader then reads every line, 20-50x slower)."""
    formats, notes = config_formats(config)
    total = ScanAggregate(max_routes=max_routes)
    total.set_window(*window)
    errors: list[str] = []
    told: set[str] = set()
    for path in paths:
        forced = format_for(path, config, formats) or _sniffed(path, formats)
        name = next((n for n, f in formats.items() if f is forced), None)
        if on_slow and name is not None and name not in told and fastpath.compiled():
            told.add(name)
            reason = slow_reason(config.log_formats[name].format)
            if reason:
                on_slow(f"log_format {name} is read line by line in Python, 20-50x slower: {reason}")
        try:
            part = aggregate_file(path, forced, max_routes, window=window)
        except InputError as exc:
            errors.append(str(exc))
            if on_input_error:
                on_input_error(str(exc))
            continue
        total.merge(part)
    return total, errors, notes
