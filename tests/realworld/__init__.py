"""A harness that runs REAL components for lpdoctor's end-to-end tests.

- :mod:`tests.realworld.backend` — a stdlib long-poll HTTP/1.1 server that holds GETs until an "event" or
  until the hold expires, with modes that fail the way real servers fail (Go ``WriteTimeout``, a killed worker).
- :mod:`tests.realworld.nginx` — starts the system nginx from a generated config in a private prefix and hands
  back the paths of the ``nginx.conf``, ``access.log`` and ``error.log`` it wrote.
- :mod:`tests.realworld.haproxy` — the same for the system HAProxy (optional component).
- :mod:`tests.realworld.clients` — N concurrent raw-socket long-poll clients with a read timeout, re-polling.

Every helper binds to 127.0.0.1 on a free port and stops by itself (bounded waits, lifetimes, deadlines).
When a real component is missing, :func:`tests.realworld.nginx.require_real` skips the test, or fails it
when ``LPDOCTOR_REQUIRE_REAL=1`` is set (CI that must prove the real-component tests ran).
"""

from __future__ import annotations

import os
from typing import NoReturn

REQUIRE_REAL_ENV = "LPDOCTOR_REQUIRE_REAL"


def real_required() -> bool:
    """True when ``LPDOCTOR_REQUIRE_REAL=1``: a missing real component is then a failure, not a skip."""
    return os.environ.get(REQUIRE_REAL_ENV, "").strip() == "1"


def require_real(reason: str) -> NoReturn:
    """Give up on a test because a real component is missing or would not start.

    Skips the test, or fails it when ``LPDOCTOR_REQUIRE_REAL=1`` is set. Every real-component helper goes
    through this one function, so the rule is the same everywhere.
    """
    import pytest  # imported here: the backend runs as a subprocess without pytest needs

    if real_required():
        pytest.fail(f"{reason} ({REQUIRE_REAL_ENV}=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)
