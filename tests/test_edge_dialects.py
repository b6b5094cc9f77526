"""The hops in front of the proxy (issue 15): each platform's failing manifest or Terraform gets its finding at
the line to edit, with the fix in that platform's own syntax; the fixed one passes. All through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lpdoctor.cli import main

CONFIGS = Path(__file__).parent / "fixtures" / "configs"
K8S = CONFIGS / "kubernetes"
TF = CONFIGS / "terraform"


def run(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["check-config", *args, "--no-catalog", "-f", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


# (failing input, fixed input, hold, component, file of the finding, its line, text the fix must hold)
CASES = [
    (
        K8S / "alb" / "ingress.yaml",
        K8S / "alb-fixed" / "ingress.yaml",
        "/chathub=90s",
        "aws-alb",
        K8S / "alb" / "ingress.yaml",
        7,
        "alb.ingress.kubernetes.io/load-balancer-attributes: idle_timeout.timeout_seconds=100",
    ),
    (
        K8S / "gke",
        K8S / "gke-fixed",
        "/_matrix/client/v3/sync=30s",
        "gcp-lb",
        K8S / "gke" / "backendconfig.yaml",
        7,
        "timeoutSec: 35  # under spec: of BackendConfig chat/synapse-backend",
    ),
    (
        K8S / "agic" / "ingress.yaml",
        K8S / "agic" / "ingress-fixed.yaml",
        "/v1/kv/=5m",
        "azure-application-gateway",
        K8S / "agic" / "ingress.yaml",
        6,
        'appgw.ingress.kubernetes.io/request-timeout: "330"',
    ),
    (
        K8S / "f5" / "ingress.yaml",
        K8S / "f5" / "ingress-fixed.yaml",
        "/_matrix/client/v3/sync=30s",
        "f5-nginx-ingress",
        K8S / "f5" / "ingress.yaml",
        14,
        'nginx.org/proxy-read-timeout: "35s"',
    ),
    (
        K8S / "openshift" / "route.yaml",
        K8S / "openshift" / "route-fixed.yaml",
        "/_matrix/client/v3/sync=30s",
        "openshift-router",
        K8S / "openshift" / "route.yaml",
        3,
        "haproxy.router.openshift.io/timeout: 35s",
    ),
    (
        K8S / "gateway" / "httproute.yaml",
        K8S / "gateway" / "httproute-fixed.yaml",
        "/_matrix/client/v3/sync=30s",
        "gateway-api",
        K8S / "gateway" / "httproute.yaml",
        30,
        "timeouts: {request: 35s}",
    ),
    (
        K8S / "cloudrun" / "service.yaml",
        K8S / "cloudrun" / "service-fixed.yaml",
        "/events=10m",
        "cloud-run",
        K8S / "cloudrun" / "service.yaml",
        12,
        "timeoutSeconds: 660  # under spec.template.spec of Cloud Run Service events",
    ),
    (
        TF / "aws",
        TF / "aws-fixed",
        "/bot1/getUpdates=50s",
        "aws-alb",
        TF / "aws" / "main.tf",
        6,
        'idle_timeout = 55  # in resource "aws_lb" "api"',
    ),
    (
        TF / "gcp" / "main.tf",
        None,
        "/sync=50s",
        "gcp-lb",
        TF / "gcp" / "main.tf",
        1,
        'timeout_sec = 55  # in resource "google_compute_backend_service" "sync"',
    ),
    (
        TF / "azure" / "main.tf",
        None,
        "/poll=25s",
        "azure-application-gateway",
        TF / "azure" / "main.tf",
        11,
        'request_timeout = 30  # in resource "azurerm_application_gateway" "front" backend_http_settings api',
    ),
]


@pytest.mark.parametrize(
    ("failing", "fixed", "hold", "component", "file", "line", "fix"),
    CASES,
    ids=[f"{c[3]}-{c[0].name}" for c in CASES],
)
def test_finding_at_the_line_to_edit_and_fixed_input_passes(
    failing: Path, fixed: Path | None, hold: str, component: str, file: Path, line: int, fix: str
) -> None:
    code, report = run(str(failing), "--hold", hold)
    assert code == 1
    mine = [f for f in report["findings"] if f["evidence"]["component"] == component]
    assert mine, report["findings"]
    finding = mine[0]
    assert finding["rule"] == "timeout-below-hold"
    assert (finding["file"], finding["line"]) == (str(file), line)
    assert fix in finding["fix"]
    if fixed is not None:
        code, report = run(str(fixed), "--hold", hold)
        assert code == 0, report["findings"]
        assert report["findings"] == []


def test_an_alb_ingress_is_never_judged_as_nginx() -> None:
    code, report = run(str(K8S / "alb" / "ingress.yaml"), "--hold", "/chathub=90s")
    assert code == 1
    (chain,) = report["chains"]
    assert [(h["kind"], h["component"]) for h in chain["hops"]] == [("edge", "aws-alb")]
    (finding,) = report["findings"]
    assert "nginx.ingress.kubernetes.io" not in finding["fix"] and "proxy-read-timeout" not in finding["fix"]
    assert finding["configured_s"] == 60.0 and finding["evidence"]["explicit"] is False


def test_gke_set_lines_up_ingress_service_and_backendconfig_from_three_files() -> None:
    _, report = run(str(K8S / "gke"), "--hold", "/_matrix/client/v3/sync=30s")
    (chain,) = report["chains"]
    (hop,) = chain["hops"]
    (t,) = hop["timeouts"]
    assert (hop["component"], t["setting"], t["value_s"], t["semantics"], t["explicit"]) == (
        "gcp-lb",
        "spec.timeoutSec",
        30.0,
        "total",
        True,
    )
    assert (t["file"], t["line"]) == (str(K8S / "gke" / "backendconfig.yaml"), 7)


def test_terraform_module_lines_up_cloudflare_then_the_alb(tmp_path: Path) -> None:
    _, report = run(str(TF / "aws"), "--hold", "/bot1/getUpdates=150s")
    (chain,) = report["chains"]
    assert [h["component"] for h in chain["hops"]] == ["cloudflare", "aws-alb"]
    cloudflare = next(f for f in report["findings"] if f["evidence"]["component"] == "cloudflare")
    assert cloudflare["configured_s"] == 120.0
    assert (cloudflare["file"], cloudflare["line"]) == (str(TF / "aws" / "cloudflare.tf"), 1)
    assert "Enterprise" in cloudflare["fix"] and "hold for less than" in cloudflare["fix"]


def test_a_manifest_with_an_alb_and_an_nginx_ingress_reads_each_by_its_controller(tmp_path: Path) -> None:
    nginx = (CONFIGS.parent / "configs" / "kubernetes" / "alb" / "ingress.yaml").read_text()
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text(
        nginx.replace("name: chat\n", "name: chat-alb\n", 1)
        + "---\n"
        + nginx.replace("ingressClassName: alb", "ingressClassName: nginx")
        .replace(
            "alb.ingress.kubernetes.io/scheme: internet-facing", 'nginx.ingress.kubernetes.io/proxy-read-timeout: "30"'
        )
        .replace("    alb.ingress.kubernetes.io/target-type: ip\n", "")
    )
    code, report = run(str(mixed), "--hold", "/chathub=90s")
    assert code == 1
    components = {f["evidence"]["component"] for f in report["findings"]}
    assert components == {"aws-alb", "ingress-nginx"}
    (chain,) = report["chains"]
    assert [h["component"] for h in chain["hops"]] == ["aws-alb", "ingress-nginx"]


def test_invalid_terraform_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "main.tf"
    bad.write_text('resource "aws_lb" "x" {\n  idle_timeout = \n')
    result = CliRunner().invoke(main, ["check-config", str(bad), "--hold", "/p=30s"])
    assert result.exit_code == 2
    assert "not valid HCL" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_megabyte_number_or_deep_brackets_are_one_line_never_a_traceback(tmp_path: Path) -> None:
    cases = {
        "main.tf": 'resource "aws_lb" "a" {\n  idle_timeout = ' + "9" * (1 << 20) + "\n}\n",
        "deep.tf": "x = " + "[" * 5000,
        "deep.yaml": "apiVersion: v1\nkind: HTTPRoute\nspec: " + "{" * 5000,
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        result = CliRunner().invoke(main, ["check-config", str(path), "--hold", "/p=30s", "-f", "json"])
        assert result.exception is None or isinstance(result.exception, SystemExit), name
        assert "Traceback" not in result.output, name
        if result.exit_code == 2:
            assert len(result.output.strip().splitlines()) == 1, (name, result.output)
