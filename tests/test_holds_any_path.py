"""HoldMatcher finds a route's protocols with one search for most routes (catalog.holds.any_of): the same
protocols as searching each protocol's path."""

from __future__ import annotations

import random
import re

from bench import traffic as bench_traffic
from bench.generate import lines as bench_lines
from lpdoctor import catalog
from lpdoctor.catalog.holds import HoldMatcher, any_of
from lpdoctor.scan.routes import normalize_path, split_target


def _each(route: str) -> tuple[str, ...]:
    return tuple(p.id for p in catalog.protocols() if p.path.search(route))


def test_the_shipped_paths_combine_and_find_the_same_protocols() -> None:
    patterns = [p.path for p in catalog.protocols()]
    combined = any_of(patterns)
    assert combined is not None, "a protocol's path no longer combines: every route costs a search a protocol"
    routes = set()
    for fmt, shape in (("nginx-timing", "spa"), ("nginx-timing", "ids"), ("nginx-timing", "few")):
        for line in bench_traffic.lines(fmt, shape, 3_000, seed=2):
            routes.add(normalize_path(split_target(line.split('"')[1].split(" ")[1])[0]))
    for line in bench_lines(5_000, seed=2):
        routes.add(normalize_path(split_target(line.split('"')[1].split(" ")[1])[0]))
    r = random.Random(1)
    pieces = [
        "api",
        "apis",
        "v1",
        "v2",
        "kv",
        "watch",
        "_matrix",
        "client",
        "v3",
        "sync",
        "ChatHub",
        "signalr",
        "_blazor",
        "poll",
        "socket.io",
        "cometd",
        "message-bus",
        "bot12:AA",
        "getUpdates",
        "_changes",
        "x",
    ]
    for _ in range(5_000):
        routes.add("/" + "/".join(r.choice(pieces) for _ in range(r.randint(0, 5))))
    matched = 0
    for route in routes:
        want = _each(route)
        assert (combined.search(route) is not None) == bool(want), route
        assert tuple(p.id for p in HoldMatcher()._candidates(route)) == want, route
        matched += bool(want)
    assert matched > 50 and len(routes) - matched > 1_000


def test_flags_are_kept_or_the_paths_are_tried_one_by_one() -> None:
    assert any_of([re.compile("(?i)/Hub$"), re.compile("^/a")]).search("/x/HUB")  # type: ignore[union-attr]
    assert not any_of([re.compile("(?i)/Hub$"), re.compile("^/a")]).search("/b/a")  # type: ignore[union-attr]
    assert any_of([re.compile("/hub$", re.IGNORECASE)]) is None
    assert any_of([re.compile("(?x) /hub  # a comment")]) is None
    assert any_of([]) is not None and not any_of([]).search("/")  # type: ignore[union-attr]
