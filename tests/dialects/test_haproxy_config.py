"""HAProxy config reader: sections, inheritance, time units, routing by ACLs, defaults and their semantics."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.dialects.haproxy import HaproxyConfig, load_haproxy_config, parse_haproxy_config
from lpdoctor.dialects.haproxy_model import HaproxyConfigError, parse_time, split_words
from lpdoctor.dialects.registry import load_config_source, sniff_config
from lpdoctor.model import HopKind, Semantics, Timeout
from lpdoctor.model.hops import SCOPE_DEFAULT, SCOPE_GLOBAL, SCOPE_ROUTE, HopFacts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "configs" / "haproxy"
SITE = FIXTURES / "haproxy.cfg"


def parse(text: str, name: str = "haproxy.cfg") -> HaproxyConfig:
    return parse_haproxy_config([(name, text)])


def server_timer(facts: HopFacts) -> Timeout:
    (t,) = facts.hop.timeouts
    assert t.setting == "timeout server"
    return t


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("30", 0.03),
        ("30000", 30.0),
        ("500ms", 0.5),
        ("2m", 120.0),
        ("1h", 3600.0),
        ("1d", 86400.0),
        ("250us", 0.00025),
        ("0", 0.0),
    ],
)
def test_time_units_as_haproxy_reads_them(text: str, seconds: float) -> None:
    value, problem = parse_time(text)
    assert value == pytest.approx(seconds)
    assert problem is None


def test_compound_time_is_read_as_its_first_part_with_a_warning() -> None:
    # [E] haproxy 2.6.12: "unexpected character '3' after the timer value '1m30s'" and it keeps 1m.
    value, problem = parse_time("1m30s")
    assert value == 60.0
    assert problem is not None and "1m" in problem
    assert parse_time("soon")[0] is None


def test_words_follow_haproxy_quoting_and_comments() -> None:
    assert split_words("  timeout server 30s   # half a minute") == ["timeout", "server", "30s"]
    assert split_words("acl p path_beg \"/a b\" '/c#d' /e\\ f") == ["acl", "p", "path_beg", "/a b", "/c#d", "/e f"]
    assert split_words("# only a comment") == []


def test_site_routes_each_path_to_its_backend_with_file_and_line() -> None:
    source = load_haproxy_config(str(SITE)).source()
    sync = source.hop_for(None, "/_matrix/client/v3/sync?timeout=30000")
    assert sync is not None and sync.hop.kind == HopKind.PROXY
    assert sync.block_label == "backend be_synapse"
    t = server_timer(sync)
    assert (t.value_s, t.semantics, t.explicit) == (25.0, Semantics.IDLE, True)
    assert t.location is not None and (t.location.file, t.location.line) == (str(SITE), 26)
    assert sync.scope_of["timeout server"] == SCOPE_ROUTE

    # The watch backend is chosen only on its host: both ACLs must match (AND by juxtaposition).
    watch = source.hop_for("api.example.org", "/v1/kv/config?index=12&wait=5m")
    assert watch is not None and watch.block_label == "backend be_consul"
    assert server_timer(watch).value_s == 600.0
    other_host = source.hop_for("www.example.org", "/v1/kv/config")
    assert other_host is not None and other_host.block_label == "backend be_web"

    # be_web sets nothing: the defaults section's 30 s applies, located there, scoped to the whole config.
    web = source.hop_for(None, "/")
    assert web is not None and web.catch_all
    t = server_timer(web)
    assert t.value_s == 30.0 and t.location is not None and t.location.line == 12
    assert t.location.context == "defaults section"
    assert web.scope_of["timeout server"] == SCOPE_GLOBAL


def test_each_server_tries_the_hosts_the_acls_name() -> None:
    source = load_haproxy_config(str(SITE)).source()
    found = {host: facts.block_label for host, facts in source.each_server("/v1/kv/x")}
    assert found == {"api.example.org": "backend be_consul", None: "backend be_web"}


def test_timeout_client_and_tunnel_are_notes_not_hop_timers() -> None:
    facts = load_haproxy_config(str(SITE)).source().hop_for(None, "/_matrix/client/v3/sync")
    assert facts is not None
    assert [t.setting for t in facts.hop.timeouts] == ["timeout server"]
    notes = " ".join(facts.notes)
    assert "timeout client 30s" in notes and "does not end a held GET" in notes
    assert "timeout tunnel 1h" in notes and "not to a long-poll" in notes


def test_retry_on_response_timeout_multiplies_attempts() -> None:
    # [E] haproxy 2.6.12: retry-on response-timeout, retries 2, timeout server 1s, 3 s hold -> 504 after 3.0 s.
    facts = load_haproxy_config(str(SITE)).source().hop_for(None, "/_matrix/client/v3/sync")
    assert facts is not None and facts.retry is not None
    assert facts.retry.on_timeout and facts.hop.attempts == 3 and facts.retry.servers == 2
    assert facts.retry.directive == "retry-on" and facts.retry.location.line == 28
    # The default retry-on is conn-failure: a timed-out response is never replayed.
    plain = load_haproxy_config(str(SITE)).source().hop_for(None, "/")
    assert plain is not None and plain.retry is not None
    assert not plain.retry.on_timeout and plain.hop.attempts == 1 and not plain.retry.explicit


def test_unset_timeout_server_is_no_limit_at_the_block_with_haproxys_warning() -> None:
    config = load_haproxy_config(str(FIXTURES / "unset.cfg"))
    facts = config.source().hop_for(None, "/poll")
    assert facts is not None
    t = server_timer(facts)
    assert t.value_s is None and not t.explicit and t.semantics == Semantics.IDLE
    assert t.location is not None and t.location.line == 6 and t.location.context == "listen poll"
    assert "waits forever" in (t.note or "")
    assert facts.scope_of["timeout server"] == SCOPE_DEFAULT
    assert any("missing timeouts for listen poll" in w for w in config.warnings)


def test_zero_is_no_limit_and_bare_numbers_are_milliseconds() -> None:
    config = parse(
        "defaults\n    mode http\n    timeout connect 5s\n    timeout client 5s\n"
        "frontend fe\n    bind :80\n    use_backend zero if { path_beg /zero }\n    default_backend ms\n"
        "backend zero\n    timeout server 0\n    server a 127.0.0.1:1\n"
        "backend ms\n    timeout server 30\n    server a 127.0.0.1:1\n"
    )
    source = config.source()
    zero = source.hop_for(None, "/zero/1")
    assert zero is not None and server_timer(zero).value_s is None and server_timer(zero).explicit
    ms = source.hop_for(None, "/")
    assert ms is not None
    t = server_timer(ms)
    assert t.value_s == pytest.approx(0.03)
    assert "milliseconds" in (t.note or "")


def test_named_defaults_and_from() -> None:
    config = parse(
        "defaults long\n    mode http\n    timeout server 90s\n"
        "defaults\n    mode http\n    timeout server 5s\n"
        "frontend fe from long\n    bind :80\n    default_backend be\n"
        "backend be from long\n    server a 127.0.0.1:1\n"
        "backend be2\n    server a 127.0.0.1:1\n"
    )
    facts = config.source().hop_for(None, "/")
    assert facts is not None and server_timer(facts).value_s == 90.0
    be2 = config.proxies["be2"]
    setting, owner = be2.setting("server")
    assert setting is not None and setting.value_s == 5.0 and owner is not None and owner.name is None


def test_conditions_unless_or_negation_and_unknown_fetches() -> None:
    config = parse(
        "defaults\n    mode http\n    timeout server 10s\n"
        "frontend fe\n    bind :80\n"
        "    acl poll path /poll\n    acl poll path_end /wait\n"
        "    acl bot req.fhdr(user-agent) -m sub bot\n"
        "    use_backend mystery if bot\n"
        "    use_backend long if poll || { path_reg ^/v[0-9]+/watch }\n"
        "    use_backend short unless { method GET }\n"
        "    use_backend neg if !poll { path_dir api }\n"
        "    default_backend web\n"
        "backend mystery\n    server a 127.0.0.1:1\n"
        "backend long\n    timeout server 2m\n    server a 127.0.0.1:1\n"
        "backend short\n    server a 127.0.0.1:1\n"
        "backend neg\n    server a 127.0.0.1:1\n"
        "backend web\n    server a 127.0.0.1:1\n"
    )
    source = config.source()

    def label(path: str) -> str | None:
        facts = source.hop_for(None, path)
        return facts.block_label if facts is not None else None

    assert label("/poll") == "backend long"
    assert label("/x/wait") == "backend long"
    assert label("/v2/watch?x=1") == "backend long"
    assert label("/v1/api/x") == "backend neg"
    assert label("/other") == "backend web"
    facts = source.hop_for(None, "/poll")
    assert facts is not None
    assert any("cannot evaluate" in n and "mystery" in n for n in facts.notes)


def test_settings_in_the_wrong_section_are_ignored_like_haproxy_does() -> None:
    config = parse(
        "defaults\n    mode http\n    timeout server 40s\n"
        "frontend fe\n    bind :80\n    timeout server 5s\n    default_backend be\n"
        "backend be\n    server a 127.0.0.1:1\n"
    )
    facts = config.source().hop_for(None, "/")
    assert facts is not None and server_timer(facts).value_s == 40.0
    assert any(":6: 'timeout server' will be ignored" in w for w in config.warnings)


def test_tcp_mode_and_missing_backends() -> None:
    config = parse(
        "defaults\n    timeout server 40s\n"
        "frontend fe\n    bind :80\n    default_backend nope\n"
        "frontend tcp\n    bind :81\n    default_backend be\n"
        "backend be\n    server a 127.0.0.1:1\n"
    )
    assert any("default_backend nope: no such backend" in w for w in config.warnings)
    facts = config.source().hop_for(None, "/")
    assert facts is not None and any("mode tcp" in n for n in facts.notes)


def test_sniffing_and_dispatch() -> None:
    assert sniff_config(str(SITE)) == "haproxy"
    source = load_config_source(str(SITE))
    assert source.component == "haproxy" and source.label == str(SITE)
    timers = list(source.all_timers())
    assert {t.value_s for t, _ in timers} == {25.0, 600.0, 30.0}


@given(st.text(max_size=400))
@settings(max_examples=200, deadline=None)
def test_never_raises_on_any_text(text: str) -> None:
    try:
        config = parse("frontend fe\n    bind :80\n" + text)
    except HaproxyConfigError as exc:  # the one error a reader may raise (a timer it cannot read): file:line
        assert ":" in str(exc)
        return
    source = config.source()
    source.hop_for(None, "/x")
    list(source.each_server("/x"))


@pytest.mark.skipif(shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(), reason="no haproxy")
def test_warnings_agree_with_haproxy_check() -> None:
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    for name, expect_missing in (("haproxy.cfg", False), ("unset.cfg", True)):
        out = subprocess.run(
            [binary, "-c", "-f", str(FIXTURES / name)], capture_output=True, text=True, timeout=20, check=False
        )
        assert out.returncode == 0, out.stderr
        ours = any("missing timeouts" in w for w in load_haproxy_config(str(FIXTURES / name)).warnings)
        assert ("missing timeouts" in out.stderr) == expect_missing == ours
