"""Build nginx access-log lines the way nginx writes them (key=value timing, the admin-guide layout)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 11, 21, 10, 0, 0, tzinfo=timezone.utc)


def kv_line(
    target: str,
    status: int,
    rt: float,
    *,
    i: int = 0,
    uht: str | None = None,
    urt: str | None = None,
    us: str | None = None,
    method: str = "GET",
    ua: str = "Element/1.11",
) -> str:
    ts = (T0 + timedelta(seconds=i)).strftime("%d/%b/%Y:%H:%M:%S +0000")
    urt = urt if urt is not None else f"{rt - 0.001:.3f}"
    uht = uht if uht is not None else (f"{rt - 0.002:.3f}" if status < 500 else "-")
    us = us if us is not None else str(status if status != 499 else "-")
    return (
        f'198.51.100.{i % 250 + 1} - - [{ts}] "{method} {target} HTTP/1.1" {status} 120 "-" "{ua}" '
        f'rt={rt:.3f} uct="0.001" uht="{uht}" urt="{urt}" us="{us}"'
    )


def long_poll_route(
    target: str,
    *,
    n: int,
    hold: float,
    cut: float | None,
    fail_status: int = 504,
    event_rate: float = 0.5,
    seed: int = 1,
    ceiling: bool = False,
) -> list[str]:
    """n polls of a route holding ``hold`` s; events arrive uniformly; a hop cuts at ``cut``.

    ``ceiling``: the Go WriteTimeout shape — a poll that runs past ``cut`` fails when it finally answers.
    """
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        end = rnd.uniform(0.05, hold) if rnd.random() < event_rate else hold + rnd.uniform(0.0, 0.02)
        if cut is not None and end >= cut:
            if ceiling:
                lines.append(kv_line(target, fail_status, end, i=i))
            else:
                lines.append(kv_line(target, fail_status, cut + rnd.uniform(0.0, 0.005), i=i))
        else:
            lines.append(kv_line(target, 200, end, i=i))
    return lines


def ordinary_traffic(n: int, seed: int = 2) -> list[str]:
    rnd = random.Random(seed)
    paths = ["/_matrix/client/versions", "/api/v1/orders/{}/items", "/static/app.{}.js", "/health"]
    out = []
    for i in range(n):
        p = rnd.choice(paths).format(rnd.randint(1, 99999))
        out.append(kv_line(p, 200, rnd.uniform(0.001, 0.2), i=i))
    return out
