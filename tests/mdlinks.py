"""What Streamlit's markdown would show as links, read without a browser (the browser tests
read the real anchors)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

GFM_AUTOLINK = re.compile(r"(?i)(https?://|www(?=\.))[-.\w]+|[-.\w+]+@[-\w]+(\.[-\w]+)+")
"""The bare addresses remark-gfm (Streamlit's markdown) makes links of, found in text after
its backslash escapes are resolved (the pattern of its bundle's find-and-replace)."""
WORD_JOINER = "\u2060"
"""Invisible; the app puts it inside addresses in its messages so they are no links."""


def links_in(markdown: str) -> list[str]:
    """What this markdown shows as links: `[text](url)` and `<url>` links, and bare addresses
    in its text."""
    found = []
    for block in MarkdownIt("commonmark").parse(markdown):
        for token in block.children or []:
            if token.type == "link_open":
                found.append(str(token.attrs["href"]))
            elif token.type == "text":
                found += [m.group(0) for m in GFM_AUTOLINK.finditer(token.content)]
    return found


def inline_tokens(markdown: str) -> list[str]:
    """The kinds of inline markup it holds ('strong_open', 'em_open', 'link_open', ...)."""
    return [t.type for block in MarkdownIt("commonmark").parse(markdown) for t in block.children or []]


def shown_text(markdown: str) -> str:
    """The characters a reader sees: escapes resolved, invisible word joiners dropped."""
    return re.sub(r"\\(.)", r"\1", markdown).replace(WORD_JOINER, "")


def markdown_of(at) -> list[str]:
    """Every text of an AppTest page that Streamlit reads as markdown."""
    kinds = ("markdown", "caption", "warning", "info", "error", "success", "title", "header", "subheader")
    return [e.value for kind in kinds for e in getattr(at, kind)]
