"""Scaffold a new rule: its documentation and examples, its check module, and its place in the registry.

    python scripts/add_rule.py RULE-ID [--title TEXT] [--severity error|warning|info] [--applies-to CMD ...]
                               [--no-module] [--root DIR]

Writes ``rules/checks/RULE-ID.yaml`` (every heading ``lpdoctor explain`` prints, and a failing and a passing
example to replace), ``lpdoctor/checks/rule_id.py`` (``RULE_ID`` and a ``check()`` that finds nothing yet) and
adds the module to ``CHECKS`` in ``lpdoctor/checks/__init__.py``. ``--no-module`` writes the YAML only, for a
rule reported outside ``lpdoctor/checks/`` (a log rule built by ``scan``).

What is left is marked ``TODO``; the tests say what is missing until it is done: ``tests/test_rule_docs.py``
refuses a ``TODO``, and ``tests/checks/test_rule_examples.py`` runs the examples (the failing one fails until
``check()`` reports it). docs/rules.md is the recipe.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
SEVERITIES = ("error", "warning", "info")

RULE_YAML = """\
id: {rule_id}
title: {title}
severity: {severity}
applies_to: [{applies_to}]
summary: >
  TODO: one or two sentences: what is wrong and what the user sees.
what: |
  TODO: what the rule looks at, and when it reports (error / warning / info).
why: |
  TODO: why it matters: what breaks, with the evidence.
examples:
  fail:
    - note: TODO one line saying what is wrong here.
      args: [check-config, nginx.conf, --hold, /poll=30s]
      files:
        nginx.conf: |
          events {{}}
          http {{
              upstream app {{ server 127.0.0.1:8000; }}
              server {{
                  listen 80;
                  location /poll {{
                      proxy_pass http://app;
                      proxy_read_timeout 30s;     # TODO: what the rule reports
                  }}
              }}
          }}
  pass:
    - args: [check-config, nginx.conf, --hold, /poll=30s]
      files:
        nginx.conf: |
          events {{}}
          http {{
              upstream app {{ server 127.0.0.1:8000; }}
              server {{
                  listen 80;
                  location /poll {{
                      proxy_pass http://app;
                      proxy_read_timeout 65s;     # TODO: the fixed input
                  }}
              }}
          }}
fix: |
  TODO: how to fix it.
fixes:
  "*:*": "TODO: the fix line, with placeholders such as {{setting}}, {{suggest}}, {{where}}."
sources:
  - "TODO: where the facts come from (shared/research/..., upstream source files, [E] measured)"
"""

CHECK_MODULE = '''\
"""{rule_id}: {title}

TODO: what the rule checks, and why (the user-facing text is in the rule file).

Examples: ``rules/checks/{rule_id}.yaml`` (a failing and a passing input, shown by ``lpdoctor explain
{rule_id}`` and run by ``tests/checks/test_rule_examples.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

from lpdoctor.checks.base import CheckModel
from lpdoctor.model import Finding

RULE_ID = "{rule_id}"


def check(model: CheckModel) -> Iterator[Finding]:
    """TODO: yield a Finding (lpdoctor.checks.base.finding) for each problem in the model."""
    yield from ()
'''


class ScaffoldError(Exception):
    """Something the user can fix: one line, exit 2."""


def _insert_sorted(block: str, name: str) -> str:
    """Add ``    name,`` to a block of ``    module,`` lines, keeping them sorted."""
    lines = [ln for ln in block.splitlines() if ln.strip()]
    lines.append(f"    {name},")
    return "\n".join(sorted(set(lines), key=lambda ln: ln.strip().rstrip(","))) + "\n"


def register(init: Path, module: str) -> None:
    """Import ``module`` in lpdoctor/checks/__init__.py and append it to CHECKS."""
    text = init.read_text(encoding="utf-8")
    imports = re.search(r"^from lpdoctor\.checks import \(\n(?P<body>(?:    \w+,\n)+)\)", text, re.M)
    checks = re.search(r"^CHECKS: list\[ModuleType\] = \[\n(?P<body>(?:    \w+,\n)*)\]", text, re.M)
    if imports is None or checks is None:
        raise ScaffoldError(f"{init}: cannot find the import block or the CHECKS list; register {module} by hand")
    text = (
        text[: checks.start("body")] + checks.group("body") + f"    {module},\n" + text[checks.end("body") :]
    )  # CHECKS comes after the imports: edit it first so the import offsets stay right
    text = text[: imports.start("body")] + _insert_sorted(imports.group("body"), module) + text[imports.end("body") :]
    init.write_text(text, encoding="utf-8")


_README_ROW = re.compile(r'^\| <a id="rule-(?P<id>[a-z0-9-]+)"></a>`[a-z0-9-]+` \| (?P<severity>\w+) \|.*$', re.M)


def readme_with_row(text: str, rule_id: str, title: str, severity: str, applies_to: list[str]) -> str:
    """README.md's text with the rule's row in its rules table (the anchor SARIF's ``helpUri`` points at), among
    the rules of its severity, by id."""
    rows = list(_README_ROW.finditer(text))
    if not rows:
        raise ScaffoldError(
            "README.md has no rules table (rows starting '| <a id=\"rule-'); add the rule's row by hand"
        )
    row = f'| <a id="rule-{rule_id}"></a>`{rule_id}` | {severity} | {", ".join(applies_to)} | {title} |'
    rank = SEVERITIES.index(severity)
    after = None
    for m in rows:
        if (SEVERITIES.index(m["severity"]) if m["severity"] in SEVERITIES else 9, m["id"]) < (rank, rule_id):
            after = m
    at = after.end() + 1 if after is not None else rows[0].start()
    return text[:at] + row + "\n" + text[at:]


def scaffold(
    root: Path, rule_id: str, title: str, severity: str, applies_to: list[str], module: bool = True
) -> list[Path]:
    """Write the pieces of a new rule under ``root``; the paths written, in order."""
    if not SLUG.match(rule_id):
        raise ScaffoldError(f"rule id {rule_id!r} is not a lower-case slug like timeout-below-hold")
    if severity not in SEVERITIES:
        raise ScaffoldError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    if "\n" in title or not title.strip():
        raise ScaffoldError("the title is one line of text")
    rule_file = root / "rules" / "checks" / f"{rule_id}.yaml"
    module_name = rule_id.replace("-", "_")
    module_file = root / "lpdoctor" / "checks" / f"{module_name}.py"
    init = root / "lpdoctor" / "checks" / "__init__.py"
    if not rule_file.parent.is_dir() or not init.is_file():
        raise ScaffoldError(f"{root} is not an lpdoctor source tree (no rules/checks/ or lpdoctor/checks/)")
    if rule_file.exists():
        raise ScaffoldError(f"{rule_file.relative_to(root)} already exists")
    readme = root / "README.md"
    if not readme.is_file():
        raise ScaffoldError(f"{root} has no README.md (its rules table gets the rule's row)")
    readme_text = readme_with_row(readme.read_text(encoding="utf-8"), rule_id, title, severity, applies_to)
    if module and module_file.exists():
        raise ScaffoldError(f"{module_file.relative_to(root)} already exists")
    title_yaml = '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    rule_file.write_text(
        RULE_YAML.format(rule_id=rule_id, title=title_yaml, severity=severity, applies_to=", ".join(applies_to)),
        encoding="utf-8",
    )
    written = [rule_file]
    if module:
        module_file.write_text(CHECK_MODULE.format(rule_id=rule_id, title=title.rstrip(".") + "."), encoding="utf-8")
        register(init, module_name)
        written += [module_file, init]
    readme.write_text(readme_text, encoding="utf-8")
    return [*written, readme]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Scaffold a new lpdoctor rule (see docs/rules.md).")
    parser.add_argument("rule_id", metavar="RULE-ID")
    parser.add_argument("--title", default="TODO: a one-line title")
    parser.add_argument("--severity", default="warning", choices=SEVERITIES)
    parser.add_argument("--applies-to", nargs="+", default=["check-config"], metavar="CMD")
    parser.add_argument("--no-module", action="store_true", help="the rule is reported outside lpdoctor/checks/")
    parser.add_argument("--root", type=Path, default=REPO, help="the source tree (default: this one)")
    args = parser.parse_args(argv)
    try:
        written = scaffold(args.root, args.rule_id, args.title, args.severity, args.applies_to, not args.no_module)
    except ScaffoldError as exc:
        print(f"add_rule: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(path.relative_to(args.root))
    print(
        f"next: fill in the TODOs, make the failing example fail and the passing one pass, then run\n"
        f"  python -m pytest tests/checks tests/test_rule_docs.py -q && lpdoctor explain {args.rule_id}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
