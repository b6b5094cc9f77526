"""Shared pytest fixtures.

Real-component harness (tests/realworld): ``backend_factory`` and ``nginx_factory`` start REAL processes on
127.0.0.1 and stop them when the test ends. Without nginx the test is skipped (failed with
``LPDOCTOR_REQUIRE_REAL=1``). Mark such tests ``@pytest.mark.real``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.realworld.backend import Backend, BackendConfig
from tests.realworld.nginx import NginxConfig, NginxInstance, start_nginx


@pytest.fixture
def backend_factory() -> Iterator[Callable[..., Backend]]:
    """``backend_factory(BackendConfig(...))`` or ``backend_factory(mode="close-after", mode_s=1, ...)``:
    an in-process long-poll backend, stopped at teardown."""
    started: list[Backend] = []

    def make(config: BackendConfig | None = None, **kwargs: object) -> Backend:
        backend = Backend(config or BackendConfig(**kwargs)).start()  # type: ignore[arg-type]
        started.append(backend)
        return backend

    yield make
    for backend in started:
        backend.stop()


@pytest.fixture
def nginx_factory(tmp_path: Path) -> Iterator[Callable[[NginxConfig], NginxInstance]]:
    """``nginx_factory(NginxConfig(...))``: a real nginx in its own prefix under ``tmp_path``, stopped at
    teardown. Its ``access_log`` / ``error_log`` / ``conf_path`` stay readable after the test stops it."""
    instances: list[NginxInstance] = []

    def make(config: NginxConfig) -> NginxInstance:
        instance = start_nginx(config, tmp_path / f"nginx-{len(instances)}")
        instances.append(instance)
        return instance

    yield make
    for instance in instances:
        instance.stop()
