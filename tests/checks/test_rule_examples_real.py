"""The rule examples are configurations the real proxies accept: ``nginx -t`` and ``haproxy -c`` on each one.

An example that nginx or HAProxy would refuse teaches nothing, and lpdoctor's verdict on it says nothing
about a real deployment. Only the absolute log paths (``/var/log/nginx/...``) are moved into the test's
own directory, so the check writes nothing outside it. Skips without the binaries; fails instead under
``LPDOCTOR_REQUIRE_REAL=1``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from lpdoctor.catalog import rule_docs
from tests.realworld import require_real
from tests.realworld.haproxy import find_haproxy
from tests.realworld.nginx import find_nginx

pytestmark = pytest.mark.real


def configs(name: str) -> list[Any]:
    out = []
    for doc in sorted(rule_docs().values(), key=lambda d: d.id):
        for kind in ("fail", "pass"):
            for i, example in enumerate(doc.cases(kind)):
                for file_name, content in example.files:
                    if file_name == name:
                        out.append(pytest.param(content, id=f"{doc.id}-{kind}-{i}"))
    return out


def test_there_are_nginx_and_haproxy_examples() -> None:
    assert len(configs("nginx.conf")) >= 10 and configs("haproxy.cfg")


@pytest.mark.parametrize("content", configs("nginx.conf"))
def test_nginx_accepts_the_example(content: str, tmp_path: Path) -> None:
    nginx = find_nginx()
    if nginx is None:
        require_real("nginx is not installed (Debian: apt-get install nginx-light)")
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(content.replace("/var/log/nginx/", f"{tmp_path}/logs/"), encoding="utf-8")
    proc = subprocess.run(
        [nginx, "-t", "-q", "-p", f"{tmp_path}/", "-c", "nginx.conf", "-e", "stderr", "-g", "pid nginx.pid;"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"nginx -t refuses the example:\n{proc.stderr}"


@pytest.mark.parametrize("content", configs("haproxy.cfg"))
def test_haproxy_accepts_the_example(content: str, tmp_path: Path) -> None:
    haproxy = find_haproxy()
    if haproxy is None:
        require_real("haproxy is not installed (Debian: apt-get install haproxy)")
    (tmp_path / "haproxy.cfg").write_text(content, encoding="utf-8")
    proc = subprocess.run(
        [haproxy, "-c", "-f", str(tmp_path / "haproxy.cfg")],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"haproxy -c refuses the example:\n{proc.stdout}{proc.stderr}"
