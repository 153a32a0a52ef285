"""Where the editor meets the dashboard: the editor's page, and what an event card shows of
the history (and, for editors, a way to edit it). The app's pages are in `timeline.ui.router`.
"""

from __future__ import annotations

import streamlit as st

from timeline.storage import history, store
from timeline.ui.editor import access
from timeline.ui.safe import inert


def editor_page() -> st.Page:
    from timeline.ui.editor.page import main

    return st.Page(main, title="Editor", url_path="editor", icon=":material/edit_note:")


def card_footer(event_id: str) -> None:
    """Under an event's card: when it last changed and how often (for everyone, from the
    log); for a signed-in editor, 'Edit' and the full history."""
    seen = history.summary(store.default_path()).get(event_id)
    if seen is not None:
        plural = "" if seen.changes == 1 else "s"
        st.caption(f"Last changed on {inert(seen.last_at[:10])} ({seen.changes:,} change{plural})")
    if access.editor_identity() is None:
        return
    st.page_link(editor_page(), label="Edit", icon=":material/edit:", query_params={"event": event_id})
    if seen is not None:
        from timeline.ui.editor.changes import show_changes

        with st.expander(f"Full history ({seen.changes:,} change{'' if seen.changes == 1 else 's'})"):
            show_changes(history.read(store.default_path(), event_id).changes[::-1], event_id)
