"""The layer contract: lpdoctor's packages import only downwards, and no two modules import each other.

The order below is the architecture (docs/architecture.md draws it). A package may import any package listed
before it, never one after it. Every import counts — module level, inside a function, under TYPE_CHECKING — and
so does ``importlib.import_module`` with a literal name. A new package must be placed in ``LAYERS`` (the test
fails until it is).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lpdoctor"

# Lowest first. Packages on one row are peers and may not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("model",),
    ("text",),
    ("catalog",),
    ("logformats",),
    ("dialects",),
    ("scan",),
    ("chains",),
    ("probe",),
    ("checks",),
    ("app",),
    ("reporters",),
    ("commands",),
    ("cli",),
    ("__main__",),
]
ROOT_MODULE = "__init__"  # lpdoctor/__init__.py: the version, importable by every layer
RANK = {name: i for i, row in enumerate(LAYERS) for name in row}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit(module: str) -> str:
    """The layer unit of a dotted module name: ``lpdoctor.scan.aggregate`` -> ``scan``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT_MODULE


def imports(path: Path) -> list[tuple[int, str]]:
    """Every lpdoctor module ``path`` imports, with the line: ``from a.b import c`` counts as ``a.b.c`` when
    that is a module, else ``a.b``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "lpdoctor"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "lpdoctor":
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                out.append((node.lineno, candidate if is_module(candidate) else node.module))
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: relative import (ruff TID252 forbids them)")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("lpdoctor")
        ):
            out.append((node.lineno, str(node.args[0].value)))
    return out


def is_module(dotted: str) -> bool:
    base = PACKAGE.parent.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_package_has_a_layer() -> None:
    units = {unit(m) for m in all_modules()} - {ROOT_MODULE}
    missing = sorted(units - set(RANK))
    assert not missing, f"place these packages in tests/test_layers.py LAYERS: {missing}"


def test_imports_only_go_down() -> None:
    upward: list[str] = []
    for module, path in all_modules().items():
        here = unit(module)
        if here == ROOT_MODULE:
            continue
        for line, target in imports(path):
            there = unit(target)
            if there in (ROOT_MODULE, here):
                continue
            if RANK[there] >= RANK[here]:
                upward.append(f"lpdoctor/{path.relative_to(PACKAGE)}:{line}: {here} imports {target} ({there})")
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)


def test_no_module_cycles() -> None:
    modules = all_modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        for _, target in imports(path):
            # a package's __init__ is imported on the way to any of its modules; only count real edges
            if target in modules and target != module:
                graph[module].add(target)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module)
    assert not cycles, "module import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_model_and_text_use_only_the_standard_library() -> None:
    import sys

    allowed = set(sys.stdlib_module_names) | {"lpdoctor"}
    offenders = []
    for module, path in all_modules().items():
        if unit(module) not in ("model", "text"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{module}:{node.lineno}: {n}" for n in names if n.split(".")[0] not in allowed]
    assert not offenders, offenders


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from lpdoctor.reporters import json_report\n", ["lpdoctor.reporters.json_report"]),
        ("def f():\n    from lpdoctor.checks.base import CheckModel\n", ["lpdoctor.checks.base"]),
        ("import importlib\nimportlib.import_module('lpdoctor.app.config_report')\n", ["lpdoctor.app.config_report"]),
    ],
)
def test_the_contract_sees_every_kind_of_import(tmp_path: Path, source: str, expected: list[str]) -> None:
    """The checker itself: lazy imports and importlib with a literal are edges too (a contract that cannot
    see them would pass an upward import hidden in a function)."""
    path = tmp_path / "m.py"
    path.write_text(source)
    assert [t for _, t in imports(path)] == expected


def test_the_cut_analysis_reads_no_proxy_vocabulary() -> None:
    """Readers translate a proxy's words (RequestRecord.outcome, .ended_by); scan/cutoff.py weighs them in one
    vocabulary. It used to read every proxy's word as an HAProxy termination state, so Envoy's SI (its own
    stream idle timeout) was blamed on the server. Its code (not its docstrings) holds no proxy's word and no
    regular expression."""
    tree = ast.parse((Path(__file__).resolve().parents[1] / "lpdoctor" / "scan" / "cutoff.py").read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    words = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]
    for token in ("H2::", "backend_timeout", "sH", "SH", "tcp ", "[cCsS]"):
        assert not any(token in w for w in words), token
    assert not {"UT", "DC", "SI", "UC"} & set(words)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
    assert "re" not in imported
