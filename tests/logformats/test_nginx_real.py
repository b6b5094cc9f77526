"""The nginx samples in tests/fixtures/logformats are what nginx really writes: a live nginx writes each of its
access formats and its error log, and lpdoctor detects and reads each as the format its sample is named after."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

from lpdoctor.logformats.logs import detect_file_format
from lpdoctor.logformats.registry import get_format
from lpdoctor.model import ErrorEvent, ErrorKind, Outcome, RequestRecord
from tests.realworld.backend import Backend
from tests.realworld.nginx import NginxConfig, NginxInstance

pytestmark = pytest.mark.real

FORMATS = {
    "combined": "nginx-combined",
    "combined_timing": "nginx-timing",
    "kv_timing": "nginx-kv",
    "json_timing": "nginx-json",
    "upstreaminfo": "ingress-nginx",
}


@pytest.mark.parametrize("log_format", sorted(FORMATS))
def test_live_nginx_log_is_read_as_its_format(
    log_format: str,
    backend_factory: Callable[..., Backend],
    nginx_factory: Callable[[NginxConfig], NginxInstance],
) -> None:
    backend = backend_factory(timeout_unit="ms")
    nginx = nginx_factory(
        NginxConfig(upstreams=[f"127.0.0.1:{backend.port}"], log_format=log_format, proxy_read_timeout="1s")
    )
    for path in ("/_matrix/client/versions", "/_matrix/client/v3/sync?timeout=3000"):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{nginx.port}{path}", timeout=10).read()
        except urllib.error.HTTPError as exc:
            assert exc.code == 504  # the 3 s hold is cut by the 1 s proxy_read_timeout
    time.sleep(0.2)
    nginx.stop()
    fmt = detect_file_format(str(nginx.access_log))
    assert fmt is not None and fmt.name == FORMATS[log_format]
    parse = fmt.parser()
    records = [parse(line, i + 1, "live") for i, line in enumerate(nginx.access_lines())]
    assert all(isinstance(r, RequestRecord) for r in records)
    cut = [r for r in records if isinstance(r, RequestRecord) and r.status == 504]
    assert len(cut) == 1 and cut[0].outcome == Outcome.GATEWAY_TIMEOUT
    if fmt.has_timing:
        assert cut[0].duration_s is not None and 0.9 <= cut[0].duration_s < 2.0
    error_format = get_format("nginx-error")
    assert error_format is not None
    parse_error = error_format.parser()
    events = [parse_error(line, i + 1, "live") for i, line in enumerate(nginx.error_lines())]
    timed_out = [e for e in events if isinstance(e, ErrorEvent) and e.kind == ErrorKind.UPSTREAM_TIMEOUT]
    assert len(timed_out) == 1
