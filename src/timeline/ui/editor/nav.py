"""Where the editor meets the dashboard: the app's pages, and what an event card shows of
the history (and, for editors, a way to edit it).

With sign-in configured (`[auth]` in `.streamlit/secrets.toml`) the app has two pages, the
public dashboard and the editor, in the top bar. Without it the app is the dashboard alone,
exactly as before: no page list, no sign-in button, nothing about editing.
"""

from __future__ import annotations

import streamlit as st

from timeline import history, store
from timeline.ui.editor import access

LANDED = "editor-landed"


def editor_page() -> st.Page:
    from timeline.ui.editor.page import main

    return st.Page(main, title="Editor", url_path="editor", icon=":material/edit_note:")


def run() -> None:
    """The app: the dashboard, and the editor page when sign-in is configured."""
    from timeline.ui.page import main as dashboard

    if not access.auth_configured():
        dashboard()
        return
    editor = editor_page()
    pages = [st.Page(dashboard, title="Dashboard", default=True, icon=":material/timeline:"), editor]
    current = st.navigation(pages, position="top")
    # Streamlit brings a sign-in back to the root: an editor who has just signed in (on the
    # editor page's button) goes on to the editor, once per session and never over a shared link.
    if current.url_path == "" and not st.query_params and not st.session_state.get(LANDED):
        st.session_state[LANDED] = True
        if access.just_signed_in():
            st.switch_page(editor)
    current.run()


def card_footer(event_id: str) -> None:
    """Under an event's card: when it last changed and how often (for everyone, from the
    log); for a signed-in editor, 'Edit' and the full history."""
    seen = history.summary(store.default_path()).get(event_id)
    if seen is not None:
        plural = "" if seen.changes == 1 else "s"
        st.caption(f"Last changed on {seen.last_at[:10]} ({seen.changes} change{plural})")
    if access.editor_identity() is None:
        return
    st.page_link(editor_page(), label="Edit", icon=":material/edit:", query_params={"event": event_id})
    if seen is not None:
        from timeline.ui.editor.page import show_changes

        with st.expander(f"Full history ({seen.changes} change{'' if seen.changes == 1 else 's'})"):
            show_changes(history.read(store.default_path(), event_id).changes[::-1], event_id)
