"""Streamlit custom components of the dashboard (html/css/js in the page, no iframe)."""

from pathlib import Path

_HERE = Path(__file__).parent


def chart_js(name: str) -> str:
    """A chart component's module (`name`, beside this file) after `plotly_arrays.js`, the
    reading of plotly's binary arrays the chart components share."""
    return (
        (_HERE / "plotly_arrays.js").read_text(encoding="utf-8")
        + "\n"
        + (_HERE / name).read_text(encoding="utf-8")
    )
