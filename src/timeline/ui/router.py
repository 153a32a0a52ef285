"""The app's pages: the public dashboard and, when sign-in is configured, the editor.

With sign-in configured (`[auth]` in `.streamlit/secrets.toml`) the app has two pages, the
public dashboard and the editor, in the top bar. Without it the app is the dashboard alone,
exactly as before: no page list, no sign-in button, nothing about editing.
"""

from __future__ import annotations

import streamlit as st

from timeline.ui.editor import access
from timeline.ui.editor.nav import editor_page
from timeline.ui.page import main as dashboard

LANDED = "editor-landed"


def run() -> None:
    """The app: the dashboard, and the editor page when sign-in is configured."""
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
