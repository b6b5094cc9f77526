"""The chain file (lpdoctor.yaml): what it declares, and one ``file:line: problem`` for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lpdoctor.chains.chain import HoldSpec
from lpdoctor.chains.hold_specs import apply_overlays
from lpdoctor.dialects.chain_file import ChainFileError, load_chain_file, parse_chain_file
from lpdoctor.model import Hold, HopKind, Semantics

FULL = """\
version: 1
nginx: conf/nginx.conf
margin: 8s
defaults:
  client: {component: httpx, timeouts: {read: 60s}}
  edges:
    - component: aws-alb
      timeouts: {idle_timeout: 120}
  app:
    component: gunicorn
    worker_class: gthread
    keepalive_idle: 75s
routes:
  - route: /_matrix/client/v3/sync
    host: matrix.example.org
    hold: 30000ms
    keepalive: {every: 10s, kind: 102-processing}
    proxies:
      - component: haproxy
        timeouts:
          timeout server: 0
      - component: my-lb
        timeouts:
          request: {value: 45s, semantics: total}
  - route: /_matrix/
    client: {component: okhttp}
"""


KEYS = [
    "version",
    "nginx",
    "margin",
    "defaults",
    "routes",
    "route",
    "host",
    "hold",
    "keepalive",
    "every",
    "kind",
    "client",
    "edges",
    "proxies",
    "app",
    "app_from",
    "component",
    "timeouts",
    "worker_class",
    "keepalive_idle",
    "pool_idle",
    "buffering",
    "passes_1xx",
    "value",
    "semantics",
    "aws-alb",
    "httpx",
    "read",
    "idle_timeout",
]


def test_a_full_chain_file() -> None:
    cf = parse_chain_file(FULL, "ops/lpdoctor.yaml")
    assert [p for p, _ in cf.nginx] == ["ops/conf/nginx.conf"]
    assert cf.margin_s == 8.0
    client = cf.defaults.client
    assert client is not None and client.hop.kind == HopKind.CLIENT
    (read,) = client.hop.timeouts
    assert (read.setting, read.value_s, read.semantics, read.explicit) == ("read", 60.0, Semantics.IDLE, True)
    assert read.location is not None and (read.location.file, read.location.line) == ("ops/lpdoctor.yaml", 5)
    (alb,) = cf.defaults.edges or []
    assert alb.hop.timeouts[0].value_s == 120.0 and alb.pool_idle is alb.hop.timeouts[0]
    app = cf.defaults.app
    assert app is not None and app.hop.timeouts == []  # gthread: --timeout does not end requests
    assert app.accept_idle is not None and app.accept_idle.value_s == 75.0
    sync, prefix = cf.routes
    assert sync.hold == Hold(30.0, "chain-file", detail="ops/lpdoctor.yaml:14")
    assert sync.keepalive is not None and (sync.keepalive.interval_s, sync.keepalive.kind) == (10.0, "102-processing")
    haproxy, custom = sync.hops.proxies or []
    assert haproxy.hop.timeouts[0].value_s is None  # 0 is "no limit" in HAProxy
    assert haproxy.hop.timeouts[0].location.line == 21  # type: ignore[union-attr]
    assert (custom.hop.timeouts[0].value_s, custom.hop.timeouts[0].semantics) == (45.0, Semantics.TOTAL)
    assert prefix.hold is None and prefix.hops.client is not None


def test_catalog_defaults_fill_what_is_not_given() -> None:
    cf = parse_chain_file("defaults:\n  client: {component: okhttp}\n  app: {component: gunicorn}\n", "c.yaml")
    (read,) = cf.defaults.client.hop.timeouts  # type: ignore[union-attr]
    assert (read.value_s, read.explicit) == (10.0, False)
    app = cf.defaults.app
    assert app is not None and app.worker_class == "sync"
    assert [(t.setting, t.value_s) for t in app.hop.timeouts] == [("timeout", 30.0)]
    assert app.accept_idle is None  # sync workers close every connection


def test_an_nginx_zero_stays_a_zero() -> None:
    cf = parse_chain_file(
        "defaults:\n  proxies:\n    - component: nginx\n      timeouts: {proxy_read_timeout: 0}\n", "c.yaml"
    )
    (proxy,) = cf.defaults.proxies or []
    (t,) = [t for t in proxy.hop.timeouts if t.setting == "proxy_read_timeout"]
    assert t.value_s == 0.0


def test_overlays_apply_by_longest_prefix() -> None:
    cf = parse_chain_file(FULL, "ops/lpdoctor.yaml")
    spec = HoldSpec(
        route="/_matrix/client/v3/rooms", path="/_matrix/client/v3/rooms", host=None, hold=Hold(20, "option")
    )
    other = HoldSpec(route="/poll", path="/poll", host=None, hold=Hold(20, "option"))
    apply_overlays([spec, other], cf)
    assert spec.hops is not None and spec.hops.client is not None and spec.hops.client.hop.component == "okhttp"
    assert other.hops is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("routes:\n  - route: /poll\n    hold: 30s\n    hodl: 1\n", "c.yaml:4: unknown key 'hodl' in a route"),
        ("routes:\n  - route: /poll\n    hold: soon\n", "c.yaml:3: hold: 'soon' is not a duration"),
        ("routes:\n  - route: /poll\n    hold: 0\n", "c.yaml:3: hold must be a positive duration"),
        ("routes:\n  - route: poll\n", "c.yaml:2: route must be a path starting with /"),
        ("routes:\n  - hold: 30s\n", "c.yaml:2: a route needs route:"),
        (
            "routes:\n  - route: /p\n    keepalive: {every: 5s, kind: pings}\n",
            "c.yaml:3: keepalive kind must be one of",
        ),
        ("routes:\n  - route: /p\n    keepalive: {kind: bytes}\n", "c.yaml:3: keepalive needs every:"),
        ("defaults:\n  edges:\n    - component: my-cdn\n", "c.yaml:3: unknown component 'my-cdn'"),
        (
            "defaults:\n  edges:\n    - component: aws-alb\n      timeouts: {read_timeout: 30s}\n",
            "c.yaml:4: read_timeout: not a known setting of aws-alb (idle_timeout)",
        ),
        (
            "defaults:\n  client:\n    component: x\n    timeouts: {t: {value: 3s, semantics: wall}}\n",
            "c.yaml:4: semantics must be idle, total or until-headers",
        ),
        ("defaults:\n  client: {timeouts: {}}\n", "c.yaml:2: defaults > client needs component:"),
        (
            "defaults:\n  proxy:\n    component: haproxy\n    buffering: maybe\n",
            "c.yaml:4: buffering must be true or false",
        ),
        ("version: 2\n", "c.yaml:1: version must be 1"),
        ("routes: {route: /p}\n", "c.yaml:1: routes must be a list"),
        ("nginx: [a.conf\n", "c.yaml:2: not valid YAML"),
        ("", "c.yaml: the file is empty"),
        ("routes:\n  - !!python/object/apply:os.system ['true']\n", "c.yaml:2: not valid YAML"),
    ],
)
def test_problems_are_one_line_with_file_and_line(text: str, expected: str) -> None:
    with pytest.raises(ChainFileError) as err:
        parse_chain_file(text, "c.yaml")
    assert str(err.value).startswith(expected)
    assert "\n" not in str(err.value)


def test_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(ChainFileError, match=r"nope.yaml: no such file$"):
        load_chain_file(str(tmp_path / "nope.yaml"))
    with pytest.raises(ChainFileError, match="is a directory"):
        load_chain_file(str(tmp_path))


def test_the_documented_example_is_valid() -> None:
    doc = Path("docs/chain-file.md").read_text()
    blocks = doc.split("```yaml\n")[1:]
    assert blocks, "docs/chain-file.md has no yaml example"
    for block in blocks:
        parse_chain_file(block.split("```", 1)[0], "docs/chain-file.md")


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(KEYS), kids, max_size=5),
        max_leaves=25,
    )
)
def test_any_yaml_is_a_chain_file_or_one_clear_error(data: object) -> None:
    text = yaml.safe_dump(data)
    try:
        parse_chain_file(text, "fuzz.yaml")
    except ChainFileError as exc:
        assert str(exc).startswith("fuzz.yaml") and "\n" not in str(exc)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_chain_file_or_one_clear_error(text: str) -> None:
    try:
        parse_chain_file(text, "fuzz.yaml")
    except ChainFileError as exc:
        assert "\n" not in str(exc)
