"""Streamlit entry point: `streamlit run app.py`. All UI code lives in timeline.ui."""

from timeline.ui.page import main

main()
