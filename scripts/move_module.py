"""Move a module of lpdoctor and rewrite every reference to it (imports, dotted strings, file paths in docs).

    python scripts/move_module.py lpdoctor.readers.nginx_access lpdoctor.logformats.nginx_access [OLD NEW ...]

For each pair: ``git mv`` the file (a package's ``__init__.py`` when the old name is a package), create the
new package's ``__init__.py`` when missing, and rewrite, in lpdoctor/, tests/, bench/, scripts/, docs/, README.md,
hatch_build.py and pyproject.toml: ``lpdoctor.old.name`` (not followed by more name characters), the slash path
``lpdoctor/old/name.py`` and ``from lpdoctor.old import name`` forms. Run ruff afterwards to sort imports.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEXT_ROOTS = ("lpdoctor", "tests", "bench", "scripts", "docs")
TEXT_FILES = ("README.md", "hatch_build.py", "pyproject.toml")
SUFFIXES = {".py", ".pyi", ".md", ".c", ".toml", ".yaml", ".yml", ".cfg"}


def module_file(dotted: str) -> Path:
    base = REPO.joinpath(*dotted.split("."))
    if base.is_dir():
        return base / "__init__.py"
    for suffix in (".py", ".c", ".pyi"):
        if base.with_suffix(suffix).exists():
            return base.with_suffix(suffix)
    return base.with_suffix(".py")


def text_files() -> list[Path]:
    files = [REPO / f for f in TEXT_FILES if (REPO / f).exists()]
    for root in TEXT_ROOTS:
        files += [
            p for p in (REPO / root).rglob("*") if p.is_file() and p.suffix in SUFFIXES and ".venv" not in p.parts
        ]
    return [p for p in files if p.resolve() != Path(__file__).resolve()]  # not its own examples


def ensure_package(dotted_pkg: str) -> None:
    parts = dotted_pkg.split(".")
    for i in range(2, len(parts) + 1):
        init = REPO.joinpath(*parts[:i]) / "__init__.py"
        if not init.exists():
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text(f'"""lpdoctor.{".".join(parts[1:i])}."""\n')
            subprocess.run(["git", "add", str(init)], cwd=REPO, check=True)


def move(old: str, new: str) -> None:
    src = module_file(old)
    if not src.exists():
        sys.exit(f"no module {old}")
    new_pkg, new_name = new.rsplit(".", 1)
    ensure_package(new_pkg)
    if src.name == "__init__.py":
        dst = REPO.joinpath(*new.split(".")) / "__init__.py"
        dst.parent.mkdir(parents=True, exist_ok=True)
    else:
        dst = REPO.joinpath(*new_pkg.split(".")) / (new_name + src.suffix)
    subprocess.run(["git", "mv", str(src.relative_to(REPO)), str(dst.relative_to(REPO))], cwd=REPO, check=True)
    old_pkg, old_name = old.rsplit(".", 1)
    dotted = re.compile(re.escape(old) + r"(?![\w])")
    slash_old = old.replace(".", "/")
    slash_new = new.replace(".", "/")
    slash = re.compile(re.escape(slash_old) + r"(?=\.(?:py|c|pyi)\b|/)")
    from_pkg = re.compile(r"from " + re.escape(old_pkg) + r" import ([^\n(]*?)\b" + re.escape(old_name) + r"\b(?! as )")
    for path in text_files():
        text = path.read_text()
        updated = dotted.sub(new, text)
        updated = slash.sub(slash_new, updated)
        if from_pkg.search(updated):
            line = from_pkg.search(updated).group(0)
            if line.strip() == f"from {old_pkg} import {old_name}":
                alias = "" if new_name == old_name else f" as {old_name}"
                updated = updated.replace(line, f"from {new_pkg} import {new_name}{alias}")
            else:
                print(f"check by hand: {path.relative_to(REPO)}: {line}")
        if updated != text:
            path.write_text(updated)
    print(f"{old} -> {new}")


def main(argv: list[str]) -> int:
    if len(argv) % 2:
        sys.exit(__doc__)
    for old, new in zip(argv[::2], argv[1::2], strict=True):
        move(old, new)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
