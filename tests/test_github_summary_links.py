"""The GitHub step summary never turns input text into a link, a mention or an issue reference.

A log line's path or host may hold ``www.evil.example``, ``https://…``, ``bob@evil.example``, ``@octocat`` or
``#1``. In the job summary GitHub would link the first three (GFM's autolink extension, while parsing), and
link ``@octocat`` — notifying that user — and ``#1`` afterwards, in the rendered HTML's text nodes (a
post-processing step that skips code and links; github/cmark-gfm#181, github/markup#1168: a backslash or an
entity does not stop it). The summary is rendered here with cmark-gfm (``cmarkgfm``, bindings to GitHub's own
parser) and its HTML is checked: no link at all, and no text node holding a mention or a reference, while
the text still reads as typed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lpdoctor.commands.common import emit
from lpdoctor.reporters.github_report import summary_markdown
from lpdoctor.reporters.sanitize import sanitized
from tests.fuzz.payloads import poisoned_report
from tests.realworld import require_real

LINKY = "see www.evil.example, https://evil.example/x, bob@evil.example, @octocat, #1, xmpp:a@b.example, WWW.x.example"
MENTION = re.compile(r"(?:^|[^A-Za-z0-9_`])@[A-Za-z0-9]")  # what GitHub's mention filter looks for
REFERENCE = re.compile(r"(?:^|[^A-Za-z0-9_&])#[0-9]")


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += tag == "a"

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def _render(markdown: str) -> _Html:
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options
    except ImportError:
        require_real("cmarkgfm (GitHub's Markdown parser, in the [test] extras) is not installed")
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    parsed = _Html()
    parsed.feed(html)
    return parsed


def test_the_parser_does_link_such_text_unescaped() -> None:
    """The check below can fail: the same text, unescaped, is linked."""
    parsed = _render(f"| a |\n| --- |\n| {LINKY} |\n")
    assert parsed.links >= 4
    assert any(MENTION.search(t) for t in parsed.texts) and any(REFERENCE.search(t) for t in parsed.texts)


def test_no_input_text_becomes_a_link_mention_or_reference() -> None:
    markdown = summary_markdown(sanitized(poisoned_report(LINKY)))
    parsed = _render(markdown)
    assert parsed.links == 0, markdown
    for text in parsed.texts:
        assert not MENTION.search(text) and not REFERENCE.search(text), text
    shown = "".join(parsed.texts)
    assert "www.evil.example" in shown and "@octocat" in shown and "#1" in shown and "https://evil.example/x" in shown


def test_the_summary_written_by_the_github_format_is_neutralised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    emit(poisoned_report(LINKY), "github", str(tmp_path / "annotations.txt"))
    parsed = _render(summary.read_text())
    assert parsed.links == 0
    assert "bob@evil.example" in "".join(parsed.texts)
