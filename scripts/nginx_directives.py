"""Regenerate lpdoctor/dialects/nginx/directives.py from nginx's own source.

Usage: python scripts/nginx_directives.py /path/to/nginx-checkout [TAG]

Every directive nginx knows is an ``ngx_command_t`` entry, ``{ ngx_string("name"), NGX_..._CONF...``, in
src/**/*.c; this lists them all (open-source nginx, every module, built or not). The list crossplane ships
is older than nginx (it lacks keepalive_time, 1.19.10, for one), and lpdoctor must never refuse a directive
nginx accepts.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ENTRY = re.compile(r'\{\s*ngx_string\("([a-z0-9_]+)"\),\s*\n\s*NGX_[A-Z0-9_]*(?:CONF|_MAIN|ANY)')


def main() -> None:
    repo = Path(sys.argv[1])
    tag = sys.argv[2] if len(sys.argv) > 2 else "HEAD"
    files = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", tag, "src"], check=True, capture_output=True, text=True
    ).stdout.split()
    names: set[str] = set()
    for f in files:
        if f.endswith(".c"):
            text = subprocess.run(
                ["git", "-C", str(repo), "show", f"{tag}:{f}"], check=True, capture_output=True, text=True
            ).stdout
            names.update(ENTRY.findall(text))
    described = subprocess.run(
        ["git", "-C", str(repo), "describe", "--tags", tag], check=True, capture_output=True, text=True
    ).stdout.strip()
    out = Path(__file__).resolve().parent.parent / "lpdoctor" / "dialects" / "nginx" / "directives.py"
    lines = [
        '"""Every directive of open-source nginx, from its source: the ``ngx_command_t`` tables of src/**/*.c at',
        f"{described} (https://github.com/nginx/nginx). Regenerate with scripts/nginx_directives.py.",
        "",
        "crossplane's own list is older than nginx; a name in neither list is what nginx -t calls an unknown",
        'directive (unless a third-party module adds it)."""',
        "",
        "NGINX_DIRECTIVES = frozenset(",
        "    {",
        *[f'        "{n}",' for n in sorted(names)],
        "    }",
        ")",
        "",
    ]
    out.write_text("\n".join(lines))
    print(f"{len(names)} directives from {described} -> {out}")


if __name__ == "__main__":
    main()
