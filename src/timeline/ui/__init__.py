"""The Streamlit layer. Nothing outside this package imports streamlit."""
