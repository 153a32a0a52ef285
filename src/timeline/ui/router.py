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


def run() -> None:
    """The app: the dashboard, and the editor page when sign-in is configured."""
    if not access.auth_configured():
        dashboard()
        return
    pages = [st.Page(dashboard, title="Dashboard", default=True, icon=":material/timeline:"), editor_page()]
    st.navigation(pages, position="top").run()
