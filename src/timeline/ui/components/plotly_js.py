"""plotly.js for the page: the installed plotly package's own copy, served by Streamlit's
component file route, and asked for by the page before the dashboard's imports.

Loading and compiling plotly.js (4.8 MB) took the browser 1-13 s after the first chart's
figure had arrived (docs/performance.md, cold26), while the server had been importing and
answering for 1-10 s before it without the browser having anything to do. `preload` is the
first thing a run sends (it needs nothing but Streamlit and `plotly`, which Streamlit has
imported already), so the browser fetches and compiles plotly.js during that time;
`plotly_chart.js` finds it started (`window.__tlPlotly`) and waits for it instead of
loading it again.
"""

from __future__ import annotations

import inspect
import sys
from html import escape
from pathlib import Path

import plotly
import streamlit as st
import streamlit.components.v1 as components_v1
from streamlit import config

# Streamlit names a v1 component after its caller's module, which `inspect.getmodule` finds by
# mapping the file of every module loaded so far (about 1,500 paths resolved: 0.05 CPU s of the
# first chart after a start); this module's file is told to it first, as the mapping would.
inspect.modulesbyfile.setdefault(inspect.getabsfile(sys.modules[__name__]), __name__)
_PLOTLY_FILES = components_v1.declare_component(
    "plotly_js", path=str(Path(plotly.__file__).parent / "package_data")
)

PRELOAD = """<script>
(() => {
  if (window.Plotly || window.__tlPlotly) return;
  window.__tlPlotly = new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "%(url)s";
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error("plotly.js did not load"));
    document.head.appendChild(script);
  });
})();
</script>"""
"""Starts loading plotly.js once per page, as `loadPlotly` in `plotly_chart.js` would (the same
promise, under the same name): constant text and the route's address, never data."""


def plotly_url() -> str:
    """Where the page loads plotly.js from (Streamlit's route for a component's files)."""
    base = str(config.get_option("server.baseUrlPath") or "").strip("/")
    return f"{'/' + base if base else ''}/component/{_PLOTLY_FILES.name}/plotly.min.js"


def preload() -> None:
    """Have the browser start loading plotly.js now (a script, no visible element)."""
    st.html(PRELOAD % {"url": escape(plotly_url())}, unsafe_allow_javascript=True)
