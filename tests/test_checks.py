"""The config rules on hand-built chains: boundaries, semantics, keepalives, merging, and the registry."""

from __future__ import annotations

import importlib

import pytest

from lpdoctor.catalog import rule_docs
from lpdoctor.chains.chain import HoldSpec, RouteChain
from lpdoctor.checks import CHECKS, RULE_IDS, merge, run_checks
from lpdoctor.checks.base import CheckModel, keepalive_reaches, wait_of
from lpdoctor.checks.keepalive_1xx import interim_count
from lpdoctor.model import Chain, Hold, Hop, HopKind, Keepalive, Semantics, Severity, SourceLocation, Timeout
from lpdoctor.model.hops import HopFacts, RetryFacts, Setting
from lpdoctor.model.margin import judge, suggest

IDLE, TOTAL, HEADERS = Semantics.IDLE, Semantics.TOTAL, Semantics.UNTIL_HEADERS


def timer(component: str, setting: str, value: float | None, semantics: Semantics = IDLE, line: int = 10) -> Timeout:
    return Timeout(component, setting, value, semantics, SourceLocation("conf", line, "ctx"))


def hop(kind: HopKind, component: str, *timers: Timeout, **facts: object) -> HopFacts:
    h = Hop(kind=kind, component=component, name=f"{component} hop", timeouts=list(timers))
    return HopFacts(hop=h, block=SourceLocation("conf", 1, "block"), block_label="block", **facts)  # type: ignore[arg-type]


def chain(hold: float, *facts: HopFacts, keepalive: Keepalive | None = None, route: str = "/poll") -> RouteChain:
    spec = HoldSpec(route=route, path=route, host=None, hold=Hold(hold, "option"), keepalive=keepalive)
    c = Chain(route=route, hold=spec.hold, hops=[f.hop for f in facts], keepalive=keepalive)
    return RouteChain(spec=spec, chain=c, facts=list(facts))


def run(*chains: RouteChain) -> list[tuple[str, Severity]]:
    return [(f.rule, f.severity) for f in run_checks(CheckModel(chains=list(chains)))]


@pytest.mark.parametrize(
    ("value", "hold", "expected"),
    [
        (30, 30, Severity.ERROR),
        (29, 30, Severity.ERROR),
        (34.9, 30, Severity.WARNING),
        (35, 30, None),
        (105, 100, Severity.WARNING),
        (110, 100, None),
        (0.5, 30, Severity.ERROR),
    ],
)
def test_judge_margin_is_5s_or_10_percent(value: float, hold: float, expected: Severity | None) -> None:
    rc = chain(hold)
    assert judge(value, hold, rc.margin(hold)) == expected


def test_suggest_clears_the_margin() -> None:
    assert suggest(30, 5) == 35.0 and suggest(100, 10) == 110.0 and suggest(31, 5) == 40.0


def test_below_hold_error_and_warning() -> None:
    nginx = hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 30))
    assert run(chain(30, nginx)) == [("timeout-below-hold", Severity.ERROR)]
    nginx = hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 33))
    assert run(chain(30, nginx)) == [("timeout-below-hold", Severity.WARNING)]
    nginx = hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 60))
    assert run(chain(30, nginx)) == []


def test_keepalive_semantics() -> None:
    idle = timer("aws-alb", "idle_timeout", 60)
    total = timer("gcp-lb", "timeoutSec", 30, TOTAL)
    headers = timer("heroku", "router first byte", 30, HEADERS)
    edge = hop(HopKind.EDGE, "edge", idle, total, headers)
    app = hop(HopKind.SERVER, "app")
    beats = chain(120, edge, app, keepalive=Keepalive(15, "bytes"))
    assert wait_of(beats, 0, idle).seconds == 15  # type: ignore[union-attr]
    assert wait_of(beats, 0, total).seconds == 120  # type: ignore[union-attr]
    assert wait_of(beats, 0, headers) is None  # headers went out before the first heartbeat
    interim = chain(120, edge, app, keepalive=Keepalive(15, "102-processing"))
    assert wait_of(interim, 0, headers).seconds == 120  # type: ignore[union-attr]


def test_a_hop_that_swallows_the_keepalive_shields_the_hops_in_front() -> None:
    client = hop(HopKind.CLIENT, "okhttp", timer("okhttp", "read", 10))
    nginx = hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 60), passes_interim=False)
    buffering = hop(HopKind.PROXY, "lb", buffering=Setting("buffering", "on", SourceLocation("c", 1)))
    app = hop(HopKind.SERVER, "app")
    rc = chain(30, client, nginx, app, keepalive=Keepalive(5, "102-processing"))
    assert not keepalive_reaches(rc, 0) and keepalive_reaches(rc, 1)
    rc = chain(30, client, buffering, app, keepalive=Keepalive(5, "bytes"))
    assert not keepalive_reaches(rc, 0)
    assert ("client-timeout-below-hold", Severity.ERROR) in run(rc)  # 10 s read vs the 30 s hold, not the 5 s beat


def test_interim_count_and_go_limit() -> None:
    assert interim_count(30, 5) == 5 and interim_count(30.1, 5) == 6 and interim_count(60, 5) == 11
    go = hop(HopKind.CLIENT, "go-http-client")
    assert run(chain(30, go, hop(HopKind.SERVER, "app"), keepalive=Keepalive(5, "102-processing"))) == []
    rules = run(chain(31, go, hop(HopKind.SERVER, "app"), keepalive=Keepalive(5, "102-processing")))
    assert rules == [("keepalive-1xx", Severity.ERROR)]
    unknown = run(chain(60, hop(HopKind.SERVER, "app"), keepalive=Keepalive(5, "102-processing")))
    assert unknown == [("keepalive-1xx", Severity.WARNING)]
    other = run(chain(60, hop(HopKind.CLIENT, "okhttp"), keepalive=Keepalive(5, "102-processing")))
    assert other == []


def test_zero_is_zero_only_in_nginx() -> None:
    nginx = hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 0.0))
    assert run(chain(30, nginx)) == [("zero-timeout", Severity.ERROR)]
    haproxy = hop(HopKind.PROXY, "haproxy", timer("haproxy", "timeout server", None))
    assert run(chain(30, haproxy)) == [("unbounded-timeout", Severity.WARNING)]


def test_absurdly_long_is_unbounded() -> None:
    assert run(chain(30, hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 86400)))) == [
        ("unbounded-timeout", Severity.WARNING)
    ]
    assert run(chain(600, hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 5400)))) == []


def test_gunicorn_sync_worker_levels() -> None:
    def gunicorn(value: float) -> HopFacts:
        return hop(HopKind.SERVER, "gunicorn", timer("gunicorn", "timeout", value, TOTAL), worker_class="sync")

    assert run(chain(30, gunicorn(30))) == [("gunicorn-sync-worker", Severity.ERROR)]
    assert run(chain(30, gunicorn(32))) == [("gunicorn-sync-worker", Severity.WARNING)]
    assert run(chain(30, gunicorn(120))) == [("gunicorn-sync-worker", Severity.INFO)]


def test_timeout_order_only_above_the_hold() -> None:
    edge = hop(HopKind.EDGE, "aws-alb", timer("aws-alb", "idle_timeout", 60, line=3))
    nginx = hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 120, line=20))
    assert run(chain(30, edge, nginx)) == [("timeout-order", Severity.WARNING)]
    assert run(chain(58, edge, nginx)) == [("timeout-below-hold", Severity.WARNING)]  # not both


def test_retry_needs_more_than_one_attempt() -> None:
    def nginx(attempts: int | None, on_timeout: bool = True) -> HopFacts:
        retry = RetryFacts(
            "proxy_next_upstream", "error timeout", SourceLocation("conf", 5), False, on_timeout, attempts, attempts
        )
        return hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 90), retry=retry)

    assert run(chain(30, nginx(2))) == [("retry-multiplies-wait", Severity.WARNING)]
    assert run(chain(30, nginx(None))) == [("retry-multiplies-wait", Severity.WARNING)]
    assert run(chain(30, nginx(1))) == []
    assert run(chain(30, nginx(3, on_timeout=False))) == []


def test_keepalive_race_needs_the_back_to_close_first() -> None:
    pool = timer("nginx", "keepalive_timeout", 60)
    front = hop(HopKind.PROXY, "nginx", timer("nginx", "proxy_read_timeout", 90), pool_idle=pool)
    fast = hop(HopKind.SERVER, "uvicorn", accept_idle=timer("uvicorn", "timeout_keep_alive", 5))
    slow = hop(HopKind.SERVER, "uvicorn", accept_idle=timer("uvicorn", "timeout_keep_alive", 75))
    assert run(chain(30, front, fast)) == [("keepalive-race", Severity.WARNING)]
    assert run(chain(30, front, slow)) == []


def test_one_directive_many_routes_is_one_finding() -> None:
    shared = timer("nginx", "proxy_read_timeout", 30)
    nginx = hop(HopKind.PROXY, "nginx", shared)
    found = run_checks(CheckModel(chains=[chain(30, nginx, route="/a"), chain(45, nginx, route="/b")]))
    (f,) = found
    assert f.route == "/b" and f.hold_s == 45 and f.evidence["also_routes"] == ["/a"]
    assert f.message.endswith("(also on 1 other route)")
    assert merge([]) == []


def test_registry_modules_are_documented_rules() -> None:
    docs = rule_docs()
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    for module in CHECKS:
        assert module.RULE_ID in docs, module.RULE_ID
        assert "check-config" in docs[module.RULE_ID].applies_to
        text = module.__doc__ or ""
        assert text.startswith(module.RULE_ID + ":"), module.__name__
        assert f"rules/checks/{module.RULE_ID}.yaml" in text, module.__name__  # its examples live there
        assert callable(importlib.import_module(module.__name__).check)
