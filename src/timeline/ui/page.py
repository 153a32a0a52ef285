"""The dashboard page (minimal until the dashboard issue lands)."""

from __future__ import annotations

import streamlit as st

from timeline import store


def main() -> None:
    st.set_page_config(page_title="Conflict timeline", layout="wide")
    path = store.default_path()
    try:
        df = store.load(path)
    except store.DatasetError as err:
        st.error(str(err))
        return
    st.title("Conflict timeline")
    st.caption(f"{len(df):,} events from {path}")
    st.dataframe(df, hide_index=True)
