"""Envoy config reader: route timeout (15 s total by default), stream idle timers, max_stream_duration, retries,
route matching, bootstrap YAML and admin config_dump JSON (RDS resolved from the dump)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.dialects.base import Y
from lpdoctor.dialects.envoy import EnvoyConfigError, load_envoy_config, parse_envoy_config, proto_duration
from lpdoctor.dialects.registry import load_config_source, sniff_config
from lpdoctor.model import Semantics, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_ROUTE, SCOPE_SERVER, HopFacts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "configs" / "envoy"
BOOTSTRAP = FIXTURES / "envoy.yaml"
DUMP = FIXTURES / "config_dump.json"


def timers(facts: HopFacts | None) -> dict[str, Timeout]:
    assert facts is not None
    return {t.setting: t for t in facts.hop.timeouts}


def minimal(route: str, hcm: str = "") -> str:
    return (
        "static_resources:\n  listeners:\n  - name: l\n    filter_chains:\n    - filters:\n"
        "      - name: envoy.filters.network.http_connection_manager\n        typed_config:\n"
        f"          stat_prefix: s\n{hcm}"
        "          route_config:\n            virtual_hosts:\n            - name: vh\n              domains: ['*']\n"
        f"              routes:\n{route}"
    )


@pytest.mark.parametrize(("raw", "seconds"), [("15s", 15.0), ("0.250s", 0.25), ("0s", 0.0), ("300s", 300.0)])
def test_protobuf_durations(raw: str, seconds: float) -> None:
    assert proto_duration(Y(raw)) == (seconds, True)
    assert proto_duration(Y({"seconds": Y("2"), "nanos": Y("500000000")})) == (2.5, True)
    assert proto_duration(Y("15")) == (None, False)  # Envoy refuses a duration without its "s"


def test_default_route_timeout_is_15s_total_at_the_route() -> None:
    source = load_envoy_config(str(BOOTSTRAP)).source()
    facts = source.hop_for("chat.example.org", "/_matrix/client/v3/sync?timeout=30000")
    t = timers(facts)
    route = t["route timeout"]
    assert (route.value_s, route.semantics, route.explicit) == (15.0, Semantics.TOTAL, False)
    assert route.location is not None and route.location.line == 23  # the "- match:" of that route
    assert "prefix /_matrix/client/" in (route.location.context or "")
    assert facts is not None and facts.scope_of["route timeout"] == SCOPE_DEFAULT
    # The route's idle_timeout replaces the connection manager's stream_idle_timeout.
    idle = t["route idle_timeout"]
    assert (idle.value_s, idle.semantics, idle.location and idle.location.line) == (90.0, Semantics.IDLE, 26)
    assert "stream_idle_timeout" not in t
    assert facts.scope_of["route idle_timeout"] == SCOPE_ROUTE


def test_zero_disables_and_stream_limits_and_retries() -> None:
    facts = load_envoy_config(str(BOOTSTRAP)).source().hop_for(None, "/v1/kv/config?index=7&wait=5m")
    t = timers(facts)
    assert t["route timeout"].value_s is None and t["route timeout"].explicit  # timeout: 0s
    assert t["stream_idle_timeout"].value_s == 60.0 and t["stream_idle_timeout"].location.line == 16  # type: ignore[union-attr]
    assert facts is not None and facts.scope_of["stream_idle_timeout"] == SCOPE_SERVER
    cluster_cap = t["cluster max_stream_duration"]
    assert (cluster_cap.value_s, cluster_cap.semantics) == (300.0, Semantics.TOTAL)
    per_try = t["per_try_timeout"]
    assert (per_try.value_s, per_try.semantics) == (20.0, Semantics.TOTAL)
    # gateway-error covers a per-try timeout: 1 + num_retries tries.
    assert facts.hop.attempts == 3 and facts.retry is not None and facts.retry.on_timeout
    assert facts.retry.servers == 2
    assert facts.hop.first_cut() is per_try


def test_direct_response_and_unmatched_paths_pass_nothing_upstream() -> None:
    source = load_envoy_config(str(BOOTSTRAP)).source()
    assert source.hop_for("chat.example.org", "/healthz") is None
    web = source.hop_for(None, "/index.html")
    assert web is not None and web.catch_all and timers(web)["route timeout"].value_s == 120.0
    assert source.hop_for("elsewhere.example.com", "/") is None  # no virtual host for that domain


def test_connect_timeout_is_a_note_not_a_hop_timer() -> None:
    facts = load_envoy_config(str(BOOTSTRAP)).source().hop_for(None, "/_matrix/client/v3/sync")
    assert facts is not None
    assert "connect_timeout" not in {t.setting for t in facts.hop.timeouts}
    assert any("connect_timeout 250 ms" in n for n in facts.notes)


def test_config_dump_resolves_rds_routes_with_json_line_numbers() -> None:
    config = load_envoy_config(str(DUMP))
    assert config.warnings == []
    facts = config.source().hop_for("poller", "/poll?wait=60s")
    t = timers(facts)
    assert t["route timeout"].value_s is None and t["route timeout"].location.line == 67  # type: ignore[union-attr]
    assert t["stream_idle_timeout"].value_s == 300.0 and not t["stream_idle_timeout"].explicit
    assert "max_stream_duration" not in t  # 0s: no limit
    assert facts is not None and facts.hop.attempts == 1  # no per_try_timeout: a timed-out stream is not retried


def test_rds_without_its_routes_is_reported() -> None:
    text = DUMP.read_text()
    cut = (
        text[: text.index('  {\n   "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump"')]
        .rstrip()
        .rstrip(",")
    )
    config = parse_envoy_config(cut + "\n ]\n}\n", "dump.json")
    assert any("RDS" in w and "'8080'" in w for w in config.warnings)


def test_regex_paths_case_and_headers() -> None:
    route = (
        "              - match: {safe_regex: {regex: '^/v[0-9]+/events$'}, headers: [{name: x-poll}]}\n"
        "                route: {cluster: a, timeout: 40s}\n"
        "              - match: {prefix: '/API/', case_sensitive: false}\n"
        "                route: {cluster: b, timeout: 50s}\n"
    )
    source = parse_envoy_config(minimal(route, "          stream_idle_timeout: 0s\n"), "e.yaml").source()
    regex = source.hop_for(None, "/v2/events?since=4")
    t = timers(regex)
    assert t["route timeout"].value_s == 40.0
    assert t["stream_idle_timeout"].value_s is None  # 0s disables it
    assert regex is not None and any("headers" in n for n in regex.notes)
    assert timers(source.hop_for(None, "/api/x"))["route timeout"].value_s == 50.0
    assert source.hop_for(None, "/v2/eventsX") is None


def test_invalid_values_are_warnings_and_invalid_yaml_an_error() -> None:
    route = "              - match: {prefix: /}\n                route: {cluster: a, timeout: 15}\n"
    config = parse_envoy_config(minimal(route), "e.yaml")
    assert any("e.yaml:" in w and "not a duration" in w for w in config.warnings)
    with pytest.raises(EnvoyConfigError) as err:
        parse_envoy_config("static_resources: [\n", "bad.yaml")
    assert "bad.yaml" in str(err.value)


def test_sniffing_and_dispatch() -> None:
    assert sniff_config(str(BOOTSTRAP)) == "envoy"
    assert sniff_config(str(DUMP)) == "envoy"
    source = load_config_source(str(BOOTSTRAP))
    assert source.component == "envoy"
    explicit = {(t.setting, t.value_s) for t, _ in source.all_timers()}
    assert ("route timeout", 120.0) in explicit and ("per_try_timeout", 20.0) in explicit


@given(st.text(max_size=300))
@settings(max_examples=150, deadline=None)
def test_never_raises_except_its_own_error(text: str) -> None:
    try:
        config = parse_envoy_config(text, "fuzz.yaml")
    except EnvoyConfigError:
        return
    source = config.source()
    source.hop_for(None, "/x")
    list(source.all_timers())
