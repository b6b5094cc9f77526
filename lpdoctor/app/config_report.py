"""``check-config`` from inputs to report: configs, chain file, holds, logs and app servers in; findings and
chains out. The command (:mod:`lpdoctor.commands.check_config`) only parses options and prints.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from lpdoctor.app.config_log_formats import aggregate_with_config
from lpdoctor.chains.chain import ChainInputs, HoldSpec, RouteChain, build_chains
from lpdoctor.chains.evidence import confirm_config_findings, explain_log_findings, locate_routes
from lpdoctor.chains.hold_specs import (
    SpecError,
    apply_overlays,
    catalog_specs,
    chain_file_specs,
    endpoint_specs,
    parse_hold_option,
    scan_file_endpoints,
)
from lpdoctor.dialects.app_servers import Discovery, discover_app_servers
from lpdoctor.dialects.base import ConfigReadError
from lpdoctor.dialects.chain_file import ChainFile, ChainFileError, load_chain_file
from lpdoctor.dialects.config_kind import is_app_server_file, not_a_config
from lpdoctor.dialects.config_regex import budget_note
from lpdoctor.dialects.edges import kubernetes as kubernetes_edges
from lpdoctor.dialects.edges import terraform
from lpdoctor.dialects.nginx.config import load_nginx_config
from lpdoctor.dialects.nginx.ingress import load_ingress_manifests
from lpdoctor.dialects.nginx.model import NginxConfig, NginxConfigError
from lpdoctor.dialects.nginx.source import NginxSource
from lpdoctor.dialects.registry import load_config_sources, sniff_config
from lpdoctor.logformats.base import LogFormat
from lpdoctor.model import Endpoint, InputSummary, Report
from lpdoctor.model.hops import HopFacts, ProxySource
from lpdoctor.scan.aggregate import DEFAULT_MAX_ROUTES, ScanAggregate
from lpdoctor.scan.pipeline import aggregate_logs
from lpdoctor.scan.report import ScanOptions, build_report
from lpdoctor.text.inputs import count_input_lines

DEFAULT_CHAIN_FILE = "lpdoctor.yaml"
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


class ConfigCheckError(Exception):
    """An input check-config cannot use; ``str()`` is the one line shown (``file:line: problem``)."""


@dataclass(slots=True)
class ConfigCheckOptions:
    configs: list[str] = field(default_factory=list)
    chain_file: str | None = None
    holds: list[str] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)
    margin_s: float | None = None
    use_catalog: bool = True
    max_routes: int = DEFAULT_MAX_ROUTES


def load_config(path: str) -> NginxConfig:
    """An nginx config (or ``nginx -T`` dump), or ingress-nginx manifests (``.yaml``/``.yml``/``.json``)."""
    if path.lower().endswith(MANIFEST_SUFFIXES):
        return load_ingress_manifests(path)
    return load_nginx_config(path)


EDGE_KINDS = ("kubernetes-edges", "terraform")


def _expand_folders(paths: list[str]) -> list[str]:
    """A Terraform module folder becomes its ``*.tf`` files; a Kubernetes manifest folder its YAML/JSON files with
    an Ingress or another hop in front of the app. Any other folder is left as given."""
    out: list[str] = []
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            out.append(path)
            continue
        try:
            tf = terraform.tf_files(path)
            manifests = [] if tf else kubernetes_edges.manifest_files(path)
        except OSError:
            out.append(path)
            continue
        wanted = tf or [m for m in manifests if sniff_config(m) == "kubernetes-edges" or _has_ingress(m)]
        out.extend(wanted or [path])
    return out


def _has_ingress(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return b"kind: Ingress" in fh.read(MAX_SNIFF)
    except OSError:
        return False


MAX_SNIFF = 1 << 20


def _line_count(path: str) -> int:
    return count_input_lines(path) if path != "-" else 0


def _config_input(config: NginxConfig) -> InputSummary:
    lines = sum(_line_count(f) for f in config.files) if not config.from_dump else _line_count(config.source)
    summary = InputSummary(path=config.main_file, format=config.dialect, lines=lines, parsed=lines, kind="config")
    summary.warnings.extend(config.warnings)
    if len(config.files) > 1:
        summary.warnings.insert(0, f"{len(config.files)} files read (includes)")
    return summary


def _discover(paths: list[str], summaries: list[InputSummary], notes: list[str]) -> Discovery:
    found = discover_app_servers(paths)
    for path in found.files:
        lines = _line_count(path)
        summaries.append(InputSummary(path=path, format="app-server", lines=lines, parsed=lines, kind="config"))
    notes.extend(found.notes)
    for hop in found.hops:
        notes.extend(hop.notes)
    return found


def _chain_discoveries(chain: ChainFile, summaries: list[InputSummary], notes: list[str]) -> dict[str, list[HopFacts]]:
    wanted: list[str] = []
    for hops in [chain.defaults, *(r.hops for r in chain.routes)]:
        for path, where in hops.app_from or []:
            if not os.path.exists(path):
                raise ConfigCheckError(f"{where.file}:{where.line}: app_from {path}: no such file or directory")
            if path not in wanted:
                wanted.append(path)
    return {path: _discover([path], summaries, notes).hops for path in wanted}


def _endpoint(rc: RouteChain) -> Endpoint:
    first = min(
        ((t, f) for f in rc.facts for t in f.hop.timeouts if t.value_s is not None),
        key=lambda x: x[0].value_s or 0.0,
        default=None,
    )
    hold = rc.chain.hold
    extra: dict[str, object] = {
        "hold_source": hold.source if hold else None,
        "protocol": hold.protocol if hold else None,
        "served_by": next((str(f.block) for f in rc.proxies() if f.block is not None), None),
    }
    if first is not None:
        extra["first_cut_s"] = first[0].value_s
        extra["first_cut"] = f"{first[1].hop.name}: {first[0].setting}"
    return Endpoint(
        route=rc.route,
        host=rc.chain.host,
        requests=0,
        long_poll=True,
        hold_s=rc.hold_s,
        observed=None,
        failures=0,
        cutoff_s=None,
        extra=extra,
    )


def build_config_report(
    opts: ConfigCheckOptions, on_input_error: Callable[[str], None] | None = None
) -> tuple[Report, list[str]]:
    """The check-config report, and the input errors met on the way (logs that could not be opened).

    Raises :class:`ConfigCheckError` for what makes the check meaningless: a config or chain file that cannot
    be read, a bad ``--hold``, a scan file that is not lpdoctor's JSON.
    """
    report = Report(command="check-config")
    notes: list[str] = []
    chain = None
    if opts.chain_file:
        try:
            chain = load_chain_file(opts.chain_file)
        except ChainFileError as exc:
            raise ConfigCheckError(str(exc)) from None
        report.inputs.append(InputSummary(path=opts.chain_file, format="chain-file", kind="config"))
    config_paths = _expand_folders(list(opts.configs) + [p for p, _ in (chain.nginx if chain else [])])
    configs: list[NginxConfig] = []
    other_paths: list[tuple[str, str]] = []  # HAProxy, Traefik, Caddy, Envoy, Apache ... (dialects/registry.py)
    app_paths = list(opts.apps)
    for path in app_paths:
        if not os.path.isdir(path) and not os.path.isfile(path):
            what = "no such file or directory" if not os.path.lexists(path) else "not a regular file or a directory"
            raise ConfigCheckError(f"--app {path}: {what}")
    for path in config_paths:
        if is_app_server_file(path):  # gunicorn.conf.py, a Procfile ...: read as --app would
            app_paths.append(path)
            continue
        if (problem := not_a_config(path)) is not None:
            raise ConfigCheckError(problem)
        if (kind := sniff_config(path)) is not None:
            other_paths.append((path, kind))
            if not (kind == "kubernetes-edges" and kubernetes_edges.has_ingress_nginx(path)):
                continue  # else: the same manifests also hold ingress-nginx Ingresses, read below
        try:
            configs.append(load_config(path))
        except NginxConfigError as exc:
            raise ConfigCheckError(str(exc)) from None
        report.inputs.append(_config_input(configs[-1]))
    try:
        other_sources = load_config_sources(other_paths)
    except ConfigReadError as exc:
        raise ConfigCheckError(str(exc)) from None
    report.inputs.extend(routed.input_summary() for routed in other_sources)
    # outermost first: load balancers, CDNs and platforms (Kubernetes manifests, Terraform) before the proxies
    edges = [s for s in other_sources if getattr(s, "component", "") in EDGE_KINDS]
    sources: list[ProxySource] = (
        edges + [NginxSource(c) for c in configs] + [s for s in other_sources if s not in edges]
    )

    specs: list[HoldSpec] = []
    try:
        specs.extend(parse_hold_option(h) for h in opts.holds)
        for path in opts.scans:
            specs.extend(endpoint_specs(scan_file_endpoints(path), path))
    except SpecError as exc:
        raise ConfigCheckError(str(exc)) from None
    if chain is not None:
        specs.extend(chain_file_specs(chain))

    errors: list[str] = []
    agg: ScanAggregate | None = None
    margin = opts.margin_s if opts.margin_s is not None else (chain.margin_s if chain and chain.margin_s else 5.0)
    log_report = None
    if opts.logs:
        nginx_configs = [c for c in configs if c.dialect == "nginx"]
        if nginx_configs:
            agg, errors, format_notes = aggregate_with_config(
                opts.logs, nginx_configs[0], opts.max_routes, on_input_error
            )
            notes.extend(format_notes)
        else:
            agg, errors = aggregate_logs(opts.logs, None, opts.max_routes, on_input_error)
        log_report = build_report(agg, ScanOptions(margin_min_s=margin))
        report.inputs.extend(agg.inputs)
        specs.extend(endpoint_specs(log_report.endpoints, "logs"))
    if opts.use_catalog and sources:
        specs.extend(catalog_specs())
    apply_overlays(specs, chain)

    app = _discover(app_paths, report.inputs, notes) if app_paths else Discovery()
    inputs = ChainInputs(
        sources=sources,
        specs=specs,
        defaults=chain.defaults if chain is not None else ChainInputs().defaults,
        app_hops=app.hops,
        discovered=_chain_discoveries(chain, report.inputs, notes) if chain is not None else {},
        margin_min_s=margin,
    )
    chains, chain_notes = build_chains(inputs)
    notes.extend(chain_notes)

    from lpdoctor.checks import run_checks
    from lpdoctor.checks.base import CheckModel

    findings = run_checks(CheckModel(chains=chains, sources=sources))
    report.chains = [rc.chain for rc in chains]
    report.endpoints = [_endpoint(rc) for rc in chains]
    if agg is not None and log_report is not None:
        logged = locate_routes(agg, sources)
        explain_log_findings(log_report, logged, app.hops)
        confirm_config_findings(findings, logged)
        findings.extend(log_report.findings)
        configured = {(e.host, e.route): e for e in report.endpoints}
        merged = []
        for e in log_report.endpoints:
            mine = configured.pop((e.host, e.route), None)
            if mine is not None:
                e.extra.update({k: v for k, v in mine.extra.items() if k not in ("hold_source", "protocol")})
            merged.append(e)
        report.endpoints = [*configured.values(), *merged]
        report.histograms = log_report.histograms
        notes.extend(log_report.notes)
    findings.sort(key=lambda f: f.sort_key())
    report.findings = findings
    report.config_files = _files_read(opts.chain_file, configs, report.inputs)
    if (regex_note := budget_note()) is not None:
        notes.append(regex_note)
    report.notes = notes
    report.stats = {
        "long_poll_routes": len(chains),
        "configs": len(configs),
        "sources": [s.label for s in sources],
    }
    if not chains and sources:
        report.notes.append(
            "no long-poll route found in the configuration: name one with --hold ROUTE=DURATION, a chain file, "
            "--from-scan or --log"
        )
    return report, errors


def _files_read(chain_file: str | None, configs: list[NginxConfig], inputs: list[InputSummary]) -> list[str]:
    """Every configuration file read, includes too: where inline suppressions are looked for."""
    files = [chain_file] if chain_file else []
    for config in configs:
        files.extend(config.files if not config.from_dump else [config.source])
    files.extend(i.path for i in inputs if i.kind == "config")
    return [f for f in dict.fromkeys(files) if f and f != "-"]


def scan_logs_with_config(
    logs: list[str],
    config_path: str,
    forced: LogFormat | None,
    max_routes: int,
    on_input_error: Callable[[str], None] | None = None,
    window: tuple[float | None, float | None] = (None, None),
    on_slow: Callable[[str], None] | None = None,
) -> tuple[ScanAggregate, list[str], NginxConfig]:
    """``scan --nginx-conf``: logs read in the formats the config declares (unless one is forced); ``on_slow``: see
    :func:`aggregate_with_config`."""
    if (problem := not_a_config(config_path)) is not None:
        raise ConfigCheckError(problem)
    try:
        config = load_config(config_path)
    except NginxConfigError as exc:
        raise ConfigCheckError(str(exc)) from None
    if forced is not None:
        agg, errors = aggregate_logs(logs, forced, max_routes, on_input_error, window)
    else:
        agg, errors, notes = aggregate_with_config(logs, config, max_routes, on_input_error, window, on_slow)
        for note in notes:
            if on_input_error:
                on_input_error(note)
    return agg, errors, config


def explain_with_config(report: Report, agg: ScanAggregate, config: NginxConfig) -> None:
    """Name, in every log finding of a scan, the location and timer of ``config`` that explain it."""
    explain_log_findings(report, locate_routes(agg, [NginxSource(config)]))
    if (regex_note := budget_note()) is not None:
        report.notes.append(regex_note)
