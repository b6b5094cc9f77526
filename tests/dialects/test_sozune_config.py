"""Sōzune configuration: compose labels (list and mapping), Kubernetes annotations, the file provider.

The reader's model (routes, settings with file:line, problems Sōzune would report) first; then the findings
and fixes users see through ``lpdoctor check-config`` (and ``scan`` on the samples' logs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lpdoctor.dialects.sozune import labels as sl
from lpdoctor.dialects.sozune.config import (
    SozuneConfig,
    SozuneConfigError,
    load_sozune_config,
    sniff_sozune_yaml,
)
from lpdoctor.dialects.sozune.routes import LabelProblem, SozuneRoute, fix_for, path_matches, sozune_hop
from lpdoctor.model import Semantics, Severity

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "sozune"


def _route(config: SozuneConfig, route_id: str) -> SozuneRoute:
    return next(r for r in config.routes if r.id == route_id)


def _problems(config: SozuneConfig, code: str) -> list[LabelProblem]:
    return [p for p in config.problems if p.code == code]


# ---- compose, labels as a list


def test_compose_list_labels_become_routes_with_file_and_line() -> None:
    config = load_sozune_config(str(FIX / "compose-list.yml"))
    assert config.form == "compose"
    assert [r.id for r in config.routes] == ["http_synapse", "http_notify"]
    synapse = _route(config, "http_synapse")
    assert synapse.hosts == ["matrix.example.com"]
    assert (synapse.path_type, synapse.path, synapse.tls) == ("Prefix", "/_matrix", True)
    assert synapse.backend_timeout is None and not synapse.middleware
    assert synapse.block.line == 13  # the compose service "synapse:"
    assert synapse.settings["prefix"].location.line == 21
    assert synapse.label_style == "list"
    assert synapse.image == "matrixdotorg/synapse:v1.118.0"
    assert config.problems == []


def test_a_missing_backend_timeout_is_the_30s_default_at_the_service_block() -> None:
    synapse = _route(load_sozune_config(str(FIX / "compose-list.yml")), "http_synapse")
    (t,) = sozune_hop(synapse).timeouts
    assert (t.component, t.setting, t.value_s, t.explicit) == ("sozune", "backendTimeout", 30.0, False)
    assert t.location is not None and t.location.line == 13
    # no middleware field: Sōzu forwards the route itself, its back_timeout is an idle timer
    assert t.semantics == Semantics.IDLE


def test_a_set_backend_timeout_is_until_headers_at_its_label_line_with_retries_as_attempts() -> None:
    notify = _route(load_sozune_config(str(FIX / "compose-list.yml")), "http_notify")
    assert (notify.backend_timeout, notify.retry_attempts, notify.middleware) == (90, 3, True)
    hop = sozune_hop(notify)
    (t,) = hop.timeouts
    assert (t.value_s, t.semantics, t.explicit) == (90.0, Semantics.UNTIL_HEADERS, True)
    assert t.location is not None and t.location.line == 32
    assert hop.attempts == 3


def test_fixes_are_written_in_the_routes_own_form() -> None:
    listed = _route(load_sozune_config(str(FIX / "compose-list.yml")), "http_synapse")
    assert fix_for(listed, "backendTimeout", 60).startswith(
        '- "sozune.http.synapse.backendTimeout=60"  # under labels:'
    )
    mapped = _route(load_sozune_config(str(FIX / "compose-mapping.yml")), "http_synapse")
    assert fix_for(mapped, "backendTimeout", 60).startswith('sozune.http.synapse.backendTimeout: "60"')
    filed = _route(load_sozune_config(str(FIX / "entrypoints.yaml")), "file_synapse")
    assert fix_for(filed, "backendTimeout", 60).startswith("backend_timeout: 60  # under config: of entrypoint")
    assert fix_for(filed, "retry.attempts", 1).startswith("retry: {attempts: 1}")
    k8s = _route(load_sozune_config(str(FIX / "k8s-services.yaml")), "http_synapse")
    assert "under metadata.annotations of Service synapse" in fix_for(k8s, "backendTimeout", 60)


# ---- compose, labels as a mapping


def test_compose_mapping_labels_with_merge_keys_and_unquoted_values() -> None:
    config = load_sozune_config(str(FIX / "compose-mapping.yml"))
    synapse = _route(config, "http_synapse")
    assert synapse.label_style == "mapping"
    assert synapse.hosts == ["matrix.example.com", "chat.example.com"]
    assert synapse.tls  # unquoted True: compose turns it into "true"
    assert (synapse.backend_timeout, synapse.retry_attempts, synapse.in_flight_req) == (60, 2, 2)
    assert synapse.settings["backendTimeout"].location.line == 14
    # sozune.enable comes from the x-sozune-common anchor through "<<": no E001
    assert not _problems(config, "E001")


# ---- label mistakes


@pytest.fixture(scope="module")
def bad() -> SozuneConfig:
    return load_sozune_config(str(FIX / "compose-bad.yml"))


def test_unknown_key_gets_sozunes_did_you_mean(bad: SozuneConfig) -> None:
    (timeout, tls) = _problems(bad, "W013")
    assert timeout.location.line == 9 and timeout.key == "sozune.http.web.timeout"
    assert "did you mean sozune.http.web.backendTimeout?" in timeout.message
    assert timeout.suggestion == '- "sozune.http.web.backendTimeout=5"'  # "5s" made whole seconds
    assert tls.location.line == 11 and tls.suggestion == '- "sozune.http.web.tls=true"'


def test_non_integer_backend_timeout_is_ignored_with_the_default_applying(bad: SozuneConfig) -> None:
    (w003,) = _problems(bad, "W003")
    assert w003.location.line == 10
    assert "'60s' is not a whole number of seconds" in w003.message and "default 30 s applies" in w003.message
    assert w003.suggestion == '- "sozune.http.web.backendTimeout=60"'
    assert _route(bad, "http_web").backend_timeout is None


def test_other_label_mistakes(bad: SozuneConfig) -> None:
    (w012,) = _problems(bad, "W012")
    assert w012.location.line == 12 and w012.suggestion == '- "sozune.http.web.port=8000"'
    (e001,) = _problems(bad, "E001")
    assert e001.severity == Severity.INFO and e001.location.line == 14
    (boolean,) = _problems(bad, "bool")
    assert boolean.location.line == 20 and "read as false" in boolean.message
    (w023,) = _problems(bad, "W023")
    assert w023.location.line == 29 and _route(bad, "http_api").retry_attempts == 1
    (e002,) = _problems(bad, "E002")
    assert e002.severity == Severity.ERROR and e002.location.line == 31
    assert "http_worker" not in [r.id for r in bad.routes]


def test_zero_and_huge_backend_timeouts_are_read_as_written(bad: SozuneConfig) -> None:
    (t,) = sozune_hop(_route(bad, "http_events")).timeouts
    assert t.value_s is None and t.explicit and t.location is not None and t.location.line == 19
    (t,) = sozune_hop(_route(bad, "http_api")).timeouts
    assert t.value_s == 30000.0 and "SECONDS" in (t.note or "")


def test_a_compose_variable_with_a_default_is_checked_with_that_default(tmp_path: Path) -> None:
    path = tmp_path / "docker-compose.yml"
    path.write_text(
        "services:\n  app:\n    labels:\n      - sozune.enable=true\n      - sozune.http.app.host=a.example.com\n"
        "      - sozune.http.app.backendTimeout=${APP_TIMEOUT:-45}\n      - sozune.http.app.priority=${P}\n",
        encoding="utf-8",
    )
    config = load_sozune_config(str(path))
    assert config.routes[0].backend_timeout == 45
    assert any("checked with its default 45" in n for n in config.notes)


# ---- the file provider


@pytest.fixture(scope="module")
def filed() -> SozuneConfig:
    return load_sozune_config(str(FIX / "entrypoints.yaml"))


def test_file_provider_entrypoints(filed: SozuneConfig) -> None:
    assert filed.form == "file"
    synapse = _route(filed, "file_synapse")
    assert (synapse.hosts, synapse.path, synapse.tls, synapse.backend_timeout) == (
        ["matrix.example.com"],
        "/_matrix",
        True,
        None,
    )
    assert synapse.block.line == 3
    app = _route(filed, "file_app")
    assert (app.backend_timeout, app.retry_attempts, app.in_flight_req, app.priority) == (60, 3, 4, 10)
    assert app.settings["backendTimeout"].location.line == 29
    assert app.settings["backendTimeout"].key == "config.backend_timeout"


def test_file_provider_mistakes(filed: SozuneConfig) -> None:
    unknown = _problems(filed, "file-unknown")
    assert [(p.location.line, p.suggestion) for p in unknown] == [(45, "backend_timeout: 90")]
    assert "silently ignored" in unknown[0].message
    typed = {p.location.line: p for p in _problems(filed, "file-type")}
    assert typed[46].severity == Severity.ERROR and "'120' is not a whole number" in typed[46].message
    assert typed[46].suggestion == "backend_timeout: 120"
    assert "fails to load the whole file" in typed[46].message
    assert typed[50].suggestion == "protocol: Http"
    assert _route(filed, "file_legacy").backend_timeout is None  # the quoted "120" is not a number to serde


# ---- Kubernetes


def test_kubernetes_service_annotations(tmp_path: Path) -> None:
    config = load_sozune_config(str(FIX / "k8s-services.yaml"))
    assert config.form == "kubernetes"
    synapse = _route(config, "http_synapse")
    assert (synapse.form, synapse.workload, synapse.path) == ("annotation", "synapse", "/_matrix")
    assert synapse.settings["host"].location.line == 9
    events = _route(config, "http_events")
    assert events.backend_timeout == 0 and events.settings["backendTimeout"].location.line == 27
    (wrong_kind,) = _problems(config, "k8s-kind")
    assert wrong_kind.location.line == 39 and "only on a Service" in wrong_kind.message


def test_kubernetes_list_kind(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n    metadata:\n"
        "      name: web\n      annotations:\n        sozune.enable: 'true'\n        sozune.http.web.host: w.example.com\n",
        encoding="utf-8",
    )
    config = load_sozune_config(str(path))
    assert [r.id for r in config.routes] == ["http_web"]
    assert config.routes[0].settings["host"].location.line == 10


# ---- what is and is not Sōzune configuration; unusable input


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("services:\n  a:\n    labels: ['sozune.enable=true']\n", "compose"),
        ("services:\n  a:\n    labels: {traefik.enable: 'true'}\n", None),
        ("entrypoints:\n  - id: x\n", "file"),
        ("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\n", None),
        ("kind: Service\nmetadata:\n  annotations:\n    sozune.http.a.host: a\n", "kubernetes"),
        ("http {\n  server { listen 80; }\n}\n", None),
        ("services: [\n", None),
    ],
)
def test_sniff(text: str, form: str | None) -> None:
    assert sniff_sozune_yaml(text) == form


def test_invalid_yaml_is_one_error_with_file_and_line() -> None:
    with pytest.raises(SozuneConfigError) as exc:
        load_sozune_config(str(FIX / "broken.yml"))
    assert str(exc.value).startswith(f"{FIX / 'broken.yml'}:5: not valid YAML")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(SozuneConfigError, match="no such file"):
        load_sozune_config(str(tmp_path / "nope.yml"))
    with pytest.raises(SozuneConfigError, match="is a directory"):
        load_sozune_config(str(tmp_path))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                "services:",
                "  web:",
                "    labels:",
                "      - sozune.enable=true",
                "      - sozune.http.web.host=a.example.com",
                "      - sozune.http.web.backendTimeout=",
                "      sozune.http.web.inFlightReq: [1, 2]",
                "      - {a: b}",
                "      - &x sozune.http.web.path=/x",
                "      - *x",
                "      <<: [*x]",
                "entrypoints:",
                "  - id: e",
                "    config: {hostnames: 3, path: {rule_type: 7}, backend_timeout: -1}",
                "kind: Service",
                "metadata: {annotations: {sozune.http.a.host: null}}",
                "---",
                "\t\x00",
            ]
        ),
        max_size=14,
    ),
    st.text(max_size=40),
)
def test_any_yaml_gives_a_config_or_one_config_error(tmp_path: Path, lines: list[str], noise: str) -> None:
    path = tmp_path / "fuzz.yml"
    path.write_text("\n".join(lines) + "\n" + noise, encoding="utf-8")
    try:
        config = load_sozune_config(str(path))
    except SozuneConfigError as exc:
        assert str(exc).startswith(str(path))
        return
    for route in config.routes:
        sozune_hop(route)
        path_matches(route, "/_matrix/client/v3/sync")


# ---- the label scheme


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("sozune.http.web.timeout", "sozune.http.web.backendTimeout"),
        ("sozune.http.web.prt", "sozune.http.web.port"),
        ("sozune.http.web.backendtimeout", "sozune.http.web.backendTimeout"),
        ("sozune.http.web.retries", "sozune.http.web.retry.attempts"),
        ("sozune.netwrok", "sozune.network"),
        ("sozune.htpp.web.host", "sozune.http.web.host"),
        ("sozune.http.web.completely_made_up_field", None),
    ],
)
def test_did_you_mean(key: str, suggestion: str | None) -> None:
    k = sl.split_key(key)
    assert k is not None
    assert sl.suggest_label(k) == suggestion


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("60", 60),
        ("+60", 60),
        (" 60", None),
        ("60s", None),
        ("-1", None),
        ("1e3", None),
        ("18446744073709551616", None),
    ],
)
def test_backend_timeout_is_read_like_rusts_u64_parse(raw: str, value: int | None) -> None:
    assert sl.parse_unsigned(raw) == value


# ---- through the CLI: findings, file:line and fixes in Sōzune's own syntax

LPDOCTOR = [sys.executable, "-m", "lpdoctor"]
SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LPDOCTOR, *args], capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"}
    )


def check_config(*args: str) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    r = run("check-config", *args, "-f", "json")
    assert "Traceback" not in r.stderr, r.stderr
    report = json.loads(r.stdout)
    return r.returncode, report["findings"], report


def one(findings: list[dict[str, Any]], rule: str, line: int | None = None) -> dict[str, Any]:
    found = [f for f in findings if f["rule"] == rule and (line is None or f["line"] == line)]
    assert len(found) == 1, [(f["rule"], f["line"], f["message"]) for f in findings]
    return found[0]


def test_cli_compose_list_default_timeout_is_an_error_with_a_label_fix() -> None:
    code, findings, report = check_config(str(FIX / "compose-list.yml"))
    assert code == 1
    cut = one(findings, "timeout-below-hold")
    assert (cut["severity"], cut["line"], cut["route"], cut["hold_s"]) == ("error", 13, "/_matrix/client/v3/sync", 30.0)
    assert cut["file"].endswith("compose-list.yml") and "no backendTimeout (default 30 s)" in cut["context"]
    assert cut["fix"].startswith(
        '- "sozune.http.synapse.backendTimeout=35"  # under labels: of compose service synapse'
    )
    ceiling = one(findings, "sozune-sozu-ceiling", 13)
    assert ceiling["severity"] == "warning" and ceiling["confidence"] == "inferred"
    assert ceiling["evidence"]["confidence"] == "inferred from the code, not reproduced"
    assert "HTTP/2 per-stream idle timeout 30 s" in ceiling["message"]  # tls=true
    assert "lpdoctor probe 'https://matrix.example.com/_matrix/client/v3/sync' --search" in ceiling["fix"]
    assert report["inputs"][0]["format"] == "sozune-compose"


def test_cli_compose_backend_command_is_the_server_hop() -> None:
    _, findings, report = check_config(str(FIX / "compose-list.yml"), "--hold", "notify.example.com/poll=60s")
    (chain,) = [c for c in report["chains"] if c["route"] == "/poll"]
    assert [(h["component"], h["kind"]) for h in chain["hops"]] == [("sozune", "proxy"), ("gunicorn", "server")]
    assert chain["hops"][1]["timeouts"][0]["value_s"] == 120.0 and chain["hops"][1]["timeouts"][0]["line"] == 26
    retry = one(findings, "retry-multiplies-wait")
    assert retry["line"] == 33
    assert retry["fix"].startswith('- "sozune.http.notify.retry.attempts=1"')
    assert one(findings, "sozune-sozu-ceiling", 32)["configured_s"] == 90.0


def test_cli_compose_mapping_gives_mapping_fixes() -> None:
    code, findings, _ = check_config(str(FIX / "compose-mapping.yml"))
    assert code == 0  # backendTimeout=60 clears the hold; what is left are warnings
    assert not [f for f in findings if f["rule"] == "timeout-below-hold"]
    in_flight = one(findings, "sozune-in-flight-long-poll")
    assert (in_flight["severity"], in_flight["line"]) == ("warning", 16)
    assert in_flight["fix"].startswith('sozune.http.synapse.inFlightReq: "8"')
    assert one(findings, "retry-multiplies-wait")["fix"].startswith('sozune.http.synapse.retry.attempts: "1"')
    assert "backendTimeout=60" in one(findings, "sozune-sozu-ceiling", 14)["message"]


def test_cli_file_provider_fixes_use_backend_timeout_keys() -> None:
    code, findings, report = check_config(str(FIX / "entrypoints.yaml"))
    assert code == 1
    cut = one(findings, "timeout-below-hold")
    assert cut["line"] == 3 and cut["fix"].startswith("backend_timeout: 35  # under config: of entrypoint file_synapse")
    quoted = one(findings, "sozune-invalid-setting", 46)
    assert quoted["severity"] == "error" and quoted["fix"] == "backend_timeout: 120"
    assert one(findings, "sozune-invalid-setting", 45)["fix"] == "backend_timeout: 90"
    assert one(findings, "sozune-sozu-ceiling", 29)["route"] == "/"  # file_app: no hold known, 60 s set
    assert report["inputs"][0]["format"] == "sozune-file"


def test_cli_kubernetes_annotations_and_zero_timeout() -> None:
    code, findings, _ = check_config(str(FIX / "k8s-services.yaml"), "--hold", "events.example.com/events=25s")
    assert code == 1
    cut = one(findings, "timeout-below-hold")
    assert cut["line"] == 8
    assert cut["fix"].startswith('sozune.http.synapse.backendTimeout: "35"  # under metadata.annotations of Service')
    unbounded = one(findings, "unbounded-timeout")
    assert (unbounded["severity"], unbounded["line"]) == ("warning", 27)
    assert unbounded["fix"].startswith('sozune.http.events.backendTimeout: "30"')
    assert "only on a Service" in one(findings, "sozune-invalid-setting", 39)["message"]


def test_cli_bad_labels_are_findings_with_did_you_mean_and_both_unit_readings() -> None:
    code, findings, _ = check_config(str(FIX / "compose-bad.yml"))
    assert code == 1  # E002: a service without host is not routed
    typo = one(findings, "sozune-invalid-setting", 9)
    assert "did you mean sozune.http.web.backendTimeout?" in typo["message"]
    assert typo["fix"] == '- "sozune.http.web.backendTimeout=5"'
    assert "'60s' is not a whole number" in one(findings, "sozune-invalid-setting", 10)["message"]
    assert one(findings, "sozune-invalid-setting", 31)["severity"] == "error"
    trap = one(findings, "timeout-unit-trap")
    assert trap["line"] == 28
    assert "30000 SECONDS" in trap["message"] and "that is 30 s" in trap["message"]
    assert trap["fix"].startswith('- "sozune.http.api.backendTimeout=30"')


def test_cli_invalid_yaml_is_one_line_with_file_and_line_and_exit_2() -> None:
    r = run("check-config", str(FIX / "broken.yml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{FIX / 'broken.yml'}:5: not valid YAML" in r.stderr


def test_sample_sozune_matrix_config_and_log() -> None:
    code, findings, _ = check_config(str(SAMPLES / "sozune-matrix" / "docker-compose.yml"))
    assert code == 1
    assert sorted((f["rule"], f["severity"], f["line"]) for f in findings) == [
        ("sozune-sozu-ceiling", "warning", 18),
        ("timeout-below-hold", "error", 18),
    ]
    r = run("scan", str(SAMPLES / "sozune-matrix" / "sozune.log"), "-f", "json")
    assert r.returncode == 1
    scan = json.loads(r.stdout)
    (cut,) = scan["findings"]
    assert (cut["rule"], cut["severity"], cut["cutoff_s"], cut["hold_s"]) == ("hold-cut", "error", 30.0, 30.0)


def test_sample_sozune_matrix_fixed_keeps_only_the_ceiling_warning() -> None:
    code, findings, _ = check_config(str(SAMPLES / "sozune-matrix-fixed" / "docker-compose.yml"))
    assert code == 0
    ceiling = one(findings, "sozune-sozu-ceiling")
    assert len(findings) == 1 and ceiling["line"] == 34 and ceiling["confidence"] == "inferred"
    r = run("scan", str(SAMPLES / "sozune-matrix-fixed" / "sozune.log"), "-f", "json")
    assert r.returncode == 0
    scan = json.loads(r.stdout)
    assert scan["findings"] == []
    assert any("not proof that it is healthy" in n for n in scan.get("notes", []))


def test_swarm_deploy_labels_and_regex_paths(tmp_path: Path) -> None:
    path = tmp_path / "stack.yml"
    path.write_text(
        "services:\n  chat:\n    image: matrixdotorg/synapse:latest\n    deploy:\n      labels:\n"
        "        - sozune.enable=true\n        - sozune.http.chat.host=m.example.com\n"
        "        - sozune.http.chat.pathRegex=^/_matrix/(client|federation)/\n"
        "  slow:\n    labels:\n      - sozune.enable=true\n      - sozune.http.slow.host=s.example.com\n"
        "      - sozune.http.slow.pathRegex=^/(a+)+$\n",
        encoding="utf-8",
    )
    config = load_sozune_config(str(path))
    chat, slow = config.routes
    assert (chat.path_type, chat.settings["pathRegex"].location.line) == ("Regex", 8)
    assert path_matches(chat, "/_matrix/client/v3/sync") and not path_matches(chat, "/_synapse/admin")
    assert not path_matches(slow, "/" + "a" * 40 + "!")  # a nested quantifier is never run
