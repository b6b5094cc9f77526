"""A file an Apache config includes may be anything; its problems are reported as file:line, never its text.

Issue 12: ``Include /etc/app/secrets.xml`` (a file outside the tree, or a mistake) made check-config warn
``<password>…</password> is never closed``, printing the file's line — a password — into the report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MARK = "S3CR3T"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_lines_of_an_included_file_are_not_echoed(fmt: str, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secrets.xml").write_text(
        f"<config>\n  <password>{MARK}pw</password>\n  <user name='{MARK}user'>\n  </{MARK}close>\n"
    )
    tree = tmp_path / "apache2"
    tree.mkdir()
    (tree / "apache2.conf").write_text(
        "Timeout 20\n<VirtualHost *:80>\n  ServerName a.example\n  ProxyPass /poll http://app:9000/poll\n"
        f"</VirtualHost>\nInclude {outside / 'secrets.xml'}\n<Location /never>\n"
    )
    args = ["check-config", str(tree / "apache2.conf"), "--hold", "/poll=30s", "-f", fmt]
    r = subprocess.run(
        [sys.executable, "-m", "lpdoctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "300"},
        check=False,
    )
    assert r.returncode == 1, r.stderr
    out = r.stdout + r.stderr
    assert MARK.lower() not in out.lower()
    if fmt in ("sarif", "github"):
        return  # these formats carry findings only, not the readers' warnings
    assert "secrets.xml:4" in out and "closes nothing open" in out  # where, not what
    assert "secrets.xml:3" in out and "is never closed" in out  # the innermost section left open
    assert "<location> is never closed" in out.lower()  # the main file's own problems still name the tag
