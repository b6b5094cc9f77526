"""``lpdoctor rules`` lists every rule; ``lpdoctor explain SLUG`` documents one (like ``ruff rule``).

Rule documentation is data: ``rules/checks/<id>.yaml``, loaded by :func:`lpdoctor.catalog.rule_docs`. A rich
table or rendered Markdown on a terminal; plain text (``rules``) or Markdown (``explain``) in a pipe or with
``NO_COLOR``; ``--format json`` for scripts.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from typing import Any

import click
from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from lpdoctor.catalog import RuleDoc, rule_docs
from lpdoctor.catalog.rule_examples import RuleExample
from lpdoctor.commands.common import choose_format, fail

_SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "cyan"}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

_format_option = click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(["auto", "rich", "text", "json"]),
    default="auto",
    show_default=True,
    help="auto is rich on a terminal, text otherwise (or when NO_COLOR is set).",
)


def _console() -> Console:
    return Console(file=sys.stdout, highlight=False, emoji=False)


def rule_dict(doc: RuleDoc) -> dict[str, Any]:
    """One rule as data (what ``--format json`` prints)."""
    return {
        "id": doc.id,
        "severity": doc.severity,
        "title": doc.title,
        "applies_to": list(doc.applies_to),
        "summary": doc.summary,
        "what": doc.what,
        "why": doc.why,
        "example_fail": doc.example_fail,
        "example_pass": doc.example_pass,
        "fix": doc.fix,
        "sources": list(doc.sources),
        "examples": {kind: [_example_dict(doc, e) for e in doc.cases(kind)] for kind in ("fail", "pass")},
    }


def _example_dict(doc: RuleDoc, example: RuleExample) -> dict[str, Any]:
    out: dict[str, Any] = {"args": list(example.args), "files": dict(example.files)}
    if example.note:
        out["note"] = example.note
    if example.kind == "fail":
        out["severity"] = example.severity or doc.severity
    return out


def _sorted_docs() -> list[RuleDoc]:
    return sorted(rule_docs().values(), key=lambda d: (_SEVERITY_ORDER.get(d.severity, 9), d.id))


def rules_text(docs: list[RuleDoc]) -> str:
    """The plain listing: one rule a line, columns aligned."""
    rows = [("RULE", "SEVERITY", "APPLIES TO", "TITLE")]
    rows += [(d.id, d.severity, ", ".join(d.applies_to), d.title) for d in docs]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n"


@click.command("rules")
@_format_option
def rules_command(output_format: str) -> None:
    """List every rule lpdoctor checks: id, severity, what it applies to, title.

    `lpdoctor explain RULE` documents one rule.
    """
    docs = _sorted_docs()
    fmt = choose_format(output_format, False)
    if fmt == "json":
        click.echo(json.dumps([rule_dict(d) for d in docs], indent=2, ensure_ascii=True))
    elif fmt == "rich":
        table = Table(title=f"{len(docs)} rules", title_justify="left", show_edge=False)
        table.add_column("rule", style="bold", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("applies to")
        table.add_column("title")
        for d in docs:
            table.add_row(
                Text(d.id),
                Text(d.severity, style=_SEVERITY_STYLE.get(d.severity, "")),
                Text(", ".join(d.applies_to)),
                Text(d.title),
            )
        console = _console()
        console.print(table)
        console.print(Text("lpdoctor explain RULE shows what a rule checks, why, and how to fix it.", style="dim"))
    else:
        click.echo(rules_text(docs), nl=False)


def _lexer(example: str) -> str:
    """A code-fence language for an example: nginx-like blocks, YAML, or plain text."""
    lines = [ln.strip() for ln in example.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if any(re.search(r";\s*(#.*)?$", ln) for ln in lines) or any(ln.endswith("{") for ln in lines):
        return "nginx"
    if lines and all(re.match(r"^(- |[\w.\"'-]{1,80}:(\s|$))", ln) for ln in lines):
        return "yaml"
    return "text"


_FILE_LEXERS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".log": "text", ".go": "go", ".py": "python"}


def _file_lexer(name: str, content: str) -> str:
    for suffix, lexer in _FILE_LEXERS.items():
        if name.endswith(suffix):
            return lexer
    return _lexer(content)


def example_markdown(doc: RuleDoc, example: RuleExample) -> str:
    """One example: its note, each file in a fenced block under its name, the command and what it reports."""
    parts = [example.note] if example.note else []
    for name, content in example.files:
        parts.append(f"`{name}`:\n\n```{_file_lexer(name, content)}\n{content.rstrip()}\n```")
    verdict = f"{doc.id}: {example.severity or doc.severity}" if example.kind == "fail" else f"no {doc.id}"
    parts.append(f"```console\n$ {example.command}   # {verdict}\n```")
    return "\n\n".join(parts)


def _examples_markdown(doc: RuleDoc, kind: str) -> str:
    return "\n\n".join(example_markdown(doc, e) for e in doc.cases(kind))


def explain_markdown(doc: RuleDoc) -> str:
    """The documentation of one rule, as Markdown (what ``explain`` prints in a pipe)."""
    parts = [
        f"# {doc.id}: {doc.title}",
        f"Severity: **{doc.severity}**. Applies to: {', '.join(f'`{a}`' for a in doc.applies_to) or '-'}.",
        doc.summary,
        f"## What it does\n\n{doc.what}",
        f"## Why it matters\n\n{doc.why}",
        f"## Example that fails\n\n{_examples_markdown(doc, 'fail')}",
        f"## Example that passes\n\n{_examples_markdown(doc, 'pass')}",
        f"## How to fix it\n\n{doc.fix}",
    ]
    if doc.sources:
        parts.append("## Sources\n\n" + "\n".join(f"- {s}" for s in doc.sources))
    return "\n\n".join(parts) + "\n"


def unknown_rule_message(slug: str, known: list[str]) -> str:
    """One line for an unknown rule id, with the closest known ids."""
    close = difflib.get_close_matches(slug, known, n=3, cutoff=0.5)
    if not close:
        close = [k for k in known if slug and (slug in k or k in slug)][:3]
    hint = f"did you mean {' or '.join(close)}?" if close else "`lpdoctor rules` lists them all"
    return f"unknown rule {slug!r}: {hint}"


@click.command("explain")
@click.argument("rule", metavar="RULE")
@_format_option
def explain_command(rule: str, output_format: str) -> None:
    """Explain one rule: what it checks, why it matters, a failing and a passing example, the fix, sources."""
    docs = rule_docs()
    doc = docs.get(rule.strip().lower())
    if doc is None:
        fail(unknown_rule_message(rule, sorted(docs)))
        return
    fmt = choose_format(output_format, False)
    if fmt == "json":
        click.echo(json.dumps(rule_dict(doc), indent=2, ensure_ascii=True))
    elif fmt == "rich":
        console = _console()
        console.print(Markdown(explain_markdown(doc), code_theme="monokai"))
    else:
        click.echo(explain_markdown(doc), nl=False)
