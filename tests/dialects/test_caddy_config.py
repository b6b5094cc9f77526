"""Caddy config reader: Caddyfile (global options, snippets, named matchers, handle blocks, transport http)
and Caddy JSON (routes, subroutes, nanosecond durations); defaults and semantics."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.dialects.caddy import load_caddy_config, parse_caddyfile, path_glob
from lpdoctor.dialects.registry import load_config_source, sniff_config
from lpdoctor.model import Semantics, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_GLOBAL, SCOPE_ROUTE, HopFacts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "configs" / "caddy"
CADDYFILE = str(FIXTURES / "Caddyfile")
JSON = str(FIXTURES / "caddy.json")


def timers(facts: HopFacts | None) -> dict[str, Timeout]:
    assert facts is not None
    return {t.setting: t for t in facts.hop.timeouts}


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/poll*", "/poll/1", True),
        ("/poll*", "/POLL", True),  # case-insensitive
        ("/poll", "/poll/1", False),  # exact without *
        ("*.json", "/a/b.json", True),
        ("/_matrix/client/*/sync", "/_matrix/client/v3/sync", True),
        ("/_matrix/client/*/sync", "/_matrix/client/v3/keys", False),
        ("*", "/anything", True),
    ],
)
def test_path_matcher(pattern: str, path: str, expected: bool) -> None:
    assert path_glob(pattern, path) is expected


def test_caddyfile_named_matcher_transport_and_global_write_timeout() -> None:
    config = load_caddy_config(CADDYFILE)
    assert config.warnings == []
    source = config.source()
    sync = source.hop_for("chat.example.org", "/_matrix/client/v3/sync?timeout=30000")
    t = timers(sync)
    header = t["response_header_timeout"]
    assert (header.value_s, header.semantics, header.explicit) == (25.0, Semantics.UNTIL_HEADERS, True)
    assert header.location is not None and (header.location.file, header.location.line) == (CADDYFILE, 21)
    read = t["read_timeout"]
    assert (read.value_s, read.semantics, read.explicit) == (None, Semantics.IDLE, False)
    assert read.location is not None and read.location.line == 17  # the reverse_proxy line
    write = t["server write timeout"]
    assert (write.value_s, write.semantics) == (45.0, Semantics.TOTAL) and write.location.line == 5  # type: ignore[union-attr]
    assert sync is not None
    assert sync.scope_of == {
        "response_header_timeout": SCOPE_ROUTE,
        "read_timeout": SCOPE_DEFAULT,
        "server write timeout": SCOPE_GLOBAL,
    }
    assert sync.accept_idle is not None and sync.accept_idle.value_s == 120.0
    assert any("dial_timeout 2 s" in n for n in sync.notes)


def test_most_specific_path_matcher_wins() -> None:
    source = load_caddy_config(CADDYFILE).source()
    media = source.hop_for("chat.example.org", "/_matrix/media/v3/download/x")
    t = timers(media)
    assert t["read_timeout"].value_s == 40.0 and t["response_header_timeout"].value_s is None
    assert media is not None and media.hop.first_cut() is t["read_timeout"]


def test_handle_blocks_snippets_and_not_proxied_paths() -> None:
    source = load_caddy_config(CADDYFILE).source()
    poll = source.hop_for("www.api.example.org", "/poll?cursor=1")
    assert poll is not None and poll.pool_idle is not None and poll.pool_idle.value_s == 30.0
    assert any("stream_timeout" in n and "WebSockets" in n for n in poll.notes)
    assert source.hop_for("api.example.org", "/other") is None  # respond 404
    assert source.hop_for("chat.example.org", "/static/app.js") is None  # file_server


def test_defaults_without_any_timeout() -> None:
    config = parse_caddyfile("example.org\n\nreverse_proxy /events* app:3000\n", "Caddyfile")
    facts = config.source().hop_for("example.org", "/events")
    t = timers(facts)
    assert all(x.value_s is None and not x.explicit for x in t.values())
    assert facts is not None and facts.hop.first_cut() is None  # Caddy waits forever by default
    assert facts.pool_idle is not None and facts.pool_idle.value_s == 120.0  # keepalive 2m
    assert facts.accept_idle is not None and facts.accept_idle.value_s == 300.0  # server idle 5m


def test_caddy_json_routes_subroutes_and_nanoseconds() -> None:
    config = load_caddy_config(JSON)
    assert config.dialect == "caddy-json" and config.warnings == []
    source = config.source()
    assert source.hop_for(None, "/_matrix/client/v3/sync") is None  # the route wants a host
    found = dict(source.each_server("/_matrix/client/v3/sync"))  # each_server tries the host matcher's value
    assert list(found) == ["chat.example.org"]
    t = timers(found["chat.example.org"])
    assert t["response_header_timeout"].value_s == 20.0  # 20000000000 ns
    assert t["response_header_timeout"].location.line == 20  # type: ignore[union-attr]
    assert t["server write timeout"].value_s == 30.0
    assert source.hop_for("other.example.org", "/_matrix/x") is None


def test_bad_durations_and_braces_are_warnings() -> None:
    config = parse_caddyfile(
        "example.org {\n\treverse_proxy app:1 {\n\t\ttransport http {\n\t\t\tread_timeout 30\n\t\t}\n\t}\n",
        "Caddyfile",
    )
    assert any("Caddyfile:4" in w and "not a duration" in w for w in config.warnings)
    assert any("never closed" in w for w in config.warnings)


def test_sniffing_and_dispatch() -> None:
    assert sniff_config(CADDYFILE) == "caddy"
    assert sniff_config(JSON) == "caddy"
    assert load_config_source(CADDYFILE).component == "caddy"


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_never_raises_on_any_caddyfile(text: str) -> None:
    source = parse_caddyfile(text, "Caddyfile").source()
    source.hop_for(None, "/x")
    list(source.each_server("/x"))
