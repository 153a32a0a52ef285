"""The one way text that may hold data reaches a Streamlit element that reads markdown.

`st.warning`, `st.info`, `st.error`, `st.caption`, `st.markdown`, `st.toast`, titles of tabs,
expanders and popovers, widget labels and help, and the options of pills, radio buttons and
segmented controls all read their text as markdown, and Streamlit makes a link of any bare
`https://...`, `www.` or e-mail address in it, escaped or not. Every string built from a
dataset, a URL parameter, a change log or a person's typing goes through `inert` (or
`bullets`) on its way there; `tests/test_safe.py` reads the UI layer's source and fails on a
formatted string that reaches such an element another way. Text shown with `st.text`,
`st.code`, `st.html` (escaped by `html.escape`) or as a select box's options is not markdown
and needs none of this.
"""

from __future__ import annotations

from collections.abc import Iterable

from timeline.formatting import escape_markdown

__all__ = ["bullets", "inert"]


def inert(value: object) -> str:
    """`value` as literal text in any markdown-reading element: markdown, LaTeX and colour
    directives escaped, bare addresses kept from becoming links (they read the same)."""
    return escape_markdown(str(value))


def bullets(lines: Iterable[object], limit: int | None = None) -> str:
    """A markdown list of inert lines (the first `limit` of them, then how many more)."""
    items = list(lines)
    shown = items if limit is None else items[:limit]
    out = [f"- {inert(line)}" for line in shown]
    if len(items) > len(shown):
        out.append(f"- … {len(items) - len(shown):,} more")
    return "\n".join(out)
