"""``lpdoctor check-config [CONFIG...]``: every long-poll route's timeout chain from configuration, with fixes."""

from __future__ import annotations

import os

import click

from lpdoctor.app.config_report import (
    DEFAULT_CHAIN_FILE,
    ConfigCheckError,
    ConfigCheckOptions,
    build_config_report,
)
from lpdoctor.commands.common import EXIT_USAGE, emit, exit_code, fail, guard_outputs, output_options, warn
from lpdoctor.commands.lint import from_settings
from lpdoctor.scan.aggregate import DEFAULT_MAX_ROUTES


@click.command("check-config")
@click.argument("configs", nargs=-1, metavar="[CONFIG]...")
@click.option(
    "--chain",
    "chain_file",
    metavar="FILE",
    callback=from_settings("chain"),
    help=f"Chain file (holds, keepalives, client, edges, app server); default ./{DEFAULT_CHAIN_FILE} when it exists.",
)
@click.option(
    "--hold",
    "holds",
    multiple=True,
    metavar="ROUTE=DURATION",
    callback=from_settings("holds", tuple),
    help="A long-poll route and its hold, e.g. /_matrix/client/v3/sync=30s or example.org/poll=25000ms. Repeatable.",
)
@click.option(
    "--from-scan", "scans", multiple=True, metavar="FILE", help="Long-poll endpoints from `lpdoctor scan -f json`."
)
@click.option(
    "--log",
    "logs",
    multiple=True,
    metavar="FILE",
    help="Access or error logs to scan in the same run: their long-polls are checked, their cut-offs explained.",
)
@click.option(
    "--app",
    "apps",
    multiple=True,
    metavar="PATH",
    help="Read app-server timeouts (gunicorn, Go http.Server, uvicorn, php-fpm, uWSGI) from a file or directory.",
)
@click.option(
    "--margin",
    type=click.FloatRange(min=0),
    default=None,
    callback=from_settings("margin"),
    help="Minimum margin (s) a timeout needs above the hold; the margin is max(this, 10% of the hold). [default: 5]",
)
@click.option(
    "--catalog/--no-catalog",
    "use_catalog",
    default=True,
    show_default=True,
    help="Check the known long-poll protocols (Matrix /sync, Consul, ...) the configuration serves.",
)
@click.option("--max-routes", type=click.IntRange(min=10), default=DEFAULT_MAX_ROUTES, hidden=True)
@output_options
def check_config_command(
    configs: tuple[str, ...],
    chain_file: str | None,
    holds: tuple[str, ...],
    scans: tuple[str, ...],
    logs: tuple[str, ...],
    apps: tuple[str, ...],
    margin: float | None,
    use_catalog: bool,
    max_routes: int,
    output_format: str,
    fail_on: str,
    output: str | None,
) -> None:
    """Line every timeout of every long-poll route up against its hold, from configuration.

    CONFIG is an nginx.conf (includes are followed), the output of `nginx -T`, ingress-nginx manifests, a
    Sōzune compose file, Kubernetes Services or file-provider YAML, or a HAProxy, Traefik (YAML, TOML,
    Docker labels), Caddy (Caddyfile, JSON), Envoy or Apache configuration; the kind is recognised from the
    content. Each finding names the file:line to change and the line to write. Exit 0: no finding at or above
    --fail-on; 1: findings; 2: unusable input.
    """
    if chain_file is None and not configs and os.path.isfile(DEFAULT_CHAIN_FILE):
        chain_file = DEFAULT_CHAIN_FILE
    guard_outputs([*configs, *([chain_file] if chain_file else []), *scans, *logs, *apps], output=output)
    if not configs and chain_file is None:
        fail(f"nothing to check: give an nginx config (CONFIG) or a chain file (--chain, or ./{DEFAULT_CHAIN_FILE})")
    opts = ConfigCheckOptions(
        configs=list(configs),
        chain_file=chain_file,
        holds=list(holds),
        scans=list(scans),
        logs=list(logs),
        apps=list(apps),
        margin_s=margin,
        use_catalog=use_catalog,
        max_routes=max_routes,
    )
    try:
        report, errors = build_config_report(opts, on_input_error=warn)
    except ConfigCheckError as exc:
        fail(str(exc))
        return
    emit(report, output_format, output)
    code = exit_code(report, fail_on)
    raise SystemExit(EXIT_USAGE if errors else code)
