"""Traefik config reader: static YAML/TOML and CLI flags, dynamic file provider, Docker labels, router rules."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.dialects.registry import load_config_source, sniff_config
from lpdoctor.dialects.traefik import (
    TraefikConfig,
    TraefikConfigError,
    add_traefik_text,
    evaluate_rule,
    load_traefik_config,
    looks_like,
)
from lpdoctor.model import Semantics, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, HopFacts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "configs" / "traefik"
STATIC = str(FIXTURES / "traefik.yml")
DYNAMIC = str(FIXTURES / "dynamic.yml")


def timers(facts: HopFacts | None) -> dict[str, Timeout]:
    assert facts is not None
    return {t.setting: t for t in facts.hop.timeouts}


@pytest.mark.parametrize(
    ("rule", "host", "path", "expected"),
    [
        ("PathPrefix(`/poll`)", None, "/poll/x?since=1", True),
        ("Path(`/poll`)", None, "/poll/x", False),
        ("Host(`a.example`) && PathPrefix(`/p`)", "A.example:443", "/p", True),
        ("Host(`a.example`) && PathPrefix(`/p`)", "b.example", "/p", False),
        ("Host(`a.example`, `b.example`)", "b.example", "/", True),  # v2: several hosts
        ('PathPrefix("/api") && !PathPrefix("/api/static")', None, "/api/poll", True),
        ("(PathPrefix(`/a`) || PathPrefix(`/b`)) && Method(`GET`)", None, "/b/1", True),
        ("PathRegexp(`^/v[0-9]+/watch`)", None, "/v2/watch", True),
        ("Path(`/users/{id:[0-9]+}/events`)", None, "/users/42/events", True),  # v2 template
        ("Headers(`X-Poll`, `1`)", None, "/x", None),
        ("PathPrefix(`/x`) && Query(`live=true`)", None, "/x", None),
        ("PathPrefix(`/x`) || Query(`live=true`)", None, "/x", True),
        ("PathPrefix(`/x`", None, "/x", None),  # unbalanced: Traefik refuses the router
    ],
)
def test_router_rules(rule: str, host: str | None, path: str, expected: bool | None) -> None:
    assert evaluate_rule(rule, host, path) is expected


def test_static_and_dynamic_together() -> None:
    config = load_traefik_config([STATIC, DYNAMIC])
    assert config.warnings == []
    source = config.source()
    matrix = source.hop_for("chat.example.org", "/_matrix/client/v3/sync?timeout=30000")
    assert matrix is not None and matrix.block_label == "router matrix"
    t = timers(matrix)
    header = t["responseHeaderTimeout"]
    assert (header.value_s, header.semantics) == (25.0, Semantics.UNTIL_HEADERS)
    assert header.location is not None and (header.location.file, header.location.line) == (STATIC, 16)
    write = t["writeTimeout"]
    assert (write.value_s, write.semantics) == (45.0, Semantics.TOTAL)
    assert write.location is not None and write.location.line == 10
    # readTimeout bounds reading the request: a note, never a hop timer.
    assert "readTimeout" not in t
    assert any("readTimeout 60 s" in n and "bounds reading the request" in n for n in matrix.notes)
    assert matrix.accept_idle is not None and matrix.accept_idle.value_s == 180.0

    # The consul service names its own serversTransport in the dynamic file.
    consul = source.hop_for("api.example.org", "/v1/kv/config?index=9")
    header = timers(consul)["responseHeaderTimeout"]
    assert (
        header.value_s == 660.0
        and header.location is not None
        and (header.location.file, header.location.line)
        == (
            DYNAMIC,
            31,
        )
    )
    assert consul is not None and consul.pool_idle is not None and consul.pool_idle.value_s == 90.0


def test_each_server_finds_host_routers_and_priority_by_rule_length() -> None:
    source = load_traefik_config([STATIC, DYNAMIC]).source()
    found = {host: facts.block_label for host, facts in source.each_server("/_matrix/client/v3/sync")}
    assert found["chat.example.org"] == "router matrix"
    assert set(found.values()) == {"router matrix", "router web"}  # other hosts: the router without Host()
    assert source.hop_for(None, "/anything") is not None


def test_defaults_when_nothing_is_set() -> None:
    config = TraefikConfig()
    add_traefik_text(
        config,
        "http:\n  routers:\n    r:\n      rule: PathPrefix(`/poll`)\n      service: s\n"
        "  services:\n    s:\n      loadBalancer:\n        servers: [{url: 'http://app:8000'}]\n",
        "dynamic.yml",
    )
    facts = config.source().hop_for(None, "/poll")
    t = timers(facts)
    for name in ("responseHeaderTimeout", "writeTimeout"):
        assert t[name].value_s is None and not t[name].explicit
        assert t[name].location is not None and t[name].location.line == 3  # the router block
        assert facts is not None and facts.scope_of[name] == SCOPE_DEFAULT
    assert facts is not None and facts.hop.first_cut() is None  # Traefik waits forever by default


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib")
def test_toml_static_with_lines_and_bare_seconds() -> None:
    config = load_traefik_config([str(FIXTURES / "traefik.toml")])
    ep = config.entrypoints["web"]
    assert ep.timers["writetimeout"].seconds == 30.0  # a bare number is seconds in Traefik
    assert ep.timers["writetimeout"].location.line == 7
    assert ep.timers["readtimeout"].seconds is None  # 0s: none
    assert config.default_transport is not None
    assert config.default_transport.timers["responseheadertimeout"].location.line == 10
    assert config.default_transport.location.line == 9


def test_toml_on_python_310_says_what_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "version_info", (3, 10, 12))
    with pytest.raises(TraefikConfigError, match=r"Python 3\.11"):
        load_traefik_config([str(FIXTURES / "traefik.toml")])


def test_docker_labels_and_static_flags_in_compose() -> None:
    config = load_traefik_config([str(FIXTURES / "docker-compose.yml")])
    assert set(config.routers) == {"poll"}  # traefik.enable=false hides the other one
    facts = config.source().hop_for("poll.example.org", "/poll?cursor=3")
    t = timers(facts)
    assert t["responseHeaderTimeout"].value_s == 50.0 and t["responseHeaderTimeout"].location.line == 8  # type: ignore[union-attr]
    assert t["writeTimeout"].value_s == 20.0 and t["writeTimeout"].location.line == 7  # type: ignore[union-attr]
    assert facts is not None and any("'slow@file' is not defined" in n for n in facts.notes)
    assert facts.block is not None and facts.block.line == 14  # the rule label


def test_serverstransport_from_another_file_is_found() -> None:
    config = load_traefik_config([str(FIXTURES / "docker-compose.yml")])
    add_traefik_text(
        config,
        "http:\n  serversTransports:\n    slow:\n      forwardingTimeouts:\n        responseHeaderTimeout: 2m\n",
        "transports.yml",
    )
    header = timers(config.source().hop_for("poll.example.org", "/poll"))["responseHeaderTimeout"]
    assert header.value_s == 120.0 and header.location is not None and header.location.file == "transports.yml"


def test_bad_durations_are_warnings() -> None:
    config = TraefikConfig()
    add_traefik_text(
        config, "entryPoints:\n  web:\n    transport:\n      respondingTimeouts:\n        writeTimeout: soon\n", "t.yml"
    )
    assert any("t.yml:5" in w and "not a duration" in w for w in config.warnings)


def test_sniffing_and_dispatch() -> None:
    for name in ("traefik.yml", "dynamic.yml", "traefik.toml", "docker-compose.yml"):
        assert sniff_config(str(FIXTURES / name)) == "traefik", name
    assert load_config_source(DYNAMIC).component == "traefik"
    # Sōzune's file provider also has a top-level entrypoints key, but as a list.
    sozune = "entrypoints:\n  - id: matrix\n    name: synapse\n    protocol: http\n"
    assert not looks_like("entrypoints.yaml", sozune)
    assert not looks_like("nginx.conf", "server {\n  listen 80;\n  location / { proxy_pass http://a; }\n}\n")


@pytest.mark.parametrize(
    "text",
    [
        # the file provider with routers and services only: no entry points, no transport, any file name
        'http:\n  routers:\n    sync:\n      rule: "PathPrefix(`/sync`)"\n      service: app\n'
        "  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: http://app:8008\n",
        "# dynamic\nhttp:   # file provider\n\n  services:\n    app: {loadBalancer: {servers: [{url: 'http://a'}]}}\n"
        "  routers:\n    r: {rule: 'Path(`/x`)', service: app}\n",
        '{"http": {"routers": {"sync": {"rule": "PathPrefix(`/sync`)", "service": "app"}},'
        ' "services": {"app": {"loadBalancer": {"servers": [{"url": "http://app:8008"}]}}}}}',
    ],
)
def test_a_dynamic_file_with_routers_only_is_traefik(tmp_path: Path, text: str) -> None:
    path = tmp_path / ("routes.json" if text.startswith("{") else "routes.yml")
    path.write_text(text)
    assert sniff_config(str(path)) == "traefik"
    assert load_config_source(str(path)).component == "traefik"
    # an Ingress is not one: its ``http:`` is nested under rules, and it has no router ``rule``
    ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nspec:\n  rules:\n  - http:\n      paths: []\n"
    assert not looks_like("ingress.yml", ingress)


@given(st.text(max_size=200), st.sampled_from(["/", "/poll", "/a/b?c=d"]))
@settings(max_examples=200, deadline=None)
def test_rules_never_raise(rule: str, path: str) -> None:
    assert evaluate_rule(rule, None, path) in (True, False, None)


def test_check_config_reads_static_and_dynamic_files_as_one_configuration() -> None:
    from lpdoctor.dialects.registry import load_config_sources

    (source,) = load_config_sources([(STATIC, "traefik"), (DYNAMIC, "traefik")])
    header = timers(source.hop_for("chat.example.org", "/_matrix/client/v3/sync"))["responseHeaderTimeout"]
    assert header.value_s == 25.0 and header.location is not None and header.location.file == STATIC
    assert header.location.context == "serversTransport (static configuration)"
