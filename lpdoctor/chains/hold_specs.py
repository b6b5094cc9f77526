"""Where long-poll routes and their holds come from, each turned into :class:`~lpdoctor.chains.chain.HoldSpec`.

``--hold ROUTE=DURATION``, chain-file routes, a scan's JSON endpoints, endpoints found in logs given in the same
run, and the known-protocol catalog. Chain-file routes also overlay their hops (client, edges, app ...) on
every spec whose path they are a prefix of.
"""

from __future__ import annotations

import json
import math
from typing import Any

from lpdoctor.chains.chain import HoldSpec
from lpdoctor.chains.protocol_routes import known_holds
from lpdoctor.dialects.chain_file import ChainFile, RouteSpec
from lpdoctor.model import Endpoint, Hold, SourceLocation
from lpdoctor.scan.routes import split_target
from lpdoctor.text.durations import DurationError, parse_duration
from lpdoctor.text.inputs import InputError, read_input

MAX_SCAN_BYTES = 256 << 20  # the JSON of a scan: endpoints and histograms, never the log


class SpecError(ValueError):
    """A hold option or scan file lpdoctor cannot use; ``str()`` is one line."""


def parse_hold_option(text: str) -> HoldSpec:
    """``/poll=30s``, ``/_matrix/client/v3/sync=30000ms``, ``chat.example.org/api/poll=25s``."""
    route, sep, duration = text.rpartition("=")
    route = route.strip()
    if not sep or not route or not duration.strip():
        raise SpecError(f"--hold {text!r}: expected ROUTE=DURATION, like /poll=30s")
    host = None
    if not route.startswith("/"):
        host, slash, rest = route.partition("/")
        if not slash or not host:
            raise SpecError(f"--hold {text!r}: ROUTE must be a path (/poll) or host/path (example.org/poll)")
        route = "/" + rest
    try:
        seconds = parse_duration(duration, default_unit="s")
    except DurationError:
        raise SpecError(f"--hold {text!r}: {duration.strip()!r} is not a duration (like 30s or 30000ms)") from None
    if seconds <= 0:
        raise SpecError(f"--hold {text!r}: the hold must be longer than 0")
    hold = Hold(seconds=seconds, source="option", detail=f"--hold {text}")
    return HoldSpec(route=route, path=route, host=host, hold=hold, origin=SourceLocation(None, None, f"--hold {text}"))


def chain_file_specs(chain: ChainFile) -> list[HoldSpec]:
    return [
        HoldSpec(
            route=r.route,
            path=r.route,
            host=r.host,
            hold=r.hold,
            keepalive=r.keepalive,
            origin=r.location,
            hops=r.hops,
        )
        for r in chain.routes
        if r.hold is not None
    ]


def apply_overlays(specs: list[HoldSpec], chain: ChainFile | None) -> None:
    """Give every spec the hops and keepalive of the chain-file route that is the longest prefix of its path."""
    if chain is None:
        return
    for spec in specs:
        best: RouteSpec | None = None
        for r in chain.routes:
            if r.host is not None and spec.host is not None and r.host.lower() != spec.host.lower():
                continue
            if spec.path.startswith(r.route) and (best is None or len(r.route) > len(best.route)):
                best = r
        if best is None:
            continue
        if spec.hops is None:
            spec.hops = best.hops
        if spec.keepalive is None:
            spec.keepalive = best.keepalive


def endpoint_specs(endpoints: list[Endpoint], source: str) -> list[HoldSpec]:
    """Long-poll endpoints of a scan (or of logs read in this run) with a known hold."""
    out = []
    for e in endpoints:
        if not e.long_poll or not e.hold_s or e.hold_s <= 0:
            continue
        example = e.extra.get("example")
        path = split_target(example)[0] if isinstance(example, str) and example.startswith("/") else e.route
        protocol = e.extra.get("protocol")
        hold = Hold(
            seconds=float(e.hold_s),
            source="scan",
            protocol=protocol if isinstance(protocol, str) else None,
            detail=source,
        )
        out.append(
            HoldSpec(route=e.route, path=path, host=e.host, hold=hold, origin=SourceLocation(source, None, "scan"))
        )
    return out


def scan_file_endpoints(path: str) -> list[Endpoint]:
    """The endpoints of ``lpdoctor scan -f json`` output."""
    try:
        raw = read_input(path, MAX_SCAN_BYTES, "the JSON of `lpdoctor scan -f json`")
    except InputError as exc:
        raise SpecError(str(exc)) from None
    try:
        data: Any = json.loads(raw.decode("utf-8", "replace"))
    except ValueError as exc:
        raise SpecError(f"{path}: not JSON ({exc})") from None
    except RecursionError:
        raise SpecError(f"{path}: not JSON lpdoctor wrote (nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("endpoints"), list):
        raise SpecError(f"{path}: not the JSON of `lpdoctor scan -f json` (no endpoints list)")
    out = []
    for i, e in enumerate(data["endpoints"]):
        if not isinstance(e, dict) or not isinstance(e.get("route"), str):
            raise SpecError(f"{path}: endpoint #{i + 1} has no route")
        hold = e.get("hold_s")
        if hold is not None and (
            isinstance(hold, bool) or not isinstance(hold, (int, float)) or not 0 <= hold < 10**9 or math.isnan(hold)
        ):
            raise SpecError(f"{path}: endpoint {e['route']!r}: hold_s must be a number of seconds")
        for key in ("requests", "failures"):
            n = e.get(key)
            if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
                raise SpecError(f"{path}: endpoint {e['route']!r}: {key} must be a whole number")
        host = e.get("host")
        out.append(
            Endpoint(
                route=e["route"],
                host=host if isinstance(host, str) else None,
                requests=int(e.get("requests") or 0),
                long_poll=bool(e.get("long_poll")),
                hold_s=float(hold) if hold is not None else None,
                observed=None,
                failures=int(e.get("failures") or 0),
                cutoff_s=None,
                extra={k: e[k] for k in ("example", "protocol") if k in e},
            )
        )
    return out


def catalog_specs() -> list[HoldSpec]:
    """Every known long-poll protocol's typical request, to be matched against the configuration."""
    out = []
    for req, path, requested in known_holds():
        seconds = requested.seconds * (1 + requested.jitter)
        detail = requested.describe()
        if requested.jitter:
            detail += f", plus up to {requested.jitter:.4g} x jitter"
        hold = Hold(seconds=seconds, source="protocol", protocol=req.protocol, detail=detail)
        out.append(HoldSpec(route=path, path=path, host=None, hold=hold, hints=req.hints))
    return out
