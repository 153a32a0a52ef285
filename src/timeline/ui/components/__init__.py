"""Streamlit custom components of the dashboard (html/css/js in the page, no iframe)."""
