"""keepalive-race: the hop behind closes idle kept-alive connections sooner than the hop in front reuses them.

A proxy (or load balancer) keeps idle connections to the next hop open for reuse (nginx: ``keepalive`` in
the ``upstream`` with ``keepalive_timeout``, 60 s by default; AWS ALB: its idle timeout; GCP: 600 s). If the
server behind closes idle connections sooner (gunicorn ``--keep-alive`` 2 s, uvicorn 5 s, Node 5 s, Jetty 30
s, nginx's own ``keepalive_timeout``), the front hop now and then sends a request on a connection the
server is closing at that very moment: a sporadic 502 "upstream prematurely closed connection". The server
side's idle timeout must be longer than the pool's.

Examples: ``rules/checks/keepalive-race.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
keepalive-race`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel, at, base_evidence, finding, render
from lpdoctor.model import Finding, Severity
from lpdoctor.text.durations import fmt_s

RULE_ID = "keepalive-race"


def check(model: CheckModel) -> Iterator[Finding]:
    seen: set[tuple[str, str]] = set()
    for rc in model.chains:
        for front, back in zip(rc.facts, rc.facts[1:], strict=False):
            pool, accept = front.pool_idle, back.accept_idle
            if pool is None or accept is None or pool.value_s is None or accept.value_s is None:
                continue
            if accept.value_s > pool.value_s:
                continue
            key = (at(pool.location), at(accept.location))
            if key in seen:
                continue
            seen.add(key)
            lower = max(accept.value_s / 2, min(accept.value_s - 1, accept.value_s * 0.9), 0.5)
            owner = at(front.pool_owner) if front.pool_owner else at(pool.location)
            message = (
                f"{back.hop.name} closes idle kept-alive connections after {fmt_s(accept.value_s)} "
                f"({accept.setting}, {at(accept.location)}), sooner than {front.hop.name} stops reusing them "
                f"({pool.setting} {fmt_s(pool.value_s)}, {owner}): expect sporadic 502 "
                '"upstream prematurely closed connection".'
            )
            evidence = base_evidence(rc, front, pool)
            evidence.update({"backend": back.hop.name, "backend_idle_s": accept.value_s, "pool_idle_s": pool.value_s})
            yield finding(
                RULE_ID,
                Severity.WARNING,
                message,
                front,
                pool,
                rc,
                render(
                    RULE_ID,
                    front,
                    pool,
                    lower,
                    rc,
                    backend=back.hop.name,
                    backend_idle=fmt_s(accept.value_s),
                    backend_setting=accept.setting,
                    pool_owner=owner,
                    raise_to=fmt_s(pool.value_s + 5),
                ),
                explanation=(
                    "Every hop that pools connections must drop an idle one before the server behind it does "
                    "(or the server must wait longer): otherwise a request can race the server's close."
                ),
                evidence=evidence,
                cutoff_s=accept.value_s,
            )
