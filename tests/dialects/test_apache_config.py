"""Apache (mod_proxy) config reader: Timeout / ProxyTimeout / ProxyPass timeout= precedence, the 60 s compiled
default (Debian: 300), includes, virtual hosts, <Location>, balancers, and the 502 Apache answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.dialects.apache import (
    ApacheConfig,
    ApacheConfigError,
    _Reader,
    _walk,
    load_apache_config,
    parse_seconds,
)
from lpdoctor.dialects.registry import load_config_source, sniff_config
from lpdoctor.model import Semantics, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_GLOBAL, SCOPE_ROUTE, SCOPE_SERVER, HopFacts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "configs" / "apache"
MAIN = str(FIXTURES / "apache2.conf")
CHAT = str(FIXTURES / "sites-enabled" / "chat.conf")


def only_timer(facts: HopFacts | None) -> Timeout:
    assert facts is not None
    (t,) = facts.hop.timeouts
    assert t.semantics == Semantics.IDLE
    return t


def parse(text: str) -> ApacheConfig:
    config = ApacheConfig(main_file="site.conf")
    _walk(_Reader(config, ".", ".").parse(text, "site.conf", 0), config, config.server, None)
    return config


def test_seconds() -> None:
    assert parse_seconds("300") == 300.0
    assert parse_seconds("500ms") == 0.5
    assert parse_seconds("soon") is None


def test_worker_timeout_wins_and_notes_502() -> None:
    config = load_apache_config(MAIN)
    assert config.warnings == []
    assert [Path(f).name for f in config.files] == ["apache2.conf", "api.conf", "chat.conf"]
    facts = config.source().hop_for("chat.example.org", "/_matrix/client/v3/sync?timeout=30000")
    t = only_timer(facts)
    assert (t.setting, t.value_s, t.explicit) == ("ProxyPass timeout", 90.0, True)
    assert t.location is not None and (t.location.file, t.location.line) == (CHAT, 7)
    assert "502" in (t.note or "")
    assert facts is not None and facts.scope_of["ProxyPass timeout"] == SCOPE_ROUTE
    assert any("connectiontimeout=5" in n for n in facts.notes)


def test_proxy_timeout_of_the_server_then_of_the_vhost() -> None:
    source = load_apache_config(MAIN).source()
    web = source.hop_for("chat.example.org", "/index.html")
    t = only_timer(web)
    assert (t.setting, t.value_s) == ("ProxyTimeout", 30.0)  # server-wide, inside <IfModule mod_proxy.c>
    assert t.location is not None and (Path(t.location.file or "").name, t.location.line) == ("apache2.conf", 8)
    assert web is not None and web.scope_of["ProxyTimeout"] == SCOPE_GLOBAL and web.catch_all
    api = source.hop_for("api.example.org", "/v1/kv/config?index=3&wait=5m")
    t = only_timer(api)
    assert (t.setting, t.value_s) == ("ProxyTimeout", 45.0)
    assert api is not None and api.scope_of["ProxyTimeout"] == SCOPE_SERVER
    assert api.block_label is not None and api.block_label.startswith("ProxyPassMatch")


def test_location_and_balancer_member_timeout() -> None:
    source = load_apache_config(MAIN).source()
    facts = source.hop_for("chat.example.org", "/events?since=7")
    t = only_timer(facts)
    assert (t.setting, t.value_s) == ("BalancerMember timeout", 20.0)
    assert t.location is not None and t.location.line == 15


def test_exclusions_and_segment_boundaries() -> None:
    source = load_apache_config(MAIN).source()
    assert source.hop_for("chat.example.org", "/_matrix/static/client.js") is None  # ProxyPass ... !
    other = source.hop_for("chat.example.org", "/_matrixx")
    assert other is not None and other.block_label == "ProxyPass /"  # /_matrix does not serve /_matrixx


def test_compiled_default_with_the_debian_note() -> None:
    facts = load_apache_config(str(FIXTURES / "vhost-alone.conf")).source().hop_for(None, "/poll/next")
    t = only_timer(facts)
    assert (t.setting, t.value_s, t.explicit) == ("Timeout", 60.0, False)
    assert t.location is not None and t.location.line == 2  # the <VirtualHost> it applies to
    assert "Timeout 300" in (t.note or "") and "502" in (t.note or "")
    assert facts is not None and facts.scope_of["Timeout"] == SCOPE_DEFAULT


def test_timeout_without_proxy_timeout_and_continuations() -> None:
    config = parse(
        "Timeout 120\n<VirtualHost *:80>\n  ServerName a.example\n"
        "  ProxyPass /poll \\\n      http://app:9000/poll\n</VirtualHost>\n"
    )
    t = only_timer(config.source().hop_for("a.example", "/poll"))
    assert (t.setting, t.value_s, t.location and t.location.line) == ("Timeout", 120.0, 1)
    assert "ProxyTimeout is unset" in (t.note or "")


def test_problems_are_warnings() -> None:
    config = parse("ProxyPass /x\n</Location>\nRewriteRule ^/a http://b/ [P,L]\n")
    text = " ".join(config.warnings)
    assert "site.conf:1" in text and "site.conf:2" in text and "closes nothing" in text and "[P]" in text
    # a timer lpdoctor cannot read is an error (apache2 -t refuses this one): tests/test_input_verdicts.py
    with pytest.raises(ApacheConfigError, match=r"site\.conf:1: ProxyTimeout soon"):
        parse("ProxyTimeout soon\n")


def test_sniffing_and_dispatch() -> None:
    assert sniff_config(MAIN) == "apache" and sniff_config(CHAT) == "apache"
    source = load_config_source(MAIN)
    assert source.component == "apache"
    assert {t.value_s for t, _ in source.all_timers()} == {90.0, 20.0, 30.0, 45.0}


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_never_raises(text: str) -> None:
    try:
        config = parse(text)
    except ApacheConfigError as exc:  # the one error a reader may raise: file:line, exit 2
        assert str(exc).startswith("site.conf:")
        return
    source = config.source()
    source.hop_for(None, "/x")
    list(source.all_timers())
